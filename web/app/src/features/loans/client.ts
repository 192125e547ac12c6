/**
 * The loan routes of the customer API (docs/app-api.md, "Loans"), called the way the app's
 * api.ts calls every route: same-origin with the session cookie and X-Capillary-Client.
 */
import { call } from '../../api';

export interface ScheduleLine {
  number: number;
  due_date: string;
  principal: string;
  interest: string;
  fee: string;
  payment: string;
  balance_after: string;
}
export interface Schedule {
  start_date: string;
  principal: string;
  level_payment: string | null;
  instalments: ScheduleLine[];
  totals: { principal: string; interest: string; fee: string; payment: string };
}
export interface LoanProduct {
  id: string;
  name: string;
  currency: string;
  amount_min_minor: string;
  amount_max_minor: string;
  term_min_months: number;
  term_max_months: number;
  annual_rate_percent: string;
  repayment_method: string;
  origination_fee: { fixed_minor: string; bps: number };
  early_repayment_allowed: boolean;
}
export interface LoanOffer {
  product: LoanProduct;
  amount_minor: string;
  term_months: number;
  fits: boolean;
  monthly_payment_minor: string | null;
  schedule: Schedule | null;
}
export interface Reason {
  code: string;
  kind: string;
  detail: string;
}
export interface Application {
  id: string;
  status: 'approved' | 'declined' | 'referred' | 'accepted' | 'expired';
  product_id: string;
  account_id: string;
  amount_minor: string;
  term_months: number;
  purpose: string | null;
  reasons: Reason[];
  offer: {
    amount_minor: string;
    term_months: number;
    annual_rate_percent: string;
    reduced_from_minor: string | null;
    monthly_payment_minor: string;
    total_interest_minor: string;
    origination_fee_minor: string;
    total_repayable_minor: string;
    expires_at: string | null;
    schedule: Schedule;
  } | null;
  loan_id: string | null;
  created_at: string;
}
export interface Business {
  industry: string;
  months_trading: number;
  annual_revenue_minor: string;
  existing_debt_minor: string;
  owner_age?: number;
}
export interface ApplyBody {
  id: string;
  product_id: string;
  amount_minor: string;
  term_months: number;
  purpose: string;
  account_id?: string;
  business: Business;
}
export interface Loan {
  id: string;
  application_id: string | null;
  product_id: string;
  product_name: string;
  account_id: string;
  currency: string;
  principal_minor: string;
  term_months: number;
  annual_rate_percent: string;
  start_date: string;
  maturity_date: string;
  status: 'active' | 'closed' | 'written_off';
  days_past_due: number;
  outstanding: { principal_minor: string; interest_minor: string; penalty_minor: string; fee_minor: string; total_minor: string };
  next_payment: { due_date: string; amount_minor: string; overdue: boolean } | null;
  created_at: string;
}
export interface LoanDetail extends Loan {
  schedule: { number: number; due_date: string; principal_minor: string; interest_minor: string; fee_minor: string; amount_minor: string; paid_minor: string; status: string }[];
  repayments: { id: string; kind: string; business_date: string; amount_minor: string; created_at: string }[];
}


const q = encodeURIComponent;

export const loansApi = {
  offers: (amount_minor?: string, term_months?: number) => {
    const params = [amount_minor ? `amount_minor=${q(amount_minor)}` : '', term_months ? `term_months=${term_months}` : ''].filter(Boolean).join('&');
    return call<{ items: LoanOffer[] }>('GET', `/v1/me/loan-offers${params ? `?${params}` : ''}`);
  },
  apply: (body: ApplyBody) => call<Application>('POST', '/v1/me/loan-applications', body),
  applications: () => call<{ items: Application[]; next_cursor: string | null }>('GET', '/v1/me/loan-applications?limit=10'),
  application: (id: string) => call<Application>('GET', `/v1/me/loan-applications/${q(id)}`),
  accept: (id: string) => call<LoanDetail>('POST', `/v1/me/loan-applications/${q(id)}/accept`, {}),
  loans: () => call<{ items: Loan[]; next_cursor: string | null }>('GET', '/v1/me/loans?limit=50'),
  loan: (id: string) => call<LoanDetail>('GET', `/v1/me/loans/${q(id)}`),
  repay: (id: string, body: { id: string; amount_minor: string; from_account_id: string }) => call<LoanDetail>('POST', `/v1/me/loans/${q(id)}/repayments`, body),
};

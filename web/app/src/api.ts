/**
 * The customer API (contract A), and nothing else: same-origin requests carrying the
 * HttpOnly session cookie, and the X-Capillary-Client header the server requires on
 * cookie-authenticated writes (a custom header forces a CORS preflight, never granted).
 */
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON, AuthenticationResponseJSON } from '@simplewebauthn/browser';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** True when the service worker answered from its cache (the network was unreachable). */
export let lastAnswerOffline = false;

/** Calls the customer API the one way the app does: same-origin with the session cookie and X-Capillary-Client; problems as ApiError. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-capillary-client': 'app', accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'network unreachable');
  }
  lastAnswerOffline = res.headers.get('x-capillary-offline') === '1';
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (parsed ?? {}) as { code?: string; detail?: string; title?: string };
    throw new ApiError(res.status, problem.code ?? 'http_' + res.status, problem.detail ?? problem.title ?? res.statusText);
  }
  return parsed as T;
}

export interface Customer {
  id: string;
  display_name: string;
  phone_masked?: string;
  created_at?: string;
}
export interface Session {
  token?: string;
  expires_at: string;
}
export interface SignedIn {
  customer: Customer;
  session: Session;
}
export interface StepUp {
  step_up: { otp_id: string; phone_masked: string; expires_at: string };
}
export interface Account {
  id: string;
  nickname: string | null;
  currency: string;
  balance_minor: string;
  available_minor: string;
  pending_minor: string;
}
export interface Transaction {
  transfer_id: string;
  direction: 'in' | 'out';
  amount_minor: string;
  currency: string;
  counterparty_name?: string | null;
  note?: string | null;
  status: string;
  created_at: string;
}
export interface StatementLine {
  transfer_id: string;
  created_at: string;
  debit_minor: string;
  credit_minor: string;
  balance_minor: string;
  counterparty_name?: string | null;
  note?: string | null;
  metadata?: Record<string, unknown> | null;
}
export interface Statement {
  account_id: string;
  currency: string;
  from: string;
  to: string;
  opening_balance_minor: string;
  closing_balance_minor: string;
  total_debits_minor: string;
  total_credits_minor: string;
  lines: StatementLine[];
  truncated: boolean;
}
export type TransferTo = { phone: string } | { account_id: string } | { payee_id: string };
export interface TransferResult {
  id: string;
  status: 'completed' | 'pending' | 'rejected';
  reason_code?: string;
  amount_minor: string;
  currency: string;
  to_name?: string | null;
  created_at: string;
}

export const api = {
  registrationOptions: (display_name: string, phone: string) =>
    call<{ flow_id: string; options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/v1/identity/passkeys/registration/options', { display_name, phone }),
  registrationVerify: (flow_id: string, response: RegistrationResponseJSON, device_id: string) =>
    call<SignedIn>('POST', '/v1/identity/passkeys/registration/verify', { flow_id, response, device_id }),
  authenticationOptions: () => call<{ flow_id: string; options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/v1/identity/passkeys/authentication/options', {}),
  authenticationVerify: (flow_id: string, response: AuthenticationResponseJSON, device_id: string) =>
    call<SignedIn | StepUp>('POST', '/v1/identity/passkeys/authentication/verify', { flow_id, response, device_id }),
  otpStart: (phone: string) => call<{ otp_id: string; expires_at: string }>('POST', '/v1/identity/otp/start', { phone, purpose: 'sign_in' }),
  otpVerify: (otp_id: string, code: string, device_id: string) => call<SignedIn>('POST', '/v1/identity/otp/verify', { otp_id, code, device_id }),
  signOut: () => call<unknown>('POST', '/v1/identity/sign-out', {}),
  me: () => call<Customer>('GET', '/v1/me'),
  accounts: () => call<{ items: Account[] }>('GET', '/v1/me/accounts'),
  transactions: (accountId: string, limit = 10, cursor?: string) =>
    call<{ items: Transaction[]; next_cursor: string | null }>(
      'GET',
      `/v1/me/accounts/${encodeURIComponent(accountId)}/transactions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  statement: (accountId: string, from: string, to: string) =>
    call<Statement>('GET', `/v1/me/accounts/${encodeURIComponent(accountId)}/statement?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
  transfer: (body: { id: string; from_account_id: string; to: TransferTo; amount_minor: string; currency: string; note?: string }) =>
    call<TransferResult>('POST', '/v1/me/transfers', body),
  payCode: () => call<{ payload: string }>('GET', '/v1/me/pay-code'),
};

export function isStepUp(answer: SignedIn | StepUp): answer is StepUp {
  return 'step_up' in answer;
}

/**
 * The digital-transformation scorecard: five sections of named figures, each computed from
 * live data over the last 30 days (or "now" where it says so), each carrying the sentence
 * that says exactly how it is computed. Pure: the inputs come from store.ts and the
 * dashboard's totals. docs/console.md lists the same definitions.
 */
import type { ScorecardInputs } from './store.js';
import type { DashboardFigures } from './core.js';
import { ratioBps } from './core.js';

export const SCORECARD_DAYS = 30;

export type Unit = 'count' | 'minor_units' | 'bps' | 'ms' | 'seconds';

export interface Figure {
  key: string;
  label: string;
  /** A decimal string (counts, minor units, basis points, durations), or null when there was nothing to measure. */
  value: string | null;
  unit: Unit;
  definition: string;
}

export interface Section {
  key: 'customer_journey' | 'data_operations' | 'risk_control' | 'infrastructure' | 'delivery_efficiency';
  label: string;
  figures: Figure[];
}

const str = (v: bigint | number | null) => (v === null ? null : v.toString());
const W = `in the last ${SCORECARD_DAYS} UTC days including today`;

export function buildScorecard(i: ScorecardInputs, t: DashboardFigures, currency: string): Section[] {
  const fig = (key: string, label: string, value: string | null, unit: Unit, definition: string): Figure => ({ key, label, value, unit, definition });
  return [
    {
      key: 'customer_journey',
      label: 'Customer journey',
      figures: [
        fig('active_customers', 'Active customers', str(t.active_customers), 'count', `Distinct customers ${W} with a successful sign-in (customer_sign_ins outcome signed_in) or a transaction debiting one of their linked accounts.`),
        fig('sign_in_success_rate', 'Sign-in success rate', ratioBps(i.sign_ins_succeeded, i.sign_ins), 'bps', `Sign-in attempts ${W} with outcome signed_in, divided by all attempts in customer_sign_ins, in basis points rounded down.`),
        fig('step_up_rate', 'Step-up rate', ratioBps(i.sign_ins_stepped_up, i.sign_ins), 'bps', `Sign-in attempts ${W} that the risk engine sent to a one-time-code step-up (outcome step_up), divided by all attempts, in basis points rounded down.`),
        fig('digital_share', 'Self-service share of transactions', ratioBps(i.digital_transactions, BigInt(t.transactions)), 'bps', `Transactions ${W} whose channel is app, web or mini_program, divided by all transactions (dashboard definition), in basis points rounded down.`),
      ],
    },
    {
      key: 'data_operations',
      label: 'Data operations',
      figures: [
        fig('transactions', 'Transactions', str(t.transactions), 'count', `Transfers created ${W}, counting a two-phase transfer once (when created) and leaving out lending bookkeeping codes 7201, 7202, 7203, 7210 and 7220.`),
        fig('volume', `Volume (${currency})`, t.volume_minor, 'minor_units', `Sum of the amounts of those transactions that are in ${currency}, in minor units.`),
        fig('loan_conversion', 'Loan funnel conversion', ratioBps(BigInt(t.loan_funnel.disbursed), BigInt(t.loan_funnel.submitted)), 'bps', `Loan applications submitted ${W} that were paid out as a loan, divided by all applications submitted ${W}, in basis points rounded down.`),
        fig('envelope_claim_rate', 'Red-envelope claim rate', ratioBps(i.envelope_shares_claimed, i.envelope_shares), 'bps', `Shares grabbed of the red envelopes created ${W}, divided by the shares those envelopes were split into, in basis points rounded down.`),
      ],
    },
    {
      key: 'risk_control',
      label: 'Risk control',
      figures: [
        fig('fraud_loss_rate', 'Fraud loss rate', t.fraud_loss_rate_bps, 'bps', `Amount in ${currency} of transfers created ${W} that were held for review and whose case was rejected as fraud, divided by the volume, in basis points rounded down.`),
        fig('review_rate', 'Stopped for review or blocked', ratioBps(i.risk_decisions_stopped, i.risk_decisions), 'bps', `Risk decisions on events ${W} with outcome review or block, divided by all decisions on events ${W}, in basis points rounded down.`),
        fig('open_cases', 'Open review cases', str(i.open_cases_now), 'count', 'Risk review cases with status open, now.'),
        fig('npl_ratio', 'Non-performing loan ratio', ratioBps(i.npl_principal_now, i.outstanding_principal_now), 'bps', 'Outstanding principal of active loans classified substandard, doubtful or loss, divided by the outstanding principal of all active loans, now, in basis points rounded down.'),
      ],
    },
    {
      key: 'infrastructure',
      label: 'Infrastructure',
      figures: [
        fig('cost_per_transaction', `Cost per transaction (${currency})`, t.cost_per_transaction_minor, 'minor_units', `The configured daily running cost (DAILY_RUNNING_COST_MINOR) times ${SCORECARD_DAYS}, divided by the transactions ${W}, rounded half up to a minor unit; null when the cost is not configured or there were no transactions.`),
        fig('webhook_success_rate', 'Webhook delivery success', ratioBps(i.webhooks_delivered, i.webhooks_delivered + i.webhooks_failed), 'bps', `Webhook deliveries created ${W} that were delivered, divided by those delivered or given up (failed); deliveries still being retried are left out. Basis points rounded down.`),
        fig('webhook_backlog', 'Webhook deliveries waiting', str(i.webhooks_pending_now), 'count', 'Webhook deliveries with status pending (not yet delivered, still being retried), now.'),
      ],
    },
    {
      key: 'delivery_efficiency',
      label: 'Delivery efficiency',
      figures: [
        fig('loan_decision_time', 'Median loan decision time', str(i.loan_decision_median_ms), 'ms', `Median of the automatic decision time (decision_ms) of loan applications submitted ${W}, rounded to a millisecond.`),
        fig('automated_loan_decisions', 'Loan decisions without a person', ratioBps(i.loan_applications_automated, i.loan_applications), 'bps', `Loan applications submitted ${W} that were neither referred nor reviewed by a credit officer, divided by all applications submitted ${W}, in basis points rounded down.`),
        fig('case_resolution_time', 'Median case resolution time', str(i.case_resolution_median_s), 'seconds', `Median time from opening to approval or rejection of risk review cases decided ${W}, rounded to a second.`),
        fig('rule_sets_published', 'Rule-set versions published', str(i.rule_sets_published), 'count', `Risk rule-set versions published ${W}.`),
      ],
    },
  ];
}

/**
 * What changes a loan, each a JoinedWork run inside the ledger writer's transaction: lock
 * the rows, decide the postings with the pure core (loan-state.ts, postings.ts), let the
 * ledger apply them with the rest of the batch, then write the loan's own rows from the
 * results. The loan, its schedule and the ledger therefore never disagree, even across a
 * crash or a retry: a posting's id is derived from what it is for, and the operation's id
 * is the client's.
 *
 * Every work that locks existing loan rows uses COB's lock key (cob-chunk.ts), so a
 * repayment and a COB chunk never share a writer batch (inside one transaction the row
 * lock would not separate them).
 */
import type { Queryable } from '../db/port.js';
import type { JoinedWork } from '../ledger/writer.js';
import { getAccounts } from '../ledger/store.js';
import type { TransferErrorCode, TransferInput, TransferResult } from '../ledger/types.js';
import { bankAccount, loanAccounts, type LoanAccounts } from './accounts.js';
import { LOAN_CATEGORIES, provisionFor, type LoanCategory } from './aging.js';
import { LOAN_ROWS_LOCK_KEY } from './cob-chunk.js';
import type { BusinessDate } from './dates.js';
import {
  accrualCatchUp,
  planRepayment,
  planRestructure,
  quotePayoff,
  scheduleOf,
  scheduledPrincipal,
  servicingDate,
  sortRows,
  type ChangeResult,
  type Components,
  type InstalmentRow,
  type LoanChange,
  type LoanState,
} from './loan-state.js';
import { accrualPostings, openingPostings, repaymentPostings, writeOffPostings, type LoanLedger } from './postings.js';
import type { LoanProduct } from './products.js';
import * as store from './store.js';
import { planLineOperation, settleLineOperation, type LinePlan } from './line-servicing.js';

/** The most days of interest a repayment catches up before COB must run first (COB runs daily; this is a guard). */
export const CATCH_UP_DAYS_MAX = 1_000;

export type Refusal = { ok: false; code: string; field?: string | undefined; detail: string };

// ------------------------------------------------------------------ opening a loan

export interface Opening {
  application_id: string;
  loan: store.LoanRecord;
  rows: InstalmentRow[];
  fee_minor: bigint;
  /** A revolving line opened with a drawdown: its operation record (the drawdown posts in the opening chain). */
  initial_drawdown?: store.OperationRecord | undefined;
}

export type OpenOutcome = { ok: true; loan: store.LoanRecord; replayed: boolean } | Refusal;

/** The ledger's refusals of a posting, as the request field they are about. */
function customerField(code: TransferErrorCode | 'risk_blocked'): string | undefined {
  if (code === 'exceeds_credits' || code === 'overflows_credits' || code === 'overflows_debits') return 'amount';
  if (code === 'account_frozen' || code === 'account_closed' || code === 'account_not_found' || code === 'currency_mismatch') return 'account_id';
  return undefined;
}

export function ledgerRefusal(results: readonly TransferResult[], what: string): Refusal | undefined {
  // In a linked chain every transfer fails; the one that caused it is the one not marked linked_event_failed.
  const failed = results.find((r) => !r.ok && r.code !== 'linked_event_failed') ?? results.find((r) => !r.ok);
  if (!failed || failed.ok) return undefined;
  return { ok: false, code: failed.code, field: customerField(failed.code), detail: `the ledger refused the ${what}: ${failed.code}` };
}

/**
 * Disburses an accepted offer: under the application's lock, the disbursement (and fee)
 * chain, then the loan and its schedule rows and the application's new status, in the same
 * transaction. Accepting again finds the loan and returns it.
 */
export function openWork(opening: Opening, ledger: LoanLedger): JoinedWork<OpenOutcome> {
  let state: 'open' | 'exists' | 'not_approved' = 'open';
  let existing: store.LoanRecord | undefined;
  let status = '';
  let transfers: TransferInput[] = [];
  return {
    lock_key: `loan-open:${opening.application_id}`,
    transfers_max: 2,
    async plan(tx, now) {
      const application = await store.lockApplication(tx, opening.application_id);
      existing = await store.loanOfApplication(tx, opening.application_id);
      // Checked again under the lock: a review or an expiry may have happened since the service read it.
      const expired = application?.offer_expires_at ? now > application.offer_expires_at : false;
      status = expired ? 'past its offer expiry' : (application?.status ?? 'missing');
      state = existing ? 'exists' : application?.status === 'approved' && !expired ? 'open' : 'not_approved';
      transfers = state === 'open' ? openingPostings(ledger, opening.loan.principal, opening.fee_minor, opening.loan.line !== null) : [];
      return transfers;
    },
    async settle(tx, results, now) {
      if (state === 'exists') return { ok: true, loan: existing!, replayed: true };
      if (state === 'not_approved') return { ok: false, code: 'application_not_approved', detail: `the application is ${status}` };
      const refused = ledgerRefusal(results, 'disbursement');
      if (refused) return refused;
      const loan = { ...opening.loan, created_at: now, updated_at: now };
      await store.insertLoan(tx, loan);
      await store.insertInstalments(tx, loan.id, opening.rows);
      await store.setApplicationStatus(tx, opening.application_id, 'accepted', now);
      if (opening.initial_drawdown) await store.insertOperation(tx, { ...opening.initial_drawdown, created_at: now });
      return { ok: true, loan, replayed: false };
    },
  };
}

// ------------------------------------------------------------------ operations on a loan

export type OperationRequest =
  | { kind: 'repayment'; amount_minor: bigint }
  | { kind: 'drawdown'; amount_minor: bigint }
  | { kind: 'payoff'; amount_minor?: bigint | undefined }
  | { kind: 'restructure'; term_periods: number }
  | { kind: 'write_off'; reason: string };

export type OperationOutcome = { ok: true; operation: store.OperationRecord; replayed: boolean } | Refusal;

export interface OperationContext {
  loan_id: string;
  operation_id: string;
  fingerprint: string;
  today: BusinessDate;
  request: OperationRequest;
  /** The loan's product as written into it (with the offer's rate). */
  product: (terms: Record<string, unknown>) => LoanProduct;
}

/** What the work decided in `plan`, for `settle`. */
type Planned =
  | { kind: 'answer'; outcome: OperationOutcome }
  | { kind: 'line'; plan: LinePlan }
  | {
      kind: 'change';
      loan: store.LoanRecord;
      state: LoanState;
      date: BusinessDate;
      accruals: TransferInput[];
      accrued_through: BusinessDate | null;
      accrued_minor: bigint;
      chain: TransferInput[];
      result: Exclude<ChangeResult, { ok: false }> | { ok: true; kind: 'write_off'; write_off: WriteOff } | Refusal;
    };

interface WriteOff {
  amounts: { principal: bigint; interest: bigint; penalty: bigint; fee: bigint; from_allowance: bigint };
  category: LoanCategory;
  unpaid_rows: number[];
}

export const ledgerOf = (loan: store.LoanRecord): LoanLedger => ({ loan_id: loan.id, currency: loan.currency, account_id: loan.account_id, accounts: loanAccounts(loan.id) });

/** The live rows, the next line number and the loan's running state, as the core needs them. */
export function loanState(loan: store.LoanRecord, all: readonly InstalmentRow[]): LoanState {
  return {
    id: loan.id,
    status: loan.status,
    start_date: loan.start_date,
    outstanding_principal: loan.outstanding_principal,
    accrued_interest: loan.accrued_interest,
    penalty_due: loan.penalty_due,
    last_accrual_date: loan.last_accrual_date,
    rows: sortRows(all.filter((r) => r.status !== 'superseded')),
    next_number: all.reduce((m, r) => Math.max(m, r.number), 0) + 1,
  };
}

export function operationWork(ctx: OperationContext, transfers_max: number): JoinedWork<OperationOutcome> {
  let planned: Planned = { kind: 'answer', outcome: { ok: false, code: 'loan_not_found', detail: 'not planned' } };
  return {
    lock_key: LOAN_ROWS_LOCK_KEY,
    transfers_max,
    async plan(tx) {
      planned = await planOperation(tx, ctx, transfers_max);
      if (planned.kind === 'line') return [...planned.plan.accruals, ...planned.plan.chain];
      return planned.kind === 'change' ? [...planned.accruals, ...planned.chain] : [];
    },
    async settle(tx, results, now) {
      if (planned.kind === 'answer') return planned.outcome;
      if (planned.kind === 'line') return settleLineOperation(tx, ctx, planned.plan, results, now);
      return settleOperation(tx, ctx, planned, results, now);
    },
  };
}

async function planOperation(tx: Queryable, ctx: OperationContext, transfers_max: number): Promise<Planned> {
  const answer = (outcome: OperationOutcome): Planned => ({ kind: 'answer', outcome });
  const earlier = await store.getOperation(tx, ctx.operation_id);
  if (earlier) {
    if (earlier.loan_id === ctx.loan_id && earlier.fingerprint === ctx.fingerprint) return answer({ ok: true, operation: earlier, replayed: true });
    return answer({ ok: false, code: 'exists_with_different_fields', field: 'id', detail: `operation ${ctx.operation_id} was used with another request` });
  }
  const loan = await store.lockLoan(tx, ctx.loan_id);
  if (!loan) return answer({ ok: false, code: 'loan_not_found', detail: `no loan ${ctx.loan_id}` });
  // Revolving lines have their own servicing (line-servicing.ts); a write-off is the same for both.
  if (ctx.request.kind === 'drawdown' && loan.line === null) return answer({ ok: false, code: 'not_a_credit_line', detail: `loan ${loan.id} is a ${String(loan.terms.repayment_method)} loan: only a revolving credit line can be drawn` });
  if (loan.line !== null && ctx.request.kind !== 'write_off') {
    const line = await planLineOperation(tx, ctx, loan, transfers_max);
    return 'ok' in line ? answer(line) : { kind: 'line', plan: line };
  }
  if (loan.status !== 'active') return answer({ ok: false, code: 'loan_not_active', detail: `the loan is ${loan.status}` });
  const product = ctx.product(loan.terms);
  const state = loanState(loan, await store.instalmentsOf(tx, loan.id));
  const date = servicingDate(ctx.today, loan.last_accrual_date);
  const ledger = ledgerOf(loan);

  if (ctx.request.kind === 'write_off') {
    const writeOff = await planWriteOff(tx, loan, state);
    if (!writeOff.ok) return answer(writeOff);
    const chain = writeOffPostings(ledger, ctx.operation_id, writeOff.write_off.category, {
      principal_minor: writeOff.write_off.amounts.principal,
      from_allowance_minor: writeOff.write_off.amounts.from_allowance,
      interest_minor: writeOff.write_off.amounts.interest,
      penalty_minor: writeOff.write_off.amounts.penalty,
      fee_minor: writeOff.write_off.amounts.fee,
    });
    return { kind: 'change', loan, state, date, accruals: [], accrued_through: loan.last_accrual_date, accrued_minor: 0n, chain, result: writeOff };
  }

  // The interest COB has not accrued yet, up to yesterday: what a payment today settles.
  const catchUp = accrualCatchUp(scheduleOf(product, loan.start_date, state.rows), loan.start_date, loan.last_accrual_date, date);
  if (catchUp.days.length + 8 > transfers_max) {
    return answer({ ok: false, code: 'cob_behind', detail: `${catchUp.days.length} days of interest are not accrued; run the close of business first` });
  }
  const accrued = catchUp.days.reduce((s, d) => s + d.amount_minor, 0n);
  const caughtUp: LoanState = { ...state, accrued_interest: state.accrued_interest + accrued, last_accrual_date: catchUp.through };
  const accruals = accrualPostings(ledger, catchUp.days);
  if (ctx.request.kind === 'drawdown') throw new Error('unreachable: a drawdown on a scheduled loan was refused above');
  const result = planFor(ctx.request, product, caughtUp, date);
  const chain = result.ok && result.kind !== 'restructure' ? repaymentPostings(ledger, ctx.operation_id, result.change.collected, result.change.early_repayment_fee) : [];
  return { kind: 'change', loan, state: caughtUp, date, accruals, accrued_through: catchUp.through, accrued_minor: accrued, chain, result };
}

function planFor(request: Exclude<OperationRequest, { kind: 'write_off' | 'drawdown' }>, product: LoanProduct, state: LoanState, date: BusinessDate): ChangeResult {
  if (request.kind === 'repayment') return planRepayment(product, state, request.amount_minor, date);
  if (request.kind === 'restructure') return planRestructure(product, state, request.term_periods, date);
  const quoted = quotePayoff(product, state, date);
  if (!quoted.ok) return { ok: false, code: quoted.code, detail: quoted.detail };
  const total = quoted.quote.total_minor;
  if (request.amount_minor !== undefined && request.amount_minor !== total) {
    return { ok: false, code: 'payoff_amount_changed', field: 'amount', detail: `the payoff on ${date} is ${total}, not ${request.amount_minor}` };
  }
  const planned = planRepayment(product, state, total, date);
  if (planned.ok && !planned.change.closes) throw new Error(`paying the payoff amount ${total} did not close the loan`);
  return planned;
}

/**
 * Everything the loan still owes is written off: the principal against its category's
 * allowance (at most the provision that category holds for this loan, and what the
 * allowance account holds), the rest of it and the unpaid interest, penalties and fees to
 * write-off expense. The receivables are read from the ledger and must agree with the row.
 */
async function planWriteOff(tx: Queryable, loan: store.LoanRecord, state: LoanState): Promise<({ ok: true; kind: 'write_off'; write_off: WriteOff }) | Refusal> {
  const accounts = loanAccounts(loan.id);
  const category = (LOAN_CATEGORIES as readonly string[]).includes(loan.category) ? (loan.category as LoanCategory) : 'loss';
  const allowanceId = bankAccount(`allowance_${category}`, loan.currency);
  const read = await getAccounts(tx, [accounts.principal, accounts.interest, accounts.penalty, accounts.fee, allowanceId]);
  const debitBalance = (id: string) => {
    const a = read.get(id);
    return a ? a.debits_posted - a.credits_posted : 0n;
  };
  const amounts = {
    principal: debitBalance(accounts.principal),
    interest: debitBalance(accounts.interest),
    penalty: debitBalance(accounts.penalty),
    fee: debitBalance(accounts.fee),
    from_allowance: 0n,
  };
  if (amounts.principal !== loan.outstanding_principal || amounts.interest !== loan.accrued_interest || amounts.penalty !== loan.penalty_due) {
    throw new Error(`loan ${loan.id}: the row (principal ${loan.outstanding_principal}, interest ${loan.accrued_interest}, penalty ${loan.penalty_due}) and the ledger (${amounts.principal}, ${amounts.interest}, ${amounts.penalty}) disagree`);
  }
  const allowance = -debitBalance(allowanceId);
  const provision = provisionFor(category, amounts.principal);
  amounts.from_allowance = [provision, allowance < 0n ? 0n : allowance, amounts.principal].reduce((a, b) => (b < a ? b : a));
  return {
    ok: true,
    kind: 'write_off',
    write_off: { amounts, category, unpaid_rows: state.rows.filter((r) => r.status !== 'paid').map((r) => r.number) },
  };
}

async function settleOperation(tx: Queryable, ctx: OperationContext, planned: Extract<Planned, { kind: 'change' }>, results: readonly TransferResult[], now: Date): Promise<OperationOutcome> {
  const { loan, state, accruals, result } = planned;
  results.slice(0, accruals.length).forEach((r, i) => {
    if (!r.ok || r.replayed) throw new Error(`interest catch-up ${accruals[i]!.id} for loan ${loan.id}: ${r.ok ? 'already posted, yet the loan was not marked accrued' : r.code}`);
  });
  const refused = result.ok ? ledgerRefusal(results.slice(accruals.length), ctx.request.kind === 'write_off' ? 'write-off' : 'repayment') : result;
  const unchanged: store.LoanStateUpdate = {
    status: loan.status,
    outstanding_principal: loan.outstanding_principal,
    accrued_interest: state.accrued_interest,
    penalty_due: loan.penalty_due,
    last_accrual_date: state.last_accrual_date,
    maturity_date: loan.maturity_date,
    clear_carry: false,
    closed_at: null,
  };
  if (refused || !result.ok) {
    // The catch-up stands (COB's own postings for those days); the customer's money did not move.
    if (accruals.length > 0) await store.updateLoanState(tx, loan.id, unchanged, now);
    return refused ?? { ok: false, code: 'internal_error', detail: 'unreachable' };
  }
  if (result.kind === 'write_off') return settleWriteOff(tx, ctx, planned, result.write_off, unchanged, now);
  return settleChange(tx, ctx, planned, result, unchanged, now);
}

async function settleWriteOff(tx: Queryable, ctx: OperationContext, planned: Extract<Planned, { kind: 'change' }>, writeOff: WriteOff, unchanged: store.LoanStateUpdate, now: Date): Promise<OperationOutcome> {
  const { amounts, unpaid_rows, category } = writeOff;
  const collected = { penalty: 0n, fee: 0n, interest: 0n, principal: 0n };
  const change: LoanChange = { collected, early_repayment_fee: 0n, prepaid_principal: 0n, patches: [], supersede: unpaid_rows, new_rows: [], closes: false, maturity_date: null };
  await writeRows(tx, planned.loan.id, change);
  const details = {
    written_off: { principal: amounts.principal, from_allowance: amounts.from_allowance, interest: amounts.interest, penalty: amounts.penalty, fee: amounts.fee, category },
    reason: ctx.request.kind === 'write_off' ? ctx.request.reason : '',
  };
  const operation = record(ctx, planned, 'write_off', 0n, collected, change, now, details);
  const writtenOff: store.LoanStateUpdate = { ...unchanged, status: 'written_off', outstanding_principal: 0n, accrued_interest: 0n, penalty_due: 0n, clear_carry: true, closed_at: now };
  const line = planned.loan.line;
  if (line) {
    // A line's unbilled interest is part of accrued_interest (reversed above); its balance, carry and statements end here.
    const cleared = { drawn: planned.loan.principal, unbilled_principal: 0n, unbilled_interest: 0n, carry_num: '0', carry_den: '1', last_statement_date: line.last_statement_date, next_statement_date: null };
    await store.updateLineState(tx, planned.loan.id, writtenOff, cleared, now);
  } else await store.updateLoanState(tx, planned.loan.id, writtenOff, now);
  await store.insertOperation(tx, operation);
  return { ok: true, operation, replayed: false };
}

async function settleChange(
  tx: Queryable,
  ctx: OperationContext,
  planned: Extract<Planned, { kind: 'change' }>,
  result: Extract<ChangeResult, { ok: true }>,
  unchanged: store.LoanStateUpdate,
  now: Date,
): Promise<OperationOutcome> {
  const { loan, state } = planned;
  const { change } = result;
  const collected = change.collected;
  const kind: store.OperationKind = result.kind === 'restructure' ? 'restructure' : result.kind === 'payoff' || ctx.request.kind === 'payoff' ? 'payoff' : 'repayment';
  const next: store.LoanStateUpdate = {
    ...unchanged,
    status: change.closes ? 'closed' : 'active',
    outstanding_principal: loan.outstanding_principal - collected.principal,
    accrued_interest: state.accrued_interest - collected.interest,
    penalty_due: loan.penalty_due - collected.penalty,
    maturity_date: change.maturity_date ?? loan.maturity_date,
    clear_carry: change.closes,
    closed_at: change.closes ? now : null,
  };
  if (next.outstanding_principal < 0n || next.accrued_interest < 0n || next.penalty_due < 0n) {
    throw new Error(`loan ${loan.id}: the operation would leave a negative balance (${next.outstanding_principal}, ${next.accrued_interest}, ${next.penalty_due})`);
  }
  await writeRows(tx, loan.id, change);
  const rows = loanState(loan, await store.instalmentsOf(tx, loan.id)).rows;
  // The invariants of the rows (loan-state.ts): they sum to the principal, and what they leave unpaid is the outstanding principal.
  const unpaidPrincipal = rows.reduce((s, r) => s + r.principal - r.paid_principal, 0n);
  if (scheduledPrincipal(rows) !== loan.principal || unpaidPrincipal !== next.outstanding_principal) {
    throw new Error(`loan ${loan.id}: after ${kind} the rows sum to ${scheduledPrincipal(rows)} (principal ${loan.principal}) and leave ${unpaidPrincipal} unpaid (outstanding ${next.outstanding_principal})`);
  }
  const details: Record<string, unknown> = {};
  if (result.allocation) details.allocation = result.allocation.by_component;
  if (result.quote) details.payoff = result.quote;
  if (ctx.request.kind === 'restructure') details.term_periods = ctx.request.term_periods;
  const amount = collected.penalty + collected.fee + collected.interest + collected.principal;
  const operation = record(ctx, planned, kind, amount, collected, change, now, details);
  await store.updateLoanState(tx, loan.id, next, now);
  await store.insertOperation(tx, operation);
  return { ok: true, operation, replayed: false };
}

async function writeRows(tx: Queryable, loanId: string, change: LoanChange): Promise<void> {
  await store.patchInstalments(tx, loanId, change.patches);
  await store.supersedeInstalments(tx, loanId, change.supersede);
  await store.insertInstalments(tx, loanId, change.new_rows);
}

/** The operation's stored record; its `result` is what the client gets, now and on every replay. */
export function record(
  ctx: OperationContext,
  planned: Pick<Extract<Planned, { kind: 'change' }>, 'loan' | 'date' | 'accruals' | 'chain' | 'accrued_minor' | 'accrued_through'>,
  kind: store.OperationKind,
  amount: bigint,
  collected: Components,
  change: LoanChange,
  now: Date,
  details: Record<string, unknown>,
): store.OperationRecord {
  const transfers = [...planned.accruals, ...planned.chain].map((t) => t.id);
  return {
    id: ctx.operation_id,
    loan_id: planned.loan.id,
    kind,
    fingerprint: ctx.fingerprint,
    business_date: planned.date,
    amount,
    paid_penalty: collected.penalty,
    paid_fee: collected.fee,
    paid_interest: collected.interest,
    paid_principal: collected.principal,
    prepaid_principal: change.prepaid_principal,
    early_repayment_fee: change.early_repayment_fee,
    result: jsonSafe({
      interest_accrued_minor: planned.accrued_minor,
      interest_accrued_through: planned.accrued_through,
      closed: change.closes,
      schedule_rebuilt: change.new_rows.some((r) => r.kind === 'scheduled'),
      maturity_date: change.maturity_date,
      transfer_ids: transfers,
      ...details,
    }),
    created_at: now,
  };
}

/** bigints as decimal strings, like the API. */
export function jsonSafe(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}

export type { LoanAccounts };

/**
 * Servicing a revolving line inside the ledger writer's transaction (servicing.ts hands a
 * line's drawdowns, repayments, payoffs and restructures here; write-offs are the same for
 * both): under the line's row lock, catch up what COB has not done yet — the days' interest
 * before today and the statements due up to today (line-state.ts `lineCatchUp`, COB's own
 * posting ids and rules) — then plan the operation with the pure core, let the ledger apply
 * its chain with the rest of the batch, and write the line's rows from the results.
 */
import type { Queryable } from '../db/port.js';
import type { TransferInput, TransferResult } from '../ledger/types.js';
import { carryFromText } from './cob-core.js';
import { lineTerms, type LineTerms } from './credit-line.js';
import type { BusinessDate } from './dates.js';
import { checkDrawdown, lineCatchUp, lineRowsMismatch, planLineRepayment, quoteLinePayoff, type LineChange, type LineState } from './line-state.js';
import { servicingDate, sortRows, unpaid, zero, type InstalmentRow } from './loan-state.js';
import { accrualPostings, drawdownPostings, repaymentPostings } from './postings.js';
import type { LoanProduct } from './products.js';
import { ledgerOf, ledgerRefusal, record, type OperationContext, type OperationOutcome, type Refusal } from './servicing.js';
import * as store from './store.js';

/** What the work decided in `plan`, for `settle`. */
export interface LinePlan {
  loan: store.LoanRecord;
  date: BusinessDate;
  /** The line after the catch-up, before the operation. */
  caught: LineState;
  statements: InstalmentRow[];
  accruals: TransferInput[];
  accrued_minor: bigint;
  accrued_through: BusinessDate | null;
  chain: TransferInput[];
  result: { ok: true; kind: 'drawdown'; amount_minor: bigint } | { ok: true; kind: 'repayment' | 'payoff'; change: LineChange; details: Record<string, unknown> } | Refusal;
}

export function lineTermsOf(loan: store.LoanRecord, product: LoanProduct): LineTerms {
  return lineTerms(product, loan.start_date, Number(loan.terms.term_periods));
}

/** The line's state as the pure core sees it (rows not superseded). */
export function lineStateOf(loan: store.LoanRecord, all: readonly InstalmentRow[]): LineState {
  const line = loan.line;
  if (!line) throw new Error(`loan ${loan.id} is not a revolving line`);
  return {
    id: loan.id,
    status: loan.status,
    credit_limit: line.credit_limit,
    drawn_minor: loan.principal,
    outstanding_principal: loan.outstanding_principal,
    unbilled_principal: line.unbilled_principal,
    accrued_interest: loan.accrued_interest,
    unbilled_interest: line.unbilled_interest,
    penalty_due: loan.penalty_due,
    carry: carryFromText(line.carry_num, line.carry_den),
    last_accrual_date: loan.last_accrual_date,
    last_statement_date: line.last_statement_date,
    next_statement_date: line.next_statement_date,
    rows: sortRows(all.filter((r) => r.status !== 'superseded')),
    next_number: all.reduce((m, r) => Math.max(m, r.number), 0) + 1,
  };
}

export async function planLineOperation(tx: Queryable, ctx: OperationContext, loan: store.LoanRecord, transfers_max: number): Promise<LinePlan | Refusal> {
  const request = ctx.request;
  if (request.kind === 'write_off') throw new Error('a line is written off like a loan (servicing.ts)');
  if (request.kind === 'restructure') {
    return { ok: false, code: 'not_applicable_to_credit_line', detail: 'a revolving line is not restructured: its balance is repaid by statements until maturity' };
  }
  if (loan.status !== 'active') return { ok: false, code: request.kind === 'drawdown' ? 'credit_line_closed' : 'loan_not_active', detail: `the line is ${loan.status}` };
  const terms = lineTermsOf(loan, ctx.product(loan.terms));
  const date = servicingDate(ctx.today, loan.last_accrual_date);
  const catchUp = lineCatchUp(lineStateOf(loan, await store.instalmentsOf(tx, loan.id)), terms, date);
  if (catchUp.accruals.length + 8 > transfers_max) {
    return { ok: false, code: 'cob_behind', detail: `${catchUp.accruals.length} days of interest are not accrued; run the close of business first` };
  }
  const ledger = ledgerOf(loan);
  const caught = catchUp.state;
  const plan = {
    loan,
    date,
    caught,
    statements: catchUp.statements,
    accruals: accrualPostings(ledger, catchUp.accruals),
    accrued_minor: catchUp.accruals.reduce((s, d) => s + d.amount_minor, 0n),
    accrued_through: caught.last_accrual_date,
  };
  if (request.kind === 'drawdown') {
    const checked = checkDrawdown(caught, terms, request.amount_minor, date);
    if (!checked.ok) return { ...plan, chain: [], result: checked };
    return { ...plan, chain: drawdownPostings(ledger, ctx.operation_id, request.amount_minor), result: { ok: true, kind: 'drawdown', amount_minor: request.amount_minor } };
  }
  const quote = quoteLinePayoff(caught, date);
  if (request.kind === 'payoff' && request.amount_minor !== undefined && request.amount_minor !== quote.total_minor) {
    return { ...plan, chain: [], result: { ok: false, code: 'payoff_amount_changed', field: 'amount', detail: `the payoff on ${date} is ${quote.total_minor}, not ${request.amount_minor}` } };
  }
  const payoff = request.kind === 'payoff';
  const planned = planLineRepayment(caught, terms, payoff ? quote.total_minor : request.amount_minor, date, payoff);
  if (!planned.ok) return { ...plan, chain: [], result: planned };
  const details: Record<string, unknown> = { allocation: planned.allocation.by_component, ...(planned.quote ? { payoff: planned.quote } : {}) };
  return {
    ...plan,
    chain: repaymentPostings(ledger, ctx.operation_id, planned.change.collected, 0n),
    result: { ok: true, kind: planned.kind, change: planned.change, details },
  };
}

export async function settleLineOperation(tx: Queryable, ctx: OperationContext, plan: LinePlan, results: readonly TransferResult[], now: Date): Promise<OperationOutcome> {
  const { loan, caught, accruals, result } = plan;
  results.slice(0, accruals.length).forEach((r, i) => {
    if (!r.ok || r.replayed) throw new Error(`interest catch-up ${accruals[i]!.id} for line ${loan.id}: ${r.ok ? 'already posted, yet the line was not marked accrued' : r.code}`);
  });
  // The catch-up stands whatever happens to the operation: it is COB's own work for those days.
  await store.insertInstalments(tx, loan.id, plan.statements, true);
  const refused = result.ok ? ledgerRefusal(results.slice(accruals.length), result.kind) : result;
  if (refused || !result.ok) {
    if (accruals.length > 0 || plan.statements.length > 0) await write(tx, loan, caught, now);
    return refused ?? { ok: false, code: 'internal_error', detail: 'unreachable' };
  }
  if (result.kind === 'drawdown') {
    const amount = result.amount_minor;
    const after = { ...caught, drawn_minor: caught.drawn_minor + amount, outstanding_principal: caught.outstanding_principal + amount, unbilled_principal: caught.unbilled_principal + amount };
    await write(tx, loan, after, now);
    const change = { ...noChange(), prepaid_principal: 0n };
    const operation = record(ctx, { ...plan, loan }, 'drawdown', amount, zero(), change, now, { statements_cut: plan.statements.map((r) => r.number), available_after: after.credit_limit - after.outstanding_principal });
    await store.insertOperation(tx, operation);
    return { ok: true, operation, replayed: false };
  }
  const { change } = result;
  const c = change.collected;
  const after: LineState = {
    ...caught,
    status: change.closes ? 'closed' : 'active',
    outstanding_principal: caught.outstanding_principal - c.principal,
    unbilled_principal: caught.unbilled_principal - change.unbilled_principal_paid,
    accrued_interest: caught.accrued_interest - c.interest,
    unbilled_interest: caught.unbilled_interest - change.unbilled_interest_paid,
    penalty_due: caught.penalty_due - c.penalty,
    ...(change.closes ? { carry: { num: 0n, den: 1n }, next_statement_date: null } : {}),
  };
  await store.patchInstalments(tx, loan.id, change.patches);
  await store.supersedeInstalments(tx, loan.id, change.supersede);
  await store.insertInstalments(tx, loan.id, change.new_rows);
  await checkRows(tx, after);
  await write(tx, loan, after, now);
  const amount = c.penalty + c.fee + c.interest + c.principal;
  const operation = record(ctx, { ...plan, loan }, result.kind, amount, c, change, now, { ...result.details, statements_cut: plan.statements.map((r) => r.number) });
  await store.insertOperation(tx, operation);
  return { ok: true, operation, replayed: false };
}

const noChange = () => ({ collected: zero(), early_repayment_fee: 0n, patches: [], supersede: [], new_rows: [], closes: false, maturity_date: null });

/** The line's row from its state (the loan's fields and the line's own, in one statement). */
async function write(tx: Queryable, loan: store.LoanRecord, s: LineState, now: Date): Promise<void> {
  const closed = s.status !== 'active';
  await store.updateLineState(
    tx,
    loan.id,
    {
      status: s.status,
      outstanding_principal: s.outstanding_principal,
      accrued_interest: s.accrued_interest,
      penalty_due: s.penalty_due,
      last_accrual_date: s.last_accrual_date,
      maturity_date: loan.maturity_date,
      clear_carry: closed,
      closed_at: closed ? now : null,
    },
    {
      drawn: s.drawn_minor,
      unbilled_principal: s.unbilled_principal,
      unbilled_interest: s.unbilled_interest,
      carry_num: s.carry.num.toString(),
      carry_den: s.carry.den.toString(),
      last_statement_date: s.last_statement_date,
      next_statement_date: s.next_statement_date,
    },
    now,
  );
}

/** The line's rows after the operation agree with its balances (line-state.ts), and a closed line leaves nothing unpaid. */
async function checkRows(tx: Queryable, s: LineState): Promise<void> {
  const rows = await store.instalmentsOf(tx, s.id);
  const mismatch = lineRowsMismatch(rows, s);
  if (mismatch) throw new Error(`line ${s.id}: ${mismatch}`);
  if (s.status === 'closed' && rows.some((r) => r.status !== 'superseded' && unpaid(r) > 0n)) throw new Error(`line ${s.id} closes with unpaid rows`);
}

/**
 * A reference model of COB and servicing for the tests, written from the pure lending core
 * alone (accrualForDate over scheduleOf the live rows, allocateRepayment,
 * oldestUnpaidDueDate, daysPastDue, penaltyForDay, classifyByDpd, provisionFor, and for
 * servicing planRepayment / quotePayoff from loan-state.ts), one loan at a time, in memory.
 * The tests run the real set-based COB and the real servicing work over the same days and
 * operations and compare every figure.
 *
 * Rows are the loan's instalment rows as the store keeps them (loan-state.ts): a partial
 * prepayment or payoff supersedes rows and appends a settlement row and a rebuilt schedule;
 * a write-off supersedes every row not paid.
 */
import { accrualForDate, penaltyForDay } from '../../src/lending/accrual.js';
import { allocateRepayment, type InstalmentDue } from '../../src/lending/allocation.js';
import { classifyByDpd, daysPastDue, oldestUnpaidDueDate, provisionFor, type LoanCategory } from '../../src/lending/aging.js';
import { daysBetween, type BusinessDate } from '../../src/lending/dates.js';
import { planRepayment, quotePayoff, rowsFromSchedule, scheduleOf, sortRows, type InstalmentRow, type LoanState } from '../../src/lending/loan-state.js';
import type { LoanProduct } from '../../src/lending/products.js';
import { ZERO, type Rational } from '../../src/lending/rational.js';
import type { TestLoan } from './lending-cob.js';

export interface ModelLoan {
  id: string;
  product: LoanProduct;
  start_date: BusinessDate;
  account_id: string;
  currency: string;
  /** Every row, superseded ones too, by line number. */
  rows: InstalmentRow[];
  status: 'active' | 'closed' | 'written_off';
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  carry: Rational;
  days_past_due: number;
  max_days_past_due: number;
  category: LoanCategory;
}

/** What a servicing operation did in the model: the refusal the real one must give too, or what it collected. */
export type ModelOutcome = { ok: true; collected_minor: bigint; closes: boolean } | { ok: false; code: string };

const unpaid = (r: InstalmentRow) => ({
  principal_minor: r.principal - r.paid_principal,
  interest_minor: r.interest - r.paid_interest,
  fee_minor: r.fee - r.paid_fee,
});
const unpaidTotal = (r: InstalmentRow) => r.principal - r.paid_principal + (r.interest - r.paid_interest) + (r.fee - r.paid_fee);
const live = (loan: ModelLoan) => loan.rows.filter((r) => r.status !== 'superseded');

export class BookModel {
  readonly loans: ModelLoan[];
  /** Available balance of each customer account. */
  readonly balances = new Map<string, bigint>();
  readonly income = { interest: 0n, penalty: 0n };
  readonly collected = { penalty: 0n, fee: 0n, interest: 0n, principal: 0n };
  /** The allowance per category: what the provision step posted up to on the last COB day, less what write-offs used since. */
  held: Record<LoanCategory, bigint> = { normal: 0n, special_mention: 0n, substandard: 0n, doubtful: 0n, loss: 0n };

  constructor(loans: readonly TestLoan[], balances: ReadonlyMap<string, bigint>) {
    this.loans = [...loans]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((l) => ({
        id: l.id,
        product: l.product,
        start_date: l.schedule.start_date,
        account_id: l.account_id,
        currency: l.currency,
        // As the test helper stores them: every row scheduled, the period number its line number.
        rows: rowsFromSchedule(l.schedule, 1).map((r) => ({ ...r, status: 'scheduled' as const })),
        status: 'active' as const,
        outstanding_principal: l.schedule.principal_minor,
        accrued_interest: 0n,
        penalty_due: 0n,
        carry: ZERO,
        days_past_due: 0,
        max_days_past_due: 0,
        category: 'normal' as const,
      }));
    for (const [id, balance] of balances) this.balances.set(id, balance);
  }

  loan(id: string): ModelLoan {
    const found = this.loans.find((l) => l.id === id);
    if (!found) throw new Error(`no model loan ${id}`);
    return found;
  }

  deposit(account_id: string, amount: bigint): void {
    this.balances.set(account_id, (this.balances.get(account_id) ?? 0n) + amount);
  }

  cobDay(date: BusinessDate): void {
    const active = this.loans.filter((l) => l.status === 'active');
    for (const loan of active) this.accrue(loan, date);
    for (const loan of active) this.markDue(loan, date);
    for (const loan of active) this.collect(loan, date);
    for (const loan of active) if (loan.status === 'active') this.age(loan, date);
    this.held = this.provisions();
  }

  /** Required provision per category: each loan's provisionFor, summed. */
  provisions(): Record<LoanCategory, bigint> {
    const out: Record<LoanCategory, bigint> = { normal: 0n, special_mention: 0n, substandard: 0n, doubtful: 0n, loss: 0n };
    for (const loan of this.loans) if (loan.status === 'active') out[loan.category] += provisionFor(loan.category, loan.outstanding_principal);
    return out;
  }

  /**
   * A repayment (`amount`) or a payoff (no amount) on `date`, before that day's COB, by the
   * core servicing uses: what is due first, the rest prepays and rebuilds the schedule, the
   * exact payoff closes the loan. Refused if the core refuses or the account is short.
   */
  repay(id: string, date: BusinessDate, amount: bigint | 'payoff'): ModelOutcome {
    const loan = this.loan(id);
    if (loan.status !== 'active') return { ok: false, code: 'loan_not_active' };
    const state = this.state(loan);
    let planned;
    if (amount === 'payoff') {
      const quoted = quotePayoff(loan.product, state, date);
      if (!quoted.ok) return { ok: false, code: quoted.code };
      planned = planRepayment(loan.product, state, quoted.quote.total_minor, date);
    } else {
      planned = planRepayment(loan.product, state, amount, date);
    }
    if (!planned.ok) return { ok: false, code: planned.code };
    const { change } = planned;
    const c = change.collected;
    const total = c.penalty + c.fee + c.interest + c.principal;
    const balance = this.balances.get(loan.account_id) ?? 0n;
    if (balance < total) return { ok: false, code: 'exceeds_credits' };
    this.balances.set(loan.account_id, balance - total);
    const patches = new Map(change.patches.map((p) => [p.number, p]));
    const gone = new Set(change.supersede);
    loan.rows = loan.rows.map((r) => (gone.has(r.number) ? { ...r, status: 'superseded' as const } : patches.has(r.number) ? { ...r, ...patches.get(r.number)! } : r));
    loan.rows.push(...change.new_rows);
    loan.outstanding_principal -= c.principal;
    loan.accrued_interest -= c.interest;
    loan.penalty_due -= c.penalty;
    if (change.closes) {
      loan.status = 'closed';
      loan.carry = ZERO;
    }
    this.collected.penalty += c.penalty;
    this.collected.fee += c.fee;
    this.collected.interest += c.interest;
    this.collected.principal += c.principal;
    return { ok: true, collected_minor: total, closes: change.closes };
  }

  /**
   * A write-off: the principal against its category's allowance (at most the provision for
   * it and what the allowance holds), the rest to expense; every unpaid row superseded.
   */
  writeOff(id: string): ModelOutcome {
    const loan = this.loan(id);
    if (loan.status !== 'active') return { ok: false, code: 'loan_not_active' };
    const principal = loan.outstanding_principal;
    const allowance = this.held[loan.category];
    const fromAllowance = [provisionFor(loan.category, principal), allowance < 0n ? 0n : allowance, principal].reduce((a, b) => (b < a ? b : a));
    this.held = { ...this.held, [loan.category]: allowance - fromAllowance };
    loan.rows = loan.rows.map((r) => (r.status !== 'paid' && r.status !== 'superseded' ? { ...r, status: 'superseded' as const } : r));
    loan.status = 'written_off';
    loan.outstanding_principal = 0n;
    loan.accrued_interest = 0n;
    loan.penalty_due = 0n;
    loan.carry = ZERO;
    return { ok: true, collected_minor: 0n, closes: false };
  }

  private state(loan: ModelLoan): LoanState {
    return {
      id: loan.id,
      status: loan.status,
      start_date: loan.start_date,
      outstanding_principal: loan.outstanding_principal,
      accrued_interest: loan.accrued_interest,
      penalty_due: loan.penalty_due,
      last_accrual_date: null,
      rows: sortRows(live(loan)),
      next_number: loan.rows.reduce((m, r) => Math.max(m, r.number), 0) + 1,
    };
  }

  private accrue(loan: ModelLoan, date: BusinessDate): void {
    const { amount_minor } = accrualForDate(scheduleOf(loan.product, loan.start_date, live(loan)), date);
    loan.accrued_interest += amount_minor;
    this.income.interest += amount_minor;
  }

  private markDue(loan: ModelLoan, date: BusinessDate): void {
    for (const r of loan.rows) {
      if (r.status !== 'scheduled' || r.due_date > date) continue;
      r.status = unpaidTotal(r) === 0n ? 'paid' : 'due';
    }
  }

  private dues(loan: ModelLoan, date: BusinessDate): (InstalmentDue & { r: InstalmentRow })[] {
    return sortRows(live(loan))
      .filter((r) => (r.status === 'due' || r.status === 'overdue') && r.due_date <= date)
      .map((r) => ({ r, instalment_number: r.number, due_date: r.due_date, penalty_minor: 0n, ...unpaid(r) }));
  }

  private collect(loan: ModelLoan, date: BusinessDate): void {
    const dues = this.dues(loan, date);
    if (dues.length === 0 && loan.penalty_due === 0n) return;
    let balance = this.balances.get(loan.account_id) ?? 0n;
    const penalty = balance < loan.penalty_due ? (balance > 0n ? balance : 0n) : loan.penalty_due;
    balance -= penalty;
    loan.penalty_due -= penalty;
    this.collected.penalty += penalty;
    const allocation = allocateRepayment(dues, balance > 0n ? balance : 0n, date);
    allocation.applied.forEach((applied) => {
      const due = dues.find((d) => d.instalment_number === applied.instalment_number)!;
      due.r.paid_fee += applied.fee_minor;
      due.r.paid_interest += applied.interest_minor;
      due.r.paid_principal += applied.principal_minor;
      if (unpaidTotal(due.r) === 0n) due.r.status = 'paid';
    });
    const { fee_minor, interest_minor, principal_minor } = allocation.by_component;
    balance -= fee_minor + interest_minor + principal_minor;
    this.balances.set(loan.account_id, balance);
    loan.accrued_interest -= interest_minor;
    loan.outstanding_principal -= principal_minor;
    this.collected.fee += fee_minor;
    this.collected.interest += interest_minor;
    this.collected.principal += principal_minor;
    const anyUnpaid = live(loan).some((r) => unpaidTotal(r) > 0n);
    if (principal_minor > 0n && loan.outstanding_principal === 0n && loan.accrued_interest === 0n && loan.penalty_due === 0n && !anyUnpaid) {
      loan.status = 'closed';
      loan.days_past_due = 0;
    }
  }

  private age(loan: ModelLoan, date: BusinessDate): void {
    const dues = this.dues(loan, date);
    if (dues.length === 0 && loan.days_past_due === 0 && loan.penalty_due === 0n) return;
    const oldest = oldestUnpaidDueDate(dues, date);
    const dpd = daysPastDue(oldest, date);
    const grace = loan.product.grace_days;
    let overdue = 0n;
    for (const due of dues) if (daysBetween(due.due_date, date) > grace) overdue += due.principal_minor;
    const penalty = penaltyForDay(overdue, loan.product, loan.carry);
    loan.penalty_due += penalty.amount_minor;
    this.income.penalty += penalty.amount_minor;
    loan.carry = penalty.carry;
    loan.days_past_due = dpd;
    loan.max_days_past_due = Math.max(loan.max_days_past_due, dpd);
    loan.category = classifyByDpd(dpd);
    for (const due of dues) if (due.r.status === 'due' && daysBetween(due.due_date, date) > grace) due.r.status = 'overdue';
  }
}

/** Every difference between the database and the model, as readable lines (empty: none). */
export async function modelMismatches(db: import('../../src/db/port.js').Db, model: BookModel): Promise<string[]> {
  const out: string[] = [];
  const ids = model.loans.map((l) => l.id);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id::text AS id, status, outstanding_principal, accrued_interest, penalty_due, penalty_carry_num::text AS cn, penalty_carry_den::text AS cd,
            days_past_due, max_days_past_due, category FROM loans WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const { rows: inst } = await db.query<Record<string, unknown>>(
    `SELECT loan_id::text AS loan_id, number, kind, due_date::text AS due_date, principal, interest, fee, paid_principal, paid_interest, paid_fee, status FROM loan_instalments WHERE loan_id = ANY($1::uuid[])`,
    [ids],
  );
  const instOf = new Map(inst.map((r) => [`${r.loan_id}:${r.number}`, r]));
  for (const loan of model.loans) {
    const row = byId.get(loan.id)!;
    const expect = (field: string, actual: unknown, expected: unknown) => {
      if (String(actual) !== String(expected)) out.push(`${loan.id.slice(0, 8)} ${field}: db ${actual}, model ${expected}`);
    };
    expect('status', row.status, loan.status);
    expect('outstanding', row.outstanding_principal, loan.outstanding_principal);
    expect('accrued_interest', row.accrued_interest, loan.accrued_interest);
    expect('penalty_due', row.penalty_due, loan.penalty_due);
    if (BigInt(row.cn as string) * loan.carry.den !== loan.carry.num * BigInt(row.cd as string)) out.push(`${loan.id.slice(0, 8)} carry: db ${row.cn}/${row.cd}, model ${loan.carry.num}/${loan.carry.den}`);
    expect('days_past_due', row.days_past_due, loan.days_past_due);
    expect('max_days_past_due', row.max_days_past_due, loan.max_days_past_due);
    expect('category', row.category, loan.category);
    const dbRows = inst.filter((r) => r.loan_id === loan.id).length;
    if (dbRows !== loan.rows.length) out.push(`${loan.id.slice(0, 8)} rows: db ${dbRows}, model ${loan.rows.length}`);
    for (const m of loan.rows) {
      const r = instOf.get(`${loan.id}:${m.number}`);
      const tag = `#${m.number}`;
      if (!r) {
        out.push(`${loan.id.slice(0, 8)} ${tag}: missing in db`);
        continue;
      }
      expect(`${tag} kind`, r.kind, m.kind);
      expect(`${tag} due_date`, r.due_date, m.due_date);
      expect(`${tag} principal`, r.principal, m.principal);
      expect(`${tag} interest`, r.interest, m.interest);
      expect(`${tag} fee`, r.fee, m.fee);
      expect(`${tag} paid_principal`, r.paid_principal, m.paid_principal);
      expect(`${tag} paid_interest`, r.paid_interest, m.paid_interest);
      expect(`${tag} paid_fee`, r.paid_fee, m.paid_fee);
      expect(`${tag} status`, r.status, m.status);
    }
  }
  const accounts = [...model.balances.keys()];
  const { rows: balances } = await db.query<{ id: string; available: bigint }>(
    `SELECT id::text AS id, credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = ANY($1::uuid[])`,
    [accounts],
  );
  for (const b of balances) if (b.available !== model.balances.get(b.id)) out.push(`customer ${b.id.slice(0, 8)}: db ${b.available}, model ${model.balances.get(b.id)}`);
  return out;
}

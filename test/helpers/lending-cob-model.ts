/**
 * A reference model of COB for the tests, written from the pure lending core alone
 * (accrualForDate, allocateRepayment, oldestUnpaidDueDate, daysPastDue, penaltyForDay,
 * classifyByDpd, provisionFor), one loan at a time, in memory. The tests run the real
 * set-based COB and this model over the same days and compare every figure.
 */
import { accrualForDate, penaltyForDay } from '../../src/lending/accrual.js';
import { allocateRepayment, type InstalmentDue } from '../../src/lending/allocation.js';
import { classifyByDpd, daysPastDue, oldestUnpaidDueDate, provisionFor, type LoanCategory } from '../../src/lending/aging.js';
import { daysBetween, type BusinessDate } from '../../src/lending/dates.js';
import type { LoanProduct } from '../../src/lending/products.js';
import { ZERO, type Rational } from '../../src/lending/rational.js';
import type { Instalment } from '../../src/lending/schedule.js';
import type { TestLoan } from './lending-cob.js';

export interface ModelInstalment {
  source: Instalment;
  paid_principal: bigint;
  paid_interest: bigint;
  paid_fee: bigint;
  status: 'scheduled' | 'due' | 'overdue' | 'paid';
}

export interface ModelLoan {
  id: string;
  product: LoanProduct;
  account_id: string;
  currency: string;
  instalments: ModelInstalment[];
  status: 'active' | 'closed';
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  carry: Rational;
  days_past_due: number;
  max_days_past_due: number;
  category: LoanCategory;
}

const unpaid = (i: ModelInstalment) => ({
  principal_minor: i.source.principal_minor - i.paid_principal,
  interest_minor: i.source.interest_minor - i.paid_interest,
  fee_minor: i.source.fee_minor - i.paid_fee,
});

export class BookModel {
  readonly loans: ModelLoan[];
  /** Available balance of each customer account. */
  readonly balances = new Map<string, bigint>();
  readonly income = { interest: 0n, penalty: 0n };
  readonly collected = { penalty: 0n, fee: 0n, interest: 0n, principal: 0n };
  /** The allowance per category after the last COB day (what the provision step posted up to). */
  held: Record<LoanCategory, bigint> = { normal: 0n, special_mention: 0n, substandard: 0n, doubtful: 0n, loss: 0n };

  constructor(loans: readonly TestLoan[], balances: ReadonlyMap<string, bigint>) {
    this.loans = [...loans]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((l) => ({
        id: l.id,
        product: l.product,
        account_id: l.account_id,
        currency: l.currency,
        instalments: l.schedule.instalments.map((source) => ({ source, paid_principal: 0n, paid_interest: 0n, paid_fee: 0n, status: 'scheduled' as const })),
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

  private accrue(loan: ModelLoan, date: BusinessDate): void {
    const { amount_minor } = accrualForDate({ instalments: loan.instalments.map((i) => i.source) }, date);
    loan.accrued_interest += amount_minor;
    this.income.interest += amount_minor;
  }

  private markDue(loan: ModelLoan, date: BusinessDate): void {
    for (const i of loan.instalments) {
      if (i.status !== 'scheduled' || i.source.due_date > date) continue;
      const left = unpaid(i);
      i.status = left.principal_minor + left.interest_minor + left.fee_minor === 0n ? 'paid' : 'due';
    }
  }

  private dues(loan: ModelLoan, date: BusinessDate): (InstalmentDue & { i: ModelInstalment })[] {
    return loan.instalments
      .filter((i) => (i.status === 'due' || i.status === 'overdue') && i.source.due_date <= date)
      .map((i) => ({ i, instalment_number: i.source.number, due_date: i.source.due_date, penalty_minor: 0n, ...unpaid(i) }));
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
      due.i.paid_fee += applied.fee_minor;
      due.i.paid_interest += applied.interest_minor;
      due.i.paid_principal += applied.principal_minor;
      const left = unpaid(due.i);
      if (left.principal_minor + left.interest_minor + left.fee_minor === 0n) due.i.status = 'paid';
    });
    const { fee_minor, interest_minor, principal_minor } = allocation.by_component;
    balance -= fee_minor + interest_minor + principal_minor;
    this.balances.set(loan.account_id, balance);
    loan.accrued_interest -= interest_minor;
    loan.outstanding_principal -= principal_minor;
    this.collected.fee += fee_minor;
    this.collected.interest += interest_minor;
    this.collected.principal += principal_minor;
    const anyUnpaid = loan.instalments.some((i) => {
      const left = unpaid(i);
      return left.principal_minor + left.interest_minor + left.fee_minor > 0n;
    });
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
    for (const due of dues) if (due.i.status === 'due' && daysBetween(due.due_date, date) > grace) due.i.status = 'overdue';
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
    `SELECT loan_id::text AS loan_id, number, paid_principal, paid_interest, paid_fee, status FROM loan_instalments WHERE loan_id = ANY($1::uuid[])`,
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
    for (const i of loan.instalments) {
      const r = instOf.get(`${loan.id}:${i.source.number}`)!;
      const tag = `#${i.source.number}`;
      expect(`${tag} paid_principal`, r.paid_principal, i.paid_principal);
      expect(`${tag} paid_interest`, r.paid_interest, i.paid_interest);
      expect(`${tag} paid_fee`, r.paid_fee, i.paid_fee);
      expect(`${tag} status`, r.status, i.status);
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

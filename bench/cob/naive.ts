/**
 * The per-loan baseline: the same COB day, the way a loop of per-loan transactions does
 * it. For each loan and each step: read the loan (and its instalments and customer
 * balance), decide with the pure core (accrualForDate, allocateRepayment, ageLoan), submit
 * its transfers through the ledger's normal path (one writer transaction each, awaited),
 * then write the loan's rows. Steps in COB's order, loans one at a time.
 */
import type { Db } from '../../src/db/port.js';
import type { Ledger } from '../../src/ledger/service.js';
import type { AccountId, TransferId, TransferInput } from '../../src/ledger/types.js';
import { accrualForDate } from '../../src/lending/accrual.js';
import { allocateRepayment, type InstalmentDue } from '../../src/lending/allocation.js';
import { bankAccount, LendingTransferCodes, postingId } from '../../src/lending/accounts.js';
import { ageLoan, carryFromText, cobTerms, type CobStep } from '../../src/lending/cob-core.js';
import { daysBetween, type BusinessDate } from '../../src/lending/dates.js';
import type { Instalment } from '../../src/lending/schedule.js';

export interface NaiveStep {
  step: CobStep;
  loans: number;
  seconds: number;
  transfers: number;
}

interface InstalmentRow {
  number: number;
  period_start: string;
  due_date: string;
  principal: bigint;
  interest: bigint;
  fee: bigint;
  paid_principal: bigint;
  paid_interest: bigint;
  paid_fee: bigint;
  status: string;
}

const INSTALMENTS_SQL = `SELECT number, period_start::text AS period_start, due_date::text AS due_date, principal, interest, fee, paid_principal, paid_interest, paid_fee, status
  FROM loan_instalments WHERE loan_id = $1::uuid AND status <> 'superseded' ORDER BY due_date, number`;

async function submit(ledger: Ledger, transfers: TransferInput[]): Promise<void> {
  if (transfers.length === 0) return;
  const results = await ledger.submitTransfers(transfers);
  const bad = results.find((r) => !r.ok);
  if (bad && !bad.ok) throw new Error(`baseline transfer refused: ${bad.code}`);
}

const tid = (id: string) => id as TransferId;
const acct = (id: string) => id as AccountId;

export async function naiveCob(db: Db, ledger: Ledger, date: BusinessDate, ids: readonly string[], progress: (line: string) => void): Promise<NaiveStep[]> {
  const steps: NaiveStep[] = [];
  const timed = async (step: CobStep, scope: readonly string[], one: (id: string) => Promise<number>) => {
    const started = performance.now();
    let transfers = 0;
    for (const id of scope) transfers += await one(id);
    const result = { step, loans: scope.length, seconds: (performance.now() - started) / 1000, transfers };
    steps.push(result);
    progress(`  baseline ${step}: ${scope.length.toLocaleString('en-US')} loans in ${result.seconds.toFixed(1)} s (${Math.round(scope.length / Math.max(result.seconds, 1e-9)).toLocaleString('en-US')} loans/s)`);
  };
  const inScope = async (sql: string, withDate = false) => (await db.query<{ id: string }>(sql, withDate ? [ids, date] : [ids])).rows.map((r) => r.id);

  await timed('accrue', ids, async (id) => {
    const loan = (await db.query<{ interest_account_id: string; currency: string }>(`SELECT interest_account_id::text AS interest_account_id, currency FROM loans WHERE id = $1::uuid`, [id])).rows[0]!;
    const rows = (await db.query<InstalmentRow>(INSTALMENTS_SQL, [id])).rows;
    const instalments = rows.map((r) => ({ number: r.number, period_start: r.period_start as BusinessDate, period_end: r.due_date as BusinessDate, days: daysBetween(r.period_start as BusinessDate, r.due_date as BusinessDate), interest_minor: r.interest }));
    // accrualForDate reads only the accruing fields of each instalment.
    const { amount_minor } = accrualForDate({ instalments: instalments as unknown as Instalment[] }, date);
    const transfers: TransferInput[] = amount_minor > 0n
      ? [{ id: tid(postingId(id, 'accrual', date)), debit_account_id: acct(loan.interest_account_id), credit_account_id: acct(bankAccount('interest_income', loan.currency)), amount: amount_minor, code: LendingTransferCodes.interest_accrual, flags: 0 }]
      : [];
    await submit(ledger, transfers);
    await db.query(`UPDATE loans SET accrued_interest = accrued_interest + $2, last_accrual_date = $3::date, updated_at = now() WHERE id = $1::uuid`, [id, amount_minor, date]);
    return transfers.length;
  });

  const dueScope = await inScope(`SELECT DISTINCT loan_id::text AS id FROM loan_instalments WHERE loan_id = ANY($1::uuid[]) AND status = 'scheduled' AND due_date <= $2::date`, true);
  await timed('mark_due', dueScope, async (id) => {
    await db.query(
      `UPDATE loan_instalments SET status = CASE WHEN paid_principal = principal AND paid_interest = interest AND paid_fee = fee THEN 'paid' ELSE 'due' END
       WHERE loan_id = $1::uuid AND status = 'scheduled' AND due_date <= $2::date`,
      [id, date],
    );
    return 0;
  });

  const collectScope = await inScope(
    `SELECT id::text AS id FROM loans WHERE id = ANY($1::uuid[]) AND (penalty_due > 0 OR id IN (SELECT loan_id FROM loan_instalments WHERE loan_id = ANY($1::uuid[]) AND status IN ('due', 'overdue'))) ORDER BY id`,
  );
  await timed('collect', collectScope, async (id) => {
    const loan = (await db.query<Record<string, string | bigint>>(
      `SELECT account_id::text AS account_id, principal_account_id::text AS principal, interest_account_id::text AS interest, penalty_account_id::text AS penalty, fee_account_id::text AS fee, penalty_due, outstanding_principal
       FROM loans WHERE id = $1::uuid`,
      [id],
    )).rows[0]!;
    const available = (await db.query<{ available: bigint }>(`SELECT credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = $1::uuid`, [loan.account_id as string])).rows[0]!.available;
    const rows = (await db.query<InstalmentRow>(INSTALMENTS_SQL, [id])).rows.filter((r) => (r.status === 'due' || r.status === 'overdue') && r.due_date <= date);
    let left = available > 0n ? available : 0n;
    const penalty = left < (loan.penalty_due as bigint) ? left : (loan.penalty_due as bigint);
    left -= penalty;
    const dues: InstalmentDue[] = rows.map((r) => ({ instalment_number: r.number, due_date: r.due_date as BusinessDate, penalty_minor: 0n, fee_minor: r.fee - r.paid_fee, interest_minor: r.interest - r.paid_interest, principal_minor: r.principal - r.paid_principal }));
    const allocation = allocateRepayment(dues, left, date);
    const amounts = { penalty, fee: allocation.by_component.fee_minor, interest: allocation.by_component.interest_minor, principal: allocation.by_component.principal_minor };
    const codes = { penalty: LendingTransferCodes.repayment_penalty, fee: LendingTransferCodes.repayment_fee, interest: LendingTransferCodes.repayment_interest, principal: LendingTransferCodes.repayment_principal };
    const transfers: TransferInput[] = (['penalty', 'fee', 'interest', 'principal'] as const)
      .filter((k) => amounts[k] > 0n)
      .map((k) => ({ id: tid(postingId(id, `collection:${k}`, date)), debit_account_id: acct(loan.account_id as string), credit_account_id: acct(loan[k] as string), amount: amounts[k], code: codes[k], flags: 0 }));
    await submit(ledger, transfers);
    for (const applied of allocation.applied) {
      if (applied.fee_minor + applied.interest_minor + applied.principal_minor === 0n) continue;
      await db.query(
        `UPDATE loan_instalments SET paid_fee = paid_fee + $3, paid_interest = paid_interest + $4, paid_principal = paid_principal + $5,
           status = CASE WHEN paid_fee + $3 = fee AND paid_interest + $4 = interest AND paid_principal + $5 = principal THEN 'paid' ELSE status END
         WHERE loan_id = $1::uuid AND number = $2`,
        [id, applied.instalment_number, applied.fee_minor, applied.interest_minor, applied.principal_minor],
      );
    }
    await db.query(
      `UPDATE loans SET penalty_due = penalty_due - $2, accrued_interest = accrued_interest - $3, outstanding_principal = outstanding_principal - $4,
         last_collection_date = $5::date, updated_at = now(),
         status = CASE WHEN outstanding_principal - $4 = 0 AND accrued_interest - $3 = 0 AND penalty_due - $2 = 0 THEN 'closed' ELSE status END,
         days_past_due = CASE WHEN outstanding_principal - $4 = 0 AND accrued_interest - $3 = 0 AND penalty_due - $2 = 0 THEN 0 ELSE days_past_due END
       WHERE id = $1::uuid`,
      [id, amounts.penalty, amounts.interest, amounts.principal, date],
    );
    return transfers.length;
  });

  const ageScope = await inScope(
    `SELECT id::text AS id FROM loans WHERE id = ANY($1::uuid[]) AND status = 'active'
       AND (days_past_due > 0 OR penalty_due > 0 OR id IN (SELECT loan_id FROM loan_instalments WHERE loan_id = ANY($1::uuid[]) AND status IN ('due', 'overdue'))) ORDER BY id`,
  );
  await timed('age', ageScope, async (id) => {
    const loan = (await db.query<Record<string, string | number>>(
      `SELECT currency, penalty_account_id::text AS penalty_account_id, max_days_past_due, penalty_carry_num::text AS cn, penalty_carry_den::text AS cd,
              terms ->> 'grace_days' AS grace, terms ->> 'day_count' AS day_count, terms ->> 'penalty_annual_rate_percent' AS rate
       FROM loans WHERE id = $1::uuid`,
      [id],
    )).rows[0]!;
    const terms = cobTerms(id, loan.grace, loan.day_count, loan.rate);
    const rows = (await db.query<InstalmentRow>(INSTALMENTS_SQL, [id])).rows.filter((r) => (r.status === 'due' || r.status === 'overdue') && r.due_date <= date);
    const unpaid = rows.filter((r) => r.fee > r.paid_fee || r.interest > r.paid_interest || r.principal > r.paid_principal);
    const overdue = rows.filter((r) => daysBetween(r.due_date as BusinessDate, date) > terms.grace_days).reduce((s, r) => s + r.principal - r.paid_principal, 0n);
    const decision = ageLoan(
      { loan_id: id, terms, oldest_unpaid_due_date: (unpaid[0]?.due_date as BusinessDate | undefined) ?? null, overdue_principal_minor: overdue, carry: carryFromText(loan.cn as string, loan.cd as string), max_days_past_due: loan.max_days_past_due as number },
      date,
    );
    const transfers: TransferInput[] = decision.penalty_minor > 0n
      ? [{ id: tid(postingId(id, 'penalty', date)), debit_account_id: acct(loan.penalty_account_id as string), credit_account_id: acct(bankAccount('penalty_income', loan.currency as string)), amount: decision.penalty_minor, code: LendingTransferCodes.penalty_accrual, flags: 0 }]
      : [];
    await submit(ledger, transfers);
    await db.query(
      `UPDATE loans SET days_past_due = $2, max_days_past_due = $3, category = $4, penalty_due = penalty_due + $5, penalty_carry_num = $6::numeric, penalty_carry_den = $7::numeric,
         last_cob_date = $8::date, updated_at = now() WHERE id = $1::uuid`,
      [id, decision.days_past_due, decision.max_days_past_due, decision.category, decision.penalty_minor, decision.carry.num.toString(), decision.carry.den.toString(), date],
    );
    await db.query(`UPDATE loan_instalments SET status = 'overdue' WHERE loan_id = $1::uuid AND status = 'due' AND $2::date - due_date > $3`, [id, date, terms.grace_days]);
    return transfers.length;
  });
  return steps;
}

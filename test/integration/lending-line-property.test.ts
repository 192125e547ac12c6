/**
 * Property: for a revolving line with random terms (rate, minimum payment, grace, a tenor of
 * 1–4 weekly statements) and any sequence of drawdowns, repayments, deposits and spending
 * over its days, each followed by the close of business of the day, through maturity:
 *
 * - its ledger accounts equal its row, and its rows its balances (GET /v1/loans `reconciled`);
 * - the interest posted plus the carry equals exactly Σ over its days of the unbilled balance
 *   at the end of the day × rate / 365 (so posted is within one minor unit of the exact sum);
 * - each statement bills what an independent model says (the cycle's interest, the minimum
 *   payment, the fee on statement 1, everything at maturity);
 * - billed principal unpaid + the unbilled balance = drawn − principal repaid;
 * - each operation is refused exactly when the model says, with the model's code, and a
 *   repayment pays penalties, fees, interest, principal of what is billed, then the balance;
 * - each day's collection takes a component only when the ones before it are paid, and
 *   leaves something unpaid only when the customer's account is empty.
 *
 * One app for the property; each run opens its line on the day after the dates earlier runs
 * closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { loanAccounts, LendingTransferCodes, postingId } from '../../src/lending/accounts.js';
import { Cob } from '../../src/lending/cob.js';
import { lastClosedDate } from '../../src/lending/cob-store.js';
import { addDays, businessDate, type BusinessDate } from '../../src/lending/dates.js';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client } from '../helpers/http.js';
import { balances, createAccount, mustTransfer, transfer } from '../helpers/ledger.js';
import { createLendingKeys, customerAccount, expectReconciled, mustSaveProduct } from '../helpers/lending.js';
import { lineProduct, lineRow, openLine } from '../helpers/lending-line.js';

const RUNS = Number(process.env.LINE_PROPERTY_RUNS ?? 6);
const show = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const at = (date: string, hour = 10) => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);

let t: TestApp<ManualClock>;
let apply: Client;
let admin: Client;
let reader: Client;
let sink: string;
let run = 0;
const seen = { drawn: 0, refused: 0, repaid: 0, prepaid: 0, cut_by_an_operation: 0, short_collections: 0, closed: 0 };

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(at('2025-01-06').getTime()) });
  const keys = await createLendingKeys(t.testDb.db, t.clock.now());
  apply = new Client(t.base, keys.lending_apply);
  admin = new Client(t.base, keys.lending_admin);
  reader = new Client(t.base, keys.lending_read);
  sink = await createAccount(t.api, { currency: 'CNY' });
});
afterAll(async () => {
  await t?.close();
});

type Op = { kind: 'draw' | 'repay' | 'deposit' | 'spend'; amount: bigint };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('draw' as const), amount: fc.bigInt({ min: 1n, max: 4_000_000n }) }),
  fc.record({ kind: fc.constant('repay' as const), amount: fc.bigInt({ min: 1n, max: 3_000_000n }) }),
  fc.record({ kind: fc.constant('deposit' as const), amount: fc.bigInt({ min: 1n, max: 2_000_000n }) }),
  fc.record({ kind: fc.constant('spend' as const), amount: fc.bigInt({ min: 1n, max: 3_000_000n }) }),
);

const script = fc.record({
  rate: fc.constantFrom('18.25', '7.3', '12.345678', '36', '0'),
  bps: fc.integer({ min: 0, max: 3_000 }),
  floor: fc.bigInt({ min: 0n, max: 300_000n }),
  fee: fc.bigInt({ min: 0n, max: 5_000n }),
  grace: fc.integer({ min: 0, max: 3 }),
  term: fc.integer({ min: 1, max: 4 }),
  draw: fc.bigInt({ min: 0n, max: 10_000_000n }),
  funds: fc.bigInt({ min: 500_000n, max: 3_000_000n }),
  days: fc.array(fc.array(op, { maxLength: 3 }), { minLength: 31, maxLength: 31 }),
});

/** The line as the test sees it: an independent model of balances and statements. */
interface Model {
  limit: bigint;
  fee: bigint;
  bps: bigint;
  floor: bigint;
  term: number;
  /** Statement dates k = 1..term (weekly from the start). */
  statements: BusinessDate[];
  start: BusinessDate;
  maturity: BusinessDate;
  /** The rate as digits over basis = 100 × 10^decimals × 365: a day's interest is balance × num / basis. */
  num: bigint;
  basis: bigint;
  unbilled: bigint;
  carry: bigint;
  unbilled_interest: bigint;
  posted: bigint;
  /** Σ unbilled balance × num over the days (over basis): the exact interest. */
  exact: bigint;
  drawn: bigint;
  cut: number;
  billed: { principal: bigint; interest: bigint; fee: bigint }[];
}

function rateParts(percent: string): { num: bigint; basis: bigint } {
  const [whole, decimals = ''] = percent.split('.');
  return { num: BigInt(whole! + decimals), basis: 100n * 10n ** BigInt(decimals.length) * 365n };
}

/** Cuts the statement due at the start of `date`, if one is. */
function cutAt(m: Model, date: BusinessDate): void {
  if (m.cut >= m.term || m.statements[m.cut] !== date) return;
  const last = m.cut + 1 === m.term;
  const share = (m.unbilled * m.bps + 9_999n) / 10_000n;
  const wanted = share > m.floor ? share : m.floor;
  const principal = last ? m.unbilled : wanted < m.unbilled ? wanted : m.unbilled;
  m.billed.push({ principal, interest: m.unbilled_interest, fee: m.cut === 0 ? m.fee : 0n });
  m.unbilled -= principal;
  m.unbilled_interest = 0n;
  m.cut++;
}

function accrueDay(m: Model, date: BusinessDate): void {
  if (date < m.start || date >= m.maturity) return;
  const total = m.unbilled * m.num + m.carry;
  const amount = total / m.basis;
  m.carry = total % m.basis;
  m.exact += m.unbilled * m.num;
  m.posted += amount;
  m.unbilled_interest += amount;
}

async function rows(id: string): Promise<any[]> {
  return (await reader.get(`/v1/loans/${id}/schedule`)).body.instalments;
}

/** What is billed and unpaid on `date` by component (the loan's penalty first), plus the statement a payment on `date` would cut first. */
async function duesBefore(id: string, m: Model, date: BusinessDate) {
  const view = (await reader.get(`/v1/loans/${id}`)).body;
  const due = { penalty: BigInt(view.balances.penalty), fee: 0n, interest: 0n, principal: 0n };
  for (const r of await rows(id)) {
    if (r.due_date > date || r.status === 'superseded') continue;
    due.fee += BigInt(r.fee) - BigInt(r.paid_fee);
    due.interest += BigInt(r.interest) - BigInt(r.paid_interest);
    due.principal += BigInt(r.principal) - BigInt(r.paid_principal);
  }
  if (view.credit_line?.next_statement_date === date && m.statements[m.cut - 1] === date) {
    // The model cut it at the start of the day; the line's first operation of the day cuts it in the database (its
    // fee is on row 1 from the opening, already counted above).
    const pending = m.billed[m.cut - 1]!;
    due.interest += pending.interest;
    due.principal += pending.principal;
    seen.cut_by_an_operation++;
  }
  const arrears = (await rows(id)).some((r) => r.due_date < date && r.status !== 'superseded' && r.status !== 'paid' && BigInt(r.principal) + BigInt(r.interest) + BigInt(r.fee) > BigInt(r.paid_principal) + BigInt(r.paid_interest) + BigInt(r.paid_fee));
  return { view, due, arrears };
}

async function accountAvailable(account: string): Promise<bigint> {
  const b = await balances(t.api, account);
  return b.credits_posted - b.debits_posted - b.debits_pending;
}

async function perform(id: string, account: string, m: Model, date: BusinessDate, o: Op): Promise<void> {
  if (o.kind === 'deposit') {
    await mustTransfer(t.api, transfer(await customerAccount(t.api, o.amount), account, o.amount));
    return;
  }
  if (o.kind === 'spend') {
    const amount = o.amount < (await accountAvailable(account)) ? o.amount : await accountAvailable(account);
    if (amount > 0n) await mustTransfer(t.api, transfer(account, sink, amount));
    return;
  }
  const { view, due, arrears } = await duesBefore(id, m, date);
  const outstanding = BigInt(view.balances.principal);
  const operationId = randomUUID();
  if (o.kind === 'draw') {
    const expected = view.status !== 'active' || date >= m.maturity ? 'credit_line_closed' : arrears ? 'credit_line_in_arrears' : o.amount > m.limit - outstanding ? 'credit_limit_exceeded' : 'ok';
    const done = await t.app.lending.operate(id, operationId, { kind: 'drawdown', amount_minor: o.amount });
    expect(done.ok ? 'ok' : done.code, `draw ${o.amount} on ${date}: ${show(done)}`).toBe(expected);
    if (done.ok) {
      m.unbilled += o.amount;
      m.drawn += o.amount;
      seen.drawn++;
    } else seen.refused++;
    return;
  }
  const owed = due.penalty + due.fee + due.interest + due.principal;
  const rest = o.amount > owed ? o.amount - owed : 0n;
  const expected = view.status !== 'active' ? 'loan_not_active' : rest > m.unbilled ? 'repayment_exceeds_payoff' : o.amount > (await accountAvailable(account)) ? 'exceeds_credits' : 'ok';
  const done = await t.app.lending.operate(id, operationId, { kind: 'repayment', amount_minor: o.amount });
  expect(done.ok ? 'ok' : done.code, `repay ${o.amount} on ${date} (owed ${owed}, unbilled ${m.unbilled}): ${show(done)}`).toBe(expected);
  if (!done.ok) {
    seen.refused++;
    return;
  }
  // The documented order over what is billed, then the balance.
  let left = o.amount;
  const take = (owing: bigint) => {
    const paid = owing < left ? owing : left;
    left -= paid;
    return paid;
  };
  const penalty = take(due.penalty);
  const fee = take(due.fee);
  const interest = take(due.interest);
  const principal = take(due.principal) + left;
  const op = done.operation;
  expect([op.paid_penalty, op.paid_fee, op.paid_interest, op.paid_principal, op.prepaid_principal]).toEqual([penalty, fee, interest, principal, rest]);
  m.unbilled -= rest;
  seen.repaid++;
  if (rest > 0n) seen.prepaid++;
}

/** After COB of `date`: the line against its ledger, the model, and the day's collection. */
async function check(id: string, account: string, m: Model, date: BusinessDate): Promise<void> {
  const view = await expectReconciled(reader, id);
  const row = await lineRow(t.testDb.db, id);
  const label = `${id} after ${date}`;
  expect(row.unbilled_principal, label).toBe(m.unbilled);
  expect(row.unbilled_interest, label).toBe(m.unbilled_interest);
  // Posted + carry = the exact sum (the carry over its own denominator, compared as fractions).
  const carryNum = BigInt(row.carry_num);
  const carryDen = BigInt(row.carry_den);
  if (row.status === 'active') expect(carryNum * m.basis, label).toBe(m.carry * carryDen);
  const accounts = loanAccounts(id);
  const { rows: posted } = await t.testDb.db.query<{ interest: bigint; principal_repaid: bigint }>(
    `SELECT COALESCE(sum(amount) FILTER (WHERE debit_account_id = $1::uuid AND code = $3), 0)::int8 AS interest,
            COALESCE(sum(amount) FILTER (WHERE credit_account_id = $2::uuid), 0)::int8 AS principal_repaid
     FROM transfers WHERE debit_account_id = $1::uuid OR credit_account_id = $2::uuid`,
    [accounts.interest, accounts.principal, LendingTransferCodes.interest_accrual],
  );
  expect(posted[0]!.interest, label).toBe(m.posted);
  expect(posted[0]!.interest * m.basis <= m.exact && m.exact < (posted[0]!.interest + 1n) * m.basis, label).toBe(true);
  // Statements as the model billed them.
  const lines = (await rows(id)).filter((r) => r.kind === 'scheduled');
  expect(lines.map((r) => [BigInt(r.principal), BigInt(r.interest), BigInt(r.fee)]).slice(0, m.cut), label).toEqual(m.billed.map((b) => [b.principal, b.interest, b.fee]));
  // Billed principal unpaid + unbilled = drawn − repaid.
  const unpaidBilled = lines.filter((r) => r.status !== 'superseded').reduce((s, r) => s + BigInt(r.principal) - BigInt(r.paid_principal), 0n);
  expect(unpaidBilled + m.unbilled, label).toBe(m.drawn - posted[0]!.principal_repaid);
  expect(BigInt(view.balances.principal), label).toBe(m.drawn - posted[0]!.principal_repaid);

  // The day's collection: a component only after the ones before it are paid in full; short only with an empty account.
  const parts = ['penalty', 'fee', 'interest', 'principal'] as const;
  const ids = [...parts.map((p) => postingId(id, `collection:${p}`, date)), postingId(id, 'penalty', date)];
  const { rows: found } = await t.testDb.db.query<{ id: string; amount: bigint }>(`SELECT id::text AS id, amount FROM transfers WHERE id = ANY($1::uuid[])`, [ids]);
  const amount = (i: number) => found.find((f) => f.id === ids[i])?.amount ?? 0n;
  const penaltyBefore = row.penalty_due - amount(4);
  const dueRows = lines.filter((r) => r.due_date <= date && r.status !== 'superseded');
  const unpaid = {
    fee: dueRows.reduce((s, r) => s + BigInt(r.fee) - BigInt(r.paid_fee), 0n),
    interest: dueRows.reduce((s, r) => s + BigInt(r.interest) - BigInt(r.paid_interest), 0n),
    principal: dueRows.reduce((s, r) => s + BigInt(r.principal) - BigInt(r.paid_principal), 0n),
  };
  if (amount(1) > 0n || amount(2) > 0n || amount(3) > 0n) expect(penaltyBefore, label).toBe(0n);
  if (amount(2) > 0n || amount(3) > 0n) expect(unpaid.fee, label).toBe(0n);
  if (amount(3) > 0n) expect(unpaid.interest, label).toBe(0n);
  if (penaltyBefore + unpaid.fee + unpaid.interest + unpaid.principal > 0n) {
    expect(await accountAvailable(account), label).toBe(0n);
    seen.short_collections++;
  }
}

describe('revolving lines: ledger, statements, interest and collections over random days', { timeout: 900_000 }, () => {
  it('hold for any drawdowns, repayments, deposits and spending', async () => {
    await fc.assert(
      fc.asyncProperty(script, async (s) => {
        const last = await lastClosedDate(t.testDb.db);
        const start = last ? addDays(last, 1) : businessDate('2025-01-06');
        t.clock.set(at(start));
        const productId = `line-${++run}`;
        await mustSaveProduct(admin, productId, lineProduct({
          frequency: 'weekly',
          term_min_periods: 1,
          term_max_periods: 4,
          annual_rate_percent: s.rate,
          grace_days: s.grace,
          origination_fee: { fixed_minor: String(s.fee), bps: 0 },
          minimum_payment: { bps: s.bps, floor_minor: String(s.floor) },
        }));
        const { line, account } = await openLine(t.api, apply, productId, { amount: '10000000', term: s.term, draw: String(s.draw), funds: s.funds });
        const statements = Array.from({ length: s.term }, (_, k) => addDays(start, 7 * (k + 1)));
        const m: Model = {
          limit: 10_000_000n, fee: s.fee, bps: BigInt(s.bps), floor: s.floor, term: s.term, statements, start, maturity: statements.at(-1)!,
          ...rateParts(line.annual_rate_percent),
          unbilled: s.draw, carry: 0n, unbilled_interest: 0n, posted: 0n, exact: 0n, drawn: s.draw, cut: 0, billed: [],
        };
        const cob = new Cob(t.testDb.db, t.app.ledger, t.clock);
        for (let i = 0; i <= 7 * s.term + 2; i++) {
          const date = addDays(start, i);
          t.clock.set(at(date));
          cutAt(m, date);
          for (const o of i === 0 ? [] : s.days[i]!) await perform(line.id, account, m, date, o);
          accrueDay(m, date);
          t.clock.set(at(addDays(date, 1), 1));
          const closed = await cob.run({ through_date: date });
          expect(closed.ok, JSON.stringify(closed)).toBe(true);
          await check(line.id, account, m, date);
        }
        if ((await lineRow(t.testDb.db, line.id)).status === 'closed') seen.closed++;
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // The property met the cases it is about.
    expect(seen.drawn + seen.repaid + seen.refused).toBeGreaterThan(0);
    console.log('revolving-line property:', seen);
  });
});

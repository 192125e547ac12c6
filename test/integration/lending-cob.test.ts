/**
 * The close of business on a real database (PGlite, or PostgreSQL with
 * CAPILLARY_TEST_ENGINE=postgres): known figures over a month, partial collection and
 * arrears, ageing into categories and provisions, idempotent reruns, a crash between
 * chunks, and catch-up — each checked against the ledger and the reference model
 * (test/helpers/lending-cob-model.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/service.js';
import { Cob, CobCrash, type CobOptions } from '../../src/lending/cob.js';
import { bankAccount } from '../../src/lending/accounts.js';
import { LOAN_CATEGORIES } from '../../src/lending/aging.js';
import { addDays, businessDate, type BusinessDate } from '../../src/lending/dates.js';
import { ManualClock } from '../../src/server/clock.js';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { createLoans, debitBalances, deposit, instalmentRows, ledgerMismatches, loanRows, product, withdrawAll, type LoanSpec, type TestLoan } from '../helpers/lending-cob.js';
import { BookModel, modelMismatches } from '../helpers/lending-cob-model.js';

const d = businessDate;

interface Harness {
  testDb: TestDb;
  ledger: Ledger;
  loans: TestLoan[];
  model: BookModel;
  cob(options?: CobOptions): Cob;
  /** Runs COB through `through` and the model over the same dates. */
  closeThrough(through: string, options?: CobOptions): Promise<BusinessDate[]>;
  check(): Promise<void>;
  transferCount(): Promise<number>;
}

let open: Harness[] = [];
afterEach(async () => {
  for (const h of open) {
    await h.ledger.stop();
    await h.testDb.close();
  }
  open = [];
});

async function harness(specs: LoanSpec[], setup?: (loans: TestLoan[], ledger: Ledger, testDb: TestDb) => Promise<void>): Promise<Harness> {
  const testDb = await openTestDb();
  const clock = new ManualClock(Date.UTC(2027, 0, 1));
  const ledger = new Ledger(testDb.db, clock);
  const loans = await createLoans(testDb.db, ledger, specs, clock.now());
  await setup?.(loans, ledger, testDb);
  const accounts = [...new Set(loans.map((l) => l.account_id))];
  const { rows } = await testDb.db.query<{ id: string; available: bigint }>(
    `SELECT id::text AS id, credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = ANY($1::uuid[])`,
    [accounts],
  );
  const model = new BookModel(loans, new Map(rows.map((r) => [r.id, r.available])));
  const h: Harness = {
    testDb,
    ledger,
    loans,
    model,
    cob: (options) => new Cob(testDb.db, ledger, clock, options),
    async closeThrough(through, options) {
      const result = await h.cob(options).run({ through_date: d(through) });
      if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
      for (const date of result.closed) model.cobDay(date);
      return result.closed;
    },
    async check() {
      expect(await ledgerMismatches(testDb.db, loans)).toEqual([]);
      expect(await modelMismatches(testDb.db, model)).toEqual([]);
      const currency = loans[0]!.currency;
      const income = await debitBalances(testDb.db, [bankAccount('interest_income', currency), bankAccount('penalty_income', currency)]);
      expect(-(income.get(bankAccount('interest_income', currency)) ?? 0n)).toBe(model.income.interest);
      expect(-(income.get(bankAccount('penalty_income', currency)) ?? 0n)).toBe(model.income.penalty);
      const allowances = await debitBalances(testDb.db, LOAN_CATEGORIES.map((c) => bankAccount(`allowance_${c}`, currency)));
      const required = model.held;
      for (const category of LOAN_CATEGORIES) expect(-(allowances.get(bankAccount(`allowance_${category}`, currency)) ?? 0n), category).toBe(required[category]);
    },
    async transferCount() {
      const { rows: t } = await testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM transfers`);
      return t[0]!.n;
    },
  };
  open.push(h);
  return h;
}

describe('COB over a month, known figures', () => {
  it('accrues each period exactly, collects on the due date, and the ledger, rows and model agree', async () => {
    const annuity = product();
    const h = await harness([
      { product: annuity, principal_minor: 12_000_000n, term_periods: 12, start_date: '2026-01-15' },
      { product: product({ id: 'ep', repayment_method: 'equal_principal', day_count: 'actual/365', origination_fee: { fixed_minor: '500', bps: 100 } }), principal_minor: 3_000_000n, term_periods: 6, start_date: '2026-01-20' },
      { product: product({ id: 'bullet', repayment_method: 'interest_only', annual_rate_percent: '7.3' }), principal_minor: 1_000_000n, term_periods: 3, start_date: '2026-01-31' },
    ]);
    const [a, ep] = h.loans;

    // Through the day before A's first due date: period 1's 31 days accrue exactly its interest.
    const closed = await h.closeThrough('2026-02-14');
    expect(closed[0]).toBe('2026-01-15');
    expect(closed.at(-1)).toBe('2026-02-14');
    let rows = await loanRows(h.testDb.db, [a!.id]);
    expect(rows.get(a!.id)!.accrued_interest).toBe(120_000n);
    await h.check();

    // The due date: instalment 1 (1,066,185 = 946,185 principal + 120,000 interest) is collected; period 2 starts accruing.
    await h.closeThrough('2026-02-15');
    rows = await loanRows(h.testDb.db, [a!.id]);
    expect(rows.get(a!.id)).toMatchObject({ outstanding_principal: 11_053_815n, accrued_interest: 3_948n, days_past_due: 0, category: 'normal', last_accrual_date: '2026-02-15' });
    const [first] = await instalmentRows(h.testDb.db, a!.id);
    expect(first).toMatchObject({ status: 'paid', paid_principal: 946_185n, paid_interest: 120_000n });
    const customer = await h.testDb.db.query<{ available: bigint }>(`SELECT credits_posted - debits_posted AS available FROM accounts WHERE id = $1::uuid`, [a!.account_id]);
    expect(customer.rows[0]!.available).toBe(12_000_000n - 1_066_185n);
    await h.check();

    // The equal-principal loan's first instalment carries its fee (500 + 1% of 3,000,000 = 30,500), collected on 2026-02-20.
    await h.closeThrough('2026-03-01');
    const [epFirst] = await instalmentRows(h.testDb.db, ep!.id);
    expect(epFirst).toMatchObject({ status: 'paid', fee: 30_500n, paid_fee: 30_500n, paid_principal: 500_000n });
    await h.check();
  });
});

describe('COB arrears', () => {
  it('collects part when the customer is short, ages the rest, charges penalties on overdue principal after grace', async () => {
    const noGrace = product({ grace_days: 0 });
    const grace3 = product({ id: 'grace3', grace_days: 3 });
    const h = await harness(
      [
        { product: noGrace, principal_minor: 1_200_000n, term_periods: 12, start_date: '2026-01-10' },
        { product: grace3, principal_minor: 1_200_000n, term_periods: 12, start_date: '2026-01-10' },
        { product: noGrace, principal_minor: 1_200_000n, term_periods: 12, start_date: '2026-01-10' },
      ],
      async (loans, ledger, testDb) => {
        await withdrawAll(testDb.db, ledger, loans.map((l) => l.account_id), 'CNY');
        // The first two can pay 30,000 of their first instalment (106,619); the third nothing.
        await deposit(ledger, loans.slice(0, 2).map((l) => ({ account_id: l.account_id, currency: 'CNY', amount: 30_000n })));
      },
    );
    const [short, graced, empty] = h.loans;
    await h.closeThrough('2026-02-10');
    let rows = await loanRows(h.testDb.db, h.loans.map((l) => l.id));
    // 30,000 paid the interest (12,000) first, then 18,000 of principal.
    const [inst] = await instalmentRows(h.testDb.db, short!.id);
    expect(inst).toMatchObject({ status: 'due', paid_interest: 12_000n, paid_principal: 18_000n });
    expect(rows.get(short!.id)).toMatchObject({ days_past_due: 0, category: 'normal', penalty_due: 0n });
    await h.check();

    await h.closeThrough('2026-02-11');
    rows = await loanRows(h.testDb.db, h.loans.map((l) => l.id));
    expect(rows.get(short!.id)).toMatchObject({ days_past_due: 1, category: 'special_mention' });
    expect(rows.get(graced!.id)).toMatchObject({ days_past_due: 1, category: 'special_mention', penalty_due: 0n });
    expect(rows.get(empty!.id)).toMatchObject({ days_past_due: 1 });
    expect((await instalmentRows(h.testDb.db, short!.id))[0]!.status).toBe('overdue');
    expect((await instalmentRows(h.testDb.db, graced!.id))[0]!.status).toBe('due');
    await h.check();

    // Past the grace days the graced loan is penalised too; a deposit is swept the next day, penalty first.
    await h.closeThrough('2026-02-20');
    rows = await loanRows(h.testDb.db, h.loans.map((l) => l.id));
    expect(rows.get(graced!.id)!.penalty_due).toBeGreaterThan(0n);
    expect(rows.get(short!.id)!.penalty_due).toBeGreaterThan(rows.get(graced!.id)!.penalty_due);
    await h.check();
    await deposit(h.ledger, [{ account_id: empty!.account_id, currency: 'CNY', amount: 200_000n }]);
    h.model.deposit(empty!.account_id, 200_000n);
    await h.closeThrough('2026-02-21');
    rows = await loanRows(h.testDb.db, [empty!.id]);
    expect(rows.get(empty!.id)).toMatchObject({ days_past_due: 0, category: 'normal', penalty_due: 0n, max_days_past_due: 10 });
    await h.check();
  });

  it('ages a loan through every bucket and category over 400 days, with provisions per category', async () => {
    const h = await harness(
      [
        { product: product(), principal_minor: 1_200_000n, term_periods: 12, start_date: '2026-01-10' },
        { product: product(), principal_minor: 2_400_000n, term_periods: 24, start_date: '2026-01-10' },
        { product: product(), principal_minor: 600_000n, term_periods: 6, start_date: '2026-01-12', extra_funds_minor: 1_000_000n },
      ],
      (loans, ledger, testDb) => withdrawAll(testDb.db, ledger, loans.slice(0, 2).map((l) => l.account_id), 'CNY'),
    );
    const [bad] = h.loans;
    const seen = new Map<number, string>();
    for (const through of ['2026-02-10', '2026-03-12', '2026-05-11', '2026-08-09', '2027-01-05', '2027-02-15']) {
      await h.closeThrough(through);
      const row = (await loanRows(h.testDb.db, [bad!.id])).get(bad!.id)!;
      seen.set(row.days_past_due, row.category);
      await h.check();
    }
    expect(Object.fromEntries(seen)).toEqual({ 0: 'normal', 30: 'special_mention', 90: 'special_mention', 180: 'substandard', 329: 'doubtful', 370: 'loss' });
  }, 180_000);
});

describe('COB reruns, crashes and catch-up', () => {
  const specs = (n: number): LoanSpec[] =>
    Array.from({ length: n }, (_, i) => ({
      product: product(),
      principal_minor: 100_000n + BigInt(i) * 7_919n,
      term_periods: 3 + (i % 10),
      start_date: addDays(d('2026-01-01'), i % 28),
      extra_funds_minor: i % 3 === 0 ? 0n : 50_000n,
    }));

  it('a closed date is not run again: no new transfers, no change', async () => {
    const h = await harness(specs(12), (loans, ledger, testDb) => withdrawAll(testDb.db, ledger, loans.filter((_, i) => i % 3 === 0).map((l) => l.account_id), 'CNY'));
    await h.closeThrough('2026-02-10');
    const before = await h.transferCount();
    const again = await h.cob().run({ through_date: d('2026-02-10') });
    expect(again).toMatchObject({ ok: true, dates: [], closed: [] });
    expect(await h.transferCount()).toBe(before);
    await h.check();
  });

  it('a crash between chunks is repaired by running again: nothing accrued or collected twice', async () => {
    const h = await harness(specs(40), (loans, ledger, testDb) => withdrawAll(testDb.db, ledger, loans.filter((_, i) => i % 3 === 0).map((l) => l.account_id), 'CNY'));
    await h.closeThrough('2026-02-03', { chunk_loans: 8 });
    // 40 active loans in chunks of 8: accrual has 5 chunks; crash inside accrual, then inside collection, then inside ageing.
    await expect(h.cob({ chunk_loans: 8, crash_after_chunks: 3 }).run({ through_date: d('2026-02-05') })).rejects.toBeInstanceOf(CobCrash);
    const run = await h.cob({ chunk_loans: 8 }).getRun(d('2026-02-04'));
    expect(run?.status).toBe('running');
    expect(run?.steps.accrue).toMatchObject({ status: 'running', done: 24, total: 40 });
    // The crashed run's lease is still fresh: another process must wait…
    const refused = await h.cob({ chunk_loans: 8 }).run({ through_date: d('2026-02-05') });
    expect(refused).toMatchObject({ ok: false, code: 'cob_run_in_progress' });
    // …until it lapses (lease 0 here). Crash every 3 chunks, through every step of both dates, until a run gets to the end.
    let crashes = 1;
    for (;;) {
      const attempt = h.cob({ chunk_loans: 8, lease_ms: 0, crash_after_chunks: 3 }).run({ through_date: d('2026-02-05') });
      const outcome = await attempt.then(
        (result) => result,
        (err: unknown) => {
          if (!(err instanceof CobCrash)) throw err;
          return 'crashed' as const;
        },
      );
      if (outcome !== 'crashed') {
        expect(outcome).toMatchObject({ ok: true });
        break;
      }
      crashes++;
      expect(crashes).toBeLessThan(40);
    }
    expect(crashes).toBeGreaterThan(4);
    h.model.cobDay(d('2026-02-04'));
    h.model.cobDay(d('2026-02-05'));
    await h.check();
    const steps = (await h.cob().getRun(d('2026-02-04')))!.steps;
    expect(steps.accrue).toMatchObject({ status: 'done', done: 40, total: 40 });
  });

  it('catches up over missed days in order, the same as closing them one by one', async () => {
    const h = await harness(specs(10), (loans, ledger, testDb) => withdrawAll(testDb.db, ledger, loans.filter((_, i) => i % 2 === 0).map((l) => l.account_id), 'CNY'));
    await h.closeThrough('2026-01-20');
    const closed = await h.closeThrough('2026-03-05');
    expect(closed).toHaveLength(44);
    expect(closed[0]).toBe('2026-01-21');
    await h.check();
    const runs = await h.cob().listRuns(null, 3);
    expect(runs.map((r) => [r.business_date, r.status])).toEqual([
      ['2026-03-05', 'succeeded'],
      ['2026-03-04', 'succeeded'],
      ['2026-03-03', 'succeeded'],
    ]);
  });
});

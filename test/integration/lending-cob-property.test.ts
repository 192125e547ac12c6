/**
 * Property: after any sequence of COB days (closed one at a time or caught up several at
 * once), customer deposits that COB then collects, and crashes between chunks followed by a
 * rerun, every loan's ledger balances equal its row, the row equals the reference model
 * built from the pure core (schedule, accrual, allocation, ageing, penalties), and the
 * bank's income and allowance accounts equal the model's sums.
 *
 * One database for the whole property; each run lends in its own currency (its own bank
 * accounts) and starts after the dates earlier runs closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ledger } from '../../src/ledger/service.js';
import { Cob, CobCrash } from '../../src/lending/cob.js';
import { bankAccount } from '../../src/lending/accounts.js';
import { LOAN_CATEGORIES } from '../../src/lending/aging.js';
import { addDays, businessDate, type BusinessDate } from '../../src/lending/dates.js';
import { lastClosedDate } from '../../src/lending/cob-store.js';
import { ManualClock } from '../../src/server/clock.js';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { createLoans, debitBalances, deposit, ledgerMismatches, product, withdrawAll } from '../helpers/lending-cob.js';
import { BookModel, modelMismatches } from '../helpers/lending-cob-model.js';

/** One currency per run (scales 0, 2 and 3 among them), so each run has bank accounts of its own. */
const CURRENCIES = ['CNY', 'USD', 'EUR', 'JPY', 'KWD', 'GBP', 'HKD', 'SGD', 'AUD', 'CAD', 'CHF', 'SEK', 'NOK', 'DKK', 'NZD', 'KRW', 'INR', 'BHD', 'MXN', 'BRL',
  'ZAR', 'THB', 'MYR', 'PHP', 'IDR', 'VND', 'TWD', 'PLN', 'CZK', 'HUF', 'ILS', 'TRY', 'AED', 'SAR', 'QAR', 'OMR', 'JOD', 'EGP', 'KES', 'NGN'];
const RUNS = Number(process.env.COB_PROPERTY_RUNS ?? 10);

let testDb: TestDb;
let ledger: Ledger;
const clock = new ManualClock(Date.UTC(2030, 0, 1));
let run = 0;

beforeAll(async () => {
  testDb = await openTestDb();
  ledger = new Ledger(testDb.db, clock);
});
afterAll(async () => {
  await ledger?.stop();
  await testDb?.close();
});

const loanArb = fc.record({
  method: fc.constantFrom('annuity' as const, 'equal_principal' as const, 'interest_only' as const),
  frequency: fc.constantFrom('monthly' as const, 'weekly' as const),
  day_count: fc.constantFrom('30/360' as const, 'actual/365' as const),
  rate: fc.constantFrom('0', '4.35', '12', '18.25', '36'),
  penalty: fc.constantFrom('0', '6.525', '18', '24.333333'),
  grace_days: fc.integer({ min: 0, max: 5 }),
  fee_bps: fc.constantFrom(0, 50, 300),
  principal: fc.integer({ min: 5_000, max: 5_000_000 }),
  term: fc.integer({ min: 1, max: 8 }),
  start_offset: fc.integer({ min: 0, max: 20 }),
  /** How much of the disbursement the customer keeps: none, some, all (plus extra). */
  funds: fc.constantFrom('none' as const, 'some' as const, 'all' as const),
});

const actionArb = fc.oneof(
  fc.record({ kind: fc.constant('close' as const), days: fc.integer({ min: 1, max: 25 }) }),
  fc.record({ kind: fc.constant('deposit' as const), loan: fc.nat(), amount: fc.integer({ min: 1, max: 300_000 }) }),
  fc.record({ kind: fc.constant('crash' as const), days: fc.integer({ min: 1, max: 6 }), after: fc.integer({ min: 1, max: 12 }) }),
);

describe('COB reconciles with the schedule and the core', () => {
  it('after any sequence of COB days, deposits and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(loanArb, { minLength: 1, maxLength: 4 }), fc.array(actionArb, { minLength: 1, maxLength: 8 }), async (specs, actions) => {
        const currency = CURRENCIES[run++]!;
        if (!currency) throw new Error(`at most ${CURRENCIES.length} runs (one currency each)`);
        const last = (await lastClosedDate(testDb.db)) ?? businessDate('2026-01-01');
        const base = addDays(last, 1);
        const loans = await createLoans(
          testDb.db,
          ledger,
          specs.map((s) => ({
            product: product({
              id: `p-${s.method}-${s.frequency}`,
              currency,
              repayment_method: s.method,
              frequency: s.frequency,
              day_count: s.day_count,
              annual_rate_percent: s.rate,
              penalty_annual_rate_percent: s.penalty,
              grace_days: s.grace_days,
              origination_fee: { fixed_minor: '0', bps: s.fee_bps },
            }),
            principal_minor: BigInt(s.principal),
            term_periods: s.term,
            start_date: addDays(base, s.start_offset),
            extra_funds_minor: s.funds === 'all' ? BigInt(s.principal) : 0n,
          })),
          clock.now(),
        );
        await withdrawAll(testDb.db, ledger, loans.filter((_, i) => specs[i]!.funds !== 'all').map((l) => l.account_id), currency);
        await deposit(ledger, loans.flatMap((l, i) => (specs[i]!.funds === 'some' ? [{ account_id: l.account_id, currency, amount: BigInt(specs[i]!.principal) / 7n + 1n }] : [])));
        const { rows } = await testDb.db.query<{ id: string; available: bigint }>(
          `SELECT id::text AS id, credits_posted - debits_posted - debits_pending AS available FROM accounts WHERE id = ANY($1::uuid[])`,
          [loans.map((l) => l.account_id)],
        );
        const model = new BookModel(loans, new Map(rows.map((r) => [r.id, r.available])));
        let closedThrough = last;
        const closeTo = async (through: BusinessDate, options = {}) => {
          const result = await new Cob(testDb.db, ledger, clock, { chunk_loans: 4, lease_ms: 0, ...options }).run({ through_date: through, from_date: base });
          if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
          return result.closed;
        };
        for (const action of actions) {
          if (action.kind === 'deposit') {
            const loan = loans[action.loan % loans.length]!;
            await deposit(ledger, [{ account_id: loan.account_id, currency, amount: BigInt(action.amount) }]);
            model.deposit(loan.account_id, BigInt(action.amount));
            continue;
          }
          const through = addDays(closedThrough, action.days);
          if (action.kind === 'crash') {
            await closeTo(through, { crash_after_chunks: action.after }).catch((err: unknown) => {
              if (!(err instanceof CobCrash)) throw err;
            });
          }
          await closeTo(through);
          for (let date = addDays(closedThrough, 1); date <= through; date = addDays(date, 1)) model.cobDay(date);
          closedThrough = through;
        }
        expect(await ledgerMismatches(testDb.db, loans)).toEqual([]);
        expect(await modelMismatches(testDb.db, model)).toEqual([]);
        const income = await debitBalances(testDb.db, [bankAccount('interest_income', currency), bankAccount('penalty_income', currency)]);
        expect(-(income.get(bankAccount('interest_income', currency)) ?? 0n)).toBe(model.income.interest);
        expect(-(income.get(bankAccount('penalty_income', currency)) ?? 0n)).toBe(model.income.penalty);
        const allowances = await debitBalances(testDb.db, LOAN_CATEGORIES.map((c) => bankAccount(`allowance_${c}`, currency)));
        const required = model.held;
        for (const category of LOAN_CATEGORIES) expect(-(allowances.get(bankAccount(`allowance_${category}`, currency)) ?? 0n), category).toBe(required[category]);
      }),
      { numRuns: RUNS, seed: Number(process.env.COB_PROPERTY_SEED ?? 20261130), endOnFailure: true },
    );
  }, 900_000);
});

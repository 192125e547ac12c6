/**
 * Property: after any sequence of COB days (closed one at a time or caught up several at
 * once), customer deposits that COB then collects, crashes between chunks followed by a
 * rerun, repayments (short, covering what is due, prepaying part of the principal with a
 * rebuilt schedule, or more than the payoff), payoffs (full early repayment) and
 * write-offs, every loan's ledger balances equal its row, the row and its schedule rows
 * equal the reference model built from the pure core (schedule, accrual, allocation, ageing,
 * penalties, prepayment), each servicing operation is refused exactly when the model
 * refuses it (with the same code), and the bank's income and allowance accounts equal the
 * model's sums.
 *
 * One database for the whole property; each run lends in its own currency (its own bank
 * accounts) and starts after the dates earlier runs closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/ledger/service.js';
import { Cob, CobCrash } from '../../src/lending/cob.js';
import { bankAccount } from '../../src/lending/accounts.js';
import { LOAN_CATEGORIES } from '../../src/lending/aging.js';
import { addDays, businessDate, type BusinessDate } from '../../src/lending/dates.js';
import { lastClosedDate } from '../../src/lending/cob-store.js';
import { operationWork, type OperationRequest } from '../../src/lending/servicing.js';
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
/** What the servicing operations did across the runs (the property is only as good as the cases it met). */
const serviced = { refused: 0, repaid: 0, prepaid: 0, closed: 0, written_off: 0 }; // repaid counts every repayment that did not close the loan; prepaid those that also prepaid principal

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
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('close' as const), days: fc.integer({ min: 1, max: 25 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deposit' as const), loan: fc.nat(), amount: fc.integer({ min: 1, max: 300_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), days: fc.integer({ min: 1, max: 6 }), after: fc.integer({ min: 1, max: 12 }) }) },
  // A repayment of some amount (from a few units to more than most loans owe), or the payoff.
  // The customer may pay the money in first (`fund`: the amount, or for a payoff more than any loan here owes).
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('repay' as const),
      loan: fc.nat(),
      amount: fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 60_001, max: 3_000_000 }), fc.constant('payoff' as const)),
      fund: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write_off' as const), loan: fc.nat() }) },
);

/**
 * Runs one servicing operation through the real work (the one the HTTP routes run) on
 * `today`, the business day after the last closed one: COB has accrued every earlier day,
 * so no catch-up is involved and the model's state is the loan's.
 */
async function operate(loan: { id: string; product: import('../../src/lending/products.js').LoanProduct }, today: BusinessDate, request: OperationRequest) {
  return ledger.writer.join(
    operationWork({ loan_id: loan.id, operation_id: randomUUID(), fingerprint: randomUUID(), today, request, product: () => loan.product }, 16),
  );
}

describe('COB reconciles with the schedule and the core', () => {
  it('after any sequence of COB days, deposits and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(loanArb, { minLength: 1, maxLength: 4 }), fc.array(actionArb, { minLength: 1, maxLength: 12 }), async (specs, actions) => {
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
          if (action.kind === 'repay' || action.kind === 'write_off') {
            const today = addDays(closedThrough, 1);
            // Servicing starts on the loan's start date (before it there is nothing to repay or write off).
            const started = loans.filter((l) => l.schedule.start_date <= today);
            const loan = started[action.loan % Math.max(started.length, 1)];
            if (!loan) continue;
            if (action.kind === 'repay' && action.fund) {
              const amount = action.amount === 'payoff' ? 10_000_000n : BigInt(action.amount);
              await deposit(ledger, [{ account_id: loan.account_id, currency, amount }]);
              model.deposit(loan.account_id, amount);
            }
            const expected = action.kind === 'write_off' ? model.writeOff(loan.id) : model.repay(loan.id, today, action.amount === 'payoff' ? 'payoff' : BigInt(action.amount));
            const request: OperationRequest =
              action.kind === 'write_off' ? { kind: 'write_off', reason: 'property test' } : action.amount === 'payoff' ? { kind: 'payoff' } : { kind: 'repayment', amount_minor: BigInt(action.amount) };
            const outcome = await operate(loan, today, request);
            const summary = `${action.kind} ${action.kind === 'repay' ? action.amount : ''} on ${today}: ${JSON.stringify(outcome, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 300)}`;
            if (process.env.COB_PROPERTY_DEBUG) console.log(summary, JSON.stringify(expected, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
            if (expected.ok) {
              expect(outcome.ok, summary).toBe(true);
              if (outcome.ok) {
                expect(outcome.operation.amount, summary).toBe(expected.collected_minor);
                if (action.kind === 'write_off') serviced.written_off++;
                else if (expected.closes) serviced.closed++;
                else {
                  serviced.repaid++;
                  if (outcome.operation.prepaid_principal > 0n) serviced.prepaid++;
                }
              }
            } else {
              expect(outcome.ok, summary).toBe(false);
              if (!outcome.ok) expect(outcome.code, summary).toBe(expected.code);
              serviced.refused++;
            }
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
    // The generated sequences did exercise every kind of servicing outcome (not only COB days).
    for (const [outcome, n] of Object.entries(serviced)) expect(n, `${outcome}: ${JSON.stringify(serviced)}`).toBeGreaterThan(0);
  }, 900_000);
});

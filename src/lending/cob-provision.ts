/**
 * COB step 5, provision: the loan-loss allowance of each category brought to what the book
 * requires, with a handful of transfers a day (one per currency and category that moved),
 * never one per loan.
 *
 * Required, per currency and category = Σ over its active loans of provisionFor(category,
 * outstanding principal), i.e. each loan's outstanding × PROVISION_RATE_BPS rounded
 * half-up, then summed (so any grouping of the book, e.g. the portfolio's product ×
 * category cells, adds up exactly to the totals). The step posts required − held (held =
 * the allowance account's credit balance): a rise debits provision expense and credits the
 * allowance; a fall releases it the other way.
 *
 * The allowance accounts are locked in `plan` (in id order) before their balances are
 * read, because the difference is decided there and the writer locks accounts only after
 * `plan` returns. On month-end dates the same transaction records the vintage figures
 * (loan_vintage_points). The step marks itself done in its transaction, so a rerun after a
 * crash never posts a second, different provision under the same transfer id.
 */
import { derivedUuid } from '../db/uuid.js';
import type { Queryable } from '../db/port.js';
import type { TransferInput } from '../ledger/types.js';
import { LOAN_CATEGORIES, PROVISION_RATE_BPS, type LoanCategory } from './aging.js';
import { bankAccount, LendingTransferCodes } from './accounts.js';
import { asAccount, asTransfer, finishChunk, FIRST_CURSOR, requirePosted, type ChunkResult, type StepContext, type StepRunner } from './cob-chunk.js';
import { loanCurrencies, updateStep } from './cob-store.js';
import { isMonthEnd, type BusinessDate } from './dates.js';

export const PROVISIONS_LOCK_KEY = 'lending-provisions';
/** The provision step is one chunk: its cursor after that chunk. */
const DONE_CURSOR = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** The SQL of provisionFor for a row of `loans`: outstanding × rate(category), rounded half-up, in numeric (no int8 overflow). */
export const PROVISION_SQL_EXPR = `div(2 * outstanding_principal::numeric * (CASE category ${LOAN_CATEGORIES.map((c) => `WHEN '${c}' THEN ${PROVISION_RATE_BPS[c]}`).join(' ')} END) + 10000, 20000)`;

export function provisionPostingId(currency: string, category: LoanCategory, date: BusinessDate): string {
  return derivedUuid(`capillary:lending:${currency.toUpperCase()}:posting:provision:${category}:${date}`);
}

const REQUIRED_SQL = `
  SELECT currency, category, count(*)::int AS loans, sum(${PROVISION_SQL_EXPR})::text AS required
  FROM loans WHERE status = 'active' GROUP BY currency, category`;

const VINTAGE_SQL = `
  INSERT INTO loan_vintage_points (business_date, currency, product_id, vintage_month, months_on_book, loans, principal, outstanding,
                                   ever30_loans, ever30_principal, ever90_loans, ever90_principal, dpd30_outstanding, dpd90_outstanding)
  SELECT $1::date, currency, product_id, v.month,
         ((extract(year FROM $1::date) - extract(year FROM v.month)) * 12 + extract(month FROM $1::date) - extract(month FROM v.month))::int,
         count(*)::int, sum(principal)::int8,
         COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active'), 0)::int8,
         (count(*) FILTER (WHERE max_days_past_due >= 30))::int, COALESCE(sum(principal) FILTER (WHERE max_days_past_due >= 30), 0)::int8,
         (count(*) FILTER (WHERE max_days_past_due >= 90))::int, COALESCE(sum(principal) FILTER (WHERE max_days_past_due >= 90), 0)::int8,
         COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active' AND days_past_due >= 30), 0)::int8,
         COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active' AND days_past_due >= 90), 0)::int8
  FROM loans, LATERAL (SELECT date_trunc('month', start_date)::date AS month) v
  WHERE start_date <= $1::date
  GROUP BY currency, product_id, v.month
  ON CONFLICT (business_date, currency, product_id, vintage_month) DO UPDATE SET
    months_on_book = excluded.months_on_book, loans = excluded.loans, principal = excluded.principal, outstanding = excluded.outstanding,
    ever30_loans = excluded.ever30_loans, ever30_principal = excluded.ever30_principal, ever90_loans = excluded.ever90_loans,
    ever90_principal = excluded.ever90_principal, dpd30_outstanding = excluded.dpd30_outstanding, dpd90_outstanding = excluded.dpd90_outstanding`;

export function provisionStep(ctx: StepContext): StepRunner {
  return {
    step: 'provision',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM loans WHERE status = 'active'`);
      return rows[0]!.n;
    },
    async chunk(cursor) {
      if (cursor !== FIRST_CURSOR) return { cursor: null, loans: 0, transfers: 0 };
      const currencies = await loanCurrencies(ctx.db);
      let transfers: TransferInput[] = [];
      let loans = 0;
      return ctx.writer.join<ChunkResult>({
        lock_key: PROVISIONS_LOCK_KEY,
        transfers_max: currencies.length * LOAN_CATEGORIES.length,
        async plan(tx) {
          const allowances = currencies.flatMap((currency) => LOAN_CATEGORIES.map((category) => ({ currency, category, id: bankAccount(`allowance_${category}`, currency) })));
          const { rows: held } = await tx.query<{ id: string; balance: bigint }>(
            `SELECT id::text AS id, credits_posted - debits_posted AS balance FROM accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
            [allowances.map((a) => a.id).sort()],
          );
          const heldById = new Map(held.map((r) => [r.id, r.balance]));
          const { rows: required } = await tx.query<{ currency: string; category: LoanCategory; loans: number; required: string }>(REQUIRED_SQL);
          const requiredOf = new Map(required.map((r) => [`${r.currency}:${r.category}`, BigInt(r.required)]));
          loans = required.reduce((n, r) => n + r.loans, 0);
          transfers = [];
          for (const { currency, category, id } of allowances) {
            const difference = (requiredOf.get(`${currency}:${category}`) ?? 0n) - (heldById.get(id) ?? 0n);
            if (difference === 0n) continue;
            const expense = asAccount(bankAccount('provision_expense', currency));
            transfers.push({
              id: asTransfer(provisionPostingId(currency, category, ctx.date)),
              debit_account_id: difference > 0n ? expense : asAccount(id),
              credit_account_id: difference > 0n ? asAccount(id) : expense,
              amount: difference > 0n ? difference : -difference,
              code: LendingTransferCodes.provision,
              flags: 0,
              metadata: { category, business_date: ctx.date },
            });
          }
          return transfers;
        },
        async settle(tx, results) {
          requirePosted(results, transfers, 'provision');
          if (isMonthEnd(ctx.date)) await tx.query(VINTAGE_SQL, [ctx.date]);
          const result = await finishChunk(tx, ctx, 'provision', DONE_CURSOR, loans, results.length);
          await updateStep(tx, ctx.date, ctx.owner, 'provision', { status: 'done', total: loans, seconds: ctx.seconds() });
          return result;
        },
      });
    },
  };
}

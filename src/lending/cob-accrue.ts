/**
 * COB step 1, accrue: each active loan's scheduled interest for the business date D, into
 * its interest receivable (credit: the bank's interest income), one transfer per loan.
 *
 * The day's amount is computed in SQL for the whole chunk with the rule of accrual.ts: for
 * the instalment whose period [period_start, due_date) holds D, with interest I over
 * P = due_date − period_start days and k = D − period_start + 1,
 *
 *   accrual = rhu(I·k / P) − rhu(I·(k−1) / P),   rhu(a/b) = (2a + b) div (2b)
 *
 * so the days of a period sum to exactly I and the receivable holds the schedule's
 * interest on every due date. A loan is done for D when last_accrual_date = D.
 */
import { bankAccount, LendingTransferCodes, postingId } from './accounts.js';
import { asAccount, asTransfer, finishChunk, LOAN_ROWS_LOCK_KEY, requirePosted, type ChunkResult, type StepContext, type StepRunner } from './cob-chunk.js';
import type { Queryable } from '../db/port.js';
import type { TransferInput } from '../ledger/types.js';

const SCOPE = `status = 'active' AND (last_accrual_date IS NULL OR last_accrual_date < $1::date)`;

/** Locks the next page of loans not yet accrued for D and computes each one's accrual. */
const PLAN_SQL = `
  WITH chunk AS (
    SELECT id, currency, interest_account_id FROM loans
    WHERE status = 'active' AND (last_accrual_date IS NULL OR last_accrual_date < $2::date) AND id > $1::uuid
    ORDER BY id LIMIT $3 FOR UPDATE)
  SELECT c.id::text AS id, c.currency, c.interest_account_id::text AS account_id,
         COALESCE((2 * i.interest * ($2::date - i.period_start + 1) + (i.due_date - i.period_start)) / (2 * (i.due_date - i.period_start))
                - (2 * i.interest * ($2::date - i.period_start) + (i.due_date - i.period_start)) / (2 * (i.due_date - i.period_start)), 0)::int8 AS amount
  FROM chunk c
  LEFT JOIN LATERAL (
    SELECT interest, period_start, due_date FROM loan_instalments
    WHERE loan_id = c.id AND status <> 'superseded' AND due_date > $2::date
    ORDER BY due_date LIMIT 1) i ON i.period_start <= $2::date
  ORDER BY c.id`;

const SETTLE_SQL = `
  UPDATE loans l SET accrued_interest = l.accrued_interest + u.amount, last_accrual_date = $3::date, updated_at = $4
  FROM unnest($1::uuid[], $2::int8[]) AS u(id, amount)
  WHERE l.id = u.id`;

interface Planned {
  ids: string[];
  amounts: bigint[];
  transfers: TransferInput[];
}

export function accrueStep(ctx: StepContext): StepRunner {
  return {
    step: 'accrue',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: bigint }>(`SELECT count(*)::int8 AS n FROM loans WHERE ${SCOPE}`, [ctx.date]);
      return Number(rows[0]!.n);
    },
    chunk(cursor) {
      let planned: Planned = { ids: [], amounts: [], transfers: [] };
      return ctx.writer.join<ChunkResult>({
        lock_key: LOAN_ROWS_LOCK_KEY,
        transfers_max: ctx.chunk_loans,
        async plan(tx) {
          const { rows } = await tx.query<{ id: string; currency: string; account_id: string; amount: bigint }>(PLAN_SQL, [cursor, ctx.date, ctx.chunk_loans]);
          planned = { ids: [], amounts: [], transfers: [] };
          for (const row of rows) {
            planned.ids.push(row.id);
            planned.amounts.push(row.amount);
            if (row.amount > 0n) {
              planned.transfers.push({
                id: asTransfer(postingId(row.id, 'accrual', ctx.date)),
                debit_account_id: asAccount(row.account_id),
                credit_account_id: asAccount(bankAccount('interest_income', row.currency)),
                amount: row.amount,
                code: LendingTransferCodes.interest_accrual,
                flags: 0,
              });
            }
          }
          return planned.transfers;
        },
        async settle(tx, results, now) {
          requirePosted(results, planned.transfers, 'accrual');
          const { ids, amounts } = planned;
          if (ids.length === 0) return { cursor: null, loans: 0, transfers: 0 };
          await tx.query(SETTLE_SQL, [ids, amounts, ctx.date, now]);
          return finishChunk(tx, ctx, 'accrue', ids[ids.length - 1]!, ids.length, results.length);
        },
      });
    },
  };
}

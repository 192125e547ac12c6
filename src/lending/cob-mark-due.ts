/**
 * COB step 2, mark due: every scheduled instalment whose due date has come (≤ D) becomes
 * `due` (or `paid` at once if it asks for nothing, e.g. a zero payment after a tiny annuity
 * retired early). No money moves: the interest was accrued day by day and the fee was
 * charged at disbursement, so the receivables already hold what is now due. Idempotent by
 * the instalment's status, so it needs no per-loan marker.
 */
import type { Queryable } from '../db/port.js';
import { finishChunk, type StepContext, type StepRunner } from './cob-chunk.js';

const CHUNK_SQL = `
  WITH falling_due AS MATERIALIZED (
    -- Through the due-date index (only what falls due, a few % of the book), never a walk of
    -- every instalment in loan order: the fence keeps the planner from the latter.
    SELECT loan_id FROM loan_instalments WHERE status = 'scheduled' AND due_date <= $2::date AND loan_id > $1::uuid),
  chunk AS (SELECT DISTINCT loan_id FROM falling_due ORDER BY loan_id LIMIT $3),
  locked AS (
    SELECT l.id FROM loans l JOIN chunk c ON c.loan_id = l.id WHERE l.status = 'active' ORDER BY l.id FOR UPDATE OF l),
  marked AS (
    UPDATE loan_instalments i
    SET status = CASE WHEN i.paid_principal = i.principal AND i.paid_interest = i.interest AND i.paid_fee = i.fee THEN 'paid' ELSE 'due' END
    FROM locked WHERE i.loan_id = locked.id AND i.status = 'scheduled' AND i.due_date <= $2::date
    RETURNING i.loan_id)
  SELECT (SELECT loan_id::text FROM chunk ORDER BY loan_id DESC LIMIT 1) AS cursor, (SELECT count(*) FROM locked)::int AS loans, (SELECT count(*) FROM marked)::int AS instalments`;

export function markDueStep(ctx: StepContext): StepRunner {
  return {
    step: 'mark_due',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: number }>(
        `WITH falling_due AS MATERIALIZED (SELECT DISTINCT loan_id FROM loan_instalments WHERE status = 'scheduled' AND due_date <= $1::date)
         SELECT count(*)::int AS n FROM falling_due f JOIN loans l ON l.id = f.loan_id WHERE l.status = 'active'`,
        [ctx.date],
      );
      return rows[0]!.n;
    },
    chunk(cursor) {
      return ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ cursor: string | null; loans: number }>(CHUNK_SQL, [cursor, ctx.date, ctx.chunk_loans]);
        const row = rows[0]!;
        return finishChunk(tx, ctx, 'mark_due', row.cursor, row.loans, 0);
      });
    },
  };
}

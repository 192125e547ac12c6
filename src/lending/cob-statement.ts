/**
 * COB step 0, statement: every revolving line whose statement date is the business date D
 * gets its statement cut (credit-line.ts, line-state.ts `cutStatement`: the same rules). The
 * statement is cut at the start of D, before D's accrual (cob-core.ts COB_STEPS):
 *
 * - row k (k = the statement's number; start + k periods = D) becomes the statement: period
 *   [statement k−1, D), due D, interest = the line's unbilled interest (the cycle's days, D
 *   not among them), principal = the minimum payment of the unbilled balance
 *   min(B, max(floor, ⌈B × bps / 10,000⌉)) — on the last statement (k = term, the maturity)
 *   all of B — and the fee row 1 already holds (the origination fee, charged at opening);
 *   `scheduled`, for mark_due to make due and collect to collect the same day (`paid` at once
 *   if it asks for nothing);
 * - the line: unbilled balance − principal billed, unbilled interest 0, last_statement_date
 *   D, next_statement_date start + (k+1) periods, or NULL after the last one.
 *
 * No money moves (the interest was accrued day by day, the fee charged at opening), so a
 * chunk is one plain transaction under the lines' row locks. A line is done for D when its
 * next_statement_date has moved past D; a servicing operation on or after D that cut it
 * first (line-servicing.ts) has moved it already.
 */
import type { Queryable } from '../db/port.js';
import { finishChunk, type StepContext, type StepRunner } from './cob-chunk.js';
import { closeSettledLoans } from './cob-collect.js';

const SCOPE = `status = 'active' AND next_statement_date IS NOT NULL AND next_statement_date <= $1::date`;

/** SQL for statement k's date of a line: start + k periods, months clamped to the month's end like dates.ts addMonths. */
export function statementDateSql(start: string, frequency: string, k: string): string {
  return `(CASE ${frequency} WHEN 'weekly' THEN ${start} + 7 * (${k})
           ELSE (${start} + make_interval(months => (${k}) * CASE ${frequency} WHEN 'quarterly' THEN 3 ELSE 1 END))::date END)`;
}

/** The statement number k whose date is `date` (a statement date of the line). */
const statementNumberSql = (start: string, frequency: string, date: string) =>
  `(CASE ${frequency} WHEN 'weekly' THEN (${date} - ${start}) / 7
    ELSE ((extract(year FROM ${date}) * 12 + extract(month FROM ${date})) - (extract(year FROM ${start}) * 12 + extract(month FROM ${start})))::int
         / CASE ${frequency} WHEN 'quarterly' THEN 3 ELSE 1 END END)`;

const CHUNK_SQL = `
  WITH chunk AS (
    SELECT id, start_date, next_statement_date AS cut_date, unbilled_principal, unbilled_interest, terms ->> 'frequency' AS frequency,
           (terms ->> 'term_periods')::int AS term, (terms -> 'minimum_payment' ->> 'bps')::int8 AS bps,
           (terms -> 'minimum_payment' ->> 'floor_minor')::int8 AS floor_minor
    FROM loans WHERE ${SCOPE.replace('$1', '$2')} AND id > $1::uuid
    ORDER BY id LIMIT $3 FOR UPDATE),
  numbered AS (
    SELECT c.*, ${statementNumberSql('c.start_date', 'c.frequency', 'c.cut_date')} AS k FROM chunk c),
  cut AS (
    SELECT n.*, n.k = n.term AS last, ${statementDateSql('n.start_date', 'n.frequency', 'n.k - 1')} AS period_start,
           CASE WHEN n.k = n.term THEN n.unbilled_principal
                ELSE LEAST(n.unbilled_principal, GREATEST(n.floor_minor, div(n.unbilled_principal::numeric * n.bps + 9999, 10000)::int8)) END AS principal
    FROM numbered n),
  statements AS (
    INSERT INTO loan_instalments (loan_id, number, period_number, kind, period_start, due_date, interest_days, principal, interest, fee, status)
    SELECT id, k, k, 'scheduled', period_start, cut_date, cut_date - period_start, principal, unbilled_interest, 0,
           CASE WHEN principal + unbilled_interest = 0 THEN 'paid' ELSE 'scheduled' END
    FROM cut
    ON CONFLICT (loan_id, number) DO UPDATE SET
      period_number = excluded.period_number, kind = excluded.kind, period_start = excluded.period_start, due_date = excluded.due_date,
      interest_days = excluded.interest_days, principal = excluded.principal, interest = excluded.interest,
      status = CASE WHEN excluded.principal + excluded.interest + loan_instalments.fee - loan_instalments.paid_fee = 0 THEN 'paid' ELSE 'scheduled' END
    RETURNING loan_id),
  lines AS (
    UPDATE loans l SET unbilled_principal = l.unbilled_principal - c.principal, unbilled_interest = 0, last_statement_date = c.cut_date,
      next_statement_date = CASE WHEN c.last THEN NULL ELSE ${statementDateSql('c.start_date', 'c.frequency', 'c.k + 1')} END, updated_at = $4
    FROM cut c WHERE l.id = c.id
    RETURNING l.id)
  SELECT c.id::text AS id, c.cut_date::text AS cut_date, c.k, c.term, c.last,
         ${statementDateSql('c.start_date', 'c.frequency', 'c.k')}::text AS k_date,
         (SELECT count(*) FROM statements)::int AS written, (SELECT count(*) FROM lines)::int AS updated
  FROM cut c ORDER BY c.id`;

interface CutRow {
  id: string;
  cut_date: string;
  k: number;
  term: number;
  last: boolean;
  k_date: string;
  written: number;
  updated: number;
}

export function statementStep(ctx: StepContext): StepRunner {
  return {
    step: 'statement',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM loans WHERE ${SCOPE}`, [ctx.date]);
      return rows[0]!.n;
    },
    chunk(cursor) {
      return ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<CutRow>(CHUNK_SQL, [cursor, ctx.date, ctx.chunk_loans, ctx.now()]);
        for (const row of rows) {
          // A statement date COB passed without cutting would bill the wrong cycle: stop loudly (the chunk rolls back).
          if (row.cut_date !== ctx.date) throw new Error(`line ${row.id}: its statement of ${row.cut_date} was not cut on that date`);
          if (row.k < 1 || row.k > row.term || row.k_date !== row.cut_date) throw new Error(`line ${row.id}: ${row.cut_date} is not one of its statement dates (k = ${row.k})`);
          if (row.written !== rows.length || row.updated !== rows.length) throw new Error(`COB statement: ${rows.length} lines, ${row.written} rows written, ${row.updated} lines updated`);
        }
        // A last statement that asks for nothing leaves nothing owed: the line closes now (collection will not visit it).
        await closeSettledLoans(tx, rows.filter((r) => r.last).map((r) => r.id), ctx.now());
        const last = rows.length > 0 ? rows[rows.length - 1]!.id : null;
        return finishChunk(tx, ctx, 'statement', last, rows.length, 0);
      });
    },
  };
}

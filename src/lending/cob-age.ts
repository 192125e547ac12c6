/**
 * COB step 4, age: for every loan in arrears (something unpaid has fallen due) or coming
 * out of it (DPD or a penalty still on the row), after the day's collection:
 *
 * - days past due from the oldest unpaid due date, the worst DPD ever, and the category
 *   from DPD (aging.ts: normal, special mention 1–90, substandard 91–180, doubtful
 *   181–360, loss);
 * - instalments past their grace days become `overdue`;
 * - the day's penalty interest on overdue principal (floor-and-carry, accrual.ts) into the
 *   loan's penalty receivable (credit: the bank's penalty income).
 *
 * SQL reads the chunk's arrears under the row locks; the pure core (cob-core.ts ageLoan)
 * decides each loan; one UPDATE … FROM unnest writes them back. A loan is done for D when
 * last_cob_date = D.
 */
import type { Queryable } from '../db/port.js';
import type { TransferInput } from '../ledger/types.js';
import { bankAccount, LendingTransferCodes, postingId } from './accounts.js';
import { asAccount, asTransfer, finishChunk, LOAN_ROWS_LOCK_KEY, requirePosted, type ChunkResult, type StepContext, type StepRunner } from './cob-chunk.js';
import { ageLoan, carryFromText, cobTerms, type AgeingDecision } from './cob-core.js';
import type { BusinessDate } from './dates.js';

const SCOPE_IDS_SQL = `
  SELECT id::text AS id FROM (
    (SELECT DISTINCT loan_id AS id FROM loan_instalments WHERE status IN ('due', 'overdue') AND loan_id > $1::uuid ORDER BY 1 LIMIT $2)
    UNION
    (SELECT id FROM loans WHERE status = 'active' AND (days_past_due > 0 OR penalty_due > 0) AND id > $1::uuid ORDER BY 1 LIMIT $2)
  ) s ORDER BY id LIMIT $2`;

const LOCK_SQL = `
  WITH locked AS (
    SELECT id, currency, penalty_account_id, max_days_past_due, penalty_carry_num, penalty_carry_den,
           terms ->> 'grace_days' AS grace_days, terms ->> 'day_count' AS day_count, terms ->> 'penalty_annual_rate_percent' AS penalty_percent
    FROM loans WHERE id = ANY($1::uuid[]) AND status = 'active' AND (last_cob_date IS NULL OR last_cob_date < $2::date)
    ORDER BY id FOR UPDATE)
  SELECT k.id::text AS id, k.currency, k.penalty_account_id::text AS penalty_account_id, k.max_days_past_due,
         k.penalty_carry_num::text AS carry_num, k.penalty_carry_den::text AS carry_den, k.grace_days, k.day_count, k.penalty_percent,
         d.oldest::text AS oldest, COALESCE(d.overdue_principal, 0)::int8 AS overdue_principal
  FROM locked k LEFT JOIN LATERAL (
    SELECT min(due_date) FILTER (WHERE fee > paid_fee OR interest > paid_interest OR principal > paid_principal) AS oldest,
           sum(principal - paid_principal) FILTER (WHERE $2::date - due_date > COALESCE(k.grace_days::int, 0)) AS overdue_principal
    FROM loan_instalments WHERE loan_id = k.id AND status IN ('due', 'overdue') AND due_date <= $2::date) d ON true
  ORDER BY k.id`;

const LOANS_SQL = `
  UPDATE loans l
  SET days_past_due = u.dpd, max_days_past_due = u.max_dpd, category = u.category, penalty_due = l.penalty_due + u.penalty,
      penalty_carry_num = u.carry_num::numeric, penalty_carry_den = u.carry_den::numeric, last_cob_date = $8::date, updated_at = $9
  FROM unnest($1::uuid[], $2::int4[], $3::int4[], $4::text[], $5::int8[], $6::text[], $7::text[]) AS u(id, dpd, max_dpd, category, penalty, carry_num, carry_den)
  WHERE l.id = u.id`;

const OVERDUE_SQL = `
  UPDATE loan_instalments i SET status = 'overdue'
  FROM unnest($1::uuid[], $2::int4[]) AS u(id, grace)
  WHERE i.loan_id = u.id AND i.status = 'due' AND $3::date - i.due_date > u.grace`;

interface ArrearsRow {
  id: string;
  currency: string;
  penalty_account_id: string;
  max_days_past_due: number;
  carry_num: string;
  carry_den: string;
  grace_days: string | null;
  day_count: string | null;
  penalty_percent: string | null;
  oldest: string | null;
  overdue_principal: bigint;
}

export function ageStep(ctx: StepContext): StepRunner {
  return {
    step: 'age',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM loans l
         WHERE l.status = 'active' AND (l.last_cob_date IS NULL OR l.last_cob_date < $1::date)
           AND ((l.days_past_due > 0 OR l.penalty_due > 0) OR l.id IN (SELECT loan_id FROM loan_instalments WHERE status IN ('due', 'overdue')))`,
        [ctx.date],
      );
      return rows[0]!.n;
    },
    chunk(cursor) {
      let pageEnd: string | null = null;
      let rows: ArrearsRow[] = [];
      let decisions: AgeingDecision[] = [];
      let graces: number[] = [];
      let transfers: TransferInput[] = [];
      return ctx.writer.join<ChunkResult>({
        lock_key: LOAN_ROWS_LOCK_KEY,
        transfers_max: ctx.chunk_loans,
        async plan(tx) {
          const page = (await tx.query<{ id: string }>(SCOPE_IDS_SQL, [cursor, ctx.chunk_loans])).rows.map((r) => r.id);
          pageEnd = page.length > 0 ? page[page.length - 1]! : null;
          rows = page.length > 0 ? (await tx.query<ArrearsRow>(LOCK_SQL, [page, ctx.date])).rows : [];
          transfers = [];
          graces = [];
          decisions = rows.map((row) => {
            const terms = cobTerms(row.id, row.grace_days, row.day_count, row.penalty_percent);
            graces.push(terms.grace_days);
            const decision = ageLoan(
              {
                loan_id: row.id,
                terms,
                oldest_unpaid_due_date: row.oldest as BusinessDate | null,
                overdue_principal_minor: row.overdue_principal,
                carry: carryFromText(row.carry_num, row.carry_den),
                max_days_past_due: row.max_days_past_due,
              },
              ctx.date,
            );
            if (decision.penalty_minor > 0n) {
              transfers.push({
                id: asTransfer(postingId(row.id, 'penalty', ctx.date)),
                debit_account_id: asAccount(row.penalty_account_id),
                credit_account_id: asAccount(bankAccount('penalty_income', row.currency)),
                amount: decision.penalty_minor,
                code: LendingTransferCodes.penalty_accrual,
                flags: 0,
              });
            }
            return decision;
          });
          return transfers;
        },
        async settle(tx, results, now) {
          requirePosted(results, transfers, 'penalty');
          if (pageEnd === null) return { cursor: null, loans: 0, transfers: 0 };
          if (rows.length > 0) {
            const ids = rows.map((r) => r.id);
            await tx.query(LOANS_SQL, [
              ids,
              decisions.map((d) => d.days_past_due),
              decisions.map((d) => d.max_days_past_due),
              decisions.map((d) => d.category),
              decisions.map((d) => d.penalty_minor),
              decisions.map((d) => d.carry.num.toString()),
              decisions.map((d) => d.carry.den.toString()),
              ctx.date,
              now,
            ]);
            await tx.query(OVERDUE_SQL, [ids, graces, ctx.date]);
          }
          return finishChunk(tx, ctx, 'age', pageEnd, rows.length, results.length);
        },
      });
    },
  };
}

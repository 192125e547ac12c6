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
 * interest on every due date.
 *
 * A revolving line (credit_limit set) instead earns, for D in [start, maturity), its unbilled
 * drawn balance B × annual rate / 365 plus the carried fraction, floor-and-carry
 * (credit-line.ts `lineDayInterest`), in numeric over a fixed denominator: with the rate a/b
 * as the product stated it (b = 100 × 10^decimals) and basis = 365 b,
 *
 *   total = B·a + carry (over basis),  accrual = total div basis,  new carry = total mod basis
 *
 * added to accrued_interest and unbilled_interest (the next statement bills it). A loan is
 * done for D when last_accrual_date = D.
 */
import { bankAccount, LendingTransferCodes, postingId } from './accounts.js';
import { asAccount, asTransfer, finishChunk, LOAN_ROWS_LOCK_KEY, requirePosted, type ChunkResult, type StepContext, type StepRunner } from './cob-chunk.js';
import type { Queryable } from '../db/port.js';
import type { TransferInput } from '../ledger/types.js';

const SCOPE = `status = 'active' AND (last_accrual_date IS NULL OR last_accrual_date < $1::date)`;

/** Locks the next page of loans not yet accrued for D and computes each one's accrual. */
const PLAN_SQL = `
  WITH chunk AS (
    SELECT id, currency, interest_account_id, credit_limit, unbilled_principal, interest_carry_num, interest_carry_den, start_date, maturity_date,
           terms ->> 'annual_rate_percent' AS rate
    FROM loans
    WHERE status = 'active' AND (last_accrual_date IS NULL OR last_accrual_date < $2::date) AND id > $1::uuid
    ORDER BY id LIMIT $3 FOR UPDATE)
  SELECT c.id::text AS id, c.currency, c.interest_account_id::text AS account_id,
         (CASE WHEN c.credit_limit IS NULL
               THEN COALESCE((2 * i.interest * ($2::date - i.period_start + 1) + (i.due_date - i.period_start)) / (2 * (i.due_date - i.period_start))
                           - (2 * i.interest * ($2::date - i.period_start) + (i.due_date - i.period_start)) / (2 * (i.due_date - i.period_start)), 0)
               ELSE div(line.total, line.basis) END)::int8 AS amount,
         mod(line.total, line.basis)::text AS carry_num, line.basis::text AS carry_den,
         c.credit_limit IS NULL OR mod(line.basis, c.interest_carry_den) = 0 AS carry_ok
  FROM chunk c
  LEFT JOIN LATERAL (
    SELECT interest, period_start, due_date FROM loan_instalments
    WHERE c.credit_limit IS NULL AND loan_id = c.id AND status <> 'superseded' AND due_date > $2::date
    ORDER BY due_date LIMIT 1) i ON i.period_start <= $2::date
  LEFT JOIN LATERAL (
    SELECT r.basis,
           CASE WHEN $2::date >= c.start_date AND $2::date < c.maturity_date THEN c.unbilled_principal * r.num ELSE 0 END
             + c.interest_carry_num * div(r.basis, c.interest_carry_den) AS total
    FROM (SELECT replace(c.rate, '.', '')::numeric AS num, ('1' || repeat('0', 2 + length(split_part(c.rate, '.', 2))))::numeric * 365 AS basis) r
    WHERE c.credit_limit IS NOT NULL) line ON true
  ORDER BY c.id`;

const SETTLE_SQL = `
  UPDATE loans l SET accrued_interest = l.accrued_interest + u.amount,
    unbilled_interest = l.unbilled_interest + CASE WHEN l.credit_limit IS NULL THEN 0 ELSE u.amount END,
    interest_carry_num = COALESCE(u.carry_num::numeric, l.interest_carry_num), interest_carry_den = COALESCE(u.carry_den::numeric, l.interest_carry_den),
    last_accrual_date = $5::date, updated_at = $6
  FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[]) AS u(id, amount, carry_num, carry_den)
  WHERE l.id = u.id`;

interface Planned {
  ids: string[];
  amounts: bigint[];
  /** Revolving lines' new interest carries (null for scheduled loans). */
  carry_nums: (string | null)[];
  carry_dens: (string | null)[];
  transfers: TransferInput[];
}

interface PlanRow {
  id: string;
  currency: string;
  account_id: string;
  amount: bigint;
  carry_num: string | null;
  carry_den: string | null;
  carry_ok: boolean;
}

export function accrueStep(ctx: StepContext): StepRunner {
  return {
    step: 'accrue',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: bigint }>(`SELECT count(*)::int8 AS n FROM loans WHERE ${SCOPE}`, [ctx.date]);
      return Number(rows[0]!.n);
    },
    chunk(cursor) {
      let planned: Planned = { ids: [], amounts: [], carry_nums: [], carry_dens: [], transfers: [] };
      return ctx.writer.join<ChunkResult>({
        lock_key: LOAN_ROWS_LOCK_KEY,
        transfers_max: ctx.chunk_loans,
        async plan(tx) {
          const { rows } = await tx.query<PlanRow>(PLAN_SQL, [cursor, ctx.date, ctx.chunk_loans]);
          planned = { ids: [], amounts: [], carry_nums: [], carry_dens: [], transfers: [] };
          for (const row of rows) {
            // Every carry is a multiple of 1/basis (written here, or by servicing in lowest terms): anything else is a bug.
            if (!row.carry_ok) throw new Error(`COB accrual: line ${row.id}'s interest carry is not over a divisor of its rate's basis`);
            planned.ids.push(row.id);
            planned.amounts.push(row.amount);
            planned.carry_nums.push(row.carry_num);
            planned.carry_dens.push(row.carry_den);
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
          await tx.query(SETTLE_SQL, [ids, amounts, planned.carry_nums, planned.carry_dens, ctx.date, now]);
          return finishChunk(tx, ctx, 'accrue', ids[ids.length - 1]!, ids.length, results.length);
        },
      });
    },
  };
}

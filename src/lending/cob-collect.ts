/**
 * COB step 3, collect: for every loan with something unpaid that has fallen due, debit the
 * customer's account (`loans.account_id`) and credit the loan's receivables, in the order
 * of allocation.ts: penalties, then fees, then interest, then principal; within each, the
 * oldest instalment first.
 *
 * Each loan gets up to four transfers, one per component, each for the whole amount due
 * and flagged `balancing_debit`: the ledger moves at most what the customer's account
 * holds (credits − debits − pending debits, read under the writer's lock on the account),
 * so a short account pays part and never goes overdrawn, and the transfers' order is the
 * component order. A refused debit (an empty, frozen or closed account) collects nothing.
 * Within a component, the amount collected goes to the instalments oldest first (window
 * sums in SQL). Collection runs every COB day while anything due is unpaid: an account
 * topped up later is swept the next day. A loan is done for D when last_collection_date = D.
 */
import type { Queryable } from '../db/port.js';
import { TransferFlags, type TransferErrorCode, type TransferInput, type TransferResult } from '../ledger/types.js';
import { LendingTransferCodes, postingId } from './accounts.js';
import { asAccount, asTransfer, finishChunk, LOAN_ROWS_LOCK_KEY, type ChunkResult, type StepContext, type StepRunner } from './cob-chunk.js';

/** The most transfers one loan's collection posts: one per component. */
export const COLLECTION_TRANSFERS_PER_LOAN = 4;

const COMPONENTS = [
  { key: 'penalty', code: LendingTransferCodes.repayment_penalty, account: 'penalty_account_id' },
  { key: 'fee', code: LendingTransferCodes.repayment_fee, account: 'fee_account_id' },
  { key: 'interest', code: LendingTransferCodes.repayment_interest, account: 'interest_account_id' },
  { key: 'principal', code: LendingTransferCodes.repayment_principal, account: 'principal_account_id' },
] as const;
type Component = (typeof COMPONENTS)[number]['key'];

const SCOPE_IDS_SQL = `
  SELECT id::text AS id FROM (
    (SELECT DISTINCT loan_id AS id FROM loan_instalments WHERE status IN ('due', 'overdue') AND loan_id > $1::uuid ORDER BY 1 LIMIT $2)
    UNION
    (SELECT id FROM loans WHERE status = 'active' AND (days_past_due > 0 OR penalty_due > 0) AND penalty_due > 0 AND id > $1::uuid ORDER BY 1 LIMIT $2)
  ) s ORDER BY id LIMIT $2`;

const LOCK_SQL = `
  WITH locked AS (
    SELECT id, account_id, currency, principal_account_id, interest_account_id, penalty_account_id, fee_account_id, penalty_due, credit_limit
    FROM loans WHERE id = ANY($1::uuid[]) AND status = 'active' AND (last_collection_date IS NULL OR last_collection_date < $2::date)
    ORDER BY id FOR UPDATE)
  SELECT k.id::text AS id, k.credit_limit IS NOT NULL AS line, k.account_id::text AS account_id, k.currency,
         k.principal_account_id::text AS principal_account_id, k.interest_account_id::text AS interest_account_id,
         k.penalty_account_id::text AS penalty_account_id, k.fee_account_id::text AS fee_account_id,
         k.penalty_due AS penalty, COALESCE(d.fee, 0)::int8 AS fee, COALESCE(d.interest, 0)::int8 AS interest, COALESCE(d.principal, 0)::int8 AS principal
  FROM locked k LEFT JOIN LATERAL (
    SELECT sum(fee - paid_fee) AS fee, sum(interest - paid_interest) AS interest, sum(principal - paid_principal) AS principal
    FROM loan_instalments WHERE loan_id = k.id AND status IN ('due', 'overdue') AND due_date <= $2::date) d ON true
  ORDER BY k.id`;

/** Spreads each loan's collected fee, interest and principal over its due instalments, oldest first. */
const ALLOCATE_SQL = `
  WITH paid AS (SELECT * FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::int8[]) AS u(loan_id, fee, interest, principal)),
  due AS (
    SELECT i.loan_id, i.number, p.fee AS fee_paid, p.interest AS interest_paid, p.principal AS principal_paid,
           i.fee - i.paid_fee AS fee_left, i.interest - i.paid_interest AS interest_left, i.principal - i.paid_principal AS principal_left,
           sum(i.fee - i.paid_fee) OVER w - (i.fee - i.paid_fee) AS fee_before,
           sum(i.interest - i.paid_interest) OVER w - (i.interest - i.paid_interest) AS interest_before,
           sum(i.principal - i.paid_principal) OVER w - (i.principal - i.paid_principal) AS principal_before
    FROM loan_instalments i JOIN paid p ON p.loan_id = i.loan_id
    WHERE i.status IN ('due', 'overdue') AND i.due_date <= $5::date
    WINDOW w AS (PARTITION BY i.loan_id ORDER BY i.due_date, i.number ROWS UNBOUNDED PRECEDING)),
  alloc AS (
    SELECT loan_id, number,
           LEAST(fee_left, GREATEST(0, fee_paid - fee_before)) AS fee_now,
           LEAST(interest_left, GREATEST(0, interest_paid - interest_before)) AS interest_now,
           LEAST(principal_left, GREATEST(0, principal_paid - principal_before)) AS principal_now
    FROM due)
  UPDATE loan_instalments i
  SET paid_fee = i.paid_fee + a.fee_now, paid_interest = i.paid_interest + a.interest_now, paid_principal = i.paid_principal + a.principal_now,
      status = CASE WHEN i.paid_fee + a.fee_now = i.fee AND i.paid_interest + a.interest_now = i.interest AND i.paid_principal + a.principal_now = i.principal
                    THEN 'paid' ELSE i.status END
  FROM alloc a
  WHERE i.loan_id = a.loan_id AND i.number = a.number AND (a.fee_now > 0 OR a.interest_now > 0 OR a.principal_now > 0)`;

const LOANS_SQL = `
  UPDATE loans l
  SET penalty_due = l.penalty_due - u.penalty, accrued_interest = l.accrued_interest - u.interest,
      outstanding_principal = l.outstanding_principal - u.principal, last_collection_date = $6::date, updated_at = $7
  FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::int8[]) AS u(id, penalty, fee, interest, principal)
  WHERE l.id = u.id`;

/**
 * Loans whose principal reached zero: closed once nothing at all is left unpaid (the penalty
 * carry, under a unit, is dropped; nothing is past due). A revolving line only after its last
 * statement (next_statement_date is NULL): before maturity a line with nothing drawn stays open.
 */
const CLOSE_SQL = `
  UPDATE loans l SET status = 'closed', closed_at = $2, updated_at = $2, days_past_due = 0
  WHERE l.id = ANY($1::uuid[]) AND l.status = 'active' AND l.outstanding_principal = 0 AND l.accrued_interest = 0 AND l.penalty_due = 0
    AND l.next_statement_date IS NULL
    AND NOT EXISTS (SELECT 1 FROM loan_instalments i WHERE i.loan_id = l.id AND i.status NOT IN ('paid', 'superseded')
                    AND (i.fee > i.paid_fee OR i.interest > i.paid_interest OR i.principal > i.paid_principal))`;

/** Closes those of `ids` that owe nothing at all any more (see CLOSE_SQL). */
export async function closeSettledLoans(tx: Queryable, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length > 0) await tx.query(CLOSE_SQL, [ids, now]);
}

interface DueRow {
  id: string;
  /** A revolving line: it may close with no principal collected (its last statement billed interest only). */
  line: boolean;
  account_id: string;
  currency: string;
  principal_account_id: string;
  interest_account_id: string;
  penalty_account_id: string;
  fee_account_id: string;
  penalty: bigint;
  fee: bigint;
  interest: bigint;
  principal: bigint;
}

/** Refusals that mean "the customer's account cannot pay today": nothing is collected. */
const CANNOT_PAY: ReadonlySet<TransferErrorCode> = new Set(['exceeds_credits', 'account_frozen', 'account_closed']);

function collectedAmount(result: TransferResult, input: TransferInput): bigint {
  if (result.ok) {
    if (result.replayed) throw new Error(`COB collection: transfer ${input.id} already existed, yet its loan was not marked collected`);
    return result.transfer.amount;
  }
  const customerSide = result.field === undefined || result.field === 'amount' || result.field === 'debit_account_id';
  if (CANNOT_PAY.has(result.code) && customerSide) return 0n;
  if (result.code === 'account_not_found' && result.field === 'debit_account_id') return 0n;
  throw new Error(`COB collection: the ledger refused transfer ${input.id} (${result.code}${result.field ? `, ${result.field}` : ''})`);
}

export function collectStep(ctx: StepContext): StepRunner {
  const loansPerChunk = Math.max(1, Math.floor(ctx.chunk_loans / COLLECTION_TRANSFERS_PER_LOAN));
  return {
    step: 'collect',
    async count(db: Queryable) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM loans l
         WHERE l.status = 'active' AND (l.last_collection_date IS NULL OR l.last_collection_date < $1::date)
           AND (l.penalty_due > 0 AND (l.days_past_due > 0 OR l.penalty_due > 0)
                OR l.id IN (SELECT loan_id FROM loan_instalments WHERE status IN ('due', 'overdue')))`,
        [ctx.date],
      );
      return rows[0]!.n;
    },
    chunk(cursor) {
      let rows: DueRow[] = [];
      let pageEnd: string | null = null;
      let transfers: TransferInput[] = [];
      /** For each loan (by row index), the transfer index of each component it posts. */
      let positions: Partial<Record<Component, number>>[] = [];
      return ctx.writer.join<ChunkResult>({
        lock_key: LOAN_ROWS_LOCK_KEY,
        transfers_max: loansPerChunk * COLLECTION_TRANSFERS_PER_LOAN,
        async plan(tx) {
          const page = (await tx.query<{ id: string }>(SCOPE_IDS_SQL, [cursor, loansPerChunk])).rows.map((r) => r.id);
          pageEnd = page.length > 0 ? page[page.length - 1]! : null;
          rows = page.length > 0 ? (await tx.query<DueRow>(LOCK_SQL, [page, ctx.date])).rows : [];
          transfers = [];
          positions = rows.map((row) => {
            const at: Partial<Record<Component, number>> = {};
            for (const component of COMPONENTS) {
              const due = row[component.key];
              if (due <= 0n) continue;
              at[component.key] = transfers.length;
              transfers.push({
                id: asTransfer(postingId(row.id, `collection:${component.key}`, ctx.date)),
                debit_account_id: asAccount(row.account_id),
                credit_account_id: asAccount(row[component.account]),
                amount: due,
                code: component.code,
                flags: TransferFlags.balancing_debit,
              });
            }
            return at;
          });
          return transfers;
        },
        async settle(tx, results, now) {
          if (pageEnd === null) return { cursor: null, loans: 0, transfers: 0 };
          const paid: Record<Component, bigint[]> = { penalty: [], fee: [], interest: [], principal: [] };
          const allocate = { ids: [] as string[], fee: [] as bigint[], interest: [] as bigint[], principal: [] as bigint[] };
          const closing: string[] = [];
          let posted = 0;
          rows.forEach((row, r) => {
            const amounts = {} as Record<Component, bigint>;
            for (const { key } of COMPONENTS) {
              const at = positions[r]![key];
              amounts[key] = at === undefined ? 0n : collectedAmount(results[at]!, transfers[at]!);
              if (amounts[key] > 0n) posted++;
              paid[key].push(amounts[key]);
            }
            if (amounts.fee + amounts.interest + amounts.principal > 0n) {
              allocate.ids.push(row.id);
              allocate.fee.push(amounts.fee);
              allocate.interest.push(amounts.interest);
              allocate.principal.push(amounts.principal);
            }
            const allCollected = COMPONENTS.every(({ key }) => amounts[key] === row[key]);
            if ((amounts.principal > 0n && amounts.principal === row.principal) || (row.line && allCollected)) closing.push(row.id);
          });
          if (allocate.ids.length > 0) await tx.query(ALLOCATE_SQL, [allocate.ids, allocate.fee, allocate.interest, allocate.principal, ctx.date]);
          if (rows.length > 0) await tx.query(LOANS_SQL, [rows.map((r) => r.id), paid.penalty, paid.fee, paid.interest, paid.principal, ctx.date, now]);
          await closeSettledLoans(tx, closing, now);
          return finishChunk(tx, ctx, 'collect', pageEnd, rows.length, posted);
        },
      });
    },
  };
}

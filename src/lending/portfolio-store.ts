/**
 * SQL of the portfolio reports: a few aggregates over the loans (one scan each), the
 * allowance balances, and the vintage points COB records at month ends. Reads only, at
 * READ COMMITTED: a report taken while COB runs shows the book part-way through the day
 * (`as_of` says which dates are closed).
 */
import type { Queryable } from '../db/port.js';
import { LOAN_CATEGORIES, type DpdBucket, type LoanCategory } from './aging.js';
import { bankAccount } from './accounts.js';
import { PROVISION_SQL_EXPR } from './cob-provision.js';
import { loanCurrencies } from './cob-store.js';
import { DPD_BUCKET_SQL, type AgingCell, type CategoryCell, type VintagePoint, type VintageRow } from './portfolio.js';

export async function categoryCells(db: Queryable): Promise<CategoryCell[]> {
  const { rows } = await db.query<{ currency: string; product_id: string; category: LoanCategory; loans: number; outstanding: bigint; required: string }>(
    `SELECT currency, product_id, category, count(*)::int AS loans, sum(outstanding_principal)::int8 AS outstanding, sum(${PROVISION_SQL_EXPR})::text AS required
     FROM loans WHERE status = 'active' GROUP BY currency, product_id, category`,
  );
  return rows.map((r) => ({ currency: r.currency, product_id: r.product_id, category: r.category, loans: r.loans, outstanding_principal: r.outstanding, provision_required: BigInt(r.required) }));
}

/** The allowance balance (credit) of each category, per currency lent in. */
export async function allowancesHeld(db: Queryable): Promise<Map<string, Map<LoanCategory, bigint>>> {
  const currencies = await loanCurrencies(db);
  const ids = currencies.flatMap((currency) => LOAN_CATEGORIES.map((category) => ({ currency, category, id: bankAccount(`allowance_${category}`, currency) })));
  const { rows } = await db.query<{ id: string; balance: bigint }>(`SELECT id::text AS id, credits_posted - debits_posted AS balance FROM accounts WHERE id = ANY($1::uuid[])`, [ids.map((i) => i.id)]);
  const balance = new Map(rows.map((r) => [r.id, r.balance]));
  const out = new Map<string, Map<LoanCategory, bigint>>();
  for (const { currency, category, id } of ids) {
    if (!out.has(currency)) out.set(currency, new Map());
    out.get(currency)!.set(category, balance.get(id) ?? 0n);
  }
  return out;
}

export async function agingCells(db: Queryable): Promise<AgingCell[]> {
  const { rows } = await db.query<{ currency: string; bucket: DpdBucket; loans: number; outstanding: bigint; principal: bigint; interest: bigint; fee: bigint; penalty: bigint }>(
    `WITH arrears AS (
       SELECT loan_id, sum(principal - paid_principal) AS principal, sum(interest - paid_interest) AS interest, sum(fee - paid_fee) AS fee
       FROM loan_instalments WHERE status IN ('due', 'overdue') GROUP BY loan_id)
     SELECT l.currency, ${DPD_BUCKET_SQL.replace(/days_past_due/g, 'l.days_past_due')} AS bucket, count(*)::int AS loans,
            sum(l.outstanding_principal)::int8 AS outstanding, COALESCE(sum(a.principal), 0)::int8 AS principal,
            COALESCE(sum(a.interest), 0)::int8 AS interest, COALESCE(sum(a.fee), 0)::int8 AS fee, sum(l.penalty_due)::int8 AS penalty
     FROM loans l LEFT JOIN arrears a ON a.loan_id = l.id
     WHERE l.status = 'active'
     GROUP BY 1, 2`,
  );
  return rows.map((r) => ({
    currency: r.currency,
    bucket: r.bucket,
    loans: r.loans,
    outstanding_principal: r.outstanding,
    overdue_principal: r.principal,
    overdue_interest: r.interest,
    overdue_fee: r.fee,
    penalty: r.penalty,
  }));
}

export interface VintageFilter {
  currency?: string | undefined;
  product_id?: string | undefined;
  /** Vintages from this month on (YYYY-MM-01). */
  from_month: string;
}

const VINTAGE_FIGURES = `count(*)::int AS loans, sum(principal)::int8 AS principal,
  COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active'), 0)::int8 AS outstanding,
  (count(*) FILTER (WHERE max_days_past_due >= 30))::int AS ever30_loans, COALESCE(sum(principal) FILTER (WHERE max_days_past_due >= 30), 0)::int8 AS ever30_principal,
  (count(*) FILTER (WHERE max_days_past_due >= 90))::int AS ever90_loans, COALESCE(sum(principal) FILTER (WHERE max_days_past_due >= 90), 0)::int8 AS ever90_principal,
  COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active' AND days_past_due >= 30), 0)::int8 AS dpd30_outstanding,
  COALESCE(sum(outstanding_principal) FILTER (WHERE status = 'active' AND days_past_due >= 90), 0)::int8 AS dpd90_outstanding`;

/** Each disbursement month's figures now (every loan, whatever its status). */
export async function vintageRows(db: Queryable, filter: VintageFilter): Promise<VintageRow[]> {
  const { rows } = await db.query<VintageRow>(
    `SELECT currency, date_trunc('month', start_date)::date::text AS vintage_month, ${VINTAGE_FIGURES}
     FROM loans
     WHERE start_date >= $1::date AND ($2::text IS NULL OR currency = $2) AND ($3::text IS NULL OR product_id = $3)
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [filter.from_month, filter.currency ?? null, filter.product_id ?? null],
  );
  return rows;
}

/** The month-end points COB recorded for these vintages, summed over products unless one is asked for. */
export async function vintagePoints(db: Queryable, filter: VintageFilter): Promise<VintagePoint[]> {
  const { rows } = await db.query<VintagePoint>(
    `SELECT currency, vintage_month::text AS vintage_month, business_date::text AS business_date, max(months_on_book) AS months_on_book,
            sum(loans)::int AS loans, sum(principal)::int8 AS principal, sum(outstanding)::int8 AS outstanding,
            sum(ever30_loans)::int AS ever30_loans, sum(ever30_principal)::int8 AS ever30_principal,
            sum(ever90_loans)::int AS ever90_loans, sum(ever90_principal)::int8 AS ever90_principal,
            sum(dpd30_outstanding)::int8 AS dpd30_outstanding, sum(dpd90_outstanding)::int8 AS dpd90_outstanding
     FROM loan_vintage_points
     WHERE vintage_month >= $1::date AND ($2::text IS NULL OR currency = $2) AND ($3::text IS NULL OR product_id = $3)
     GROUP BY currency, vintage_month, business_date ORDER BY currency, vintage_month, business_date`,
    [filter.from_month, filter.currency ?? null, filter.product_id ?? null],
  );
  return rows;
}

/**
 * SQL for lending's tables (migration 0008): products, applications, loans, instalments and
 * servicing operations. Business dates are read as text (`::text`), so no driver turns a
 * `date` into a zoned timestamp; money is int8 → bigint.
 */
import type { Queryable } from '../db/port.js';
import type { BusinessDate } from './dates.js';
import type { InstalmentRow, InstalmentStatus, RowPatch } from './loan-state.js';

type Row = Record<string, unknown>;

export interface PageAfter {
  at: Date;
  id: string;
}

// ------------------------------------------------------------------ products

export type ProductStatus = 'active' | 'retired';

export interface ProductRecord {
  id: string;
  version: number;
  /** The product as validated (ProductInput's JSON form: money as strings). */
  body: Record<string, unknown>;
  status: ProductStatus;
  created_by: string;
  created_at: Date;
}

const productFromRow = (r: Row): ProductRecord => ({
  id: r.id as string,
  version: r.version as number,
  body: r.body as Record<string, unknown>,
  status: r.status as ProductStatus,
  created_by: r.created_by as string,
  created_at: r.created_at as Date,
});

/** Inserts version `version`; false if another writer took that number first. */
export async function insertProductVersion(db: Queryable, p: ProductRecord): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO loan_products (id, version, body, status, created_by, created_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)
     ON CONFLICT (id, version) DO NOTHING RETURNING id`,
    [p.id, p.version, JSON.stringify(p.body), p.status, p.created_by, p.created_at.toISOString()],
  );
  return rows.length === 1;
}

export async function latestProduct(db: Queryable, id: string): Promise<ProductRecord | undefined> {
  const { rows } = await db.query(`SELECT * FROM loan_products WHERE id = $1 ORDER BY version DESC LIMIT 1`, [id]);
  return rows[0] ? productFromRow(rows[0]) : undefined;
}

export async function productVersion(db: Queryable, id: string, version: number): Promise<ProductRecord | undefined> {
  const { rows } = await db.query(`SELECT * FROM loan_products WHERE id = $1 AND version = $2`, [id, version]);
  return rows[0] ? productFromRow(rows[0]) : undefined;
}

/** Newest first. */
export async function productVersions(db: Queryable, id: string, limit: number): Promise<ProductRecord[]> {
  const { rows } = await db.query(`SELECT * FROM loan_products WHERE id = $1 ORDER BY version DESC LIMIT $2`, [id, limit]);
  return rows.map(productFromRow);
}

/** The latest version of each product, by id after `after`. */
export async function listLatestProducts(db: Queryable, after: string | undefined, limit: number): Promise<ProductRecord[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT ON (id) * FROM loan_products WHERE ($1::text IS NULL OR id > $1) ORDER BY id, version DESC LIMIT $2`,
    [after ?? null, limit],
  );
  return rows.map(productFromRow);
}

export async function setProductStatus(db: Queryable, id: string, version: number, status: ProductStatus): Promise<void> {
  await db.query(`UPDATE loan_products SET status = $3 WHERE id = $1 AND version = $2`, [id, version, status]);
}

// ------------------------------------------------------------------ applications

export type ApplicationStatus = 'approved' | 'declined' | 'referred' | 'accepted' | 'expired';

export interface ApplicationRecord {
  id: string;
  customer_id: string;
  account_id: string;
  product_id: string;
  product_version: number;
  requested_amount: bigint;
  requested_term: number;
  /** The business facts as sent (money as strings), and the risk-only fields. */
  business: Record<string, unknown>;
  fingerprint: string;
  status: ApplicationStatus;
  /** The decision (decision.ts) as JSON, money as strings. */
  decision: Record<string, unknown>;
  offer_amount: bigint | null;
  offer_term: number | null;
  offer_rate_percent: string | null;
  decision_ms: number;
  offer_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const applicationFromRow = (r: Row): ApplicationRecord => ({
  id: r.id as string,
  customer_id: r.customer_id as string,
  account_id: r.account_id as string,
  product_id: r.product_id as string,
  product_version: r.product_version as number,
  requested_amount: r.requested_amount as bigint,
  requested_term: r.requested_term as number,
  business: r.business as Record<string, unknown>,
  fingerprint: r.fingerprint as string,
  status: r.status as ApplicationStatus,
  decision: r.decision as Record<string, unknown>,
  offer_amount: (r.offer_amount as bigint | null) ?? null,
  offer_term: (r.offer_term as number | null) ?? null,
  offer_rate_percent: (r.offer_rate_percent as string | null) ?? null,
  decision_ms: Number(r.decision_ms),
  offer_expires_at: (r.offer_expires_at as Date | null) ?? null,
  created_at: r.created_at as Date,
  updated_at: r.updated_at as Date,
});

/** Inserts the application unless its id exists; returns whether this call inserted it. */
export async function insertApplication(db: Queryable, a: ApplicationRecord): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO loan_applications (id, customer_id, account_id, product_id, product_version, requested_amount, requested_term, business,
       fingerprint, status, decision, offer_amount, offer_term, offer_rate_percent, decision_ms, offer_expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12, $13, $14, $15, $16, $17, $17)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      a.id, a.customer_id, a.account_id, a.product_id, a.product_version, a.requested_amount, a.requested_term, JSON.stringify(a.business),
      a.fingerprint, a.status, JSON.stringify(a.decision), a.offer_amount, a.offer_term, a.offer_rate_percent, a.decision_ms,
      a.offer_expires_at?.toISOString() ?? null, a.created_at.toISOString(),
    ],
  );
  return rows.length === 1;
}

export async function getApplication(db: Queryable, id: string): Promise<ApplicationRecord | undefined> {
  const { rows } = await db.query(`SELECT * FROM loan_applications WHERE id = $1`, [id]);
  return rows[0] ? applicationFromRow(rows[0]) : undefined;
}

export async function lockApplication(tx: Queryable, id: string): Promise<ApplicationRecord | undefined> {
  const { rows } = await tx.query(`SELECT * FROM loan_applications WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? applicationFromRow(rows[0]) : undefined;
}

export async function setApplicationStatus(
  db: Queryable,
  id: string,
  status: ApplicationStatus,
  now: Date,
  changes: { offer_expires_at?: Date | null; decision?: Record<string, unknown> } = {},
): Promise<void> {
  await db.query(
    `UPDATE loan_applications SET status = $2, updated_at = $3,
       offer_expires_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE offer_expires_at END,
       decision = COALESCE($6::jsonb, decision)
     WHERE id = $1`,
    [id, status, now.toISOString(), changes.offer_expires_at !== undefined, changes.offer_expires_at?.toISOString() ?? null, changes.decision ? JSON.stringify(changes.decision) : null],
  );
}

export interface ApplicationFilter {
  customer_id?: string | undefined;
  status?: ApplicationStatus | undefined;
}

/** Newest first, after the cursor (created_at, id). */
export async function listApplications(db: Queryable, filter: ApplicationFilter, after: PageAfter | undefined, limit: number): Promise<ApplicationRecord[]> {
  const { rows } = await db.query(
    `SELECT * FROM loan_applications
     WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [filter.customer_id ?? null, filter.status ?? null, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map(applicationFromRow);
}

// ------------------------------------------------------------------ loans

export type LoanStatus = 'active' | 'closed' | 'written_off';

/** What a revolving line's row holds beyond a loan's (migration 0012; docs/lending.md "Revolving credit lines"). */
export interface LineRecord {
  credit_limit: bigint;
  unbilled_principal: bigint;
  unbilled_interest: bigint;
  /** The interest carry, a fraction of a minor unit (numerics as text). */
  carry_num: string;
  carry_den: string;
  last_statement_date: BusinessDate | null;
  next_statement_date: BusinessDate | null;
}

export interface LoanRecord {
  id: string;
  application_id: string | null;
  customer_id: string;
  account_id: string;
  currency: string;
  product_id: string;
  product_version: number;
  /** The product as written into the loan (with the offer's rate), `term_periods` and `band`. */
  terms: Record<string, unknown>;
  principal: bigint;
  start_date: BusinessDate;
  maturity_date: BusinessDate;
  status: LoanStatus;
  principal_account_id: string;
  interest_account_id: string;
  penalty_account_id: string;
  fee_account_id: string;
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  days_past_due: number;
  category: string;
  last_cob_date: BusinessDate | null;
  last_accrual_date: BusinessDate | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Money recovered after a write-off (recoveries.ts); 0 otherwise. */
  recovered: bigint;
  /** A revolving line's own state; null for a scheduled loan. `principal` is then what was drawn in all. */
  line: LineRecord | null;
}

const LOAN_COLUMNS = `id::text AS id, application_id::text AS application_id, customer_id, account_id::text AS account_id, currency, product_id,
  product_version, terms, principal, start_date::text AS start_date, maturity_date::text AS maturity_date, status,
  principal_account_id::text AS principal_account_id, interest_account_id::text AS interest_account_id,
  penalty_account_id::text AS penalty_account_id, fee_account_id::text AS fee_account_id,
  outstanding_principal, accrued_interest, penalty_due, days_past_due, category, last_cob_date::text AS last_cob_date,
  last_accrual_date::text AS last_accrual_date, closed_at, created_at, updated_at, recovered,
  credit_limit, unbilled_principal, unbilled_interest, interest_carry_num::text AS interest_carry_num, interest_carry_den::text AS interest_carry_den,
  last_statement_date::text AS last_statement_date, next_statement_date::text AS next_statement_date`;

const loanFromRow = (r: Row): LoanRecord => ({
  id: r.id as string,
  application_id: (r.application_id as string | null) ?? null,
  customer_id: r.customer_id as string,
  account_id: r.account_id as string,
  currency: r.currency as string,
  product_id: r.product_id as string,
  product_version: r.product_version as number,
  terms: r.terms as Record<string, unknown>,
  principal: r.principal as bigint,
  start_date: r.start_date as BusinessDate,
  maturity_date: r.maturity_date as BusinessDate,
  status: r.status as LoanStatus,
  principal_account_id: r.principal_account_id as string,
  interest_account_id: r.interest_account_id as string,
  penalty_account_id: r.penalty_account_id as string,
  fee_account_id: r.fee_account_id as string,
  outstanding_principal: r.outstanding_principal as bigint,
  accrued_interest: r.accrued_interest as bigint,
  penalty_due: r.penalty_due as bigint,
  days_past_due: r.days_past_due as number,
  category: r.category as string,
  last_cob_date: (r.last_cob_date as BusinessDate | null) ?? null,
  last_accrual_date: (r.last_accrual_date as BusinessDate | null) ?? null,
  closed_at: (r.closed_at as Date | null) ?? null,
  created_at: r.created_at as Date,
  updated_at: r.updated_at as Date,
  recovered: r.recovered as bigint,
  line:
    r.credit_limit === null || r.credit_limit === undefined
      ? null
      : {
          credit_limit: r.credit_limit as bigint,
          unbilled_principal: r.unbilled_principal as bigint,
          unbilled_interest: r.unbilled_interest as bigint,
          carry_num: r.interest_carry_num as string,
          carry_den: r.interest_carry_den as string,
          last_statement_date: (r.last_statement_date as BusinessDate | null) ?? null,
          next_statement_date: (r.next_statement_date as BusinessDate | null) ?? null,
        },
});

export async function insertLoan(tx: Queryable, l: LoanRecord): Promise<void> {
  await tx.query(
    `INSERT INTO loans (id, application_id, customer_id, account_id, currency, product_id, product_version, terms, principal, start_date,
       maturity_date, status, principal_account_id, interest_account_id, penalty_account_id, fee_account_id, outstanding_principal,
       accrued_interest, penalty_due, created_at, updated_at, credit_limit, unbilled_principal, next_statement_date)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::date, $11::date, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21, $22, $23::date)`,
    [
      l.id, l.application_id, l.customer_id, l.account_id, l.currency, l.product_id, l.product_version, JSON.stringify(l.terms), l.principal,
      l.start_date, l.maturity_date, l.status, l.principal_account_id, l.interest_account_id, l.penalty_account_id, l.fee_account_id,
      l.outstanding_principal, l.accrued_interest, l.penalty_due, l.created_at.toISOString(),
      l.line?.credit_limit ?? null, l.line?.unbilled_principal ?? 0n, l.line?.next_statement_date ?? null,
    ],
  );
}

export async function getLoan(db: Queryable, id: string): Promise<LoanRecord | undefined> {
  const { rows } = await db.query(`SELECT ${LOAN_COLUMNS} FROM loans WHERE id = $1`, [id]);
  return rows[0] ? loanFromRow(rows[0]) : undefined;
}

export async function lockLoan(tx: Queryable, id: string): Promise<LoanRecord | undefined> {
  const { rows } = await tx.query(`SELECT ${LOAN_COLUMNS} FROM loans WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? loanFromRow(rows[0]) : undefined;
}

export async function loanOfApplication(db: Queryable, applicationId: string): Promise<LoanRecord | undefined> {
  const { rows } = await db.query(`SELECT ${LOAN_COLUMNS} FROM loans WHERE application_id = $1`, [applicationId]);
  return rows[0] ? loanFromRow(rows[0]) : undefined;
}

export async function listLoans(db: Queryable, filter: { customer_id?: string | undefined; status?: LoanStatus | undefined }, after: PageAfter | undefined, limit: number): Promise<LoanRecord[]> {
  const { rows } = await db.query(
    `SELECT ${LOAN_COLUMNS} FROM loans
     WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [filter.customer_id ?? null, filter.status ?? null, after?.at.toISOString() ?? null, after?.id ?? null, limit],
  );
  return rows.map(loanFromRow);
}

/**
 * A customer's active loans: how many, and the principal they still owe — for a revolving
 * line its limit (what may be drawn at any time), not only what is drawn.
 */
export async function activeExposure(db: Queryable, customerId: string): Promise<{ count: number; outstanding_minor: bigint }> {
  const { rows } = await db.query<{ n: number; outstanding: bigint }>(
    `SELECT count(*)::int AS n, COALESCE(sum(GREATEST(outstanding_principal, COALESCE(credit_limit, 0))), 0)::int8 AS outstanding
     FROM loans WHERE customer_id = $1 AND status = 'active'`,
    [customerId],
  );
  return { count: rows[0]!.n, outstanding_minor: rows[0]!.outstanding };
}

export interface LoanStateUpdate {
  status: LoanStatus;
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  last_accrual_date: BusinessDate | null;
  maturity_date: BusinessDate;
  /** Reset the penalty carry (a loan that is closed or written off carries nothing). */
  clear_carry: boolean;
  closed_at: Date | null;
}

export async function updateLoanState(tx: Queryable, id: string, u: LoanStateUpdate, now: Date): Promise<void> {
  await tx.query(
    `UPDATE loans SET status = $2, outstanding_principal = $3, accrued_interest = $4, penalty_due = $5, last_accrual_date = $6::date,
       maturity_date = $7::date, closed_at = $8,
       penalty_carry_num = CASE WHEN $9::boolean THEN 0 ELSE penalty_carry_num END,
       penalty_carry_den = CASE WHEN $9::boolean THEN 1 ELSE penalty_carry_den END,
       updated_at = $10
     WHERE id = $1`,
    [id, u.status, u.outstanding_principal, u.accrued_interest, u.penalty_due, u.last_accrual_date, u.maturity_date, u.closed_at?.toISOString() ?? null, u.clear_carry, now.toISOString()],
  );
}

/** A revolving line's own fields after a servicing operation (written with its LoanStateUpdate, in one statement). */
export interface LineStateUpdate extends Omit<LineRecord, 'credit_limit'> {
  /** What has been drawn in all (the row's `principal`). */
  drawn: bigint;
}

/**
 * A revolving line's loan state and its own fields together: one statement, because the
 * row's checks (unbilled ≤ outstanding ≤ limit) hold between the two sets, not halfway.
 */
export async function updateLineState(tx: Queryable, id: string, u: LoanStateUpdate, line: LineStateUpdate, now: Date): Promise<void> {
  const { rows } = await tx.query(
    `UPDATE loans SET status = $2, outstanding_principal = $3, accrued_interest = $4, penalty_due = $5, last_accrual_date = $6::date,
       maturity_date = $7::date, closed_at = $8,
       penalty_carry_num = CASE WHEN $9::boolean THEN 0 ELSE penalty_carry_num END,
       penalty_carry_den = CASE WHEN $9::boolean THEN 1 ELSE penalty_carry_den END,
       updated_at = $10, principal = $11, unbilled_principal = $12, unbilled_interest = $13,
       interest_carry_num = $14::numeric, interest_carry_den = $15::numeric, last_statement_date = $16::date, next_statement_date = $17::date
     WHERE id = $1 AND credit_limit IS NOT NULL RETURNING id`,
    [
      id, u.status, u.outstanding_principal, u.accrued_interest, u.penalty_due, u.last_accrual_date, u.maturity_date, u.closed_at?.toISOString() ?? null, u.clear_carry, now.toISOString(),
      line.drawn, line.unbilled_principal, line.unbilled_interest, line.carry_num, line.carry_den, line.last_statement_date, line.next_statement_date,
    ],
  );
  if (rows.length !== 1) throw new Error(`loan ${id} is not a revolving line`);
}

// ------------------------------------------------------------------ instalments

const INSTALMENT_COLUMNS = `number, COALESCE(period_number, number) AS period_number, kind, period_start::text AS period_start, due_date::text AS due_date,
  interest_days, principal, interest, fee, paid_principal, paid_interest, paid_fee, status`;

const instalmentFromRow = (r: Row): InstalmentRow => ({
  number: r.number as number,
  period_number: r.period_number as number,
  kind: r.kind as InstalmentRow['kind'],
  period_start: r.period_start as BusinessDate,
  due_date: r.due_date as BusinessDate,
  interest_days: r.interest_days as number,
  principal: r.principal as bigint,
  interest: r.interest as bigint,
  fee: r.fee as bigint,
  paid_principal: r.paid_principal as bigint,
  paid_interest: r.paid_interest as bigint,
  paid_fee: r.paid_fee as bigint,
  status: r.status as InstalmentStatus,
});

/** Every row of a loan, superseded ones too, by line number. */
export async function instalmentsOf(db: Queryable, loanId: string): Promise<InstalmentRow[]> {
  const { rows } = await db.query(`SELECT ${INSTALMENT_COLUMNS} FROM loan_instalments WHERE loan_id = $1 ORDER BY number`, [loanId]);
  return rows.map(instalmentFromRow);
}

/** The instalments of several loans in one query (a page of loans), by loan id. */
export async function instalmentsOfLoans(db: Queryable, loanIds: readonly string[]): Promise<Map<string, InstalmentRow[]>> {
  const out = new Map<string, InstalmentRow[]>(loanIds.map((id) => [id, []]));
  if (loanIds.length === 0) return out;
  const { rows } = await db.query(`SELECT loan_id, ${INSTALMENT_COLUMNS} FROM loan_instalments WHERE loan_id = ANY($1::uuid[]) ORDER BY loan_id, number`, [loanIds]);
  for (const r of rows) out.get(r.loan_id as string)?.push(instalmentFromRow(r));
  return out;
}

/** Inserts rows; with `replace`, a row whose number exists is overwritten (a line's statement over its opening row). */
export async function insertInstalments(tx: Queryable, loanId: string, rows: readonly InstalmentRow[], replace = false): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO loan_instalments (loan_id, number, period_number, kind, period_start, due_date, interest_days, principal, interest, fee,
       paid_principal, paid_interest, paid_fee, status)
     SELECT $1, u.number, u.period_number, u.kind, u.period_start, u.due_date, u.interest_days, u.principal, u.interest, u.fee,
            u.paid_principal, u.paid_interest, u.paid_fee, u.status
     FROM unnest($2::int4[], $3::int4[], $4::text[], $5::date[], $6::date[], $7::int4[], $8::int8[], $9::int8[], $10::int8[],
                 $11::int8[], $12::int8[], $13::int8[], $14::text[])
       AS u(number, period_number, kind, period_start, due_date, interest_days, principal, interest, fee, paid_principal, paid_interest, paid_fee, status)
     ${replace ? `ON CONFLICT (loan_id, number) DO UPDATE SET period_number = excluded.period_number, kind = excluded.kind, period_start = excluded.period_start,
       due_date = excluded.due_date, interest_days = excluded.interest_days, principal = excluded.principal, interest = excluded.interest, fee = excluded.fee,
       paid_principal = excluded.paid_principal, paid_interest = excluded.paid_interest, paid_fee = excluded.paid_fee, status = excluded.status` : ''}`,
    [
      loanId,
      rows.map((r) => r.number),
      rows.map((r) => r.period_number),
      rows.map((r) => r.kind),
      rows.map((r) => r.period_start),
      rows.map((r) => r.due_date),
      rows.map((r) => r.interest_days),
      rows.map((r) => r.principal),
      rows.map((r) => r.interest),
      rows.map((r) => r.fee),
      rows.map((r) => r.paid_principal),
      rows.map((r) => r.paid_interest),
      rows.map((r) => r.paid_fee),
      rows.map((r) => r.status),
    ],
  );
}

export async function patchInstalments(tx: Queryable, loanId: string, patches: readonly RowPatch[]): Promise<void> {
  if (patches.length === 0) return;
  await tx.query(
    `UPDATE loan_instalments i SET paid_principal = u.paid_principal, paid_interest = u.paid_interest, paid_fee = u.paid_fee,
       principal = u.principal, status = u.status
     FROM unnest($2::int4[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::text[]) AS u(number, paid_principal, paid_interest, paid_fee, principal, status)
     WHERE i.loan_id = $1 AND i.number = u.number`,
    [loanId, patches.map((p) => p.number), patches.map((p) => p.paid_principal), patches.map((p) => p.paid_interest), patches.map((p) => p.paid_fee), patches.map((p) => p.principal), patches.map((p) => p.status)],
  );
}

export async function supersedeInstalments(tx: Queryable, loanId: string, numbers: readonly number[]): Promise<void> {
  if (numbers.length === 0) return;
  await tx.query(`UPDATE loan_instalments SET status = 'superseded' WHERE loan_id = $1 AND number = ANY($2::int4[])`, [loanId, numbers]);
}

// ------------------------------------------------------------------ operations

export type OperationKind = 'repayment' | 'payoff' | 'restructure' | 'write_off' | 'drawdown' | 'recovery';

export interface OperationRecord {
  id: string;
  loan_id: string;
  kind: OperationKind;
  fingerprint: string;
  business_date: BusinessDate;
  amount: bigint;
  paid_penalty: bigint;
  paid_fee: bigint;
  paid_interest: bigint;
  paid_principal: bigint;
  prepaid_principal: bigint;
  early_repayment_fee: bigint;
  result: Record<string, unknown>;
  created_at: Date;
}

/** An operation that moved money without settling any receivable (a drawdown, a recovery): every component 0. */
export function uncomponentedOperation(o: Pick<OperationRecord, 'id' | 'loan_id' | 'kind' | 'fingerprint' | 'business_date' | 'amount' | 'result' | 'created_at'>): OperationRecord {
  return { ...o, paid_penalty: 0n, paid_fee: 0n, paid_interest: 0n, paid_principal: 0n, prepaid_principal: 0n, early_repayment_fee: 0n };
}

const OPERATION_COLUMNS = `id::text AS id, loan_id::text AS loan_id, kind, fingerprint, business_date::text AS business_date, amount, paid_penalty, paid_fee,
  paid_interest, paid_principal, prepaid_principal, early_repayment_fee, result, created_at`;

const operationFromRow = (r: Row): OperationRecord => ({
  id: r.id as string,
  loan_id: r.loan_id as string,
  kind: r.kind as OperationKind,
  fingerprint: r.fingerprint as string,
  business_date: r.business_date as BusinessDate,
  amount: r.amount as bigint,
  paid_penalty: r.paid_penalty as bigint,
  paid_fee: r.paid_fee as bigint,
  paid_interest: r.paid_interest as bigint,
  paid_principal: r.paid_principal as bigint,
  prepaid_principal: r.prepaid_principal as bigint,
  early_repayment_fee: r.early_repayment_fee as bigint,
  result: r.result as Record<string, unknown>,
  created_at: r.created_at as Date,
});

export async function getOperation(db: Queryable, id: string): Promise<OperationRecord | undefined> {
  const { rows } = await db.query(`SELECT ${OPERATION_COLUMNS} FROM loan_operations WHERE id = $1`, [id]);
  return rows[0] ? operationFromRow(rows[0]) : undefined;
}

export async function insertOperation(tx: Queryable, o: OperationRecord): Promise<void> {
  await tx.query(
    `INSERT INTO loan_operations (id, loan_id, kind, fingerprint, business_date, amount, paid_penalty, paid_fee, paid_interest, paid_principal,
       prepaid_principal, early_repayment_fee, result, created_at)
     VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)`,
    [o.id, o.loan_id, o.kind, o.fingerprint, o.business_date, o.amount, o.paid_penalty, o.paid_fee, o.paid_interest, o.paid_principal, o.prepaid_principal, o.early_repayment_fee, JSON.stringify(o.result), o.created_at.toISOString()],
  );
}

/** A loan's operations, oldest first. */
export async function operationsOf(db: Queryable, loanId: string, limit: number): Promise<OperationRecord[]> {
  const { rows } = await db.query(`SELECT ${OPERATION_COLUMNS} FROM loan_operations WHERE loan_id = $1 ORDER BY created_at, id LIMIT $2`, [loanId, limit]);
  return rows.map(operationFromRow);
}

// ------------------------------------------------------------------ recoveries (recoveries.ts)

/** What the loan's write-off cleared (principal, interest, penalties and fees), and what has been recovered since. */
export async function writeOffStanding(tx: Queryable, loanId: string): Promise<{ written_off: bigint; recovered: bigint } | undefined> {
  const { rows } = await tx.query<{ written_off: string | null; recovered: bigint }>(
    `SELECT l.recovered,
            (SELECT (o.result->'written_off'->>'principal')::numeric + (o.result->'written_off'->>'interest')::numeric
                  + (o.result->'written_off'->>'penalty')::numeric + (o.result->'written_off'->>'fee')::numeric
             FROM loan_operations o WHERE o.loan_id = l.id AND o.kind = 'write_off')::text AS written_off
     FROM loans l WHERE l.id = $1`,
    [loanId],
  );
  const row = rows[0];
  if (!row || row.written_off === null) return undefined;
  return { written_off: BigInt(row.written_off), recovered: BigInt(row.recovered) };
}

export async function addRecovered(tx: Queryable, loanId: string, amount: bigint, now: Date): Promise<void> {
  await tx.query(`UPDATE loans SET recovered = recovered + $2, updated_at = $3 WHERE id = $1`, [loanId, amount, now.toISOString()]);
}

/**
 * SQL of the customer API: payees and the app's transfers (its own tables), and the
 * read-only look-ups it needs around them (who owns an account, names, hold states).
 */
import type { Queryable } from '../db/port.js';

export interface PayeeRow {
  id: string;
  customer_id: string;
  name: string;
  phone: string | null;
  account_id: string | null;
  created_at: Date;
}

type Dated<T> = Omit<T, 'created_at'> & { created_at: Date | string };
const dated = <T extends { created_at: Date }>(row: Dated<T>): T => ({ ...row, created_at: new Date(row.created_at) }) as T;

export const PAYEES_MAX = 500;

export async function insertPayee(db: Queryable, p: PayeeRow): Promise<void> {
  await db.query(
    'INSERT INTO payees (id, customer_id, name, phone, account_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [p.id, p.customer_id, p.name, p.phone, p.account_id, p.created_at],
  );
}

export async function countPayees(db: Queryable, customer_id: string): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM payees WHERE customer_id = $1', [customer_id]);
  return Number(rows[0]!.n);
}

const PAYEE_COLUMNS = 'id::text AS id, customer_id, name, phone, account_id::text AS account_id, created_at';

export async function listPayees(db: Queryable, customer_id: string, after: { created_at: Date; id: string } | undefined, limit: number): Promise<PayeeRow[]> {
  const { rows } = await db.query<Dated<PayeeRow>>(
    `SELECT ${PAYEE_COLUMNS} FROM payees
      WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid))
      ORDER BY created_at, id LIMIT $4`,
    [customer_id, after?.created_at ?? null, after?.id ?? null, limit],
  );
  return rows.map(dated<PayeeRow>);
}

export async function findPayee(db: Queryable, customer_id: string, id: string): Promise<PayeeRow | undefined> {
  const { rows } = await db.query<Dated<PayeeRow>>(`SELECT ${PAYEE_COLUMNS} FROM payees WHERE customer_id = $1 AND id = $2`, [customer_id, id]);
  return rows[0] ? dated<PayeeRow>(rows[0]) : undefined;
}

export async function deletePayee(db: Queryable, customer_id: string, id: string): Promise<boolean> {
  const { rows } = await db.query('DELETE FROM payees WHERE customer_id = $1 AND id = $2 RETURNING id', [customer_id, id]);
  return rows.length > 0;
}

export interface CustomerTransferRow {
  id: string;
  customer_id: string;
  from_account_id: string;
  to_account_id: string;
  amount: bigint;
  currency: string;
  note: string | null;
  to_name: string;
  status: 'completed' | 'pending' | 'rejected';
  reason_code: string | null;
  fingerprint: string;
  created_at: Date;
}

const TRANSFER_COLUMNS = `id::text AS id, customer_id, from_account_id::text AS from_account_id, to_account_id::text AS to_account_id,
  amount, currency, note, to_name, status, reason_code, fingerprint, created_at`;

function transferRow(row: Dated<Omit<CustomerTransferRow, 'amount'>> & { amount: string | bigint }): CustomerTransferRow {
  return { ...row, amount: BigInt(row.amount), created_at: new Date(row.created_at) };
}

export async function findCustomerTransfer(db: Queryable, id: string): Promise<CustomerTransferRow | undefined> {
  const { rows } = await db.query<Dated<Omit<CustomerTransferRow, 'amount'>> & { amount: string }>(`SELECT ${TRANSFER_COLUMNS} FROM customer_transfers WHERE id = $1`, [id]);
  return rows[0] ? transferRow(rows[0]) : undefined;
}

/** Records the outcome; false when a concurrent request with the same id recorded first. */
export async function insertCustomerTransfer(db: Queryable, t: CustomerTransferRow): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO customer_transfers (id, customer_id, from_account_id, to_account_id, amount, currency, note, to_name, status, reason_code, fingerprint, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [t.id, t.customer_id, t.from_account_id, t.to_account_id, t.amount, t.currency, t.note, t.to_name, t.status, t.reason_code, t.fingerprint, t.created_at],
  );
  return rows.length > 0;
}

/** For a page of ledger transfers: the app's note and names where the app made them. */
export async function appTransferDetails(db: Queryable, ids: readonly string[]): Promise<Map<string, { note: string | null; to_name: string; from_name: string }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; note: string | null; to_name: string; from_name: string }>(
    `SELECT ct.id::text AS id, ct.note, ct.to_name, c.display_name AS from_name
       FROM customer_transfers ct JOIN customers c ON c.id = ct.customer_id WHERE ct.id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Display names of the customers owning these accounts (accounts of no customer are absent). */
export async function ownerNames(db: Queryable, account_ids: readonly string[]): Promise<Map<string, string>> {
  if (account_ids.length === 0) return new Map();
  const { rows } = await db.query<{ account_id: string; display_name: string }>(
    `SELECT ca.account_id::text AS account_id, c.display_name FROM customer_accounts ca JOIN customers c ON c.id = ca.customer_id
      WHERE ca.account_id = ANY($1::uuid[])`,
    [account_ids],
  );
  return new Map(rows.map((r) => [r.account_id, r.display_name]));
}

/** The states of holds (pending transfers) among these ids. */
export async function holdStates(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; state: string }>('SELECT id::text AS id, state FROM pending_transfers WHERE id = ANY($1::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, r.state]));
}

/** The customer's oldest account in a currency: where money paid to their phone number lands. */
export async function primaryAccountOf(db: Queryable, customer_id: string, currency: string): Promise<string | undefined> {
  const { rows } = await db.query<{ account_id: string }>(
    `SELECT ca.account_id::text AS account_id FROM customer_accounts ca JOIN accounts a ON a.id = ca.account_id
      WHERE ca.customer_id = $1 AND a.currency = $2 AND a.status = 'open' ORDER BY ca.created_at, ca.account_id LIMIT 1`,
    [customer_id, currency],
  );
  return rows[0]?.account_id;
}

/** SQL for `customers` and `customer_accounts`. Nothing else reads or writes those tables. */
import type { Queryable } from '../db/port.js';
import { verifyPassword, type Customer } from './customers.js';

type CustomerRow = Omit<Customer, 'created_at'> & { created_at: Date | string };

function toCustomer(row: CustomerRow): Customer {
  return { id: row.id, display_name: row.display_name, mode: row.mode, status: row.status, created_at: new Date(row.created_at) };
}

export async function findCustomer(db: Queryable, id: string): Promise<Customer | undefined> {
  const { rows } = await db.query<CustomerRow>(
    'SELECT id, display_name, mode, status, created_at FROM customers WHERE id = $1',
    [id],
  );
  return rows[0] ? toCustomer(rows[0]) : undefined;
}

/**
 * The customer if the password matches and the customer is active; undefined otherwise
 * (unknown id, wrong password, no password set, disabled) so the caller cannot tell which.
 * An unknown id still costs one scrypt so timing does not reveal which ids exist.
 */
export async function signInCustomer(db: Queryable, id: string, password: string): Promise<Customer | undefined> {
  const { rows } = await db.query<CustomerRow & { password_hash: string | null }>(
    'SELECT id, display_name, mode, status, created_at, password_hash FROM customers WHERE id = $1',
    [id],
  );
  const row = rows[0];
  const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
  if (!row || !row.password_hash || !ok || row.status !== 'active') return undefined;
  return toCustomer(row);
}

/** A valid hash of a random password, verified against when the customer does not exist. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface CustomerAccount {
  account_id: string;
  currency: string;
  nickname: string | null;
  status: string;
}

/** The customer's linked ledger accounts with their currency and ledger status, oldest link first. */
export async function listCustomerAccounts(db: Queryable, customer_id: string): Promise<CustomerAccount[]> {
  const { rows } = await db.query<CustomerAccount>(
    `SELECT ca.account_id::text AS account_id, a.currency, ca.nickname, a.status
       FROM customer_accounts ca JOIN accounts a ON a.id = ca.account_id
      WHERE ca.customer_id = $1
      ORDER BY ca.created_at, ca.account_id`,
    [customer_id],
  );
  return rows;
}

/** Inserts a customer; an existing id comes back unchanged with created = false. */
export async function insertCustomer(
  db: Queryable,
  c: { id: string; display_name: string; mode: Customer['mode']; password_hash: string | null },
  now: Date,
): Promise<{ customer: Customer; created: boolean }> {
  const { rows } = await db.query<CustomerRow>(
    `INSERT INTO customers (id, display_name, mode, password_hash, status, created_at)
     VALUES ($1, $2, $3, $4, 'active', $5)
     ON CONFLICT (id) DO NOTHING
     RETURNING id, display_name, mode, status, created_at`,
    [c.id, c.display_name, c.mode, c.password_hash, now],
  );
  if (rows[0]) return { customer: toCustomer(rows[0]), created: true };
  return { customer: (await findCustomer(db, c.id))!, created: false };
}

export async function setCustomerPassword(db: Queryable, id: string, password_hash: string): Promise<boolean> {
  const { rows } = await db.query('UPDATE customers SET password_hash = $2 WHERE id = $1 RETURNING id', [id, password_hash]);
  return rows.length > 0;
}

export async function setCustomerStatus(db: Queryable, id: string, status: Customer['status']): Promise<Customer | undefined> {
  const { rows } = await db.query<CustomerRow>(
    'UPDATE customers SET status = $2 WHERE id = $1 RETURNING id, display_name, mode, status, created_at',
    [id, status],
  );
  return rows[0] ? toCustomer(rows[0]) : undefined;
}

export const CUSTOMER_PAGE_MAX = 200;

export async function listCustomers(
  db: Queryable,
  q: { mode?: Customer['mode'] | undefined; after?: string | undefined; limit: number; search?: string | undefined },
): Promise<Customer[]> {
  // search (the console's customer search): the exact id, a phone containing it, or a name containing it (any case).
  // LIKE metacharacters in it are escaped so "%" finds a literal percent sign, not everyone.
  const like = q.search === undefined ? null : `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query<CustomerRow>(
    `SELECT id, display_name, mode, status, created_at FROM customers
      WHERE ($1::text IS NULL OR mode = $1) AND ($2::text IS NULL OR id > $2)
        AND ($4::text IS NULL OR id = $5 OR phone LIKE $4 OR lower(display_name) LIKE lower($4))
      ORDER BY id LIMIT $3`,
    [q.mode ?? null, q.after ?? null, Math.min(Math.max(1, q.limit), CUSTOMER_PAGE_MAX + 1), like, q.search ?? null],
  );
  return rows.map(toCustomer);
}

/**
 * Links a ledger account to a customer. An account belongs to one customer at most: linking
 * it again to the same customer is a no-op (nickname unchanged); to another, `linked_to`
 * names the owner.
 */
export async function linkAccount(
  db: Queryable,
  input: { customer_id: string; account_id: string; nickname: string | null; now: Date },
): Promise<{ ok: true; created: boolean } | { ok: false; linked_to: string }> {
  const { rows } = await db.query(
    `INSERT INTO customer_accounts (customer_id, account_id, nickname, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING account_id`,
    [input.customer_id, input.account_id, input.nickname, input.now],
  );
  if (rows.length > 0) return { ok: true, created: true };
  const owner = await ownerOfAccount(db, input.account_id);
  if (owner?.customer_id === input.customer_id) return { ok: true, created: false };
  return { ok: false, linked_to: owner?.customer_id ?? 'unknown' };
}

/** The customer an account is linked to, with that customer's mode; undefined for an unlinked account. */
export async function ownerOfAccount(db: Queryable, account_id: string): Promise<{ customer_id: string; mode: Customer['mode'] } | undefined> {
  const { rows } = await db.query<{ customer_id: string; mode: Customer['mode'] }>(
    `SELECT ca.customer_id, c.mode FROM customer_accounts ca JOIN customers c ON c.id = ca.customer_id WHERE ca.account_id = $1`,
    [account_id],
  );
  return rows[0];
}

/**
 * The mode money in an account belongs to: its customer's mode, and `live` for an account
 * linked to no customer (the bank's own and every account outside open banking). A sandbox
 * app may move money only between sandbox accounts.
 */
export async function accountMode(db: Queryable, account_id: string): Promise<Customer['mode']> {
  return (await ownerOfAccount(db, account_id))?.mode ?? 'live';
}

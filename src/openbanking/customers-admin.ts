/**
 * What an operator does to open-banking customers, shared by the admin API
 * (customers-http.ts) and the CLI: create (with a password for the consent page), link
 * ledger accounts, list.
 */
import type { Queryable } from '../db/port.js';
import { CUSTOMER_ID_PATTERN } from '../envelopes/core.js';
import type { AppMode } from './principal.js';
import { hashPassword, type Customer } from './customers.js';
import { findCustomer, insertCustomer, linkAccount, listCustomerAccounts, type CustomerAccount } from './customers-store.js';

export const PASSWORD_LENGTH_MIN = 8;
export const PASSWORD_LENGTH_MAX = 1024;
export const DISPLAY_NAME_LENGTH_MAX = 200;
export const NICKNAME_LENGTH_MAX = 100;

type Refusal = { ok: false; code: string; detail: string; field?: string };

const customerIdPattern = new RegExp(CUSTOMER_ID_PATTERN);

export async function createCustomer(
  db: Queryable,
  input: { id: string; display_name: string; mode: AppMode; password?: string | undefined },
  now: Date,
): Promise<{ ok: true; customer: Customer; created: boolean } | Refusal> {
  if (!customerIdPattern.test(input.id)) return { ok: false, code: 'invalid_request', detail: 'id: 1–64 of letters, digits, . _ : @ -', field: 'id' };
  const display_name = input.display_name.trim();
  if (display_name.length === 0 || display_name.length > DISPLAY_NAME_LENGTH_MAX) {
    return { ok: false, code: 'invalid_request', detail: `display_name must be 1 to ${DISPLAY_NAME_LENGTH_MAX} characters`, field: 'display_name' };
  }
  if (input.password !== undefined && (input.password.length < PASSWORD_LENGTH_MIN || input.password.length > PASSWORD_LENGTH_MAX)) {
    return { ok: false, code: 'invalid_request', detail: `password must be ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters`, field: 'password' };
  }
  const existing = await findCustomer(db, input.id);
  if (existing) return replayed(existing, display_name, input.mode);
  const password_hash = input.password === undefined ? null : await hashPassword(input.password);
  const result = await insertCustomer(db, { id: input.id, display_name, mode: input.mode, password_hash }, now);
  if (!result.created) return replayed(result.customer, display_name, input.mode);
  return { ok: true, customer: result.customer, created: true };
}

/** The same id again: fine with the same name and mode (the password is not changed); else a conflict. */
function replayed(existing: Customer, display_name: string, mode: AppMode): { ok: true; customer: Customer; created: false } | Refusal {
  if (existing.display_name === display_name && existing.mode === mode) return { ok: true, customer: existing, created: false };
  return { ok: false, code: 'exists_with_different_fields', detail: `customer ${existing.id} exists with another name or mode`, field: 'id' };
}

/** Links an existing ledger account to a customer (an account belongs to one customer at most). */
export async function linkCustomerAccount(
  db: Queryable,
  input: { customer_id: string; account_id: string; nickname?: string | null | undefined; now: Date },
): Promise<{ ok: true; account: CustomerAccount; created: boolean } | Refusal> {
  const customer = await findCustomer(db, input.customer_id);
  if (!customer) return { ok: false, code: 'customer_not_found', detail: `no customer ${input.customer_id}` };
  const account_id = input.account_id.toLowerCase();
  const { rows } = await db.query('SELECT 1 FROM accounts WHERE id = $1', [account_id]);
  if (rows.length === 0) return { ok: false, code: 'account_not_found', detail: `no ledger account ${account_id}`, field: 'account_id' };
  const nickname = input.nickname?.trim() || null;
  if (nickname && nickname.length > NICKNAME_LENGTH_MAX) return { ok: false, code: 'invalid_request', detail: `nickname: at most ${NICKNAME_LENGTH_MAX} characters`, field: 'nickname' };
  const linked = await linkAccount(db, { customer_id: customer.id, account_id, nickname, now: input.now });
  if (!linked.ok) return { ok: false, code: 'account_already_linked', detail: 'the account is linked to another customer', field: 'account_id' };
  const account = (await listCustomerAccounts(db, customer.id)).find((a) => a.account_id === account_id)!;
  return { ok: true, account, created: linked.created };
}

export function customerJson(c: Customer, accounts?: readonly CustomerAccount[]) {
  return {
    id: c.id,
    display_name: c.display_name,
    mode: c.mode,
    status: c.status,
    created_at: c.created_at.toISOString(),
    ...(accounts ? { accounts: accounts.map((a) => ({ ...a })) } : {}),
  };
}

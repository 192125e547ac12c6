/**
 * Sign-up: the customer (mode live, with the phone they gave), a current account in CNY in
 * the ledger, the link between them, and the passkey — the database rows in one transaction
 * so a lost race for the phone leaves no half-made customer.
 */
import type { Db } from '../db/port.js';
import { sqlState } from '../db/port.js';
import { derivedUuid } from '../db/uuid.js';
import type { Ledger } from '../ledger/service.js';
import { AccountFlags, type AccountId } from '../ledger/types.js';
import { insertCustomer, linkAccount } from '../openbanking/customers-store.js';
import type { Customer } from '../openbanking/customers.js';
import { ProblemError } from '../server/problem.js';
import * as store from './store.js';

/** Like the seeded customers' accounts: no overdraft, balance history kept for statements. */
export const CURRENT_ACCOUNT_FLAGS = AccountFlags.debits_must_not_exceed_credits | AccountFlags.history;
export const CURRENT_ACCOUNT_CODE = 2001;

export interface NewCustomer {
  customer_id: string;
  display_name: string;
  phone: string;
  passkey: store.PasskeyRow & { device_type: string; backed_up: boolean };
}

export async function signUp(db: Db, ledger: Ledger, c: NewCustomer): Promise<Customer> {
  const now = ledger.clock.now();
  // Derived from the customer id: a retry after a crash finds the same account.
  const account_id = derivedUuid(`identity:current-account:${c.customer_id}`);
  const [created] = await ledger.createAccounts([
    { id: account_id as AccountId, currency: 'CNY', code: CURRENT_ACCOUNT_CODE, flags: CURRENT_ACCOUNT_FLAGS, metadata: { name: `${c.display_name} — current account`, customer_id: c.customer_id } },
  ]);
  if (!created?.ok) throw new Error(`sign-up: the ledger refused the current account: ${JSON.stringify(created)}`);
  try {
    return await db.transaction(async (tx) => {
      const { customer, created: fresh } = await insertCustomer(tx, { id: c.customer_id, display_name: c.display_name, mode: 'live', password_hash: null }, now);
      if (!fresh) throw new ProblemError('webauthn_flow_invalid', 'this sign-up was already completed');
      if (!(await store.setCustomerPhone(tx, c.customer_id, c.phone))) throw phoneTaken();
      await store.insertPasskey(tx, c.passkey, now);
      const linked = await linkAccount(tx, { customer_id: c.customer_id, account_id, nickname: 'Current account', now });
      if (!linked.ok) throw new Error(`sign-up: account ${account_id} is linked to ${linked.linked_to}`);
      return customer;
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw phoneTaken();
    throw err;
  }
}

const phoneTaken = () => new ProblemError('phone_already_registered', 'a customer with this phone number exists: sign in instead', { field: 'phone' });

/**
 * The demo app's customer: Alice (id `alice`, the sender of the seeded red envelope) with
 * phone +8613800000001, linked to the seeded Alice account, so the demo app can sign in by
 * one-time code (dev inbox). Idempotent: fixed ids, and an existing phone is left alone.
 */
import type { Db } from '../db/port.js';
import { findCustomer, insertCustomer, linkAccount } from '../openbanking/customers-store.js';
import { setCustomerPhone } from './store.js';

export const DEMO_CUSTOMER = { id: 'alice', display_name: 'Alice Chen', phone: '+8613800000001' } as const;

export async function seedDemoCustomer(db: Db, alice_account_id: string, now: Date): Promise<void> {
  if (!(await findCustomer(db, DEMO_CUSTOMER.id))) {
    await insertCustomer(db, { id: DEMO_CUSTOMER.id, display_name: DEMO_CUSTOMER.display_name, mode: 'live', password_hash: null }, now);
  }
  if (!(await setCustomerPhone(db, DEMO_CUSTOMER.id, DEMO_CUSTOMER.phone))) {
    throw new Error(`demo seed: phone ${DEMO_CUSTOMER.phone} belongs to another customer`);
  }
  // The ledger account itself is created by the demo seed (the link does not need it to exist yet).
  const linked = await linkAccount(db, { customer_id: DEMO_CUSTOMER.id, account_id: alice_account_id, nickname: 'Current account', now });
  if (!linked.ok) throw new Error(`demo seed: account ${alice_account_id} is linked to ${linked.linked_to}`);
}

/**
 * Where money sent from the app goes: a phone number (the customer's oldest open account in
 * the currency), a ledger account, or a saved payee (which holds one of the two). Also the
 * name the sender sees.
 */
import type { Ledger } from '../ledger/service.js';
import { ProblemError } from '../server/problem.js';
import { findCustomerIdByPhone } from '../identity/store.js';
import { findCustomer, ownerOfAccount } from '../openbanking/customers-store.js';
import * as store from './store.js';

export type RecipientRef = { phone: string } | { account_id: string } | { payee_id: string };
export interface Recipient {
  account_id: string;
  name: string;
}

const notFound = (field: string, detail: string) => new ProblemError('recipient_not_found', detail, { field });

export async function resolveRecipient(ledger: Ledger, customer_id: string, to: RecipientRef, currency: string): Promise<Recipient> {
  if ('payee_id' in to) {
    const payee = await store.findPayee(ledger.db, customer_id, to.payee_id);
    if (!payee) throw new ProblemError('payee_not_found', `you have no payee ${to.payee_id}`, { field: 'to.payee_id' });
    const target = payee.phone !== null ? { phone: payee.phone } : { account_id: payee.account_id! };
    const found = await resolveRecipient(ledger, customer_id, target, currency);
    return { ...found, name: payee.name };
  }
  if ('phone' in to) {
    const owner = await findCustomerIdByPhone(ledger.db, to.phone);
    const account_id = owner ? await store.primaryAccountOf(ledger.db, owner, currency) : undefined;
    if (!owner || !account_id) throw notFound('to.phone', `no customer with this phone number can receive ${currency}`);
    return { account_id, name: (await findCustomer(ledger.db, owner))!.display_name };
  }
  const id = to.account_id.toLowerCase();
  const account = await ledger.getAccount(id);
  if (!account) throw notFound('to.account_id', `no account ${to.account_id}`);
  const owner = await ownerOfAccount(ledger.db, id);
  const customer = owner ? await findCustomer(ledger.db, owner.customer_id) : undefined;
  const metaName = account.metadata?.name;
  const name = customer?.display_name ?? (typeof metaName === 'string' ? metaName : `Account …${id.slice(-4)}`);
  return { account_id: id, name };
}

/**
 * The one rule every /v1/me route about an account follows: the account must be linked to
 * the signed-in customer. Someone else's account answers exactly like a missing one (404),
 * so ids cannot be probed.
 */
import type { Ledger } from '../ledger/service.js';
import type { Account } from '../ledger/types.js';
import { ownerOfAccount } from '../openbanking/customers-store.js';
import { ProblemError } from '../server/problem.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function ownedAccount(ledger: Ledger, customer_id: string, account_id: string, field = 'id'): Promise<Account> {
  const id = account_id.toLowerCase();
  const owner = UUID.test(id) ? await ownerOfAccount(ledger.db, id) : undefined;
  const account = owner?.customer_id === customer_id ? await ledger.getAccount(id) : undefined;
  if (!account) throw new ProblemError('account_not_found', `you have no account ${account_id}`, { field });
  return account;
}

/** What the app shows as money in an account (integer minor units as decimal strings). */
export function balancesOf(a: Account): { balance_minor: string; available_minor: string; pending_minor: string } {
  return {
    // Posted money: what a statement shows.
    balance_minor: (a.credits_posted - a.debits_posted).toString(),
    // What can be spent now: holds on outgoing money are already taken off.
    available_minor: (a.credits_posted - a.debits_posted - a.debits_pending).toString(),
    // Net of holds not yet settled: incoming minus outgoing.
    pending_minor: (a.credits_pending - a.debits_pending).toString(),
  };
}

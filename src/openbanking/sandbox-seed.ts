/**
 * The sandbox test data (sandbox.ts lists it): customers with passwords and funded,
 * debit-limited CNY accounts, linked to them. Idempotent: fixed ids throughout, so running
 * it again (every `npm start`) changes nothing, and it adds the sandbox to a database
 * seeded before it existed.
 */
import type { Db } from '../db/port.js';
import { derivedUuid } from '../db/uuid.js';
import type { Ledger } from '../ledger/service.js';
import { AccountFlags, type AccountId, type TransferId } from '../ledger/types.js';
import { hashPassword } from './customers.js';
import { findCustomer, insertCustomer, linkAccount } from './customers-store.js';
import { SANDBOX_CUSTOMERS, SANDBOX_FUNDING_ACCOUNT_ID } from './sandbox.js';

const CUSTOMER_FLAGS = AccountFlags.debits_must_not_exceed_credits | AccountFlags.history;

export async function seedSandbox(db: Db, ledger: Ledger): Promise<void> {
  const now = ledger.clock.now();
  const accounts = await ledger.createAccounts([
    { id: SANDBOX_FUNDING_ACCOUNT_ID as AccountId, currency: 'CNY', code: 1001, flags: 0, metadata: { name: 'Sandbox funding (test money)' } },
    ...SANDBOX_CUSTOMERS.flatMap((c) =>
      c.accounts.map((acct) => ({ id: acct.id as AccountId, currency: acct.currency, code: 2001, flags: CUSTOMER_FLAGS, metadata: { name: `${c.display_name} — ${acct.nickname}`, sandbox: true } })),
    ),
  ]);
  const failed = accounts.find((r) => !r.ok);
  if (failed) throw new Error(`sandbox seed: account refused: ${JSON.stringify(failed)}`);

  const deposits = SANDBOX_CUSTOMERS.flatMap((c) =>
    c.accounts
      .filter((acct) => acct.funded_minor > 0n)
      .map((acct) => ({
        id: derivedUuid(`sandbox-seed:deposit:${acct.id}`) as TransferId,
        debit_account_id: SANDBOX_FUNDING_ACCOUNT_ID as AccountId,
        credit_account_id: acct.id as AccountId,
        amount: acct.funded_minor,
        code: 1,
        flags: 0,
        metadata: { memo: 'sandbox opening deposit' },
      })),
  );
  const results = await ledger.submitTransfers(deposits, { bypass_gate: true });
  const refused = results.find((r) => !r.ok);
  if (refused) throw new Error(`sandbox seed: deposit refused: ${JSON.stringify(refused)}`);

  for (const c of SANDBOX_CUSTOMERS) {
    if (!(await findCustomer(db, c.id))) {
      await insertCustomer(db, { id: c.id, display_name: c.display_name, mode: 'sandbox', password_hash: await hashPassword(c.password) }, now);
    }
    for (const acct of c.accounts) {
      const linked = await linkAccount(db, { customer_id: c.id, account_id: acct.id, nickname: acct.nickname, now });
      if (!linked.ok) throw new Error(`sandbox seed: account ${acct.id} is linked to ${linked.linked_to}`);
    }
  }
}

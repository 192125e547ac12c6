/**
 * Open-banking data for the resource-API tests: customers with funded, debit-limited
 * accounts, consents authorised through the store (what the consent page calls), and the
 * customer tokens for them (minted by the OAuth helper's test/helpers/openbanking.ts).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Clock } from '../../src/server/clock.js';
import { withDerivedEvents } from '../../src/events/derived-events.js';
import { readAfter } from '../../src/events/relay-store.js';
import { authoriseConsent } from '../../src/openbanking/consents-store.js';
import { hashPassword } from '../../src/openbanking/customers.js';
import { paymentTransferId } from '../../src/openbanking/payments.js';
import { insertCustomer, linkAccount } from '../../src/openbanking/customers-store.js';
import type { AppMode } from '../../src/openbanking/principal.js';
import type { TestApp } from './app.js';
import { uuid7 } from './http.js';
import { createAccounts, mustTransfer, transfer } from './ledger.js';
import { customerToken, makeConsent, type ConsentOptions, type TestPartner } from './openbanking.js';

/**
 * A payment's own fields (what paymentTransfer reads, and a row adds its status and times to),
 * for tests that build one outside the API: `payer` pays `creditor_account_id` in USD from
 * their first account.
 */
export function paymentFields(input: {
  id?: string;
  consent_id: string;
  client_id: string;
  payer: FundedCustomer;
  creditor_account_id: string;
  amount_minor: bigint;
  reference?: string | null;
}) {
  const id = input.id ?? uuid7();
  return {
    id,
    consent_id: input.consent_id,
    client_id: input.client_id,
    customer_id: input.payer.customer_id,
    debtor_account_id: input.payer.account_ids[0]!,
    creditor_account_id: input.creditor_account_id,
    amount_minor: input.amount_minor,
    currency: 'USD',
    reference: input.reference ?? null,
    transfer_id: paymentTransferId(id),
  };
}

export interface FundedCustomer {
  customer_id: string;
  password: string;
  /** Debit-limited accounts (debits_must_not_exceed_credits), funded as asked. */
  account_ids: string[];
  /** The bank cash account the deposits came from (linked to no customer: live money). */
  cash_id: string;
}

/** A customer whose accounts cannot go below zero, each funded with the given amount from a cash account. */
export async function fundedCustomer(
  t: TestApp<Clock>,
  options: { mode?: AppMode; currency?: string; funds?: bigint[]; id?: string } = {},
): Promise<FundedCustomer> {
  const currency = options.currency ?? 'USD';
  const funds = options.funds ?? [100_000n];
  const customer_id = options.id ?? `cust-${randomBytes(5).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const now = t.clock.now();
  await insertCustomer(t.testDb.db, { id: customer_id, display_name: `Customer ${customer_id}`, mode: options.mode ?? 'sandbox', password_hash: await hashPassword(password) }, now);
  const cash_id = uuid7();
  const account_ids = funds.map(() => uuid7());
  await createAccounts(t.api, [
    { id: cash_id, currency, code: 1001 },
    ...account_ids.map((id) => ({ id, currency, code: 2001, flags: { debits_must_not_exceed_credits: true } })),
  ]);
  for (const [i, id] of account_ids.entries()) {
    if (funds[i]! > 0n) await mustTransfer(t.api, transfer(cash_id, id, funds[i]!));
    const linked = await linkAccount(t.testDb.db, { customer_id, account_id: id, nickname: `Account ${i + 1}`, now });
    expect(linked.ok).toBe(true);
  }
  return { customer_id, password, account_ids, cash_id };
}

/** Authorises a consent as the customer would on the consent page; fails the test unless it works. */
export async function authorise(t: TestApp<Clock>, partner: TestPartner, consent_id: string, customer_id: string, account_ids: string[]): Promise<void> {
  const result = await authoriseConsent(t.testDb.db, { id: consent_id, client_id: partner.client_id, customer_id, account_ids, now: t.clock.now() });
  expect(result.ok ? result.ok : `${result.code}: ${result.detail}`).toBe(true);
}

/** A consent (awaiting → authorised for these accounts) and a customer token under it. */
export async function grant(
  t: TestApp<Clock>,
  partner: TestPartner,
  customer: { customer_id: string },
  account_ids: string[],
  options: ConsentOptions = {},
): Promise<{ consent_id: string; token: string }> {
  const consent_id = await makeConsent(t, partner, options);
  await authorise(t, partner, consent_id, customer.customer_id, account_ids);
  const token = await customerToken(t, { client: partner, consent_id });
  return { consent_id, token };
}

/** Posted balance (credits − debits) of an account, read through the ledger API. */
export async function postedBalance(t: TestApp<Clock>, account_id: string): Promise<bigint> {
  const res = await t.admin.get(`/v1/accounts/${account_id}`);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return BigInt(res.body.credits_posted) - BigInt(res.body.debits_posted);
}

/** The consent's used total as stored. */
export async function usedOnConsent(t: TestApp<Clock>, consent_id: string): Promise<bigint> {
  const { rows } = await t.testDb.db.query<{ amount_used_minor: bigint }>('SELECT amount_used_minor FROM consents WHERE id = $1', [consent_id]);
  return BigInt(rows[0]!.amount_used_minor);
}

/**
 * The events about one entity, in order, as every reader of the outbox sees them: its rows,
 * and the events the app's derivers find in them (src/events/derived-events.ts).
 */
export async function eventsOf(t: TestApp<Clock>, entity_id: string): Promise<{ topic: string; client_id: string | null; payload: any }[]> {
  const rows = [];
  for (let page = await readAfter(t.testDb.db, 0n, 10_000); page.length > 0; page = await readAfter(t.testDb.db, page[page.length - 1]!.seq, 10_000)) rows.push(...page);
  const events = await withDerivedEvents(t.testDb.db, rows, t.app.events.derivers);
  return events.filter((e) => e.entity_id === entity_id).map((e) => ({ topic: e.topic, client_id: e.client_id, payload: e.payload }));
}

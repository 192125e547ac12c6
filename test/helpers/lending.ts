/** Lending vocabulary for tests: keys with lending scopes, a demo product, a funded customer, an application body. */
import { expect } from 'vitest';
import { createKey } from '../../src/auth/store.js';
import type { Scope } from '../../src/auth/core.js';
import type { Queryable } from '../../src/db/port.js';
import { Client, uuid7 } from './http.js';
import { createAccounts, mustTransfer, transfer } from './ledger.js';
import { SME_WORKING_CAPITAL } from '../../src/lending/demo-product.js';

export const LENDING_KEY_SCOPES = {
  lending_admin: ['lending:admin', 'lending:read'],
  lending_apply: ['lending:apply', 'lending:read'],
  lending_repay: ['lending:repay', 'lending:read'],
  lending_read: ['lending:read'],
} satisfies Record<string, Scope[]>;

export type LendingKeys = Record<keyof typeof LENDING_KEY_SCOPES, string>;

export async function createLendingKeys(db: Queryable, now: Date): Promise<LendingKeys> {
  const out = {} as LendingKeys;
  for (const [name, scopes] of Object.entries(LENDING_KEY_SCOPES) as [keyof LendingKeys, Scope[]][]) {
    out[name] = (await createKey(db, `test-${name}`, scopes, now)).token;
  }
  return out;
}

/** 12% annuity, monthly, 30/360, 3–36 months, 10,000.00..500,000.00 CNY: the worked example's terms. */
export const smeProduct = (over: Record<string, unknown> = {}) => ({
  ...SME_WORKING_CAPITAL,
  ...over,
});

export async function mustSaveProduct(admin: Client, id: string, body: Record<string, unknown>): Promise<any> {
  const res = await admin.put(`/v1/loan-products/${id}`, body);
  expect([200, 201], res.text.slice(0, 500)).toContain(res.status);
  return res.body;
}

/** A bank cash account and a customer account (CNY) holding `funds` (0: an account with no history). */
export async function customerAccount(ledgerApi: Client, funds: bigint, over: Record<string, unknown> = {}): Promise<string> {
  const cash = uuid7();
  const customer = uuid7();
  await createAccounts(ledgerApi, [
    { id: cash, currency: 'CNY', code: 1001 },
    { id: customer, currency: 'CNY', code: 2001, flags: { debits_must_not_exceed_credits: true }, ...over },
  ]);
  if (funds > 0n) await mustTransfer(ledgerApi, transfer(cash, customer, funds));
  return customer;
}

/** A strong SME: band A on the built-in scorecard (see docs/lending.md, "Credit score"). */
export const strongBusiness = (over: Record<string, unknown> = {}) => ({
  industry: 'restaurants',
  months_trading: 96,
  annual_revenue: '600000000',
  existing_debt: '0',
  owner_age: 45,
  purpose: 'equipment',
  ...over,
});

export const applicationBody = (account_id: string, product_id: string, over: Record<string, unknown> = {}) => ({
  id: uuid7(),
  customer_id: `cust-${uuid7().slice(-12)}`,
  account_id,
  product_id,
  amount: '10000000',
  term: 12,
  business: strongBusiness(),
  ...over,
});

export async function mustApply(api: Client, body: Record<string, unknown>, status = 201): Promise<any> {
  const res = await api.post('/v1/loan-applications', body);
  expect(res.status, res.text.slice(0, 800)).toBe(status);
  return res.body;
}

export async function mustAccept(api: Client, applicationId: string, body?: Record<string, unknown>, status = 201): Promise<any> {
  const res = await api.post(`/v1/loan-applications/${applicationId}/accept`, body ?? {});
  expect(res.status, res.text.slice(0, 800)).toBe(status);
  return res.body;
}

export async function mustOperate(api: Client, loanId: string, path: string, body: Record<string, unknown>, status = 201): Promise<any> {
  const res = await api.post(`/v1/loans/${loanId}/${path}`, body);
  expect(res.status, res.text.slice(0, 800)).toBe(status);
  return res.body;
}

/** Asserts the loan's row and its ledger accounts agree, and returns the loan view. */
export async function expectReconciled(api: Client, loanId: string): Promise<any> {
  const res = await api.get(`/v1/loans/${loanId}`);
  expect(res.status, res.text.slice(0, 500)).toBe(200);
  expect(res.body.balances, JSON.stringify(res.body)).toEqual(res.body.ledger);
  expect(res.body.reconciled).toBe(true);
  return res.body;
}

/**
 * Customer-app e2e helpers: a new customer signed up in the browser with a passkey (the
 * flow every app test starts from), and money paid in by the bank through the operator API.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { addVirtualAuthenticator, screenshot, type E2EServer } from './harness.js';

/** The demo seed's bank cash account (src/cli/seed.ts, DEMO_ACCOUNTS.bank_cash): where the tests' customers get money from. */
export const BANK_CASH = '0193a000-0000-7000-8000-000000000001';

/** A new page in `context` that prints the app's uncaught errors, so a failing test shows them. */
export async function newPageLoggingErrors(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('[page error]', err.message));
  return page;
}

export interface NewCustomer {
  name: string;
  phone: string;
  /** When set, the filled-in form is photographed (and checked) as docs/screenshots/<form_screenshot>.png before it is sent. */
  form_screenshot?: string;
}

export interface SignedUpCustomer {
  context: BrowserContext;
  /** On the home screen, signed in. */
  page: Page;
  account_id: string;
  /** The virtual authenticator that holds the new passkey (to read or copy the credential). */
  cdp: CDPSession;
  authenticator_id: string;
}

/**
 * Opens the app in a new page of `context` (prepare the context first: init scripts,
 * permissions) and signs a new customer up: a passkey on a virtual authenticator, name and
 * mobile number, on to the home screen.
 */
export async function signUpInBrowser(context: BrowserContext, server: E2EServer, customer: NewCustomer): Promise<SignedUpCustomer> {
  const page = await newPageLoggingErrors(context);
  await page.goto(`${server.url}/app/`);
  const { cdp, authenticator_id } = await addVirtualAuthenticator(page);
  await page.waitForSelector('body[data-ready="welcome"]');
  await page.getByRole('button', { name: 'Open an account' }).click();
  await page.getByLabel('Your name').fill(customer.name);
  await page.getByLabel('Mobile number').fill(customer.phone);
  if (customer.form_screenshot !== undefined) await screenshot(page, customer.form_screenshot);
  await page.getByRole('button', { name: 'Create a passkey and open the account' }).click();
  await page.waitForSelector('body[data-ready="home"]');
  const account_id = (await page.locator('[data-account-id]').first().getAttribute('data-account-id'))!;
  return { context, page, account_id, cdp, authenticator_id };
}

/** The bank pays `amount_minor` into `account_id` through the operator API (the demo key holds ledger:write); the transfer must be created. */
export async function fundFromBank(server: E2EServer, account_id: string, amount_minor: bigint, memo?: string): Promise<void> {
  const transfer = { id: randomUUID(), debit_account_id: BANK_CASH, credit_account_id: account_id, amount: String(amount_minor), code: 1, ...(memo === undefined ? {} : { metadata: { memo } }) };
  const funded = await server.api('POST', '/v1/transfers', transfer, server.api_key);
  expect(funded.status).toBe(201);
}

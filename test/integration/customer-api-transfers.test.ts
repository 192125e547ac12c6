/** The customer API: own accounts only, transactions, statements, payees, transfers and the pay code. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/http.js';
import { fund, signUpCustomer, type SignedUp } from '../helpers/webauthn.js';

let t: TestApp;
let alice: SignedUp;
let bob: SignedUp;
let aliceAccount: string;
let bobAccount: string;
const ALICE_PHONE = '+8613600000001';
const BOB_PHONE = '+8613600000002';

const balanceOf = async (c: SignedUp) => (await c.me.get('/v1/me/accounts')).body.items[0].balance_minor as string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await signUpCustomer(t.base, 'Alice', ALICE_PHONE);
  bob = await signUpCustomer(t.base, 'Bob', BOB_PHONE);
  aliceAccount = (await alice.me.get('/v1/me/accounts')).body.items[0].id;
  bobAccount = (await bob.me.get('/v1/me/accounts')).body.items[0].id;
  await fund(t.app, aliceAccount, 100_000n);
});
afterAll(async () => t?.close());

describe('accounts', () => {
  it('shows my balances and pay code; another customer\'s account is a 404', async () => {
    const accounts = await alice.me.get('/v1/me/accounts');
    expect(accounts.body.items[0]).toMatchObject({ id: aliceAccount, balance_minor: '100000', available_minor: '100000' });
    const code = await alice.me.get('/v1/me/pay-code');
    expect(code.body.payload).toBe(`capillary:pay?to=${aliceAccount}&name=Alice`);
    expectProblem(await bob.me.get(`/v1/me/accounts/${aliceAccount}/transactions`), 404, 'account_not_found');
    expectProblem(await bob.me.get(`/v1/me/accounts/${aliceAccount}/statement?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z`), 404, 'account_not_found');
    expectProblem(await bob.me.get(`/v1/me/accounts/${randomUUID()}/transactions`), 404, 'account_not_found');
  });

  it('refuses to move money out of another customer\'s account, moving nothing', async () => {
    const res = await bob.me.post('/v1/me/transfers', { id: randomUUID(), from_account_id: aliceAccount, to: { account_id: bobAccount }, amount_minor: '100', currency: 'CNY' });
    expectProblem(res, 404, 'account_not_found', 'from_account_id');
    expect(await balanceOf(alice)).toBe('100000');
  });
});

describe('transfers', () => {
  it('sends to a phone number, idempotently', async () => {
    const body = { id: randomUUID(), from_account_id: aliceAccount, to: { phone: BOB_PHONE }, amount_minor: '1250', currency: 'CNY', note: 'lunch' };
    const first = await alice.me.post('/v1/me/transfers', body);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ id: body.id, status: 'completed', amount_minor: '1250', currency: 'CNY', to_name: 'Bob' });
    const again = await alice.me.post('/v1/me/transfers', body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expectProblem(await alice.me.post('/v1/me/transfers', { ...body, amount_minor: '1251' }), 409, 'exists_with_different_fields', 'id');
    expect(await balanceOf(bob)).toBe('1250');

    const history = await bob.me.get(`/v1/me/accounts/${bobAccount}/transactions`);
    expect(history.body.items[0]).toMatchObject({ transfer_id: body.id, direction: 'in', amount_minor: '1250', counterparty_name: 'Alice', note: 'lunch', status: 'completed' });
    const mine = await alice.me.get(`/v1/me/accounts/${aliceAccount}/transactions?limit=1`);
    expect(mine.body.items[0]).toMatchObject({ direction: 'out', counterparty_name: 'Bob' });
    expect(mine.body.next_cursor).toEqual(expect.any(String));
    const older = await alice.me.get(`/v1/me/accounts/${aliceAccount}/transactions?limit=1&cursor=${mine.body.next_cursor}`);
    expect(older.body.items[0]).toMatchObject({ direction: 'in', amount_minor: '100000' });
  });

  it('sends to an account and to a payee', async () => {
    const toAccount = await alice.me.post('/v1/me/transfers', { id: randomUUID(), from_account_id: aliceAccount, to: { account_id: bobAccount }, amount_minor: '100', currency: 'CNY' });
    expect(toAccount.status, toAccount.text).toBe(201);
    const payee = await alice.me.post('/v1/me/payees', { name: 'Bobby', account_id: bobAccount });
    expect(payee.status).toBe(201);
    const toPayee = await alice.me.post('/v1/me/transfers', { id: randomUUID(), from_account_id: aliceAccount, to: { payee_id: payee.body.id }, amount_minor: '50', currency: 'CNY' });
    expect(toPayee.body).toMatchObject({ status: 'completed', to_name: 'Bobby' });
    expect(await balanceOf(bob)).toBe('1400');
    // Bob cannot use Alice's payee.
    expectProblem(await bob.me.post('/v1/me/transfers', { id: randomUUID(), from_account_id: bobAccount, to: { payee_id: payee.body.id }, amount_minor: '1', currency: 'CNY' }), 404, 'payee_not_found', 'to.payee_id');
    expectProblem(await bob.me.delete(`/v1/me/payees/${payee.body.id}`), 404, 'payee_not_found');
    expect((await alice.me.delete(`/v1/me/payees/${payee.body.id}`)).status).toBe(204);
  });

  it('refuses more than the available money with insufficient_funds, moving nothing', async () => {
    const before = await balanceOf(alice);
    const res = await alice.me.post('/v1/me/transfers', { id: randomUUID(), from_account_id: aliceAccount, to: { phone: BOB_PHONE }, amount_minor: '99999999', currency: 'CNY' });
    expectProblem(res, 422, 'insufficient_funds', 'amount_minor');
    expect(await balanceOf(alice)).toBe(before);
  });

  it('names the field of bad input and of an unknown recipient', async () => {
    const base = { id: randomUUID(), from_account_id: aliceAccount, to: { phone: BOB_PHONE }, amount_minor: '10', currency: 'CNY' };
    for (const [patch, field] of [[{ amount_minor: '-5' }, 'body.amount_minor'], [{ amount_minor: 10 }, 'body.amount_minor'], [{ id: 'nope' }, 'body.id']] as const) {
      const res = await alice.me.post('/v1/me/transfers', { ...base, ...patch });
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expectProblem(await alice.me.post('/v1/me/transfers', { ...base, to: { phone: '+8613600009999' } }), 404, 'recipient_not_found', 'to.phone');
    expectProblem(await alice.me.post('/v1/me/transfers', { ...base, to: { account_id: aliceAccount } }), 422, 'accounts_must_be_different', 'to');
    expectProblem(await alice.me.post('/v1/me/payees', { name: 'Both', phone: BOB_PHONE, account_id: bobAccount }), 400, 'invalid_request');
  });

  it('gives a statement of my account', async () => {
    const res = await bob.me.get(`/v1/me/accounts/${bobAccount}/statement?from=2000-01-01T00:00:00Z&to=2099-01-01T00:00:00Z`);
    expectProblem(res, 400, 'invalid_request');
    const now = Date.now();
    const ok = await bob.me.get(`/v1/me/accounts/${bobAccount}/statement?from=${new Date(now - 86_400_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ opening_balance_minor: '0', closing_balance_minor: '1400', total_credits_minor: '1400' });
    expect(ok.body.lines).toHaveLength(3);
  });
});

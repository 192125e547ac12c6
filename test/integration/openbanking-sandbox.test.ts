/**
 * The seeded sandbox: documented customers sign in with their documented passwords, their
 * accounts hold the documented balances, seeding again changes nothing, and a sandbox app
 * can pay between sandbox customers but never sees a live one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { fundedCustomer, grant, postedBalance } from '../helpers/openbanking-data.js';
import { seedSandbox } from '../../src/openbanking/sandbox-seed.js';
import { SANDBOX_CUSTOMERS } from '../../src/openbanking/sandbox.js';
import { signInCustomer } from '../../src/openbanking/customers-store.js';
import { authoriseConsent } from '../../src/openbanking/consents-store.js';
import { makeConsent } from '../helpers/openbanking.js';

let t: TestApp;
let partner: TestPartner;
const [alice, , , shop] = SANDBOX_CUSTOMERS;

beforeAll(async () => {
  t = await startTestApp();
  await seedSandbox(t.testDb.db, t.app.ledger);
  partner = await registerTestApp(t, { mode: 'sandbox' });
});
afterAll(async () => {
  await t?.close();
});

describe('seeded sandbox', () => {
  it('documented customers sign in with their documented passwords and hold the documented balances; seeding again changes nothing', async () => {
    for (const c of SANDBOX_CUSTOMERS) {
      expect(await signInCustomer(t.testDb.db, c.id, c.password), c.id).toMatchObject({ id: c.id, mode: 'sandbox' });
      for (const acct of c.accounts) expect(await postedBalance(t, acct.id)).toBe(acct.funded_minor);
    }
    await seedSandbox(t.testDb.db, t.app.ledger);
    for (const c of SANDBOX_CUSTOMERS) for (const acct of c.accounts) expect(await postedBalance(t, acct.id)).toBe(acct.funded_minor);
    const { rows } = await t.testDb.db.query<{ n: bigint }>("SELECT count(*)::int8 AS n FROM customers WHERE mode = 'sandbox' AND id LIKE 'sandbox-%'");
    expect(rows[0]!.n).toBe(BigInt(SANDBOX_CUSTOMERS.length));
  });

  it('a sandbox app pays from sandbox-alice to sandbox-shop', async () => {
    const from = alice!.accounts[0].id;
    const to = shop!.accounts[0].id;
    const [fromBefore, toBefore] = [await postedBalance(t, from), await postedBalance(t, to)];
    const { token } = await grant(t, partner, { customer_id: alice!.id }, [from], { kind: 'payment_initiation', payment: { currency: 'CNY', amount_limit_minor: 50_000n } });
    const res = await new Client(t.base, token).post('/open-banking/v1/payments', { id: uuid7(), creditor_account_id: to, amount_minor: '1288', currency: 'CNY' }, { headers: { 'idempotency-key': uuid7() } });
    expect(res.status, res.text).toBe(201);
    expect(await postedBalance(t, from)).toBe(fromBefore - 1288n);
    expect(await postedBalance(t, to)).toBe(toBefore + 1288n);
  });

  it('a live app cannot have a sandbox customer authorise, and a sandbox token never reads a live account', async () => {
    const live = await registerTestApp(t, { mode: 'live' });
    const consent_id = await makeConsent(t, live);
    expect(await authoriseConsent(t.testDb.db, { id: consent_id, client_id: live.client_id, customer_id: alice!.id, account_ids: [alice!.accounts[0].id], now: t.clock.now() })).toMatchObject({ ok: false, code: 'consent_mode_mismatch' });
    const liveCustomer = await fundedCustomer(t, { mode: 'live', funds: [100n] });
    const { token } = await grant(t, partner, { customer_id: alice!.id }, [alice!.accounts[0].id]);
    expectProblem(await new Client(t.base, token).get(`/open-banking/v1/accounts/${liveCustomer.account_ids[0]}`), 403, 'consent_account_not_included');
  });
});

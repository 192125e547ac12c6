/**
 * The open-banking resource API through HTTP: accounts, balances, transactions, funds
 * confirmation, envelopes, loan applications and risk checks under consents; the consent
 * check on every call (revoked mid-session, expired, wrong kind, missing permission, account
 * not shared, token beyond its scope); sandbox isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { mustTransfer, transfer } from '../helpers/ledger.js';
import { clientToken, consentedCustomer, customerToken, makeConsent, registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { authorise, fundedCustomer, grant, postedBalance, usedOnConsent, type FundedCustomer } from '../helpers/openbanking-data.js';
import { mustSaveProduct, smeProduct, strongBusiness } from '../helpers/lending.js';
import { authoriseConsent, revokeConsent } from '../../src/openbanking/consents-store.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let alice: FundedCustomer;

const as = (token: string) => new Client(t.base, token);

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  partner = await registerTestApp(t, { mode: 'sandbox' });
  alice = await fundedCustomer(t, { funds: [10_000n, 500n, 0n] });
});
afterAll(async () => {
  await t?.close();
});

describe('accounts, balances and transactions', () => {
  it('lists only the shared accounts, reads one, its balances and its transactions page by page', async () => {
    const shared = [alice.account_ids[0]!, alice.account_ids[1]!];
    const { token } = await grant(t, partner, alice, shared);
    const list = await as(token).get('/open-banking/v1/accounts');
    expect(list.status, list.text).toBe(200);
    expect(list.body.data.map((a: { account_id: string }) => a.account_id).sort()).toEqual([...shared].sort());
    expect(list.body.data[0]).toMatchObject({ currency: 'USD', currency_scale: 2, status: 'open' });

    const one = await as(token).get(`/open-banking/v1/accounts/${shared[0]}`);
    expect(one.body).toMatchObject({ account_id: shared[0], nickname: 'Account 1' });

    const balances = await as(token).get(`/open-banking/v1/accounts/${shared[0]}/balances`);
    expect(balances.body).toMatchObject({ booked_minor: '10000', available_minor: '10000', pending_debits_minor: '0' });

    // Three more movements, so there are four transactions to page through two at a time.
    for (const amount of [100n, 200n, 300n]) await mustTransfer(t.api, transfer(shared[0]!, alice.cash_id, amount, { metadata: { reference: `r${amount}` } }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await as(token).get(`/open-banking/v1/accounts/${shared[0]}/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((x: any) => `${x.direction}:${x.amount_minor}:${x.reference ?? ''}`));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['debit:300:r300', 'debit:200:r200', 'debit:100:r100', 'credit:10000:']);
  });

  it('an account the customer did not share is 403 consent_account_not_included', async () => {
    const { token } = await grant(t, partner, alice, [alice.account_ids[0]!]);
    expectProblem(await as(token).get(`/open-banking/v1/accounts/${alice.account_ids[1]}/balances`), 403, 'consent_account_not_included');
  });

  it('a permission the consent lacks is 403 consent_permission_missing', async () => {
    const { token } = await grant(t, partner, alice, [alice.account_ids[0]!], { permissions: ['accounts:read'] });
    expect((await as(token).get(`/open-banking/v1/accounts/${alice.account_ids[0]}`)).status).toBe(200);
    expectProblem(await as(token).get(`/open-banking/v1/accounts/${alice.account_ids[0]}/transactions`), 403, 'consent_permission_missing');
  });

  it('a token beyond its scope: a funds-confirmation token on accounts is 403 insufficient_scope, a client token too', async () => {
    const { token } = await grant(t, partner, alice, [alice.account_ids[0]!], { kind: 'funds_confirmation' });
    expectProblem(await as(token).get('/open-banking/v1/accounts'), 403, 'insufficient_scope');
    expectProblem(await as(await clientToken(t, partner)).get('/open-banking/v1/accounts'), 403, 'insufficient_scope');
  });
});

describe('consent revoked or expired mid-session', () => {
  it('revoked by the customer: the next call with the same token is 403 consent_revoked, and a payment moves nothing', async () => {
    const { consent_id, token } = await grant(t, partner, alice, [alice.account_ids[0]!]);
    expect((await as(token).get(`/open-banking/v1/accounts/${alice.account_ids[0]}/balances`)).status).toBe(200);
    const revoked = await t.admin.post(`/v1/customers/${alice.customer_id}/consents/${consent_id}/revoke`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: 'customer' });
    expectProblem(await as(token).get(`/open-banking/v1/accounts/${alice.account_ids[0]}/balances`), 403, 'consent_revoked');

    const shop = await fundedCustomer(t, { funds: [0n] });
    const pay = await grant(t, partner, alice, [alice.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const before = await postedBalance(t, alice.account_ids[0]!);
    const result = await revokeConsent(t.testDb.db, { id: pay.consent_id, by: 'partner', actor_id: partner.client_id, now: t.clock.now() });
    expect(result.ok).toBe(true);
    const res = await as(pay.token).post('/open-banking/v1/payments', { id: uuid7(), creditor_account_id: shop.account_ids[0], amount_minor: '100', currency: 'USD' }, { headers: { 'idempotency-key': uuid7() } });
    expectProblem(res, 403, 'consent_revoked');
    expect(await postedBalance(t, alice.account_ids[0]!)).toBe(before);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(0n);
    expect(await usedOnConsent(t, pay.consent_id)).toBe(0n);
  });

  it('past expires_at: 403 consent_expired', async () => {
    const { consent_id, token } = await grant(t, partner, alice, [alice.account_ids[0]!], { expires_in_ms: 20 * 60_000 });
    expect((await as(token).get('/open-banking/v1/accounts')).status).toBe(200);
    t.clock.advance(20 * 60_000);
    // Access tokens live 300 s, so mint a fresh one: the token is valid, the consent behind it is not.
    const fresh = await customerToken(t, { client: partner, consent_id });
    expectProblem(await as(fresh).get('/open-banking/v1/accounts'), 403, 'consent_expired');
  });
});

describe('funds confirmation', () => {
  it('answers yes or no for a shared account, without moving or reserving anything', async () => {
    const { token } = await grant(t, partner, alice, [alice.account_ids[1]!], { kind: 'funds_confirmation' });
    const ask = (amount: string, account = alice.account_ids[1]) =>
      as(token).post('/open-banking/v1/funds-confirmations', { account_id: account, amount_minor: amount, currency: 'USD' });
    expect((await ask('500')).body).toMatchObject({ funds_available: true });
    expect((await ask('501')).body).toMatchObject({ funds_available: false });
    expectProblem(await ask('1', alice.account_ids[0]), 403, 'consent_account_not_included');
    expectProblem(await as(token).post('/open-banking/v1/funds-confirmations', { account_id: alice.account_ids[1], amount_minor: '1', currency: 'EUR' }), 422, 'currency_mismatch', 'body.currency');
    expect(await postedBalance(t, alice.account_ids[1]!)).toBe(500n);
  });

  it('an account_access consent cannot confirm funds: 403 consent_kind_mismatch', async () => {
    const { consent_id } = await grant(t, partner, alice, [alice.account_ids[1]!]);
    const token = await customerToken(t, { client: partner, consent_id, scopes: ['accounts', 'funds_confirmation'] });
    expectProblem(await as(token).post('/open-banking/v1/funds-confirmations', { account_id: alice.account_ids[1], amount_minor: '1', currency: 'USD' }), 403, 'consent_kind_mismatch');
  });
});

describe('sandbox isolation', () => {
  it('a sandbox app cannot have a live customer authorise its consent; a live app cannot use a sandbox customer', async () => {
    const liveCustomer = await fundedCustomer(t, { mode: 'live', funds: [100n] });
    const consent_id = await makeConsent(t, partner);
    const refused = await authoriseConsent(t.testDb.db, { id: consent_id, client_id: partner.client_id, customer_id: liveCustomer.customer_id, account_ids: liveCustomer.account_ids, now: t.clock.now() });
    expect(refused).toMatchObject({ ok: false, code: 'consent_mode_mismatch' });

    const liveApp = await registerTestApp(t, { mode: 'live' });
    const liveConsent = await makeConsent(t, liveApp);
    expect(await authoriseConsent(t.testDb.db, { id: liveConsent, client_id: liveApp.client_id, customer_id: alice.customer_id, account_ids: [alice.account_ids[0]!], now: t.clock.now() })).toMatchObject({
      ok: false,
      code: 'consent_mode_mismatch',
    });
  });

  it('a customer cannot share an account that is not theirs', async () => {
    const other = await fundedCustomer(t, { funds: [0n] });
    const consent_id = await makeConsent(t, partner);
    expect(await authoriseConsent(t.testDb.db, { id: consent_id, client_id: partner.client_id, customer_id: alice.customer_id, account_ids: [other.account_ids[0]!], now: t.clock.now() })).toMatchObject({
      ok: false,
      code: 'consent_account_not_owned',
    });
  });
});

describe('the full consent flow', () => {
  it('PAR → consent page → code → token, then the token reads the chosen account', async () => {
    const flow = await consentedCustomer(t, partner, { kind: 'account_access' });
    const res = await as(flow.tokens.access_token).get(`/open-banking/v1/accounts/${flow.customer.account_ids[0]}/balances`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.account_id).toBe(flow.customer.account_ids[0]);
  });
});

describe('red envelopes', () => {
  it('sends an envelope under a payment consent (counted against the limit, once) and another customer grabs into a shared account', async () => {
    const sender = await fundedCustomer(t, { funds: [5_000n] });
    const { consent_id, token } = await grant(t, partner, sender, [sender.account_ids[0]!], {
      kind: 'payment_initiation',
      permissions: ['payments:create', 'envelopes:create'],
      payment: { currency: 'USD', amount_limit_minor: 3_000n },
    });
    const body = { id: uuid7(), total_amount: '2000', share_count: 2, mode: 'equal', greeting: 'hi' };
    const sent = await as(token).post('/open-banking/v1/envelopes', body);
    expect(sent.status, sent.text).toBe(201);
    expect(sent.body).toMatchObject({ sender_customer_id: sender.customer_id, funding_account_id: sender.account_ids[0], total_amount: '2000' });
    expect(await usedOnConsent(t, consent_id)).toBe(2_000n);
    expect(await postedBalance(t, sender.account_ids[0]!)).toBe(3_000n);
    const again = await as(token).post('/open-banking/v1/envelopes', body);
    expect(again.status).toBe(200);
    expect(await usedOnConsent(t, consent_id)).toBe(2_000n);
    const over = await as(token).post('/open-banking/v1/envelopes', { ...body, id: uuid7(), total_amount: '1002' });
    expectProblem(over, 422, 'consent_limit_exceeded', 'body.total_amount');
    expect(await postedBalance(t, sender.account_ids[0]!)).toBe(3_000n);

    const grabber = await fundedCustomer(t, { funds: [0n] });
    const g = await grant(t, partner, grabber, [grabber.account_ids[0]!], { permissions: ['accounts:read', 'envelopes:grab'] });
    const grab = await as(g.token).post(`/open-banking/v1/envelopes/${body.id}/grabs`, { account_id: grabber.account_ids[0], link_token: sent.body.link_token });
    expect(grab.status, grab.text).toBe(201);
    expect(grab.body).toMatchObject({ customer_id: grabber.customer_id, amount: '1000' });
    expect(await postedBalance(t, grabber.account_ids[0]!)).toBe(1_000n);
  });

  it('envelopes need the envelopes scope and a payment consent with envelopes:create', async () => {
    const sender = await fundedCustomer(t, { funds: [5_000n] });
    const { consent_id } = await grant(t, partner, sender, [sender.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 3_000n } });
    const body = { id: uuid7(), total_amount: '100', share_count: 1, mode: 'equal' };
    const noScope = await customerToken(t, { client: partner, consent_id, scopes: ['payments'] });
    expectProblem(await as(noScope).post('/open-banking/v1/envelopes', body), 403, 'insufficient_scope');
    const scoped = await customerToken(t, { client: partner, consent_id, scopes: ['payments', 'envelopes'] });
    expectProblem(await as(scoped).post('/open-banking/v1/envelopes', body), 403, 'consent_permission_missing');
    expect(await postedBalance(t, sender.account_ids[0]!)).toBe(5_000n);
  });
});

describe('loan applications', () => {
  it('applies for the consenting customer into a shared account and answers the decision without scorecard internals', async () => {
    await mustSaveProduct(t.admin, 'sme-ob', smeProduct());
    const borrower = await fundedCustomer(t, { currency: 'CNY', funds: [0n] });
    const { token } = await grant(t, partner, borrower, [borrower.account_ids[0]!], { permissions: ['accounts:read', 'loans:apply'] });
    const body = { id: uuid7(), account_id: borrower.account_ids[0], product_id: 'sme-ob', amount: '5000000', term: 12, business: strongBusiness() };
    const res = await as(token).post('/open-banking/v1/loan-applications', body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: body.id, account_id: borrower.account_ids[0], status: 'approved' });
    expect(res.body.decision).toBeUndefined();
    const { rows } = await t.testDb.db.query<{ customer_id: string }>('SELECT customer_id FROM loan_applications WHERE id = $1', [body.id]);
    expect(rows[0]!.customer_id).toBe(borrower.customer_id);
    expectProblem(await as(token).post('/open-banking/v1/loan-applications', { ...body, id: uuid7(), account_id: alice.account_ids[0] }), 403, 'consent_account_not_included');
  });
});

describe('risk checks', () => {
  it("decides on the partner's own event, namespaced by the app: the same event id from another app is another decision", async () => {
    const other = await registerTestApp(t, { mode: 'sandbox' });
    const event = { id: uuid7(), type: 'payment', customer_id: 'shopper-1', amount: '1999', currency: 'USD', device_id: 'dev-1' };
    const first = await as(await clientToken(t, partner)).post('/open-banking/v1/risk-checks', event);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ id: event.id, replayed: false });
    expect(['allow', 'step_up', 'review', 'block']).toContain(first.body.outcome);
    const again = await as(await clientToken(t, partner)).post('/open-banking/v1/risk-checks', event);
    expect(again.status).toBe(200);
    expect(again.body.decision_id).toBe(first.body.decision_id);
    const theirs = await as(await clientToken(t, other)).post('/open-banking/v1/risk-checks', event);
    expect(theirs.status).toBe(201);
    expect(theirs.body.decision_id).not.toBe(first.body.decision_id);
    const stored = await t.admin.get(`/v1/risk/decisions/${first.body.decision_id}`);
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body.event).toMatchObject({ customer_id: `partner:${partner.client_id}:shopper-1`, channel: 'open_banking', attributes: { partner_client_id: partner.client_id } });
    expectProblem(await as(await clientToken(t, partner)).post('/open-banking/v1/risk-checks', { ...event, amount: '2000' }), 409, 'exists_with_different_fields');
  });

  it('needs the risk scope', async () => {
    const token = await clientToken(t, partner, { scopes: ['accounts'] });
    expectProblem(await as(token).post('/open-banking/v1/risk-checks', { id: uuid7(), type: 'login', customer_id: 'x' }), 403, 'insufficient_scope');
  });
});

/**
 * Open-banking payments through HTTP: the consent's limit and per-payment maximum, the
 * Idempotency-Key requirement, refused transfers, sandbox magic amounts, crash recovery
 * (a payment left pending is settled from its transfer) and concurrent payments against one
 * limit. Each refusal is checked to change nothing: balances and the consent's used total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, mapPool, uuid7 } from '../helpers/http.js';
import { clientToken, customerToken, registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { eventsOf, fundedCustomer, grant, paymentFields, postedBalance, usedOnConsent, type FundedCustomer } from '../helpers/openbanking-data.js';
import { recordPayments, reserveOnConsent } from '../../src/openbanking/payments-store.js';
import { paymentTransfer, paymentTransferId, PAYMENT_SETTLE_GRACE_MS } from '../../src/openbanking/payments.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let live: TestPartner;
let payer: FundedCustomer;
let shop: FundedCustomer;

const pay = (token: string, body: Record<string, unknown>, key: string | null = uuid7()) =>
  new Client(t.base, token).post('/open-banking/v1/payments', body, key === null ? {} : { headers: { 'idempotency-key': key } });

const paymentBody = (over: Record<string, unknown> = {}) => ({ id: uuid7(), creditor_account_id: shop.account_ids[0], amount_minor: '1000', currency: 'USD', reference: 'order 1', ...over });

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  partner = await registerTestApp(t, { mode: 'sandbox' });
  live = await registerTestApp(t, { mode: 'live', name: 'Live Shop' });
  payer = await fundedCustomer(t, { funds: [50_000n] });
  shop = await fundedCustomer(t, { funds: [0n] });
});
afterAll(async () => {
  await t?.close();
});

describe('payment initiation under a consent', () => {
  it('pays within the limit: 201 completed, money moved, consent used, completed event; a repeat is 200 and moves nothing', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const [before, shopBefore] = [await postedBalance(t, payer.account_ids[0]!), await postedBalance(t, shop.account_ids[0]!)];
    const body = paymentBody({ amount_minor: '2500' });
    const res = await pay(token, body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: body.id, status: 'completed', amount_minor: '2500', consent_id, debtor_account_id: payer.account_ids[0], transfer_id: paymentTransferId(body.id) });
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before - 2500n);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore + 2500n);
    expect(await usedOnConsent(t, consent_id)).toBe(2500n);
    expect(await eventsOf(t, body.id)).toMatchObject([{ topic: 'openbanking.payment.completed', client_id: partner.client_id, payload: { status: 'completed', amount_minor: '2500' } }]);

    const again = await pay(token, body);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('completed');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before - 2500n);
    expect(await usedOnConsent(t, consent_id)).toBe(2500n);

    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('completed');

    const conflict = await pay(token, { ...body, amount_minor: '2501' });
    expectProblem(conflict, 409, 'exists_with_different_fields', 'body.id');
  });

  it('a consent is never deleted (its payments refer to it): DELETE and TRUNCATE are refused by the database', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = paymentBody({ amount_minor: '100' });
    expect((await pay(token, body)).status).toBe(201);
    await expect(t.testDb.db.query('DELETE FROM consents WHERE id = $1', [consent_id])).rejects.toThrow(/consents are never deleted/);
    await expect(t.testDb.db.query('TRUNCATE consents CASCADE')).rejects.toThrow(/consents are never deleted/);
    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.body).toMatchObject({ id: body.id, consent_id, status: 'completed' });
    expect(await usedOnConsent(t, consent_id)).toBe(100n);
  });

  it('a payment above the consent limit is 422 consent_limit_exceeded and changes nothing', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 3_000n } });
    expect((await pay(token, paymentBody({ amount_minor: '2000' }))).status).toBe(201);
    const [before, shopBefore] = [await postedBalance(t, payer.account_ids[0]!), await postedBalance(t, shop.account_ids[0]!)];
    const over = paymentBody({ amount_minor: '1001' });
    const res = await pay(token, over);
    expectProblem(res, 422, 'consent_limit_exceeded', 'body.amount_minor');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore);
    expect(await usedOnConsent(t, consent_id)).toBe(2000n);
    expectProblem(await new Client(t.base, token).get(`/open-banking/v1/payments/${over.id}`), 404, 'payment_not_found');
    // Exactly the rest still fits.
    expect((await pay(token, paymentBody({ amount_minor: '1000' }))).status).toBe(201);
    expect(await usedOnConsent(t, consent_id)).toBe(3000n);
  });

  it('a payment above the per-payment maximum is 422 payment_amount_above_consent and changes nothing', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], {
      kind: 'payment_initiation',
      payment: { currency: 'USD', amount_limit_minor: 10_000n, per_payment_max_minor: 500n },
    });
    const before = await postedBalance(t, payer.account_ids[0]!);
    expectProblem(await pay(token, paymentBody({ amount_minor: '501' })), 422, 'payment_amount_above_consent', 'body.amount_minor');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
  });

  it('needs an Idempotency-Key (400 idempotency_key_required, nothing done), a matching currency and the named creditor', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], {
      kind: 'payment_initiation',
      payment: { currency: 'USD', amount_limit_minor: 10_000n, creditor_account_id: shop.account_ids[0]! },
    });
    const before = await postedBalance(t, payer.account_ids[0]!);
    expectProblem(await pay(token, paymentBody(), null), 400, 'idempotency_key_required');
    expectProblem(await pay(token, paymentBody({ currency: 'EUR' })), 422, 'payment_currency_mismatch', 'body.currency');
    const other = await fundedCustomer(t, { funds: [0n] });
    expectProblem(await pay(token, paymentBody({ creditor_account_id: other.account_ids[0] })), 422, 'payment_creditor_not_allowed', 'body.creditor_account_id');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
  });

  it('a transfer the ledger refuses (insufficient funds) is 422 exceeds_credits: payment stored rejected, reservation released, rejected event', async () => {
    const poor = await fundedCustomer(t, { funds: [700n] });
    const { consent_id, token } = await grant(t, partner, poor, [poor.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = paymentBody({ amount_minor: '701' });
    expectProblem(await pay(token, body), 422, 'exceeds_credits');
    expect(await postedBalance(t, poor.account_ids[0]!)).toBe(700n);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.body).toMatchObject({ status: 'rejected', reason_code: 'exceeds_credits' });
    expect(await eventsOf(t, body.id)).toMatchObject([{ topic: 'openbanking.payment.rejected', payload: { reason_code: 'exceeds_credits' } }]);
    // The same request again answers the same refusal.
    expectProblem(await pay(token, body), 422, 'exceeds_credits');
  });

  it('a sandbox app cannot pay into a live account (it reads as absent)', async () => {
    const liveCustomer = await fundedCustomer(t, { mode: 'live', funds: [0n] });
    const { token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const before = await postedBalance(t, payer.account_ids[0]!);
    expectProblem(await pay(token, paymentBody({ creditor_account_id: liveCustomer.account_ids[0] })), 404, 'account_not_found', 'body.creditor_account_id');
    expectProblem(await pay(token, paymentBody({ creditor_account_id: payer.cash_id })), 404, 'account_not_found', 'body.creditor_account_id');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
  });
});

describe('sandbox magic amounts', () => {
  it('666 → 422 exceeds_credits, 999 → 422 risk_blocked, 409 → 409 account_frozen (stored rejected, nothing moved); 503 → 503 unavailable, nothing stored', async () => {
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const before = await postedBalance(t, payer.account_ids[0]!);
    for (const [amount, status, code] of [
      ['666', 422, 'exceeds_credits'],
      ['999', 422, 'risk_blocked'],
      ['409', 409, 'account_frozen'],
    ] as const) {
      const body = paymentBody({ amount_minor: amount });
      expectProblem(await pay(token, body), status, code);
      const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
      expect(read.body, amount).toMatchObject({ status: 'rejected', reason_code: code });
    }
    const unavailable = paymentBody({ amount_minor: '503' });
    const res = await pay(token, unavailable);
    expectProblem(res, 503, 'unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    expectProblem(await new Client(t.base, token).get(`/open-banking/v1/payments/${unavailable.id}`), 404, 'payment_not_found');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
  });

  it('a live app has no magic amounts: 666 is an ordinary payment', async () => {
    const liveCustomer = await fundedCustomer(t, { mode: 'live', funds: [10_000n] });
    const liveShop = await fundedCustomer(t, { mode: 'live', funds: [0n] });
    const { token } = await grant(t, live, liveCustomer, [liveCustomer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const res = await pay(token, paymentBody({ amount_minor: '666', creditor_account_id: liveShop.account_ids[0] }));
    expect(res.status, res.text).toBe(201);
    expect(await postedBalance(t, liveShop.account_ids[0]!)).toBe(666n);
  });
});

describe('pending payments stored before their transfer (rows from before payments rode the ledger batch)', () => {
  /** A payment as the earlier two-step path could leave it at a crash: reserved and stored pending; `transferred` says whether its transfer committed. */
  async function crashedPayment(consent_id: string, customer: FundedCustomer, amount: bigint, transferred: boolean): Promise<string> {
    const payment = paymentFields({ consent_id, client_id: partner.client_id, payer: customer, creditor_account_id: shop.account_ids[0]!, amount_minor: amount });
    const id = payment.id;
    const now = t.clock.now();
    await t.testDb.db.transaction(async (tx) => {
      expect(await reserveOnConsent(tx, consent_id, amount, now)).toBe(true);
      await recordPayments(tx, { used_totals: new Map(), payments: [{ ...payment, status: 'pending', reason_code: null, created_at: now, updated_at: now }] });
    });
    if (transferred) {
      const [r] = await t.app.ledger.submitTransfers([paymentTransfer(payment)]);
      expect(r!.ok).toBe(true);
    }
    return id;
  }

  it('a pending payment whose transfer never ran is completed when read after the grace period, moving the money once', async () => {
    const c = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, c, [c.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const id = await crashedPayment(consent_id, c, 1_200n, false);
    const client = new Client(t.base, token);
    const early = await client.get(`/open-banking/v1/payments/${id}`);
    expect(early.body.status).toBe('pending'); // within the grace period its request may still be running
    t.clock.advance(PAYMENT_SETTLE_GRACE_MS + 1);
    const read = await client.get(`/open-banking/v1/payments/${id}`);
    expect(read.body.status).toBe('completed');
    expect(await postedBalance(t, c.account_ids[0]!)).toBe(10_000n - 1_200n);
    expect((await client.get(`/open-banking/v1/payments/${id}`)).body.status).toBe('completed');
    expect(await postedBalance(t, c.account_ids[0]!)).toBe(10_000n - 1_200n);
    expect(await usedOnConsent(t, consent_id)).toBe(1_200n);
  });

  it('the sweep settles pending payments: a committed transfer completes its payment without moving money again; a refused one is rejected and released', async () => {
    const c = await fundedCustomer(t, { funds: [2_000n] });
    const { consent_id } = await grant(t, partner, c, [c.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const done = await crashedPayment(consent_id, c, 1_500n, true);
    const refused = await crashedPayment(consent_id, c, 1_000n, false); // only 500 left in the account
    expect(await postedBalance(t, c.account_ids[0]!)).toBe(500n);
    expect(await usedOnConsent(t, consent_id)).toBe(2_500n);
    t.clock.advance(PAYMENT_SETTLE_GRACE_MS + 1);
    expect(await t.app.obPayments.sweep()).toBeGreaterThanOrEqual(2);
    const statuses = await t.testDb.db.query<{ id: string; status: string; reason_code: string | null }>('SELECT id::text AS id, status, reason_code FROM ob_payments WHERE id = ANY($1::uuid[])', [[done, refused]]);
    const byId = new Map(statuses.rows.map((r) => [r.id, r]));
    expect(byId.get(done)).toMatchObject({ status: 'completed' });
    expect(byId.get(refused)).toMatchObject({ status: 'rejected', reason_code: 'exceeds_credits' });
    expect(await postedBalance(t, c.account_ids[0]!)).toBe(500n);
    expect(await usedOnConsent(t, consent_id)).toBe(1_500n);
    expect((await eventsOf(t, done)).map((e) => e.topic)).toEqual(['openbanking.payment.completed']);
    expect((await eventsOf(t, refused)).map((e) => e.topic)).toEqual(['openbanking.payment.rejected']);
  });
});

describe('concurrent payments against one limit', () => {
  it('never pay out more than the limit: completed payments sum to the used total and the money moved', async () => {
    const c = await fundedCustomer(t, { funds: [1_000_000n] });
    const sink = await fundedCustomer(t, { funds: [0n] });
    const limit = 25_000n;
    const { consent_id, token } = await grant(t, partner, c, [c.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: limit } });
    const amounts = Array.from({ length: 40 }, (_, i) => BigInt(500 + ((i * 7919) % 2500)));
    const results = await mapPool(amounts, 16, (amount) => pay(token, paymentBody({ amount_minor: amount.toString(), creditor_account_id: sink.account_ids[0] })));
    let paid = 0n;
    results.forEach((res, i) => {
      if (res.status === 201) paid += amounts[i]!;
      else expectProblem(res, 422, 'consent_limit_exceeded');
    });
    expect(paid).toBeLessThanOrEqual(limit);
    expect(paid).toBeGreaterThan(0n);
    expect(await usedOnConsent(t, consent_id)).toBe(paid);
    expect(await postedBalance(t, sink.account_ids[0]!)).toBe(paid);
    expect(await postedBalance(t, c.account_ids[0]!)).toBe(1_000_000n - paid);
    // Every refused payment would not have fitted in what was left at the end.
    results.forEach((res, i) => {
      if (res.status !== 201) expect(paid + amounts[i]!).toBeGreaterThan(limit);
    });
  });
});

describe('token kinds and scopes on payments', () => {
  it('a client-credentials token cannot pay (403 insufficient_scope); a customer token without the payments scope cannot either; nothing moves', async () => {
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const before = await postedBalance(t, payer.account_ids[0]!);
    expectProblem(await pay(await clientToken(t, partner), paymentBody()), 403, 'insufficient_scope');
    const narrow = await customerToken(t, { client: partner, consent_id, scopes: ['accounts'] });
    expectProblem(await pay(narrow, paymentBody()), 403, 'insufficient_scope');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
  });

  it('an account_access consent cannot pay: 403 consent_kind_mismatch', async () => {
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!]);
    const token = await customerToken(t, { client: partner, consent_id, scopes: ['accounts', 'payments'] });
    const before = await postedBalance(t, payer.account_ids[0]!);
    expectProblem(await pay(token, paymentBody()), 403, 'consent_kind_mismatch');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(before);
  });
});

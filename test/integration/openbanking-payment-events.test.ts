/**
 * A payment that completes with its transfer has no outbox row of its own: its
 * `openbanking.payment.completed` event is derived from the ledger's `ledger.transfer.created`
 * row (src/openbanking/payment-events.ts). Every reader sees the same event: GET /v1/events
 * right after its source row, the webhook relay as one delivery to the partner. A transfer that
 * only looks like a payment's tells nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { fundedCustomer, grant, type FundedCustomer } from '../helpers/openbanking-data.js';
import { derivedEventId } from '../../src/events/derived-events.js';
import { OB_PAYMENT_TRANSFER_CODE, paymentTransferId } from '../../src/openbanking/payments.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let payer: FundedCustomer;
let shop: FundedCustomer;
let admin: Client;

interface EventView {
  seq: string;
  id: string;
  topic: string;
  data: Record<string, any>;
}

const allEvents = async (): Promise<EventView[]> => {
  const res = await admin.get('/v1/events?after_seq=0&limit=500');
  expect(res.status, res.text).toBe(200);
  return res.body.data as EventView[];
};

const outboxRowsAbout = async (entity_id: string): Promise<number> =>
  Number((await t.testDb.db.query<{ n: bigint }>('SELECT count(*)::int8 AS n FROM outbox WHERE entity_id = $1', [entity_id])).rows[0]!.n);

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 2, 1)) });
  partner = await registerTestApp(t, { mode: 'sandbox', webhook_url: 'https://shop.example/hooks' });
  payer = await fundedCustomer(t, { funds: [50_000n] });
  shop = await fundedCustomer(t, { funds: [0n] });
  admin = new Client(t.base, t.keys.admin);
});
afterAll(async () => {
  await t?.close();
});

describe('the completed event a payment’s transfer tells', () => {
  it('has no row of its own, follows its transfer’s row with the same seq and a stable id, and is delivered once', async () => {
    const { token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = { id: uuid7(), creditor_account_id: shop.account_ids[0], amount_minor: '1250', currency: 'USD', reference: 'order 77' };
    const res = await new Client(t.base, token).post('/open-banking/v1/payments', body, { headers: { 'idempotency-key': uuid7() } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.status).toBe('completed');
    expect(await outboxRowsAbout(body.id)).toBe(0);

    const first = await allEvents();
    const source = first.findIndex((e) => e.topic === 'ledger.transfer.created' && e.data.id === paymentTransferId(body.id));
    expect(source).toBeGreaterThanOrEqual(0);
    const told = first[source + 1]!;
    expect(told).toMatchObject({
      seq: first[source]!.seq,
      id: derivedEventId(first[source]!.id, 'openbanking.payment.completed'),
      topic: 'openbanking.payment.completed',
      data: {
        payment_id: body.id,
        status: 'completed',
        amount_minor: '1250',
        currency: 'USD',
        creditor_account_id: shop.account_ids[0],
        reference: 'order 77',
      },
    });
    expect(told.data.reason_code).toBeUndefined();
    expect((await allEvents()).find((e) => e.id === told.id)).toEqual(told); // read again: the same event

    while ((await t.app.events.relayOnce()).webhooks.more);
    await t.app.events.relayOnce(); // a pass with nothing new queues nothing twice
    const { rows } = await t.testDb.db.query<{ event_id: string; client_id: string; topic: string }>(
      `SELECT event_id::text AS event_id, client_id, topic FROM webhook_deliveries WHERE payload->'data'->>'payment_id' = $1`,
      [body.id],
    );
    expect(rows).toEqual([{ event_id: told.id, client_id: partner.client_id, topic: 'openbanking.payment.completed' }]);
  });

  it('an app without a webhook URL gets no delivery: the webhook relay does not even derive its event, which GET /v1/events still tells', async () => {
    const quiet = await registerTestApp(t, { mode: 'sandbox' });
    const { token } = await grant(t, quiet, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = { id: uuid7(), creditor_account_id: shop.account_ids[0], amount_minor: '40', currency: 'USD', reference: 'order 78' };
    const res = await new Client(t.base, token).post('/open-banking/v1/payments', body, { headers: { 'idempotency-key': uuid7() } });
    expect(res.status, res.text).toBe(201);
    expect((await allEvents()).filter((e) => e.topic === 'openbanking.payment.completed' && e.data.payment_id === body.id)).toHaveLength(1);

    const scope = await t.app.events.queue.deriveScope(t.testDb.db);
    expect(scope.client_ids?.has(partner.client_id)).toBe(true);
    expect(scope.client_ids?.has(quiet.client_id)).toBe(false);
    while ((await t.app.events.relayOnce()).webhooks.more);
    const { rows } = await t.testDb.db.query(`SELECT 1 FROM webhook_deliveries WHERE payload->'data'->>'payment_id' = $1`, [body.id]);
    expect(rows).toEqual([]);
  });

  it('the ledger API refuses a new transfer with the payments’ code (reserved), so no transfer can pose as a payment', async () => {
    const fake_payment = uuid7();
    const forged = {
      id: paymentTransferId(fake_payment),
      debit_account_id: payer.account_ids[0],
      credit_account_id: shop.account_ids[0],
      amount: '10',
      code: OB_PAYMENT_TRANSFER_CODE,
      metadata: { payment_id: fake_payment, consent_id: uuid7(), client_id: partner.client_id, customer_id: payer.customer_id, channel: 'open_banking' },
    };
    const api = new Client(t.base, t.keys.rw);
    const res = await api.post('/v1/transfers', forged);
    expectProblem(res, 422, 'transfer_code_reserved');
    expect(res.body.field).toBe('body.code');
    const plain = { ...forged, id: uuid7(), code: 7000 };
    const batch = await api.post('/v1/transfers', [plain, forged]);
    expectProblem(batch, 422, 'transfer_code_reserved'); // the whole request: nothing of it applied
    expect(batch.body.field).toBe('body[1].code');
    for (const id of [forged.id, plain.id]) expect((await api.get(`/v1/transfers/${id}`)).status).toBe(404);
    const events = await allEvents();
    expect(events.filter((e) => e.data?.payment_id === fake_payment)).toEqual([]);
  });
});

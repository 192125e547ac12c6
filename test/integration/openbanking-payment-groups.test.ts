/**
 * Open-banking payments carried by the ledger writer's batches (payment-group.ts), through
 * HTTP: a burst of payments under one consent, sent at once so they share batches, with
 * every outcome mixed in (completed, replayed, same id with another body, over the limit,
 * refused by the ledger, sandbox magic, unknown creditor), checked against the money moved,
 * the consent's used total and the outbox; and the risk engine's gate on payments (a policy
 * on the payment transfer code): review holds the payment until an analyst decides, block
 * rejects it without reserving anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { clientToken, registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { eventsOf, fundedCustomer, grant, paymentFields, postedBalance, usedOnConsent, type FundedCustomer } from '../helpers/openbanking-data.js';
import { allCases, defaultRulesPlus, deployRules, storedDecision } from '../helpers/risk.js';
import { OB_PAYMENT_TRANSFER_CODE, paymentTransfer, paymentTransferId, type Payment } from '../../src/openbanking/payments.js';
import { getPayment, listPayments, recordPayments } from '../../src/openbanking/payments-store.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let shop: FundedCustomer;

const pay = (token: string, body: Record<string, unknown>) =>
  new Client(t.base, token).post('/open-banking/v1/payments', body, { headers: { 'idempotency-key': uuid7() } });
const paymentBody = (over: Record<string, unknown> = {}): Record<string, unknown> & { id: string } => ({ id: uuid7(), creditor_account_id: shop.account_ids[0], amount_minor: '100', currency: 'USD', ...over });

/** A consent's payments as the store lists them (rows and payments' transfers), every page. */
async function storedPayments(consent_id: string): Promise<Payment[]> {
  const all: Payment[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPayments(t.testDb.db, { consent_id, limit: 7, cursor });
    all.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return all;
}

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 5, 1)) });
  partner = await registerTestApp(t, { mode: 'sandbox' });
  shop = await fundedCustomer(t, { funds: [0n] });
});
afterAll(async () => {
  await t?.close();
});

describe('a burst of payments under one consent, sharing batches', () => {
  it('every outcome at once: the money moved, the used total and the events agree with the answers', async () => {
    const payer = await fundedCustomer(t, { funds: [5_000n] });
    const liveShop = await fundedCustomer(t, { mode: 'live', funds: [0n] });
    const limit = 4_500n; // less than all of them together: some must be refused for the limit
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: limit } });
    const shopBefore = await postedBalance(t, shop.account_ids[0]!);

    const twice = paymentBody({ amount_minor: '300', reference: 'order 1' });
    const MAGIC = 23;
    const bodies = [
      ...Array.from({ length: 20 }, (_, i) => paymentBody({ amount_minor: String(50 + i * 7) })),
      twice,
      twice,
      { ...twice, reference: 'another order' },
      paymentBody({ amount_minor: '666' }), // sandbox magic: rejected as exceeds_credits, nothing reserved
      paymentBody({ creditor_account_id: liveShop.account_ids[0] }), // a live account: does not exist for a sandbox app
      paymentBody({ creditor_account_id: uuid7() }),
      ...Array.from({ length: 10 }, () => paymentBody({ amount_minor: '400' })), // some pass the limit, some do not
    ];
    expect(bodies.length).toBeLessThanOrEqual(40); // the per-customer burst allowance
    const answers = await Promise.all(bodies.map((b) => pay(token, b)));

    // Arrival order at the server is not the array's: each answer is checked against what it may be.
    let completed = 0n;
    const completedIds = new Set<string>();
    answers.forEach((res, i) => {
      const body = bodies[i]!;
      const limitOr = (code: string): void => expect([code, 'consent_limit_exceeded']).toContain(res.body.code);
      if (res.status === 201) {
        expect(res.body).toMatchObject({ id: body.id, status: 'completed' });
        expect(completedIds.has(body.id as string)).toBe(false);
        completed += BigInt(body.amount_minor as string);
        completedIds.add(body.id as string);
        return;
      }
      if (res.status === 200) return expect(body.id).toBe(twice.id); // a replay of the stored payment
      if (body.creditor_account_id !== shop.account_ids[0]) return expectProblem(res, 404, 'account_not_found');
      if (body.id === twice.id && res.status === 409) return expectProblem(res, 409, 'exists_with_different_fields');
      expect(res.status, res.text).toBe(422);
      if (body.amount_minor === '666') limitOr('exceeds_credits');
      else expect(res.body.code).toBe('consent_limit_exceeded');
    });
    // The same id three times: at most one stored; the same body again is a replay, the other body a 409.
    const twiceAnswers = answers.filter((_, i) => bodies[i]!.id === twice.id);
    if (completedIds.has(twice.id as string)) {
      const stored = twiceAnswers.find((r) => r.status === 201)!.body.reference;
      twiceAnswers.forEach((r, j) => {
        const sent = bodies.filter((b) => b.id === twice.id)[j]!;
        if (r.status !== 201) expect(r.status).toBe(sent.reference === stored ? 200 : 409);
      });
    }
    expect(twiceAnswers.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    expect(completed).toBeLessThanOrEqual(limit);
    expect(await usedOnConsent(t, consent_id)).toBe(completed);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore + completed);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(5_000n - completed);
    expect(await postedBalance(t, liveShop.account_ids[0]!)).toBe(0n);
    // Every refusal for the limit would not have fitted in what was left at the end.
    answers.forEach((res, i) => {
      if (res.body?.code === 'consent_limit_exceeded') expect(completed + BigInt(bodies[i]!.amount_minor as string)).toBeGreaterThan(limit);
    });

    // Stored payments: exactly the completed ones plus the magic rejection, each with one event.
    const rows = await storedPayments(consent_id);
    expect(rows.filter((r) => r.status === 'completed').map((r) => r.id).sort()).toEqual([...completedIds].sort());
    // The completed ones are recorded by their transfers alone: no row of their own.
    expect((await t.testDb.db.query('SELECT id FROM ob_payments WHERE id = ANY($1::uuid[])', [[...completedIds]])).rows).toEqual([]);
    const magic = bodies[MAGIC]!;
    expect(magic.amount_minor).toBe('666');
    const magicStored = answers[MAGIC]!.body.code === 'exceeds_credits';
    expect(rows.filter((r) => r.status === 'rejected').map(({ id, status, reason_code }) => ({ id, status, reason_code }))).toEqual(magicStored ? [{ id: magic.id, status: 'rejected', reason_code: 'exceeds_credits' }] : []);
    for (const id of completedIds) expect((await eventsOf(t, id)).map((e) => e.topic)).toEqual(['openbanking.payment.completed']);
    expect((await eventsOf(t, magic.id as string)).map((e) => e.topic)).toEqual(magicStored ? ['openbanking.payment.rejected'] : []);
  });

  it('payments the ledger refuses (not enough money) are stored as rejected and give their reservation back', async () => {
    const payer = await fundedCustomer(t, { funds: [1_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 100_000n } });
    const bodies = Array.from({ length: 10 }, () => paymentBody({ amount_minor: '300' }));
    const answers = await Promise.all(bodies.map((b) => pay(token, b)));
    const ok = answers.filter((r) => r.status === 201);
    expect(ok).toHaveLength(3); // 3 × 300 fit in 1,000
    answers.filter((r) => r.status !== 201).forEach((r) => expectProblem(r, 422, 'exceeds_credits'));
    expect(await usedOnConsent(t, consent_id)).toBe(900n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(100n);
    const statuses = (await storedPayments(consent_id)).map((p) => `${p.status} ${p.reason_code ?? ''}`.trim());
    expect(statuses.sort()).toEqual([...Array(3).fill('completed'), ...Array(7).fill('rejected exceeds_credits')]);
  });
});

describe('listing payments', () => {
  it("the payments under one of the app's consents, newest first, page by page; another app's consent is 404", async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const ids: string[] = [];
    for (const amount of ['100', '200', '300', '666']) {
      const body = paymentBody({ amount_minor: amount });
      await pay(token, body);
      ids.push(body.id);
      t.clock.advance(1000);
    }
    const client = new Client(t.base, await clientToken(t, partner));
    const first = await client.get(`/open-banking/v1/payments?consent_id=${consent_id}&limit=3`);
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.map((p: any) => p.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(first.body.data[0]).toMatchObject({ status: 'rejected', reason_code: 'exceeds_credits' });
    const second = await client.get(`/open-banking/v1/payments?consent_id=${consent_id}&limit=3&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ data: [{ id: ids[0], status: 'completed', amount_minor: '100' }], next_cursor: null });

    const other = await registerTestApp(t, { mode: 'sandbox', name: 'Other shop' });
    expectProblem(await new Client(t.base, await clientToken(t, other)).get(`/open-banking/v1/payments?consent_id=${consent_id}`), 404, 'consent_not_found');
    expectProblem(await client.get('/open-banking/v1/payments'), 400, 'invalid_request', 'querystring.consent_id');
  });

  it('rows and payments recorded by their transfer alone merge into one list, each payment once, ties in time ordered by id', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    // All in the same millisecond (the clock stands still): only the ids order them.
    const ids: string[] = [];
    for (const amount of ['100', '666', '200', '666', '300']) {
      const body = paymentBody({ amount_minor: amount });
      expect((await pay(token, body)).status).toBeLessThan(500);
      ids.push(body.id);
    }
    // A payment with both a row and its transfer, as payments completed before migration 0019 are: the row is its record.
    const legacy = uuid7();
    const legacyPayment = paymentFields({ id: legacy, consent_id, client_id: partner.client_id, payer, creditor_account_id: shop.account_ids[0]!, amount_minor: 50n, reference: 'from before' });
    expect((await t.app.ledger.submitTransfers([paymentTransfer(legacyPayment)]))[0]!.ok).toBe(true);
    const now = t.clock.now();
    await t.testDb.db.transaction((tx) => recordPayments(tx, { used_totals: new Map(), payments: [{ ...legacyPayment, status: 'completed', reason_code: null, created_at: now, updated_at: now }] }));
    ids.push(legacy);

    const listed = await storedPayments(consent_id);
    expect(listed.map((p) => p.id)).toEqual([...ids].sort().reverse());
    expect(listed.map((p) => `${p.amount_minor} ${p.status}`)).toEqual(
      [...ids].sort().reverse().map((id) => ({ [ids[0]!]: '100 completed', [ids[1]!]: '666 rejected', [ids[2]!]: '200 completed', [ids[3]!]: '666 rejected', [ids[4]!]: '300 completed', [legacy]: '50 completed' })[id]),
    );
    expect(listed.find((p) => p.id === legacy)).toMatchObject({ reference: 'from before', transfer_id: paymentTransferId(legacy) });
    const rowIds = (await t.testDb.db.query<{ id: string }>('SELECT id::text AS id FROM ob_payments WHERE consent_id = $1 ORDER BY id', [consent_id])).rows.map((r) => r.id);
    expect(rowIds).toEqual([ids[1], ids[3], legacy].sort()); // the rejected ones and the legacy row; the completed ones have none
    // Through the API, two at a time across both kinds of record: the same list.
    const client = new Client(t.base, await clientToken(t, partner));
    const paged: string[] = [];
    let cursor = '';
    do {
      const page = await client.get(`/open-banking/v1/payments?consent_id=${consent_id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, page.text).toBe(200);
      paged.push(...page.body.data.map((p: any) => p.id));
      cursor = page.body.next_cursor ?? '';
    } while (cursor);
    expect(paged).toEqual(listed.map((p) => p.id));
  });
});

describe("the risk engine's gate on payments (a policy on the payment transfer code)", () => {
  let officer: Client;
  let analyst: Client;
  let reader: Client;
  beforeAll(async () => {
    officer = new Client(t.base, t.keys.risk_admin);
    analyst = new Client(t.base, t.keys.risk_cases);
    reader = new Client(t.base, t.keys.risk_read);
    const res = await officer.put(`/v1/risk/transfer-policies/${OB_PAYMENT_TRANSFER_CODE}`, { enabled: true, hold_timeout_seconds: 3600 });
    expect(res.status, res.text).toBe(200);
    await deployRules(officer, 'ob_payment_rules', defaultRulesPlus({ id: 'large_payment', when: 'event.amount >= 1000', outcome: 'review', reason: 'large payment' }));
  });

  const caseOf = async (transfer_id: string) => (await allCases(analyst)).find((c) => c.transfer_id === transfer_id);

  it('review holds the payment (202 pending, risk_review, amount reserved); approval completes it with its event', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = paymentBody({ amount_minor: '1500' });
    const res = await pay(token, body);
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: 'pending', reason_code: 'risk_review' });
    expect(await usedOnConsent(t, consent_id)).toBe(1_500n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n);
    expect(await eventsOf(t, body.id)).toEqual([]);

    const held = await caseOf(paymentTransferId(body.id));
    expect(held).toMatchObject({ status: 'open' });
    expect((await analyst.post(`/v1/risk/cases/${held.id}/approve`, { comment: 'known shop' })).status).toBe(200);
    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.body).toMatchObject({ status: 'completed', reason_code: null });
    // Listed once, from its row: neither its held transfer nor the post that completed it is another payment.
    expect((await storedPayments(consent_id)).map((p) => [p.id, p.status])).toEqual([[body.id, 'completed']]);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(8_500n);
    expect(await usedOnConsent(t, consent_id)).toBe(1_500n);
    expect((await eventsOf(t, body.id)).map((e) => e.topic)).toEqual(['openbanking.payment.completed']);
  });

  it('an analyst rejecting the hold rejects the payment (risk_blocked) and gives the reservation back', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = paymentBody({ amount_minor: '2000' });
    expect((await pay(token, body)).status).toBe(202);
    const held = await caseOf(paymentTransferId(body.id));
    expect((await analyst.post(`/v1/risk/cases/${held.id}/reject`, { comment: 'not the customer' })).status).toBe(200);
    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.body).toMatchObject({ status: 'rejected', reason_code: 'risk_blocked' });
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n);
    expect((await eventsOf(t, body.id)).map((e) => e.topic)).toEqual(['openbanking.payment.rejected']);
  });

  it('block rejects the payment (422 risk_blocked, stored rejected) without reserving or moving anything', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const mule = await fundedCustomer(t, { funds: [0n] });
    expect((await officer.put(`/v1/risk/lists/deny/counterparty/${mule.account_ids[0]}`, { reason: 'mule account' })).status).toBe(200);
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const body = paymentBody({ amount_minor: '700', creditor_account_id: mule.account_ids[0] });
    expectProblem(await pay(token, body), 422, 'risk_blocked');
    expect((await storedDecision(reader, paymentTransferId(body.id))).outcome).toBe('block');
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
    expect(await postedBalance(t, mule.account_ids[0]!)).toBe(0n);
    const read = await new Client(t.base, token).get(`/open-banking/v1/payments/${body.id}`);
    expect(read.body).toMatchObject({ status: 'rejected', reason_code: 'risk_blocked' });
    expect((await eventsOf(t, body.id)).map((e) => e.topic)).toEqual(['openbanking.payment.rejected']);
  });
});

describe('a held transfer that never reached the ledger (screened, then refused in the batch)', () => {
  it("its case cannot be approved (409 transfer_not_settled) but rejecting it closes it; nothing moves", async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const analyst = new Client(t.base, t.keys.risk_cases);
    const id = uuid7();
    // What the payments service does first; the payment is then refused before the batch (say, over its consent's limit).
    const [screened] = await t.app.ledger.screenTransfers([
      paymentTransfer({ id, transfer_id: paymentTransferId(id), debtor_account_id: payer.account_ids[0]!, creditor_account_id: shop.account_ids[0]!, amount_minor: 5_000n, currency: 'USD', customer_id: payer.customer_id, client_id: partner.client_id, consent_id: uuid7(), reference: null }),
    ]);
    expect(screened).toMatchObject({ ok: true, input: { flags: 2 } }); // held (pending)
    const held = (await allCases(analyst)).find((c) => c.transfer_id === paymentTransferId(id));
    expect(held).toMatchObject({ status: 'open' });
    expectProblem(await analyst.post(`/v1/risk/cases/${held.id}/approve`, {}), 409, 'transfer_not_settled');
    const rejected = await analyst.post(`/v1/risk/cases/${held.id}/reject`, { comment: 'payment never made' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.case.status).toBe('rejected');
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n);
  });
});

describe("a payment whose transfer is in the ledger already", () => {
  const draft = (payer: FundedCustomer, consent_id: string, id: string, amount_minor: bigint) =>
    paymentFields({ id, consent_id, client_id: partner.client_id, payer, creditor_account_id: shop.account_ids[0]!, amount_minor });
  const retries = async () => {
    const text = (await new Client(t.base, t.keys.metrics).get('/metrics')).text;
    return Number(/^capillary_ledger_batch_retries_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
  };

  it("the payment's own transfer is the payment: the same request again is a replay (200), another body a 409; nothing moves twice", async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const shopBefore = await postedBalance(t, shop.account_ids[0]!);
    const same = uuid7();
    const [early] = await t.app.ledger.submitTransfers([paymentTransfer(draft(payer, consent_id, same, 700n))]);
    expect(early!.ok).toBe(true);
    const retriesBefore = await retries();

    const again = await pay(token, { id: same, creditor_account_id: shop.account_ids[0], amount_minor: '700', currency: 'USD' });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ id: same, status: 'completed', amount_minor: '700', transfer_id: paymentTransferId(same) });
    expectProblem(await pay(token, { id: same, creditor_account_id: shop.account_ids[0], amount_minor: '900', currency: 'USD' }), 409, 'exists_with_different_fields');
    expect(await retries()).toBe(retriesBefore); // the group's read found the transfer: no batch ran again
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore + 700n); // once
    expect(await usedOnConsent(t, consent_id)).toBe(0n); // reserved by nobody: the transfer was made outside the layer's batch
  });

  it("another transfer holding the payment's transfer id: the first attempt takes the id as new, the retry finds it; the payment is rejected and gives its reservation back", async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id, token } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 10_000n } });
    const shopBefore = await postedBalance(t, shop.account_ids[0]!);
    const other = uuid7();
    const [taken] = await t.app.ledger.submitTransfers([{ ...paymentTransfer(draft(payer, consent_id, other, 5n)), code: 7000, metadata: { note: 'not a payment' } }]);
    expect(taken!.ok).toBe(true);
    const retriesBefore = await retries();

    const refused = await pay(token, { id: other, creditor_account_id: shop.account_ids[0], amount_minor: '900', currency: 'USD' });
    expectProblem(refused, 409, 'exists_with_different_fields');
    expect(await retries()).toBe(retriesBefore + 1); // the unique violation of the first attempt
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore + 5n);
    expect((await getPayment(t.testDb.db, other))).toMatchObject({ status: 'rejected', reason_code: 'exists_with_different_fields' });
  });
});

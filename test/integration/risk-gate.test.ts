/**
 * The ledger's risk gate through HTTP: transfers whose code has an enabled policy are
 * decided as payment events before they move money. Block → 422 risk_blocked and nothing
 * moves; review → the transfer is held as pending with a case, and the analyst's approve
 * posts it, reject voids it. Retries get the same verdict; a linked chain is all or
 * nothing; other codes pass untouched; a hold that expired cannot be approved.
 * Time is a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { account, bal, balances, createAccounts, expectInvariantsOk, transfer, type TransferBody } from '../helpers/ledger.js';
import { allCases, defaultRulesPlus, deployRules, storedDecision } from '../helpers/risk.js';

const T0 = Date.UTC(2026, 3, 1, 9, 0, 0);
const GATED = 4242;
const HOLD_S = 3600;

let t: TestApp<ManualClock>;
let api: Client;
let reader: Client;
let analyst: Client;
let officer: Client;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  api = t.api;
  reader = new Client(t.base, t.keys.risk_read);
  analyst = new Client(t.base, t.keys.risk_cases);
  officer = new Client(t.base, t.keys.risk_admin);
});
afterAll(async () => {
  await t?.close();
});

const gated = (debit: string, credit: string, amount: number, over: Partial<TransferBody> = {}) => transfer(debit, credit, amount, { code: GATED, ...over });
/** A payer and `n` payees, fresh (so no velocity or graph history). */
const parties = async (n = 1): Promise<string[]> => createAccounts(api, Array.from({ length: n + 1 }, () => account()));
const transferState = async (id: string) => {
  const res = await api.get(`/v1/transfers/${id}`);
  return res.status === 404 ? 'missing' : (res.body.pending_state ?? 'posted');
};
const casesOfTransfer = async (id: string) => (await allCases(analyst)).filter((c) => c.transfer_id === id);

describe('transfer policies', () => {
  it('PUT /v1/risk/transfer-policies/:code enables the gate for a code; bad bodies and scopes are refused', async () => {
    const res = await officer.put(`/v1/risk/transfer-policies/${GATED}`, { enabled: true, hold_timeout_seconds: HOLD_S });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ code: GATED, enabled: true, hold_timeout_seconds: HOLD_S, updated_by: expect.stringContaining('test-risk_admin') });
    const listed = await reader.get('/v1/risk/transfer-policies');
    expect(listed.body.data).toContainEqual(expect.objectContaining({ code: GATED, enabled: true, hold_timeout_seconds: HOLD_S }));

    expectProblem(await officer.put(`/v1/risk/transfer-policies/${GATED}`, { enabled: true, hold_timeout_seconds: 10 }), 400, 'invalid_request', 'body.hold_timeout_seconds');
    expectProblem(await officer.put('/v1/risk/transfer-policies/0', { enabled: true }), 400, 'invalid_request');
    expectProblem(await officer.put('/v1/risk/transfer-policies/77', {}), 400, 'invalid_request', 'body.enabled');
    expectProblem(await new Client(t.base, t.keys.risk_decide).put('/v1/risk/transfer-policies/77', { enabled: true }), 403, 'insufficient_scope');
    expectProblem(await api.put('/v1/risk/transfer-policies/77', { enabled: true }), 403, 'insufficient_scope');
    expect((await reader.get('/v1/risk/transfer-policies')).body.data.map((p: any) => p.code)).toEqual([GATED]);
  });
});

describe('block', () => {
  it('a transfer of a gated code to a deny-listed counterparty → 422 risk_blocked, no money moves, a retry gets the same', async () => {
    const [payer, payee] = await parties();
    expect((await officer.put(`/v1/risk/lists/deny/counterparty/${payee}`, { reason: 'mule account' })).status).toBe(200);
    const body = gated(payer!, payee!, 700);
    expectProblem(await api.post('/v1/transfers', body), 422, 'risk_blocked');
    expect(await transferState(body.id)).toBe('missing');
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0));
    expect(await balances(api, payee!)).toMatchObject(bal(0, 0));

    const decision = await storedDecision(reader, body.id);
    expect(decision).toMatchObject({ outcome: 'block', case_id: null });
    expect(decision.reasons.map((r: any) => r.rule_id)).toContain('denied_counterparty');
    expect(decision.event).toMatchObject({ type: 'payment', customer_id: payer, account_id: payer, counterparty_id: payee, amount: '700' });

    t.clock.advance(1000);
    expectProblem(await api.post('/v1/transfers', body), 422, 'risk_blocked');
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0));
  });

  it('the customer, device and IP named in the metadata are checked against the lists', async () => {
    const [payer, payee] = await parties();
    const device = `dev-${uuid7()}`;
    expect((await officer.put(`/v1/risk/lists/deny/device/${device}`, {})).status).toBe(200);
    const body = gated(payer!, payee!, 50, { metadata: { customer_id: `cust-${uuid7()}`, device_id: device, ip: '192.0.2.10', channel: 'app' } });
    expectProblem(await api.post('/v1/transfers', body), 422, 'risk_blocked');
    const decision = await storedDecision(reader, body.id);
    expect(decision.event).toMatchObject({ customer_id: body.metadata!.customer_id, device_id: device, ip: '192.0.2.10', channel: 'app' });
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0));
  });

  it('transfers of other codes (and of a disabled policy) pass untouched, without a decision', async () => {
    const [payer, payee] = await parties();
    expect((await officer.put(`/v1/risk/lists/deny/counterparty/${payee}`, {})).status).toBe(200);
    const plain = transfer(payer!, payee!, 40, { code: 1 });
    expect((await api.post('/v1/transfers', plain)).status).toBe(201);
    expect((await officer.put('/v1/risk/transfer-policies/4243', { enabled: false })).status).toBe(200);
    const disabled = transfer(payer!, payee!, 60, { code: 4243 });
    expect((await api.post('/v1/transfers', disabled)).status).toBe(201);
    expect(await balances(api, payee!)).toMatchObject(bal(0, 100));
    expectProblem(await reader.get(`/v1/risk/decisions/${plain.id}`), 404, 'decision_not_found');
    expectProblem(await reader.get(`/v1/risk/decisions/${disabled.id}`), 404, 'decision_not_found');
    // The same payee through the gated code is refused.
    expectProblem(await api.post('/v1/transfers', gated(payer!, payee!, 40)), 422, 'risk_blocked');
  });
});

describe('review holds the money until an analyst decides', () => {
  beforeAll(async () => {
    await deployRules(officer, 'gate_rules', defaultRulesPlus({ id: 'large_transfer', when: 'event.amount >= 1000', outcome: 'review', reason: 'large transfer' }));
  });

  it('a transfer under the threshold moves at once', async () => {
    const [payer, payee] = await parties();
    const res = await api.post('/v1/transfers', gated(payer!, payee!, 999));
    expect(res.status, res.text).toBe(201);
    expect(res.body.flags.pending).toBe(false);
    expect(await balances(api, payee!)).toMatchObject(bal(0, 999));
  });

  it('review → created as pending with a case naming it; a retry gets the same (no second case); approve posts it', async () => {
    const [payer, payee] = await parties();
    const body = gated(payer!, payee!, 1500);
    const res = await api.post('/v1/transfers', body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: body.id, amount: '1500', code: GATED, timeout_seconds: HOLD_S, flags: { pending: true } });
    expect(await transferState(body.id)).toBe('pending');
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 1500, 0));
    expect(await balances(api, payee!)).toMatchObject(bal(0, 0, 0, 1500));

    const decision = await storedDecision(reader, body.id);
    expect(decision.outcome).toBe('review');
    expect(decision.reasons.map((r: any) => r.rule_id)).toEqual(['large_transfer']);
    const cases = await casesOfTransfer(body.id);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ id: decision.case_id, decision_id: body.id, status: 'open', transfer_id: body.id });

    t.clock.advance(2000);
    const retry = await api.post('/v1/transfers', body);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toEqual(res.body);
    expect(await casesOfTransfer(body.id)).toHaveLength(1);
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 1500, 0));

    const approved = await analyst.post(`/v1/risk/cases/${decision.case_id}/approve`, { comment: 'known supplier' });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.case).toMatchObject({ status: 'approved', transfer_id: body.id });
    expect(await transferState(body.id)).toBe('posted');
    expect(await balances(api, payer!)).toMatchObject(bal(1500, 0));
    expect(await balances(api, payee!)).toMatchObject(bal(0, 1500));

    // A retry after the approval changes nothing.
    const late = await api.post('/v1/transfers', body);
    expect(late.status, late.text).toBe(200);
    expect(await balances(api, payer!)).toMatchObject(bal(1500, 0));
    expect(await casesOfTransfer(body.id)).toHaveLength(1);
    expectProblem(await analyst.post(`/v1/risk/cases/${decision.case_id}/reject`, {}), 409, 'case_closed');
    expect(await balances(api, payer!)).toMatchObject(bal(1500, 0));
  });

  it('the same held transfer sent several times at once: one transfer, one case, one hold', async () => {
    const [payer, payee] = await parties();
    const body = gated(payer!, payee!, 1800);
    const results = await Promise.all(Array.from({ length: 6 }, () => api.post('/v1/transfers', body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    for (const r of results) expect(r.body).toMatchObject({ id: body.id, flags: { pending: true } });
    expect(await casesOfTransfer(body.id)).toHaveLength(1);
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 1800, 0));
  });

  it('reject voids the held transfer and releases the funds', async () => {
    const [payer, payee] = await parties();
    const body = gated(payer!, payee!, 2500);
    expect((await api.post('/v1/transfers', body)).status).toBe(201);
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 2500, 0));
    const caseId = (await storedDecision(reader, body.id)).case_id;
    const rejected = await analyst.post(`/v1/risk/cases/${caseId}/reject`, { comment: 'customer did not recognise it' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.case.status).toBe('rejected');
    expect(await transferState(body.id)).toBe('voided');
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 0, 0));
    expect(await balances(api, payee!)).toMatchObject(bal(0, 0, 0, 0));
    expectProblem(await analyst.post(`/v1/risk/cases/${caseId}/approve`, {}), 409, 'case_closed');
    expect(await transferState(body.id)).toBe('voided');
  });

  it('the client cannot post a held transfer itself: only the analyst’s approval moves the money', async () => {
    const [payer, payee] = await parties();
    const body = gated(payer!, payee!, 4000);
    expect((await api.post('/v1/transfers', body)).status).toBe(201);
    const self = await api.post('/v1/transfers', { id: uuid7(), pending_id: body.id, flags: { post_pending: true } });
    expect(self.status, self.text).toBeGreaterThanOrEqual(400);
    expect(await transferState(body.id)).toBe('pending');
    expect(await balances(api, payer!)).toMatchObject(bal(0, 0, 4000, 0));
  });

  it('a batch: held and passing transfers side by side, one result each', async () => {
    const [payer, a, b] = await parties(2);
    const bodies = [gated(payer!, a!, 10), gated(payer!, b!, 1200), transfer(payer!, b!, 5000, { code: 1 })];
    const res = await api.post('/v1/transfers', bodies);
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r: any) => [r.ok, r.transfer?.flags.pending])).toEqual([
      [true, false],
      [true, true],
      [true, false],
    ]);
    expect(await balances(api, payer!)).toMatchObject(bal(5010, 0, 1200, 0));
    expect(await casesOfTransfer(bodies[1]!.id)).toHaveLength(1);
  });
});

describe('linked chains are all or nothing', () => {
  it('a chain with one flagged transfer: the flagged one → risk_blocked, the others → linked_event_failed, nothing moves', async () => {
    const [payer, a, b, c] = await parties(3);
    const chain = [gated(payer!, a!, 100, { flags: { linked: true } }), gated(payer!, b!, 2000, { flags: { linked: true } }), gated(payer!, c!, 100)];
    const res = await api.post('/v1/transfers', chain);
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r: any) => [r.ok, r.code, r.failed_index])).toEqual([
      [false, 'linked_event_failed', 1],
      [false, 'risk_blocked', undefined],
      [false, 'linked_event_failed', 1],
    ]);
    for (const x of [payer, a, b, c]) expect(await balances(api, x!)).toMatchObject(bal(0, 0, 0, 0));
    for (const x of chain) expect(await transferState(x.id)).toBe('missing');

    // A chain with a blocked transfer (deny-listed payee) fails the same way.
    const [payer2, d, e] = await parties(2);
    expect((await officer.put(`/v1/risk/lists/deny/counterparty/${e}`, {})).status).toBe(200);
    const blocked = await api.post('/v1/transfers', [gated(payer2!, d!, 10, { flags: { linked: true } }), gated(payer2!, e!, 10)]);
    expect(blocked.body.results.map((r: any) => r.code)).toEqual(['linked_event_failed', 'risk_blocked']);
    expect(await balances(api, payer2!)).toMatchObject(bal(0, 0, 0, 0));

    // A clean chain moves whole.
    const clean = await api.post('/v1/transfers', [gated(payer2!, d!, 10, { flags: { linked: true } }), gated(payer2!, d!, 20)]);
    expect(clean.body.results.map((r: any) => r.ok)).toEqual([true, true]);
    expect(await balances(api, payer2!)).toMatchObject(bal(30, 0));
  });

  it('a refused chain leaves no open case holding a transfer that does not exist', async () => {
    const [payer, a, b] = await parties(2);
    const chain = [gated(payer!, a!, 100, { flags: { linked: true } }), gated(payer!, b!, 3000)];
    const res = await api.post('/v1/transfers', chain);
    expect(res.body.results.map((r: any) => r.code)).toEqual(['linked_event_failed', 'risk_blocked']);
    expect(await transferState(chain[1]!.id)).toBe('missing');
    const dangling = (await casesOfTransfer(chain[1]!.id)).filter((c) => c.status === 'open');
    expect(dangling, JSON.stringify(dangling)).toEqual([]);
  });
});

describe('a hold that expired', () => {
  let caseId: string;
  let held: TransferBody;
  let payer: string;

  beforeAll(async () => {
    const [from, payee] = await parties();
    payer = from!;
    held = gated(payer, payee!, 5000);
    expect((await api.post('/v1/transfers', held)).status).toBe(201);
    caseId = (await storedDecision(reader, held.id)).case_id;
    t.clock.advance((HOLD_S + 1) * 1000);
    expect(await t.app.ledger.expireDuePendings()).toBeGreaterThanOrEqual(1);
    expect(await transferState(held.id)).toBe('expired');
    expect(await balances(api, payer)).toMatchObject(bal(0, 0, 0, 0));
  });

  it('cannot be approved: 409 transfer_not_settled, the case stays open and no money moves', async () => {
    expectProblem(await analyst.post(`/v1/risk/cases/${caseId}/approve`, {}), 409, 'transfer_not_settled');
    const res = await analyst.get(`/v1/risk/cases/${caseId}`);
    expect(res.body.case.status).toBe('open');
    expect(res.body.events.map((e: any) => e.action)).toEqual(['opened']);
    expect(await balances(api, payer)).toMatchObject(bal(0, 0, 0, 0));
    expect(await transferState(held.id)).toBe('expired');
  });

  it('can still be rejected (the money is already released), which closes the case', async () => {
    const res = await analyst.post(`/v1/risk/cases/${caseId}/reject`, { comment: 'expired while we waited' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.case.status).toBe('rejected');
    expect(await balances(api, payer)).toMatchObject(bal(0, 0, 0, 0));
  });
});

describe('at the end', () => {
  it('the ledger invariants hold', async () => {
    await expectInvariantsOk(t.admin);
  });
});

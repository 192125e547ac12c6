/**
 * The risk engine through HTTP: decisions under the default rule set (every outcome),
 * idempotent event ids, bad input, stored decisions with their context and velocity
 * features, rule sets (draft → live / shadow, history), lists with expiry, models
 * (a scorecard trained here, a hand-written XGBoost dump, an ONNX logistic regression
 * encoded by test/helpers/onnx-model.ts), review cases, and scopes.
 * Time is a ManualClock, so windows and expiries move only when a test says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import {
  allCases,
  decide,
  defaultRulesPlus,
  deployRules,
  login,
  payment,
  publish,
  riskId,
  saveRuleSet,
  storedDecision,
} from '../helpers/risk.js';
import { seededRandom, type Label } from '../../src/risk/metrics.js';
import { scoreRow, trainScorecard, type Scorecard, type ScorecardRow } from '../../src/risk/scorecard.js';
import { expectedScore, logisticRegression, toBase64 } from '../helpers/onnx-model.js';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

let t: TestApp<ManualClock>;
/** risk:decide only. */
let decider: Client;
/** risk:read only. */
let reader: Client;
/** risk:cases only. */
let analyst: Client;
/** risk:admin + risk:read. */
let officer: Client;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  decider = new Client(t.base, t.keys.risk_decide);
  reader = new Client(t.base, t.keys.risk_read);
  analyst = new Client(t.base, t.keys.risk_cases);
  officer = new Client(t.base, t.keys.risk_admin);
});
afterAll(async () => {
  await t?.close();
});

const tick = (ms = 1000) => t.clock.advance(ms);
const ruleIds = (view: { reasons: { rule_id: string }[] }) => view.reasons.map((r) => r.rule_id);
const putList = (list: 'allow' | 'deny', kind: string, value: string, body: object = { reason: 'test' }) => officer.put(`/v1/risk/lists/${list}/${kind}/${value}`, body);
const mustPutList = async (list: 'allow' | 'deny', kind: string, value: string, body: object = { reason: 'test' }) => {
  const res = await putList(list, kind, value, body);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res.body;
};
/** Puts the seeded default rule set (v1) back into the live slot. */
const restoreDefault = () => publish(officer, 'default', 1, 'live');

describe('decisions under the default rule set', () => {
  beforeAll(async () => {
    await restoreDefault();
  });

  it('a plain payment is allowed by default v1: no reasons, no score, no shadow, no case', async () => {
    const view = await decide(decider, payment());
    expect(view).toMatchObject({ outcome: 'allow', replayed: false, reasons: [], model_reasons: [], score: null, rule_set: { id: 'default', version: 1 }, shadow: null, case_id: null });
    expect(view.decided_at).toBe(t.clock.now().toISOString());
  });

  it('a login from a device the customer has not used steps up; the same device again is allowed; an allow-listed device is not stepped up', async () => {
    const customer = riskId('cust');
    const device = riskId('dev');
    const first = await decide(decider, login({ customer_id: customer, device_id: device }));
    expect(first.outcome).toBe('step_up');
    expect(ruleIds(first)).toEqual(['new_device_login']);
    const again = await decide(decider, login({ customer_id: customer, device_id: device }));
    expect(again.outcome).toBe('allow');
    const other = riskId('dev');
    expect((await decide(decider, login({ customer_id: customer, device_id: other }))).outcome).toBe('step_up');

    const trusted = riskId('dev');
    await mustPutList('allow', 'device', trusted);
    expect((await decide(decider, login({ customer_id: customer, device_id: trusted }))).outcome).toBe('allow');
  });

  it('a deny-listed customer is blocked (payment and login)', async () => {
    const customer = riskId('cust');
    expect((await decide(decider, payment({ customer_id: customer }))).outcome).toBe('allow');
    await mustPutList('deny', 'customer', customer);
    const blocked = await decide(decider, payment({ customer_id: customer }));
    expect(blocked.outcome).toBe('block');
    expect(ruleIds(blocked)[0]).toBe('denied_customer');
    expect((await decide(decider, login({ customer_id: customer }))).outcome).toBe('block');
  });

  it('a deny-listed device or IP is blocked, whoever uses it', async () => {
    const device = riskId('dev');
    await mustPutList('deny', 'device', device);
    const byDevice = await decide(decider, payment({ device_id: device }));
    expect(byDevice.outcome).toBe('block');
    expect(ruleIds(byDevice)).toContain('denied_device_or_ip');

    const ip = '203.0.113.77';
    await mustPutList('deny', 'ip', ip);
    const byIp = await decide(decider, login({ ip }));
    expect(byIp.outcome).toBe('block');
    expect(ruleIds(byIp)).toContain('denied_device_or_ip');
    expect((await decide(decider, login({ ip: '203.0.113.78' }))).outcome).toBe('allow');
  });

  it('a payment to a deny-listed counterparty is blocked; to another payee it is allowed', async () => {
    const payee = riskId('payee');
    await mustPutList('deny', 'counterparty', payee);
    const customer = riskId('cust');
    const blocked = await decide(decider, payment({ customer_id: customer, counterparty_id: payee }));
    expect(blocked.outcome).toBe('block');
    expect(ruleIds(blocked)).toEqual(['denied_counterparty']);
    expect((await decide(decider, payment({ customer_id: customer, counterparty_id: riskId('payee') }))).outcome).toBe('allow');
  });

  it('card testing: the payment after 8 merchants in an hour is blocked', async () => {
    const customer = riskId('cust');
    for (let i = 0; i < 8; i++) {
      const view = await decide(decider, payment({ customer_id: customer, merchant_id: riskId('shop'), amount: '1' }));
      expect(view.outcome, `payment ${i}`).toBe('allow');
      tick(1000);
    }
    const ninth = await decide(decider, payment({ customer_id: customer, merchant_id: riskId('shop'), amount: '1' }));
    expect(ninth.outcome).toBe('block');
    expect(ruleIds(ninth)).toEqual(['card_testing_burst']);
  });

  it('card testing: the seventh payment from one device within a minute is blocked', async () => {
    const device = riskId('dev');
    const customer = riskId('cust');
    for (let i = 0; i < 6; i++) expect((await decide(decider, payment({ customer_id: customer, device_id: device, amount: '1' }))).outcome, `payment ${i}`).toBe('allow');
    const seventh = await decide(decider, payment({ customer_id: customer, device_id: device, amount: '1' }));
    expect(seventh.outcome).toBe('block');
    expect(ruleIds(seventh)).toContain('card_testing_burst');
  });

  it('a payment from a device a deny-listed customer used goes to review, with a case', async () => {
    const fraudster = riskId('fraud');
    const device = riskId('dev');
    await decide(decider, login({ customer_id: fraudster, device_id: device }));
    await mustPutList('deny', 'customer', fraudster);
    const view = await decide(decider, payment({ device_id: device }));
    expect(view.outcome).toBe('review');
    expect(ruleIds(view)).toEqual(['near_known_fraud']);
    expect(view.case_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('many small payments to one payee (salami): the sixteenth in a day goes to review', async () => {
    const customer = riskId('cust');
    const payee = riskId('payee');
    for (let i = 0; i < 15; i++) {
      expect((await decide(decider, payment({ customer_id: customer, counterparty_id: payee, amount: '3' }))).outcome, `payment ${i}`).toBe('allow');
      tick(60_000);
    }
    const view = await decide(decider, payment({ customer_id: customer, counterparty_id: payee, amount: '3' }));
    expect(view.outcome).toBe('review');
    expect(ruleIds(view)).toEqual(['salami_velocity']);
  });

  it('account takeover: a large payout soon after a new beneficiary, from a device with almost no history → review', async () => {
    const customer = riskId('cust');
    const usual = riskId('dev');
    await decide(decider, login({ customer_id: customer, device_id: usual }));
    await decide(decider, { id: uuid7(), type: 'beneficiary_added', customer_id: customer, device_id: usual, counterparty_id: riskId('payee') });
    const view = await decide(decider, payment({ customer_id: customer, device_id: riskId('dev'), counterparty_id: riskId('payee'), amount: '250000' }));
    expect(view.outcome).toBe('review');
    expect(ruleIds(view)).toEqual(['takeover_payout']);
    expect(view.case_id).toMatch(/^[0-9a-f-]{36}$/);
    // Below the amount, or without a new beneficiary, the same payout is allowed.
    expect((await decide(decider, payment({ customer_id: customer, device_id: riskId('dev'), amount: '199999' }))).outcome).toBe('allow');
    const calm = riskId('cust');
    await decide(decider, login({ customer_id: calm, device_id: riskId('dev') }));
    expect((await decide(decider, payment({ customer_id: calm, device_id: riskId('dev'), counterparty_id: riskId('payee'), amount: '250000' }))).outcome).toBe('allow');
  });

  it('custom event types are accepted (custom.<name>) and decided', async () => {
    const res = await decider.post('/v1/risk/decisions', { id: uuid7(), type: 'custom.card_bind', customer_id: riskId('cust'), attributes: { bin: '411111', trusted: true, n: 3 } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.outcome).toBe('allow');
  });
});

describe('event ids are idempotent', () => {
  it('the same body again → 200 with the first decision; another body → 409 exists_with_different_fields', async () => {
    const body = payment({ occurred_at: new Date(T0 - 60_000).toISOString(), device_id: riskId('dev'), merchant_id: riskId('shop') });
    const first = await decider.post('/v1/risk/decisions', body);
    expect(first.status, first.text).toBe(201);
    tick(5_000);
    const again = await decider.post('/v1/risk/decisions', body);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ ...first.body, replayed: true });

    const other = await decider.post('/v1/risk/decisions', { ...body, amount: '101' });
    expectProblem(other, 409, 'exists_with_different_fields', 'id');
    const upper = await decider.post('/v1/risk/decisions', { ...body, id: body.id.toUpperCase() });
    expect(upper.status, upper.text).toBe(200);
    expect(upper.body.decision_id).toBe(body.id);
  });

  it('a replayed event is not counted twice into the velocity features', async () => {
    const customer = riskId('cust');
    const firstBody = payment({ customer_id: customer, amount: '40', occurred_at: t.clock.now().toISOString() });
    await decide(decider, firstBody);
    expect((await decider.post('/v1/risk/decisions', firstBody)).status).toBe(200);
    const next = await decide(decider, payment({ customer_id: customer, amount: '2' }));
    const { context } = await storedDecision(reader, next.decision_id);
    expect(context['velocity.customer_payments_1h']).toBe(1);
    expect(context['velocity.customer_amount_1h']).toBe(40);
  });

  it('a retry of a body without occurred_at, a few seconds later, is a replay (200), not a conflict', async () => {
    const body = payment();
    expect((await decider.post('/v1/risk/decisions', body)).status).toBe(201);
    tick(2_000); // the client's retry arrives two seconds later, with the very same body
    const retry = await decider.post('/v1/risk/decisions', body);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.replayed).toBe(true);
  });

  it('the same body with its fields in another order is a replay (200), not a conflict', async () => {
    const body = payment({ occurred_at: t.clock.now().toISOString(), device_id: riskId('dev'), channel: 'web' });
    expect((await decider.post('/v1/risk/decisions', body)).status).toBe(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const retry = await decider.post('/v1/risk/decisions', reordered);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.decision_id).toBe(body.id);
  });

  it('the event as GET /v1/risk/decisions/:id returns it, sent again, is a replay (200)', async () => {
    const body = payment({ occurred_at: t.clock.now().toISOString(), merchant_id: riskId('shop') });
    expect((await decider.post('/v1/risk/decisions', body)).status).toBe(201);
    const { event } = await storedDecision(reader, body.id);
    expect(event).toEqual(body); // the same fields and values
    const retry = await decider.post('/v1/risk/decisions', event);
    expect(retry.status, retry.text).toBe(200);
  });
});

describe('bad input is refused with the field named, and stores nothing', () => {
  const refused = async (body: unknown, status: number, code: string, field: string) => {
    const res = await decider.post('/v1/risk/decisions', body);
    expectProblem(res, status, code, field);
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) expectProblem(await reader.get(`/v1/risk/decisions/${id}`), 404, 'decision_not_found');
  };

  it('an unknown event type → 400 unknown_event_type', async () => {
    await refused(payment({ type: 'transfer' }), 400, 'unknown_event_type', 'type');
    await refused(payment({ type: 'custom.Bad-Name' }), 400, 'unknown_event_type', 'type');
  });

  it('schema violations → 400 invalid_request naming the field', async () => {
    await refused({ ...payment(), amount: 100 }, 400, 'invalid_request', 'body.amount');
    await refused({ ...payment(), amount: '-5' }, 400, 'invalid_request', 'body.amount');
    await refused({ ...payment(), colour: 'red' }, 400, 'invalid_request', 'body.colour');
    await refused({ ...payment(), ip: 'not-an-ip' }, 400, 'invalid_request', 'body.ip');
    await refused({ ...payment(), currency: 'usd' }, 400, 'invalid_request', 'body.currency');
    await refused({ ...payment(), occurred_at: 'yesterday' }, 400, 'invalid_request', 'body.occurred_at');
    await refused({ ...payment(), geo: { country: 'DE', lat: 91 } }, 400, 'invalid_request', 'body.geo.lat');
    await refused({ ...payment(), id: 'not-a-uuid' }, 400, 'invalid_request', 'body.id');
    const { customer_id: _omit, ...noCustomer } = payment();
    await refused(noCustomer, 400, 'invalid_request', 'body.customer_id');
  });

  it('an ip that matches the character set but is no IP address → 400 naming body.ip', async () => {
    for (const ip of ['999.999.999.999', 'beef', '1.2.3']) await refused({ ...payment(), ip }, 400, 'invalid_request', 'body.ip');
  });

  it('an unknown decision id → 404 decision_not_found', async () => {
    expectProblem(await reader.get(`/v1/risk/decisions/${uuid7()}`), 404, 'decision_not_found');
  });
});

describe('stored decisions: event and context', () => {
  it('GET /v1/risk/decisions/:id returns the event as sent and the context the rules read', async () => {
    const body = payment({ amount: '250', device_id: riskId('dev'), ip: '198.51.100.9', merchant_id: riskId('shop'), channel: 'app', geo: { country: 'DE' }, counterparty_id: riskId('payee') });
    const view = await decide(decider, body);
    const stored = await storedDecision(reader, body.id);
    expect(stored).toMatchObject({ decision_id: body.id, outcome: view.outcome, reasons: view.reasons, rule_set: view.rule_set, replayed: true });
    expect(stored.event).toMatchObject({ id: body.id, type: 'payment', customer_id: body.customer_id, amount: '250', currency: 'USD', device_id: body.device_id, occurred_at: t.clock.now().toISOString() });
    expect(stored.context).toMatchObject({
      'event.type': 'payment',
      'event.amount': 250,
      'event.customer_id': body.customer_id,
      'event.device_id': body.device_id,
      'event.ip': '198.51.100.9',
      'event.channel': 'app',
      'event.geo_country': 'DE',
      'event.hour_utc': t.clock.now().getUTCHours(),
      'list.customer_denied': false,
      'customer.new_device': true,
      'customer.new_counterparty': true,
      'velocity.customer_payments_1h': 0,
    });
  });

  it('velocity features count the previous events, not the current one', async () => {
    const customer = riskId('cust');
    const payee = riskId('payee');
    const amounts = [100, 250, 75];
    const contexts: any[] = [];
    for (const [i, amount] of amounts.entries()) {
      const view = await decide(decider, payment({ customer_id: customer, amount: String(amount), counterparty_id: i < 2 ? payee : riskId('payee'), merchant_id: `m${i % 2}-${customer}` }));
      contexts.push((await storedDecision(reader, view.decision_id)).context);
      tick(10_000);
    }
    const loginView = await decide(decider, login({ customer_id: customer, device_id: riskId('dev') }));
    contexts.push((await storedDecision(reader, loginView.decision_id)).context);
    const last = await decide(decider, payment({ customer_id: customer, amount: '5' }));
    const ctx = (await storedDecision(reader, last.decision_id)).context;

    expect(contexts.map((c) => c['velocity.customer_payments_1h'])).toEqual([0, 1, 2, 3]);
    expect(contexts.map((c) => c['velocity.customer_amount_1h'])).toEqual([0, 100, 350, 425]);
    expect(ctx).toMatchObject({
      'velocity.customer_payments_1h': 3,
      'velocity.customer_payments_24h': 3,
      'velocity.customer_payments_30d': 3,
      'velocity.customer_amount_1h': 425,
      'velocity.customer_count_1h': 4, // three payments and a login
      'velocity.customer_logins_1h': 1,
      'velocity.customer_merchants_1h': 2,
      'velocity.customer_counterparties_24h': 2,
      'velocity.customer_devices_24h': 1,
    });
    // An hour and a bit later the hourly windows are empty, the daily ones are not.
    tick(3600_000 + 120_000);
    const later = await decide(decider, payment({ customer_id: customer, amount: '5' }));
    expect((await storedDecision(reader, later.decision_id)).context).toMatchObject({
      'velocity.customer_payments_1h': 0,
      'velocity.customer_payments_24h': 4,
      'velocity.customer_amount_24h': 430,
    });
  });
});

describe('rule sets', () => {
  beforeAll(async () => {
    await restoreDefault();
  });
  afterAll(async () => {
    await restoreDefault();
  });

  it('a draft whose condition does not compile → 422 invalid_rule_set naming rules[i].when with line and column; nothing is saved and live keeps deciding', async () => {
    const denied = riskId('cust');
    await mustPutList('deny', 'customer', denied);
    const before = (await reader.get('/v1/risk/rule-sets/default')).body.versions.length;
    const res = await officer.post('/v1/risk/rule-sets/default/versions', {
      rules: [
        { id: 'fine', when: "event.type == 'payment'", outcome: 'allow' },
        { id: 'broken', when: "event.type == 'payment' and\n  velocity.no_such_feature > 3", outcome: 'block' },
      ],
    });
    expectProblem(res, 422, 'invalid_rule_set', 'rules[1].when');
    const error = res.body.errors.find((e: { field: string }) => e.field === 'rules[1].when');
    expect(error.message).toMatch(/line 2, column 3\b/);
    expect(error.message).toMatch(/no_such_feature/);

    const syntax = await officer.post('/v1/risk/rule-sets/fresh_broken/versions', { rules: [{ id: 'r', when: 'event.amount >', outcome: 'block' }] });
    expectProblem(syntax, 422, 'invalid_rule_set', 'rules[0].when');
    expect(syntax.body.errors[0].message).toMatch(/line 1, column 15\b/);
    expectProblem(await reader.get('/v1/risk/rule-sets/fresh_broken'), 404, 'rule_set_not_found');

    const dup = await officer.post('/v1/risk/rule-sets/fresh_broken/versions', {
      rules: [
        { id: 'same', when: 'list.customer_denied', outcome: 'block' },
        { id: 'same', when: 'event.amount > 1', outcome: 'review' },
      ],
    });
    expectProblem(dup, 422, 'invalid_rule_set', 'rules[1].id');

    expect((await reader.get('/v1/risk/rule-sets/default')).body.versions.length).toBe(before);
    const view = await decide(decider, payment({ customer_id: denied }));
    expect(view).toMatchObject({ outcome: 'block', rule_set: { id: 'default', version: 1 } });
    expect(ruleIds(view)[0]).toBe('denied_customer');
  });

  it('saving drafts increments the version; a draft decides nothing until published live, then decisions use it', async () => {
    const big = { id: 'big_payment', when: 'event.amount >= 5000', outcome: 'block' as const, priority: 10, reason: 'too big' };
    const v1 = await saveRuleSet(officer, 'tighter', defaultRulesPlus({ ...big, when: 'event.amount >= 9000' }), { comment: 'first cut' });
    expect(v1).toMatchObject({ id: 'tighter', version: 1, status: 'draft', comment: 'first cut', published_at: null });
    const v2 = await saveRuleSet(officer, 'tighter', defaultRulesPlus(big), { comment: 'lower the bar' });
    expect(v2).toMatchObject({ id: 'tighter', version: 2, status: 'draft' });

    const draftOnly = await decide(decider, payment({ amount: '6000' }));
    expect(draftOnly).toMatchObject({ outcome: 'allow', rule_set: { id: 'default', version: 1 } });

    const published = await publish(officer, 'tighter', 2, 'live');
    expect(published).toMatchObject({ id: 'tighter', version: 2, status: 'published', published_by: expect.stringContaining('test-risk_admin') });
    const view = await decide(decider, payment({ amount: '6000' }));
    expect(view).toMatchObject({ outcome: 'block', rule_set: { id: 'tighter', version: 2 }, reasons: [{ rule_id: 'big_payment', outcome: 'block', reason: 'too big' }] });
    expect((await decide(decider, payment({ amount: '4999' }))).outcome).toBe('allow');
    const deployments = await reader.get('/v1/risk/deployments');
    expect(deployments.body.live).toMatchObject({ rule_set_id: 'tighter', rule_set_version: 2 });

    const list = await reader.get('/v1/risk/rule-sets');
    expect(list.body.data).toContainEqual({ id: 'tighter', latest_version: 2, published_version: 2 });
    expectProblem(await officer.post('/v1/risk/rule-sets/tighter/versions/9/publish', { slot: 'live' }), 404, 'rule_set_not_found');
    expect((await decide(decider, payment({ amount: '6000' }))).rule_set).toEqual({ id: 'tighter', version: 2 });
  });

  it('a rule set in the shadow slot is run and reported beside the live outcome, not enforced; DELETE stops it', async () => {
    await restoreDefault();
    const version = await deployRules(officer, 'strict_shadow', [{ id: 'block_all_payments', when: "event.type == 'payment'", outcome: 'block', reason: 'shadow says no' }], 'shadow');
    const deployments = await reader.get('/v1/risk/deployments');
    expect(deployments.body.shadow).toMatchObject({ rule_set_id: 'strict_shadow', rule_set_version: version });

    const view = await decide(decider, payment());
    expect(view.outcome).toBe('allow');
    expect(view.rule_set).toEqual({ id: 'default', version: 1 });
    expect(view.shadow).toEqual({ outcome: 'block', score: null, reasons: [{ rule_id: 'block_all_payments', outcome: 'block', reason: 'shadow says no' }], model_reasons: [] });
    expect((await storedDecision(reader, view.decision_id)).shadow).toMatchObject({ outcome: 'block' });
    // A login: live steps up for a new device, shadow has nothing to say.
    const loginView = await decide(decider, login({ device_id: riskId('dev') }));
    expect(loginView.outcome).toBe('step_up');
    expect(loginView.shadow).toMatchObject({ outcome: 'allow', reasons: [] });

    const cleared = await officer.delete('/v1/risk/deployments/shadow');
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toEqual({ shadow: null });
    const after = await decide(decider, payment());
    expect(after.shadow).toBeNull();
    expect(after.outcome).toBe('allow');
  });

  it('GET /v1/risk/rule-sets/:id shows every version (newest first) and the change history with the actor', async () => {
    const res = await reader.get('/v1/risk/rule-sets/tighter');
    expect(res.status, res.text).toBe(200);
    expect(res.body.versions.map((v: any) => [v.version, v.status])).toEqual([
      [2, 'published'],
      [1, 'draft'],
    ]);
    expect(res.body.versions[0].body.rules.find((r: any) => r.id === 'big_payment').when).toBe('event.amount >= 5000');
    const history = res.body.history as { actor: string; action: string; details: any }[];
    expect(history.map((h) => [h.action, h.details?.version])).toEqual([
      ['rule_set.deployed.live', 2],
      ['rule_set.saved', 2],
      ['rule_set.saved', 1],
    ]);
    for (const h of history) expect(h.actor).toMatch(/^test-risk_admin \(/);
    expect(history[2]!.details.comment).toBe('first cut');
    expectProblem(await reader.get('/v1/risk/rule-sets/never_saved'), 404, 'rule_set_not_found');
  });
});

describe('lists', () => {
  beforeAll(async () => {
    await restoreDefault();
  });

  it('a deny entry with expires_at hits until then, and not after', async () => {
    const device = riskId('dev');
    const customer = riskId('cust');
    const expires_at = new Date(t.clock.now().getTime() + 60_000).toISOString();
    const put = await mustPutList('deny', 'device', device, { reason: 'stolen phone', expires_at });
    expect(put).toMatchObject({ list: 'deny', kind: 'device', value: device, reason: 'stolen phone', expires_at, created_by: expect.stringContaining('test-risk_admin') });
    expect((await reader.get('/v1/risk/lists')).body.data.map((e: any) => e.value)).toContain(device);

    expect((await decide(decider, login({ customer_id: customer, device_id: device }))).outcome).toBe('block');
    tick(59_000);
    expect((await decide(decider, login({ customer_id: customer, device_id: device }))).outcome).toBe('block');
    tick(2_000);
    const after = await decide(decider, login({ customer_id: customer, device_id: device }));
    expect(after.outcome).toBe('allow');
    expect(ruleIds(after)).not.toContain('denied_device_or_ip');
    expect((await reader.get('/v1/risk/lists')).body.data.map((e: any) => e.value)).not.toContain(device);
  });

  it('a customer deny entry that expired no longer affects the customer’s payments', async () => {
    const customer = riskId('cust');
    await mustPutList('deny', 'customer', customer, { reason: 'chargeback dispute', expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString() });
    expect((await decide(decider, payment({ customer_id: customer }))).outcome).toBe('block');
    tick(61_000);
    const after = await decide(decider, payment({ customer_id: customer }));
    const ctx = (await storedDecision(reader, after.decision_id)).context;
    expect(ctx['list.customer_denied']).toBe(false);
    expect({ outcome: after.outcome, reasons: ruleIds(after), distance_to_fraud: ctx['graph.distance_to_fraud'] }).toEqual({ outcome: 'allow', reasons: [], distance_to_fraud: null });
  });

  it('DELETE removes an entry at once; deleting it again → 404 list_entry_not_found', async () => {
    const customer = riskId('cust');
    await mustPutList('deny', 'customer', customer);
    expect((await decide(decider, payment({ customer_id: customer }))).outcome).toBe('block');
    const del = await officer.delete(`/v1/risk/lists/deny/customer/${customer}`);
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ removed: true });
    const after = await decide(decider, payment({ customer_id: customer }));
    expect(after.outcome).toBe('allow');
    expectProblem(await officer.delete(`/v1/risk/lists/deny/customer/${customer}`), 404, 'list_entry_not_found');
    expectProblem(await officer.delete(`/v1/risk/lists/allow/device/${riskId('dev')}`), 404, 'list_entry_not_found');
  });

  it('bad list requests: expires_at in the past, an unknown list or kind', async () => {
    const value = riskId('dev');
    expectProblem(await putList('deny', 'device', value, { expires_at: new Date(t.clock.now().getTime() - 1000).toISOString() }), 400, 'invalid_request', 'expires_at');
    expectProblem(await putList('deny', 'planet', value), 400, 'invalid_request');
    expectProblem(await officer.put(`/v1/risk/lists/grey/device/${value}`, {}), 400, 'invalid_request');
    expect((await reader.get('/v1/risk/lists')).body.data.map((e: any) => e.value)).not.toContain(value);
  });
});

/** Synthetic history: bad payments are large, or come after many payments in the hour. */
function trainingData(n: number): { rows: ScorecardRow[]; labels: Label[] } {
  const random = seededRandom(7);
  const rows: ScorecardRow[] = [];
  const labels: Label[] = [];
  for (let i = 0; i < n; i++) {
    const amount = Math.round(100 + random() * 9_900);
    const payments = Math.floor(random() * 12);
    const risk = 0.03 + (amount > 7_000 ? 0.55 : 0) + (payments >= 8 ? 0.3 : 0);
    rows.push({ 'event.amount': amount, 'velocity.customer_payments_1h': payments });
    labels.push(random() < risk ? 1 : 0);
  }
  return { rows, labels };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('models', () => {
  let card: Scorecard;
  let version: number;

  beforeAll(async () => {
    await restoreDefault();
    const data = trainingData(2_000);
    card = trainScorecard(data.rows, data.labels);
    expect(card.attributes.map((a) => a.name).sort()).toEqual(['event.amount', 'velocity.customer_payments_1h']);
  });
  afterAll(async () => {
    await officer.put('/v1/risk/deployments/live/model', { model: null });
    await restoreDefault();
  });

  it('a trained scorecard imports (201), is listed without its body, and deployed live scores every decision in [0, 1] with reasons', async () => {
    const res = await officer.post('/v1/risk/models/fraud_card/versions', { kind: 'scorecard', body: card, metrics: { auc: 0.8 } });
    expect(res.status, res.text.slice(0, 500)).toBe(201);
    expect(res.body).toMatchObject({ id: 'fraud_card', kind: 'scorecard', metrics: { auc: 0.8 }, created_by: expect.stringContaining('test-risk_admin') });
    expect(res.body.body).toBeUndefined();
    version = res.body.version;
    expect(version).toBe(1);
    const listed = await reader.get('/v1/risk/models');
    expect(listed.body.data).toContainEqual(expect.objectContaining({ id: 'fraud_card', version: 1, kind: 'scorecard' }));
    expect(listed.body.data[0].body).toBeUndefined();

    const before = await decide(decider, payment({ amount: '9500' }));
    expect(before.score).toBeNull();

    const deployed = await officer.put('/v1/risk/deployments/live/model', { model: { id: 'fraud_card', version } });
    expect(deployed.status, deployed.text).toBe(200);
    expect((await reader.get('/v1/risk/deployments')).body.live).toMatchObject({ model_id: 'fraud_card', model_version: 1, rule_set_id: 'default' });

    const customer = riskId('cust');
    const low = await decide(decider, payment({ customer_id: customer, amount: '150' }));
    const high = await decide(decider, payment({ customer_id: customer, amount: '9500' }));
    for (const view of [low, high]) {
      expect(typeof view.score).toBe('number');
      expect(view.score).toBeGreaterThanOrEqual(0);
      expect(view.score).toBeLessThanOrEqual(1);
    }
    expect(high.score).toBeGreaterThan(low.score);
    expect(high.model_reasons.map((r: any) => r.feature)).toContain('event.amount');
    expect(high.model_reasons[0].detail).toMatch(/points/);

    // The score is the card's, on the context the decision stored.
    const stored = await storedDecision(reader, high.decision_id);
    expect(stored.score).toBe(high.score);
    const expected = scoreRow(card, { 'event.amount': stored.context['event.amount'], 'velocity.customer_payments_1h': stored.context['velocity.customer_payments_1h'] });
    expect(high.score).toBeCloseTo(expected.probability_bad, 12);
  });

  it('a rule on model.score fires when a model is deployed, and not without one', async () => {
    await deployRules(officer, 'scored_rules', defaultRulesPlus({ id: 'scored', when: 'model.score >= 0.0', outcome: 'step_up', reason: 'the model has scored this' }));
    const scored = await decide(decider, payment({ amount: '150' }));
    expect(scored.outcome).toBe('step_up');
    expect(ruleIds(scored)).toContain('scored');


    expect((await officer.put('/v1/risk/deployments/live/model', { model: null })).status).toBe(200);
    const unscored = await decide(decider, payment({ amount: '150' }));
    expect(unscored).toMatchObject({ outcome: 'allow', score: null, reasons: [] });
    expect((await officer.put('/v1/risk/deployments/live/model', { model: { id: 'fraud_card', version } })).status).toBe(200);
  });

  it('a model body that does not load → 422 invalid_model, and nothing changes', async () => {
    const models = (await reader.get('/v1/risk/models')).body.data;
    const deployments = (await reader.get('/v1/risk/deployments')).body;
    const tampered = structuredClone(card);
    tampered.attributes[0]!.bins[0]!.points += 25;
    for (const [kind, body] of [
      ['scorecard', tampered],
      ['scorecard', { format: 'capillary.scorecard/1' }],
      ['scorecard', 'not a card'],
      ['xgboost', { dump: [], base_score: 0.5, objective: 'binary:logistic' }],
      ['xgboost', { dump: [{ nodeid: 0, split: 'event.amount', split_condition: 10, yes: 1, no: 2, missing: 1, children: [{ nodeid: 1, leaf: 1 }] }], base_score: 0.5, objective: 'binary:logistic' }],
      ['xgboost', { dump: [{ nodeid: 0, leaf: 0.1 }], base_score: 2, objective: 'binary:logistic' }],
    ] as const) {
      const res = await officer.post('/v1/risk/models/fraud_card/versions', { kind, body });
      expectProblem(res, 422, 'invalid_model', 'body');
    }
    expectProblem(await officer.post('/v1/risk/models/fraud_card/versions', { kind: 'pmml', body: {} }), 400, 'invalid_request', 'body.kind');
    expectProblem(await officer.post('/v1/risk/models/fraud_card/versions', { kind: 'onnx', body: {} }), 422, 'invalid_model', 'body');
    expectProblem(await officer.put('/v1/risk/deployments/live/model', { model: { id: 'fraud_card', version: 99 } }), 404, 'model_not_found');
    expect((await reader.get('/v1/risk/models')).body.data).toEqual(models);
    expect((await reader.get('/v1/risk/deployments')).body).toEqual(deployments);
    const view = await decide(decider, payment({ amount: '150' }));
    expect(view.score).toBeCloseTo(scoreRow(card, { 'event.amount': 150, 'velocity.customer_payments_1h': 0 }).probability_bad, 12);
  });

  it('a hand-written XGBoost dump imports and scores as the tree says', async () => {
    await restoreDefault();
    const dump = [
      {
        nodeid: 0,
        depth: 0,
        split: 'event.amount',
        split_condition: 1000,
        yes: 1,
        no: 2,
        missing: 1,
        children: [
          { nodeid: 1, leaf: -1.5 },
          {
            nodeid: 2,
            depth: 1,
            split: 'velocity.customer_payments_1h',
            split_condition: 2,
            yes: 3,
            no: 4,
            missing: 3,
            children: [
              { nodeid: 3, leaf: 0.5 },
              { nodeid: 4, leaf: 2 },
            ],
          },
        ],
      },
      JSON.stringify({ nodeid: 0, leaf: 0.25 }),
    ];
    const res = await officer.post('/v1/risk/models/xgb_tiny/versions', { kind: 'xgboost', body: { dump, base_score: 0.5, objective: 'binary:logistic' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: 'xgb_tiny', version: 1, kind: 'xgboost' });
    expect((await officer.put('/v1/risk/deployments/live/model', { model: { id: 'xgb_tiny', version: 1 } })).status).toBe(200);

    const customer = riskId('cust');
    const small = await decide(decider, payment({ customer_id: customer, amount: '999' }));
    expect(small.score).toBeCloseTo(sigmoid(-1.5 + 0.25), 9);
    const big1 = await decide(decider, payment({ customer_id: customer, amount: '1000' })); // 1 payment before: < 2
    expect(big1.score).toBeCloseTo(sigmoid(0.5 + 0.25), 9);
    const big2 = await decide(decider, payment({ customer_id: customer, amount: '5000' })); // 2 payments before
    expect(big2.score).toBeCloseTo(sigmoid(2 + 0.25), 9);
    const noAmount = await decide(decider, login({ customer_id: customer }));
    expect(noAmount.score).toBeCloseTo(sigmoid(-1.5 + 0.25), 9); // missing → the "yes" branch
    expect(big2.model_reasons).toEqual([]);
  });
});

describe('ONNX models', () => {
  /** sigmoid(0.001 · amount + 0.5 · payments in the hour before − 5): 150 scores ≈ 0.008, 9,000 ≈ 0.99. */
  const NAMES = ['event.amount', 'velocity.customer_payments_1h'];
  const W = [0.001, 0.5];
  const B = -5;
  const lr = () => toBase64(logisticRegression({ weights: W, bias: B }));
  const expectedFrom = (context: Record<string, number>) => expectedScore(W, B, NAMES.map((n) => context[n]!));
  const saveOnnx = (id: string, body: object) => officer.post(`/v1/risk/models/${id}/versions`, { kind: 'onnx', body });

  beforeAll(async () => {
    await restoreDefault();
  });
  afterAll(async () => {
    await officer.put('/v1/risk/deployments/live/model', { model: null });
    await restoreDefault();
  });

  it('an ONNX logistic regression imports (201), deploys live beside a rule model.score > 0.8 → review, and scores two events as sigmoid(w·x + b)', async () => {
    const res = await saveOnnx('onnx_lr', { onnx_base64: lr(), feature_names: NAMES });
    expect(res.status, res.text.slice(0, 500)).toBe(201);
    expect(res.body).toMatchObject({ id: 'onnx_lr', version: 1, kind: 'onnx' });
    expect(res.body.body).toBeUndefined();
    expect((await reader.get('/v1/risk/models')).body.data).toContainEqual(expect.objectContaining({ id: 'onnx_lr', version: 1, kind: 'onnx' }));

    await deployRules(officer, 'onnx_rules', defaultRulesPlus({ id: 'model_high', when: 'model.score > 0.8', outcome: 'review', reason: 'the ONNX model scores it high' }));
    const deployed = await officer.put('/v1/risk/deployments/live/model', { model: { id: 'onnx_lr', version: 1 } });
    expect(deployed.status, deployed.text).toBe(200);

    const customer = riskId('cust');
    const low = await decide(decider, payment({ customer_id: customer, amount: '150' }));
    const high = await decide(decider, payment({ customer_id: customer, amount: '9000' }));
    expect(low).toMatchObject({ outcome: 'allow', reasons: [], model_reasons: [], case_id: null });
    expect(high.outcome).toBe('review');
    expect(ruleIds(high)).toContain('model_high');
    expect(high.case_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(high.model_reasons).toEqual([]);
    for (const view of [low, high]) {
      const stored = await storedDecision(reader, view.decision_id);
      expect(Math.abs(view.score - expectedFrom(stored.context)), JSON.stringify(stored.context)).toBeLessThan(1e-6);
      expect(stored.context['model.score']).toBe(view.score);
    }
    expect(low.score).toBeLessThan(0.01);
    expect(high.score).toBeGreaterThan(0.98);
  });

  it('bad ONNX bodies → a 4xx naming the problem; nothing is saved and the live deployment keeps deciding', async () => {
    const models = (await reader.get('/v1/risk/models')).body.data;
    const deployments = (await reader.get('/v1/risk/deployments')).body;
    const bytes = logisticRegression({ weights: W, bias: B });
    for (const [body, status, code, field] of [
      [{ onnx_base64: Buffer.from('garbage, not a model').toString('base64'), feature_names: NAMES }, 422, 'onnx_load_failed', 'body.onnx_base64'],
      [{ onnx_base64: toBase64(bytes.subarray(0, bytes.length >> 1)), feature_names: NAMES }, 422, 'onnx_load_failed', 'body.onnx_base64'],
      [{ onnx_base64: 'this is not base64!', feature_names: NAMES }, 422, 'onnx_invalid_encoding', 'body.onnx_base64'],
      [{ onnx_base64: lr(), feature_names: [...NAMES, 'graph.component_size'] }, 422, 'onnx_feature_names_mismatch', 'body.feature_names'],
      [{ onnx_base64: lr(), feature_names: NAMES, output: 'label' }, 422, 'onnx_output_unsupported', 'body.output'],
      [{ onnx_base64: toBase64(logisticRegression({ weights: W, bias: 3, output: 'margin' })), feature_names: NAMES }, 422, 'onnx_score_out_of_range', 'body.output'],
      [{ onnx_base64: 'A'.repeat(12_000_000), feature_names: NAMES }, 413, 'onnx_model_too_large', 'body.onnx_base64'],
      [{ feature_names: NAMES }, 422, 'invalid_model', 'body'],
    ] as const) {
      const res = await saveOnnx('onnx_lr', body);
      expectProblem(res, status, code, field);
      if (code !== 'invalid_model' && code !== 'onnx_model_too_large') expect(res.body.detail.length, res.body.detail).toBeLessThan(500);
    }
    expect((await reader.get('/v1/risk/models')).body.data).toEqual(models);
    expect((await reader.get('/v1/risk/deployments')).body).toEqual(deployments);
    const still = await decide(decider, payment({ amount: '9000' }));
    expect(still.outcome).toBe('review');
    expect(still.score).toBeGreaterThan(0.98);
  });

  it('a stored model that does not load here is refused at deploy (422), and the previous live deployment still decides', async () => {
    const saved = await saveOnnx('onnx_lr', { onnx_base64: lr(), feature_names: NAMES });
    expect(saved.status, saved.text).toBe(201);
    const version = saved.body.version as number;
    // As if written by another build, or damaged in the database.
    await t.testDb.db.query(`UPDATE risk_models SET body = jsonb_set(body, '{onnx_base64}', to_jsonb($1::text)) WHERE id = 'onnx_lr' AND version = $2`, [
      Buffer.from('corrupted').toString('base64'),
      version,
    ]);
    const deployments = (await reader.get('/v1/risk/deployments')).body;
    expect(deployments.live).toMatchObject({ model_id: 'onnx_lr', model_version: 1 });
    const res = await officer.put('/v1/risk/deployments/live/model', { model: { id: 'onnx_lr', version } });
    expectProblem(res, 422, 'onnx_load_failed', 'model');
    expect(res.body.detail).toContain(`onnx_lr v${version} does not load`);
    expect((await reader.get('/v1/risk/deployments')).body).toEqual(deployments);
    const customer = riskId('cust');
    const low = await decide(decider, payment({ customer_id: customer, amount: '150' }));
    const high = await decide(decider, payment({ customer_id: customer, amount: '9000' }));
    expect([low.outcome, high.outcome]).toEqual(['allow', 'review']);
    expect(Math.abs(high.score - expectedFrom((await storedDecision(reader, high.decision_id)).context))).toBeLessThan(1e-6);
  });

  it('with a model that answers through a promise, concurrent decisions still count each other in order, and a concurrent retry gets the first decision', async () => {
    // Started in one tick, as the transfer gate decides a batch.
    const customer = riskId('cust');
    const events = Array.from({ length: 8 }, () => ({ id: uuid7(), type: 'payment', customer_id: customer, occurred_at: t.clock.now(), amount: 150n, currency: 'USD' }));
    const decided = await Promise.all(events.map((e) => t.app.risk.engine.decide(e)));
    const counts = await Promise.all(decided.map(async (d) => (d.ok ? (await storedDecision(reader, d.decision.decision_id)).context['velocity.customer_payments_1h'] : 'refused')));
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const body = payment({ amount: '9000' });
    const [a, b] = await Promise.all([decider.post('/v1/risk/decisions', body), decider.post('/v1/risk/decisions', body)]);
    expect([a.status, b.status].sort(), `${a.text.slice(0, 300)} ${b.text.slice(0, 300)}`).toEqual([200, 201]);
    expect(a.body).toMatchObject({ decision_id: b.body.decision_id, outcome: 'review', score: b.body.score, case_id: b.body.case_id });
    expect((await allCases(analyst)).filter((c) => c.decision_id === body.id)).toHaveLength(1);
  });
});

describe('review cases', () => {
  beforeAll(async () => {
    await deployRules(officer, 'with_review', defaultRulesPlus({ id: 'large_amount', when: 'event.amount >= 1000', outcome: 'review', reason: 'large payment' }));
  });
  afterAll(async () => {
    await restoreDefault();
  });

  const act = (caseId: string, action: 'assign' | 'comment' | 'approve' | 'reject', body: object = {}) => analyst.post(`/v1/risk/cases/${caseId}/${action}`, body);

  it('a review outcome opens a case: listed as open, readable with its decision and events', async () => {
    const body = payment({ amount: '2500' });
    const view = await decide(decider, body);
    expect(view.outcome).toBe('review');
    expect(ruleIds(view)).toEqual(['large_amount']);
    const caseId = view.case_id as string;
    expect(caseId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await decide(decider, payment({ amount: '999' }))).case_id).toBeNull();

    const open = await allCases(analyst, 'status=open');
    const listed = open.find((c) => c.id === caseId);
    expect(listed).toMatchObject({ id: caseId, decision_id: view.decision_id, status: 'open', assignee: null, transfer_id: null });

    const res = await analyst.get(`/v1/risk/cases/${caseId}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.case).toMatchObject({ id: caseId, status: 'open' });
    expect(res.body.decision).toMatchObject({ decision_id: view.decision_id, outcome: 'review', case_id: caseId, event: { amount: '2500' } });
    expect(res.body.decision.context['event.amount']).toBe(2500);
    expect(res.body.events).toEqual([expect.objectContaining({ action: 'opened', actor: 'risk-engine' })]);

    // Replaying the event returns the same case; no second case is opened.
    const replay = await decider.post('/v1/risk/decisions', body);
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body.case_id).toBe(caseId);
    expect((await allCases(analyst)).filter((c) => c.decision_id === view.decision_id)).toHaveLength(1);
  });

  it('assign, comment, approve → closed; acting on a closed case → 409 case_closed, comments still allowed', async () => {
    const view = await decide(decider, payment({ amount: '3000' }));
    const caseId = view.case_id as string;

    const assigned = await act(caseId, 'assign', { assignee: 'alice' });
    expect(assigned.status, assigned.text).toBe(200);
    expect(assigned.body.case).toMatchObject({ assignee: 'alice', status: 'open' });
    expect((await allCases(analyst, 'assignee=alice')).map((c) => c.id)).toContain(caseId);

    const commented = await act(caseId, 'comment', { comment: 'called the customer' });
    expect(commented.status, commented.text).toBe(200);
    const approved = await act(caseId, 'approve', { comment: 'customer confirmed' });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.case).toMatchObject({ id: caseId, status: 'approved', assignee: 'alice' });
    expect(approved.body.events.map((e: any) => [e.action, e.comment])).toEqual([
      ['opened', null],
      ['assigned', 'assigned to alice'],
      ['commented', 'called the customer'],
      ['approved', 'customer confirmed'],
    ]);
    for (const e of approved.body.events.slice(1)) expect(e.actor).toMatch(/^test-risk_cases \(/);

    expect((await allCases(analyst, 'status=open')).map((c) => c.id)).not.toContain(caseId);
    expect((await allCases(analyst, 'status=approved')).map((c) => c.id)).toContain(caseId);

    expectProblem(await act(caseId, 'approve'), 409, 'case_closed');
    expectProblem(await act(caseId, 'reject', { comment: 'changed my mind' }), 409, 'case_closed');
    expectProblem(await act(caseId, 'assign', { assignee: 'bob' }), 409, 'case_closed');
    const late = await act(caseId, 'comment', { comment: 'for the record' });
    expect(late.status, late.text).toBe(200);
    expect(late.body.case).toMatchObject({ status: 'approved', assignee: 'alice' });
    expect(late.body.events.at(-1)).toMatchObject({ action: 'commented', comment: 'for the record' });
  });

  it('the case list pages with a cursor: every case exactly once, oldest first', async () => {
    for (let i = 0; i < 3; i++) {
      await decide(decider, payment({ amount: '1500' }));
      tick(1);
    }
    const all = await allCases(analyst);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const paged: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res: any = await analyst.get(`/v1/risk/cases?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      paged.push(...res.body.data);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(paged.map((c) => c.id)).toEqual(all.map((c) => c.id));
    const times = all.map((c) => Date.parse(c.created_at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expectProblem(await analyst.get('/v1/risk/cases?cursor=bogus'), 400, 'invalid_cursor');
  });

  it('reject closes a case as rejected; unknown cases → 404; bad bodies → 400', async () => {
    const view = await decide(decider, payment({ amount: '1000' }));
    const rejected = await act(view.case_id, 'reject', { comment: 'fraud' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.case.status).toBe('rejected');
    expect((await allCases(analyst, 'status=rejected')).map((c) => c.id)).toContain(view.case_id);
    expectProblem(await analyst.get(`/v1/risk/cases/${uuid7()}`), 404, 'case_not_found');
    expectProblem(await act(uuid7(), 'approve'), 404, 'case_not_found');
    const other = await decide(decider, payment({ amount: '1001' }));
    expectProblem(await act(other.case_id, 'assign', {}), 400, 'invalid_request', 'body.assignee');
    expectProblem(await act(other.case_id, 'comment', { comment: '' }), 400, 'invalid_request', 'body.comment');
    expect((await analyst.get(`/v1/risk/cases/${other.case_id}`)).body.case.status).toBe('open');
  });
});

describe('scopes', () => {
  it('each key does what its scope allows and nothing else; no key → 401', async () => {
    const rules = [{ id: 'r', when: 'list.customer_denied', outcome: 'block' }];
    expectProblem(await decider.post('/v1/risk/rule-sets/nope/versions', { rules }), 403, 'insufficient_scope');
    expectProblem(await decider.post('/v1/risk/rule-sets/default/versions/1/publish', { slot: 'live' }), 403, 'insufficient_scope');
    expectProblem(await decider.put(`/v1/risk/lists/deny/customer/${riskId('c')}`, {}), 403, 'insufficient_scope');
    expectProblem(await decider.get(`/v1/risk/decisions/${uuid7()}`), 403, 'insufficient_scope');
    expectProblem(await decider.get('/v1/risk/cases'), 403, 'insufficient_scope');
    expectProblem(await reader.post('/v1/risk/decisions', payment()), 403, 'insufficient_scope');
    expectProblem(await reader.post('/v1/risk/rule-sets/nope/versions', { rules }), 403, 'insufficient_scope');
    expectProblem(await analyst.put('/v1/risk/deployments/live/model', { model: null }), 403, 'insufficient_scope');
    expectProblem(await officer.get('/v1/risk/cases'), 403, 'insufficient_scope');
    expectProblem(await t.api.post('/v1/risk/decisions', payment()), 403, 'insufficient_scope');
    expectProblem(await reader.as(null).post('/v1/risk/decisions', payment()), 401, 'unauthorized');
    expectProblem(await reader.as(null).get('/v1/risk/rule-sets'), 401, 'unauthorized');
    expectProblem(await reader.as('cap_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').get('/v1/risk/rule-sets'), 401, 'unauthorized');
    expectProblem(await officer.post('/v1/risk/decisions', payment()), 403, 'insufficient_scope');
    expectProblem(await reader.get('/v1/risk/rule-sets/nope'), 404, 'rule_set_not_found'); // read passes the scope check
    expect((await t.admin.post('/v1/risk/decisions', payment())).status).toBe(201);
    expect((await t.admin.get('/v1/risk/cases')).status).toBe(200);
    expectProblem(await reader.as(null).post('/v1/risk/rule-sets/nope/versions', { rules }), 401, 'unauthorized');
  });
});

describe('graph neighbourhood (the console case view)', () => {
  const nbh = (query: Record<string, string>, client = reader) => client.get(`/v1/risk/graph/neighbourhood?${new URLSearchParams(query)}`);

  it('shows the nodes around a customer by distance, with fraud flags, the edges between them, and its limits', async () => {
    const [a, b, fraudster] = [riskId('nb-a'), riskId('nb-b'), riskId('nb-f')];
    const [device, phone] = [riskId('nb-dev'), '+44700900123'];
    const first = await decide(decider, login({ customer_id: a, device_id: device, ip: '192.0.2.77' }));
    await decide(decider, login({ customer_id: b, device_id: device, phone }));
    await decide(decider, login({ customer_id: fraudster, phone }));
    await mustPutList('deny', 'customer', fraudster);

    const res = await nbh({ kind: 'customer', id: a });
    expect(res.status, res.text).toBe(200);
    expect(res.body.start).toEqual({ kind: 'customer', id: a, key: `c:${a}` });
    expect(res.body.truncated).toBe(false);
    expect(res.body.nodes.map((n: any) => [n.kind, n.id, n.distance])).toEqual([
      ['customer', a, 0],
      ['device', device, 1],
      ['ip', '192.0.2.77', 1],
      ['customer', b, 2],
    ]);
    expect(res.body.edges).toContainEqual({ source: `c:${b}`, target: `d:${device}`, kind: 'device' });
    expect(res.body.edges).toHaveLength(3);
    // From b, two edges reach the deny-listed customer, flagged.
    const fromB = await nbh({ kind: 'customer', id: b, depth: '2' });
    expect(fromB.body.nodes.find((n: any) => n.id === fraudster)).toMatchObject({ kind: 'customer', flagged_fraud: true, distance: 2 });
    expect(fromB.body.nodes.find((n: any) => n.id === a)).toMatchObject({ flagged_fraud: false, distance: 2 });
    // From a device, and with a small limit.
    const fromDevice = await nbh({ kind: 'device', id: device, depth: '1' });
    expect(fromDevice.body.nodes.map((n: any) => n.id).sort()).toEqual([a, b, device].sort());
    const limited = await nbh({ kind: 'customer', id: a, depth: '3', limit: '2' });
    expect(limited.body).toMatchObject({ truncated: true, nodes: [{ id: a }, { id: device }] });

    // The decision's customer, through the decision.
    const viaDecision = await reader.get(`/v1/risk/decisions/${first.decision_id}/neighbourhood?depth=1`);
    expect(viaDecision.status, viaDecision.text).toBe(200);
    expect(viaDecision.body.start).toMatchObject({ kind: 'customer', id: a });
    expect(viaDecision.body.nodes).toHaveLength(3);
    expectProblem(await reader.get(`/v1/risk/decisions/${uuid7()}/neighbourhood`), 404, 'decision_not_found');
  });

  it('shows a carrier-NAT IP as a hub without expanding it', async () => {
    const ip = '203.0.113.201';
    const customers = Array.from({ length: 52 }, () => riskId('nat'));
    for (const customer_id of customers) await decide(decider, login({ customer_id, ip }));
    const res = await nbh({ kind: 'customer', id: customers[0]!, depth: '3' });
    expect(res.status, res.text).toBe(200);
    expect(res.body.nodes).toEqual([
      { key: `c:${customers[0]}`, kind: 'customer', id: customers[0], flagged_fraud: false, distance: 0, degree: 1 },
      { key: `i:${ip}`, kind: 'ip', id: ip, flagged_fraud: false, distance: 1, degree: 52, hub: true },
    ]);
    // Asked for directly, the hub is expanded within the limit.
    const hub = await nbh({ kind: 'ip', id: ip, limit: '10' });
    expect(hub.body).toMatchObject({ truncated: true, nodes: expect.arrayContaining([expect.objectContaining({ key: `i:${ip}`, hub: true })]) });
    expect(hub.body.nodes).toHaveLength(10);
  });

  it('answers 404 for a node not in the graph, 400 for bad parameters, and needs risk:read', async () => {
    expectProblem(await nbh({ kind: 'customer', id: riskId('nobody') }), 404, 'graph_node_not_found');
    expectProblem(await nbh({ kind: 'merchant', id: 'm1' }), 400, 'invalid_request', 'querystring.kind');
    expectProblem(await nbh({ kind: 'customer' }), 400, 'invalid_request', 'querystring.id');
    expectProblem(await nbh({ kind: 'customer', id: 'x', depth: '4' }), 400, 'invalid_request', 'querystring.depth');
    expectProblem(await nbh({ kind: 'customer', id: 'x', limit: '501' }), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await nbh({ kind: 'customer', id: 'x', limit: 'many' }), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await reader.get(`/v1/risk/decisions/not-a-uuid/neighbourhood`), 400, 'invalid_request');
    expectProblem(await nbh({ kind: 'customer', id: 'x' }, decider), 403, 'insufficient_scope');
  });
});

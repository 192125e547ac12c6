/**
 * The velocity feature catalogue through HTTP: reading it, adding features (stored as a new
 * version, rebuilt from the stored events in the background, then usable by rules with
 * counts that include events decided before the change), refusing changes that drop a
 * feature in use or define one badly (nothing changes), decisions answered during a
 * rebuild and counted exactly once, one change at a time, the history, and a second
 * engine on the same database following a change on its list-reload tick.
 * Time is a ManualClock, so windows move only when a test says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, mapPool, uuid7 } from '../helpers/http.js';
import { decide, login, payment, publish, riskId, saveRuleSet, storedDecision, velocityOf } from '../helpers/risk.js';
import { DEFAULT_VELOCITY_FEATURES } from '../../src/risk/defaults.js';
import { LIST_RELOAD_MS } from '../../src/risk/lists.js';
import { Risk } from '../../src/risk/service.js';
import { Ledger } from '../../src/ledger/service.js';
import type { VelocityFeature } from '../../src/risk/velocity.js';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

let t: TestApp<ManualClock>;
let reader: Client;
let officer: Client;
let decider: Client;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  reader = new Client(t.base, t.keys.risk_read);
  officer = new Client(t.base, t.keys.risk_admin);
  decider = new Client(t.base, t.keys.risk_decide);
  // The engine builds its features from stored events as the process starts (deciding_version
  // is 0 until then, as documented); the tests begin once /ready says it is done, as a load
  // balancer would.
  const open = new Client(t.base);
  for (let i = 0; (await open.get('/ready')).status !== 200; i++) {
    if (i >= 600) throw new Error('the server was not ready in 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  await t?.close();
});

const catalogue = async () => {
  const res = await reader.get('/v1/risk/features');
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res.body;
};

/** Polls GET /v1/risk/features until this process decides with `version`; fails on a failed rebuild. */
async function rebuilt(version: number): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const view = await catalogue();
    expect(view.rebuild?.status, JSON.stringify(view.rebuild)).not.toBe('failed');
    if (view.deciding_version === version && view.rebuild?.status === 'done') return view;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`catalogue v${version} was not rebuilt in 30 s`);
}

/** PUTs a catalogue and fails the test unless it was accepted (202); waits for the rebuild. */
async function change(features: VelocityFeature[], comment = 'test'): Promise<any> {
  const res = await officer.put('/v1/risk/features', { features, comment });
  expect(res.status, res.text.slice(0, 800)).toBe(202);
  await rebuilt(res.body.version);
  return res.body;
}

const currentFeatures = async (): Promise<VelocityFeature[]> => (await catalogue()).features;

describe('the catalogue at start', () => {
  it('is the built-in defaults as version 1, seeded by the system, with no rebuild', async () => {
    const view = await catalogue();
    expect(view).toMatchObject({ version: 1, deciding_version: 1, created_by: 'system', rebuild: null });
    expect(view.features).toEqual(JSON.parse(JSON.stringify(DEFAULT_VELOCITY_FEATURES)));
    const history = await reader.get('/v1/risk/features/history');
    expect(history.status).toBe(200);
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0]).toMatchObject({ version: 1, created_by: 'system', diff: null });
  });

  it('the routes are in the OpenAPI document, with the feature schema', async () => {
    const spec = await new Client(t.base, null).get('/docs/json');
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/risk/features', '/v1/risk/features/history']));
    const body = spec.body.paths['/v1/risk/features'].put.requestBody.content['application/json'].schema;
    expect(body.properties.features.items.properties.window.enum).toEqual(['1m', '1h', '24h', '30d']);
  });
});

describe('adding features', () => {
  it('202 with the diff; rebuilt from the stored events, so a rule on the new features counts what was decided before the change', async () => {
    const customer = riskId('cust');
    // Before the change: three logins from two IPs, and a stranger's.
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.1']) {
      await decide(decider, login({ customer_id: customer, ip, device_id: riskId('dev') }));
      t.clock.advance(60_000);
    }
    const before = await currentFeatures();
    const added: VelocityFeature[] = [
      { name: 'customer_logins_24h', entity: 'customer', aggregate: 'count', window: '24h', event_types: ['login'] },
      { name: 'customer_ips_24h', entity: 'customer', aggregate: 'distinct', of: 'ip', window: '24h' },
    ];
    const res = await officer.put('/v1/risk/features', { features: [...before, ...added], comment: 'login velocity for takeovers' });
    expect(res.status, res.text.slice(0, 800)).toBe(202);
    expect(res.body).toMatchObject({ version: 2, comment: 'login velocity for takeovers', diff: { added, removed: [], changed: [] }, rebuild: { version: 2, status: 'building' } });
    expect(res.body.created_by).toMatch(/^test-risk_admin /);
    const view = await rebuilt(2);
    expect(view.version).toBe(2);
    expect(view.rebuild.progress.done).toBeGreaterThanOrEqual(3);
    expect(view.features.map((f: VelocityFeature) => f.name)).toEqual([...before, ...added].map((f) => f.name));

    const saved = await saveRuleSet(officer, 'logins', [
      { id: 'login_burst', when: "event.type == 'login' and velocity.customer_logins_24h >= 3 and velocity.customer_ips_24h >= 2", outcome: 'review', reason: 'many logins from several IPs' },
    ]);
    await publish(officer, 'logins', saved.version, 'live');
    const fourth = await decide(decider, login({ customer_id: customer, ip: '10.0.0.3', device_id: riskId('dev') }));
    expect(fourth.outcome).toBe('review');
    expect(fourth.reasons.map((r: { rule_id: string }) => r.rule_id)).toEqual(['login_burst']);
    const stored = await storedDecision(reader, fourth.decision_id);
    expect(velocityOf(stored.context)).toMatchObject({ 'velocity.customer_logins_24h': 3, 'velocity.customer_ips_24h': 2 });
    expect(Object.keys(velocityOf(stored.context))).toHaveLength(before.length + 2);
    // A customer without that history does not trip it.
    expect((await decide(decider, login({ customer_id: riskId('cust'), ip: '10.0.0.9' }))).outcome).toBe('allow');
  });

  it('a full restart-style rebuild (engine.rebuild) uses the catalogue in force, not the built-in one', async () => {
    const customer = riskId('cust');
    await decide(decider, login({ customer_id: customer, ip: '10.1.0.1' }));
    await decide(decider, login({ customer_id: customer, ip: '10.1.0.2' }));
    await t.app.risk.engine.rebuild();
    expect(t.app.risk.engine.catalogue_version).toBe(2);
    const third = await decide(decider, login({ customer_id: customer, ip: '10.1.0.3' }));
    const stored = await storedDecision(reader, third.decision_id);
    expect(velocityOf(stored.context)).toMatchObject({ 'velocity.customer_logins_24h': 2, 'velocity.customer_ips_24h': 2 });
  });
});

describe('changes that would break what is in use are refused, and change nothing', () => {
  it('dropping a feature the live rule set reads → 409 feature_in_use naming the rule set, version, rule and feature', async () => {
    const before = await catalogue();
    const res = await officer.put('/v1/risk/features', { features: before.features.filter((f: VelocityFeature) => f.name !== 'customer_ips_24h') });
    expectProblem(res, 409, 'feature_in_use', 'body.features');
    expect(res.body.detail).toContain('rule set logins v1 (live, latest published), rule login_burst, reads velocity.customer_ips_24h');
    const after = await catalogue();
    expect(after.version).toBe(before.version);
    expect(after.features).toEqual(before.features);
    expect(after.rebuild).toEqual(before.rebuild);
    expect((await reader.get('/v1/risk/features/history')).body.data[0].version).toBe(before.version);
  });

  it("dropping a feature of a rule set's latest published version (not deployed) → 409 naming it", async () => {
    const before = await catalogue();
    const res = await officer.put('/v1/risk/features', { features: before.features.filter((f: VelocityFeature) => f.name !== 'customer_new_beneficiaries_24h') });
    expectProblem(res, 409, 'feature_in_use');
    expect(res.body.detail).toContain('rule set default v1 (latest published), rule takeover_payout, reads velocity.customer_new_beneficiaries_24h');
    expect((await catalogue()).version).toBe(before.version);
  });

  it('a draft saved before a change that dropped its feature is refused when published (422 invalid_rule_set)', async () => {
    const features = await currentFeatures();
    const extra: VelocityFeature = { name: 'customer_count_30d', entity: 'customer', aggregate: 'count', window: '30d' };
    const added = await change([...features, extra]);
    const draft = await saveRuleSet(officer, 'legacy', [{ id: 'busy_customer', when: 'velocity.customer_count_30d > 100', outcome: 'review' }]);
    const removed = await change(features, 'customer_count_30d was not used after all');
    expect(removed.version).toBe(added.version + 1);
    expect(removed.diff).toEqual({ added: [], removed: [extra], changed: [] });
    const res = await officer.post(`/v1/risk/rule-sets/legacy/versions/${draft.version}/publish`, { slot: 'live' });
    expectProblem(res, 422, 'invalid_rule_set', 'rules[0].when');
    expect(res.body.detail).toContain(`feature catalogue v${removed.version}`);
    expect((await reader.get('/v1/risk/deployments')).body.live).toMatchObject({ rule_set_id: 'logins' });
  });
});

describe('bad feature definitions → 400 naming the field; nothing changes', () => {
  const base: VelocityFeature = { name: 'x_count_1h', entity: 'customer', aggregate: 'count', window: '1h' };
  const cases: [string, unknown, string, string][] = [
    ['a window that does not exist', { ...base, window: '5m' }, 'invalid_request', 'body.features[0].window'],
    ['a name with capitals', { ...base, name: 'Bad-Name' }, 'invalid_request', 'body.features[0].name'],
    ['an unknown field', { ...base, colour: 'red' }, 'invalid_request', 'body.features[0].colour'],
    ['an unknown entity', { ...base, entity: 'planet' }, 'invalid_request', 'body.features[0].entity'],
    ['an unknown event type', { ...base, event_types: ['refund'] }, 'invalid_request', 'body.features[0].event_types[0]'],
    ['a sum without of', { ...base, aggregate: 'sum' }, 'invalid_feature_catalogue', 'body.features[0].of'],
    ['a count with of', { ...base, of: 'amount' }, 'invalid_feature_catalogue', 'body.features[0].of'],
    ['distinct of its own entity', { ...base, aggregate: 'distinct', of: 'customer' }, 'invalid_feature_catalogue', 'body.features[0].of'],
    ['a duplicate event type', { ...base, event_types: ['login', 'login'] }, 'invalid_feature_catalogue', 'body.features[0].event_types[1]'],
  ];
  for (const [what, feature, code, field] of cases) {
    it(`${what} → ${code} naming ${field}`, async () => {
      const before = await catalogue();
      const res = await officer.put('/v1/risk/features', { features: [feature, ...before.features] });
      expectProblem(res, 400, code, field);
      expect((await catalogue()).version).toBe(before.version);
    });
  }

  it('a duplicate feature name → 400 naming the second', async () => {
    const before = await catalogue();
    const res = await officer.put('/v1/risk/features', { features: [...before.features, before.features[0]] });
    expectProblem(res, 400, 'invalid_feature_catalogue', `body.features[${before.features.length}].name`);
    expect((await catalogue()).version).toBe(before.version);
  });

  it('scopes: reading needs risk:read, changing needs risk:admin', async () => {
    expectProblem(await reader.put('/v1/risk/features', { features: [] }), 403, 'insufficient_scope');
    expectProblem(await decider.get('/v1/risk/features'), 403, 'insufficient_scope');
    expectProblem(await reader.get('/v1/risk/features', { token: null }), 401, 'unauthorized');
  });
});

/**
 * Holds the rebuild's paging through stored events (and nothing else) until `release`, so
 * the test knows decisions are made while it builds instead of hoping the build is slow.
 */
function holdRebuildPaging(): { release: () => void; restore: () => void } {
  const db = t.testDb.db;
  const query = db.query;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  db.query = (async (sql: string, params?: unknown[]) => {
    if (/FROM risk_decisions\s+WHERE occurred_at >= \$1/.test(sql) && /ORDER BY occurred_at, id LIMIT/.test(sql)) await gate;
    return query.call(db, sql, params as never);
  }) as typeof db.query;
  return { release, restore: () => ((db.query = query), release()) };
}

describe('during a rebuild', () => {
  it('decisions are answered and counted exactly once; a second change at the same time → 409 catalogue_rebuilding', async () => {
    // Enough stored history that the rebuild takes more than one page.
    const engine = t.app.risk.engine;
    const filler = Array.from({ length: 2500 }, () => payment({ customer_id: riskId('filler') }));
    await mapPool(filler, 200, async (body) => {
      const decided = await engine.decide({ ...body, amount: BigInt(body.amount!), occurred_at: t.clock.now() });
      expect(decided.ok).toBe(true);
    });
    const customer = riskId('cust');
    for (let i = 0; i < 4; i++) await decide(decider, payment({ customer_id: customer }));

    const features = await currentFeatures();
    const extra: VelocityFeature = { name: 'customer_events_30d', entity: 'customer', aggregate: 'count', window: '30d' };
    const other: VelocityFeature = { name: 'customer_events_24h', entity: 'customer', aggregate: 'count', window: '24h' };
    const hold = holdRebuildPaging();
    let name: string;
    let version: number;
    try {
      const [first, second] = await Promise.all([
        officer.put('/v1/risk/features', { features: [...features, extra] }),
        officer.put('/v1/risk/features', { features: [...features, other] }),
      ]);
      expect([first.status, second.status].sort(), `${first.text.slice(0, 300)} ${second.text.slice(0, 300)}`).toEqual([202, 409]);
      const accepted = first.status === 202 ? first : second;
      expectProblem(first.status === 409 ? first : second, 409, 'catalogue_rebuilding');
      name = accepted === first ? extra.name : other.name;
      version = accepted.body.version;
      // And a third while it builds.
      expectProblem(await officer.put('/v1/risk/features', { features }), 409, 'catalogue_rebuilding');

      // Decisions during the build, the customer's and others': none fails, none waits for the build.
      expect((await catalogue()).rebuild).toMatchObject({ version, status: 'building', progress: { done: 0 } });
      const during = Array.from({ length: 120 }, (_, i) => payment({ customer_id: i % 4 === 0 ? customer : riskId('cust') }));
      const answered = await mapPool(during, 16, async (body) => (await decider.post('/v1/risk/decisions', body)).status);
      expect(answered.every((s) => s === 201), JSON.stringify(answered)).toBe(true);
      const building = await catalogue();
      expect(building).toMatchObject({ deciding_version: version - 1, rebuild: { status: 'building' } });
      // Saving a draft that reads the feature being built works (publishing it waits for the swap).
      await saveRuleSet(officer, 'next', [{ id: 'busy', when: `velocity.${name} > 1000`, outcome: 'review' }]);
    } finally {
      hold.restore();
    }

    const view = await rebuilt(version);
    expect(view.rebuild.progress.total).toBeGreaterThanOrEqual(2500);
    expect(view.rebuild.progress.done).toBeGreaterThanOrEqual(view.rebuild.progress.total);
    expect(view.rebuild.events_caught_up).toBe(120);
    const next = await decide(decider, payment({ customer_id: customer }));
    const ctx = velocityOf((await storedDecision(reader, next.decision_id)).context);
    // 4 before the change + 30 during it, each counted once.
    expect(ctx[`velocity.${name}`]).toBe(34);
    expect(ctx['velocity.customer_payments_24h']).toBe(34);
  });
});

describe('history', () => {
  it('lists every version newest first with who, when, why and the diff, one page at a time', async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: any = await reader.get(`/v1/risk/features/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    const current = await catalogue();
    expect(seen.map((v) => v.version)).toEqual(Array.from({ length: current.version }, (_, i) => current.version - i));
    expect(seen.at(-1)).toMatchObject({ version: 1, created_by: 'system', diff: null });
    expect(seen.find((v) => v.version === 2)).toMatchObject({ comment: 'login velocity for takeovers', diff: { removed: [], changed: [] } });
    expect(seen.find((v) => v.version === 2).diff.added.map((f: VelocityFeature) => f.name)).toEqual(['customer_logins_24h', 'customer_ips_24h']);
    expectProblem(await reader.get('/v1/risk/features/history?cursor=bm9wZQ'), 400, 'invalid_cursor');
  });
});

describe('another process on the same database', () => {
  it('follows a catalogue change on its list-reload tick: builds in the background, then decides with it', async () => {
    const ledger = new Ledger(t.testDb.db, t.clock);
    const other = new Risk(t.testDb.db, t.clock, ledger);
    try {
      await other.engine.start();
      const version = other.engine.catalogue_version;
      expect(version).toBe((await catalogue()).version);
      const customer = riskId('cust');
      for (let i = 0; i < 3; i++) await decide(decider, payment({ customer_id: customer, merchant_id: riskId('m') }));

      const features = await currentFeatures();
      const extra: VelocityFeature = { name: 'customer_merchants_24h', entity: 'customer', aggregate: 'distinct', of: 'merchant', window: '24h', event_types: ['payment'] };
      await change([...features, extra], 'for the other process');
      expect(other.engine.catalogue_version).toBe(version);

      // Its next decision after the reload interval starts the swap (the decision itself is not held up).
      t.clock.advance(LIST_RELOAD_MS);
      const first = await other.engine.decide({ id: uuid7(), type: 'payment', customer_id: customer, merchant_id: riskId('m'), amount: 100n, currency: 'USD', occurred_at: t.clock.now() });
      expect(first.ok).toBe(true);
      for (let i = 0; i < 600 && other.engine.catalogue_version === version; i++) await new Promise((r) => setTimeout(r, 50));
      expect(other.engine.catalogueRebuild).toMatchObject({ version: version + 1, status: 'done' });
      expect(other.engine.catalogue_version).toBe(version + 1);

      const next = await other.engine.decide({ id: uuid7(), type: 'payment', customer_id: customer, merchant_id: riskId('m'), amount: 100n, currency: 'USD', occurred_at: t.clock.now() });
      expect(next.ok).toBe(true);
      const ctx = velocityOf((await storedDecision(reader, next.ok ? next.decision.decision_id : '')).context);
      expect(ctx['velocity.customer_merchants_24h']).toBe(4);
    } finally {
      await other.stop();
      await ledger.stop();
    }
  });
});

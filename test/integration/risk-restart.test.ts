/**
 * The risk engine's velocity features survive a restart. The real server runs as a child
 * process (PGlite file mode in a temp folder, or PostgreSQL); a customer's events are
 * decided through it, it is stopped (SIGTERM) and started again on the same data, and the
 * next decision's stored context must show the same velocity counts an uninterrupted run
 * would: the engine rebuilds its windows from the stored events on start.
 *
 * What "an uninterrupted run" shows is computed here from the events the test sent, with
 * the window rule documented in src/risk/velocity.ts (the bucket holding `now` plus the
 * N − 1 before it) at the decision's own decided_at, and checked against the server
 * before every restart as well as after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { ENGINE } from '../helpers/env.js';
import { Client, uuid7 } from '../helpers/http.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';
import { riskId, storedDecision, velocityOf, type DecisionBody } from '../helpers/risk.js';
import { DEFAULT_VELOCITY_FEATURES } from '../../src/risk/defaults.js';
import { VELOCITY_WINDOWS, type VelocityEntity } from '../../src/risk/velocity.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let dir: TempDir;
let data: PreparedData;
let server: ServerProcess | undefined;
let decider: Client;
let reader: Client;

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData(ENGINE, dir.path);
});
afterAll(async () => {
  await server?.stop().catch(() => {});
  await killAll();
  await data?.drop();
  dir?.remove();
});

async function start(): Promise<void> {
  server = await spawnServer(data.env);
  decider = new Client(server.base, data.keys.risk_decide);
  reader = new Client(server.base, data.keys.risk_read);
}

async function restart(): Promise<void> {
  const running = server!;
  await running.stop();
  expect((await running.exited).code, running.output().slice(-2000)).toBe(0);
  await start();
}

/** The events the engine admitted (far-future ones are not), in the order they were sent. */
const admitted: DecisionBody[] = [];

const ENTITY_FIELD: Record<VelocityEntity, keyof DecisionBody> = {
  customer: 'customer_id',
  device: 'device_id',
  ip: 'ip',
  counterparty: 'counterparty_id',
  merchant: 'merchant_id',
  account: 'account_id',
};

/** Every velocity.* value of the default catalogue for `probe` at `now`, over the admitted events before it. */
function expectedVelocity(probe: DecisionBody, now: Date): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of DEFAULT_VELOCITY_FEATURES) {
    const { bucket_ms, buckets } = VELOCITY_WINDOWS[f.window];
    const hi = Math.floor(now.getTime() / bucket_ms);
    const key = probe[ENTITY_FIELD[f.entity]];
    const matching = admitted.filter((e) => {
      if (key === undefined || e.id === probe.id || e[ENTITY_FIELD[f.entity]] !== key) return false;
      if (f.event_types && !f.event_types.includes(e.type)) return false;
      const b = Math.floor(Date.parse(e.occurred_at!) / bucket_ms);
      return b > hi - buckets && b <= hi;
    });
    let value = 0;
    if (f.aggregate === 'count') value = matching.length;
    else if (f.aggregate === 'sum') value = matching.reduce((s, e) => s + (e.amount === undefined ? 0 : Number(e.amount)), 0);
    else value = new Set(matching.map((e) => e[ENTITY_FIELD[f.of as VelocityEntity]]).filter((v) => v !== undefined)).size;
    out[`velocity.${f.name}`] = value;
  }
  return out;
}

async function send(body: DecisionBody, expectedStatus = 201): Promise<any> {
  const res = await decider.post('/v1/risk/decisions', body);
  expect(res.status, res.text.slice(0, 300)).toBe(expectedStatus);
  return res.body;
}

/** Decides a login probe for the customer and returns its stored velocity context next to what an uninterrupted run would show. */
async function probe(customer: { id: string; device: string; ip: string }): Promise<{ actual: Record<string, unknown>; expected: Record<string, number> }> {
  const body: DecisionBody = { id: uuid7(), type: 'login', customer_id: customer.id, device_id: customer.device, ip: customer.ip, occurred_at: new Date(Date.now() - 9 * MIN).toISOString() };
  await send(body);
  const stored = await storedDecision(reader, body.id);
  const expected = expectedVelocity(body, new Date(stored.decided_at));
  admitted.push(body);
  return { actual: velocityOf(stored.context), expected };
}

/** A customer's history spread over the windows, sent out of time order. */
function history(customer: { id: string; device: string; ip: string }): DecisionBody[] {
  const now = Date.now();
  const at = (ago_ms: number) => new Date(now - ago_ms).toISOString();
  const base = { customer_id: customer.id, device_id: customer.device, ip: customer.ip };
  const pay = (ago_ms: number, amount: number, payee: string, merchant: string): DecisionBody => ({
    id: uuid7(),
    type: 'payment',
    ...base,
    occurred_at: at(ago_ms),
    amount: String(amount),
    currency: 'USD',
    counterparty_id: `${payee}-${customer.id}`,
    merchant_id: `${merchant}-${customer.id}`,
  });
  return [
    // ten minutes ago: in every window but the minute
    pay(10 * MIN + 4000, 60, 'p1', 'm3'),
    pay(10 * MIN + 3000, 70, 'p3', 'm4'),
    pay(10 * MIN + 2000, 80, 'p3', 'm3'),
    pay(10 * MIN + 1000, 90, 'p4', 'm5'),
    { id: uuid7(), type: 'beneficiary_added', ...base, occurred_at: at(10 * MIN + 500), counterparty_id: `p9-${customer.id}` },
    // three days ago: 30 days only
    pay(3 * DAY, 10, 'p1', 'm1'),
    pay(3 * DAY - MIN, 20, 'p1', 'm1'),
    pay(3 * DAY - 2 * MIN, 30, 'p1', 'm1'),
    // forty days ago: in no window at all
    pay(40 * DAY, 111, 'p0', 'm0'),
    // five hours ago: the day and the month
    pay(5 * HOUR, 40, 'p2', 'm2'),
    pay(5 * HOUR - MIN, 50, 'p2', 'm2'),
    { id: uuid7(), type: 'login', ...base, occurred_at: at(5 * HOUR - 2 * MIN) },
  ];
}

const alice = { id: riskId('alice'), device: riskId('dev'), ip: '198.51.100.21' };
const bob = { id: riskId('bob'), device: riskId('dev'), ip: '198.51.100.22' };
const aliceSeries: DecisionBody[] = [];
const bobSeries: DecisionBody[] = [];

describe(`risk features across a restart (${ENGINE})`, { timeout: 180_000 }, () => {
  it('the first decision after a restart sees the same velocity counts as an uninterrupted run', async () => {
    await start();
    for (const [who, series] of [
      [alice, aliceSeries],
      [bob, bobSeries],
    ] as const) {
      series.push(...history(who));
      for (const body of series) {
        await send(body);
        admitted.push(body);
      }
    }
    const beforeAlice = await probe(alice);
    const beforeBob = await probe(bob);
    // The oracle agrees with the running engine (and the history really spans the windows).
    expect(beforeAlice.actual).toEqual(beforeAlice.expected);
    expect(beforeBob.actual).toEqual(beforeBob.expected);
    expect(beforeAlice.expected).toMatchObject({
      'velocity.customer_payments_1h': 4,
      'velocity.customer_payments_24h': 6,
      'velocity.customer_payments_30d': 9,
      'velocity.customer_amount_30d': 450,
      'velocity.customer_count_1h': 5,
      'velocity.customer_merchants_1h': 3,
      'velocity.customer_counterparties_24h': 4,
      'velocity.customer_new_beneficiaries_24h': 1,
    });

    await restart();
    const afterAlice = await probe(alice);
    const afterBob = await probe(bob);
    expect(afterAlice.actual).toEqual(afterAlice.expected);
    expect(afterBob.actual).toEqual(afterBob.expected);
    // The probe before the restart counts as a login now.
    expect(afterAlice.actual['velocity.customer_logins_1h']).toBe(1);
  });

  it('an event dated far in the future is ignored, before the restart and after it', async () => {
    if (!server || server.child.exitCode !== null) await start();
    const future: DecisionBody = {
      id: uuid7(),
      type: 'payment',
      customer_id: alice.id,
      device_id: alice.device,
      ip: alice.ip,
      amount: '5',
      counterparty_id: `p1-${alice.id}`,
      occurred_at: new Date(Date.now() + 2 * DAY).toISOString(),
    };
    await send(future); // decided, stored, but not admitted into the windows
    const before = await probe(alice);
    expect(before.actual).toEqual(before.expected);
    expect(before.actual['velocity.customer_payments_1h']).toBe(4);

    await restart();
    const after = await probe(alice);
    expect(after.actual).toEqual(after.expected);
  });

  it('an event id re-sent after a restart is a replay and is not counted again', async () => {
    if (!server || server.child.exitCode !== null) await start();
    const again = bobSeries[0]!;
    const res = await decider.post('/v1/risk/decisions', again);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ decision_id: again.id, replayed: true });
    const after = await probe(bob);
    expect(after.actual).toEqual(after.expected);
    await server!.stop();
  });
});

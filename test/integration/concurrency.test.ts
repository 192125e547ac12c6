/**
 * Many clients at once on one hot account with a limit: exactly the funded number of
 * debits succeed, the writer batches them, and the queue bound answers `overloaded`.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildApp, type App } from '../../src/server/app.js';
import { systemClock } from '../../src/server/clock.js';
import { Client, expectProblem, mapPool, metricValue, type Res } from '../helpers/http.js';
import { LIMITED, account, allTransfersOf, bal, balances, createAccounts, expectInvariantsOk, mustTransfer, transfer } from '../helpers/ledger.js';

let t: TestApp;
let api: Client;

beforeAll(async () => {
  t = await startTestApp();
  api = t.api;
});
afterAll(async () => {
  await t?.close();
});

async function batchMetrics(client: Client): Promise<{ count: number; sum: number }> {
  const res = await client.get('/metrics', { token: t.keys.metrics });
  expect(res.status).toBe(200);
  return {
    count: metricValue(res.text, 'capillary_ledger_batch_transfers_count') ?? NaN,
    sum: metricValue(res.text, 'capillary_ledger_batch_transfers_sum') ?? NaN,
  };
}

describe('a hot account under 64 concurrent clients', () => {
  const N = 900; // funded units
  const M = 1500; // 1-unit debits sent
  const CLIENTS = 64;

  it(`exactly ${N} of ${M} one-unit debits succeed; the rest are exceeds_credits; balances exact; batched`, async () => {
    const sinks = Array.from({ length: 8 }, () => account());
    const [bank, hot] = await createAccounts(api, [account({ code: 1001 }), account({ flags: LIMITED })]);
    await createAccounts(api, sinks);
    await mustTransfer(api, transfer(bank, hot, N));
    const metricsBefore = await batchMetrics(api);

    const bodies = Array.from({ length: M }, (_, i) => transfer(hot, sinks[i % sinks.length]!.id, 1, { code: 2 }));
    const results = await mapPool(bodies, CLIENTS, (body) => api.post('/v1/transfers', body));

    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: N, 422: M - N });
    for (const r of results) if (r.status === 422) expectProblem(r, 422, 'exceeds_credits', 'amount');

    expect(await balances(api, hot)).toMatchObject(bal(N, N));
    const perSink = new Map<string, number>();
    results.forEach((r, i) => r.status === 201 && perSink.set(bodies[i]!.credit_account_id!, (perSink.get(bodies[i]!.credit_account_id!) ?? 0) + 1));
    for (const sink of sinks) expect(await balances(api, sink.id)).toMatchObject(bal(0, perSink.get(sink.id) ?? 0));

    // Exactly the acknowledged transfers exist: the funding one plus the N debits.
    const listed = await allTransfersOf(api, hot);
    expect(listed).toHaveLength(N + 1);
    const acknowledged = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id as string));
    expect(listed.filter((x) => x.debit_account_id === hot).every((x) => acknowledged.has(x.id))).toBe(true);
    expect(await balances(api, hot)).toMatchObject({ debits_pending: 0n, credits_pending: 0n });
    await expectInvariantsOk(t.admin);

    // Every transfer went through the writer, in fewer commits than requests.
    const metricsAfter = await batchMetrics(api);
    const batches = metricsAfter.count - metricsBefore.count;
    const transfers = metricsAfter.sum - metricsBefore.sum;
    expect(transfers).toBe(M);
    expect(batches).toBeGreaterThan(0);
    expect(batches, `${batches} batches for ${M} transfers`).toBeLessThan(M / 2);
  });

  it('pending holds and their posts under concurrency never oversell either', async () => {
    const N2 = 200;
    const [bank, hot, shop] = await createAccounts(api, [account(), account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, hot, N2));
    // 320 clients each reserve 1, then post (or every fifth, void) it if the reservation succeeded.
    const outcomes = await mapPool(Array.from({ length: 320 }, (_, i) => i), 64, async (i) => {
      const hold = await api.post('/v1/transfers', transfer(hot, shop, 1, { flags: { pending: true } }));
      if (hold.status !== 201) return hold.body.code as string;
      const posted = await api.post('/v1/transfers', { id: crypto.randomUUID(), pending_id: hold.body.id, flags: i % 5 === 0 ? { void_pending: true } : { post_pending: true } });
      expect(posted.status, posted.text).toBe(201);
      return i % 5 === 0 ? 'voided' : 'posted';
    });
    const posted = outcomes.filter((o) => o === 'posted').length;
    const voided = outcomes.filter((o) => o === 'voided').length;
    expect(outcomes.filter((o) => o !== 'posted' && o !== 'voided').every((o) => o === 'exceeds_credits')).toBe(true);
    expect(posted).toBeLessThanOrEqual(N2);
    expect(posted + voided).toBeGreaterThanOrEqual(N2); // every unit was reserved at some point
    expect(await balances(api, hot)).toMatchObject(bal(posted, N2, 0, 0));
    expect(await balances(api, shop)).toMatchObject(bal(0, posted, 0, 0));
    await expectInvariantsOk(t.admin);
  });
});

describe('the write queue bound', () => {
  let small: App;
  let client: Client;
  beforeAll(async () => {
    // A second app on the same database, with a tiny queue.
    small = await buildApp({ db: t.testDb.db, clock: systemClock, log_level: 'silent', writer: { queue_depth_max: 16 } });
    await small.listen({ port: 0, host: '127.0.0.1' });
    client = new Client(`http://127.0.0.1:${(small.server.address() as AddressInfo).port}`, t.keys.rw);
  });
  afterAll(async () => {
    await small?.close();
  });

  it('a request larger than the queue bound is 503 overloaded with Retry-After, and writes nothing', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const items = Array.from({ length: 17 }, () => transfer(a, b, 1));
    const res = await client.post('/v1/transfers', items);
    expectProblem(res, 503, 'overloaded');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await balances(api, a)).toMatchObject(bal(0, 0));
    const fits = await client.post('/v1/transfers', items.slice(0, 16));
    expect(fits.status).toBe(200);
    expect(await balances(api, a)).toMatchObject(bal(16, 0));
  });

  it('under a burst, every request is either applied (201) or overloaded (503) and nothing else', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const bodies = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? Array.from({ length: 5 }, () => transfer(a, b, 1)) : [transfer(a, b, 1)]));
    const results: Res[] = await mapPool(bodies, 100, (items) => client.post('/v1/transfers', items.length === 1 ? items[0] : items));
    let applied = 0;
    for (const [i, r] of results.entries()) {
      if (r.status === 503) expectProblem(r, 503, 'overloaded');
      else if (bodies[i]!.length === 1) {
        expect(r.status, r.text).toBe(201);
        applied += 1;
      } else {
        expect(r.status, r.text).toBe(200);
        applied += (r.body.results as any[]).filter((x) => x.ok).length;
      }
    }
    expect(await balances(api, a)).toMatchObject(bal(applied, 0));
    // The burst did reach the bound (a 16-transfer queue against 100 clients), and most requests still went through.
    expect(results.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(applied).toBeGreaterThan(0);
    await expectInvariantsOk(t.admin);
  });
});

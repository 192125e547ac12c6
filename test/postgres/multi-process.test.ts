/**
 * Two server processes on one PostgreSQL database, each with its own batched writer,
 * hammered at once: no oversell on a shared hot account, one application per transfer id,
 * and no deadlock (ordered row locks), so no 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { pgQuery, tempDir, type TempDir } from '../helpers/db.js';
import { Client, expectProblem, mapPool, metricValue, uuid7, type Res } from '../helpers/http.js';
import { LIMITED, account, allTransfersOf, bal, balances, createAccounts, expectInvariantsOk, mustTransfer, transfer, type TransferBody } from '../helpers/ledger.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';

let dir: TempDir;
let data: PreparedData;
let servers: ServerProcess[] = [];
let a: Client;
let b: Client;
let both: Client[];

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData('postgres', dir.path);
  servers = await Promise.all([spawnServer(data.env), spawnServer(data.env)]);
  [a, b] = servers.map((s) => new Client(s.base, data.keys.rw)) as [Client, Client];
  both = [a, b];
});
afterAll(async () => {
  await killAll();
  await data?.drop();
  dir?.remove();
});

function expectNo5xx(results: Res[]): void {
  const bad = results.filter((r) => r.status >= 500);
  expect(bad.map((r) => r.text.slice(0, 200))).toEqual([]);
}

describe('two processes, one database', { timeout: 120_000 }, () => {
  it('exactly N of M one-unit debits on a shared hot account succeed across both processes', async () => {
    const N = 800;
    const M = 1400;
    const sinks = Array.from({ length: 6 }, () => account());
    const [bank, hot] = await createAccounts(a, [account({ code: 1001 }), account({ flags: LIMITED })]);
    await createAccounts(b, sinks);
    await mustTransfer(a, transfer(bank, hot, N));
    const bodies = Array.from({ length: M }, (_, i) => transfer(hot, sinks[i % sinks.length]!.id, 1));
    const results = await mapPool(bodies, 64, (body, i) => both[i % 2]!.post('/v1/transfers', body));
    expectNo5xx(results);
    const statuses = new Map<string, number>();
    results.forEach((r, i) => {
      const key = `${i % 2 ? 'b' : 'a'}:${r.status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    });
    expect(results.filter((r) => r.status === 201)).toHaveLength(N);
    for (const r of results) if (r.status !== 201) expectProblem(r, 422, 'exceeds_credits', 'amount');
    // Both processes did real work on the hot account.
    expect(statuses.get('a:201') ?? 0).toBeGreaterThan(0);
    expect(statuses.get('b:201') ?? 0).toBeGreaterThan(0);
    expect(await balances(b, hot)).toMatchObject(bal(N, N));
    expect(await allTransfersOf(a, hot)).toHaveLength(N + 1);
    await expectInvariantsOk(new Client(servers[1]!.base, data.keys.admin));
  });

  it('the same transfer id sent to both processes at once is applied exactly once', async () => {
    const K = 150;
    const sinks = Array.from({ length: 3 }, () => account());
    const [bank, payer] = await createAccounts(a, [account(), account({ flags: LIMITED })]);
    await createAccounts(a, sinks);
    const bodies = Array.from({ length: K }, (_, i) => transfer(payer, sinks[i % 3]!.id, 1 + (i % 7)));
    const total = bodies.reduce((s, x) => s + BigInt(x.amount!), 0n);
    await mustTransfer(b, transfer(bank, payer, total)); // exactly enough: a double application would fail a later one
    const pairs = await mapPool(bodies, 32, (body) => Promise.all([a.post('/v1/transfers', body), b.post('/v1/transfers', body)]));
    for (const [ra, rb] of pairs) {
      expect([ra.status, rb.status].sort(), `${ra.text.slice(0, 200)} | ${rb.text.slice(0, 200)}`).toEqual([200, 201]);
      expect(ra.body).toEqual(rb.body);
    }
    expect(await balances(a, payer)).toMatchObject(bal(total, total));
    expect(await allTransfersOf(b, payer)).toHaveLength(K + 1);
  });

  it('the same id with different accounts sent to both at once: one wins, the other is exists_with_different_fields', async () => {
    const K = 60;
    const accts = await createAccounts(a, [account(), account(), account(), account()]);
    const [w, x, y, z] = accts;
    const outcomes = await mapPool(Array.from({ length: K }, (_, i) => i), 16, async () => {
      const id = uuid7();
      const first: TransferBody = transfer(w, x, 1, { id });
      const second: TransferBody = transfer(y, z, 1, { id }); // disjoint locks: the primary key decides
      const [ra, rb] = await Promise.all([a.post('/v1/transfers', first), b.post('/v1/transfers', second)]);
      return { id, ra, rb };
    });
    let firstWins = 0;
    for (const { ra, rb } of outcomes) {
      expectNo5xx([ra, rb]);
      const winner = ra.status === 201 ? ra : rb;
      const loser = ra.status === 201 ? rb : ra;
      expect(winner.status, `${ra.text.slice(0, 200)} | ${rb.text.slice(0, 200)}`).toBe(201);
      expectProblem(loser, 409, 'exists_with_different_fields', 'id');
      if (winner === ra) firstWins++;
    }
    const moved = async (id: string) => (await balances(a, id)).debits_posted + (await balances(a, id)).credits_posted;
    expect(await moved(w)).toBe(BigInt(firstWins));
    expect(await moved(x)).toBe(BigInt(firstWins));
    expect(await moved(y)).toBe(BigInt(K - firstWins));
    expect(await moved(z)).toBe(BigInt(K - firstWins));
  });

  it('a post sent to one process while the other is still committing the pending: never a 5xx', async () => {
    // The post names no accounts, so its process learns them from the pending transfer, which
    // the other process may commit between that lookup and the row locks.
    const [x, y] = await createAccounts(a, [account(), account()]);
    const TRIALS = 1000;
    const outcomes = await mapPool(Array.from({ length: TRIALS }, (_, i) => i), 24, async (i) => {
      const hold = transfer(x, y, 1, { flags: { pending: true } });
      const [held, posted] = await Promise.all([
        a.post('/v1/transfers', hold),
        new Promise((r) => setTimeout(r, i % 4)).then(() => b.post('/v1/transfers', { id: uuid7(), pending_id: hold.id, flags: { post_pending: true } })),
      ]);
      return { held, posted };
    });
    expectNo5xx(outcomes.flatMap((o) => [o.held, o.posted]));
    let posts = 0;
    for (const { held, posted } of outcomes) {
      expect(held.status, held.text).toBe(201);
      if (posted.status === 201) posts++;
      else expectProblem(posted, 404, 'pending_transfer_not_found', 'pending_id');
    }
    expect(await balances(a, x)).toMatchObject(bal(posts, 0, TRIALS - posts, 0));
    expect(await balances(b, y)).toMatchObject(bal(0, posts, 0, TRIALS - posts));
  });

  it('criss-cross traffic between many accounts from both processes: no deadlock, no 5xx, money conserved', async () => {
    const ring = Array.from({ length: 8 }, () => account({ flags: LIMITED }));
    const [bank] = await createAccounts(a, [account()]);
    await createAccounts(b, ring);
    const FUND = 200n;
    const funded = await a.post('/v1/transfers', ring.map((r) => transfer(bank, r.id, FUND)));
    expect((funded.body.results as any[]).every((x) => x.ok)).toBe(true);
    // Deterministic pseudo-random pairs in both directions, and 2-item linked chains that lock 3-4 accounts.
    let seed = 7; // mulberry32
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const requests: (TransferBody | TransferBody[])[] = Array.from({ length: 1200 }, (_, i) => {
      const p = rnd(8);
      const q = (p + 1 + rnd(7)) % 8;
      if (i % 5 === 0) {
        const r0 = (q + 1 + rnd(6)) % 8;
        const r = r0 === p ? (p + 4) % 8 : r0;
        return [transfer(ring[p]!.id, ring[q]!.id, 1 + rnd(5), { flags: { linked: true } }), transfer(ring[r]!.id, ring[p]!.id, 1 + rnd(5))];
      }
      return transfer(ring[p]!.id, ring[q]!.id, 1 + rnd(9));
    });
    const results = await mapPool(requests, 64, (body, i) => both[i % 2]!.post('/v1/transfers', body));
    expectNo5xx(results);
    let ok = 0;
    for (const r of results) {
      if (r.status === 201) ok++;
      else if (r.status === 200) ok += (r.body.results as any[]).filter((x) => x.ok).length;
      else expectProblem(r, 422, 'exceeds_credits', 'amount');
      if (r.status === 200) for (const item of r.body.results as any[]) if (!item.ok) expect(['exceeds_credits', 'linked_event_failed']).toContain(item.code);
    }
    expect(ok).toBeGreaterThan(300);
    let net = 0n;
    for (const r of ring) {
      const v = await balances(a, r.id);
      expect(v.debits_posted).toBeLessThanOrEqual(v.credits_posted);
      net += v.credits_posted - v.debits_posted;
    }
    expect(net).toBe(FUND * 8n);
    await expectInvariantsOk(new Client(servers[0]!.base, data.keys.admin));
  });

  it('both processes stop cleanly, and PostgreSQL recorded no deadlock in this database', async () => {
    const retries = await Promise.all(
      servers.map(async (s) => metricValue((await new Client(s.base, data.keys.metrics).get('/metrics')).text, 'capillary_ledger_batch_retries_total') ?? 0),
    );
    await Promise.all(servers.map((s) => s.stop()));
    for (const s of servers) expect((await s.exited).code, s.output().slice(-2000)).toBe(0);
    // Backends flush their statistics when they exit (the pools closed on shutdown).
    const dbName = new URL(data.env.database_url!).pathname.slice(1);
    let deadlocks = -1;
    for (let attempt = 0; attempt < 20; attempt++) {
      const [row] = await pgQuery<{ deadlocks: string; n: string }>(
        data.env.database_url!,
        `SELECT d.deadlocks::text AS deadlocks, (SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid())::text AS n
         FROM pg_stat_database d WHERE d.datname = $1`,
        [dbName],
      );
      deadlocks = Number(row!.deadlocks);
      if (row!.n === '0') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(deadlocks, `batch retries: ${retries.join(', ')}`).toBe(0);
  });
});

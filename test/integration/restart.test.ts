/**
 * SIGKILL in the middle of a load. The real server runs as a child process (PGlite file
 * mode in a temp folder, or PostgreSQL); clients send transfers with ids they chose; the
 * process is killed mid-load and started again on the same data. Every transfer that was
 * acknowledged must be there exactly once with the same fields; re-sending every id must
 * replay the committed ones and apply the rest, never twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { ENGINE } from '../helpers/env.js';
import { Client, expectProblem, mapPool } from '../helpers/http.js';
import { LIMITED, account, allTransfersOf, bal, balances, createAccounts, expectInvariantsOk, mustTransfer, transfer, type TransferBody } from '../helpers/ledger.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';

const M = 1200;
const CLIENTS = 32;
const KILL_AFTER_ACKS = 400;

let dir: TempDir;
let data: PreparedData;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData(ENGINE, dir.path);
});
afterAll(async () => {
  await killAll();
  await data?.drop();
  dir?.remove();
});

const isRunning = (s: ServerProcess | undefined): s is ServerProcess => !!s && s.child.exitCode === null && s.child.signalCode === null;

type Outcome = { kind: 'acked'; body: any } | { kind: 'refused'; status: number; text: string } | { kind: 'lost'; error: string } | { kind: 'unsent' };

describe(`restart after SIGKILL mid-load (${ENGINE})`, { timeout: 180_000 }, () => {
  it('keeps every acknowledged transfer exactly once, and replays or applies each id once on re-send', async () => {
    server = await spawnServer(data.env);
    let api = new Client(server.base, data.keys.rw);
    const sinks = Array.from({ length: 4 }, () => account());
    const [bank, source] = await createAccounts(api, [account({ code: 1001 }), account({ flags: LIMITED })]);
    await createAccounts(api, sinks);
    const bodies: TransferBody[] = Array.from({ length: M }, (_, i) => transfer(source, sinks[i % 4]!.id, 1 + (i % 9), { code: 3, metadata: { n: i } }));
    const total = bodies.reduce((s, b) => s + BigInt(b.amount!), 0n);
    // Funded with exactly the total: a transfer applied twice would make a later one fail.
    await mustTransfer(api, transfer(bank, source, total));

    const outcomes: Outcome[] = bodies.map(() => ({ kind: 'unsent' }));
    let acked = 0;
    let killed: Promise<void> | undefined;
    let inFlightAtKill = 0;
    let inFlight = 0;
    const victim = server;
    await mapPool(bodies, CLIENTS, async (body, i) => {
      if (killed) return;
      inFlight++;
      try {
        const res = await api.post('/v1/transfers', body);
        outcomes[i] = res.status === 201 ? { kind: 'acked', body: res.body } : { kind: 'refused', status: res.status, text: res.text };
        if (res.status === 201 && ++acked === KILL_AFTER_ACKS) {
          inFlightAtKill = inFlight - 1;
          killed = victim.kill();
        }
      } catch (err) {
        outcomes[i] = { kind: 'lost', error: String((err as Error).cause ?? err) };
      } finally {
        inFlight--;
      }
    });
    await killed;
    expect((await victim.exited).signal).toBe('SIGKILL');

    const refused = outcomes.filter((o) => o.kind === 'refused');
    expect(refused, JSON.stringify(refused.slice(0, 3))).toEqual([]);
    const ackedIds = outcomes.flatMap((o, i) => (o.kind === 'acked' ? [i] : []));
    expect(ackedIds.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    // The kill really landed mid-load: requests were in flight and ids were left unsent.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.kind === 'unsent').length).toBeGreaterThan(0);

    server = await spawnServer(data.env);
    api = new Client(server.base, data.keys.rw);

    // What survived, read through the listing (every page) and, for a sample, one by one.
    const survivors = await allTransfersOf(api, source);
    const byId = new Map(survivors.map((x) => [x.id as string, x]));
    expect(byId.size, 'no id listed twice').toBe(survivors.length);
    const index = new Map(bodies.map((b, i) => [b.id, i]));
    const committed = new Set(survivors.filter((x) => x.debit_account_id === source).map((x) => index.get(x.id)!));
    expect(committed.size).toBe(survivors.length - 1); // and the funding transfer
    for (const i of ackedIds) {
      const ack = (outcomes[i] as { body: any }).body;
      expect(byId.get(ack.id), `acknowledged transfer ${i} lost`).toEqual(ack);
    }
    const sample = [...committed].filter((i) => i % 20 === 0);
    for (const [k, res] of (await mapPool(sample, CLIENTS, (i) => api.get(`/v1/transfers/${bodies[i]!.id}`))).entries()) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...byId.get(bodies[sample[k]!]!.id), pending_state: null });
    }
    outcomes.forEach((o, i) => {
      if (o.kind === 'unsent') expect(committed.has(i), `never-sent transfer ${i} exists`).toBe(false);
    });
    const before = await balances(api, source);
    const committedTotal = [...committed].reduce((s, i) => s + BigInt(bodies[i]!.amount!), 0n);
    expect(before).toMatchObject(bal(committedTotal, total));

    // Re-send every id: committed → 200 (the original), the rest → 201; nothing twice.
    const resent = await mapPool(bodies, CLIENTS, (body) => api.post('/v1/transfers', body));
    resent.forEach((res, i) => {
      const expected = committed.has(i) ? 200 : 201;
      expect(res.status, `transfer ${i}: ${res.text.slice(0, 200)}`).toBe(expected);
      if (committed.has(i)) expect(res.body).toEqual(byId.get(bodies[i]!.id));
    });

    expect(await balances(api, source)).toMatchObject(bal(total, total));
    const perSink = new Map<string, bigint>();
    for (const b of bodies) perSink.set(b.credit_account_id!, (perSink.get(b.credit_account_id!) ?? 0n) + BigInt(b.amount!));
    for (const sink of sinks) expect(await balances(api, sink.id)).toMatchObject(bal(0, perSink.get(sink.id)!));
    const listed = await allTransfersOf(api, source);
    expect(listed).toHaveLength(M + 1);
    expect(new Set(listed.map((x) => x.id)).size).toBe(M + 1);
    await expectInvariantsOk(new Client(server.base, data.keys.admin));
  });

  it('the server’s background sweep expires pending transfers after their timeout', async () => {
    if (!isRunning(server)) server = await spawnServer(data.env);
    const api = new Client(server.base, data.keys.rw);
    const [x, y] = await createAccounts(api, [account(), account()]);
    const hold = await mustTransfer(api, transfer(x, y, 7, { flags: { pending: true }, timeout_seconds: 1 }));
    const keep = await mustTransfer(api, transfer(x, y, 5, { flags: { pending: true }, timeout_seconds: 3600 }));
    let state = 'pending';
    for (let i = 0; i < 100 && state === 'pending'; i++) { // the sweep runs every second by default
      await new Promise((r) => setTimeout(r, 100));
      state = (await api.get(`/v1/transfers/${hold.id}`)).body.pending_state;
    }
    expect(state).toBe('expired');
    expect((await api.get(`/v1/transfers/${keep.id}`)).body.pending_state).toBe('pending');
    expect(await balances(api, x)).toMatchObject(bal(0, 0, 5, 0));
  });

  it('SIGTERM in the middle of a load: accepted transfers commit, the rest are refused cleanly, exit 0', async () => {
    const running = isRunning(server) ? server : await spawnServer(data.env);
    const api = new Client(running.base, data.keys.rw);
    const [payer, payee] = await createAccounts(api, [account(), account()]);
    const bodies = Array.from({ length: 800 }, () => transfer(payer, payee, 1));
    const outcomes: (number | 'lost' | 'unsent')[] = bodies.map(() => 'unsent');
    let acked = 0;
    let stopping: Promise<void> | undefined;
    await mapPool(bodies, CLIENTS, async (body, i) => {
      if (stopping && running.child.exitCode !== null) return;
      try {
        const res = await api.post('/v1/transfers', body);
        outcomes[i] = res.status;
        if (res.status === 503) expectProblem(res, 503, 'unavailable');
        if (res.status === 201 && ++acked === 200) stopping = running.stop();
      } catch {
        outcomes[i] = 'lost'; // connection closed or refused: may or may not have committed
      }
    });
    await stopping;
    expect((await running.exited).code, running.output().slice(-2000)).toBe(0);
    const statuses = new Set(outcomes.filter((o) => typeof o === 'number'));
    // Only created, or "unavailable" while stopping: never a 500.
    expect([...statuses].every((s) => s === 201 || s === 503), [...statuses].join(',')).toBe(true);
    // The stop landed mid-load.
    expect(outcomes.filter((o) => o === 'unsent' || o === 'lost' || o === 503).length).toBeGreaterThan(0);

    server = await spawnServer(data.env);
    const again = new Client(server.base, data.keys.rw);
    const listed = new Set((await allTransfersOf(again, payer)).map((x) => x.id as string));
    bodies.forEach((b, i) => {
      if (outcomes[i] === 201) expect(listed.has(b.id), `acknowledged ${i}`).toBe(true);
      if (outcomes[i] === 503 || outcomes[i] === 'unsent') expect(listed.has(b.id), `refused ${i}`).toBe(false);
    });
    expect(await balances(again, payer)).toMatchObject(bal(listed.size, 0));
    await expectInvariantsOk(new Client(server.base, data.keys.admin));
    await server.stop();
  });
});

/**
 * The expiry refund survives SIGKILL: the real server (PGlite file mode in a temp folder,
 * or PostgreSQL) is killed while its background sweep is refunding expired envelopes and
 * started again, and in the end every expired envelope was refunded exactly once: one
 * refund transfer (code 9103) per holding account, refunded_amount = total - claimed, the
 * sender's balance exact, the ledger invariants ok.
 *
 * Killing at an exact point inside the sweep is not deterministic, so the test does three
 * kinds of round: (A) a long sweep interval, so the passes of the sweep (200 envelopes
 * each) are far apart, and a kill as soon as HTTP shows the first pass committed: the
 * count read afterwards (SQL, with the process gone) must be partial, i.e. the kill landed
 * mid-sweep; (B) back-to-back passes and a kill at a random moment, which may land inside
 * a refund transaction; (C) a last start that finishes the sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { ENGINE } from '../helpers/env.js';
import { Client, mapPool } from '../helpers/http.js';
import { allTransfersOf, balances, bal, expectInvariantsOk } from '../helpers/ledger.js';
import { ENVELOPE_CODES, allListed, envelopeBody, fundedAccount, grab, recipients, type Recipient } from '../helpers/envelopes.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';
import { openDb } from '../../src/db/open.js';
import type { Queryable } from '../../src/db/port.js';

const N = 400; // envelopes; every fifth is emptied by grabs, the other 320 are refunded (sweep passes of up to 200: two)
const SHARES = 4;
const FUNDS = 10_000_000n;
const SENDERS = ['restart-sender-a', 'restart-sender-b']; // two list pages' worth, one per sender

let dir: TempDir;
let data: PreparedData;

beforeAll(async () => {
  dir = tempDir('capillary-envelopes-restart-');
  data = await prepareServerData(ENGINE, dir.path);
});
afterAll(async () => {
  await killAll();
  await data?.drop();
  dir?.remove();
});

const start = (sweep_interval_ms: number): Promise<ServerProcess> =>
  spawnServer({ ...data.env, env: { EXPIRY_SWEEP_INTERVAL_MS: String(sweep_interval_ms) } });

/** Runs SQL on the data directly. PGlite: only while no server has the folder open. */
async function withData<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
  const db = await openDb(ENGINE === 'pglite' ? { data_dir: dir.path } : { database_url: data.env.database_url, data_dir: 'unused' });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Envelopes refunded so far, read through SQL (the server must be down on PGlite). */
const refundedInDb = () =>
  withData(async (db) => Number((await db.query<{ n: bigint }>(`SELECT count(*) AS n FROM envelopes WHERE status = 'expired'`)).rows[0]!.n));

/** Envelopes refunded so far, read through HTTP from a running server. */
async function refundedOverHttp(api: Client): Promise<number> {
  let n = 0;
  for (const sender of SENDERS) n += (await allListed(api, { sent_by: sender })).filter((x) => x.envelope.status === 'expired').length;
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Made {
  id: string;
  holding: string;
  total: bigint;
  claimed: bigint;
  emptied: boolean;
}

describe(`expiry refund across SIGKILL (${ENGINE})`, { timeout: 240_000 }, () => {
  it('kills the server mid-sweep, restarts it, and every expired envelope is refunded exactly once', async () => {
    // ---- setup through a server whose sweep does not run (nothing is due yet anyway)
    let server = await start(3_600_000);
    let api = new Client(server.base, data.keys.envelopes);
    const { account: funding } = await fundedAccount(api, FUNDS);
    const people: Recipient[] = await recipients(api, SHARES);
    const made: Made[] = await mapPool(Array.from({ length: N }, (_, i) => i), 16, async (i) => {
      const body = envelopeBody(funding, {
        sender_customer_id: SENDERS[i % 2]!,
        total_amount: String(400 + (i % 7) * 12),
        share_count: SHARES,
        mode: i % 2 ? 'equal' : 'random',
      });
      const res = await api.post('/v1/envelopes', body);
      expect(res.status, res.text).toBe(201);
      const grabs = i % 5; // 0..4 grabs; 4 empties the envelope
      let claimed = 0n;
      for (const who of people.slice(0, grabs)) {
        const g = await grab(api, res.body, who);
        expect(g.status, g.text).toBe(201);
        claimed += BigInt(g.body.amount);
      }
      return { id: body.id, holding: res.body.holding_account_id, total: BigInt(body.total_amount), claimed, emptied: grabs === SHARES };
    });
    const due = made.filter((m) => !m.emptied);
    expect(due.length).toBe(N - N / 5);
    const totalFunded = made.reduce((s, m) => s + m.total, 0n);
    const totalRefund = due.reduce((s, m) => s + m.total - m.claimed, 0n);
    expect(await balances(api, funding)).toMatchObject(bal(totalFunded, FUNDS));
    await server.stop();
    expect((await server.exited).code, server.output().slice(-2000)).toBe(0);

    // ---- test fixture: make every envelope past its expiry by moving expires_at back in the
    // database directly (the API cannot create an envelope that expires in less than 60 s).
    await withData((db) => db.query(`UPDATE envelopes SET expires_at = now() - interval '1 hour'`));
    expect(await refundedInDb()).toBe(0);

    const rounds: { kind: string; before: number; after: number; note?: string }[] = [];

    // ---- round A: passes 2 s apart; kill as soon as the first pass shows over HTTP
    server = await start(2_000);
    api = new Client(server.base, data.keys.envelopes);
    let seen = 0;
    const deadline = Date.now() + 30_000;
    while (seen === 0 && Date.now() < deadline) {
      seen = await refundedOverHttp(api);
      if (seen === 0) await sleep(20);
    }
    await server.kill();
    expect((await server.exited).signal).toBe('SIGKILL');
    const afterA = await refundedInDb();
    rounds.push({ kind: 'A', before: 0, after: afterA, note: `HTTP showed ${seen}` });
    expect(seen, JSON.stringify(rounds)).toBeGreaterThan(0);
    // Killed mid-sweep: some refunded (committed passes survive the kill), some not yet.
    expect(afterA, JSON.stringify(rounds)).toBeGreaterThanOrEqual(seen);
    expect(afterA, JSON.stringify(rounds)).toBeLessThan(due.length);

    // ---- rounds B: passes back to back; kill at a random moment
    let before = afterA;
    for (let round = 0; round < 2 && before < due.length; round++) {
      server = await start(10);
      const delay = Math.floor(Math.random() * 150);
      await sleep(delay);
      await server.kill();
      const after = await refundedInDb();
      rounds.push({ kind: 'B', before, after, note: `killed ${delay} ms after ready` });
      expect(after, JSON.stringify(rounds)).toBeGreaterThanOrEqual(before);
      before = after;
    }

    // ---- round C: let the sweep finish
    server = await start(50);
    api = new Client(server.base, data.keys.envelopes);
    const admin = new Client(server.base, data.keys.admin);
    let refunded = 0;
    const finish = Date.now() + 60_000;
    while (refunded < due.length && Date.now() < finish) {
      refunded = await refundedOverHttp(api);
      if (refunded < due.length) await sleep(100);
    }
    rounds.push({ kind: 'C', before, after: refunded });
    expect(refunded, JSON.stringify(rounds)).toBe(due.length);
    await sleep(300); // several more sweeps: nothing is due, nothing may change

    // ---- every envelope: exactly one refund if it expired with money left, none if emptied
    const problems: string[] = [];
    await mapPool(made, 16, async (m) => {
      const view = (await api.get(`/v1/envelopes/${m.id}`)).body;
      const refunds = (await allTransfersOf(api, m.holding)).filter((x) => x.code === ENVELOPE_CODES.refund);
      const holding = await balances(api, m.holding);
      const left = holding.credits_posted - holding.debits_posted;
      const expected = m.emptied
        ? { status: 'empty', refunded: '0', refunds: 0, claimed: String(m.total) }
        : { status: 'expired', refunded: String(m.total - m.claimed), refunds: 1, claimed: String(m.claimed) };
      const got = { status: view.status, refunded: view.refunded_amount, refunds: refunds.length, claimed: view.claimed_amount };
      if (JSON.stringify(got) !== JSON.stringify(expected) || left !== 0n || view.remaining_amount !== '0') {
        problems.push(`${m.id}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}, holding balance ${left}`);
      }
      if (refunds.length === 1 && (refunds[0].amount !== expected.refunded || refunds[0].credit_account_id !== funding)) {
        problems.push(`${m.id}: refund transfer ${JSON.stringify(refunds[0])}`);
      }
    });
    expect(problems.slice(0, 10), `${problems.length} envelopes wrong; rounds ${JSON.stringify(rounds)}`).toEqual([]);
    expect(await balances(api, funding)).toMatchObject(bal(totalFunded, FUNDS + totalRefund));
    await expectInvariantsOk(admin);
    await server.stop();
    expect((await server.exited).code, server.output().slice(-2000)).toBe(0);

    // ---- and in the database itself: one refund transfer per holding account, no more
    const [counts] = await withData(async (db) =>
      (
        await db.query<{ refunds: bigint; holdings: bigint }>(
          `SELECT count(*) AS refunds, count(DISTINCT debit_account_id) AS holdings FROM transfers WHERE code = $1`,
          [ENVELOPE_CODES.refund],
        )
      ).rows,
    );
    expect({ refunds: Number(counts!.refunds), holdings: Number(counts!.holdings) }).toEqual({ refunds: due.length, holdings: due.length });
  });
});

/**
 * Two server processes on one PostgreSQL database, each with its own grab lanes and
 * batched writer, grabbing one hot envelope at once: the envelope row lock keeps the
 * shares exact across processes (no oversell, no customer paid twice), with no 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { Client, expectProblem, mapPool, type Res } from '../helpers/http.js';
import { expectInvariantsOk } from '../helpers/ledger.js';
import {
  envelopeBody,
  expectBalancesEqualGrabs,
  expectEnvelopeExact,
  fundedAccount,
  grab,
  mustCreateEnvelope,
  postedBalance,
  recipients,
  tally,
} from '../helpers/envelopes.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';

let dir: TempDir;
let data: PreparedData;
let servers: ServerProcess[] = [];
let a: Client;
let b: Client;
let both: Client[];
let funding: string;

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData('postgres', dir.path);
  servers = await Promise.all([spawnServer(data.env), spawnServer(data.env)]);
  [a, b] = servers.map((s) => new Client(s.base, data.keys.envelopes)) as [Client, Client];
  both = [a, b];
  funding = (await fundedAccount(a, 100_000_000)).account;
});
afterAll(async () => {
  await killAll();
  await data?.drop();
  dir?.remove();
});

function expectNo5xx(results: readonly Res[]): void {
  expect(results.filter((r) => r.status >= 500).map((r) => r.text.slice(0, 200)).slice(0, 5)).toEqual([]);
}

describe('one hot envelope, two processes', { timeout: 120_000 }, () => {
  const SHARES = 1000;
  const GRABBERS = 5000;
  const TOTAL = 1_000_000n;

  it(`${GRABBERS} grabs split across both processes on ${SHARES} shares: exactly ${SHARES} paid, no customer twice, sums exact`, async () => {
    const people = await recipients(a, GRABBERS);
    const view = await mustCreateEnvelope(b, envelopeBody(funding, { total_amount: String(TOTAL), share_count: SHARES }));
    const results = await mapPool(people, 256, (who, i) => grab(both[i % 2]!, view, who));
    expectNo5xx(results);
    expect(tally(results)).toEqual({ '201': SHARES, '409 envelope_empty': GRABBERS - SHARES });
    for (const r of results) if (r.status !== 201) expectProblem(r, 409, 'envelope_empty');
    // Both processes really paid grabs (each locked the envelope row in turn).
    const wonAt = [0, 1].map((p) => results.filter((r, i) => r.status === 201 && i % 2 === p).length);
    expect(wonAt[0]).toBeGreaterThan(0);
    expect(wonAt[1]).toBeGreaterThan(0);

    const paid = new Map<string, bigint>();
    results.forEach((r, i) => r.status === 201 && paid.set(people[i]!.account_id, BigInt(r.body.amount)));
    expect(paid.size).toBe(SHARES);
    expect([...paid.values()].reduce((s, x) => s + x, 0n)).toBe(TOTAL);

    for (const client of both) {
      const { view: final, grabs } = await expectEnvelopeExact(client, view.id);
      expect(final).toMatchObject({ status: 'empty', claimed_count: SHARES, claimed_amount: String(TOTAL), remaining_amount: '0' });
      expect(new Set(grabs.map((g) => g.customer_id)).size).toBe(SHARES);
      expect(grabs.map((g) => g.position)).toEqual(Array.from({ length: SHARES }, (_, i) => i + 1));
    }
    await expectBalancesEqualGrabs(b, paid);
    await expectInvariantsOk(new Client(servers[0]!.base, data.keys.admin));
  });

  it('the same customers sent to both processes at once: each paid at most once, the other answer is the same grab', async () => {
    const SHARES2 = 1000;
    const people = await recipients(b, 2000);
    const view = await mustCreateEnvelope(a, envelopeBody(funding, { total_amount: '500000', share_count: SHARES2 }));
    const pairs = await mapPool(people, 128, (who) => Promise.all([grab(a, view, who), grab(b, view, who)]));
    expectNo5xx(pairs.flat());
    const paid = new Map<string, bigint>();
    pairs.forEach(([ra, rb], i) => {
      const summary = `${people[i]!.customer_id}: ${ra.status} ${ra.text.slice(0, 150)} | ${rb.status} ${rb.text.slice(0, 150)}`;
      const statuses = [ra.status, rb.status].sort();
      if (statuses[0] === 409 && statuses[1] === 409) {
        expect([ra.body.code, rb.body.code], summary).toEqual(['envelope_empty', 'envelope_empty']);
        return;
      }
      expect(statuses, summary).toEqual([200, 201]);
      expect(ra.body, summary).toEqual(rb.body);
      paid.set(people[i]!.account_id, BigInt(ra.body.amount));
    });
    expect(paid.size).toBe(SHARES2);
    expect([...paid.values()].reduce((s, x) => s + x, 0n)).toBe(500000n);
    const { view: final, grabs } = await expectEnvelopeExact(a, view.id);
    expect(final).toMatchObject({ status: 'empty', claimed_count: SHARES2 });
    expect(new Set(grabs.map((g) => g.customer_id)).size).toBe(SHARES2);
    await expectBalancesEqualGrabs(a, paid);
    const unpaid = people.filter((p) => !paid.has(p.account_id)).slice(0, 50);
    for (const p of unpaid) expect(await postedBalance(b, p.account_id)).toBe(0n);
    await expectInvariantsOk(new Client(servers[1]!.base, data.keys.admin));
  });

  it('the same customer into two different accounts through the two processes: one account is paid, the other is already_grabbed', async () => {
    const people = await recipients(a, 400);
    const view = await mustCreateEnvelope(b, envelopeBody(funding, { total_amount: '100000', share_count: 200, mode: 'equal' }));
    // Customer k grabs into their own account at one process and into account k+200's at the other.
    const pairs = await mapPool(people.slice(0, 200), 64, (who, k) =>
      Promise.all([grab(a, view, who), grab(b, view, { customer_id: who.customer_id, account_id: people[k + 200]!.account_id })]),
    );
    expectNo5xx(pairs.flat());
    const paid = new Map<string, bigint>();
    pairs.forEach(([ra, rb], k) => {
      const summary = `${ra.status} ${ra.text.slice(0, 150)} | ${rb.status} ${rb.text.slice(0, 150)}`;
      const winner = ra.status === 201 ? ra : rb;
      const loser = winner === ra ? rb : ra;
      expect(winner.status, summary).toBe(201);
      expectProblem(loser, 409, 'already_grabbed');
      expect(winner.body.amount).toBe('500');
      paid.set(winner === ra ? people[k]!.account_id : people[k + 200]!.account_id, 500n);
    });
    expect(paid.size).toBe(200);
    for (const p of people) expect(await postedBalance(a, p.account_id), p.account_id).toBe(paid.get(p.account_id) ?? 0n);
    const { view: final } = await expectEnvelopeExact(b, view.id);
    expect(final).toMatchObject({ status: 'empty', claimed_count: 200 });
  });

  it('both processes stop cleanly', async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const s of servers) expect((await s.exited).code, s.output().slice(-2000)).toBe(0);
  });
});

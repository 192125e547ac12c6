/**
 * GET /v1/pending-transfers: open holds only (not posted, voided or plain transfers),
 * oldest first, cursor-paginated, scope ledger:read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { createAccounts, account, mustTransfer, transfer } from '../helpers/ledger.js';

let t: TestApp;
let api: Client;

beforeAll(async () => {
  t = await startTestApp();
  api = t.api;
});
afterAll(async () => {
  await t?.close();
});

async function allPending(limit: number): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const res: { status: number; body: any } = await api.get(`/v1/pending-transfers?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

describe('GET /v1/pending-transfers', () => {
  it('lists the open holds only, oldest first, across pages', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    await mustTransfer(api, transfer(b, a, 10_000));
    const holds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const body = transfer(a, b, 100 + i, { flags: { pending: true }, timeout_seconds: 3600 });
      await mustTransfer(api, body);
      holds.push(body.id);
    }
    await mustTransfer(api, transfer(a, b, 7)); // a plain transfer: never listed
    await mustTransfer(api, { id: uuid7(), pending_id: holds[1]!, flags: { post_pending: true } });
    await mustTransfer(api, { id: uuid7(), pending_id: holds[3]!, flags: { void_pending: true } });

    const listed = await allPending(2);
    const open = [holds[0], holds[2], holds[4]];
    expect(listed.map((x) => x.id)).toEqual(open);
    expect(listed.every((x) => x.pending_state === 'pending' && x.flags.pending === true)).toBe(true);
    expect(listed[0]).toMatchObject({ debit_account_id: a, credit_account_id: b, amount: '100', currency: 'USD' });
    expect(listed[0].expires_at).not.toBeNull();
  });

  it('needs ledger:read and refuses a foreign cursor', async () => {
    const noScope = api.as(t.keys.metrics);
    expect((await noScope.get('/v1/pending-transfers')).status).toBe(403);
    expect((await api.as(null).get('/v1/pending-transfers')).status).toBe(401);
    expect((await api.as(t.keys.read).get('/v1/pending-transfers?limit=1')).status).toBe(200);
    expectProblem(await api.get('/v1/pending-transfers?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor');
    expect((await api.get('/v1/pending-transfers?limit=0')).status).toBe(400);
  });
});

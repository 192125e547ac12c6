/**
 * Red envelopes in the customer API: send from my own account with a share link, see one only
 * as its sender or with the link token, grab into my own account (replay-safe), who got what,
 * expiry, and the list of what I sent. Every balance is checked to the minor unit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/http.js';
import { fund, signUpCustomer, type SignedUp } from '../helpers/webauthn.js';
import { ManualClock } from '../../src/server/clock.js';
import { linkAccount } from '../../src/openbanking/customers-store.js';
import { AccountFlags, type AccountId } from '../../src/ledger/types.js';
import { Client } from '../helpers/http.js';

let t: TestApp<ManualClock>;
let alice: SignedUp;
let bob: SignedUp;
let carol: SignedUp;
let dave: SignedUp;
const account: Record<string, string> = {};
const FUNDED = 100_000n;

const balance = async (c: SignedUp, id?: string): Promise<bigint> => {
  const items = (await c.me.get('/v1/me/accounts')).body.items as { id: string; balance_minor: string }[];
  return BigInt((id ? items.find((a) => a.id === id) : items[0])!.balance_minor);
};
const tokenOf = (link: string): string => new URL(link, 'http://x').searchParams.get('token')!;

async function send(from: SignedUp, body: Record<string, unknown> = {}) {
  return from.me.post('/v1/me/envelopes', {
    id: randomUUID(),
    from_account_id: account[from.customer.display_name],
    mode: 'random',
    total_amount_minor: '1000',
    share_count: 3,
    greeting: 'Happy new year',
    ...body,
  });
}

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.now()) });
  alice = await signUpCustomer(t.base, 'Alice', '+8613700000001');
  bob = await signUpCustomer(t.base, 'Bob', '+8613700000002');
  carol = await signUpCustomer(t.base, 'Carol', '+8613700000003');
  dave = await signUpCustomer(t.base, 'Dave', '+8613700000004');
  for (const c of [alice, bob, carol, dave]) account[c.customer.display_name] = (await c.me.get('/v1/me/accounts')).body.items[0].id;
  await fund(t.app, account.Alice!, FUNDED);
});
afterAll(async () => t?.close());

describe('sending', () => {
  it('sends a lucky envelope from my account with a share link, idempotently', async () => {
    const id = randomUUID();
    const res = await send(alice, { id });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      id,
      mode: 'random',
      currency: 'CNY',
      total_amount_minor: '1000',
      remaining_amount_minor: '1000',
      claimed_count: 0,
      share_count: 3,
      greeting: 'Happy new year',
      status: 'open',
    });
    expect(res.body.share_link).toMatch(new RegExp(`^/app/envelopes/${id}\\?token=[A-Za-z0-9_-]{22}$`));
    expect(new Date(res.body.expires_at).getTime() - new Date(res.body.created_at).getTime()).toBe(24 * 3600 * 1000);
    expect(await balance(alice)).toBe(FUNDED - 1000n);

    const again = await send(alice, { id });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expectProblem(await send(alice, { id, total_amount_minor: '1001' }), 409, 'exists_with_different_fields', 'id');
    // Bob reusing Alice's id from his own account does not see or change her envelope.
    await fund(t.app, account.Bob!, 5000n);
    expectProblem(await send(bob, { id }), 409, 'exists_with_different_fields', 'id');
    expect(await balance(alice)).toBe(FUNDED - 1000n);
    expect(await balance(bob)).toBe(5000n);
  });

  it('refuses another customer\'s account, too little money, and bad splits, moving nothing', async () => {
    const before = await balance(alice);
    expectProblem(await send(bob, { from_account_id: account.Alice }), 404, 'account_not_found', 'from_account_id');
    expectProblem(await send(alice, { total_amount_minor: '99999999' }), 422, 'insufficient_funds', 'total_amount_minor');
    expectProblem(await send(alice, { mode: 'equal', total_amount_minor: '1000', share_count: 3 }), 422, 'envelope_amount_not_divisible', 'total_amount_minor');
    expectProblem(await send(alice, { total_amount_minor: '2', share_count: 3 }), 422, 'envelope_amount_too_small', 'total_amount_minor');
    expectProblem(await send(alice, { share_count: 0 }), 400, 'envelope_shares_out_of_range', 'share_count');
    expectProblem(await send(alice, { expires_in_seconds: 10 }), 400, 'envelope_expiry_out_of_range', 'expires_in_seconds');
    expectProblem(await send(alice, { total_amount_minor: '-5' }), 400, 'invalid_request');
    expect(await balance(alice)).toBe(before);
    const anonymous = new Client(t.base, null);
    expectProblem(await anonymous.post('/v1/me/envelopes', { id: randomUUID() }), 401, 'unauthorized');
  });
});

describe('grabbing', () => {
  it('shows an envelope only to its sender and to holders of the link token', async () => {
    const sent = (await send(alice)).body;
    const token = tokenOf(sent.share_link);
    const mine = await alice.me.get(`/v1/me/envelopes/${sent.id}`);
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body).toMatchObject({ sender_name: 'Alice', sent_by_me: true, share_link: sent.share_link, claimed_count: 0, grabs: [], my_grab: null });
    const byLink = await bob.me.get(`/v1/me/envelopes/${sent.id}?token=${token}`);
    expect(byLink.status, byLink.text).toBe(200);
    expect(byLink.body).toMatchObject({ sender_name: 'Alice', sent_by_me: false, greeting: 'Happy new year', remaining_amount_minor: '1000', share_count: 3 });
    expect(byLink.body.share_link).toBeUndefined();
    expectProblem(await bob.me.get(`/v1/me/envelopes/${sent.id}`), 404, 'envelope_not_found');
    expectProblem(await bob.me.get(`/v1/me/envelopes/${sent.id}?token=${token.slice(1)}x`), 404, 'envelope_not_found');
    expectProblem(await bob.me.get(`/v1/me/envelopes/${randomUUID()}?token=${token}`), 404, 'envelope_not_found');
    expectProblem(await bob.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: 'wrong' }), 404, 'envelope_not_found');
  });

  it('grabs into my own account, replays safely, and everyone sees who got what', async () => {
    const sent = (await send(alice, { total_amount_minor: '1000', share_count: 3 })).body;
    const token = tokenOf(sent.share_link);
    const before = { alice: await balance(alice), bob: await balance(bob), carol: await balance(carol) };

    // Not into someone else's account.
    expectProblem(await bob.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token, account_id: account.Alice }), 404, 'account_not_found', 'account_id');

    const first = await bob.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ envelope_id: sent.id, currency: 'CNY', account_id: account.Bob, position: 1, replayed: false });
    const bobGot = BigInt(first.body.amount_minor);
    expect(bobGot).toBeGreaterThan(0n);
    const replay = await bob.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ amount_minor: first.body.amount_minor, position: 1, replayed: true });

    // Bob's second account: a grab into it is already_grabbed, and nothing moves.
    const second = randomUUID();
    const [created] = await t.app.ledger.createAccounts([{ id: second as AccountId, currency: 'CNY', code: 2001, flags: AccountFlags.debits_must_not_exceed_credits }]);
    expect(created!.ok).toBe(true);
    await linkAccount(t.app.ledger.db, { customer_id: bob.customer.id, account_id: second, nickname: 'Savings', now: t.clock.now() });
    expectProblem(await bob.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token, account_id: second }), 409, 'already_grabbed');
    expect(await balance(bob, second)).toBe(0n);

    const carolGot = BigInt((await carol.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token })).body.amount_minor);
    const aliceGrab = await alice.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token });
    expect(aliceGrab.status, aliceGrab.text).toBe(201);
    const aliceGot = BigInt(aliceGrab.body.amount_minor);
    expect(bobGot + carolGot + aliceGot).toBe(1000n);
    expectProblem(await dave.me.post(`/v1/me/envelopes/${sent.id}/grabs`, { link_token: token }), 409, 'envelope_empty');

    // Bob has two accounts now (same created_at under the test clock): name the one the grab paid into.
    expect(await balance(bob, account.Bob)).toBe(before.bob + bobGot);
    expect(await balance(carol)).toBe(before.carol + carolGot);
    expect(await balance(alice)).toBe(before.alice + aliceGot);
    expect(await balance(dave)).toBe(0n);

    const seen = await carol.me.get(`/v1/me/envelopes/${sent.id}?token=${token}`);
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body).toMatchObject({ status: 'empty', claimed_count: 3, claimed_amount_minor: '1000', remaining_amount_minor: '0', grabs_truncated: false });
    expect(seen.body.my_grab).toMatchObject({ amount_minor: carolGot.toString(), position: 2, account_id: account.Carol });
    const lines = seen.body.grabs as { position: number; name: string; amount_minor: string; luckiest: boolean; mine: boolean }[];
    expect(lines.map((g) => [g.position, g.name, g.amount_minor, g.mine])).toEqual([
      [1, 'Bob', bobGot.toString(), false],
      [2, 'Carol', carolGot.toString(), true],
      [3, 'Alice', aliceGot.toString(), false],
    ]);
    const largest = [bobGot, carolGot, aliceGot].reduce((a, b) => (b > a ? b : a));
    expect(lines.filter((g) => g.luckiest)).toHaveLength(1);
    expect(BigInt(lines.find((g) => g.luckiest)!.amount_minor)).toBe(largest);
    // No customer or account ids of other grabbers in the view.
    expect(JSON.stringify(seen.body)).not.toContain(bob.customer.id);
    expect(JSON.stringify(seen.body)).not.toContain(account.Bob!);
  });

  it('splits an equal envelope equally, and an expired one refuses grabs and goes back to the sender', async () => {
    const equal = (await send(alice, { mode: 'equal', total_amount_minor: '900', share_count: 3 })).body;
    const got = await dave.me.post(`/v1/me/envelopes/${equal.id}/grabs`, { link_token: tokenOf(equal.share_link) });
    expect(got.body.amount_minor).toBe('300');

    const before = await balance(alice);
    const short = (await send(alice, { total_amount_minor: '500', share_count: 2, expires_in_seconds: 60 })).body;
    const token = tokenOf(short.share_link);
    const bobGot = BigInt((await bob.me.post(`/v1/me/envelopes/${short.id}/grabs`, { link_token: token })).body.amount_minor);
    t.clock.advance(61_000);
    expectProblem(await carol.me.post(`/v1/me/envelopes/${short.id}/grabs`, { link_token: token }), 409, 'envelope_expired');
    expect((await carol.me.get(`/v1/me/envelopes/${short.id}?token=${token}`)).body).toMatchObject({ status: 'expired', claimed_count: 1 });
    await t.app.envelopes.refundExpired();
    const after = (await alice.me.get(`/v1/me/envelopes/${short.id}`)).body;
    expect(after).toMatchObject({ status: 'expired', refunded_amount_minor: (500n - bobGot).toString(), remaining_amount_minor: '0' });
    expect(await balance(alice)).toBe(before - bobGot);
  });
});

describe('my envelopes', () => {
  it('lists what I sent, newest first, a page at a time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      ids.push((await send(dave, { total_amount_minor: '3', share_count: 1 })).body.id);
    }
    const first = await dave.me.get('/v1/me/envelopes?limit=2');
    expect(first.status, first.text).toBe(200);
    expect(first.body.items.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items[0]).toMatchObject({ total_amount_minor: '3', share_count: 1, status: 'open' });
    expect(first.body.items[0].share_link).toContain(`/app/envelopes/${ids[2]}?token=`);
    const rest = await dave.me.get(`/v1/me/envelopes?limit=2&cursor=${first.body.next_cursor}`);
    expect(rest.body.items.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(rest.body.next_cursor).toBeNull();
    expect((await bob.me.get('/v1/me/envelopes')).body.items).toEqual([]);
    expectProblem(await dave.me.get('/v1/me/envelopes?cursor=bm9wZQ'), 400, 'invalid_cursor');
  });
});

/**
 * Red envelopes through HTTP: create (replays, conflicts, every validation code, nothing
 * changed by a refusal), grabs (audiences, replays, ledger refusals that leave the share),
 * expiry and the refund (exactly once, retried while the sender's account refuses),
 * reads (luckiest, pagination, sent/received lists), scopes and the OpenAPI document.
 * Time is a ManualClock; every envelope ends with its money checked to the minor unit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, mapPool, uuid7, type Res } from '../helpers/http.js';
import { account, allTransfersOf, bal, balances, createAccounts, expectInvariantsOk } from '../helpers/ledger.js';
import {
  ENVELOPE_CODES,
  allGrabs,
  allListed,
  customerId,
  envelopeBody,
  expectEnvelopeExact,
  fundedAccount,
  getEnvelope,
  grab,
  mustCreateEnvelope,
  mustGrab,
  postedBalance,
  recipients,
  type EnvelopeBody,
  type Recipient,
} from '../helpers/envelopes.js';
import { REFUND_RETRY_MS, derivedId } from '../../src/envelopes/core.js';
import { toEnvelopeInput } from '../../src/envelopes/schemas.js';
import { REFUND_SWEEP_BATCH } from '../../src/envelopes/service.js';

const T0 = Date.UTC(2026, 0, 1);
const FUNDS = 10_000_000n;

let t: TestApp<ManualClock>;
/** envelopes:read/write + ledger:read/write. */
let api: Client;
let admin: Client;
/** The default sender's funding account (CNY), funded with FUNDS. */
let funding: string;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  api = new Client(t.base, t.keys.envelopes);
  admin = t.admin;
  funding = (await fundedAccount(api, FUNDS)).account;
});
afterAll(async () => {
  await t?.close();
});

const create = (body: EnvelopeBody | Record<string, unknown>) => api.post('/v1/envelopes', body);
const body = (over: Partial<EnvelopeBody> = {}) => envelopeBody(funding, over);
const one = async (): Promise<Recipient> => (await recipients(api, 1))[0]!;
/** The in-process envelope service (refundExpired is the sweep's one pass). */
const app = () => t.app.envelopes;

describe('create', () => {
  it('201 funds the holding account at once; the same body again is 200 with the same envelope', async () => {
    const { account: from } = await fundedAccount(api, 5000);
    const b = envelopeBody(from, { total_amount: '1888', share_count: 6, greeting: '恭喜发财 🧧', sender_customer_id: 'alice' });
    const res = await create(b);
    expect(res.status, res.text).toBe(201);
    const view = res.body;
    expect(view).toMatchObject({
      id: b.id,
      sender_customer_id: 'alice',
      funding_account_id: from,
      holding_account_id: derivedId(b.id, 'holding_account'),
      currency: 'CNY',
      total_amount: '1888',
      share_count: 6,
      mode: 'random',
      greeting: '恭喜发财 🧧',
      audience: { kind: 'link' },
      status: 'open',
      claimed_count: 0,
      claimed_amount: '0',
      remaining_shares: 6,
      remaining_amount: '1888',
      refunded_amount: '0',
      refund_error: null,
      luckiest_position: null,
      finished_at: null,
      created_at: new Date(T0).toISOString(),
    });
    expect(view.link_token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(view.expires_at) - Date.parse(view.created_at)).toBe(86_400_000);
    // Money moved at once: the sender's account is debited, the holding account holds the total.
    expect(await balances(api, from)).toMatchObject(bal(1888, 5000));
    expect(await balances(api, view.holding_account_id)).toMatchObject(bal(0, 1888));
    const holdingTransfers = await allTransfersOf(api, view.holding_account_id);
    expect(holdingTransfers).toHaveLength(1);
    expect(holdingTransfers[0]).toMatchObject({ id: derivedId(b.id, 'fund'), debit_account_id: from, credit_account_id: view.holding_account_id, amount: '1888', code: ENVELOPE_CODES.fund });
    expect(await getEnvelope(api, b.id)).toEqual(view);

    t.clock.advance(1000);
    const again = await create(b);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(view);
    // An upper-case id is the same envelope.
    const upper = await create({ ...b, id: b.id.toUpperCase() });
    expect(upper.status, upper.text).toBe(200);
    expect(upper.body).toEqual(view);
    expect(await balances(api, from)).toMatchObject(bal(1888, 5000));
  });

  it('a customers audience in another order or with repeats is the same envelope (200)', async () => {
    const b = body({ audience: { kind: 'customers', customer_ids: ['x-1', 'x-2', 'x-3'] } });
    const view = await mustCreateEnvelope(api, b);
    expect(view.audience).toEqual({ kind: 'customers' });
    const again = await create({ ...b, audience: { kind: 'customers', customer_ids: ['x-3', 'x-1', 'x-2', 'x-1'] } });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(view);
  });

  it('the same id with other fields is 409 exists_with_different_fields and moves no money', async () => {
    const { account: from } = await fundedAccount(api, 5000);
    const { account: other } = await fundedAccount(api, 5000);
    const b = envelopeBody(from, { total_amount: '1000', share_count: 5 });
    const view = await mustCreateEnvelope(api, b);
    const variants: Record<string, unknown>[] = [
      { ...b, total_amount: '1001' },
      { ...b, share_count: 4 },
      { ...b, mode: 'equal' },
      { ...b, greeting: 'hi' },
      { ...b, sender_customer_id: 'someone-else' },
      { ...b, expires_in_seconds: 3600 },
      { ...b, audience: { kind: 'customers', customer_ids: ['x-1'] } },
      { ...b, funding_account_id: other },
    ];
    for (const variant of variants) expectProblem(await create(variant), 409, 'exists_with_different_fields');
    // A funding account in another currency collides on the holding account: still the same code.
    const { account: usd } = await fundedAccount(api, 5000, 'USD');
    expectProblem(await create({ ...b, funding_account_id: usd }), 409, 'exists_with_different_fields', 'id');
    expect(await balances(api, from)).toMatchObject(bal(1000, 5000));
    expect(await balances(api, other)).toMatchObject(bal(0, 5000));
    expect(await balances(api, usd)).toMatchObject(bal(0, 5000));
    expect(await getEnvelope(api, b.id)).toEqual(view);
  });

  it('the same create sent 20 times at once: one 201, the rest 200 with the same envelope, funded once', async () => {
    const { account: from } = await fundedAccount(api, 5000);
    const b = envelopeBody(from, { total_amount: '1200', share_count: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, () => create(b)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201), results.map((r) => `${r.status} ${r.text.slice(0, 120)}`).join('\n')).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    for (const r of results) expect(r.body).toEqual(results[0]!.body);
    expect(await balances(api, from)).toMatchObject(bal(1200, 5000));
    expect((await expectEnvelopeExact(api, b.id)).view).toMatchObject({ remaining_amount: '1200' });
  });

  it('the same create handed to the service 30 times at once (several land in one writer batch): one new, the rest replays, no error', async () => {
    const { account: from } = await fundedAccount(api, 5000);
    const b = envelopeBody(from, { total_amount: '1200', share_count: 3 });
    const settled = await Promise.allSettled(Array.from({ length: 30 }, () => app().create(toEnvelopeInput(b))));
    const seen = settled.map((r) => (r.status === 'rejected' ? `error: ${String(r.reason).slice(0, 100)}` : r.value.ok ? (r.value.replayed ? 'replayed' : 'new') : r.value.code));
    expect(seen.filter((s) => s === 'new'), seen.join('\n')).toHaveLength(1);
    expect(seen.filter((s) => s === 'replayed')).toHaveLength(29);
    expect(await balances(api, from)).toMatchObject(bal(1200, 5000));
  });

  it('an envelope of one share, and of the maximum 10,000 shares, are accepted', async () => {
    const single = await mustCreateEnvelope(api, body({ total_amount: '1', share_count: 1 }));
    expect(single).toMatchObject({ share_count: 1, remaining_shares: 1 });
    const big = await mustCreateEnvelope(api, body({ total_amount: '10000', share_count: 10_000, mode: 'equal' }));
    expect(big).toMatchObject({ share_count: 10_000, remaining_amount: '10000' });
    const week = await mustCreateEnvelope(api, body({ expires_in_seconds: 604_800 }));
    expect(Date.parse(week.expires_at) - Date.parse(week.created_at)).toBe(604_800_000);
    const minute = await mustCreateEnvelope(api, body({ expires_in_seconds: 60 }));
    expect(Date.parse(minute.expires_at) - Date.parse(minute.created_at)).toBe(60_000);
  });
});

describe('create refusals change nothing', () => {
  const sender = customerId('refused');
  let from: string;
  let bank: string;
  const attempted: string[] = [];
  const refusedBody = (over: Partial<EnvelopeBody> = {}) => {
    const b = envelopeBody(from, { sender_customer_id: sender, total_amount: '1000', share_count: 10, ...over });
    attempted.push(b.id);
    return b;
  };
  const refusedRaw = (patch: Record<string, unknown>) => ({ ...refusedBody(), ...patch });

  beforeAll(async () => {
    ({ account: from, bank } = await fundedAccount(api, 5000));
  });

  it('share_count outside 1..10,000 is 400 envelope_shares_out_of_range (share_count)', async () => {
    for (const share_count of [0, -1, 10_001, 1_000_000]) {
      expectProblem(await create(refusedBody({ share_count, total_amount: '2000000' })), 400, 'envelope_shares_out_of_range', 'share_count');
    }
    expectProblem(await create(refusedRaw({ share_count: 2.5 })), 400, 'invalid_request', 'body.share_count');
    expectProblem(await create(refusedRaw({ share_count: '10' })), 400, 'invalid_request', 'body.share_count');
  });

  it('less than one minor unit per share is 422 envelope_amount_too_small (total_amount)', async () => {
    expectProblem(await create(refusedBody({ total_amount: '9', share_count: 10 })), 422, 'envelope_amount_too_small', 'total_amount');
    expectProblem(await create(refusedBody({ total_amount: '1', share_count: 2, mode: 'equal' })), 422, 'envelope_amount_too_small', 'total_amount');
  });

  it('an equal envelope whose total does not divide is 422 envelope_amount_not_divisible (total_amount)', async () => {
    const res = await create(refusedBody({ total_amount: '1000', share_count: 3, mode: 'equal' }));
    expectProblem(res, 422, 'envelope_amount_not_divisible', 'total_amount');
    expect(res.body.detail).toMatch(/999|1002/);
  });

  it('expires_in_seconds outside 60..604,800 is 400 envelope_expiry_out_of_range (expires_in_seconds)', async () => {
    for (const expires_in_seconds of [0, 59, 604_801, -60]) {
      expectProblem(await create(refusedBody({ expires_in_seconds })), 400, 'envelope_expiry_out_of_range', 'expires_in_seconds');
    }
  });

  it('an audience of more than 10,000 customers is 400 envelope_audience_too_large; an empty one is invalid_request', async () => {
    const customer_ids = Array.from({ length: 10_001 }, (_, i) => `aud-${i}`);
    expectProblem(await create(refusedBody({ audience: { kind: 'customers', customer_ids } })), 400, 'envelope_audience_too_large', 'audience.customer_ids');
    expectProblem(await create(refusedBody({ audience: { kind: 'customers', customer_ids: [] } })), 400, 'invalid_request', 'audience.customer_ids');
  });

  it('an audience of 20,000 customers is envelope_audience_too_large as well (not a generic schema error)', async () => {
    const customer_ids = Array.from({ length: 20_000 }, (_, i) => `aud-${i}`);
    expectProblem(await create(refusedBody({ audience: { kind: 'customers', customer_ids } })), 400, 'envelope_audience_too_large', 'audience.customer_ids');
  });

  it('a group that does not exist is 404 customer_group_not_found; a group without members is invalid_request', async () => {
    expectProblem(await create(refusedBody({ audience: { kind: 'group', group_id: 'no-such-group' } })), 404, 'customer_group_not_found', 'audience.group_id');
    const empty = customerId('g-empty');
    expect((await api.put(`/v1/customer-groups/${empty}`, { name: 'nobody', member_customer_ids: [] })).status).toBe(200);
    expectProblem(await create(refusedBody({ audience: { kind: 'group', group_id: empty } })), 400, 'invalid_request', 'audience.group_id');
  });

  it('a sender who cannot fund it is 422 exceeds_credits (funding_account_id); a missing account is 404 account_not_found', async () => {
    const short = refusedBody({ total_amount: '5001' });
    expectProblem(await create(short), 422, 'exceeds_credits', 'funding_account_id');
    expectProblem(await create(refusedBody({ funding_account_id: uuid7() })), 404, 'account_not_found', 'funding_account_id');
    // docs/envelopes.md: an empty holding account may remain after a refused funding; it holds nothing.
    const holding = await api.get(`/v1/accounts/${derivedId(short.id, 'holding_account')}`);
    if (holding.status === 200) expect(holding.body).toMatchObject({ debits_posted: '0', credits_posted: '0' });
    else expectProblem(holding, 404, 'account_not_found');
  });

  it('a frozen funding account is 409 account_frozen (funding_account_id)', async () => {
    const { account: frozen } = await fundedAccount(api, 5000);
    expect((await admin.post(`/v1/accounts/${frozen}/freeze`)).status).toBe(200);
    expectProblem(await create(refusedBody({ funding_account_id: frozen })), 409, 'account_frozen', 'funding_account_id');
    expect(await balances(api, frozen)).toMatchObject({ ...bal(0, 5000), status: 'frozen' });
  });

  it('malformed customer ids, unknown fields and wrong types are 400 invalid_request naming the field', async () => {
    for (const bad of ['', 'has space', '-leading-dash', 'x'.repeat(65), 'semi;colon', 'ünicode']) {
      expectProblem(await create(refusedRaw({ sender_customer_id: bad })), 400, 'invalid_request', 'body.sender_customer_id');
    }
    const listed = await create(refusedRaw({ audience: { kind: 'customers', customer_ids: ['fine', 'not fine'] } }));
    expectProblem(listed, 400, 'invalid_request');
    expect(JSON.stringify(listed.body.errors)).toContain('body.audience.customer_ids[1]');
    expectProblem(await create(refusedRaw({ colour: 'red' })), 400, 'invalid_request', 'body.colour');
    expectProblem(await create(refusedRaw({ audience: { kind: 'link', extra: 1 } })), 400, 'invalid_request');
    expectProblem(await create(refusedRaw({ audience: { kind: 'everyone' } })), 400, 'invalid_request');
    expectProblem(await create(refusedRaw({ total_amount: 1000 })), 400, 'invalid_request', 'body.total_amount');
    expectProblem(await create(refusedRaw({ total_amount: '0' })), 400, 'invalid_request', 'body.total_amount');
    expectProblem(await create(refusedRaw({ total_amount: '-5' })), 400, 'invalid_request', 'body.total_amount');
    expectProblem(await create(refusedRaw({ total_amount: '10.50' })), 400, 'invalid_request', 'body.total_amount');
    expectProblem(await create(refusedRaw({ mode: 'lucky' })), 400, 'invalid_request', 'body.mode');
    expectProblem(await create(refusedRaw({ id: 'not-a-uuid' })), 400, 'invalid_request', 'body.id');
    expectProblem(await create(refusedRaw({ funding_account_id: 'nope' })), 400, 'invalid_request', 'body.funding_account_id');
    expectProblem(await create(refusedRaw({ greeting: 'x'.repeat(101) })), 400, 'invalid_request', 'greeting');
    const { share_count: _, ...noShares } = refusedBody();
    expectProblem(await create(noShares), 400, 'invalid_request', 'body.share_count');
  });

  it('after all of that: no envelope exists, the sender lists none, and no money moved', async () => {
    expect(attempted.length).toBeGreaterThan(30);
    for (const id of attempted) {
      if (!/^[0-9a-f-]{36}$/.test(id)) continue;
      expectProblem(await api.get(`/v1/envelopes/${id}`), 404, 'envelope_not_found');
    }
    expect(await allListed(api, { sent_by: sender })).toEqual([]);
    expect(await balances(api, from)).toMatchObject(bal(0, 5000));
    expect(await balances(api, bank)).toMatchObject(bal(5000, 0));
    await expectInvariantsOk(admin);
  });
});

describe('grab', () => {
  it('link envelope: the link token is required and checked; a new grab is 201 and pays through the ledger', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '1000', share_count: 4 }));
    const [alice] = await recipients(api, 1);
    const who = alice!;
    expectProblem(await grab(api, { id: view.id }, who), 403, 'not_in_audience');
    expectProblem(await grab(api, { id: view.id, link_token: 'x'.repeat(22) }, who), 403, 'not_in_audience');
    expectProblem(await grab(api, { id: view.id, link_token: view.link_token.slice(0, -1) }, who), 403, 'not_in_audience');
    expectProblem(await grab(api, { id: view.id, link_token: `${view.link_token}x` }, who), 403, 'not_in_audience');
    expect(await getEnvelope(api, view.id)).toMatchObject({ claimed_count: 0, remaining_amount: '1000' });

    const res = await grab(api, view, who);
    expect(res.status, res.text).toBe(201);
    const g = res.body;
    expect(g).toMatchObject({ envelope_id: view.id, customer_id: who.customer_id, account_id: who.account_id, position: 1, grabbed_at: t.clock.now().toISOString() });
    const amount = BigInt(g.amount);
    expect(amount).toBeGreaterThanOrEqual(1n);
    expect(amount).toBeLessThanOrEqual(500n); // double mean: at most 2 × 1000 / 4
    expect(await balances(api, who.account_id)).toMatchObject(bal(0, amount));
    const paid = await api.get(`/v1/transfers/${g.transfer_id}`);
    expect(paid.body).toMatchObject({ debit_account_id: view.holding_account_id, credit_account_id: who.account_id, amount: g.amount, code: ENVELOPE_CODES.grab });
    expect(await getEnvelope(api, view.id)).toMatchObject({ claimed_count: 1, claimed_amount: g.amount, remaining_shares: 3, remaining_amount: String(1000n - amount), status: 'open' });
    await expectEnvelopeExact(api, view.id);
  });

  it('the same customer into the same account again is 200 with the first grab; into another account 409 already_grabbed', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '900', share_count: 3 }));
    const [who, other] = await recipients(api, 2);
    const first = await mustGrab(api, view, who!);
    t.clock.advance(1000);
    const again = await grab(api, view, who!);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual(first);
    // Upper-case account id is the same account.
    const upper = await grab(api, view, { ...who!, account_id: who!.account_id.toUpperCase() });
    expect(upper.status, upper.text).toBe(200);
    expect(upper.body).toEqual(first);
    const elsewhere = await grab(api, view, { customer_id: who!.customer_id, account_id: other!.account_id });
    expectProblem(elsewhere, 409, 'already_grabbed');
    expect(elsewhere.body.detail).toContain(who!.account_id);
    expect(await postedBalance(api, other!.account_id)).toBe(0n);
    expect(await postedBalance(api, who!.account_id)).toBe(BigInt(first.amount));
    const { view: after } = await expectEnvelopeExact(api, view.id);
    expect(after.claimed_count).toBe(1);
  });

  it('customers audience: only the listed customers may grab (no link token needed)', async () => {
    const [listed, stranger] = await recipients(api, 2);
    const view = await mustCreateEnvelope(api, body({ total_amount: '500', share_count: 5, audience: { kind: 'customers', customer_ids: [listed!.customer_id, 'someone-else'] } }));
    expectProblem(await grab(api, view, stranger!), 403, 'not_in_audience');
    // A listed customer id but a stranger's account: the customer decides, not the account.
    const res = await grab(api, { id: view.id }, listed!);
    expect(res.status, res.text).toBe(201);
    expectProblem(await grab(api, view, { customer_id: stranger!.customer_id, account_id: listed!.account_id }), 403, 'not_in_audience');
    const { view: after } = await expectEnvelopeExact(api, view.id);
    expect(after.claimed_count).toBe(1);
  });

  it('group audience: the members when the envelope was created; changing the group later changes nothing', async () => {
    const [member, leaver, joiner] = await recipients(api, 3);
    const group = customerId('grp');
    const saved = await api.put(`/v1/customer-groups/${group}`, { name: 'Family', member_customer_ids: [member!.customer_id, leaver!.customer_id, member!.customer_id] });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body).toMatchObject({ id: group, name: 'Family', member_customer_ids: [member!.customer_id, leaver!.customer_id].sort() });
    const view = await mustCreateEnvelope(api, body({ total_amount: '300', share_count: 3, mode: 'equal', audience: { kind: 'group', group_id: group } }));
    expect(view.audience).toEqual({ kind: 'group', group_id: group });

    const changed = await api.put(`/v1/customer-groups/${group}`, { name: 'Family (new)', member_customer_ids: [joiner!.customer_id] });
    expect(changed.status).toBe(200);
    expect((await api.get(`/v1/customer-groups/${group}`)).body).toMatchObject({ name: 'Family (new)', member_customer_ids: [joiner!.customer_id] });

    expectProblem(await grab(api, view, joiner!), 403, 'not_in_audience');
    expect((await grab(api, view, member!)).status).toBe(201);
    expect((await grab(api, view, leaver!)).status).toBe(201);
    const { view: after } = await expectEnvelopeExact(api, view.id);
    expect(after).toMatchObject({ claimed_count: 2, claimed_amount: '200', remaining_amount: '100' });
  });

  it('an unknown envelope is 404 envelope_not_found; malformed ids and bodies are 400 naming the field', async () => {
    const who = await one();
    expectProblem(await grab(api, { id: uuid7(), link_token: 'x' }, who), 404, 'envelope_not_found');
    expectProblem(await api.get(`/v1/envelopes/${uuid7()}`), 404, 'envelope_not_found');
    expectProblem(await api.get(`/v1/envelopes/${uuid7()}/grabs`), 404, 'envelope_not_found');
    expectProblem(await api.get('/v1/envelopes/not-a-uuid'), 400, 'invalid_request');
    const view = await mustCreateEnvelope(api, body({ total_amount: '100', share_count: 1 }));
    expectProblem(await api.post('/v1/envelopes/not-a-uuid/grabs', { customer_id: who.customer_id, account_id: who.account_id }), 400, 'invalid_request');
    expectProblem(await grab(api, view, { ...who, customer_id: 'has space' }), 400, 'invalid_request', 'body.customer_id');
    expectProblem(await grab(api, view, { ...who, account_id: 'nope' }), 400, 'invalid_request', 'body.account_id');
    expectProblem(await grab(api, view, who, { tip: 1 }), 400, 'invalid_request', 'body.tip');
    expectProblem(await api.post(`/v1/envelopes/${view.id}/grabs`, { account_id: who.account_id, link_token: view.link_token }), 400, 'invalid_request', 'body.customer_id');
    expect(await getEnvelope(api, view.id)).toMatchObject({ claimed_count: 0, remaining_amount: '100' });
  });

  it('random mode: every share is at least 1 and the shares add up to the total; then envelope_empty', async () => {
    for (const [total, shares] of [[25n, 20], [1000n, 7], [10n, 10]] as const) {
      const view = await mustCreateEnvelope(api, body({ total_amount: String(total), share_count: shares }));
      const people = await recipients(api, shares + 1);
      const amounts: bigint[] = [];
      for (const who of people.slice(0, shares)) amounts.push(BigInt((await mustGrab(api, view, who)).amount));
      expect(amounts.every((a) => a >= 1n), amounts.join(',')).toBe(true);
      expect(amounts.reduce((s, a) => s + a, 0n)).toBe(total);
      expectProblem(await grab(api, view, people[shares]!), 409, 'envelope_empty');
      const { view: after } = await expectEnvelopeExact(api, view.id);
      expect(after).toMatchObject({ status: 'empty', remaining_amount: '0', remaining_shares: 0, claimed_count: shares, finished_at: t.clock.now().toISOString() });
      // A winner asking again still gets their grab after the envelope is empty.
      expect((await grab(api, view, people[0]!)).status).toBe(200);
    }
  });

  it('equal mode: every share is exactly total / share_count', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '1000', share_count: 8, mode: 'equal' }));
    const people = await recipients(api, 8);
    for (const who of people) expect((await mustGrab(api, view, who)).amount).toBe('125');
    const { view: after } = await expectEnvelopeExact(api, view.id);
    expect(after.status).toBe('empty');
  });
});

describe('payouts the ledger refuses leave the share in the envelope', () => {
  it('a frozen recipient account is 409 account_frozen; a USD account for a CNY envelope is 422 currency_mismatch; a missing one 404', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '300', share_count: 3, mode: 'equal' }));
    const [frozen, good, usdOwner] = await recipients(api, 3);
    expect((await admin.post(`/v1/accounts/${frozen!.account_id}/freeze`)).status).toBe(200);
    expectProblem(await grab(api, view, frozen!), 409, 'account_frozen');
    const [usd] = await createAccounts(api, [account({ currency: 'USD' })]);
    expectProblem(await grab(api, view, { customer_id: usdOwner!.customer_id, account_id: usd }), 422, 'currency_mismatch');
    expectProblem(await grab(api, view, { customer_id: customerId('ghost'), account_id: uuid7() }), 404, 'account_not_found');
    let state = (await expectEnvelopeExact(api, view.id)).view;
    expect(state).toMatchObject({ status: 'open', claimed_count: 0, remaining_shares: 3, remaining_amount: '300' });

    // The refused customers did not grab: they may try again into a good account.
    expect((await mustGrab(api, view, good!)).amount).toBe('100');
    expect((await mustGrab(api, view, { customer_id: usdOwner!.customer_id, account_id: usdOwner!.account_id })).amount).toBe('100');
    expect((await admin.post(`/v1/accounts/${frozen!.account_id}/unfreeze`)).status).toBe(200);
    expect((await mustGrab(api, view, frozen!)).amount).toBe('100');
    state = (await expectEnvelopeExact(api, view.id)).view;
    expect(state).toMatchObject({ status: 'empty', claimed_count: 3, remaining_amount: '0' });
    expect(await balances(api, usd)).toMatchObject(bal(0, 0));
    await expectInvariantsOk(admin);
  });

  it('a refused payout does not cost a grabber in the same batch the last share', async () => {
    // Two grabs handed to the service in the same tick join one batch. The first one's
    // payout is refused (frozen account), so its share stays: the second grabber must get it.
    const view = await mustCreateEnvelope(api, body({ total_amount: '50', share_count: 1 }));
    const [frozen, good] = await recipients(api, 2);
    expect((await admin.post(`/v1/accounts/${frozen!.account_id}/freeze`)).status).toBe(200);
    const ask = (r: Recipient) => t.app.envelopes.grab(view.id, { ...r, link_token: view.link_token });
    const [refused, second] = await Promise.all([ask(frozen!), ask(good!)]);
    expect(refused).toMatchObject({ ok: false, code: 'account_frozen' });
    const state = (await expectEnvelopeExact(api, view.id)).view;
    expect(second, `envelope after the batch: ${state.status}, ${state.remaining_shares} share(s) left`).toMatchObject({ ok: true });
    expect(state).toMatchObject({ status: 'empty', claimed_count: 1 });
  });

  it('a customer who got nothing is never told already_grabbed', async () => {
    // One share, three grabs in one batch: A takes it; B asks twice, into two accounts.
    // B got nothing, so both of B's answers must be envelope_empty, not already_grabbed.
    const view = await mustCreateEnvelope(api, body({ total_amount: '50', share_count: 1 }));
    const [a, b, b2] = await recipients(api, 3);
    const ask = (r: Recipient) => t.app.envelopes.grab(view.id, { ...r, link_token: view.link_token });
    const outcomes = await Promise.all([ask(a!), ask(b!), ask({ customer_id: b!.customer_id, account_id: b2!.account_id })]);
    expect(outcomes[0]).toMatchObject({ ok: true, replayed: false });
    expect(outcomes.slice(1).map((o) => (o.ok ? 'ok' : o.code))).toEqual(['envelope_empty', 'envelope_empty']);
    // The same question asked later (answered from memory) gets envelope_empty too.
    expectProblem(await grab(api, view, { customer_id: b!.customer_id, account_id: b2!.account_id }), 409, 'envelope_empty');
  });
});

describe('expiry and refund', () => {
  it('after expires_at grabs are envelope_expired, winners still replay; the refund returns the remainder exactly once', async () => {
    const { account: from } = await fundedAccount(api, 10_000);
    const view = await mustCreateEnvelope(api, envelopeBody(from, { total_amount: '500', share_count: 5, mode: 'equal', expires_in_seconds: 60 }));
    const [w1, w2, late, later] = await recipients(api, 4);
    const g1 = await mustGrab(api, view, w1!);
    await mustGrab(api, view, w2!);
    t.clock.advance(59_000);
    await app().refundExpired(); // not due yet (other tests' envelopes may be)
    expect(await getEnvelope(api, view.id)).toMatchObject({ status: 'open', refunded_amount: '0', remaining_amount: '300' });
    t.clock.advance(1_000); // exactly expires_at

    expectProblem(await grab(api, view, late!), 409, 'envelope_expired');
    expect((await grab(api, view, w1!)).body).toEqual(g1);
    expect(await getEnvelope(api, view.id)).toMatchObject({ status: 'open', claimed_count: 2, remaining_amount: '300', refunded_amount: '0', luckiest_position: null });

    const first = await app().refundExpired();
    expect(first.refunded).toBeGreaterThanOrEqual(1);
    const second = await app().refundExpired();
    expect(second).toMatchObject({ refunded: 0 });

    const { view: after } = await expectEnvelopeExact(api, view.id);
    expect(after).toMatchObject({
      status: 'expired',
      claimed_count: 2,
      claimed_amount: '200',
      remaining_amount: '0',
      remaining_shares: 0,
      refunded_amount: '300',
      refund_error: null,
      luckiest_position: 1, // equal shares: the earliest wins the tie
      finished_at: t.clock.now().toISOString(),
    });
    expect(await balances(api, from)).toMatchObject(bal(500, 10_000 + 300));
    expect(await postedBalance(api, view.holding_account_id)).toBe(0n);
    const refunds = (await allTransfersOf(api, view.holding_account_id)).filter((x) => x.code === ENVELOPE_CODES.refund);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ id: derivedId(view.id, 'refund'), debit_account_id: view.holding_account_id, credit_account_id: from, amount: '300' });

    // After the refund the winners still get their grab; past the lane's grace period the
    // answers come from memory, and newcomers are told envelope_expired.
    expect((await grab(api, view, w1!)).body).toEqual(g1);
    t.clock.advance(10_000);
    expectProblem(await grab(api, view, late!), 409, 'envelope_expired');
    expectProblem(await grab(api, view, later!), 409, 'envelope_expired');
    expect((await grab(api, view, w1!)).body).toEqual(g1);
    expect(await balances(api, from)).toMatchObject(bal(500, 10_300));
    await expectInvariantsOk(admin);
  });

  it('right after the refund (before the lane’s grace period ends) a newcomer is told envelope_expired, not envelope_empty', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '500', share_count: 5, expires_in_seconds: 60 }));
    const [winner, newcomer] = await recipients(api, 2);
    const won = await mustGrab(api, view, winner!); // loads the lane while the envelope is open
    t.clock.advance(61_000);
    await app().refundExpired();
    expect(await getEnvelope(api, view.id)).toMatchObject({ status: 'expired', remaining_shares: 0, remaining_amount: '0' });
    // 1 s after expires_at: the lane still asks the database.
    expectProblem(await grab(api, view, newcomer!), 409, 'envelope_expired');
    expect((await grab(api, view, winner!)).body).toEqual(won);
  });

  it('an envelope nobody grabbed refunds the whole total; an empty envelope is never refunded', async () => {
    const { account: from } = await fundedAccount(api, 10_000);
    const untouched = await mustCreateEnvelope(api, envelopeBody(from, { total_amount: '777', share_count: 7, expires_in_seconds: 60 }));
    const emptied = await mustCreateEnvelope(api, envelopeBody(from, { total_amount: '20', share_count: 2, expires_in_seconds: 60 }));
    for (const who of await recipients(api, 2)) await mustGrab(api, emptied, who);
    t.clock.advance(61_000);
    await app().refundExpired();
    expect((await expectEnvelopeExact(api, untouched.id)).view).toMatchObject({ status: 'expired', refunded_amount: '777', claimed_count: 0, luckiest_position: null });
    expect((await expectEnvelopeExact(api, emptied.id)).view).toMatchObject({ status: 'empty', refunded_amount: '0', claimed_amount: '20' });
    expect((await allTransfersOf(api, emptied.holding_account_id)).filter((x) => x.code === ENVELOPE_CODES.refund)).toHaveLength(0);
    expect(await balances(api, from)).toMatchObject(bal(797, 10_777));
  });

  it('two sweeps at once still refund exactly once', async () => {
    const { account: from } = await fundedAccount(api, 10_000);
    const views = [];
    for (let i = 0; i < 5; i++) views.push(await mustCreateEnvelope(api, envelopeBody(from, { total_amount: '100', share_count: 4, expires_in_seconds: 60 })));
    t.clock.advance(61_000);
    const reports = await Promise.allSettled([app().refundExpired(), app().refundExpired(), app().refundExpired()]);
    const failures = reports.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    for (const v of views) {
      expect((await expectEnvelopeExact(api, v.id)).view).toMatchObject({ status: 'expired', refunded_amount: '100' });
      expect((await allTransfersOf(api, v.holding_account_id)).filter((x) => x.code === ENVELOPE_CODES.refund)).toHaveLength(1);
    }
    expect(await balances(api, from)).toMatchObject(bal(500, 10_500));
    await expectInvariantsOk(admin);
  });

  it('while the sender’s account is frozen the refund is refused (refund_error, still open) and retried until it goes through', async () => {
    const { account: from } = await fundedAccount(api, 1000);
    const view = await mustCreateEnvelope(api, envelopeBody(from, { total_amount: '600', share_count: 3, mode: 'equal', expires_in_seconds: 60 }));
    const [winner, late] = await recipients(api, 2);
    await mustGrab(api, view, winner!);
    expect((await admin.post(`/v1/accounts/${from}/freeze`)).status).toBe(200);
    t.clock.advance(61_000);

    const refused = await app().refundExpired();
    expect(refused.failed).toBeGreaterThanOrEqual(1);
    let state = (await expectEnvelopeExact(api, view.id)).view;
    expect(state).toMatchObject({ status: 'open', refund_error: 'account_frozen', refunded_amount: '0', remaining_amount: '400', luckiest_position: null });
    expectProblem(await grab(api, view, late!), 409, 'envelope_expired');
    // A refused refund waits REFUND_RETRY_MS before the sweep tries it again.
    expect(state.refund_retry_at).toBe(new Date(t.clock.now().getTime() + REFUND_RETRY_MS).toISOString());
    expect(await app().refundExpired()).toEqual({ refunded: 0, failed: 0 });
    t.clock.advance(REFUND_RETRY_MS);
    expect((await app().refundExpired()).failed).toBeGreaterThanOrEqual(1); // tried again, refused again
    expect(await balances(api, from)).toMatchObject(bal(600, 1000));

    expect((await admin.post(`/v1/accounts/${from}/unfreeze`)).status).toBe(200);
    t.clock.advance(REFUND_RETRY_MS);
    const done = await app().refundExpired();
    expect(done.refunded).toBeGreaterThanOrEqual(1);
    state = (await expectEnvelopeExact(api, view.id)).view;
    expect(state).toMatchObject({ status: 'expired', refund_error: null, refund_retry_at: null, refunded_amount: '400', remaining_amount: '0' });
    expect(await balances(api, from)).toMatchObject(bal(600, 1400));
    expect((await allTransfersOf(api, view.holding_account_id)).filter((x) => x.code === ENVELOPE_CODES.refund)).toHaveLength(1);
    await expectInvariantsOk(admin);
  });
});

describe('a sweep with many refusals', () => {
  it('envelopes whose refund is refused (a frozen sender) do not starve other expired envelopes of their refund', async () => {
    // One sweep pass looks at REFUND_SWEEP_BATCH (200) due envelopes, oldest expiry first.
    // 200 envelopes of a frozen sender expire first; another sender's envelope expires later.
    const { account: frozenSender } = await fundedAccount(api, 100_000);
    const { account: other } = await fundedAccount(api, 1000);
    const stuck = await mapPool(Array.from({ length: REFUND_SWEEP_BATCH }, (_, i) => i), 16, () =>
      mustCreateEnvelope(api, envelopeBody(frozenSender, { total_amount: '10', share_count: 2, expires_in_seconds: 60 })),
    );
    t.clock.advance(1000);
    const waiting = await mustCreateEnvelope(api, envelopeBody(other, { total_amount: '300', share_count: 3, expires_in_seconds: 60 }));
    expect((await admin.post(`/v1/accounts/${frozenSender}/freeze`)).status).toBe(200);
    t.clock.advance(61_000);
    try {
      for (let sweep = 0; sweep < 3; sweep++) await app().refundExpired(); // three background sweeps
      expect((await getEnvelope(api, stuck[0].id)).refund_error).toBe('account_frozen');
      expect(await getEnvelope(api, waiting.id), 'the other sender’s envelope after three sweeps').toMatchObject({ status: 'expired', refunded_amount: '300' });
      expect(await balances(api, other)).toMatchObject(bal(300, 1300));
    } finally {
      // Leave nothing stuck for the tests after this one.
      await admin.post(`/v1/accounts/${frozenSender}/unfreeze`);
      t.clock.advance(REFUND_RETRY_MS);
      for (let sweep = 0; sweep < 5 && (await app().refundExpired()).refunded > 0; sweep++);
    }
    expect((await expectEnvelopeExact(api, stuck[0].id)).view).toMatchObject({ status: 'expired', refunded_amount: '10' });
  });
});

describe('reads', () => {
  it('the luckiest grab is marked only once the envelope is finished: the largest share, the earliest on a tie', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '1000', share_count: 6 }));
    const people = await recipients(api, 6);
    const amounts: bigint[] = [];
    for (const who of people.slice(0, 5)) amounts.push(BigInt((await mustGrab(api, view, who)).amount));
    expect((await getEnvelope(api, view.id)).luckiest_position).toBeNull();
    expect((await allGrabs(api, view.id)).map((g) => g.luckiest)).toEqual([false, false, false, false, false]);
    amounts.push(BigInt((await mustGrab(api, view, people[5]!)).amount));
    const max = amounts.reduce((m, a) => (a > m ? a : m), 0n);
    const expected = amounts.indexOf(max) + 1;
    expect((await getEnvelope(api, view.id)).luckiest_position).toBe(expected);
    const grabs = await allGrabs(api, view.id);
    expect(grabs.map((g) => BigInt(g.amount))).toEqual(amounts);
    expect(grabs.map((g) => g.luckiest)).toEqual(amounts.map((_, i) => i + 1 === expected));

    const tie = await mustCreateEnvelope(api, body({ total_amount: '40', share_count: 4, mode: 'equal' }));
    for (const who of people.slice(0, 4)) await mustGrab(api, tie, who);
    expect((await getEnvelope(api, tie.id)).luckiest_position).toBe(1);
    expect((await allGrabs(api, tie.id)).map((g) => g.luckiest)).toEqual([true, false, false, false]);
  });

  it('grabs are listed in grab order, cursor-paginated; a foreign or forged cursor is 400 invalid_cursor', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '700', share_count: 7 }));
    const people = await recipients(api, 7);
    const told = [];
    for (const who of people) {
      told.push(await mustGrab(api, view, who));
      t.clock.advance(10);
    }
    const pages: any[][] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api.get(`/v1/envelopes/${view.id}/grabs?${qs}`);
      expect(res.status, res.text).toBe(200);
      pages.push(res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const listed = pages.flat();
    expect(listed.map((g) => g.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(listed.map((g) => g.customer_id)).toEqual(people.map((p) => p.customer_id));
    expect(listed.map(({ luckiest: _, ...g }) => g)).toEqual(told);
    const exact = await api.get(`/v1/envelopes/${view.id}/grabs?limit=7`);
    expect(exact.body.next_cursor).toBeNull();

    for (const bad of ['garbage', Buffer.from('0').toString('base64url'), Buffer.from('99999999').toString('base64url'), Buffer.from(`${T0}|${view.id}`).toString('base64url')]) {
      expectProblem(await api.get(`/v1/envelopes/${view.id}/grabs?cursor=${bad}`), 400, 'invalid_cursor');
    }
    expectProblem(await api.get(`/v1/envelopes/${view.id}/grabs?limit=0`), 400, 'invalid_request');
    expectProblem(await api.get(`/v1/envelopes/${view.id}/grabs?limit=501`), 400, 'invalid_request');
  });

  it('sent_by and received_by list a customer’s envelopes newest first, cursor-paginated', async () => {
    const sender = customerId('sender');
    const [receiver] = await recipients(api, 1);
    const sent: any[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(await mustCreateEnvelope(api, body({ sender_customer_id: sender, total_amount: String(100 + i), share_count: 2 })));
      t.clock.advance(1000);
    }
    // Two envelopes created in the same millisecond are ordered by id.
    const twins = [await mustCreateEnvelope(api, body({ sender_customer_id: sender })), await mustCreateEnvelope(api, body({ sender_customer_id: sender }))];
    t.clock.advance(1000);
    const expectedSent = [...twins.sort((x, y) => (x.id < y.id ? 1 : -1)), ...[...sent].reverse()].map((e) => e.id);

    const pageSizes: number[] = [];
    const walked: any[] = [];
    let cursor: string | null = null;
    do {
      const qs: URLSearchParams = new URLSearchParams({ sent_by: sender, limit: '2', ...(cursor ? { cursor } : {}) });
      const res = await api.get(`/v1/envelopes?${qs}`);
      expect(res.status, res.text).toBe(200);
      pageSizes.push(res.body.data.length);
      walked.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor && pageSizes.length < 10);
    expect(pageSizes).toEqual([2, 2, 2, 1]);
    expect(walked.map((x) => x.envelope.id)).toEqual(expectedSent);
    expect(walked.every((x) => x.grab === undefined && x.envelope.sender_customer_id === sender)).toBe(true);

    const got: any[] = [];
    for (const e of sent.slice(0, 3)) {
      got.push(await mustGrab(api, e, receiver!));
      t.clock.advance(1000);
    }
    const received = await allListed(api, { received_by: receiver!.customer_id }, 2);
    expect(received.map((x) => x.envelope.id)).toEqual(sent.slice(0, 3).map((e) => e.id).reverse());
    expect(received.map((x) => x.grab)).toEqual([...got].reverse());
    expect(received[0].envelope).toMatchObject({ id: sent[2].id, claimed_count: 1 });
    expect(await allListed(api, { sent_by: customerId('nobody') })).toEqual([]);
    expect(await allListed(api, { received_by: customerId('nobody') })).toEqual([]);

    expectProblem(await api.get('/v1/envelopes'), 400, 'invalid_request');
    expectProblem(await api.get(`/v1/envelopes?sent_by=${sender}&received_by=${receiver!.customer_id}`), 400, 'invalid_request');
    expectProblem(await api.get('/v1/envelopes?sent_by=has%20space'), 400, 'invalid_request');
    expectProblem(await api.get(`/v1/envelopes?sent_by=${sender}&cursor=garbage`), 400, 'invalid_cursor');
    expectProblem(await api.get(`/v1/envelopes?sent_by=${sender}&cursor=${Buffer.from('3').toString('base64url')}`), 400, 'invalid_cursor');
    expectProblem(await api.get(`/v1/envelopes?sent_by=${sender}&limit=501`), 400, 'invalid_request');
  });

  it('a finished envelope looks the same in the sent and received lists (and on a create replay) as on GET /v1/envelopes/:id', async () => {
    const sender = customerId('sender');
    const b = body({ sender_customer_id: sender, total_amount: '600', share_count: 3 });
    const created = await mustCreateEnvelope(api, b);
    const people = await recipients(api, 3);
    for (const who of people) await mustGrab(api, created, who);
    const view = await getEnvelope(api, created.id);
    expect(view.status).toBe('empty');
    expect(view.luckiest_position).toBeGreaterThanOrEqual(1);
    const [sent] = await allListed(api, { sent_by: sender });
    expect(sent.envelope, 'sent_by list').toEqual(view);
    const [received] = await allListed(api, { received_by: people[0]!.customer_id });
    expect(received.envelope, 'received_by list').toEqual(view);
    const replay = await create(b);
    expect(replay.status).toBe(200);
    expect(replay.body, 'create replay').toEqual(view);
  });

  it('customer groups: PUT creates or replaces, GET reads; unknown is 404, bad input 400', async () => {
    const id = customerId('grp');
    const first = await api.put(`/v1/customer-groups/${id}`, { name: 'Team', member_customer_ids: ['b', 'a', 'b'] });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ id, name: 'Team', member_customer_ids: ['a', 'b'] });
    t.clock.advance(1000);
    const second = await api.put(`/v1/customer-groups/${id}`, { name: 'Team 2', member_customer_ids: ['c'] });
    expect(second.body).toMatchObject({ id, name: 'Team 2', member_customer_ids: ['c'], created_at: first.body.created_at, updated_at: t.clock.now().toISOString() });
    expect((await api.get(`/v1/customer-groups/${id}`)).body).toEqual(second.body);
    expectProblem(await api.get(`/v1/customer-groups/${customerId('none')}`), 404, 'customer_group_not_found');
    expectProblem(await api.put('/v1/customer-groups/has%20space', { name: 'x', member_customer_ids: [] }), 400, 'invalid_request');
    expectProblem(await api.put(`/v1/customer-groups/${id}`, { name: '', member_customer_ids: [] }), 400, 'invalid_request', 'body.name');
    expectProblem(await api.put(`/v1/customer-groups/${id}`, { name: 'x', member_customer_ids: ['ok', 'not ok'] }), 400, 'invalid_request', 'body.member_customer_ids[1]');
    expectProblem(await api.put(`/v1/customer-groups/${id}`, { name: 'x', member_customer_ids: [], extra: true }), 400, 'invalid_request', 'body.extra');
    expect((await api.get(`/v1/customer-groups/${id}`)).body).toEqual(second.body);
  });
});

describe('scopes and documents', () => {
  it('a ledger-only key is 403 insufficient_scope on every envelope route; no key is 401; a read-only envelope key cannot write', async () => {
    const view = await mustCreateEnvelope(api, body({ total_amount: '100', share_count: 2 }));
    const who = await one();
    const ledgerOnly = new Client(t.base, t.keys.rw);
    const readOnly = new Client(t.base, t.keys.envelopes_read);
    const anonymous = new Client(t.base, null);
    const fresh = body();
    const calls: [string, (c: Client) => Promise<Res>][] = [
      ['create', (c) => c.post('/v1/envelopes', fresh)],
      ['grab', (c) => c.post(`/v1/envelopes/${view.id}/grabs`, { customer_id: who.customer_id, account_id: who.account_id, link_token: view.link_token })],
      ['group', (c) => c.put('/v1/customer-groups/scoped', { name: 'x', member_customer_ids: ['a'] })],
    ];
    const reads: [string, (c: Client) => Promise<Res>][] = [
      ['show', (c) => c.get(`/v1/envelopes/${view.id}`)],
      ['grabs', (c) => c.get(`/v1/envelopes/${view.id}/grabs`)],
      ['list', (c) => c.get('/v1/envelopes?sent_by=sender-1')],
      ['show group', (c) => c.get('/v1/customer-groups/scoped')],
    ];
    for (const [name, call] of [...calls, ...reads]) {
      const res = await call(ledgerOnly);
      expect(res.status, name).toBe(403);
      expectProblem(res, 403, 'insufficient_scope');
      const none = await call(anonymous);
      expectProblem(none, 401, 'unauthorized');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    for (const [name, call] of calls) {
      const res = await call(readOnly);
      expect(res.status, name).toBe(403);
      expectProblem(res, 403, 'insufficient_scope');
    }
    for (const [name, call] of reads.slice(0, 3)) expect((await call(readOnly)).status, name).toBe(200);
    // Nothing was written by the refused calls.
    expectProblem(await api.get(`/v1/envelopes/${fresh.id}`), 404, 'envelope_not_found');
    expectProblem(await api.get('/v1/customer-groups/scoped'), 404, 'customer_group_not_found');
    expect(await getEnvelope(api, view.id)).toMatchObject({ claimed_count: 0 });
    // The admin key holds every scope.
    expect((await admin.post('/v1/envelopes', fresh)).status).toBe(201);
    expect((await admin.post(`/v1/envelopes/${view.id}/grabs`, { customer_id: who.customer_id, account_id: who.account_id, link_token: view.link_token })).status).toBe(201);
  });

  it('the OpenAPI document lists the envelope and customer-group routes; /errors lists their codes', async () => {
    const doc = await new Client(t.base, null).get('/docs/json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/v1/envelopes'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/v1/envelopes/{id}'] ?? {})).toEqual(['get']);
    expect(Object.keys(paths['/v1/envelopes/{id}/grabs'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/v1/customer-groups/{id}'] ?? {}).sort()).toEqual(['get', 'put']);
    const post = paths['/v1/envelopes']!.post as any;
    expect(Object.keys(post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['id', 'sender_customer_id', 'funding_account_id', 'total_amount', 'share_count', 'mode', 'greeting', 'expires_in_seconds', 'audience']),
    );
    expect(post.tags).toEqual(['envelopes']);
    const errors = await new Client(t.base, null).get('/errors');
    const codes = new Map((errors.body as any[]).map((e) => [e.code, e.status]));
    for (const [code, status] of Object.entries({
      envelope_not_found: 404,
      envelope_empty: 409,
      envelope_expired: 409,
      already_grabbed: 409,
      not_in_audience: 403,
      envelope_shares_out_of_range: 400,
      envelope_amount_too_small: 422,
      envelope_amount_not_divisible: 422,
      envelope_expiry_out_of_range: 400,
      envelope_audience_too_large: 400,
      customer_group_not_found: 404,
    })) {
      expect(codes.get(code), code).toBe(status);
    }
  });
});

describe('the whole file', () => {
  it('every envelope created here is exact, and the ledger invariants hold', async () => {
    const senders = ['sender-1', 'alice'];
    let checked = 0;
    for (const sender of senders) {
      for (const { envelope } of await allListed(api, { sent_by: sender })) {
        await expectEnvelopeExact(api, envelope.id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    await expectInvariantsOk(admin);
  });
});

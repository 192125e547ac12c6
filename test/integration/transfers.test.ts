/**
 * Transfers through HTTP: single and batch, every transfer error code with its status,
 * two-phase (post/void/expiry), linked chains, balancing, replays, reads, listings,
 * balances at a past instant, statements and invariants. Time is a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7, type Res } from '../helpers/http.js';
import {
  LIMITED,
  account,
  allTransfersOf,
  bal,
  balances,
  createAccount,
  createAccounts,
  expectInvariantsOk,
  mustTransfer,
  transfer,
  type TransferBody,
} from '../helpers/ledger.js';
import { ERROR_CATALOG } from '../../src/server/problem.js';
import { TRANSFER_ERROR_CODES } from '../../src/ledger/types.js';

const MAX = 9223372036854775807n;
const T0 = Date.UTC(2026, 0, 1);

let t: TestApp<ManualClock>;
let api: Client;
let admin: Client;
let bank: string;
const tick = (ms = 1000) => t.clock.advance(ms);
const iso = () => t.clock.now().toISOString();

/** Codes answered through HTTP in this file, with the status they came with. */
const seen = new Map<string, number>();
function expectCode(res: Res, code: string, field?: string): void {
  const status = ERROR_CATALOG[code]?.status;
  expect(status, `${code} is in ERROR_CATALOG`).toBeDefined();
  expectProblem(res, status!, code, field);
  seen.set(code, res.status);
}

const post = (body: TransferBody | TransferBody[]) => api.post('/v1/transfers', body);
const postPending = (pending_id: string, over: Partial<TransferBody> = {}) => post({ id: uuid7(), pending_id, flags: { post_pending: true }, ...over });
const voidPending = (pending_id: string, over: Partial<TransferBody> = {}) => post({ id: uuid7(), pending_id, flags: { void_pending: true }, ...over });

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  api = t.api;
  admin = t.admin;
  bank = await createAccount(api, { code: 1001 });
});
afterAll(async () => {
  await t?.close();
});

describe('single transfers', () => {
  it('creates (201) and reads back the same transfer', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const body = transfer(a!, b!, 1050, { code: 7, metadata: { memo: 'lunch', n: [1, 2] } });
    const res = await post(body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: body.id,
      debit_account_id: a,
      credit_account_id: b,
      amount: '1050',
      currency: 'USD',
      pending_id: null,
      code: 7,
      flags: { linked: false, pending: false, post_pending: false, void_pending: false, balancing_debit: false, balancing_credit: false },
      timeout_seconds: null,
      expires_at: null,
      metadata: { memo: 'lunch', n: [1, 2] },
      created_at: iso(),
    });
    const read = await api.get(`/v1/transfers/${body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ ...res.body, pending_state: null });
    expect(await balances(api, a!)).toMatchObject(bal(1050, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 1050));
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('replays the same id and fields (200, the original), refuses other fields (409), moves money once', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const body = transfer(a!, b!, 300, { metadata: { x: 1, y: 'z' } });
    const first = await post(body);
    expect(first.status).toBe(201);
    tick();
    const again = await post({ ...body, metadata: { y: 'z', x: 1 } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const upper = await post({ ...body, id: body.id.toUpperCase(), debit_account_id: a!.toUpperCase() });
    expect(upper.status).toBe(200);
    for (const other of [{ amount: '301' }, { code: 2 }, { metadata: null }, { credit_account_id: bank }, { flags: { pending: true } }]) {
      expectCode(await post({ ...body, ...other }), 'exists_with_different_fields', 'id');
    }
    expect(await balances(api, a!)).toMatchObject(bal(300, 0));
  });

  it('applies the same id sent by many clients at once exactly once', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    const body = transfer(a!, b!, 60);
    const responses = await Promise.all(Array.from({ length: 12 }, () => post(body)));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    for (const r of responses) expect(r.body.id).toBe(body.id);
    expect(await balances(api, a!)).toMatchObject(bal(60, 100));
  });

  it('GET /v1/transfers/:id is 404 transfer_not_found for an unknown id', async () => {
    expectProblem(await api.get(`/v1/transfers/${uuid7()}`), 404, 'transfer_not_found');
  });
});

describe('batches', () => {
  it('answers one result per item in order; items see the ones before them; failures do not stop the rest', async () => {
    const [a, b, c] = await createAccounts(api, [account({ flags: LIMITED }), account(), account()]);
    const items = [
      transfer(a!, b!, 10), // no funds yet
      transfer(bank, a!, 100),
      transfer(a!, b!, 70),
      transfer(a!, c!, 31), // 30 left
      transfer(a!, c!, 30),
      transfer(a!, a!, 1),
      transfer(a!, uuid7(), 1),
    ];
    const res = await post(items);
    expect(res.status).toBe(200);
    const results = res.body.results as any[];
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['exceeds_credits', 'ok', 'ok', 'exceeds_credits', 'ok', 'accounts_must_be_different', 'account_not_found']);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results[0]).toMatchObject({ ok: false, field: 'amount' });
    expect(results[6]).toMatchObject({ ok: false, field: 'credit_account_id' });
    expect(results[1]).toMatchObject({ ok: true, replayed: false, transfer: { id: items[1]!.id, amount: '100' } });
    expect(await balances(api, a!)).toMatchObject(bal(100, 100));
    expect(await balances(api, c!)).toMatchObject(bal(0, 30));
    for (const i of [0, 3, 5, 6]) expect((await api.get(`/v1/transfers/${items[i]!.id}`)).status).toBe(404);

    // Replaying the whole batch: committed items are replayed, nothing moves again.
    const again = await post(items);
    const replayed = (again.body.results as any[]).map((r) => (r.ok ? `replayed:${r.replayed}` : r.code));
    expect(replayed).toEqual(['exceeds_credits', 'replayed:true', 'replayed:true', 'exceeds_credits', 'replayed:true', 'accounts_must_be_different', 'account_not_found']);
    expect((again.body.results as any[])[2].transfer).toEqual(results[2].transfer);
    expect(await balances(api, a!)).toMatchObject(bal(100, 100));
    await expectInvariantsOk(admin);
  });

  it('takes the largest batch (8,189 transfers) in one call', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const items = Array.from({ length: 8189 }, (_, i) => transfer(a!, b!, 1 + (i % 10)));
    const res = await post(items);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(8189);
    expect((res.body.results as any[]).every((r) => r.ok && !r.replayed)).toBe(true);
    const total = items.reduce((s, x) => s + BigInt(x.amount!), 0n);
    expect(await balances(api, b!)).toMatchObject(bal(0, total));
  });
});

describe('every transfer error code through HTTP, with its catalog status', () => {
  let usd1: string, usd2: string, eur: string, limited: string, capped: string, frozen: string, closed: string;
  let o1: string, o2: string, o3: string;
  let plain: string;
  const before = new Map<string, unknown>();
  const watched = () => [usd1, usd2, eur, limited, capped, frozen, closed, o1, o2, o3];

  beforeAll(async () => {
    [usd1, usd2, limited, capped, frozen, closed] = (await createAccounts(api, [
      account(),
      account(),
      account({ flags: LIMITED }),
      account({ flags: { credits_must_not_exceed_debits: true } }),
      account(),
      account(),
    ]));
    eur = await createAccount(api, { currency: 'EUR' });
    [o1, o2, o3] = (await createAccounts(api, [account({ currency: 'XPF' }), account({ currency: 'XPF' }), account({ currency: 'XPF' })]));
    await mustTransfer(api, transfer(bank, limited, 100));
    await mustTransfer(api, transfer(o1, o2, MAX));
    plain = (await mustTransfer(api, transfer(usd1, usd2, 5))).id;
    expect((await admin.post(`/v1/accounts/${frozen}/freeze`)).status).toBe(200);
    expect((await admin.post(`/v1/accounts/${closed}/close`)).status).toBe(200);
    for (const id of watched()) before.set(id, await balances(api, id));
  });

  it('shape and account errors', async () => {
    expectCode(await post(transfer(usd1, usd2, 1, { flags: { linked: true } })), 'linked_event_chain_open', 'flags');
    expectCode(await post(transfer(usd1, usd2, 1, { flags: { pending: true, post_pending: true } })), 'flags_are_mutually_exclusive', 'flags');
    expectCode(await post({ id: uuid7(), pending_id: plain, flags: { post_pending: true, void_pending: true } }), 'flags_are_mutually_exclusive', 'flags');
    expectCode(await post({ id: uuid7(), pending_id: plain, flags: { post_pending: true, balancing_debit: true } }), 'flags_are_mutually_exclusive', 'flags');
    const { debit_account_id: _d, ...noDebit } = transfer(usd1, usd2, 1);
    expectCode(await post(noDebit), 'debit_account_id_required', 'debit_account_id');
    const { credit_account_id: _c, ...noCredit } = transfer(usd1, usd2, 1);
    expectCode(await post(noCredit), 'credit_account_id_required', 'credit_account_id');
    const { amount: _a, ...noAmount } = transfer(usd1, usd2, 1);
    expectCode(await post(noAmount), 'amount_required', 'amount');
    const { code: _k, ...noCode } = transfer(usd1, usd2, 1);
    expectCode(await post(noCode), 'code_required', 'code');
    expectCode(await post(transfer(usd1, usd1, 1)), 'accounts_must_be_different', 'credit_account_id');
    expectCode(await post({ id: uuid7(), flags: { post_pending: true } }), 'pending_id_required', 'pending_id');
    expectCode(await post({ id: uuid7(), flags: { void_pending: true } }), 'pending_id_required', 'pending_id');
    expectCode(await post(transfer(usd1, usd2, 1, { pending_id: plain })), 'pending_id_must_be_blank', 'pending_id');
    const self = uuid7();
    expectCode(await post({ id: self, pending_id: self, flags: { post_pending: true } }), 'pending_id_must_be_different', 'pending_id');
    expectCode(await post(transfer(usd1, usd2, 1, { timeout_seconds: 60 })), 'timeout_reserved_for_pending_transfer', 'timeout_seconds');
    expectCode(await post(transfer(uuid7(), usd2, 1)), 'account_not_found', 'debit_account_id');
    expectCode(await post(transfer(usd1, uuid7(), 1)), 'account_not_found', 'credit_account_id');
    expectCode(await post(transfer(usd1, eur, 1)), 'currency_mismatch', 'credit_account_id');
    expectCode(await post(transfer(frozen, usd1, 1)), 'account_frozen', 'debit_account_id');
    expectCode(await post(transfer(usd1, closed, 1)), 'account_closed', 'credit_account_id');
  });

  it('limit and overflow errors', async () => {
    expectCode(await post(transfer(limited, usd1, 101)), 'exceeds_credits', 'amount');
    expectCode(await post(transfer(limited, usd1, 101, { flags: { pending: true } })), 'exceeds_credits', 'amount');
    expectCode(await post(transfer(usd1, capped, 1)), 'exceeds_debits', 'amount');
    expectCode(await post(transfer(o1, o3, 1)), 'overflows_debits', 'amount');
    expectCode(await post(transfer(o3, o2, 1)), 'overflows_credits', 'amount');
    // The largest amount is accepted where there is room, and is exact in JSON.
    const read = await api.get(`/v1/accounts/${o2}`);
    expect(read.body.credits_posted).toBe(MAX.toString());
  });

  it('pending-resolution errors', async () => {
    expectCode(await postPending(uuid7()), 'pending_transfer_not_found', 'pending_id');
    expectCode(await postPending(plain), 'pending_transfer_not_pending', 'pending_id');
    const hold = await mustTransfer(api, transfer(limited, usd1, 50, { flags: { pending: true }, code: 9 }));
    expectCode(await postPending(hold.id, { debit_account_id: usd2 }), 'pending_transfer_has_different_accounts', 'debit_account_id');
    expectCode(await postPending(hold.id, { credit_account_id: usd2 }), 'pending_transfer_has_different_accounts', 'credit_account_id');
    expectCode(await postPending(hold.id, { code: 8 }), 'pending_transfer_has_different_code', 'code');
    expectCode(await postPending(hold.id, { amount: '51' }), 'amount_exceeds_pending', 'amount');
    expectCode(await voidPending(hold.id, { amount: '49' }), 'amount_must_equal_pending', 'amount');
    await mustTransfer(api, { id: uuid7(), pending_id: hold.id, flags: { post_pending: true }, debit_account_id: limited, credit_account_id: usd1, code: 9 });
    expectCode(await postPending(hold.id), 'pending_transfer_already_posted', 'pending_id');
    expectCode(await voidPending(hold.id), 'pending_transfer_already_posted', 'pending_id');

    const hold2 = await mustTransfer(api, transfer(limited, usd1, 10, { flags: { pending: true } }));
    await mustTransfer(api, { id: uuid7(), pending_id: hold2.id, flags: { void_pending: true }, amount: '10' });
    expectCode(await postPending(hold2.id), 'pending_transfer_already_voided', 'pending_id');
    expectCode(await voidPending(hold2.id), 'pending_transfer_already_voided', 'pending_id');

    const hold3 = await mustTransfer(api, transfer(limited, usd1, 5, { flags: { pending: true }, timeout_seconds: 1 }));
    tick(1000);
    expectCode(await postPending(hold3.id), 'pending_transfer_expired', 'pending_id');
    expectCode(await voidPending(hold3.id), 'pending_transfer_expired', 'pending_id');
    expect(await t.app.ledger.expireDuePendings()).toBe(1);
    expectCode(await postPending(hold3.id), 'pending_transfer_expired', 'pending_id');
    // The refused attempts moved nothing: 50 posted, the void and the expiry released the rest.
    expect(await balances(api, limited)).toMatchObject(bal(50, 100, 0, 0));
    before.set(limited, await balances(api, limited));
    before.set(usd1, await balances(api, usd1));
  });

  it('linked_event_failed is reported per item in a batch', async () => {
    const items = [transfer(usd1, usd2, 1, { flags: { linked: true } }), transfer(limited, usd2, 1_000_000)];
    const res = await post(items);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({ ok: false, code: 'linked_event_failed', failed_index: 1 });
    expect(res.body.results[1]).toMatchObject({ ok: false, code: 'exceeds_credits', field: 'amount' });
    seen.set('linked_event_failed', ERROR_CATALOG.linked_event_failed!.status);
  });

  it('none of the refused requests changed a balance', async () => {
    for (const id of watched()) expect(await balances(api, id), id).toEqual(before.get(id));
    await expectInvariantsOk(admin);
  });
});

describe('two-phase transfers', () => {
  it('pending → post in full', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    const hold = await mustTransfer(api, transfer(a!, b!, 80, { flags: { pending: true }, code: 4 }));
    expect(hold.flags.pending).toBe(true);
    expect((await api.get(`/v1/transfers/${hold.id}`)).body.pending_state).toBe('pending');
    expect(await balances(api, a!)).toMatchObject(bal(0, 100, 80, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 0, 0, 80));
    // The reservation counts against the limit.
    expectCode(await post(transfer(a!, b!, 21)), 'exceeds_credits', 'amount');

    const postBody = { id: uuid7(), pending_id: hold.id, flags: { post_pending: true } };
    const posted = await post(postBody);
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ pending_id: hold.id, debit_account_id: a, credit_account_id: b, amount: '80', code: 4 });
    expect((await post(postBody)).status).toBe(200);
    expect((await api.get(`/v1/transfers/${hold.id}`)).body.pending_state).toBe('posted');
    expect(await balances(api, a!)).toMatchObject(bal(80, 100, 0, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 80, 0, 0));
  });

  it('pending → partial post releases the rest', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    const hold = await mustTransfer(api, transfer(a!, b!, 100, { flags: { pending: true } }));
    const posted = await mustTransfer(api, { id: uuid7(), pending_id: hold.id, flags: { post_pending: true }, amount: '30' });
    expect(posted.amount).toBe('30');
    expect(await balances(api, a!)).toMatchObject(bal(30, 100, 0, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 30, 0, 0));
    await mustTransfer(api, transfer(a!, b!, 70));
  });

  it('pending → void releases everything', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    const hold = await mustTransfer(api, transfer(a!, b!, 100, { flags: { pending: true } }));
    const voided = await mustTransfer(api, { id: uuid7(), pending_id: hold.id, flags: { void_pending: true } });
    expect(voided).toMatchObject({ amount: '100', pending_id: hold.id });
    expect((await api.get(`/v1/transfers/${hold.id}`)).body.pending_state).toBe('voided');
    expect(await balances(api, a!)).toMatchObject(bal(0, 100, 0, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 0, 0, 0));
  });

  it('expires after timeout_seconds through the sweep; a late post is pending_transfer_expired', async () => {
    await t.app.ledger.expireDuePendings(); // leftovers of earlier tests
    const [a, b] = await createAccounts(api, [account({ flags: { ...LIMITED, history: true } }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    const hold = await mustTransfer(api, transfer(a!, b!, 60, { flags: { pending: true }, timeout_seconds: 60 }));
    const createdAt = t.clock.now().getTime();
    expect(hold.timeout_seconds).toBe(60);
    expect(hold.expires_at).toBe(new Date(createdAt + 60_000).toISOString());
    const later = await mustTransfer(api, transfer(a!, b!, 10, { flags: { pending: true }, timeout_seconds: 120 }));

    tick(59_000);
    expect(await t.app.ledger.expireDuePendings()).toBe(0);
    expect((await api.get(`/v1/transfers/${hold.id}`)).body.pending_state).toBe('pending');
    tick(1_000); // exactly at the deadline
    expect(await t.app.ledger.expireDuePendings()).toBe(1);
    expect((await api.get(`/v1/transfers/${hold.id}`)).body.pending_state).toBe('expired');
    expect((await api.get(`/v1/transfers/${later.id}`)).body.pending_state).toBe('pending');
    expect(await balances(api, a!)).toMatchObject(bal(0, 100, 10, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 0, 0, 10));
    expectCode(await postPending(hold.id), 'pending_transfer_expired', 'pending_id');
    expect(await t.app.ledger.expireDuePendings()).toBe(0);
    // The history records the release at the expiry instant.
    const at = await api.get(`/v1/accounts/${a}/balances?at=${encodeURIComponent(iso())}`);
    expect(at.body).toMatchObject({ debits_pending: '10', debits_posted: '0', credits_posted: '100' });
    // A post before the deadline still works for the other one.
    await mustTransfer(api, { id: uuid7(), pending_id: later.id, flags: { post_pending: true } });
    expect(await balances(api, a!)).toMatchObject(bal(10, 100, 0, 0));
    await expectInvariantsOk(admin);
  });
});

describe('linked chains', () => {
  it('applies a whole chain, each item seeing the ones before it', async () => {
    const [a, b, c] = await createAccounts(api, [account({ flags: LIMITED }), account({ flags: LIMITED }), account()]);
    const res = await post([
      transfer(bank, a!, 50, { flags: { linked: true } }),
      transfer(a!, b!, 50, { flags: { linked: true } }),
      transfer(b!, c!, 50),
    ]);
    expect((res.body.results as any[]).map((r) => r.ok)).toEqual([true, true, true]);
    expect(await balances(api, c!)).toMatchObject(bal(0, 50));
  });

  it('a failing item fails the chain: its own code, linked_event_failed with failed_index for the rest, nothing applied', async () => {
    const [a, b, c] = await createAccounts(api, [account({ flags: LIMITED }), account(), account()]);
    await mustTransfer(api, transfer(bank, a!, 10));
    const items = [
      transfer(a!, b!, 5, { flags: { linked: true } }),
      transfer(a!, c!, 3, { flags: { linked: true, pending: true } }),
      transfer(a!, b!, 5, { flags: { linked: true } }), // 5 + 3 + 5 > 10
      transfer(b!, c!, 1),
      transfer(a!, c!, 2), // independent, after the chain
      transfer(a!, b!, 1, { flags: { linked: true } }),
      transfer(a!, uuid7(), 1), // failing last item of a second chain
    ];
    const res = await post(items);
    expect(res.status).toBe(200);
    const results = res.body.results as any[];
    expect(results.map((r) => [r.ok ? 'ok' : r.code, r.failed_index])).toEqual([
      ['linked_event_failed', 2],
      ['linked_event_failed', 2],
      ['exceeds_credits', undefined],
      ['linked_event_failed', 2],
      ['ok', undefined],
      ['linked_event_failed', 6],
      ['account_not_found', undefined],
    ]);
    for (const i of [0, 1, 2, 3, 5, 6]) expect((await api.get(`/v1/transfers/${items[i]!.id}`)).status, `item ${i}`).toBe(404);
    expect(await balances(api, a!)).toMatchObject(bal(2, 10, 0, 0));
    expect(await balances(api, b!)).toMatchObject(bal(0, 0, 0, 0));
    expect(await balances(api, c!)).toMatchObject(bal(0, 2, 0, 0));
  });

  it('a chain left open at the end of the request fails as a whole', async () => {
    const [a, b] = await createAccounts(api, [account(), account()]);
    const items = [transfer(a!, b!, 1), transfer(a!, b!, 2, { flags: { linked: true } }), transfer(a!, b!, 3, { flags: { linked: true } })];
    const results = (await post(items)).body.results as any[];
    expect(results.map((r) => [r.ok ? 'ok' : r.code, r.failed_index])).toEqual([
      ['ok', undefined],
      ['linked_event_failed', 2],
      ['linked_event_chain_open', undefined],
    ]);
    expect(await balances(api, a!)).toMatchObject(bal(1, 0));
  });
});

describe('balancing transfers', () => {
  it('balancing_debit moves at most what the debit account has; nothing left is exceeds_credits', async () => {
    const [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    await mustTransfer(api, transfer(bank, a!, 100));
    await mustTransfer(api, transfer(a!, b!, 30));
    await mustTransfer(api, transfer(a!, b!, 20, { flags: { pending: true } }));
    const body = transfer(a!, b!, 1000, { flags: { balancing_debit: true } });
    const swept = await mustTransfer(api, body);
    expect(swept.amount).toBe('50');
    expect((await post(body)).status).toBe(200); // the replay is of the request as sent
    expect(await balances(api, a!)).toMatchObject(bal(80, 100, 20, 0));
    expectCode(await post(transfer(a!, b!, 1, { flags: { balancing_debit: true } })), 'exceeds_credits', 'amount');
    // A smaller request than the room moves the amount asked.
    await mustTransfer(api, transfer(bank, a!, 10));
    expect((await mustTransfer(api, transfer(a!, b!, 4, { flags: { balancing_debit: true } }))).amount).toBe('4');
  });

  it('balancing_credit moves at most what the credit account has room for; no room is exceeds_debits', async () => {
    const [a, cap] = await createAccounts(api, [account(), account({ flags: { credits_must_not_exceed_debits: true } })]);
    await mustTransfer(api, transfer(cap, a!, 50));
    const filled = await mustTransfer(api, transfer(a!, cap, 80, { flags: { balancing_credit: true } }));
    expect(filled.amount).toBe('50');
    expect(await balances(api, cap!)).toMatchObject(bal(50, 50));
    expectCode(await post(transfer(a!, cap!, 1, { flags: { balancing_credit: true } })), 'exceeds_debits', 'amount');
  });
});

describe('reads', () => {
  it('lists an account’s transfers newest first across every page, with from/to/code filters', async () => {
    const [l, x] = await createAccounts(api, [account(), account()]);
    tick(1000);
    const start = t.clock.now();
    const made: { id: string; code: number; at: number }[] = [];
    for (let i = 0; i < 23; i++) {
      const body = i % 3 === 0 ? transfer(x!, l!, i + 1, { code: 7 }) : transfer(l!, x!, i + 1, { code: 8 });
      await mustTransfer(api, body);
      made.push({ id: body.id, code: body.code!, at: t.clock.now().getTime() });
      tick(1000);
    }
    // Another account's transfers must not show up.
    await mustTransfer(api, transfer(bank, x!, 1));
    const newestFirst = made.map((m) => m.id).reverse();

    const pages: string[][] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: Res = await api.get(`/v1/accounts/${l}/transfers?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.body.data.map((d: any) => d.id));
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual(newestFirst);

    expect((await allTransfersOf(api, l!, 'code=7', 2)).map((d) => d.id)).toEqual(made.filter((m) => m.code === 7).map((m) => m.id).reverse());
    const from = new Date(start.getTime() + 5000).toISOString();
    const to = new Date(start.getTime() + 10_000).toISOString();
    const windowed = await allTransfersOf(api, l!, `from=${from}&to=${to}`, 2);
    expect(windowed.map((d) => d.id)).toEqual(made.slice(5, 10).map((m) => m.id).reverse());
    const both = await allTransfersOf(api, l!, `from=${from}&to=${to}&code=8`, 1);
    expect(both.map((d) => d.id)).toEqual(made.slice(5, 10).filter((m) => m.code === 8).map((m) => m.id).reverse());
    expect((await api.get(`/v1/accounts/${l}/transfers?code=9`)).body).toEqual({ data: [], next_cursor: null });

    expectProblem(await api.get(`/v1/accounts/${l}/transfers?cursor=bm9wZQ`), 400, 'invalid_cursor');
    expectProblem(await api.get(`/v1/accounts/${l}/transfers?limit=501`), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await api.get(`/v1/accounts/${l}/transfers?limit=0`), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await api.get(`/v1/accounts/${l}/transfers?from=yesterday`), 400, 'invalid_request', 'querystring.from');
    expectProblem(await api.get(`/v1/accounts/${l}/transfers?colour=red`), 400, 'invalid_request');
    expectProblem(await api.get(`/v1/accounts/${uuid7()}/transfers`), 404, 'account_not_found');
  });

  it('balances at a past instant for a history account; 409 history_not_enabled otherwise', async () => {
    const [h, other, plainAccount] = await createAccounts(api, [account({ flags: { history: true } }), account(), account()]);
    tick(1000);
    const t1 = t.clock.now().getTime();
    await mustTransfer(api, transfer(other!, h!, 100));
    tick(1000);
    const t2 = t.clock.now().getTime();
    const hold = await mustTransfer(api, transfer(h!, other!, 30, { flags: { pending: true } }));
    tick(1000);
    const t3 = t.clock.now().getTime();
    await mustTransfer(api, { id: uuid7(), pending_id: hold.id, flags: { post_pending: true } });
    const at = async (ms: number) => (await api.get(`/v1/accounts/${h}/balances?at=${new Date(ms).toISOString()}`)).body;
    expect(await at(t1 - 1)).toMatchObject({ account_id: h, debits_pending: '0', debits_posted: '0', credits_pending: '0', credits_posted: '0' });
    expect(await at(t1)).toMatchObject({ at: new Date(t1).toISOString(), debits_pending: '0', debits_posted: '0', credits_posted: '100' });
    expect(await at(t2 + 500)).toMatchObject({ debits_pending: '30', debits_posted: '0', credits_posted: '100' });
    expect(await at(t3)).toMatchObject({ debits_pending: '0', debits_posted: '30', credits_posted: '100' });
    expect(await at(t3 + 86_400_000)).toMatchObject({ debits_posted: '30', credits_posted: '100' });

    expectProblem(await api.get(`/v1/accounts/${plainAccount}/balances?at=${iso()}`), 409, 'history_not_enabled');
    expectProblem(await api.get(`/v1/accounts/${h}/balances`), 400, 'invalid_request', 'querystring.at');
    expectProblem(await api.get(`/v1/accounts/${h}/balances?at=soon`), 400, 'invalid_request', 'querystring.at');
    expectProblem(await api.get(`/v1/accounts/${uuid7()}/balances?at=${iso()}`), 404, 'account_not_found');
  });

  it('statements in JSON and CSV: opening + lines = closing, equal to the posted balances', async () => {
    const [s, cp] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
    tick(1000);
    await mustTransfer(api, transfer(cp!, s!, 10_000, { code: 1 })); // before the period: opening 90.00
    await mustTransfer(api, transfer(s!, cp!, 1_000, { code: 1 }));
    tick(1000);
    const from = t.clock.now();
    const lines: { id: string; debit: bigint; credit: bigint }[] = [];
    const add = async (body: TransferBody, debit: number, credit: number) => {
      const created = await mustTransfer(api, body);
      lines.push({ id: created.id, debit: BigInt(debit), credit: BigInt(credit) });
      tick(1000);
    };
    await add(transfer(s!, cp!, 1_050, { code: 2, metadata: { memo: 'lunch, "extra"' } }), 1_050, 0);
    await add(transfer(cp!, s!, 2_575, { code: 3 }), 0, 2_575);
    const hold = await mustTransfer(api, transfer(s!, cp!, 500, { flags: { pending: true } })); // reservation: no line
    tick(1000);
    const held2 = await mustTransfer(api, transfer(s!, cp!, 700, { flags: { pending: true } }));
    await mustTransfer(api, { id: uuid7(), pending_id: held2.id, flags: { void_pending: true } }); // void: no line
    tick(1000);
    await add({ id: uuid7(), pending_id: hold.id, flags: { post_pending: true }, amount: '400' }, 400, 0); // a post is a line
    const to = t.clock.now();
    tick(1000);
    await mustTransfer(api, transfer(cp!, s!, 99)); // after the period

    const res = await api.get(`/v1/accounts/${s}/statement?from=${from.toISOString()}&to=${to.toISOString()}`);
    expect(res.status, res.text).toBe(200);
    const st = res.body;
    expect(st).toMatchObject({ account_id: s, currency: 'USD', currency_scale: 2, from: from.toISOString(), to: to.toISOString(), opening_balance: '9000', truncated: false });
    expect(st.lines.map((l: any) => [l.transfer_id, l.debit, l.credit])).toEqual(lines.map((l) => [l.id, String(l.debit), String(l.credit)]));
    let running = BigInt(st.opening_balance);
    for (const line of st.lines) {
      running += BigInt(line.credit) - BigInt(line.debit);
      expect(line.balance).toBe(String(running));
      expect(line.counterparty_account_id).toBe(cp);
    }
    expect(st.closing_balance).toBe(String(running));
    expect(st.closing_balance).toBe(String(9_000 - 1_050 + 2_575 - 400));
    expect(st.total_debits).toBe('1450');
    expect(st.total_credits).toBe('2575');
    expect(st.lines[0].metadata).toEqual({ memo: 'lunch, "extra"' });

    // Over all time the closing balance is the account's posted balance.
    const whole = (await api.get(`/v1/accounts/${s}/statement?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`)).body;
    const now = await balances(api, s!);
    expect(whole.opening_balance).toBe('0');
    expect(BigInt(whole.closing_balance)).toBe(now.credits_posted - now.debits_posted);

    const csv = await api.get(`/v1/accounts/${s}/statement?from=${from.toISOString()}&to=${to.toISOString()}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.text);
    expect(rows[0]).toEqual(['date', 'transfer_id', 'code', 'counterparty_account_id', 'debit_minor', 'credit_minor', 'balance_minor', 'debit', 'credit', 'balance']);
    const body = rows.slice(1);
    expect(body[0]).toEqual([from.toISOString(), '', '', 'opening balance', '', '', '9000', '', '', '90.00']);
    expect(body.at(-1)).toEqual([to.toISOString(), '', '', 'closing balance', '', '', st.closing_balance, '', '', '101.25']);
    const csvLines = body.slice(1, -1);
    expect(csvLines.map((r) => [r[1], r[4], r[5], r[6]])).toEqual(st.lines.map((l: any) => [l.transfer_id, l.debit, l.credit, l.balance]));
    expect(csvLines[0]!.slice(7)).toEqual(['10.50', '0.00', '79.50']);

    expectProblem(await api.get(`/v1/accounts/${s}/statement?from=${to.toISOString()}&to=${from.toISOString()}`), 400, 'invalid_request', 'to');
    expectProblem(await api.get(`/v1/accounts/${s}/statement?from=${from.toISOString()}`), 400, 'invalid_request', 'querystring.to');
    expectProblem(await api.get(`/v1/accounts/${s}/statement?from=${from.toISOString()}&to=${to.toISOString()}&format=xml`), 400, 'invalid_request');
    expectProblem(await api.get(`/v1/accounts/${uuid7()}/statement?from=${from.toISOString()}&to=${to.toISOString()}`), 404, 'account_not_found');
  });

  it('GET /v1/ledger/invariants is ok and needs admin', async () => {
    const report = await expectInvariantsOk(admin);
    expect(report.currencies.map((c: any) => c.currency)).toContain('USD');
    for (const c of report.currencies) {
      expect(c.debits_posted).toBe(c.credits_posted);
      expect(c.debits_pending).toBe(c.credits_pending);
    }
    expectProblem(await api.get('/v1/ledger/invariants'), 403, 'insufficient_scope');
  });

  it('invariants stay answerable when a currency’s total volume exceeds one account’s maximum', async () => {
    // Every balance fits in int8, but their sum over all accounts of a currency need not.
    const [a, b, c, d] = await createAccounts(api, [account({ currency: 'VND' }), account({ currency: 'VND' }), account({ currency: 'VND' }), account({ currency: 'VND' })]);
    await mustTransfer(api, transfer(a!, b!, MAX));
    await mustTransfer(api, transfer(c!, d!, MAX));
    const report = await expectInvariantsOk(admin);
    expect(report.currencies.find((x: any) => x.currency === 'VND')).toMatchObject({ debits_posted: (2n * MAX).toString(), credits_posted: (2n * MAX).toString() });
  });
});

describe('coverage of the catalog', () => {
  it('every transfer error code was answered through HTTP above', () => {
    // Guards for in-process callers: over HTTP the schema refuses these first as invalid_request
    // (amount "0"/"-1", code 0/65536, unknown flag names, timeout_seconds 0/over a year: bad-input.test.ts).
    const notOverHttp = new Set(['amount_must_be_positive', 'flags_unknown', 'code_out_of_range', 'timeout_out_of_range']);
    const missing = TRANSFER_ERROR_CODES.filter((c) => !notOverHttp.has(c) && !seen.has(c));
    expect(missing).toEqual([]);
    for (const [code, status] of seen) expect(status, code).toBe(ERROR_CATALOG[code]!.status);
  });
});

/** RFC 4180 CSV (quoted fields with doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

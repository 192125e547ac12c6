/** Accounts through HTTP: create, replay, conflicts, batches, reads, freeze/unfreeze/close. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { LIMITED, account, bal, balances, createAccount, expectInvariantsOk, mustTransfer, transfer } from '../helpers/ledger.js';

let t: TestApp;
let api: Client;
let admin: Client;

beforeAll(async () => {
  t = await startTestApp();
  api = t.api;
  admin = t.admin;
});
afterAll(async () => {
  await t?.close();
});

describe('create one account', () => {
  it('creates (201), replays with the same fields (200), and refuses other fields (409)', async () => {
    const body = account({ currency: 'CNY', code: 2001, flags: { debits_must_not_exceed_credits: true, history: true }, metadata: { name: 'Alice', tier: 2 } });
    const created = await api.post('/v1/accounts', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: body.id,
      currency: 'CNY',
      currency_scale: 2,
      code: 2001,
      flags: { debits_must_not_exceed_credits: true, credits_must_not_exceed_debits: false, history: true },
      metadata: { name: 'Alice', tier: 2 },
      status: 'open',
      debits_pending: '0',
      debits_posted: '0',
      credits_pending: '0',
      credits_posted: '0',
    });

    // Same fields, keys in another order: the original, 200.
    const replay = await api.post('/v1/accounts', { metadata: { tier: 2, name: 'Alice' }, flags: { history: true, debits_must_not_exceed_credits: true }, code: 2001, currency: 'CNY', id: body.id });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(created.body);

    for (const other of [{ code: 2002 }, { currency: 'USD' }, { flags: { history: true } }, { metadata: { name: 'Mallory' } }, { metadata: null }]) {
      const conflict = await api.post('/v1/accounts', { ...body, ...other });
      expectProblem(conflict, 409, 'exists_with_different_fields', 'id');
    }
    // The stored account is unchanged by the refused attempts.
    expect((await api.get(`/v1/accounts/${body.id}`)).body).toEqual(created.body);
  });

  it('treats an upper-case id as the same account', async () => {
    const body = account();
    expect((await api.post('/v1/accounts', body)).status).toBe(201);
    const replay = await api.post('/v1/accounts', { ...body, id: body.id.toUpperCase() });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(body.id);
    expect((await api.get(`/v1/accounts/${body.id.toUpperCase()}`)).status).toBe(200);
  });

  it('rejects an unknown currency with 422 unknown_currency and creates nothing', async () => {
    const body = account({ currency: 'ABC' });
    expectProblem(await api.post('/v1/accounts', body), 422, 'unknown_currency', 'currency');
    expectProblem(await api.get(`/v1/accounts/${body.id}`), 404, 'account_not_found');
  });

  it('rejects both limit flags together with 400 flags_are_mutually_exclusive', async () => {
    const body = account({ flags: { debits_must_not_exceed_credits: true, credits_must_not_exceed_debits: true } });
    expectProblem(await api.post('/v1/accounts', body), 400, 'flags_are_mutually_exclusive', 'flags');
    expectProblem(await api.get(`/v1/accounts/${body.id}`), 404, 'account_not_found');
  });

  it('gives the scale of 0- and 3-decimal currencies', async () => {
    const jpy = await api.post('/v1/accounts', account({ currency: 'JPY' }));
    const kwd = await api.post('/v1/accounts', account({ currency: 'KWD' }));
    expect([jpy.body.currency_scale, kwd.body.currency_scale]).toEqual([0, 3]);
  });
});

describe('create a batch of accounts', () => {
  it('answers 200 with one result per item, in order', async () => {
    const existing = account({ code: 3001 });
    expect((await api.post('/v1/accounts', existing)).status).toBe(201);
    const fresh = account({ code: 3002 });
    const dupSame = account({ code: 3003 });
    const dupOther = { ...dupSame, code: 3004 };
    const badCurrency = account({ currency: 'QQQ' });
    const badFlags = account({ flags: { debits_must_not_exceed_credits: true, credits_must_not_exceed_debits: true } });
    const res = await api.post('/v1/accounts', [fresh, existing, { ...existing, code: 9999 }, badCurrency, dupSame, badFlags, dupSame, dupOther]);
    expect(res.status).toBe(200);
    const results = res.body.results as any[];
    expect(results.map((r) => [r.index, r.ok, r.ok ? r.replayed : r.code])).toEqual([
      [0, true, false],
      [1, true, true],
      [2, false, 'exists_with_different_fields'],
      [3, false, 'unknown_currency'],
      [4, true, false],
      [5, false, 'flags_are_mutually_exclusive'],
      [6, true, true],
      [7, false, 'exists_with_different_fields'],
    ]);
    expect(results[0].account).toMatchObject({ id: fresh.id, code: 3002, status: 'open' });
    expect(results[2]).toMatchObject({ field: 'id' });
    expect(results[3]).toMatchObject({ field: 'currency' });
    expect(typeof results[3].detail).toBe('string');
    // Only the good ones exist, each with the first fields sent.
    expect((await api.get(`/v1/accounts/${fresh.id}`)).status).toBe(200);
    expect((await api.get(`/v1/accounts/${dupSame.id}`)).body.code).toBe(3003);
    expect((await api.get(`/v1/accounts/${existing.id}`)).body.code).toBe(3001);
    expect((await api.get(`/v1/accounts/${badCurrency.id}`)).status).toBe(404);
    expect((await api.get(`/v1/accounts/${badFlags.id}`)).status).toBe(404);
  });

  it('creates a large batch in one call', async () => {
    const bodies = Array.from({ length: 2000 }, (_, i) => account({ code: 1 + (i % 65535), metadata: { n: i } }));
    const res = await api.post('/v1/accounts', bodies);
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(2000);
    expect(res.body.results.every((r: any, i: number) => r.ok && !r.replayed && r.index === i && r.account.id === bodies[i]!.id)).toBe(true);
    const again = await api.post('/v1/accounts', bodies);
    expect(again.body.results.every((r: any) => r.ok && r.replayed)).toBe(true);
  });

  it('keeps exactly one account when the same id is created by many requests at once', async () => {
    const body = account();
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => api.post('/v1/accounts', i % 2 ? body : { ...body, code: 4242 })));
    const created = responses.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const winnerCode = created[0]!.body.code;
    for (const r of responses) {
      const sameFields = (r.status === 201 || r.status === 200) && r.body.code === winnerCode;
      if (!sameFields) expectProblem(r, 409, 'exists_with_different_fields', 'id');
    }
    expect(responses.filter((r) => r.status === 409)).toHaveLength(8);
  });
});

describe('read an account', () => {
  it('404 account_not_found for an unknown id, 400 for a malformed one', async () => {
    expectProblem(await api.get(`/v1/accounts/${uuid7()}`), 404, 'account_not_found');
    expectProblem(await api.get('/v1/accounts/not-a-uuid'), 400, 'invalid_request');
  });
});

describe('freeze, unfreeze and close', () => {
  let bank: string;
  beforeAll(async () => {
    bank = await createAccount(api, { code: 1001 });
  });

  it('needs the admin scope', async () => {
    const id = await createAccount(api);
    for (const change of ['freeze', 'unfreeze', 'close']) {
      for (const key of [t.keys.write, t.keys.read, t.keys.rw, t.keys.metrics]) {
        expectProblem(await api.as(key).post(`/v1/accounts/${id}/${change}`), 403, 'insufficient_scope');
      }
      expectProblem(await api.as(null).post(`/v1/accounts/${id}/${change}`), 401, 'unauthorized');
    }
    expect((await balances(api, id)).status).toBe('open');
  });

  it('404 for an unknown account', async () => {
    for (const change of ['freeze', 'unfreeze', 'close']) {
      expectProblem(await admin.post(`/v1/accounts/${uuid7()}/${change}`), 404, 'account_not_found');
    }
  });

  it('a frozen account refuses new transfers and posts both ways, allows voids, and can be unfrozen', async () => {
    const alice = await createAccount(api, { flags: LIMITED });
    const shop = await createAccount(api);
    await mustTransfer(api, transfer(bank, alice, 1000));
    const hold = await mustTransfer(api, transfer(alice, shop, 300, { flags: { pending: true } }));
    const hold2 = await mustTransfer(api, transfer(alice, shop, 200, { flags: { pending: true } }));

    expectProblem(await admin.post(`/v1/accounts/${alice}/unfreeze`), 409, 'account_not_frozen');
    const frozen = await admin.post(`/v1/accounts/${alice}/freeze`);
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({ id: alice, status: 'frozen' });
    expect((await admin.post(`/v1/accounts/${alice}/freeze`)).body.status).toBe('frozen');

    expectProblem(await api.post('/v1/transfers', transfer(alice, shop, 1)), 409, 'account_frozen', 'debit_account_id');
    expectProblem(await api.post('/v1/transfers', transfer(bank, alice, 1)), 409, 'account_frozen', 'credit_account_id');
    expectProblem(await api.post('/v1/transfers', transfer(alice, shop, 1, { flags: { pending: true } })), 409, 'account_frozen', 'debit_account_id');
    expectProblem(await api.post('/v1/transfers', { id: uuid7(), pending_id: hold.id, flags: { post_pending: true } }), 409, 'account_frozen');
    const voided = await api.post('/v1/transfers', { id: uuid7(), pending_id: hold.id, flags: { void_pending: true } });
    expect(voided.status, voided.text).toBe(201);
    expect(await balances(api, alice)).toMatchObject(bal(0, 1000, 200, 0));

    const open = await admin.post(`/v1/accounts/${alice}/unfreeze`);
    expect(open.body.status).toBe('open');
    await mustTransfer(api, { id: uuid7(), pending_id: hold2.id, flags: { post_pending: true } });
    await mustTransfer(api, transfer(alice, shop, 1));
    expect(await balances(api, alice)).toMatchObject(bal(201, 1000, 0, 0));
    await expectInvariantsOk(admin);
  });

  it('close needs a zero posted balance; a closed account refuses transfers and posts, allows voids, and stays closed', async () => {
    const carol = await createAccount(api, { flags: LIMITED });
    const other = await createAccount(api);
    await mustTransfer(api, transfer(bank, carol, 500));
    expectProblem(await admin.post(`/v1/accounts/${carol}/close`), 409, 'account_balance_not_zero');
    await mustTransfer(api, transfer(carol, other, 499));
    expectProblem(await admin.post(`/v1/accounts/${carol}/close`), 409, 'account_balance_not_zero');
    // Sweep the rest with balancing_debit; a pending hold on the other side does not block the close.
    const sweep = await mustTransfer(api, transfer(carol, other, 1_000_000, { flags: { balancing_debit: true } }));
    expect(sweep.amount).toBe('1');
    const hold = await mustTransfer(api, transfer(other, carol, 40, { flags: { pending: true } }));
    const hold2 = await mustTransfer(api, transfer(other, carol, 60, { flags: { pending: true } }));
    expect(await balances(api, carol)).toMatchObject(bal(500, 500, 0, 100));

    const closed = await admin.post(`/v1/accounts/${carol}/close`);
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.status).toBe('closed');

    expectProblem(await api.post('/v1/transfers', transfer(other, carol, 1)), 409, 'account_closed', 'credit_account_id');
    expectProblem(await api.post('/v1/transfers', transfer(carol, other, 1)), 409, 'account_closed', 'debit_account_id');
    expectProblem(await api.post('/v1/transfers', { id: uuid7(), pending_id: hold.id, flags: { post_pending: true } }), 409, 'account_closed');
    expect((await api.post('/v1/transfers', { id: uuid7(), pending_id: hold.id, flags: { void_pending: true } })).status).toBe(201);
    // A close is final.
    expectProblem(await admin.post(`/v1/accounts/${carol}/freeze`), 409, 'account_closed');
    expectProblem(await admin.post(`/v1/accounts/${carol}/unfreeze`), 409, 'account_closed');
    expectProblem(await admin.post(`/v1/accounts/${carol}/close`), 409, 'account_closed');
    expect(await balances(api, carol)).toMatchObject({ ...bal(500, 500, 0, 60), status: 'closed' });
    expect((await api.post('/v1/transfers', { id: uuid7(), pending_id: hold2.id, flags: { void_pending: true } })).status).toBe(201);
    expect(await balances(api, carol)).toMatchObject({ ...bal(500, 500, 0, 0), status: 'closed' });
    await expectInvariantsOk(admin);
  });

  it('a frozen account can be closed when its balance is zero', async () => {
    const id = await createAccount(api);
    expect((await admin.post(`/v1/accounts/${id}/freeze`)).status).toBe(200);
    const closed = await admin.post(`/v1/accounts/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
  });
});

/**
 * Bad input through HTTP: every request here is refused with a clear 4xx problem+json
 * naming the offending field, and none of them writes anything. Most bodies would be
 * valid transfers but for the one defect under test, so a check that let them through
 * would move money and fail the final comparison.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { systemClock } from '../../src/server/clock.js';
import type { Db } from '../../src/db/port.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { LIMITED, account, allTransfersOf, balances, createAccounts, expectInvariantsOk, mustTransfer, transfer, type BalanceView, type TransferBody } from '../helpers/ledger.js';

let t: TestApp;
let api: Client;
let admin: Client;
let a: string;
let b: string;
/** Ids of transfers and accounts that must not exist at the end. */
const attempted: string[] = [];
const attemptedAccounts: string[] = [];
let before: { a: BalanceView; b: BalanceView; transfers: number };

/** A valid transfer of 1 from a to b, recorded as one that must never be written. */
const good = (over: Partial<TransferBody> = {}): TransferBody => {
  const body = transfer(a, b, 1, over);
  attempted.push(body.id);
  return body;
};
const goodWith = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...good(), ...patch });
const postRaw = (raw: string | Buffer, contentType = 'application/json', client = api) => client.post('/v1/transfers', undefined, { raw, headers: { 'content-type': contentType } });

beforeAll(async () => {
  t = await startTestApp();
  api = t.api;
  admin = t.admin;
  [a, b] = await createAccounts(api, [account({ flags: LIMITED }), account()]);
  const bank = (await createAccounts(api, [account()]))[0];
  await mustTransfer(api, transfer(bank, a, 1000));
  await mustTransfer(api, transfer(a, b, 10));
  before = { a: await balances(api, a), b: await balances(api, b), transfers: (await allTransfersOf(api, a)).length };
});
afterAll(async () => {
  await t?.close();
});

describe('malformed bodies', () => {
  it('invalid JSON is 400 malformed_json', async () => {
    const body = JSON.stringify(good());
    expectProblem(await postRaw(body.slice(0, -1)), 400, 'malformed_json');
    expectProblem(await postRaw(`${body},`), 400, 'malformed_json');
    expectProblem(await postRaw("{'id': 1}"), 400, 'malformed_json');
    expectProblem(await postRaw(''), 400, 'malformed_json');
    expectProblem(await api.post('/v1/accounts', undefined, { raw: '[{]', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  });

  it('a JSON value that is not an object or array is 400 invalid_request', async () => {
    for (const raw of ['null', '42', '"transfer"', 'true']) expectProblem(await postRaw(raw), 400, 'invalid_request', 'body');
    expectProblem(await api.post('/v1/transfers', []), 400, 'invalid_request', 'body');
  });

  it('a body that is not application/json is 415 unsupported_media_type', async () => {
    const body = JSON.stringify(good());
    expectProblem(await postRaw(body, 'application/xml'), 415, 'unsupported_media_type');
    expectProblem(await postRaw(body, 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    expectProblem(await postRaw(body, 'text/plain'), 415, 'unsupported_media_type');
    expectProblem(await postRaw(body, 'multipart/form-data; boundary=x'), 415, 'unsupported_media_type');
  });

  it('charset parameters on application/json are fine', async () => {
    const body = transfer(a, b, 1);
    const res = await postRaw(JSON.stringify(body), 'application/json; charset=utf-8');
    expect(res.status, res.text).toBe(201);
    // Undo it so the final comparison holds.
    await mustTransfer(api, transfer(b, a, 1));
    before = { a: await balances(api, a), b: await balances(api, b), transfers: (await allTransfersOf(api, a)).length };
  });
});

describe('schema violations name the field', () => {
  it('wrong types', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: 1 }, 'body.amount'],
      [{ amount: 1.5 }, 'body.amount'],
      [{ amount: null }, 'body.amount'],
      [{ code: '1' }, 'body.code'],
      [{ code: 1.5 }, 'body.code'],
      [{ code: 0 }, 'body.code'],
      [{ code: 65536 }, 'body.code'],
      [{ id: 'not-a-uuid' }, 'body.id'],
      [{ id: 12345 }, 'body.id'],
      [{ debit_account_id: 'abc' }, 'body.debit_account_id'],
      [{ flags: ['pending'] }, 'body.flags'],
      [{ flags: { pending: 'true' } }, 'body.flags.pending'],
      [{ flags: { pending: 1 } }, 'body.flags.pending'],
      [{ metadata: ['a'] }, 'body.metadata'],
      [{ metadata: 'memo' }, 'body.metadata'],
      [{ timeout_seconds: '60' }, 'body.timeout_seconds'],
      [{ timeout_seconds: 0, flags: { pending: true } }, 'body.timeout_seconds'],
      [{ timeout_seconds: 31_536_001, flags: { pending: true } }, 'body.timeout_seconds'],
    ];
    for (const [patch, field] of cases) {
      const res = await api.post('/v1/transfers', goodWith(patch));
      expectProblem(res, 400, 'invalid_request', field);
      expect(res.body.errors.length, res.text).toBeGreaterThan(0);
    }
  });

  it('amounts that are not positive integers of at most 19 digits within int8', async () => {
    for (const amount of ['-1', '0', '00', '01', '1.5', '1.0', '1e3', '0x10', ' 1', '1 ', '', '+1', '١', '9223372036854775808', '9999999999999999999', '12345678901234567890', '1'.repeat(400)]) {
      expectProblem(await api.post('/v1/transfers', good({ amount })), 400, 'invalid_request', 'body.amount');
    }
    // The largest int8 is valid input (it fails later, in the ledger, with its own code: a has debits already).
    const max = await api.post('/v1/transfers', good({ amount: '9223372036854775807' }));
    expectProblem(max, 422, 'overflows_debits', 'amount');
  });

  it('unknown fields, at the top and inside flags', async () => {
    expectProblem(await api.post('/v1/transfers', goodWith({ amount_minor: '1' })), 400, 'invalid_request', 'body.amount_minor');
    expectProblem(await api.post('/v1/transfers', goodWith({ flags: { urgent: true } })), 400, 'invalid_request', 'body.flags.urgent');
    expectProblem(await api.post('/v1/transfers', goodWith({ __proto__x: 1, constructor: 1 })), 400, 'invalid_request');
    const res = await api.post('/v1/accounts', { ...account(), balance: '100' });
    expectProblem(res, 400, 'invalid_request', 'body.balance');
  });

  it('in a batch the item index is named and nothing of the batch is written', async () => {
    const items = [good(), good(), goodWith({ amount: 5 })];
    const res = await api.post('/v1/transfers', items);
    expectProblem(res, 400, 'invalid_request', 'body[2].amount');
  });

  it('accounts: bad currency, code, flags and metadata', async () => {
    const bad = (patch: Record<string, unknown>) => {
      const body = { ...account(), ...patch };
      attemptedAccounts.push(body.id as string);
      return body;
    };
    expectProblem(await api.post('/v1/accounts', bad({ currency: 'usd' })), 400, 'invalid_request', 'body.currency');
    expectProblem(await api.post('/v1/accounts', bad({ currency: 'USDT' })), 400, 'invalid_request', 'body.currency');
    expectProblem(await api.post('/v1/accounts', bad({ currency: 'ZZZ' })), 422, 'unknown_currency', 'currency');
    expectProblem(await api.post('/v1/accounts', bad({ code: '2001' })), 400, 'invalid_request', 'body.code');
    expectProblem(await api.post('/v1/accounts', bad({ flags: { overdraft: true } })), 400, 'invalid_request', 'body.flags.overdraft');
    expectProblem(await api.post('/v1/accounts', bad({ metadata: { big: 'x'.repeat(4100) } })), 400, 'invalid_request', 'body.metadata');
    const { currency: _c, ...noCurrency } = bad({});
    expectProblem(await api.post('/v1/accounts', noCurrency), 400, 'invalid_request', 'body.currency');
  });

  it('metadata over 4,096 bytes, over 32 keys, or with a key over 64 characters', async () => {
    expectProblem(await api.post('/v1/transfers', good({ metadata: { memo: 'x'.repeat(4096) } })), 400, 'invalid_request', 'body.metadata');
    // Multi-byte characters count as bytes: 1,400 × 3 bytes.
    expectProblem(await api.post('/v1/transfers', good({ metadata: { memo: '€'.repeat(1400) } })), 400, 'invalid_request', 'body.metadata');
    expectProblem(await api.post('/v1/transfers', [good(), good({ metadata: { memo: 'x'.repeat(5000) } })]), 400, 'invalid_request', 'body[1].metadata');
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
    expectProblem(await api.post('/v1/transfers', good({ metadata: many })), 400, 'invalid_request', 'body.metadata');
    expectProblem(await api.post('/v1/transfers', good({ metadata: { ['k'.repeat(65)]: 1 } })), 400, 'invalid_request', 'body.metadata');
    // Just under the limit is fine (and then undone).
    const fits = transfer(a, b, 1, { metadata: { memo: 'x'.repeat(4000) } });
    expect((await api.post('/v1/transfers', fits)).status).toBe(201);
    await mustTransfer(api, transfer(b, a, 1));
    before = { a: await balances(api, a), b: await balances(api, b), transfers: (await allTransfersOf(api, a)).length };
  });

  it('a batch of 8,190 items is 400; the 8,189 limit is named', async () => {
    const items = Array.from({ length: 8190 }, () => good());
    const res = await api.post('/v1/transfers', items);
    expectProblem(res, 400, 'invalid_request', 'body');
    expect(res.body.detail).toMatch(/8189/);
    const accounts = Array.from({ length: 8190 }, () => account());
    expectProblem(await api.post('/v1/accounts', accounts), 400, 'invalid_request', 'body');
    attemptedAccounts.push(accounts[0]!.id, accounts[8189]!.id);
  });

  it('a body over the route limit is 413 body_too_large', async () => {
    // 8 MiB on the batch routes: a batch padded past it with metadata.
    const padded = Array.from({ length: 2200 }, () => good({ metadata: { pad: 'p'.repeat(3900) } }));
    expectProblem(await api.post('/v1/transfers', padded), 413, 'body_too_large');
    expectProblem(await postRaw(Buffer.alloc((8 << 20) + 1, 0x20)), 413, 'body_too_large');
    // 1 MiB elsewhere.
    expectProblem(await admin.post('/v1/api-keys', { name: 'x'.repeat(1 << 20), scopes: ['admin'] }), 413, 'body_too_large');
  });

  it('path and query parameters are checked too', async () => {
    expectProblem(await api.get('/v1/accounts/12345'), 400, 'invalid_request', 'params.id');
    expectProblem(await api.get('/v1/transfers/zzz'), 400, 'invalid_request', 'params.id');
    expectProblem(await api.get(`/v1/accounts/${a}/transfers?limit=abc`), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await api.get(`/v1/accounts/${a}/transfers?code=-1`), 400, 'invalid_request', 'querystring.code');
  });
});

describe('authentication and scopes', () => {
  it('no key, a malformed key, an unknown key, another scheme: 401 unauthorized', async () => {
    const body = good();
    const missing = await api.post('/v1/transfers', body, { token: null });
    expectProblem(missing, 401, 'unauthorized');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectProblem(await api.post('/v1/transfers', body, { token: 'nonsense' }), 401, 'unauthorized');
    const [prefix, secret] = t.keys.rw.slice(4).split(/_(.+)/);
    const wrongSecret = `cap_${prefix}_${'A'.repeat(secret!.length)}`;
    expectProblem(await api.post('/v1/transfers', body, { token: wrongSecret }), 401, 'unauthorized');
    expectProblem(await api.post('/v1/transfers', body, { token: `cap_${'B'.repeat(12)}_${'C'.repeat(43)}` }), 401, 'unauthorized');
    expectProblem(await api.post('/v1/transfers', body, { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${t.keys.rw}`).toString('base64')}` } }), 401, 'unauthorized');
    expectProblem(await api.post('/v1/transfers', body, { token: null, headers: { authorization: t.keys.rw } }), 401, 'unauthorized');
    expectProblem(await api.get(`/v1/accounts/${a}`, { token: null }), 401, 'unauthorized');
  });

  it('a revoked key is 401 from the moment it is revoked', async () => {
    const made = await admin.post('/v1/api-keys', { name: 'short-lived', scopes: ['ledger:read', 'ledger:write'] });
    expect(made.status, made.text).toBe(201);
    const token = made.body.token as string;
    expect((await api.get(`/v1/accounts/${a}`, { token })).status).toBe(200);
    const listed = await admin.get('/v1/api-keys');
    const entry = listed.body.data.find((k: any) => k.id === made.body.key.id);
    expect(entry).toMatchObject({ name: 'short-lived', revoked_at: null });
    // The secret is the last 43 characters (base64url, so it may itself contain '_').
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(-43));
    const revoked = await admin.delete(`/v1/api-keys/${made.body.key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toBeTruthy();
    expectProblem(await api.get(`/v1/accounts/${a}`, { token }), 401, 'unauthorized');
    expectProblem(await api.post('/v1/transfers', good(), { token }), 401, 'unauthorized');
    expectProblem(await admin.delete(`/v1/api-keys/${uuid7()}`), 404, 'api_key_not_found');
  });

  it('a key without the route’s scope is 403 insufficient_scope', async () => {
    const { read, write, metrics, rw } = t.keys;
    expectProblem(await api.post('/v1/transfers', good(), { token: read }), 403, 'insufficient_scope');
    expectProblem(await api.post('/v1/transfers', good(), { token: metrics }), 403, 'insufficient_scope');
    const acct = account();
    attemptedAccounts.push(acct.id);
    expectProblem(await api.post('/v1/accounts', acct, { token: read }), 403, 'insufficient_scope');
    expectProblem(await api.post(`/v1/accounts/${a}/freeze`, undefined, { token: write }), 403, 'insufficient_scope');
    expectProblem(await api.post(`/v1/accounts/${a}/freeze`, undefined, { token: rw }), 403, 'insufficient_scope');
    expectProblem(await api.get(`/v1/accounts/${a}`, { token: write }), 403, 'insufficient_scope');
    expectProblem(await api.get(`/v1/accounts/${a}`, { token: metrics }), 403, 'insufficient_scope');
    expectProblem(await api.get('/v1/ledger/invariants', { token: rw }), 403, 'insufficient_scope');
    expectProblem(await api.post('/v1/api-keys', { name: 'escalate', scopes: ['admin'] }, { token: rw }), 403, 'insufficient_scope');
    expectProblem(await api.get('/v1/api-keys', { token: rw }), 403, 'insufficient_scope');
    const res = await api.get('/metrics', { token: read });
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.body.detail).toMatch(/metrics:read/);
    // Reads work with a read-only key; admin holds every scope.
    expect((await api.get(`/v1/accounts/${a}`, { token: read })).status).toBe(200);
    expect((await api.get(`/v1/accounts/${a}`, { token: t.keys.admin })).status).toBe(200);
    expect((await api.get('/metrics', { token: t.keys.admin })).status).toBe(200);
  });

  it('api-key creation checks its body', async () => {
    expectProblem(await admin.post('/v1/api-keys', { name: 'x', scopes: ['root'] }), 400, 'invalid_request', 'body.scopes[0]');
    expectProblem(await admin.post('/v1/api-keys', { name: '', scopes: ['admin'] }), 400, 'invalid_request', 'body.name');
    expectProblem(await admin.post('/v1/api-keys', { name: 'x', scopes: [] }), 400, 'invalid_request', 'body.scopes');
    expectProblem(await admin.post('/v1/api-keys', { name: 'x', scopes: ['admin', 'admin'] }), 400, 'invalid_request', 'body.scopes');
  });
});

describe('open and unknown routes', () => {
  it('/health, /ready, /errors, /docs and /docs/json need no key', async () => {
    const open = api.as(null);
    expect((await open.get('/health')).body).toEqual({ status: 'ok' });
    expect((await open.get('/ready')).body).toMatchObject({ status: 'ready', database: t.testDb.engine });
    const errors = await open.get('/errors');
    expect(errors.status).toBe(200);
    expect(errors.body).toEqual(expect.arrayContaining([{ code: 'exceeds_credits', status: 422, title: expect.any(String) }]));
    const docs = await open.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    const spec = await open.get('/docs/json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/transfers', '/v1/accounts/{id}']));
  });

  it('the OpenAPI document declares the shared headers: Idempotency-Key on POSTs (required on payments), RateLimit-* and Retry-After on answers', async () => {
    const spec = (await api.as(null).get('/docs/json')).body;
    const keyParam = (op: any) => (op.parameters ?? []).find((p: any) => p.in === 'header' && p.name === 'idempotency-key');
    expect(keyParam(spec.paths['/v1/transfers'].post)).toMatchObject({ required: false, schema: { type: 'string', maxLength: 255 } });
    expect(keyParam(spec.paths['/open-banking/v1/payments'].post)).toMatchObject({ required: true });
    expect(keyParam(spec.paths['/oauth/token'].post)).toBeUndefined(); // the OAuth endpoints are outside the hook
    expect(keyParam(spec.paths['/v1/accounts/{id}'].get)).toBeUndefined();

    const transfers = spec.paths['/v1/transfers'].post.responses;
    expect(Object.keys(transfers['201'].headers)).toEqual(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy', 'Idempotency-Replayed']);
    expect(transfers['429']?.headers?.['Retry-After'] ?? transfers['503']?.headers?.['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
    expect(spec.paths['/v1/accounts/{id}'].get.responses['200'].headers['RateLimit-Remaining']).toEqual({ $ref: '#/components/headers/RateLimit-Remaining' });
    expect(spec.components.headers['RateLimit-Policy'].schema).toEqual({ type: 'string' });
    // A public operation takes from no bucket.
    expect(spec.paths['/oauth/token'].post.responses['200']?.headers?.['RateLimit-Limit']).toBeUndefined();
  });

  it('/ready is 503 unavailable when the database does not answer (and /health still 200)', async () => {
    const down = async () => {
      throw new Error('connection refused');
    };
    const deadDb: Db = { engine: 'postgres', query: down, exec: down, transaction: down, close: async () => {} };
    const broken = await buildApp({ db: deadDb, clock: systemClock, log_level: 'silent' });
    try {
      await broken.listen({ port: 0, host: '127.0.0.1' });
      const client = new Client(`http://127.0.0.1:${(broken.server.address() as AddressInfo).port}`);
      expectProblem(await client.get('/ready'), 503, 'unavailable');
      expect((await client.get('/health')).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('/metrics needs metrics:read and serves Prometheus text', async () => {
    expectProblem(await api.get('/metrics', { token: null }), 401, 'unauthorized');
    const res = await api.get('/metrics', { token: t.keys.metrics });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toContain('capillary_http_request_duration_seconds');
    expect(res.text).toContain('capillary_ledger_batch_transfers_count');
  });

  it('an unknown route or method is 404 not_found, with or without a key', async () => {
    expectProblem(await api.get('/v1/nothing-here'), 404, 'not_found');
    expectProblem(await api.get('/v1/nothing-here', { token: null }), 404, 'not_found');
    expectProblem(await api.request('PUT', '/v1/transfers', { json: good() }), 404, 'not_found');
    expectProblem(await api.request('DELETE', `/v1/accounts/${a}`), 404, 'not_found');
    expectProblem(await api.get('/v2/accounts'), 404, 'not_found');
  });

  it('echoes a valid X-Request-Id in the header and the problem body, and replaces an invalid one', async () => {
    const res = await api.get(`/v1/accounts/${uuid7()}`, { headers: { 'x-request-id': 'trace-123.abc_DEF' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123.abc_DEF');
    expect(res.body.request_id).toBe('trace-123.abc_DEF');
    const bad = await api.get(`/v1/accounts/${uuid7()}`, { headers: { 'x-request-id': 'has spaces and <html>' } });
    expect(bad.headers.get('x-request-id')).not.toBe('has spaces and <html>');
    expect(bad.body.request_id).toBe(bad.headers.get('x-request-id'));
  });
});

describe('nothing was written', () => {
  it('balances, transfer lists, refused ids and invariants are as before', async () => {
    expect(attempted.length).toBeGreaterThan(8000);
    expect(await balances(api, a)).toEqual(before.a);
    expect(await balances(api, b)).toEqual(before.b);
    expect((await allTransfersOf(api, a)).length).toBe(before.transfers);
    // Spot-check the refused ids one by one (all of them would take a while; the lists above are complete).
    const sample = attempted.filter((_, i) => i % 97 === 0 || i > attempted.length - 200);
    for (const id of sample) expect((await api.get(`/v1/transfers/${id}`)).status, id).toBe(404);
    for (const id of attemptedAccounts) expect((await api.get(`/v1/accounts/${id}`)).status, id).toBe(404);
    await expectInvariantsOk(admin);
  });
});


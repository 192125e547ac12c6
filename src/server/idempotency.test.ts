import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  appliesTo,
  bodyHash,
  canonicalJson,
  checkIdempotencyKey,
  decide,
  IN_PROGRESS_TAKEOVER_MS,
  isStorable,
  pickStoredHeaders,
  RECORD_TTL_MS,
  type IdempotencyRecord,
} from './idempotency.js';

const T0 = new Date(Date.UTC(2026, 0, 1));
const at = (ms: number) => new Date(T0.getTime() + ms);

const record = (over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  principal: 'key:k1',
  key: 'k-1',
  method: 'POST',
  path: '/v1/transfers',
  body_hash: bodyHash({ amount: '100' }),
  state: 'done',
  response: { status_code: 201, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"id":"t1"}' },
  created_at: T0,
  expires_at: at(RECORD_TTL_MS),
  owner: 'o1',
  ...over,
});
const same = { method: 'POST', path: '/v1/transfers', body_hash: bodyHash({ amount: '100' }) };

describe('Idempotency-Key header', () => {
  it('accepts 1 to 255 printable ASCII characters', () => {
    expect(checkIdempotencyKey(undefined)).toBeUndefined();
    expect(checkIdempotencyKey('a')).toEqual({ ok: true, key: 'a' });
    expect(checkIdempotencyKey('order 42 / retry ~ #1')).toMatchObject({ ok: true });
    expect(checkIdempotencyKey('x'.repeat(255))).toMatchObject({ ok: true });
  });

  it('refuses empty, too long, non-ASCII, control characters and repeated headers', () => {
    for (const bad of ['', 'x'.repeat(256), 'clé', 'tab\there', 'nl\n', '\u0000']) expect(checkIdempotencyKey(bad), JSON.stringify(bad)).toMatchObject({ ok: false });
    expect(checkIdempotencyKey(['a', 'b'])).toMatchObject({ ok: false });
  });

  it('applies to POST except the OAuth endpoints', () => {
    expect(appliesTo('POST', '/v1/transfers')).toBe(true);
    expect(appliesTo('POST', '/open-banking/v1/payments')).toBe(true);
    expect(appliesTo('POST', '/oauth/token')).toBe(false);
    expect(appliesTo('GET', '/v1/transfers')).toBe(false);
    expect(appliesTo('PUT', '/v1/risk/rule-sets/x')).toBe(false);
  });
});

describe('body hash', () => {
  it('ignores key order and spacing, not values', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(bodyHash(JSON.parse('{"a": 1, "b": "2"}'))).toBe(bodyHash(JSON.parse('{"b":"2","a":1}')));
    expect(bodyHash({ amount: '100' })).not.toBe(bodyHash({ amount: '200' }));
    expect(bodyHash([1, 2])).not.toBe(bodyHash([2, 1]));
    expect(bodyHash(undefined)).not.toBe(bodyHash(null));
  });

  it('canonical JSON parses back to the same value, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        const reordered = JSON.parse(JSON.stringify(value), (_k, v) =>
          v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
        );
        expect(canonicalJson(reordered)).toBe(text);
      }),
    );
  });
});

describe('decide', () => {
  it('replays a finished request with the same method, path and body', () => {
    expect(decide(record(), same, at(1000))).toEqual({ kind: 'replay', response: record().response });
  });

  it('refuses the key with another body, path or method', () => {
    expect(decide(record(), { ...same, body_hash: bodyHash({ amount: '200' }) }, at(1000))).toMatchObject({ kind: 'reused', detail: expect.stringMatching(/different body/) });
    expect(decide(record(), { ...same, path: '/v1/accounts' }, at(1000))).toMatchObject({ kind: 'reused', detail: expect.stringMatching(/POST \/v1\/transfers/) });
    expect(decide(record({ state: 'in_progress', response: undefined }), { ...same, body_hash: 'other' }, at(1000))).toMatchObject({ kind: 'reused' });
  });

  it('tells a repeat to wait while the first request runs, and lets a crashed one be taken over after 60 s', () => {
    const running = record({ state: 'in_progress', response: undefined });
    expect(decide(running, same, at(IN_PROGRESS_TAKEOVER_MS - 1))).toEqual({ kind: 'in_progress', retry_after_s: 1 });
    expect(decide(running, same, at(IN_PROGRESS_TAKEOVER_MS))).toEqual({ kind: 'take_over' });
  });

  it('forgets a record after 24 hours, whatever the new request is', () => {
    expect(decide(record(), same, at(RECORD_TTL_MS - 1))).toMatchObject({ kind: 'replay' });
    expect(decide(record(), same, at(RECORD_TTL_MS))).toEqual({ kind: 'take_over' });
    expect(decide(record(), { ...same, body_hash: 'other' }, at(RECORD_TTL_MS))).toEqual({ kind: 'take_over' });
  });

  it('keeps 2xx, 3xx and 4xx answers but not 429 or 5xx', () => {
    expect([200, 201, 302, 400, 404, 409, 422].every(isStorable)).toBe(true);
    expect([429, 500, 502, 503].some(isStorable)).toBe(false);
  });

  it('repeats only content-type and location', () => {
    expect(pickStoredHeaders({ 'content-type': 'application/json', location: '/v1/x', 'x-request-id': 'r', 'content-length': 10, date: 'd' })).toEqual({
      'content-type': 'application/json',
      location: '/v1/x',
    });
  });
});

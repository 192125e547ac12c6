/**
 * The SDK's standalone webhook verification against the server's own signer
 * (src/events/webhook-signature.ts): what the bank signs, the SDK accepts; any change to the
 * body, the timestamp or the secret is refused; stale timestamps are refused. After a secret
 * rotation the bank signs with both live secrets (`t=…,v1=<new>,v1=<old>`): either verifies.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signWebhook, verifyWebhook as serverVerify } from '../../src/events/webhook-signature.js';
import { WebhookSignatureError, parseWebhook, verifyWebhook } from '../src/index.js';

const SECRET = 'whsec_0123456789abcdef0123456789abcdef';
const T = 1_767_225_600; // 2026-01-01T00:00:00Z
const NOW = new Date(T * 1000);
const body = JSON.stringify({ id: '0193b000-0000-7000-8000-000000000001', topic: 'openbanking.payment.completed', created_at: NOW.toISOString(), data: { amount_minor: '1250' } });

describe('verifyWebhook (SDK) against the server signer', () => {
  it('accepts what the server signs, as text or bytes', () => {
    const header = signWebhook(SECRET, body, T);
    expect(verifyWebhook(SECRET, body, header, { now: NOW })).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhook(SECRET, new TextEncoder().encode(body), header, { now: NOW })).toEqual({ ok: true, timestamp: T });
    expect(parseWebhook(SECRET, body, header, { now: NOW })).toMatchObject({ topic: 'openbanking.payment.completed', data: { amount_minor: '1250' } });
  });

  it('agrees with the server verifier on any body, secret and time (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: -400, max: 400 }), (secret, bytes, t, skew) => {
        const header = signWebhook(secret, bytes, t);
        const now = new Date((t + skew) * 1000);
        const sdk = verifyWebhook(secret, bytes, header, { now });
        const server = serverVerify(secret, bytes, header, { now });
        expect(sdk.ok).toBe(server.ok);
        if (!sdk.ok && !server.ok) expect(sdk.reason).toBe(server.reason);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the server verifier on multi-signature headers, as signed or tampered with (property)', () => {
    // What may happen to a header between the bank and the receiver.
    const tamper = fc.oneof(
      fc.constant((h: string) => h),
      fc.nat().map((i) => (h: string) => {
        const sigs = [...h.matchAll(/v1=([0-9a-f]{64})/g)];
        const m = sigs[i % sigs.length]!;
        const at = m.index! + 3 + (i % 64);
        return h.slice(0, at) + (h[at] === '0' ? '1' : '0') + h.slice(at + 1); // one hex digit of one signature
      }),
      fc.constant((h: string) => h.replace(/,v1=[0-9a-f]{64}/, '')), // the first signature dropped
      fc.constant((h: string) => h.replace(/^t=(\d+)/, (_, ts: string) => `t=${Number(ts) + 1}`)), // the timestamp moved
      fc.constant((h: string) => `${h},v1=${'0'.repeat(64)}`), // a forged extra signature
      fc.constant((h: string) => `${h},v2=future`), // an unknown scheme
      fc.constant((h: string) => h.replace(',v1=', ',v1=,v1=')), // an empty signature
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.string({ minLength: 1 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        tamper,
        (secrets, pick, stranger, bytes, t, change) => {
          const signed = signWebhook(secrets, bytes, t);
          const header = change(signed);
          const now = new Date(t * 1000);
          // The receiver holds one of the signing secrets, or one the bank never signed with.
          for (const secret of [secrets[pick % secrets.length]!, stranger]) {
            const sdk = verifyWebhook(secret, bytes, header, { now });
            const server = serverVerify(secret, bytes, header, { now });
            expect(sdk.ok).toBe(server.ok);
            if (!sdk.ok && !server.ok) expect(sdk.reason).toBe(server.reason);
          }
          if (header === signed) expect(verifyWebhook(secrets[pick % secrets.length]!, bytes, header, { now }).ok).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a tampered body, a wrong secret, a moved timestamp and a malformed header', () => {
    const header = signWebhook(SECRET, body, T);
    expect(verifyWebhook(SECRET, body.replace('1250', '9250'), header, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhook('whsec_other', body, header, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyWebhook(SECRET, body, moved, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    for (const bad of [undefined, null, '', 'v1=abc', `t=${T}`, `t=x,v1=${'0'.repeat(64)}`, `t=${T},v1=${'Z'.repeat(64)}`]) {
      expect(verifyWebhook(SECRET, body, bad, { now: NOW }), String(bad)).toEqual({ ok: false, reason: 'malformed_header' });
    }
    expect(() => parseWebhook(SECRET, body + ' ', header, { now: NOW })).toThrow(WebhookSignatureError);
  });

  it('refuses timestamps outside the tolerance, either way', () => {
    const header = signWebhook(SECRET, body, T);
    expect(verifyWebhook(SECRET, body, header, { now: new Date((T + 300) * 1000) }).ok).toBe(true);
    expect(verifyWebhook(SECRET, body, header, { now: new Date((T + 301) * 1000) })).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(SECRET, body, header, { now: new Date((T - 301) * 1000) })).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(SECRET, body, header, { now: (T + 3000) * 1000, toleranceSeconds: 3600 }).ok).toBe(true);
  });

  it('accepts either signature during a secret rotation', () => {
    const oldSig = signWebhook('whsec_old', body, T);
    const newSig = signWebhook(SECRET, body, T).split(',')[1]!;
    const header = `${oldSig},${newSig}`;
    expect(verifyWebhook(SECRET, body, header, { now: NOW }).ok).toBe(true);
    expect(verifyWebhook('whsec_old', body, header, { now: NOW }).ok).toBe(true);
    expect(verifyWebhook('whsec_third', body, header, { now: NOW }).ok).toBe(false);
  });

  it('accepts a header the server signs with two secrets with either one, in any position; refuses tampering with it', () => {
    const header = signWebhook([SECRET, 'whsec_old'], body, T); // t=…,v1=<SECRET's>,v1=<old's>
    const [t, first, second] = header.split(',') as [string, string, string];
    expect(verifyWebhook(SECRET, body, header, { now: NOW })).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhook('whsec_old', body, header, { now: NOW })).toEqual({ ok: true, timestamp: T });
    expect(verifyWebhook('whsec_old', body, `${t},${second},${first}`, { now: NOW }).ok).toBe(true);
    expect(verifyWebhook('whsec_third', body, header, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    // The body changed: neither signature matches, whichever secret the receiver holds.
    for (const secret of [SECRET, 'whsec_old']) {
      expect(verifyWebhook(secret, body.replace('1250', '9250'), header, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
      expect(verifyWebhook(secret, body, header.replace(`t=${T}`, `t=${T + 1}`), { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    }
    // A signature altered or removed: the receiver holding that secret refuses; the other still verifies.
    const flip = (sig: string) => sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
    expect(verifyWebhook('whsec_old', body, `${t},${first},${flip(second)}`, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhook(SECRET, body, `${t},${first},${flip(second)}`, { now: NOW }).ok).toBe(true);
    expect(verifyWebhook(SECRET, body, `${t},${second}`, { now: NOW })).toEqual({ ok: false, reason: 'signature_mismatch' });
    // One malformed entry spoils the whole header.
    expect(verifyWebhook(SECRET, body, `${header},v1=xyz`, { now: NOW })).toEqual({ ok: false, reason: 'malformed_header' });
    expect(() => parseWebhook('whsec_old', body + ' ', header, { now: NOW })).toThrow(WebhookSignatureError);
  });
});

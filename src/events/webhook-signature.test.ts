import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { parseSignatureHeader, signatureOf, signWebhook, signingSecrets, verifyWebhook } from './webhook-signature.js';

const secret = 'whsec_test_4f9c2d';
const body = '{"id":"0190a0b0-0000-7000-8000-000000000001","topic":"openbanking.payment.completed","created_at":"2026-01-01T00:00:00.000Z","data":{"amount":"1050"}}';
const t = 1_767_225_600; // 2026-01-01T00:00:00Z
const at = (s: number) => new Date(s * 1000);

describe('webhook signatures', () => {
  it('signs t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies its own signature, from a string or from the raw bytes', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhook(secret, body, header, { now: at(t + 10) })).toEqual({ ok: true, t });
    expect(verifyWebhook(secret, Buffer.from(body), header, { now: at(t - 10) })).toEqual({ ok: true, t });
  });

  it('refuses a tampered body', () => {
    const header = signWebhook(secret, body, t);
    const tampered = body.replace('"1050"', '"9050"');
    expect(verifyWebhook(secret, tampered, header, { now: at(t) })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhook(secret, body + ' ', header, { now: at(t) })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses a timestamp changed to look fresh (the timestamp is signed)', () => {
    const header = signWebhook(secret, body, t);
    const moved = header.replace(`t=${t}`, `t=${t + 3600}`);
    expect(verifyWebhook(secret, body, moved, { now: at(t + 3600) })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses the wrong secret', () => {
    const header = signWebhook('another-secret', body, t);
    expect(verifyWebhook(secret, body, header, { now: at(t) })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('refuses a stale or future timestamp beyond the tolerance (default 300 s), even correctly signed', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhook(secret, body, header, { now: at(t + 300) }).ok).toBe(true);
    expect(verifyWebhook(secret, body, header, { now: at(t + 301) })).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(secret, body, header, { now: at(t - 301) })).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(secret, body, header, { now: at(t + 1000), tolerance_s: 1000 }).ok).toBe(true);
  });

  it('refuses missing and malformed headers', () => {
    const sig = signWebhook(secret, body, t).split(',v1=')[1]!;
    for (const header of [undefined, null, '', 'v1=' + sig, `t=${t}`, `t=abc,v1=${sig}`, `t=${t},v1=${sig.slice(2)}`, `t=${t},t=${t},v1=${sig}`, `t=${t};v1=${sig}`]) {
      expect(verifyWebhook(secret, body, header, { now: at(t) })).toEqual({ ok: false, reason: 'malformed_header' });
    }
  });

  it('accepts any one of several v1 signatures (secret rotation) and ignores unknown schemes', () => {
    const good = signWebhook(secret, body, t).split(',v1=')[1]!;
    const other = signWebhook('old-secret', body, t).split(',v1=')[1]!;
    expect(verifyWebhook(secret, body, `t=${t},v1=${other},v1=${good},v0=zzz`, { now: at(t) }).ok).toBe(true);
    expect(parseSignatureHeader(`t=${t},v1=${other},v1=${good}`)).toEqual({ t, v1: [other, good] });
  });

  it('signs with several secrets, one v1 each, in the order given; each secret verifies, another does not', () => {
    const header = signWebhook(['whsec_new', 'whsec_old'], body, t);
    expect(header).toBe(`t=${t},v1=${signatureOf('whsec_new', body, t)},v1=${signatureOf('whsec_old', body, t)}`);
    expect(signWebhook([secret], body, t)).toBe(signWebhook(secret, body, t));
    expect(verifyWebhook('whsec_new', body, header, { now: at(t) }).ok).toBe(true);
    expect(verifyWebhook('whsec_old', body, header, { now: at(t) }).ok).toBe(true);
    expect(verifyWebhook(secret, body, header, { now: at(t) })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhook('whsec_old', body + ' ', header, { now: at(t) })).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(() => signWebhook([], body, t)).toThrow(/no webhook secret/);
    expect(() => signWebhook(['whsec_new', ''], body, t)).toThrow(/empty/);
  });

  it('signs with the previous secret too while it is live (before its until), then with the current one only', () => {
    const until = at(t + 86_400);
    expect(signingSecrets('whsec_new', 'whsec_old', until, at(t))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets('whsec_new', 'whsec_old', until, new Date(until.getTime() - 1))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets('whsec_new', 'whsec_old', until, until)).toEqual(['whsec_new']);
    expect(signingSecrets('whsec_new', 'whsec_old', until, at(t + 2 * 86_400))).toEqual(['whsec_new']);
    expect(signingSecrets('whsec_new', null, null, at(t))).toEqual(['whsec_new']);
  });

  it('property: any change to body, timestamp or secret is refused', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 2 ** 31 }), fc.string({ minLength: 1 }), (b, s, ts, s2) => {
        const header = signWebhook(s, b, ts);
        const now = at(ts);
        expect(verifyWebhook(s, b, header, { now }).ok).toBe(true);
        expect(verifyWebhook(s, b + 'x', header, { now }).ok).toBe(false);
        if (s2 !== s) expect(verifyWebhook(s2, b, header, { now }).ok).toBe(false);
        expect(verifyWebhook(s, b, header.replace(`t=${ts}`, `t=${ts + 1}`), { now }).ok).toBe(false);
      }),
    );
  });

  it('property: a header signed with several secrets verifies with each of them, and only them; a changed body is refused', () => {
    fc.assert(
      fc.property(fc.string(), fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }), fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 2 ** 31 }), (b, secrets, other, ts) => {
        const header = signWebhook(secrets, b, ts);
        const now = at(ts);
        expect(parseSignatureHeader(header)?.v1).toHaveLength(secrets.length);
        for (const s of secrets) {
          expect(verifyWebhook(s, b, header, { now }).ok).toBe(true);
          expect(verifyWebhook(s, b + 'x', header, { now }).ok).toBe(false);
        }
        if (!secrets.includes(other)) expect(verifyWebhook(other, b, header, { now }).ok).toBe(false);
      }),
    );
  });
});

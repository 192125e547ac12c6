/**
 * The consent limit in SQL (property): whatever amounts race to reserve against one
 * consent, the reservations that succeed never sum past the limit, the stored used total is
 * exactly their sum, and every refused amount would not have fitted in what was left.
 * Runs against the engine under test (PGlite, or PostgreSQL with real concurrency).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { uuid7 } from '../helpers/http.js';
import { releaseOnConsent, reserveOnConsent } from '../../src/openbanking/payments-store.js';

let tdb: TestDb;
const now = new Date('2026-03-01T00:00:00Z');

beforeAll(async () => {
  tdb = await openTestDb();
  await tdb.db.query(
    `INSERT INTO partner_apps (id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, status, created_at, updated_at)
     VALUES ('app_limits', 'limits', 'sandbox', '{https://x.example/}', '{payments}', 'client_secret_basic', 'active', $1, $1)`,
    [now],
  );
});
afterAll(async () => {
  await tdb?.close();
});

async function newConsent(limit: bigint): Promise<string> {
  const id = uuid7();
  await tdb.db.query(
    `INSERT INTO consents (id, client_id, kind, status, permissions, currency, amount_limit_minor, expires_at, created_at)
     VALUES ($1, 'app_limits', 'payment_initiation', 'authorised', '{payments:create}', 'USD', $2, $3, $4)`,
    [id, limit, new Date(now.getTime() + 86_400_000), now],
  );
  return id;
}

const used = async (id: string) => BigInt((await tdb.db.query<{ u: bigint }>('SELECT amount_used_minor AS u FROM consents WHERE id = $1', [id])).rows[0]!.u);

describe('reserveOnConsent under concurrency (property)', () => {
  it('never lets racing reservations sum past the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 1n, max: 10_000n }), fc.array(fc.bigInt({ min: 1n, max: 4_000n }), { minLength: 1, maxLength: 24 }), async (limit, amounts) => {
        const id = await newConsent(limit);
        const won = await Promise.all(amounts.map((a) => tdb.db.transaction((tx) => reserveOnConsent(tx, id, a, now))));
        const total = amounts.reduce((sum, a, i) => (won[i] ? sum + a : sum), 0n);
        expect(total).toBeLessThanOrEqual(limit);
        expect(await used(id)).toBe(total);
        amounts.forEach((a, i) => {
          if (!won[i]) expect(total + a).toBeGreaterThan(limit);
        });
        // Releasing what was won gives it all back, and never goes below zero.
        await Promise.all(amounts.map((a, i) => (won[i] ? tdb.db.transaction((tx) => releaseOnConsent(tx, id, a)) : Promise.resolve())));
        expect(await used(id)).toBe(0n);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses to reserve on a consent that is revoked or expired', async () => {
    const revoked = await newConsent(1_000n);
    await tdb.db.query("UPDATE consents SET status = 'revoked' WHERE id = $1", [revoked]);
    expect(await tdb.db.transaction((tx) => reserveOnConsent(tx, revoked, 1n, now))).toBe(false);
    const expiring = await newConsent(1_000n);
    expect(await tdb.db.transaction((tx) => reserveOnConsent(tx, expiring, 1n, new Date(now.getTime() + 86_400_000)))).toBe(false);
    expect(await used(revoked)).toBe(0n);
    expect(await used(expiring)).toBe(0n);
  });
});

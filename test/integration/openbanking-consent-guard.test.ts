/**
 * A payment group reads its consents unlocked and its write checks they still allow what the
 * group decided (payments-store.ts, consentTotalsUpdate; migration 0018). These tests put a
 * change between the read and the write, through a database wrapper that runs it right after
 * the group's read: a change that leaves the group's reservations room counts, and the group
 * pays at the first attempt; any other fails the write as a serialization failure, the ledger
 * writer runs the batch again (its read now locks the consents), and the outcome is the one
 * the change calls for. The money moved, the used total and the stored payments agree.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../../src/db/port.js';
import { LedgerWriter } from '../../src/ledger/writer.js';
import { PaymentGroups, type DraftOutcome, type PaymentDraft } from '../../src/openbanking/payment-group.js';
import { paymentTransfer } from '../../src/openbanking/payments.js';
import { getPayment, reserveOnConsent } from '../../src/openbanking/payments-store.js';
import { revokeConsent } from '../../src/openbanking/consents-store.js';
import { ManualClock, startTestApp, type TestApp } from '../helpers/app.js';
import { ENGINE } from '../helpers/env.js';
import { registerTestApp, type TestPartner } from '../helpers/openbanking.js';
import { fundedCustomer, grant, paymentFields, postedBalance, usedOnConsent, type FundedCustomer } from '../helpers/openbanking-data.js';

let t: TestApp<ManualClock>;
let partner: TestPartner;
let shop: FundedCustomer;
let writer: LedgerWriter | undefined;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 5, 1)) });
  partner = await registerTestApp(t, { mode: 'sandbox' });
  shop = await fundedCustomer(t, { funds: [0n] });
});
afterEach(async () => {
  await writer?.stop();
  writer = undefined;
});
afterAll(async () => {
  await t?.close();
});

/** What the wrapped database saw of the groups' reads, and the batches' attempts. */
interface Seen {
  reads: string[];
  attempts: number[];
}

/**
 * A ledger writer and payment groups of their own over the test database, with `meanwhile`
 * run (once) right after the first group read, inside that batch's transaction.
 */
function groupsWith(meanwhile: (tx: Queryable) => Promise<void>): { groups: PaymentGroups; seen: Seen } {
  const seen: Seen = { reads: [], attempts: [] };
  const db = t.testDb.db;
  const wrapped: Db = {
    engine: db.engine,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    transaction: (fn, options) =>
      db.transaction(
        (tx) =>
          fn({
            exec: (sql) => tx.exec(sql),
            query: async (sql, params) => {
              const result = await tx.query(sql, params);
              if (sql.includes('consent_rows AS')) {
                seen.reads.push(sql);
                if (seen.reads.length === 1) await meanwhile(tx);
              }
              return result as never;
            },
          }),
        options,
      ),
  };
  writer = new LedgerWriter(wrapped, t.clock, { observer: { batchCommitted: ({ attempts }) => void seen.attempts.push(attempts) } });
  return { groups: new PaymentGroups(writer), seen };
}

function draft(payer: FundedCustomer, consent_id: string, amount_minor: bigint): PaymentDraft {
  const payment = { ...paymentFields({ consent_id, client_id: partner.client_id, payer, creditor_account_id: shop.account_ids[0]!, amount_minor }), created_at: t.clock.now() };
  return { payment, mode: 'sandbox', transfer: { ok: true, input: paymentTransfer(payment) } };
}

const stored = (outcome: DraftOutcome) => (outcome.kind === 'stored' ? outcome.payment : undefined);

/** The payment as stored (its row, or its transfer), or undefined. */
const storedPayment = (id: string) => getPayment(t.testDb.db, id);

describe('a consent that changes between the group read and its write', () => {
  const consentsLocked = /FROM consents WHERE [^\n]*FOR UPDATE/;

  it('a reservation added meanwhile that leaves room counts: the group pays at the first attempt', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    // Within the batch's own transaction (the one connection PGlite has): the guard sees the
    // change as it would another's commit.
    const { groups, seen } = groupsWith(async (tx) => void (await tx.query('UPDATE consents SET amount_used_minor = amount_used_minor + 1 WHERE id = $1', [consent_id])));
    const d = draft(payer, consent_id, 1_200n);

    expect(stored(await groups.carry(d))?.status).toBe('completed');
    expect(seen.attempts).toEqual([1]);
    expect(seen.reads).toHaveLength(1);
    expect(await usedOnConsent(t, consent_id)).toBe(1n + 1_200n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n - 1_200n);
  });

  it('a change that leaves no room fails the write; the batch runs again with the consents locked, and only that attempt commits', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    // 4,000 + 1,200 passes the 5,000 limit. The rollback takes the change away with it (one connection).
    const { groups, seen } = groupsWith(async (tx) => void (await tx.query('UPDATE consents SET amount_used_minor = amount_used_minor + 4000 WHERE id = $1', [consent_id])));
    const shopBefore = await postedBalance(t, shop.account_ids[0]!);

    const d = draft(payer, consent_id, 1_200n);
    const payment = stored(await groups.carry(d));

    expect(payment?.status).toBe('completed');
    expect(seen.attempts).toEqual([2]);
    expect(seen.reads).toHaveLength(2);
    expect(seen.reads[0]).not.toMatch(consentsLocked);
    expect(seen.reads[1]).toMatch(consentsLocked);
    expect(await usedOnConsent(t, consent_id)).toBe(1_200n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n - 1_200n);
    expect(await postedBalance(t, shop.account_ids[0]!)).toBe(shopBefore + 1_200n);
    expect(await storedPayment(d.payment.id)).toMatchObject({ status: 'completed', amount_minor: 1_200n });
  });

  it('a refusal for the limit holds only for the total read: any change runs the batch again', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async (tx) => void (await tx.query('UPDATE consents SET amount_used_minor = amount_used_minor + 1 WHERE id = $1', [consent_id])));

    const fits = draft(payer, consent_id, 3_000n);
    const over = draft(payer, consent_id, 2_500n);
    const [first, second] = await Promise.all([groups.carry(fits), groups.carry(over)]);

    expect(stored(first!)?.status).toBe('completed');
    expect(second).toMatchObject({ kind: 'refused', refusal: { code: 'consent_limit_exceeded' } });
    expect(seen.attempts).toEqual([2]);
    expect(seen.reads[1]).toMatch(consentsLocked);
    expect(await usedOnConsent(t, consent_id)).toBe(3_000n);
    expect(await storedPayment(over.payment.id)).toBeUndefined();
  });

  it('a revocation meanwhile fails the write whatever the room', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async (tx) => void (await tx.query(`UPDATE consents SET status = 'revoked' WHERE id = $1`, [consent_id])));

    // The rollback takes the revocation away too (one connection), so the retry pays.
    expect(stored(await groups.carry(draft(payer, consent_id, 1_000n)))?.status).toBe('completed');
    expect(seen.attempts).toEqual([2]);
    expect(await usedOnConsent(t, consent_id)).toBe(1_000n);
  });

  it('a consent left as read passes the check at the first attempt', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async () => {});
    const outcomes = await Promise.all([draft(payer, consent_id, 700n), draft(payer, consent_id, 800n)].map((d) => groups.carry(d)));
    expect(outcomes.map((o) => stored(o)?.status)).toEqual(['completed', 'completed']);
    expect(seen.attempts.length).toBeGreaterThan(0);
    expect(seen.attempts.every((a) => a === 1)).toBe(true);
    expect(await usedOnConsent(t, consent_id)).toBe(1_500n);
  });
});

// Another connection commits the change while the batch's transaction is open: PostgreSQL only
// (PGlite has one connection, which the open transaction holds).
describe.runIf(ENGINE === 'postgres')('PostgreSQL: another transaction commits a change to the consent meanwhile', () => {
  it('a reservation (a red envelope) committed meanwhile counts: the retry pays within what is left', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async () => {
      expect(await t.testDb.db.transaction((other) => reserveOnConsent(other, consent_id, 3_000n, t.clock.now()))).toBe(true);
    });

    const fits = draft(payer, consent_id, 1_500n);
    const over = draft(payer, consent_id, 1_000n); // 3,000 + 1,500 + 1,000 passes the 5,000 limit
    const [first, second] = await Promise.all([groups.carry(fits), groups.carry(over)]);

    expect(stored(first!)?.status).toBe('completed');
    expect(second).toMatchObject({ kind: 'refused', refusal: { code: 'consent_limit_exceeded' } });
    expect(seen.attempts).toEqual([2]);
    expect(await usedOnConsent(t, consent_id)).toBe(3_000n + 1_500n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n - 1_500n);
    expect(await storedPayment(over.payment.id)).toBeUndefined();
  });

  it('a reservation committed meanwhile that leaves room counts without a retry', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async () => {
      expect(await t.testDb.db.transaction((other) => reserveOnConsent(other, consent_id, 1_000n, t.clock.now()))).toBe(true);
    });

    const outcomes = await Promise.all([draft(payer, consent_id, 1_500n), draft(payer, consent_id, 1_000n)].map((d) => groups.carry(d)));

    expect(outcomes.map((o) => stored(o)?.status)).toEqual(['completed', 'completed']);
    expect(seen.attempts).toEqual([1]);
    expect(await usedOnConsent(t, consent_id)).toBe(1_000n + 2_500n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n - 2_500n);
  });

  it('a revocation committed meanwhile wins: the retry refuses the payment and nothing moves', async () => {
    const payer = await fundedCustomer(t, { funds: [10_000n] });
    const { consent_id } = await grant(t, partner, payer, [payer.account_ids[0]!], { kind: 'payment_initiation', payment: { currency: 'USD', amount_limit_minor: 5_000n } });
    const { groups, seen } = groupsWith(async () => {
      const revoked = await revokeConsent(t.testDb.db, { id: consent_id, by: 'partner', actor_id: partner.client_id, now: t.clock.now() });
      expect(revoked.ok).toBe(true);
    });

    const d = draft(payer, consent_id, 1_000n);
    expect(await groups.carry(d)).toMatchObject({ kind: 'refused', refusal: { code: 'consent_revoked' } });
    expect(seen.attempts).toEqual([2]);
    expect(await usedOnConsent(t, consent_id)).toBe(0n);
    expect(await postedBalance(t, payer.account_ids[0]!)).toBe(10_000n);
    expect(await storedPayment(d.payment.id)).toBeUndefined();
  });
});

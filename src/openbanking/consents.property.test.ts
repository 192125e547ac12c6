import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPaymentTerms, fitsLimit, remainingMinor, type Consent } from './consents.js';

const CREDITOR = '0195a000-0000-7000-8000-0000000000c1';

function paymentConsent(limit: bigint, per_payment_max: bigint | null): Consent {
  const now = new Date('2025-03-01T00:00:00Z');
  return {
    id: '0195a000-0000-7000-8000-000000000001',
    client_id: 'app_1',
    kind: 'payment_initiation',
    status: 'authorised',
    permissions: ['payments:create'],
    customer_id: 'cust-1',
    account_ids: ['0195a000-0000-7000-8000-0000000000a1'],
    currency: 'USD',
    amount_limit_minor: limit,
    amount_used_minor: 0n,
    per_payment_max_minor: per_payment_max,
    creditor_account_id: null,
    expires_at: new Date(now.getTime() + 86_400_000),
    created_at: now,
    authorised_at: now,
    revoked_at: null,
    revoked_by: null,
  };
}

/** A payment attempt, or the ledger rejecting the i-th accepted payment (its reservation is released). */
type Step = { kind: 'pay'; amount: bigint } | { kind: 'reject'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 5_000n }).map((amount) => ({ kind: 'pay' as const, amount })) },
  { weight: 1, arbitrary: fc.nat(50).map((pick) => ({ kind: 'reject' as const, pick })) },
);

describe('consent limit arithmetic (property)', () => {
  it('no sequence of payments and rejections takes the used total past the limit, and every refusal was necessary', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 20_000n }),
        fc.option(fc.bigInt({ min: 1n, max: 20_000n }), { nil: null }),
        fc.array(step, { maxLength: 80 }),
        (limit, maxRaw, steps) => {
          const per_payment_max = maxRaw === null ? null : maxRaw > limit ? limit : maxRaw;
          let consent = paymentConsent(limit, per_payment_max);
          const live: bigint[] = []; // accepted payments still counted (not rejected)
          for (const s of steps) {
            if (s.kind === 'reject') {
              if (live.length === 0) continue;
              const [amount] = live.splice(s.pick % live.length, 1);
              consent = { ...consent, amount_used_minor: consent.amount_used_minor - amount! };
            } else {
              const terms = checkPaymentTerms(consent, { amount_minor: s.amount, currency: 'USD', creditor_account_id: CREDITOR });
              // The pure check and the SQL reservation state the same rule.
              expect(terms.ok && true).toBe(fitsLimit(consent, s.amount) && (per_payment_max === null || s.amount <= per_payment_max));
              if (terms.ok) {
                consent = { ...consent, amount_used_minor: consent.amount_used_minor + s.amount };
                live.push(s.amount);
              } else if (terms.code === 'consent_limit_exceeded') {
                expect(consent.amount_used_minor + s.amount).toBeGreaterThan(limit);
              } else {
                expect(terms.code).toBe('payment_amount_above_consent');
                expect(s.amount).toBeGreaterThan(per_payment_max!);
              }
            }
            expect(consent.amount_used_minor).toBeLessThanOrEqual(limit);
            expect(consent.amount_used_minor).toBeGreaterThanOrEqual(0n);
            expect(consent.amount_used_minor).toBe(live.reduce((a, b) => a + b, 0n));
            expect(remainingMinor(consent)).toBe(limit - consent.amount_used_minor);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

/**
 * Allocation conserves money (applied + unapplied = amount), never pays more than is due
 * on any component, pays nothing on instalments not yet due, and respects the order: while
 * any due amount earlier in the order is unpaid, nothing later in the order gets money.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALLOCATION_ORDER, allocateRepayment, type ComponentAmounts, type InstalmentDue } from './allocation.js';
import { addDays, businessDate } from './dates.js';

const FC_SEED = Number(process.env.LENDING_FC_SEED ?? 20260207);
const BASE = businessDate('2024-01-15');
const KEYS = ALLOCATION_ORDER.map((c) => `${c}_minor` as keyof ComponentAmounts);

const amount = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 9n }));
const duesArbitrary = fc
  .array(fc.record({ offset: fc.integer({ min: 0, max: 400 }), penalty: amount, fee: amount, interest: amount, principal: amount }), { maxLength: 12 })
  .map((rows) =>
    rows.map(
      (row, i): InstalmentDue => ({
        instalment_number: i + 1,
        due_date: addDays(BASE, row.offset),
        penalty_minor: row.penalty,
        fee_minor: row.fee,
        interest_minor: row.interest,
        principal_minor: row.principal,
      }),
    ),
  );

describe('allocation properties', () => {
  it('conserves money, never overpays, and follows the documented order', () => {
    fc.assert(
      fc.property(duesArbitrary, fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.integer({ min: 0, max: 400 }), (dues, paid, asOfOffset) => {
        const as_of = addDays(BASE, asOfOffset);
        const result = allocateRepayment(dues, paid, as_of);
        expect(result.applied_minor + result.unapplied_minor).toBe(paid);
        expect(result.unapplied_minor).toBeGreaterThanOrEqual(0n);

        const payable = dues.filter((d) => d.due_date <= as_of).sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : a.instalment_number - b.instalment_number));
        expect(result.applied.map((a) => a.instalment_number)).toEqual(payable.map((d) => d.instalment_number));
        let total = 0n;
        // Walk the documented order; once something is left unpaid, everything after gets 0.
        let shortfall = false;
        for (const key of KEYS) {
          payable.forEach((due, i) => {
            const applied = result.applied[i]![key];
            expect(applied).toBeGreaterThanOrEqual(0n);
            expect(applied).toBeLessThanOrEqual(due[key]);
            if (shortfall) expect(applied).toBe(0n);
            if (applied < due[key]) shortfall = true;
            total += applied;
          });
          expect(result.by_component[key]).toBe(result.applied.reduce((t, a) => t + a[key], 0n));
        }
        expect(total).toBe(result.applied_minor);
        // Money is left over only when everything due was paid.
        if (result.unapplied_minor > 0n) expect(shortfall).toBe(false);
      }),
      { seed: FC_SEED, numRuns: 500 },
    );
  });
});

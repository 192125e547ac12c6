/** The allocation order on hand-made arrears: component by component, oldest first within each. */
import { describe, expect, it } from 'vitest';
import { ALLOCATION_ORDER, allocateRepayment, type InstalmentDue } from './allocation.js';
import { businessDate as d } from './dates.js';

const due = (instalment_number: number, due_date: string, penalty: bigint, fee: bigint, interest: bigint, principal: bigint): InstalmentDue => ({
  instalment_number,
  due_date: d(due_date),
  penalty_minor: penalty,
  fee_minor: fee,
  interest_minor: interest,
  principal_minor: principal,
});

const ARREARS = [
  due(2, '2024-03-15', 10n, 0n, 100n, 900n),
  due(1, '2024-02-15', 30n, 50n, 110n, 890n), // listed out of order on purpose
  due(3, '2024-04-15', 0n, 0n, 90n, 910n),
];

describe('allocateRepayment', () => {
  it('pays all penalties, then fees, then interest, then principal, oldest first in each', () => {
    // 40 penalties + 50 fees + 300 interest = 390; 500 more goes to instalment 1's principal.
    const result = allocateRepayment(ARREARS, 890n, d('2024-04-20'));
    expect(result.applied).toEqual([
      { instalment_number: 1, penalty_minor: 30n, fee_minor: 50n, interest_minor: 110n, principal_minor: 500n },
      { instalment_number: 2, penalty_minor: 10n, fee_minor: 0n, interest_minor: 100n, principal_minor: 0n },
      { instalment_number: 3, penalty_minor: 0n, fee_minor: 0n, interest_minor: 90n, principal_minor: 0n },
    ]);
    expect(result.by_component).toEqual({ penalty_minor: 40n, fee_minor: 50n, interest_minor: 300n, principal_minor: 500n });
    expect(result).toMatchObject({ applied_minor: 890n, unapplied_minor: 0n });
  });

  it('stops part-way through a component when funds run short', () => {
    const result = allocateRepayment(ARREARS, 35n, d('2024-04-20'));
    expect(result.applied.map((a) => a.penalty_minor)).toEqual([30n, 5n, 0n]);
    expect(result.by_component).toEqual({ penalty_minor: 35n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n });
    // 40 clears the penalties; the next 30 goes to the fee, none to interest yet.
    expect(allocateRepayment(ARREARS, 70n, d('2024-04-20')).by_component).toEqual({ penalty_minor: 40n, fee_minor: 30n, interest_minor: 0n, principal_minor: 0n });
    // 390 clears penalties, fees and interest; 150 more starts on the oldest principal.
    expect(allocateRepayment(ARREARS, 540n, d('2024-04-20')).applied.map((a) => a.principal_minor)).toEqual([150n, 0n, 0n]);
    expect(ALLOCATION_ORDER).toEqual(['penalty', 'fee', 'interest', 'principal']);
  });

  it('returns what is left after everything due is paid, and leaves instalments not yet due alone', () => {
    const result = allocateRepayment(ARREARS, 5_000n, d('2024-03-20'));
    expect(result.applied.map((a) => a.instalment_number)).toEqual([1, 2]);
    expect(result.applied_minor).toBe(30n + 50n + 110n + 890n + 10n + 100n + 900n);
    expect(result.unapplied_minor).toBe(5_000n - 2_090n);
  });

  it('treats an instalment due on the as-of date as due', () => {
    expect(allocateRepayment(ARREARS, 10_000n, d('2024-04-15')).applied).toHaveLength(3);
  });

  it('applies nothing from nothing and refuses bad input', () => {
    expect(allocateRepayment(ARREARS, 0n, d('2024-04-20'))).toMatchObject({ applied_minor: 0n, unapplied_minor: 0n });
    expect(allocateRepayment([], 100n, d('2024-04-20'))).toEqual({
      applied: [],
      by_component: { penalty_minor: 0n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n },
      applied_minor: 0n,
      unapplied_minor: 100n,
    });
    expect(() => allocateRepayment(ARREARS, -1n, d('2024-04-20'))).toThrow(RangeError);
    expect(() => allocateRepayment([ARREARS[0]!, ARREARS[0]!], 1n, d('2024-04-20'))).toThrow(/twice/);
    expect(() => allocateRepayment([due(1, '2024-01-01', -1n, 0n, 0n, 0n)], 1n, d('2024-04-20'))).toThrow(/negative/);
  });
});

/** DPD, buckets, the five categories at each boundary, grace, and provisions. */
import { describe, expect, it } from 'vitest';
import { classifyByDpd, daysPastDue, dpdBucket, isOverdue, oldestUnpaidDueDate, PROVISION_RATE_BPS, provisionFor } from './aging.js';
import { businessDate as d } from './dates.js';

describe('days past due', () => {
  it('counts from the oldest unpaid due date: 0 on the due date, 1 the day after', () => {
    expect(daysPastDue(d('2024-02-15'), d('2024-02-15'))).toBe(0);
    expect(daysPastDue(d('2024-02-15'), d('2024-02-16'))).toBe(1);
    expect(daysPastDue(d('2024-02-15'), d('2024-03-15'))).toBe(29);
    expect(daysPastDue(d('2024-02-15'), d('2024-02-01'))).toBe(0);
    expect(daysPastDue(null, d('2024-02-01'))).toBe(0);
  });

  it('finds the oldest due date with anything unpaid', () => {
    const zero = { penalty_minor: 0n, fee_minor: 0n, interest_minor: 0n, principal_minor: 0n };
    const dues = [
      { ...zero, due_date: d('2024-01-15') }, // fully paid
      { ...zero, due_date: d('2024-03-15'), principal_minor: 5n },
      { ...zero, due_date: d('2024-02-15'), penalty_minor: 1n },
      { ...zero, due_date: d('2024-04-15'), interest_minor: 9n }, // not yet due on the as-of date
    ];
    expect(oldestUnpaidDueDate(dues, d('2024-04-01'))).toBe('2024-02-15');
    expect(oldestUnpaidDueDate(dues.slice(0, 1), d('2024-04-01'))).toBeNull();
  });

  it('is overdue only beyond grace', () => {
    expect(isOverdue(0, 0)).toBe(false);
    expect(isOverdue(1, 0)).toBe(true);
    expect(isOverdue(3, 3)).toBe(false);
    expect(isOverdue(4, 3)).toBe(true);
  });
});

describe('buckets and classification', () => {
  it('buckets DPD', () => {
    expect([0, 1, 30, 31, 60, 61, 90, 91, 1000].map(dpdBucket)).toEqual(['current', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', '90+', '90+']);
    expect(() => dpdBucket(-1)).toThrow(RangeError);
    expect(() => dpdBucket(1.5)).toThrow(RangeError);
  });

  it('classifies into the five categories at their boundaries', () => {
    expect([0, 1, 90, 91, 180, 181, 360, 361].map(classifyByDpd)).toEqual([
      'normal',
      'special_mention',
      'special_mention',
      'substandard',
      'substandard',
      'doubtful',
      'doubtful',
      'loss',
    ]);
  });
});

describe('provisions', () => {
  it('uses 1% / 2% / 25% / 50% / 100% of outstanding principal, rounded half-up', () => {
    expect(PROVISION_RATE_BPS).toEqual({ normal: 100, special_mention: 200, substandard: 2_500, doubtful: 5_000, loss: 10_000 });
    expect(provisionFor('normal', 10_000_000n)).toBe(100_000n);
    expect(provisionFor('special_mention', 10_000_000n)).toBe(200_000n);
    expect(provisionFor('substandard', 10_000_000n)).toBe(2_500_000n);
    expect(provisionFor('doubtful', 10_000_001n)).toBe(5_000_001n); // 5,000,000.5 → up
    expect(provisionFor('loss', 10_000_001n)).toBe(10_000_001n);
    expect(provisionFor('normal', 150n)).toBe(2n); // 1.5 → 2
    expect(provisionFor('normal', 149n)).toBe(1n);
    expect(() => provisionFor('normal', -1n)).toThrow(RangeError);
  });
});

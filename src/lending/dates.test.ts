/**
 * Business dates: parsing, the day-number arithmetic (checked against JavaScript's own UTC
 * calendar, used only here as an independent reference), and the anchored month rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  businessDate,
  compareDates,
  daysBetween,
  daysInMonth,
  fromDayNumber,
  isBusinessDate,
  isMonthEnd,
  maxDate,
  minDate,
  parseBusinessDate,
  toDayNumber,
  type BusinessDate,
} from './dates.js';

const d = businessDate;

describe('parseBusinessDate', () => {
  it('accepts real calendar dates', () => {
    expect(parseBusinessDate('2024-02-29')).toEqual({ ok: true, date: '2024-02-29' });
    expect(isBusinessDate('2000-02-29')).toBe(true);
    expect(isBusinessDate('0001-01-01')).toBe(true);
    expect(isBusinessDate('9999-12-31')).toBe(true);
  });

  it('refuses impossible or badly written dates with a reason', () => {
    for (const bad of ['2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-1-01', '24-01-01', '2024-01-01T00:00:00Z', ' 2024-01-01', '0000-01-01', '']) {
      const parsed = parseBusinessDate(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.code).toBe('invalid_date');
    }
    expect(() => businessDate('2023-02-29')).toThrow(/28 days/);
  });
});

describe('day arithmetic', () => {
  it('numbers days from 1970-01-01', () => {
    expect(toDayNumber(d('1970-01-01'))).toBe(0);
    expect(toDayNumber(d('1969-12-31'))).toBe(-1);
    expect(toDayNumber(d('2000-03-01'))).toBe(11017);
    expect(fromDayNumber(19782)).toBe('2024-02-29');
  });

  it('agrees with the UTC calendar of Date for any day in years 1..9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719162, max: 2932896 }), (dayNumber) => {
        const reference = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
        expect(fromDayNumber(dayNumber)).toBe(reference);
        expect(toDayNumber(d(reference))).toBe(dayNumber);
      }),
      { seed: 20260201, numRuns: 2000 },
    );
  });

  it('adds days and counts them both ways', () => {
    expect(addDays(d('2024-02-28'), 1)).toBe('2024-02-29');
    expect(addDays(d('2023-02-28'), 1)).toBe('2023-03-01');
    expect(addDays(d('2024-12-31'), 1)).toBe('2025-01-01');
    expect(addDays(d('2024-03-01'), -1)).toBe('2024-02-29');
    expect(daysBetween(d('2024-01-01'), d('2025-01-01'))).toBe(366);
    expect(daysBetween(d('2025-01-01'), d('2024-01-01'))).toBe(-366);
    expect(() => addDays(d('9999-12-31'), 1)).toThrow(RangeError);
    expect(() => addDays(d('2024-01-01'), 1.5)).toThrow(RangeError);
  });

  it('compares', () => {
    expect(compareDates(d('2024-01-02'), d('2024-01-10'))).toBe(-1);
    expect(compareDates(d('2024-01-10'), d('2024-01-10'))).toBe(0);
    expect(compareDates(d('2025-01-01'), d('2024-12-31'))).toBe(1);
    expect(minDate(d('2024-05-01'), d('2024-04-30'))).toBe('2024-04-30');
    expect(maxDate(d('2024-05-01'), d('2024-04-30'))).toBe('2024-05-01');
  });
});

describe('addMonths', () => {
  it('clamps to the end of a shorter month and keeps the anchor day after it', () => {
    const start = d('2024-01-31');
    const dues = [1, 2, 3, 4, 13].map((k) => addMonths(start, k));
    expect(dues).toEqual(['2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31', '2025-02-28']);
    // Chaining would drift to the 29th for good: the anchored rule is what schedules use.
    expect(addMonths(addMonths(start, 1), 1)).toBe('2024-03-29');
  });

  it('crosses years both ways', () => {
    expect(addMonths(d('2024-11-15'), 3)).toBe('2025-02-15');
    expect(addMonths(d('2024-03-31'), -1)).toBe('2024-02-29');
    expect(addMonths(d('2024-01-15'), -13)).toBe('2022-12-15');
  });

  it('always lands on the anchor day or the end of a shorter month', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2932896 - 40 * 366 }), fc.integer({ min: -120, max: 480 }), (dayNumber, months) => {
        const start = fromDayNumber(dayNumber);
        const due = addMonths(start, months);
        const startDay = Number(start.slice(8));
        const dueDay = Number(due.slice(8));
        const [y, m] = [Number(due.slice(0, 4)), Number(due.slice(5, 7))];
        expect(dueDay).toBe(Math.min(startDay, daysInMonth(y, m)));
        const monthsApart = (y - Number(start.slice(0, 4))) * 12 + (m - Number(start.slice(5, 7)));
        expect(monthsApart).toBe(months);
      }),
      { seed: 20260202, numRuns: 1000 },
    );
  });

  it('knows month ends', () => {
    expect(isMonthEnd(d('2024-02-29'))).toBe(true);
    expect(isMonthEnd(d('2023-02-28'))).toBe(true);
    expect(isMonthEnd(d('2024-02-28'))).toBe(false);
    expect(isMonthEnd('2024-04-30' as BusinessDate)).toBe(true);
  });
});

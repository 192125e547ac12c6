/**
 * Business dates: calendar days as ISO `YYYY-MM-DD` strings, with no time and no zone.
 * Lending runs on business dates passed in by the caller (the close-of-business job's
 * date), never on the clock. Arithmetic goes through a day number (days since 1970-01-01)
 * computed with integer civil-calendar formulas, so no `Date` object, zone or DST can
 * shift a day.
 */

/** A valid ISO calendar date `YYYY-MM-DD` (years 0001–9999). Build with `parseBusinessDate` or `businessDate`. */
export type BusinessDate = string & { readonly __brand: 'BusinessDate' };

export type DateResult = { ok: true; date: BusinessDate } | { ok: false; code: 'invalid_date'; detail: string };

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEAR_MIN = 1;
const YEAR_MAX = 9999;

export interface DateParts {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function parseBusinessDate(text: string): DateResult {
  const match = SHAPE.exec(text);
  if (!match) return { ok: false, code: 'invalid_date', detail: `"${text}" is not a date in the form YYYY-MM-DD` };
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < YEAR_MIN) return { ok: false, code: 'invalid_date', detail: `"${text}": the year must be 0001..9999` };
  if (month < 1 || month > 12) return { ok: false, code: 'invalid_date', detail: `"${text}": the month must be 01..12` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, code: 'invalid_date', detail: `"${text}": ${year}-${pad2(month)} has ${daysInMonth(year, month)} days` };
  }
  return { ok: true, date: text as BusinessDate };
}

export function isBusinessDate(text: string): text is BusinessDate {
  return parseBusinessDate(text).ok;
}

/** For literals and values already validated: a bad date here is a bug, so it throws. */
export function businessDate(text: string): BusinessDate {
  const parsed = parseBusinessDate(text);
  if (!parsed.ok) throw new RangeError(parsed.detail);
  return parsed.date;
}

export function dateParts(date: BusinessDate): DateParts {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

export function fromParts(parts: DateParts): BusinessDate {
  const { year, month, day } = parts;
  if (!Number.isInteger(year) || year < YEAR_MIN || year > YEAR_MAX) throw new RangeError(`year ${year} is outside 0001..9999`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`month ${month} is outside 1..12`);
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) throw new RangeError(`${year}-${pad2(month)} has no day ${day}`);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}` as BusinessDate;
}

/** Days since 1970-01-01 (negative before). H. Hinnant's days_from_civil, in integers. */
export function toDayNumber(date: BusinessDate): number {
  const { year, month, day } = dateParts(date);
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The inverse of `toDayNumber` (civil_from_days). */
export function fromDayNumber(dayNumber: number): BusinessDate {
  if (!Number.isSafeInteger(dayNumber)) throw new RangeError(`day number ${dayNumber} is not an integer`);
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return fromParts({ year, month, day });
}

export function addDays(date: BusinessDate, days: number): BusinessDate {
  if (!Number.isInteger(days)) throw new RangeError(`days must be an integer, got ${days}`);
  return fromDayNumber(toDayNumber(date) + days);
}

/**
 * `date` plus `months` calendar months, clamped to the end of a shorter month (Jan 31 + 1
 * month = Feb 28 or 29). Schedules call this with the loan's start date and k × months for
 * each due date, never on the previous due date: chaining would drift (Jan 31 → Feb 28 →
 * Mar 28) where anchoring keeps the day (Jan 31 → Feb 28 → Mar 31 → Apr 30).
 */
export function addMonths(date: BusinessDate, months: number): BusinessDate {
  if (!Number.isInteger(months)) throw new RangeError(`months must be an integer, got ${months}`);
  const { year, month, day } = dateParts(date);
  const monthIndex = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(monthIndex / 12);
  const targetMonth = monthIndex - targetYear * 12 + 1;
  return fromParts({ year: targetYear, month: targetMonth, day: Math.min(day, daysInMonth(targetYear, targetMonth)) });
}

/** Whole days from `from` to `to`: positive when `to` is later, 0 on the same day. */
export function daysBetween(from: BusinessDate, to: BusinessDate): number {
  return toDayNumber(to) - toDayNumber(from);
}

/** -1, 0 or 1. ISO dates of four-digit years order as strings. */
export function compareDates(a: BusinessDate, b: BusinessDate): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const isBefore = (a: BusinessDate, b: BusinessDate): boolean => a < b;
export const isAfter = (a: BusinessDate, b: BusinessDate): boolean => a > b;
export const minDate = (a: BusinessDate, b: BusinessDate): BusinessDate => (a <= b ? a : b);
export const maxDate = (a: BusinessDate, b: BusinessDate): BusinessDate => (a >= b ? a : b);

/** Whether `date` is the last day of its month. */
export function isMonthEnd(date: BusinessDate): boolean {
  const { year, month, day } = dateParts(date);
  return day === daysInMonth(year, month);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * Interest rates as exact rationals. A product states a nominal annual rate as a decimal
 * string of percent ("12", "4.35", "18.25", at most 6 decimals); it is parsed once into a
 * fraction per year ("4.35" → 435/10000 = 87/2000) and never becomes a float. The string is
 * kept beside the fraction for display and audit.
 */
import { divRoundHalfUp, rational, roundHalfUp, type Rational } from './rational.js';

export { divRoundHalfUp, roundHalfUp, type Rational };

export const RATE_DECIMALS_MAX = 6;
/** A sanity limit, not a legal cap: 100% a year. Legal caps differ by market and belong in product review. */
export const RATE_PERCENT_MAX = 100n;

// No sign, no exponent, no leading zeros, no bare or trailing point: one spelling per value
// class keeps product definitions unambiguous ("12" and "12.00" are both fine).
const PERCENT = /^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,6}))?$/;

export type RateResult = { ok: true; rate: Rational } | { ok: false; code: 'invalid_format' | 'out_of_range'; detail: string };

/** "12" → 12/100 a year. Accepts 0 ≤ rate ≤ 100 percent. */
export function parseAnnualRatePercent(text: unknown): RateResult {
  if (typeof text !== 'string') return { ok: false, code: 'invalid_format', detail: 'a rate is a decimal string of percent, like "4.35"' };
  const match = PERCENT.exec(text);
  if (!match) {
    return {
      ok: false,
      code: 'invalid_format',
      detail: `"${text}" is not a percent with up to ${RATE_DECIMALS_MAX} decimals (like "12" or "4.35"; no sign, exponent or leading zeros)`,
    };
  }
  const decimals = match[2] ?? '';
  const scaled = BigInt(match[1]! + decimals);
  const rate = rational(scaled, 100n * 10n ** BigInt(decimals.length));
  if (rate.num * 100n > RATE_PERCENT_MAX * rate.den) {
    return { ok: false, code: 'out_of_range', detail: `"${text}" percent is above the ${RATE_PERCENT_MAX}% limit` };
  }
  return { ok: true, rate };
}

/** For literals and stored values already validated: a bad rate here is a bug. */
export function annualRate(text: string): Rational {
  const parsed = parseAnnualRatePercent(text);
  if (!parsed.ok) throw new RangeError(parsed.detail);
  return parsed.rate;
}

/** Basis points of an amount, rounded half-up: the rule for every fee and provision in lending. */
export function bpsOf(amount_minor: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0) throw new RangeError(`basis points must be a non-negative integer, got ${bps}`);
  return divRoundHalfUp(amount_minor * BigInt(bps), 10_000n);
}

/**
 * Exact rationals over bigint, for the money path of lending: interest is computed as an
 * exact fraction of a minor unit and rounded once, at a documented point, never carried
 * through floats. Values are kept in lowest terms with a positive denominator so equal
 * numbers compare and serialise equally.
 */

export interface Rational {
  readonly num: bigint;
  /** Always > 0; gcd(num, den) = 1. */
  readonly den: bigint;
}

export const ZERO: Rational = { num: 0n, den: 1n };
export const ONE: Rational = { num: 1n, den: 1n };

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new RangeError('a rational needs a non-zero denominator');
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den) || 1n;
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

export const fromInteger = (value: bigint): Rational => ({ num: value, den: 1n });
export const add = (a: Rational, b: Rational): Rational => rational(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Rational, b: Rational): Rational => rational(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Rational, b: Rational): Rational => rational(a.num * b.num, a.den * b.den);
export const mulInt = (a: Rational, b: bigint): Rational => rational(a.num * b, a.den);
export const divInt = (a: Rational, b: bigint): Rational => rational(a.num, a.den * b);

export function div(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new RangeError('division by a zero rational');
  return rational(a.num * b.den, a.den * b.num);
}

export function compare(a: Rational, b: Rational): -1 | 0 | 1 {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

export const isZero = (a: Rational): boolean => a.num === 0n;

/** The largest integer ≤ a (bigint division truncates toward zero, so negatives need care). */
export function floor(a: Rational): bigint {
  const q = a.num / a.den;
  return a.num < 0n && q * a.den !== a.num ? q - 1n : q;
}

/**
 * n / d rounded half-up to an integer: a remainder of exactly one half rounds up
 * (2.5 → 3), anything less rounds down. Defined for n ≥ 0 and d > 0 only: lending rounds
 * amounts that cannot be negative, and "half-up" is ambiguous below zero, so a negative
 * input is a bug and throws.
 */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError(`divRoundHalfUp needs a positive divisor, got ${d}`);
  if (n < 0n) throw new RangeError(`divRoundHalfUp rounds non-negative amounts only, got ${n}`);
  return (2n * n + d) / (2n * d);
}

/** A non-negative rational rounded half-up to an integer (see `divRoundHalfUp`). */
export function roundHalfUp(a: Rational): bigint {
  return divRoundHalfUp(a.num, a.den);
}

/**
 * Splits an exact amount into whole minor units (floor) and the fraction left over, in
 * [0, 1). Daily accruals that must neither lose nor invent a cent post the whole part and
 * carry the fraction into the next day: whole + fraction = amount, exactly.
 */
export function splitWhole(amount: Rational): { whole_minor: bigint; fraction: Rational } {
  const whole_minor = floor(amount);
  return { whole_minor, fraction: sub(amount, fromInteger(whole_minor)) };
}

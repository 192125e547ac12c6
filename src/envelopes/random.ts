/**
 * The cryptographically secure random source for share draws: a draw is made at grab time
 * from the operating system's CSPRNG, so nobody can predict or pre-compute the shares.
 */
import { randomBytes } from 'node:crypto';
import type { RandomSource } from './core.js';

/** Uniform in [0, bound) by rejection sampling over whole bytes (no modulo bias). */
export const secureRandom: RandomSource = (bound) => {
  if (bound <= 0n) throw new RangeError('bound must be positive');
  const bits = bound.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const candidate = BigInt(`0x${randomBytes(bytes).toString('hex')}`) >> excess;
    if (candidate < bound) return candidate;
  }
};

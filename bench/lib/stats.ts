/** Small numeric helpers for the benchmarks: a seeded random source, percentiles, formatting. */

/** mulberry32: a tiny seeded PRNG, so every run draws the same traffic. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export const randomInt = (random: () => number, n: number): number => Math.floor(random() * n);

/** Nearest-rank percentile of unsorted samples (copies and sorts). */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function latencySummary(samples_ms: ArrayLike<number>): { p50_ms: number; p99_ms: number } {
  return { p50_ms: percentile(samples_ms, 50), p99_ms: percentile(samples_ms, 99) };
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const fmtInt = (n: number): string => (Number.isFinite(n) ? grouped.format(Math.round(n)) : '–');

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '–';
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

export const fmtPct = (r: number): string => (Number.isFinite(r) ? `${(r * 100).toFixed(0)}%` : '–');

/**
 * Credit scorecard: weight-of-evidence (WOE) binning per attribute, a logistic regression on
 * the WOE-encoded attributes, and the standard points scaling, so the score is a sum of
 * points a reviewer can read bin by bin and the probability of bad is the model's.
 *
 * WOE of a bin is ln(share of goods / share of bads): positive bins are better than average.
 * Coefficients on WOE are therefore negative in a sound model; an attribute whose coefficient
 * comes out positive (collinear with others) is dropped and the model refitted, so better
 * bins never earn fewer points.
 *
 * Scaling: factor = pdo / ln 2, offset = base_score - factor * ln(base_odds), and
 * score = offset + factor * ln(odds good:bad), split over the attributes as bin points
 * (the intercept shared equally). Score `base_score` means odds `base_odds`:1, and every
 * `pdo` points double the odds.
 *
 * Pure and deterministic: the same rows, labels and options give the same card.
 */
import { auc, confusionAt, cost, minCostThreshold, stratifiedKFold, worstDecile, type CostMatrix, type Label } from './metrics.js';

export type AttributeValue = string | number | null;
export type ScorecardRow = Readonly<Record<string, AttributeValue | undefined>>;

export interface ScorecardOptions {
  /** Initial quantile bins for a numeric attribute, before merging. */
  numeric_bins?: number;
  /** Laplace pseudo-count added to goods and bads of every bin when computing WOE. */
  smoothing?: number;
  /** L2 penalty (l2/2 * sum of squared coefficients; the intercept is not penalised). */
  l2?: number;
  pdo?: number;
  base_score?: number;
  /** Good:bad odds at `base_score`. */
  base_odds?: number;
  /** Smallest share of the training rows a numeric bin may hold; smaller bins are merged. */
  min_bin_share?: number;
  /** Categories rarer than this share of the training rows are pooled into "other". */
  rare_share?: number;
  /** Attributes whose information value is below this are left out of the model. */
  min_information_value?: number;
}

export const SCORECARD_DEFAULTS: Readonly<Required<ScorecardOptions>> = {
  numeric_bins: 10,
  smoothing: 0.5,
  l2: 1,
  pdo: 20,
  base_score: 600,
  base_odds: 50,
  min_bin_share: 0.05,
  rare_share: 0.02,
  min_information_value: 0.02,
};

export const SCORECARD_LIMITS = {
  rows_max: 1_000_000,
  attributes_max: 1_000,
  bins_max: 1_000,
  categories_max: 100_000,
  numeric_bins_max: 100,
} as const;

interface BinCounts {
  goods: number;
  bads: number;
  woe: number;
  points: number;
}

/** `lower` is exclusive, `upper` inclusive; null is unbounded (JSON has no infinity). */
export type RangeBin = BinCounts & { kind: 'range'; label: string; lower: number | null; upper: number | null };
export type CategoriesBin = BinCounts & { kind: 'categories'; label: string; categories: string[] };
/** Categories rare in training and any category never seen. */
export type OtherBin = BinCounts & { kind: 'other'; label: 'other' };
export type MissingBin = BinCounts & { kind: 'missing'; label: 'missing' };
export type ScorecardBin = RangeBin | CategoriesBin | OtherBin | MissingBin;

export interface ScorecardAttribute {
  name: string;
  kind: 'numeric' | 'categorical';
  information_value: number;
  coefficient: number;
  /** Numeric: ranges in ascending order, then missing. Categorical: categories, other, missing. */
  bins: ScorecardBin[];
}

export interface Scorecard {
  format: 'capillary.scorecard/1';
  attributes: ScorecardAttribute[];
  intercept: number;
  scaling: { pdo: number; base_score: number; base_odds: number; factor: number; offset: number };
  /** Every attribute offered to the trainer, in the model or not. */
  information_values: Record<string, number>;
  excluded: { attribute: string; reason: string }[];
  training: {
    rows: number;
    bads: number;
    goods: number;
    options: Required<ScorecardOptions>;
    iterations: number;
    converged: boolean;
  };
}

export interface ScoreReason {
  attribute: string;
  bin: string;
  points: number;
  /** Points below the attribute's best bin. */
  points_lost: number;
}

export interface ScoreResult {
  score: number;
  probability_bad: number;
  /** Up to 4 attributes that lost the most points, most first; attributes in their best bin are not reasons. */
  reasons: ScoreReason[];
}

// ---------------------------------------------------------------- training

interface Prepared {
  name: string;
  kind: 'numeric' | 'categorical';
  bins: ScorecardBin[];
  /** Bin index of each training row. */
  index: Int32Array;
  information_value: number;
}

/**
 * Trains a scorecard. Numbers make a numeric attribute, strings a categorical one; null,
 * undefined and NaN are missing. Input that cannot train a model (lengths that differ,
 * labels other than 0/1, one class only, an attribute mixing numbers and strings, no
 * attribute with information) throws: it is a bug in the caller or its data pipeline.
 */
export function trainScorecard(rows: readonly ScorecardRow[], labels: readonly Label[], options: ScorecardOptions = {}): Scorecard {
  const opts = resolveOptions(options);
  const { bads, goods } = checkTrainingInput(rows, labels);
  const prepared = attributeNames(rows).map((name) => prepareAttribute(name, rows, labels, opts));
  const information_values = Object.fromEntries(prepared.map((p) => [p.name, round(p.information_value, 6)]));
  const excluded: Scorecard['excluded'] = [];
  let used = prepared.filter((p) => {
    if (p.information_value >= opts.min_information_value) return true;
    excluded.push({ attribute: p.name, reason: `information value ${p.information_value.toFixed(4)} below ${opts.min_information_value}` });
    return false;
  });
  for (;;) {
    if (used.length === 0) throw new RangeError('no attribute is informative enough to build a scorecard');
    const fit = fitLogistic(used, labels, opts.l2);
    // The most positive coefficient, if any is positive.
    const worst = fit.coefficients.reduce((w, c, j) => (c > (w < 0 ? 0 : fit.coefficients[w]!) ? j : w), -1);
    if (worst >= 0) {
      excluded.push({ attribute: used[worst]!.name, reason: 'coefficient of the wrong sign alongside the other attributes' });
      used = used.filter((_, j) => j !== worst);
      continue;
    }
    return assemble(used, fit, opts, { rows: rows.length, bads, goods, information_values, excluded });
  }
}

function resolveOptions(options: ScorecardOptions): Required<ScorecardOptions> {
  const o = { ...SCORECARD_DEFAULTS, ...stripUndefined(options) };
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`scorecard option ${what}`);
  };
  const binsMax = SCORECARD_LIMITS.numeric_bins_max;
  need(Number.isInteger(o.numeric_bins) && o.numeric_bins >= 1 && o.numeric_bins <= binsMax, `numeric_bins must be an integer in 1..${binsMax}`);
  need(Number.isFinite(o.smoothing) && o.smoothing > 0, 'smoothing must be > 0 (WOE of an empty class is infinite)');
  need(Number.isFinite(o.l2) && o.l2 >= 0, 'l2 must be >= 0');
  need(Number.isFinite(o.pdo) && o.pdo > 0, 'pdo must be > 0');
  need(Number.isFinite(o.base_score), 'base_score must be finite');
  need(Number.isFinite(o.base_odds) && o.base_odds > 0, 'base_odds must be > 0');
  need(o.min_bin_share >= 0 && o.min_bin_share < 0.5, 'min_bin_share must be in [0, 0.5)');
  need(o.rare_share >= 0 && o.rare_share < 1, 'rare_share must be in [0, 1)');
  need(Number.isFinite(o.min_information_value) && o.min_information_value >= 0, 'min_information_value must be >= 0');
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkTrainingInput(rows: readonly ScorecardRow[], labels: readonly Label[]): { bads: number; goods: number } {
  if (rows.length !== labels.length) throw new RangeError(`${rows.length} rows but ${labels.length} labels`);
  if (rows.length > SCORECARD_LIMITS.rows_max) throw new RangeError(`more than ${SCORECARD_LIMITS.rows_max} rows`);
  let bads = 0;
  labels.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${String(y)}, not 0 or 1`);
    bads += y;
  });
  const goods = rows.length - bads;
  if (bads === 0 || goods === 0) throw new RangeError(`training needs both classes (${bads} bad, ${goods} good)`);
  return { bads, goods };
}

function attributeNames(rows: readonly ScorecardRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  if (names.size > SCORECARD_LIMITS.attributes_max) throw new RangeError(`more than ${SCORECARD_LIMITS.attributes_max} attributes`);
  return [...names];
}

function isMissing(v: AttributeValue | undefined): v is null | undefined {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

function prepareAttribute(name: string, rows: readonly ScorecardRow[], labels: readonly Label[], opts: Required<ScorecardOptions>): Prepared {
  let kind: 'numeric' | 'categorical' | undefined;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![name];
    if (isMissing(v)) continue;
    const k = typeof v === 'number' ? 'numeric' : typeof v === 'string' ? 'categorical' : undefined;
    if (k === undefined) throw new RangeError(`row ${i}, attribute "${name}": ${typeof v} is neither a number nor a string`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`row ${i}, attribute "${name}": ${v} is not finite`);
    if (kind !== undefined && k !== kind) throw new RangeError(`row ${i}, attribute "${name}": mixes numbers and strings`);
    kind = k;
  }
  const attrKind: 'numeric' | 'categorical' = kind ?? 'categorical';
  const bins = attrKind === 'numeric' ? numericBins(name, rows, labels, opts) : categoricalBins(name, rows, opts);
  const index = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    index[i] = findBin(attrKind, bins, r[name]);
  });
  for (const b of bins) b.goods = b.bads = 0;
  labels.forEach((y, i) => {
    const b = bins[index[i]!]!;
    if (y === 1) b.bads++;
    else b.goods++;
  });
  const information_value = applyWoe(bins, opts.smoothing);
  return { name, kind: attrKind, bins, index, information_value };
}

function blankBin<K extends ScorecardBin['kind']>(kind: K): BinCounts & { kind: K } {
  return { kind, goods: 0, bads: 0, woe: 0, points: 0 };
}

/** Sets each bin's WOE (Laplace-smoothed) and returns the information value. Empty bins are neutral. */
function applyWoe(bins: ScorecardBin[], smoothing: number): number {
  const filled = bins.filter((b) => b.goods + b.bads > 0);
  const G = filled.reduce((s, b) => s + b.goods, 0) + smoothing * filled.length;
  const B = filled.reduce((s, b) => s + b.bads, 0) + smoothing * filled.length;
  let iv = 0;
  for (const b of bins) {
    if (b.goods + b.bads === 0) {
      b.woe = 0;
      continue;
    }
    const pg = (b.goods + smoothing) / G;
    const pb = (b.bads + smoothing) / B;
    b.woe = Math.log(pg / pb);
    iv += (pg - pb) * b.woe;
  }
  return iv;
}

// ------------------------------------------------------------- numeric bins

interface Interval {
  lower: number | null;
  upper: number | null;
  goods: number;
  bads: number;
}

function numericBins(name: string, rows: readonly ScorecardRow[], labels: readonly Label[], opts: Required<ScorecardOptions>): ScorecardBin[] {
  const present: { v: number; y: Label }[] = [];
  rows.forEach((r, i) => {
    const v = r[name];
    if (typeof v === 'number' && !Number.isNaN(v)) present.push({ v, y: labels[i]! });
  });
  present.sort((a, b) => a.v - b.v);
  let intervals = initialIntervals(present, opts.numeric_bins);
  intervals = mergeSmall(intervals, Math.ceil(opts.min_bin_share * rows.length));
  intervals = monotoneWhereSensible(intervals);
  const bins: ScorecardBin[] = intervals.map((iv) => ({ ...blankBin('range'), label: rangeLabel(iv.lower, iv.upper), lower: iv.lower, upper: iv.upper }));
  bins.push({ ...blankBin('missing'), label: 'missing' });
  return bins;
}

function rangeLabel(lower: number | null, upper: number | null): string {
  return `(${lower === null ? '-inf' : lower}, ${upper === null ? '+inf)' : `${upper}]`}`;
}

/** Quantile cut points taken from the data (upper bounds inclusive), duplicates dropped. */
function initialIntervals(sorted: readonly { v: number; y: Label }[], nbins: number): Interval[] {
  const n = sorted.length;
  const cuts: number[] = [];
  for (let i = 1; i < nbins && n > 0; i++) {
    const cut = sorted[Math.ceil((i * n) / nbins) - 1]!.v;
    if (cut < sorted[n - 1]!.v && (cuts.length === 0 || cut > cuts[cuts.length - 1]!)) cuts.push(cut);
  }
  const intervals: Interval[] = [...cuts, null].map((upper, i) => ({ lower: i === 0 ? null : cuts[i - 1]!, upper, goods: 0, bads: 0 }));
  let j = 0;
  for (const { v, y } of sorted) {
    while (j < cuts.length && v > cuts[j]!) j++;
    if (y === 1) intervals[j]!.bads++;
    else intervals[j]!.goods++;
  }
  return intervals;
}

const badRate = (iv: Interval): number => (iv.goods + iv.bads === 0 ? 0 : iv.bads / (iv.goods + iv.bads));

function join(a: Interval, b: Interval): Interval {
  return { lower: a.lower, upper: b.upper, goods: a.goods + b.goods, bads: a.bads + b.bads };
}

/** Merges the smallest bin into the neighbour with the closer bad rate until every bin holds `min_rows`. */
function mergeSmall(intervals: Interval[], min_rows: number): Interval[] {
  const out = [...intervals];
  for (;;) {
    let smallest = -1;
    out.forEach((iv, i) => {
      const size = iv.goods + iv.bads;
      if (size < min_rows && (smallest < 0 || size < out[smallest]!.goods + out[smallest]!.bads)) smallest = i;
    });
    if (smallest < 0 || out.length === 1) return out;
    const left = out[smallest - 1];
    const right = out[smallest + 1];
    const r = badRate(out[smallest]!);
    const withLeft = left !== undefined && (right === undefined || Math.abs(badRate(left) - r) <= Math.abs(badRate(right) - r));
    const at = withLeft ? smallest - 1 : smallest;
    out.splice(at, 2, join(out[at]!, out[at + 1]!));
  }
}

/** Pool-adjacent-violators: the coarsest merge of adjacent bins whose bad rate is monotone. */
function monotone(intervals: readonly Interval[], increasing: boolean): Interval[] {
  const stack: Interval[] = [];
  for (const iv of intervals) {
    stack.push(iv);
    while (stack.length >= 2) {
      const a = stack[stack.length - 2]!;
      const b = stack[stack.length - 1]!;
      if (increasing ? badRate(a) <= badRate(b) : badRate(a) >= badRate(b)) break;
      stack.splice(stack.length - 2, 2, join(a, b));
    }
  }
  return stack;
}

function logLikelihood(intervals: readonly Interval[]): number {
  const xlogx = (k: number, n: number): number => (k === 0 ? 0 : k * Math.log(k / n));
  return intervals.reduce((s, iv) => s + xlogx(iv.bads, iv.goods + iv.bads) + xlogx(iv.goods, iv.goods + iv.bads), 0);
}

/**
 * Monotone WOE unless the data insist otherwise: the better monotone merge is kept unless a
 * likelihood-ratio test (5%) says the unconstrained bins fit significantly better, as for
 * a genuinely U-shaped attribute. Monotone bins resist the noise of small samples.
 */
function monotoneWhereSensible(intervals: Interval[]): Interval[] {
  const up = monotone(intervals, true);
  const down = monotone(intervals, false);
  const best = logLikelihood(up) >= logLikelihood(down) ? up : down;
  const df = intervals.length - best.length;
  if (df === 0) return best;
  const lr = 2 * (logLikelihood(intervals) - logLikelihood(best));
  return lr > chiSquare95(df) ? intervals : best;
}

const CHI2_95 = [3.841, 5.991, 7.815, 9.488, 11.07, 12.592, 14.067, 15.507, 16.919, 18.307];

/** 95th percentile of chi-square: table to 10 degrees of freedom, Wilson–Hilferty beyond. */
function chiSquare95(df: number): number {
  if (df <= CHI2_95.length) return CHI2_95[df - 1]!;
  const h = 2 / (9 * df);
  return df * (1 - h + 1.6448536 * Math.sqrt(h)) ** 3;
}

// --------------------------------------------------------- categorical bins

function categoricalBins(name: string, rows: readonly ScorecardRow[], opts: Required<ScorecardOptions>): ScorecardBin[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const v = r[name];
    if (isMissing(v)) continue;
    const key = String(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (counts.size > SCORECARD_LIMITS.categories_max) throw new RangeError(`attribute "${name}" has more than ${SCORECARD_LIMITS.categories_max} categories`);
  }
  const min_rows = opts.rare_share * rows.length;
  const kept = [...counts].filter(([, n]) => n >= min_rows).map(([c]) => c);
  kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (kept.length > SCORECARD_LIMITS.bins_max - 2) throw new RangeError(`attribute "${name}" has more than ${SCORECARD_LIMITS.bins_max - 2} common categories`);
  return [
    ...kept.map((c): ScorecardBin => ({ ...blankBin('categories'), label: c, categories: [c] })),
    { ...blankBin('other'), label: 'other' },
    { ...blankBin('missing'), label: 'missing' },
  ];
}

// -------------------------------------------------------------- bin lookup

/** The bin a value falls in. Numeric text is read as a number; anything unreadable is missing. */
function findBin(kind: 'numeric' | 'categorical', bins: readonly ScorecardBin[], value: AttributeValue | undefined): number {
  const missing = bins.findIndex((b) => b.kind === 'missing');
  if (isMissing(value)) return missing;
  if (kind === 'numeric') {
    const v = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(v)) return missing;
    return bins.findIndex((b) => b.kind === 'range' && (b.lower === null || v > b.lower) && (b.upper === null || v <= b.upper));
  }
  const key = String(value);
  const hit = bins.findIndex((b) => b.kind === 'categories' && b.categories.includes(key));
  return hit >= 0 ? hit : bins.findIndex((b) => b.kind === 'other');
}

// ------------------------------------------------------ logistic regression

interface Fit {
  intercept: number;
  coefficients: number[];
  iterations: number;
  converged: boolean;
}

const NEWTON_ITERATIONS_MAX = 100;
const NEWTON_TOLERANCE = 1e-10;

/** Penalised logistic regression on the WOE columns by Newton's method with step halving. */
function fitLogistic(attrs: readonly Prepared[], labels: readonly Label[], l2: number): Fit {
  const n = labels.length;
  const d = attrs.length + 1;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    x[i * d] = 1;
    attrs.forEach((a, j) => {
      x[i * d + j + 1] = a.bins[a.index[i]!]!.woe;
    });
  }
  let beta = new Float64Array(d);
  let loss = penalisedLoss(x, labels, beta, l2);
  for (let it = 1; it <= NEWTON_ITERATIONS_MAX; it++) {
    const { grad, hess } = derivatives(x, labels, beta, l2);
    const step = solveSpd(hess, grad, d);
    let t = 1;
    let next = beta.map((b, k) => b - step[k]!);
    let nextLoss = penalisedLoss(x, labels, next, l2);
    while (nextLoss > loss && t > 1e-6) {
      t /= 2;
      next = beta.map((b, k) => b - t * step[k]!);
      nextLoss = penalisedLoss(x, labels, next, l2);
    }
    const moved = Math.max(...step.map((s) => Math.abs(t * s)));
    beta = next;
    loss = nextLoss;
    if (moved < NEWTON_TOLERANCE) return { intercept: beta[0]!, coefficients: [...beta.slice(1)], iterations: it, converged: true };
  }
  return { intercept: beta[0]!, coefficients: [...beta.slice(1)], iterations: NEWTON_ITERATIONS_MAX, converged: false };
}

function linear(x: Float64Array, i: number, beta: Float64Array): number {
  const d = beta.length;
  let eta = 0;
  for (let k = 0; k < d; k++) eta += x[i * d + k]! * beta[k]!;
  return eta;
}

function penalisedLoss(x: Float64Array, labels: readonly Label[], beta: Float64Array, l2: number): number {
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const eta = linear(x, i, beta);
    // log(1 + e^eta) - y*eta, computed without overflow.
    loss += (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - labels[i]! * eta;
  }
  for (let k = 1; k < beta.length; k++) loss += (l2 / 2) * beta[k]! ** 2;
  return loss;
}

function derivatives(x: Float64Array, labels: readonly Label[], beta: Float64Array, l2: number): { grad: Float64Array; hess: Float64Array } {
  const d = beta.length;
  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  for (let i = 0; i < labels.length; i++) {
    const p = sigmoid(linear(x, i, beta));
    const w = p * (1 - p);
    const r = p - labels[i]!;
    for (let a = 0; a < d; a++) {
      const xa = x[i * d + a]!;
      grad[a]! += r * xa;
      for (let b = 0; b <= a; b++) hess[a * d + b]! += w * xa * x[i * d + b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < a; b++) hess[b * d + a] = hess[a * d + b]!;
    // A whisker of ridge on the intercept keeps the system solvable in degenerate cases.
    hess[a * d + a]! += a === 0 ? 1e-9 : l2;
    if (a > 0) grad[a]! += l2 * beta[a]!;
  }
  return { grad, hess };
}

/** Solves A s = g for a symmetric positive-definite A by Cholesky. */
function solveSpd(a: Float64Array, g: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`Hessian not positive definite at column ${i}: the WOE columns are degenerate`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = g[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * y[k]!;
    y[i] = s / l[i * d + i]!;
  }
  const s = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let t = y[i]!;
    for (let k = i + 1; k < d; k++) t -= l[k * d + i]! * s[k]!;
    s[i] = t / l[i * d + i]!;
  }
  return s;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

// ----------------------------------------------------------------- assembly

function scaling(pdo: number, base_score: number, base_odds: number): Scorecard['scaling'] {
  const factor = pdo / Math.LN2;
  return { pdo, base_score, base_odds, factor, offset: base_score - factor * Math.log(base_odds) };
}

/** Points of a bin: its share of offset + factor * ln(odds good), with the intercept split evenly. */
function binPoints(card: Pick<Scorecard, 'scaling' | 'intercept'>, attributes: number, coefficient: number, woe: number): number {
  const { factor, offset } = card.scaling;
  return offset / attributes - factor * (coefficient * woe + card.intercept / attributes);
}

function assemble(
  used: readonly Prepared[],
  fit: Fit,
  opts: Required<ScorecardOptions>,
  meta: { rows: number; bads: number; goods: number; information_values: Record<string, number>; excluded: Scorecard['excluded'] },
): Scorecard {
  const card: Scorecard = {
    format: 'capillary.scorecard/1',
    attributes: [],
    intercept: fit.intercept,
    scaling: scaling(opts.pdo, opts.base_score, opts.base_odds),
    information_values: meta.information_values,
    excluded: meta.excluded,
    training: { rows: meta.rows, bads: meta.bads, goods: meta.goods, options: opts, iterations: fit.iterations, converged: fit.converged },
  };
  card.attributes = used.map((p, j) => {
    const coefficient = fit.coefficients[j]!;
    const bins = p.bins.map((b) => ({ ...b, points: binPoints(card, used.length, coefficient, b.woe) }));
    return { name: p.name, kind: p.kind, information_value: round(p.information_value, 6), coefficient, bins };
  });
  return card;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

// ------------------------------------------------------------------ scoring

export const REASONS_MAX = 4;

/** Each attribute's best points, per card: worked out once, not on every score (it is on the decision path). */
const bestPointsOf = new WeakMap<Scorecard, number[]>();

function bestPoints(card: Scorecard): number[] {
  let best = bestPointsOf.get(card);
  if (best === undefined) {
    best = card.attributes.map((a) => Math.max(...a.bins.map((b) => b.points)));
    bestPointsOf.set(card, best);
  }
  return best;
}

export function scoreRow(card: Scorecard, row: ScorecardRow): ScoreResult {
  let score = 0;
  let eta = card.intercept;
  const reasons: ScoreReason[] = [];
  const best = bestPoints(card);
  for (let i = 0; i < card.attributes.length; i++) {
    const a = card.attributes[i]!;
    const bin = a.bins[findBin(a.kind, a.bins, row[a.name])];
    if (bin === undefined) throw new Error(`scorecard attribute "${a.name}" has no bin for ${String(row[a.name])}: validate imported cards`);
    score += bin.points;
    eta += a.coefficient * bin.woe;
    const points_lost = best[i]! - bin.points;
    if (points_lost > 1e-9) reasons.push({ attribute: a.name, bin: bin.label, points: bin.points, points_lost });
  }
  reasons.sort((x, y) => y.points_lost - x.points_lost || (x.attribute < y.attribute ? -1 : 1));
  return { score, probability_bad: sigmoid(eta), reasons: reasons.slice(0, REASONS_MAX) };
}

// --------------------------------------------------------------- validation

export type ScorecardValidation = { ok: true; card: Scorecard } | { ok: false; message: string };

class Invalid extends Error {}

/**
 * Checks an imported card (parsed JSON) is complete and self-consistent before it scores
 * anyone: shapes and limits, contiguous ascending ranges, categories in one bin only, one
 * missing bin everywhere and one other bin per categorical attribute, and bin points that
 * agree with the coefficients, WOE, intercept and scaling (so score and probability agree).
 */
export function validateScorecard(json: unknown): ScorecardValidation {
  try {
    return { ok: true, card: checkCard(json) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, message: e.message };
    throw e;
  }
}

function fail(message: string): never {
  throw new Invalid(message);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function finite(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${where} must be a finite number`);
  return v;
}

function count(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${where} must be a non-negative integer`);
  return v;
}

function checkCard(json: unknown): Scorecard {
  if (!isObject(json)) fail('a scorecard must be a JSON object');
  if (json.format !== 'capillary.scorecard/1') fail(`format must be "capillary.scorecard/1", not ${JSON.stringify(json.format)}`);
  const intercept = finite(json.intercept, 'intercept');
  const sc = json.scaling;
  if (!isObject(sc)) fail('scaling must be an object');
  const pdo = finite(sc.pdo, 'scaling.pdo');
  const base_odds = finite(sc.base_odds, 'scaling.base_odds');
  if (pdo <= 0 || base_odds <= 0) fail('scaling.pdo and scaling.base_odds must be > 0');
  const expected = scaling(pdo, finite(sc.base_score, 'scaling.base_score'), base_odds);
  if (!close(finite(sc.factor, 'scaling.factor'), expected.factor) || !close(finite(sc.offset, 'scaling.offset'), expected.offset)) {
    fail(`scaling.factor and scaling.offset must be ${expected.factor} and ${expected.offset} for that pdo, base_score and base_odds`);
  }
  const attrs = json.attributes;
  if (!Array.isArray(attrs) || attrs.length === 0 || attrs.length > SCORECARD_LIMITS.attributes_max) {
    fail(`attributes must be an array of 1 to ${SCORECARD_LIMITS.attributes_max} attributes`);
  }
  const names = new Set<string>();
  attrs.forEach((a: unknown, i) => {
    const name = checkAttribute(a, `attributes[${i}]`, { intercept, scaling: expected }, attrs.length);
    if (names.has(name)) fail(`attributes[${i}]: duplicate attribute "${name}"`);
    names.add(name);
  });
  if (!isObject(json.information_values)) fail('information_values must be an object');
  for (const [k, v] of Object.entries(json.information_values)) finite(v, `information_values["${k}"]`);
  if (!Array.isArray(json.excluded)) fail('excluded must be an array');
  if (!isObject(json.training)) fail('training must be an object');
  return json as unknown as Scorecard;
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

function checkAttribute(a: unknown, where: string, model: Pick<Scorecard, 'intercept' | 'scaling'>, attributes: number): string {
  if (!isObject(a)) fail(`${where} must be an object`);
  if (typeof a.name !== 'string' || a.name === '') fail(`${where}.name must be a non-empty string`);
  const at = `attribute "${a.name}"`;
  if (a.kind !== 'numeric' && a.kind !== 'categorical') fail(`${at}: kind must be "numeric" or "categorical"`);
  const coefficient = finite(a.coefficient, `${at}: coefficient`);
  finite(a.information_value, `${at}: information_value`);
  if (!Array.isArray(a.bins) || a.bins.length < 2 || a.bins.length > SCORECARD_LIMITS.bins_max) {
    fail(`${at}: bins must be an array of 2 to ${SCORECARD_LIMITS.bins_max} bins`);
  }
  const kinds = a.kind === 'numeric' ? ['range', 'missing'] : ['categories', 'other', 'missing'];
  const seen = new Set<string>();
  const tally: Record<string, number> = { range: 0, categories: 0, other: 0, missing: 0 };
  let previousUpper: number | null | undefined;
  a.bins.forEach((b: unknown, i: number) => {
    const bw = `${at}, bin ${i}`;
    if (!isObject(b)) fail(`${bw} must be an object`);
    if (typeof b.kind !== 'string' || !kinds.includes(b.kind)) fail(`${bw}: kind must be one of ${kinds.join(', ')} for a ${a.kind} attribute`);
    tally[b.kind]!++;
    if (typeof b.label !== 'string') fail(`${bw}: label must be a string`);
    if ((b.kind === 'other' || b.kind === 'missing') && b.label !== b.kind) fail(`${bw}: label must be "${b.kind}"`);
    count(b.goods, `${bw}: goods`);
    count(b.bads, `${bw}: bads`);
    const woe = finite(b.woe, `${bw}: woe`);
    const points = finite(b.points, `${bw}: points`);
    const want = binPoints(model, attributes, coefficient, woe);
    if (!close(points, want)) fail(`${bw}: points ${points} disagree with the model (coefficient × woe and scaling give ${want})`);
    if (b.kind === 'range') previousUpper = checkRange(b, bw, previousUpper);
    if (b.kind === 'categories') checkCategories(b, bw, seen);
  });
  if (tally.missing !== 1) fail(`${at}: needs exactly one missing bin, has ${tally.missing}`);
  if (a.kind === 'numeric' && (tally.range === 0 || previousUpper !== null)) fail(`${at}: range bins must end with an unbounded one (upper null)`);
  if (a.kind === 'categorical' && tally.other !== 1) fail(`${at}: needs exactly one other bin, has ${tally.other}`);
  return a.name;
}

/** Ranges must run from -inf to +inf without gaps or overlaps, in order. */
function checkRange(b: Record<string, unknown>, where: string, previousUpper: number | null | undefined): number | null {
  const lower = b.lower === null ? null : finite(b.lower, `${where}: lower`);
  const upper = b.upper === null ? null : finite(b.upper, `${where}: upper`);
  if (previousUpper === undefined && lower !== null) fail(`${where}: the first range must start unbounded (lower null)`);
  if (previousUpper === null) fail(`${where}: a range follows the unbounded last one`);
  if (previousUpper !== undefined && lower !== previousUpper) fail(`${where}: lower ${lower} must equal the previous range's upper ${previousUpper}`);
  if (lower !== null && upper !== null && !(upper > lower)) fail(`${where}: upper ${upper} must be above lower ${lower}`);
  return upper;
}

function checkCategories(b: Record<string, unknown>, where: string, seen: Set<string>): void {
  if (!Array.isArray(b.categories) || b.categories.length === 0 || b.categories.length > SCORECARD_LIMITS.categories_max) {
    fail(`${where}: categories must be an array of 1 to ${SCORECARD_LIMITS.categories_max} strings`);
  }
  for (const c of b.categories) {
    if (typeof c !== 'string') fail(`${where}: categories must be strings`);
    if (seen.has(c)) fail(`${where}: category "${c}" is in more than one bin`);
    seen.add(c);
  }
}

// ---------------------------------------------------------- cross-validation

export interface CrossValidation {
  folds: number;
  seed: number;
  /** Mean of the per-fold test AUCs. */
  auc_mean: number;
  auc_folds: number[];
  /** AUC of all out-of-fold probabilities pooled. */
  auc_pooled: number;
  /** Total cost over every row, each fold classed at the threshold that minimised cost on its own training rows. */
  cost_total: number;
  cost_per_row: number;
  /** Worst-decile figures of the pooled out-of-fold probabilities. */
  worst_decile: { capture: number; bad_rate: number; lift: number };
}

/**
 * Stratified k-fold cross-validation: each fold's card is trained on the other folds only,
 * its cost threshold chosen on those training rows, then both applied to the held-out fold.
 */
export function crossValidateScorecard(
  rows: readonly ScorecardRow[],
  labels: readonly Label[],
  args: { folds: number; seed: number; costs: CostMatrix; options?: ScorecardOptions },
): CrossValidation {
  const oof = new Array<number>(rows.length).fill(NaN);
  const auc_folds: number[] = [];
  let cost_total = 0;
  for (const fold of stratifiedKFold(labels, args.folds, args.seed)) {
    const card = trainScorecard(
      fold.train.map((i) => rows[i]!),
      fold.train.map((i) => labels[i]!),
      args.options,
    );
    const trainP = fold.train.map((i) => scoreRow(card, rows[i]!).probability_bad);
    const { threshold } = minCostThreshold(trainP, fold.train.map((i) => labels[i]!), args.costs);
    const testP = fold.test.map((i) => scoreRow(card, rows[i]!).probability_bad);
    const testY = fold.test.map((i) => labels[i]!);
    fold.test.forEach((i, k) => (oof[i] = testP[k]!));
    auc_folds.push(auc(testP, testY));
    cost_total += cost(confusionAt(testP, testY, threshold), args.costs);
  }
  return {
    folds: args.folds,
    seed: args.seed,
    auc_mean: auc_folds.reduce((s, a) => s + a, 0) / auc_folds.length,
    auc_folds,
    auc_pooled: auc(oof, labels),
    cost_total,
    cost_per_row: cost_total / rows.length,
    worst_decile: worstDecile(oof, labels),
  };
}

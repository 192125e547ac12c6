/**
 * Model evaluation for binary credit and fraud labels (1 = bad). Every score follows one
 * convention: higher means riskier. A scorecard, where higher is better, is evaluated on
 * its probability of bad (or its negated score).
 *
 * Misuse (lengths that differ, a label other than 0 or 1, one class only) is a bug in the
 * caller and throws; nothing here reads a clock or an unseeded random source.
 */

export type Label = 0 | 1;

export interface Confusion {
  /** Bad, predicted bad. */
  tp: number;
  /** Good, predicted bad. */
  fp: number;
  /** Good, predicted good. */
  tn: number;
  /** Bad, predicted good. */
  fn: number;
}

/** What each kind of error costs; a correct decision costs nothing. */
export interface CostMatrix {
  bad_as_good: number;
  good_as_bad: number;
}

export interface RocPoint {
  /** Scores at or above it are predicted bad; the first point's is +Infinity (none). */
  threshold: number;
  fpr: number;
  tpr: number;
}

function check(scores: readonly number[], labels: readonly number[]): { bads: number; goods: number } {
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  let bads = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${String(y)}, not 0 or 1`);
    if (!Number.isFinite(scores[i])) throw new RangeError(`score ${i} is ${String(scores[i])}, not a finite number`);
    bads += y;
  }
  return { bads, goods: labels.length - bads };
}

function checkBothClasses(c: { bads: number; goods: number }): void {
  if (c.bads === 0 || c.goods === 0) throw new RangeError(`needs both classes (${c.bads} bad, ${c.goods} good)`);
}

/** Indices ordered by score, highest first; ties keep index order so results are deterministic. */
function byScoreDesc(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a random bad
 * scores above a random good, ties counting one half (mid-ranks). O(n log n).
 */
export function auc(scores: readonly number[], labels: readonly Label[]): number {
  const c = check(scores, labels);
  checkBothClasses(c);
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumBad = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSumBad += midRank;
    i = j + 1;
  }
  return (rankSumBad - (c.bads * (c.bads + 1)) / 2) / (c.bads * c.goods);
}

/** One point per distinct score, from (0, 0) to (1, 1). */
export function rocCurve(scores: readonly number[], labels: readonly Label[]): RocPoint[] {
  const c = check(scores, labels);
  checkBothClasses(c);
  const order = byScoreDesc(scores);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 1) tp++;
    else fp++;
    const s = scores[order[i]!]!;
    if (i + 1 === order.length || scores[order[i + 1]!] !== s) points.push({ threshold: s, fpr: fp / c.goods, tpr: tp / c.bads });
  }
  return points;
}

/** Predicted bad when score >= threshold. */
export function confusionAt(scores: readonly number[], labels: readonly Label[], threshold: number): Confusion {
  check(scores, labels);
  const m: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (labels[i] === 1) flagged ? m.tp++ : m.fn++;
    else flagged ? m.fp++ : m.tn++;
  }
  return m;
}

/** Share of the flagged that are bad; 0 when nothing is flagged. */
export function precision(m: Confusion): number {
  return m.tp + m.fp === 0 ? 0 : m.tp / (m.tp + m.fp);
}

/** Catch rate: share of the bads that are flagged; 0 when there are no bads. */
export function recall(m: Confusion): number {
  return m.tp + m.fn === 0 ? 0 : m.tp / (m.tp + m.fn);
}

/** Share of the goods that are flagged; 0 when there are no goods. */
export function falsePositiveRate(m: Confusion): number {
  return m.fp + m.tn === 0 ? 0 : m.fp / (m.fp + m.tn);
}

export function cost(m: Confusion, costs: CostMatrix): number {
  return m.fn * costs.bad_as_good + m.fp * costs.good_as_bad;
}

/**
 * The threshold with the lowest total cost over every cut between distinct scores
 * (including flagging nothing), in O(n log n). Ties in cost go to the higher threshold,
 * which flags fewer applicants.
 */
export function minCostThreshold(scores: readonly number[], labels: readonly Label[], costs: CostMatrix): { threshold: number; cost: number } {
  const c = check(scores, labels);
  const order = byScoreDesc(scores);
  // Flag nothing: every bad is accepted.
  let best = { threshold: Infinity, cost: c.bads * costs.bad_as_good };
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 1) tp++;
    else fp++;
    const s = scores[order[i]!]!;
    if (i + 1 < order.length && scores[order[i + 1]!] === s) continue;
    const total = (c.bads - tp) * costs.bad_as_good + fp * costs.good_as_bad;
    if (total < best.cost) best = { threshold: s, cost: total };
  }
  return best;
}

/**
 * How the worst-scored share (default a decile) of the population concentrates the bads.
 * `capture` is the share of all bads found there, `bad_rate` the bad rate inside it and
 * `lift` that rate over the population's. Applicants tied with the boundary score count
 * in proportion, so the figure does not depend on how ties happen to be ordered.
 */
export function worstDecile(
  scores: readonly number[],
  labels: readonly Label[],
  share = 0.1,
): { capture: number; bad_rate: number; lift: number } {
  const c = check(scores, labels);
  checkBothClasses(c);
  if (!(share > 0 && share <= 1)) throw new RangeError(`share ${share} is not in (0, 1]`);
  const order = byScoreDesc(scores);
  const size = share * order.length;
  let taken = 0;
  let bads = 0;
  for (let i = 0; i < order.length && taken < size; ) {
    let j = i;
    let groupBads = 0;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) groupBads += labels[order[j++]!]!;
    const group = j - i;
    const part = Math.min(1, (size - taken) / group);
    taken += part * group;
    bads += part * groupBads;
    i = j;
  }
  const bad_rate = bads / size;
  return { capture: bads / c.bads, bad_rate, lift: bad_rate / (c.bads / order.length) };
}

/** Mulberry32: a small, fast 32-bit seeded generator. Same seed, same sequence. Not for secrets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Fold {
  /** Row indices, ascending. */
  train: number[];
  test: number[];
}

/**
 * Stratified k-fold: each class is shuffled with the seeded generator and dealt round-robin
 * (bads first, then goods continuing from the next fold), so every fold has the same class
 * mix to within one row and each row is in exactly one test fold.
 */
export function stratifiedKFold(labels: readonly Label[], k: number, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, not ${k}`);
  if (labels.length < k) throw new RangeError(`${labels.length} rows cannot make ${k} folds`);
  labels.forEach((y, i) => {
    if (y !== 0 && y !== 1) throw new RangeError(`label ${i} is ${String(y)}, not 0 or 1`);
  });
  const random = seededRandom(seed);
  const foldOf = new Array<number>(labels.length);
  let next = 0;
  for (const cls of [1, 0] as const) {
    const members = labels.flatMap((y, i) => (y === cls ? [i] : []));
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    for (const m of members) foldOf[m] = next++ % k;
  }
  return Array.from({ length: k }, (_, f) => ({
    train: foldOf.flatMap((g, i) => (g !== f ? [i] : [])),
    test: foldOf.flatMap((g, i) => (g === f ? [i] : [])),
  }));
}

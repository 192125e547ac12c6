import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auc,
  confusionAt,
  cost,
  falsePositiveRate,
  minCostThreshold,
  precision,
  recall,
  rocCurve,
  seededRandom,
  stratifiedKFold,
  worstDecile,
  type Label,
} from './metrics.js';

/** Scores drawn from a few values so ties are common, and labels with both classes. */
const scored = fc
  .array(fc.record({ s: fc.integer({ min: 0, max: 6 }), y: fc.constantFrom<Label>(0, 1) }), { minLength: 2, maxLength: 60 })
  .filter((xs) => xs.some((x) => x.y === 1) && xs.some((x) => x.y === 0))
  .map((xs) => ({ scores: xs.map((x) => x.s / 2), labels: xs.map((x) => x.y) }));

function pairwiseAuc(scores: number[], labels: Label[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((yb, b) => {
    if (yb !== 1) return;
    labels.forEach((yg, g) => {
      if (yg !== 0) return;
      pairs++;
      wins += scores[b]! > scores[g]! ? 1 : scores[b] === scores[g] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('auc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 when all tie', () => {
    expect(auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(auc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0])).toBe(0);
    expect(auc([3, 3, 3, 3], [1, 0, 1, 0])).toBe(0.5);
  });

  it('counts ties as one half (worked example)', () => {
    // bads score 1 and 2, goods 1 and 0: pairs 0.5 + 1 + 1 + 1 of 4.
    expect(auc([1, 1, 2, 0], [1, 0, 1, 0])).toBe(0.875);
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it('equals the pairwise definition, and flipping the scores gives 1 - AUC', () => {
    fc.assert(
      fc.property(scored, ({ scores, labels }) => {
        expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
        expect(auc(scores.map((s) => -s), labels)).toBeCloseTo(1 - auc(scores, labels), 12);
      }),
    );
  });

  it('throws on one class, mismatched lengths, bad labels and non-finite scores', () => {
    expect(() => auc([1, 2], [1, 1])).toThrow(/both classes/);
    expect(() => auc([1, 2], [1])).toThrow(/2 scores but 1 labels/);
    expect(() => auc([1, 2], [1, 2 as Label])).toThrow(/label 1 is 2/);
    expect(() => auc([1, NaN], [1, 0])).toThrow(/score 1 is NaN/);
  });
});

describe('rocCurve', () => {
  it('has one point per distinct score from (0,0) to (1,1)', () => {
    expect(rocCurve([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toEqual([
      { threshold: Infinity, fpr: 0, tpr: 0 },
      { threshold: 0.9, fpr: 0, tpr: 0.5 },
      { threshold: 0.5, fpr: 0.5, tpr: 1 },
      { threshold: 0.1, fpr: 1, tpr: 1 },
    ]);
  });

  it('encloses an area equal to the AUC (trapezoids)', () => {
    fc.assert(
      fc.property(scored, ({ scores, labels }) => {
        const pts = rocCurve(scores, labels);
        let area = 0;
        for (let i = 1; i < pts.length; i++) area += ((pts[i]!.fpr - pts[i - 1]!.fpr) * (pts[i]!.tpr + pts[i - 1]!.tpr)) / 2;
        expect(area).toBeCloseTo(auc(scores, labels), 12);
      }),
    );
  });
});

describe('confusion matrix and rates', () => {
  const scores = [0.9, 0.7, 0.6, 0.4, 0.3, 0.1];
  const labels: Label[] = [1, 0, 1, 1, 0, 0];

  it('flags scores at or above the threshold', () => {
    const m = confusionAt(scores, labels, 0.6);
    expect(m).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(precision(m)).toBeCloseTo(2 / 3, 12);
    expect(recall(m)).toBeCloseTo(2 / 3, 12);
    expect(falsePositiveRate(m)).toBeCloseTo(1 / 3, 12);
    expect(cost(m, { bad_as_good: 5, good_as_bad: 1 })).toBe(6);
  });

  it('rates are 0 rather than NaN when their denominator is empty', () => {
    const none = confusionAt(scores, labels, 2);
    expect(precision(none)).toBe(0);
    expect(recall({ tp: 0, fp: 1, tn: 1, fn: 0 })).toBe(0);
    expect(falsePositiveRate({ tp: 1, fp: 0, tn: 0, fn: 1 })).toBe(0);
  });
});

describe('minCostThreshold', () => {
  it('picks the cheapest cut (worked example)', () => {
    // Flag >= 0.4: misses no bad, flags one good: cost 1. Flag nothing: 3 bads × 5 = 15.
    expect(minCostThreshold([0.9, 0.7, 0.6, 0.4, 0.3, 0.1], [1, 0, 1, 1, 0, 0], { bad_as_good: 5, good_as_bad: 1 })).toEqual({ threshold: 0.4, cost: 1 });
  });

  it('matches a brute-force search over every distinct score', () => {
    fc.assert(
      fc.property(scored, fc.integer({ min: 1, max: 9 }), ({ scores, labels }, ratio) => {
        const costs = { bad_as_good: ratio, good_as_bad: 1 };
        const best = minCostThreshold(scores, labels, costs);
        const brute = Math.min(labels.filter((y) => y === 1).length * ratio, ...scores.map((t) => cost(confusionAt(scores, labels, t), costs)));
        expect(best.cost).toBe(brute);
        expect(cost(confusionAt(scores, labels, best.threshold), costs)).toBe(best.cost);
      }),
    );
  });
});

describe('worstDecile', () => {
  it('measures the bads among the highest-scored tenth', () => {
    // 20 rows, 4 bads; the top 2 scores are one bad and one good.
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i);
    const labels = scores.map((_, i): Label => (i === 0 || i === 5 || i === 10 || i === 15 ? 1 : 0));
    const d = worstDecile(scores, labels);
    expect(d.capture).toBeCloseTo(0.25, 12);
    expect(d.bad_rate).toBeCloseTo(0.5, 12);
    expect(d.lift).toBeCloseTo(2.5, 12);
  });

  it('counts rows tied at the boundary in proportion', () => {
    // 10 rows, top tenth is 1 row; the top score is shared by 2 rows, one bad: half a bad.
    const d = worstDecile([5, 5, 1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(d.bad_rate).toBeCloseTo(0.5, 12);
    expect(d.capture).toBeCloseTo(0.25, 12);
  });
});

describe('seededRandom', () => {
  it('repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('stratifiedKFold', () => {
  const labels: Label[] = Array.from({ length: 103 }, (_, i) => (i % 4 === 0 ? 1 : 0));

  it('puts every row in exactly one test fold and the rest in training', () => {
    const folds = stratifiedKFold(labels, 10, 42);
    expect(folds).toHaveLength(10);
    const tested = folds.flatMap((f) => f.test).sort((a, b) => a - b);
    expect(tested).toEqual(labels.map((_, i) => i));
    for (const f of folds) {
      expect([...f.train, ...f.test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    }
  });

  it('keeps each fold within one row of its share of bads and of rows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<Label>(0, 1), { minLength: 10, maxLength: 200 }), fc.integer({ min: 2, max: 10 }), fc.integer(), (ys, k, seed) => {
        const bads = ys.filter((y) => y === 1).length;
        for (const f of stratifiedKFold(ys, k, seed)) {
          const fb = f.test.filter((i) => ys[i] === 1).length;
          expect(Math.abs(fb - bads / k)).toBeLessThan(1);
          expect(Math.abs(f.test.length - ys.length / k)).toBeLessThan(1);
        }
      }),
    );
  });

  it('is deterministic for a seed and shuffles differently for another', () => {
    expect(stratifiedKFold(labels, 5, 42)).toEqual(stratifiedKFold(labels, 5, 42));
    expect(stratifiedKFold(labels, 5, 42)).not.toEqual(stratifiedKFold(labels, 5, 7));
  });

  it('refuses impossible splits', () => {
    expect(() => stratifiedKFold(labels, 1, 42)).toThrow(/k must be an integer >= 2/);
    expect(() => stratifiedKFold([1, 0], 3, 42)).toThrow(/2 rows cannot make 3 folds/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv, typedRecords } from './csv.js';
import { seededRandom, type Label } from './metrics.js';
import {
  crossValidateScorecard,
  scoreRow,
  trainScorecard,
  validateScorecard,
  type RangeBin,
  type Scorecard,
  type ScorecardAttribute,
  type ScorecardRow,
} from './scorecard.js';

const FIXTURE = new URL('../../test/fixtures/german-credit.csv', import.meta.url);
/** Plain logistic regression, 10-fold CV seed 42, from the data's README. */
const GERMAN_REFERENCE_AUC = 0.771;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Normal-ish noise from the seeded generator (sum of uniforms). */
function noise(random: () => number): number {
  return random() + random() + random() + random() - 2;
}

/**
 * Applicants whose risk falls with income, depends on region (two regions rare), is high
 * when age is missing, is U-shaped in `u`, and does not depend on `noise` at all.
 */
function synthetic(n: number, seed: number): { rows: ScorecardRow[]; labels: Label[] } {
  const random = seededRandom(seed);
  const rows: ScorecardRow[] = [];
  const labels: Label[] = [];
  for (let i = 0; i < n; i++) {
    const income = Math.round(20_000 + random() * 80_000);
    const r = random();
    const region = r < 0.01 ? 'isle' : r < 0.015 ? 'moon' : r < 0.3 ? 'north' : r < 0.55 ? 'south' : r < 0.8 ? 'east' : 'west';
    const age = random() < 0.1 ? null : Math.round(18 + random() * 50);
    const u = random() * 10;
    const eta =
      -1 -
      (income - 60_000) / 20_000 +
      (region === 'south' ? 1 : region === 'north' ? -0.8 : 0) +
      (age === null ? 1 : -(age - 43) / 25) +
      (0.15 * (u - 5) ** 2 - 1.25);
    rows.push({ income, region, age, u, noise: random() });
    labels.push(random() < sigmoid(eta) ? 1 : 0);
  }
  return { rows, labels };
}

const DATA = synthetic(4000, 7);
const CARD = trainScorecard(DATA.rows, DATA.labels);

function attr(card: Scorecard, name: string): ScorecardAttribute {
  const a = card.attributes.find((x) => x.name === name);
  if (!a) throw new Error(`no attribute ${name} in the card`);
  return a;
}

const ranges = (a: ScorecardAttribute): RangeBin[] => a.bins.filter((b): b is RangeBin => b.kind === 'range');
const rows = (b: { goods: number; bads: number }): number => b.goods + b.bads;

describe('trainScorecard: binning', () => {
  it('cuts numeric attributes into contiguous ascending ranges of at least 5% of rows', () => {
    for (const name of ['income', 'age', 'u']) {
      const rs = ranges(attr(CARD, name));
      expect(rs.length).toBeGreaterThan(1);
      expect(rs[0]!.lower).toBeNull();
      expect(rs.at(-1)!.upper).toBeNull();
      for (let i = 1; i < rs.length; i++) expect(rs[i]!.lower).toBe(rs[i - 1]!.upper);
      for (const b of rs) expect(rows(b)).toBeGreaterThanOrEqual(0.05 * DATA.rows.length);
    }
  });

  it('merges small initial bins up to min_bin_share', () => {
    for (const [numeric_bins, min_bin_share] of [[40, 0.05], [40, 0.1], [100, 0.05]] as const) {
      const card = trainScorecard(DATA.rows, DATA.labels, { numeric_bins, min_bin_share });
      for (const name of ['income', 'age', 'u']) {
        const rs = ranges(attr(card, name));
        expect(rs.length).toBeGreaterThan(1);
        for (const b of rs) expect(rows(b)).toBeGreaterThanOrEqual(min_bin_share * DATA.rows.length);
      }
    }
  });

  it('makes WOE monotone for a monotone attribute (income: richer is better)', () => {
    const woe = ranges(attr(CARD, 'income')).map((b) => b.woe);
    for (let i = 1; i < woe.length; i++) expect(woe[i]!).toBeGreaterThanOrEqual(woe[i - 1]!);
  });

  it('keeps a genuinely U-shaped attribute non-monotone', () => {
    const woe = ranges(attr(CARD, 'u')).map((b) => b.woe);
    const steps = woe.slice(1).map((w, i) => w - woe[i]!);
    expect(steps.some((s) => s > 0)).toBe(true);
    expect(steps.some((s) => s < 0)).toBe(true);
  });

  it('pools categories under 2% of rows into "other" and gives missing its own bin', () => {
    const region = attr(CARD, 'region');
    expect(region.bins.map((b) => b.label)).toEqual(['east', 'north', 'south', 'west', 'other', 'missing']);
    const rare = DATA.rows.filter((r) => r.region === 'isle' || r.region === 'moon').length;
    expect(rows(region.bins.find((b) => b.kind === 'other')!)).toBe(rare);
    const age = attr(CARD, 'age');
    expect(rows(age.bins.find((b) => b.kind === 'missing')!)).toBe(DATA.rows.filter((r) => r.age === null).length);
    expect(age.bins.find((b) => b.kind === 'missing')!.woe).toBeLessThan(-0.3);
  });

  it('computes Laplace-smoothed WOE and information value (worked example)', () => {
    // x: 30 goods, 10 bads; y: 10 goods, 30 bads. Smoothing 0.5 over the 2 filled bins.
    const rs: ScorecardRow[] = [];
    const ys: Label[] = [];
    const add = (c: string, goods: number, bads: number): void => {
      for (let i = 0; i < goods + bads; i++) {
        rs.push({ c });
        ys.push(i < bads ? 1 : 0);
      }
    };
    add('x', 30, 10);
    add('y', 10, 30);
    const card = trainScorecard(rs, ys, { smoothing: 0.5 });
    const woeX = Math.log(30.5 / 41 / (10.5 / 41));
    const c = attr(card, 'c');
    expect(c.bins.map((b) => [b.label, b.goods, b.bads])).toEqual([
      ['x', 30, 10],
      ['y', 10, 30],
      ['other', 0, 0],
      ['missing', 0, 0],
    ]);
    expect(c.bins[0]!.woe).toBeCloseTo(woeX, 12);
    expect(c.bins[1]!.woe).toBeCloseTo(-woeX, 12);
    expect(c.bins[2]!.woe).toBe(0); // no evidence: neutral
    expect(c.information_value).toBeCloseTo(2 * ((30.5 - 10.5) / 41) * woeX, 6);
    expect(card.information_values).toEqual({ c: c.information_value });
  });

  it("reports every attribute's information value and leaves out the uninformative", () => {
    expect(Object.keys(CARD.information_values).sort()).toEqual(['age', 'income', 'noise', 'region', 'u']);
    expect(CARD.information_values.income!).toBeGreaterThan(0.3);
    expect(CARD.information_values.noise!).toBeLessThan(0.02);
    expect(CARD.attributes.map((a) => a.name)).not.toContain('noise');
    expect(CARD.excluded).toEqual([{ attribute: 'noise', reason: expect.stringMatching(/information value .* below 0.02/) }]);
  });
});

describe('trainScorecard: model and points', () => {
  it('fits negative coefficients on WOE (better bins, fewer bads) and converges', () => {
    for (const a of CARD.attributes) expect(a.coefficient).toBeLessThan(0);
    expect(CARD.training.converged).toBe(true);
    expect(CARD.training).toMatchObject({ rows: 4000, bads: DATA.labels.filter((y) => y === 1).length });
  });

  it('drops an attribute whose coefficient turns positive alongside a correlated one', () => {
    // b is marginally risky (it tracks z) but, given a, higher b means lower risk.
    const random = seededRandom(11);
    const rs: ScorecardRow[] = [];
    const ys: Label[] = [];
    for (let i = 0; i < 4000; i++) {
      const z = noise(random);
      const a = z + 0.5 * noise(random);
      const b = z + 0.2 * noise(random);
      rs.push({ a, b });
      ys.push(random() < sigmoid(3 * a - 2.5 * b - 1) ? 1 : 0);
    }
    const card = trainScorecard(rs, ys);
    expect(card.information_values.b!).toBeGreaterThan(0.02);
    expect(card.attributes.map((x) => x.name)).toEqual(['a']);
    expect(card.excluded).toEqual([{ attribute: 'b', reason: 'coefficient of the wrong sign alongside the other attributes' }]);
  });

  it('shrinks coefficients as l2 grows', () => {
    const size = (c: Scorecard): number => c.attributes.reduce((s, a) => s + Math.abs(a.coefficient), 0);
    expect(size(trainScorecard(DATA.rows, DATA.labels, { l2: 500 }))).toBeLessThan(size(trainScorecard(DATA.rows, DATA.labels, { l2: 0 })));
  });

  it('scales points: score = offset + factor × ln(odds good), the sum of the bin points', () => {
    const factor = 20 / Math.LN2;
    expect(CARD.scaling.factor).toBeCloseTo(factor, 12);
    expect(CARD.scaling.offset).toBeCloseTo(600 - factor * Math.log(50), 12);
    for (const row of DATA.rows.slice(0, 50)) {
      const s = scoreRow(CARD, row);
      const sum = CARD.attributes.reduce((t, a) => t + pointsOf(a, row), 0);
      expect(s.score).toBeCloseTo(sum, 9);
      expect(s.score).toBeCloseTo(CARD.scaling.offset + factor * Math.log((1 - s.probability_bad) / s.probability_bad), 6);
    }
  });

  it('follows pdo, base_score and base_odds: every pdo points double the odds', () => {
    const card = trainScorecard(DATA.rows, DATA.labels, { pdo: 40, base_score: 500, base_odds: 10 });
    for (const row of DATA.rows.slice(0, 20)) {
      const { score, probability_bad } = scoreRow(card, row);
      expect(probability_bad).toBeCloseTo(scoreRow(CARD, row).probability_bad, 12);
      expect(score).toBeCloseTo(500 + 40 * Math.log2((1 - probability_bad) / probability_bad / 10), 6);
    }
  });

  it('is deterministic and plain JSON', () => {
    const again = trainScorecard(DATA.rows, DATA.labels);
    expect(again).toEqual(CARD);
    expect(JSON.parse(JSON.stringify(CARD))).toEqual(CARD);
  });

  it('refuses training input it cannot use', () => {
    expect(() => trainScorecard([{ a: 1 }], [1, 0])).toThrow(/1 rows but 2 labels/);
    expect(() => trainScorecard([{ a: 1 }, { a: 2 }], [1, 1])).toThrow(/both classes/);
    expect(() => trainScorecard([{ a: 1 }, { a: 'x' }], [1, 0])).toThrow(/row 1, attribute "a": mixes numbers and strings/);
    expect(() => trainScorecard([{ a: Infinity }, { a: 2 }], [1, 0])).toThrow(/not finite/);
    expect(() => trainScorecard([{ a: 1 }, { a: 1 }], [1, 0])).toThrow(/no attribute is informative/);
    expect(() => trainScorecard(DATA.rows, DATA.labels, { numeric_bins: 0 })).toThrow(/numeric_bins/);
    expect(() => trainScorecard(DATA.rows, DATA.labels, { smoothing: 0 })).toThrow(/smoothing/);
  });
});

function pointsOf(a: ScorecardAttribute, row: ScorecardRow): number {
  const v = row[a.name];
  const bin =
    v === null || v === undefined
      ? a.bins.find((b) => b.kind === 'missing')
      : a.kind === 'numeric'
        ? a.bins.find((b) => b.kind === 'range' && (b.lower === null || (v as number) > b.lower) && (b.upper === null || (v as number) <= b.upper))
        : (a.bins.find((b) => b.kind === 'categories' && b.categories.includes(String(v))) ?? a.bins.find((b) => b.kind === 'other'));
  return bin!.points;
}

describe('scoreRow', () => {
  it('gives up to 4 reasons: the attributes furthest below their best bin, most first', () => {
    const worst: ScorecardRow = { income: 20_000, region: 'south', age: null, u: 0, noise: 0.5 };
    const { reasons } = scoreRow(CARD, worst);
    expect(reasons).toHaveLength(4);
    for (let i = 1; i < reasons.length; i++) expect(reasons[i]!.points_lost).toBeLessThanOrEqual(reasons[i - 1]!.points_lost);
    for (const r of reasons) {
      const best = Math.max(...attr(CARD, r.attribute).bins.map((b) => b.points));
      expect(r.points_lost).toBeCloseTo(best - r.points, 9);
      expect(r.points_lost).toBeGreaterThan(0);
    }
    expect(reasons.map((r) => r.bin)).toContain('missing');
  });

  it('does not name an attribute sitting in its best bin', () => {
    const bestRegion = attr(CARD, 'region').bins.reduce((b, x) => (x.points > b.points ? x : b));
    const { reasons } = scoreRow(CARD, { income: 20_000, region: bestRegion.label, age: null, u: 0 });
    expect(reasons.map((r) => r.attribute)).not.toContain('region');
  });

  it('scores unseen categories as "other", numeric text as numbers, and unreadable or absent values as missing', () => {
    const base = { income: 50_000, region: 'north', age: 40, u: 5 };
    const bin = (row: ScorecardRow, name: string): number => scoreRow(CARD, row).score - scoreRow(CARD, { ...row, [name]: undefined }).score;
    const other = attr(CARD, 'region').bins.find((b) => b.kind === 'other')!.points;
    const missingAge = attr(CARD, 'age').bins.find((b) => b.kind === 'missing')!.points;
    expect(scoreRow(CARD, { ...base, region: 'atlantis' }).score).toBeCloseTo(scoreRow(CARD, base).score - pointsOf(attr(CARD, 'region'), base) + other, 9);
    expect(scoreRow(CARD, { ...base, income: '50000' }).score).toBeCloseTo(scoreRow(CARD, base).score, 12);
    expect(scoreRow(CARD, { ...base, age: 'forty' }).score).toBeCloseTo(scoreRow(CARD, { ...base, age: null }).score, 12);
    expect(bin(base, 'age')).toBeCloseTo(pointsOf(attr(CARD, 'age'), base) - missingAge, 9);
  });
});

describe('validateScorecard', () => {
  const json = (): Record<string, unknown> => JSON.parse(JSON.stringify(CARD)) as Record<string, unknown>;
  type Mutation = [string, (c: any) => void, RegExp];

  it('accepts a trained card after a JSON round trip and scores it the same', () => {
    const checked = validateScorecard(json());
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(scoreRow(checked.card, DATA.rows[0]!)).toEqual(scoreRow(CARD, DATA.rows[0]!));
  });

  const cases: Mutation[] = [
    ['not an object', (c) => Object.keys(c).forEach((k) => delete c[k]), /format must be/],
    ['wrong format', (c) => (c.format = 'other/1'), /format must be "capillary.scorecard\/1"/],
    ['infinite-ish intercept', (c) => (c.intercept = 'x'), /intercept must be a finite number/],
    ['scaling out of step', (c) => (c.scaling.offset += 1), /scaling.factor and scaling.offset must be/],
    ['no attributes', (c) => (c.attributes = []), /attributes must be an array of 1 to 1000/],
    ['duplicate attribute', (c) => (c.attributes[1].name = c.attributes[0].name), /attributes\[1\]: duplicate attribute "income"/],
    ['unknown kind', (c) => (c.attributes[0].kind = 'date'), /attribute "income": kind must be/],
    ['hand-edited points', (c) => (c.attributes[0].bins[0].points += 5), /attribute "income", bin 0: points .* disagree with the model/],
    ['gap between ranges', (c) => (c.attributes[0].bins[1].lower += 1), /attribute "income", bin 1: lower .* must equal the previous range's upper/],
    ['bounded first range', (c) => (c.attributes[0].bins[0].lower = 0), /bin 0: the first range must start unbounded/],
    ['no unbounded last range', (c) => c.attributes[0].bins.splice(-2, 1), /range bins must end with an unbounded one/],
    ['two missing bins', (c) => c.attributes[0].bins.push({ ...c.attributes[0].bins.at(-1) }), /needs exactly one missing bin, has 2/],
    ['category in two bins', (c) => (attrJson(c, 'region').bins[1].categories = ['east']), /attribute "region", bin 1: category "east" is in more than one bin/],
    ['no other bin', (c) => (attrJson(c, 'region').bins = attrJson(c, 'region').bins.filter((b: { kind: string }) => b.kind !== 'other')), /needs exactly one other bin, has 0/],
    ['range bin in a categorical attribute', (c) => (attrJson(c, 'region').bins[0].kind = 'range'), /kind must be one of categories, other, missing/],
    ['negative count', (c) => (c.attributes[0].bins[0].goods = -1), /goods must be a non-negative integer/],
  ];
  it.each(cases)('refuses a card with %s', (_, mutate, message) => {
    const c = json();
    mutate(c);
    const checked = validateScorecard(c);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(message);
  });

  it('refuses what is not a card at all', () => {
    expect(validateScorecard(null)).toEqual({ ok: false, message: 'a scorecard must be a JSON object' });
    expect(validateScorecard([])).toEqual({ ok: false, message: 'a scorecard must be a JSON object' });
  });
});

function attrJson(c: any, name: string): any {
  return c.attributes.find((a: any) => a.name === name);
}

describe('German credit (Statlog, 1,000 applicants): 10-fold cross-validation, seed 42', () => {
  it(`beats the plain logistic regression's AUC of ${GERMAN_REFERENCE_AUC} and reports the cost`, () => {
    const table = parseCsv(readFileSync(FIXTURE, 'utf8'));
    if (!table.ok) throw new Error(table.message);
    const { records } = typedRecords(table);
    const labels = records.map((r): Label => (r.class === 'bad' ? 1 : 0));
    const applicants = records.map(({ class: _label, ...rest }) => rest);
    const costs = { bad_as_good: 5, good_as_bad: 1 };
    const started = performance.now();
    const cv = crossValidateScorecard(applicants, labels, { folds: 10, seed: 42, costs });
    const elapsed_ms = performance.now() - started;
    console.log(
      [
        `German credit, scorecard with default options, stratified 10-fold CV, seed 42 (${elapsed_ms.toFixed(0)} ms):`,
        `  mean out-of-fold AUC ${cv.auc_mean.toFixed(4)} (reference ${GERMAN_REFERENCE_AUC}); pooled out-of-fold AUC ${cv.auc_pooled.toFixed(4)}`,
        `  fold AUCs ${cv.auc_folds.map((a) => a.toFixed(3)).join(' ')}`,
        `  cost (bad as good 5, good as bad 1) at thresholds chosen on the training folds: ${cv.cost_total} in all, ${cv.cost_per_row.toFixed(3)} per applicant`,
        `  worst decile: ${(cv.worst_decile.capture * 100).toFixed(1)}% of bads, bad rate ${(cv.worst_decile.bad_rate * 100).toFixed(1)}%`,
      ].join('\n'),
    );
    expect(labels.filter((y) => y === 1)).toHaveLength(300);
    expect(cv.auc_folds).toHaveLength(10);
    expect(cv.auc_mean).toBeGreaterThan(GERMAN_REFERENCE_AUC);
    // Accepting everyone costs 300 × 5 = 1,500 and rejecting everyone 700: the model must beat both.
    expect(cv.cost_total).toBeLessThan(700);
  });
});

import { describe, expect, it } from 'vitest';
import { explainXgboost, loadXgboostDump, predictXgboost, type XgboostMeta, type XgboostModel } from './xgboost.js';

/**
 * Two trees in the shape Booster.get_dump(dump_format='json') writes them, features named
 * f0 (income) and f1 (utilisation):
 *
 *   tree 0: f0 < 0.5 ? 0.2 : (f1 < 10 ? -0.1 : 0.4)      missing f0 → yes, missing f1 → no
 *   tree 1: f1 < 3 ? -0.3 : 0.15                           missing f1 → no
 */
const TREE_0 = {
  nodeid: 0,
  depth: 0,
  split: 'f0',
  split_condition: 0.5,
  yes: 1,
  no: 2,
  missing: 1,
  children: [
    { nodeid: 1, leaf: 0.2 },
    {
      nodeid: 2,
      depth: 1,
      split: 'f1',
      split_condition: 10,
      yes: 3,
      no: 4,
      missing: 4,
      children: [
        { nodeid: 3, leaf: -0.1 },
        { nodeid: 4, leaf: 0.4 },
      ],
    },
  ],
};
const TREE_1 = {
  nodeid: 0,
  depth: 0,
  split: 'f1',
  split_condition: 3,
  yes: 1,
  no: 2,
  missing: 2,
  children: [
    { nodeid: 1, leaf: -0.3 },
    { nodeid: 2, leaf: 0.15 },
  ],
};
const DUMP = [TREE_0, TREE_1];
const META: XgboostMeta = { base_score: 0.5, objective: 'binary:logistic', feature_names: ['income', 'utilisation'] };

function load(json: unknown, meta: XgboostMeta = META): XgboostModel {
  const r = loadXgboostDump(json, meta);
  if (!r.ok) throw new Error(r.message);
  return r.model;
}

function failure(json: unknown, meta: XgboostMeta = META): string {
  const r = loadXgboostDump(json, meta);
  if (r.ok) throw new Error('expected the dump to be refused');
  return r.message;
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('predictXgboost', () => {
  const model = load(DUMP);

  it('sums the leaves reached and applies the sigmoid (base_score 0.5 is margin 0)', () => {
    // 0.2 + -0.3 = -0.1
    expect(predictXgboost(model, { income: 0, utilisation: 1 })).toBeCloseTo(1 / (1 + Math.exp(0.1)), 12);
    // 0.4 + 0.15 = 0.55
    expect(predictXgboost(model, { income: 1, utilisation: 20 })).toBeCloseTo(1 / (1 + Math.exp(-0.55)), 12);
    // -0.1 + 0.15 = 0.05
    expect(predictXgboost(model, { income: 1, utilisation: 5 })).toBeCloseTo(1 / (1 + Math.exp(-0.05)), 12);
  });

  it('sends a value equal to split_condition to "no" (the test is strictly less than)', () => {
    // income 0.5 → no; utilisation 10 → no: 0.4 + 0.15
    expect(predictXgboost(model, { income: 0.5, utilisation: 10 })).toBeCloseTo(1 / (1 + Math.exp(-0.55)), 12);
  });

  it('follows the missing branch for null, absent and NaN', () => {
    // tree 0 missing → yes (0.2); tree 1 missing → no (0.15): 0.35
    const p = 1 / (1 + Math.exp(-0.35));
    expect(predictXgboost(model, { income: null, utilisation: null })).toBeCloseTo(p, 12);
    expect(predictXgboost(model, {})).toBeCloseTo(p, 12);
    expect(predictXgboost(model, { income: NaN, utilisation: NaN })).toBeCloseTo(p, 12);
    // income present and high, utilisation missing: tree 0 node 2 missing → no (0.4), tree 1 → 0.15
    expect(predictXgboost(model, { income: 3 })).toBeCloseTo(1 / (1 + Math.exp(-0.55)), 12);
  });

  it('adds the base margin: logit(base_score) for logistic objectives, base_score itself for squared error', () => {
    const logistic = load(DUMP, { ...META, objective: 'reg:logistic', base_score: 0.2 });
    // logit(0.2) = ln(0.25); leaves -0.1
    expect(predictXgboost(logistic, { income: 0, utilisation: 1 })).toBeCloseTo(1 / (1 + Math.exp(-(Math.log(0.25) - 0.1))), 12);
    const squared = load(DUMP, { ...META, objective: 'reg:squarederror', base_score: 0.5 });
    expect(predictXgboost(squared, { income: 0, utilisation: 1 })).toBeCloseTo(0.4, 12);
  });

  it('reads trees given as JSON text, as get_dump returns them', () => {
    const fromText = load(DUMP.map((t) => JSON.stringify(t, null, 2)));
    expect(predictXgboost(fromText, { income: 1, utilisation: 20 })).toBe(predictXgboost(model, { income: 1, utilisation: 20 }));
  });

  it('uses split names as feature names when no feature_names are given, and named dumps as they are', () => {
    const raw = load(DUMP, { base_score: 0.5, objective: 'binary:logistic' });
    expect(raw.features).toEqual(['f0', 'f1']);
    expect(predictXgboost(raw, { f0: 1, f1: 20 })).toBeCloseTo(1 / (1 + Math.exp(-0.55)), 12);
    const named = mutate(0, (t) => ((t.split = 'income'), (t.children[1].split = 'utilisation'))) as any[];
    named[1].split = 'utilisation';
    expect(load(named).features).toEqual(['income', 'utilisation']);
  });

  it('compares in float32 as XGBoost does', () => {
    // 0.1 rounds up in float32 (0.10000000149…): a float64 0.1 equals it there, so it is not below it.
    const dump = [{ nodeid: 0, split: 'f0', split_condition: 0.1, yes: 1, no: 2, missing: 1, children: [{ nodeid: 1, leaf: 1 }, { nodeid: 2, leaf: -1 }] }];
    const m = load(dump, { base_score: 0, objective: 'reg:squarederror' });
    expect(predictXgboost(m, { f0: 0.1 })).toBe(-1);
    expect(predictXgboost(m, { f0: 0.0999999 })).toBe(1);
  });

  it('accepts a tree that is a single leaf', () => {
    const m = load([{ nodeid: 0, leaf: 0.25 }], { base_score: 1, objective: 'reg:squarederror' });
    expect(predictXgboost(m, {})).toBe(1.25);
  });
});

describe('explainXgboost (heuristic: split counts on the decision paths)', () => {
  it('ranks the features by how many splits on the path they decided', () => {
    const model = load(DUMP);
    // income 1: tree 0 splits on income then utilisation; tree 1 on utilisation.
    expect(explainXgboost(model, { income: 1, utilisation: 20 })).toEqual([
      { feature: 'utilisation', splits: 2, missing: false },
      { feature: 'income', splits: 1, missing: false },
    ]);
    // income 0: tree 0 stops after income; both features split once, first-used first.
    expect(explainXgboost(model, { income: 0, utilisation: null })).toEqual([
      { feature: 'income', splits: 1, missing: false },
      { feature: 'utilisation', splits: 1, missing: true },
    ]);
    expect(explainXgboost(model, { income: 1, utilisation: 20 }, 1)).toHaveLength(1);
  });
});

describe('loadXgboostDump: refusals name the tree, the node and the fault', () => {
  type Case = [string, () => unknown, RegExp, XgboostMeta?];
  const cases: Case[] = [
    ['not an array', () => ({ trees: DUMP }), /must be a JSON array of trees/],
    ['no trees', () => [], /has no trees/],
    ['a tree that is not JSON', () => [TREE_0, '{ "nodeid": 0, '], /^tree 1: not valid JSON/],
    ['a node that is not an object', () => [TREE_0, 7], /^tree 1: the tree is not a JSON object/],
    ['a node without a nodeid', () => mutate(0, (t) => delete t.children[0].nodeid), /^tree 0, node 0: yes=1 and no=2 must be its children's nodeids, which are null and 2/],
    ['a leaf that is not a number', () => mutate(0, (t) => (t.children[0].leaf = 'x')), /^tree 0, node 1: leaf value "x" is not a finite number/],
    ['a leaf with children', () => mutate(1, (t) => (t.children[0].children = [])), /^tree 1, node 1: a leaf cannot have children/],
    ['a node neither leaf nor split', () => mutate(1, (t) => delete t.children[1].leaf), /^tree 1, node 2: neither a leaf nor a split/],
    ['a missing split_condition', () => mutate(0, (t) => delete t.children[1].split_condition), /^tree 0, node 2: split_condition undefined is not a finite number/],
    ['a categorical split', () => mutate(0, (t) => ((t.categories = [1, 2]), delete t.split_condition)), /^tree 0, node 0: categorical splits are not supported/],
    ['yes pointing at a non-child', () => mutate(0, (t) => (t.children[1].yes = 9)), /^tree 0, node 2: yes=9 and no=4 must be its children's nodeids, which are 3 and 4/],
    ['missing pointing elsewhere', () => mutate(1, (t) => (t.missing = 5)), /^tree 1, node 0: missing points to node 5, which is neither yes \(1\) nor no \(2\)/],
    ['yes equal to no', () => mutate(1, (t) => (t.no = 1)), /^tree 1, node 0: yes and no both point to node 1/],
    ['three children', () => mutate(1, (t) => t.children.push({ nodeid: 3, leaf: 0 })), /^tree 1, node 0: a split needs exactly 2 children, has 3/],
    ['a duplicated nodeid', () => mutate(0, (t) => ((t.children[1].children[0].nodeid = 1), (t.children[1].yes = 1))), /^tree 0, node 1: nodeid appears twice/],
    ['a wrong depth', () => mutate(0, (t) => (t.children[1].depth = 4)), /^tree 0, node 2: depth says 4 but the node is at depth 1/],
    ['a split feature not in feature_names', () => mutate(1, (t) => (t.split = 'f7')), /^tree 1, node 0: split feature "f7" is not in feature_names \(2 names\)/],
    ['an unknown objective', () => DUMP, /objective "multi:softprob" is not supported/, { base_score: 0.5, objective: 'multi:softprob' as 'binary:logistic' }],
    ['a base_score of 1 for a logistic objective', () => DUMP, /base_score 1 must be strictly between 0 and 1 for binary:logistic/, { base_score: 1, objective: 'binary:logistic' }],
    ['duplicate feature names', () => DUMP, /feature_names\[1\]: "a" appears twice/, { base_score: 0.5, objective: 'binary:logistic', feature_names: ['a', 'a'] }],
  ];
  it.each(cases)('%s', (_, dump, message, meta) => {
    expect(failure(dump(), meta ?? META)).toMatch(message);
  });

  it('refuses more than 2,000 trees', () => {
    const leaf = { nodeid: 0, leaf: 0 };
    expect(load(new Array(2000).fill(leaf)).trees).toHaveLength(2000);
    expect(failure(new Array(2001).fill(leaf))).toBe('the dump has 2001 trees, more than 2000');
  });

  it('refuses a path deeper than 32', () => {
    expect(load([chain(32)], { base_score: 0, objective: 'reg:squarederror' }).trees).toHaveLength(1);
    expect(failure([chain(33)], { base_score: 0, objective: 'reg:squarederror' })).toMatch(/^tree 0, node \d+: depth 33 exceeds the limit of 32/);
  });

  it('refuses more than 1,000,000 nodes in all', () => {
    // A full tree of depth 9 has 1,023 nodes; the same tree 978 times is 1,000,494.
    const full = fullTree(9);
    expect(load(new Array(977).fill(full), { base_score: 0, objective: 'reg:squarederror' }).node_count).toBe(977 * 1023);
    expect(failure(new Array(978).fill(full), { base_score: 0, objective: 'reg:squarederror' })).toMatch(/^tree 977: the dump has more than 1000000 nodes in all/);
  });
});

function mutate(tree: number, change: (t: any) => void): unknown[] {
  const dump = copy(DUMP) as any[];
  change(dump[tree]);
  return dump;
}

/** A path of `depth` splits ending in leaves: node ids 2k+1 go deeper, 2k+2 are leaves. */
function chain(depth: number): unknown {
  const build = (id: number, d: number): unknown =>
    d === depth
      ? { nodeid: id, leaf: 0 }
      : { nodeid: id, depth: d, split: 'f0', split_condition: d, yes: 2 * id + 1, no: 2 * id + 2, missing: 2 * id + 1, children: [build(2 * id + 1, d + 1), { nodeid: 2 * id + 2, leaf: 1 }] };
  return build(0, 0);
}

function fullTree(depth: number): unknown {
  const build = (id: number, d: number): unknown =>
    d === depth
      ? { nodeid: id, leaf: 0.01 }
      : { nodeid: id, depth: d, split: `f${d}`, split_condition: 0.5, yes: 2 * id + 1, no: 2 * id + 2, missing: 2 * id + 1, children: [build(2 * id + 1, d + 1), build(2 * id + 2, d + 1)] };
  return build(0, 0);
}

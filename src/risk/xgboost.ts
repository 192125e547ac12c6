/**
 * Scores with an XGBoost model trained elsewhere, from its JSON dump
 * (`Booster.get_dump(dump_format='json')`: one tree per element, each either the JSON text
 * get_dump returns or the parsed object) and the three facts the dump leaves out: the base
 * score, the objective and, when the dump names features f0, f1, …, their real names.
 *
 * Prediction follows XGBoost: at a split, a present value goes to `yes` when it is below
 * `split_condition` (both rounded to float32, as XGBoost compares them), a missing one
 * (null, absent or NaN) to `missing`; the margin is the base margin plus the leaves
 * reached, through the sigmoid for the logistic objectives. Leaves are summed in float64,
 * so results can differ from XGBoost's float32 sum in the seventh significant digit.
 *
 * A dump is checked whole before it scores anyone; a fault is reported with its tree,
 * node and what is wrong. Categorical splits are not supported and are reported as such.
 */

export type XgboostObjective = 'binary:logistic' | 'reg:logistic' | 'reg:squarederror';
export const XGBOOST_OBJECTIVES: readonly XgboostObjective[] = ['binary:logistic', 'reg:logistic', 'reg:squarederror'];

export interface XgboostMeta {
  /** In probability space for the logistic objectives (as XGBoost stores it), raw for squared error. */
  base_score: number;
  objective: XgboostObjective;
  /** Names for f0, f1, …; without them the dump's split names are the feature names. */
  feature_names?: string[];
}

export const XGBOOST_LIMITS = {
  trees_max: 2_000,
  depth_max: 32,
  /** Over all trees. */
  nodes_max: 1_000_000,
  feature_names_max: 100_000,
} as const;

/** A tree flattened into arrays; node 0 is the root and a leaf has feature -1. */
interface FlatTree {
  feature: Int32Array;
  threshold: Float32Array;
  yes: Int32Array;
  no: Int32Array;
  missing: Int32Array;
  leaf: Float64Array;
}

export interface XgboostModel {
  objective: XgboostObjective;
  base_score: number;
  base_margin: number;
  /** The features the trees split on, in first-use order; nodes refer to them by position. */
  features: string[];
  trees: FlatTree[];
  node_count: number;
}

export type XgboostLoad = { ok: true; model: XgboostModel } | { ok: false; message: string };

class DumpError extends Error {}

export function loadXgboostDump(json: unknown, meta: XgboostMeta): XgboostLoad {
  try {
    return { ok: true, model: load(json, meta) };
  } catch (e) {
    if (e instanceof DumpError) return { ok: false, message: e.message };
    throw e;
  }
}

function fail(message: string): never {
  throw new DumpError(message);
}

function checkMeta(meta: XgboostMeta): { base_margin: number; names: string[] | null } {
  if (!XGBOOST_OBJECTIVES.includes(meta.objective)) {
    fail(`objective ${JSON.stringify(meta.objective)} is not supported (one of ${XGBOOST_OBJECTIVES.join(', ')})`);
  }
  const b = meta.base_score;
  if (typeof b !== 'number' || !Number.isFinite(b)) fail('base_score must be a finite number');
  const logistic = meta.objective !== 'reg:squarederror';
  if (logistic && !(b > 0 && b < 1)) fail(`base_score ${b} must be strictly between 0 and 1 for ${meta.objective}`);
  const names = meta.feature_names ?? null;
  if (names !== null) {
    const max = XGBOOST_LIMITS.feature_names_max;
    if (!Array.isArray(names) || names.length > max) fail(`feature_names must be an array of at most ${max} names`);
    const seen = new Set<string>();
    names.forEach((n: unknown, i) => {
      if (typeof n !== 'string' || n === '') fail(`feature_names[${i}] must be a non-empty string`);
      if (seen.has(n)) fail(`feature_names[${i}]: "${n}" appears twice`);
      seen.add(n);
    });
  }
  return { base_margin: logistic ? Math.log(b / (1 - b)) : b, names };
}

function load(json: unknown, meta: XgboostMeta): XgboostModel {
  const { base_margin, names } = checkMeta(meta);
  if (!Array.isArray(json)) fail('the dump must be a JSON array of trees (Booster.get_dump(dump_format="json"))');
  if (json.length === 0) fail('the dump has no trees');
  if (json.length > XGBOOST_LIMITS.trees_max) fail(`the dump has ${json.length} trees, more than ${XGBOOST_LIMITS.trees_max}`);
  const features = new FeatureTable(names);
  const budget = { nodes_left: XGBOOST_LIMITS.nodes_max };
  const trees = json.map((raw: unknown, t) => flatten(parseTreeText(raw, t), t, features, budget));
  const node_count = XGBOOST_LIMITS.nodes_max - budget.nodes_left;
  return { objective: meta.objective, base_score: meta.base_score, base_margin, features: features.used, trees, node_count };
}

function parseTreeText(raw: unknown, t: number): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch (e) {
    return fail(`tree ${t}: not valid JSON (${(e as Error).message})`);
  }
}

/** Maps split names to feature positions, resolving f0, f1, … through feature_names. */
class FeatureTable {
  readonly used: string[] = [];
  private readonly position = new Map<string, number>();
  private readonly named: Set<string> | null;

  constructor(private readonly names: string[] | null) {
    this.named = names === null ? null : new Set(names);
  }

  resolve(split: string, where: string): number {
    let name = split;
    if (this.names !== null && !this.named!.has(split)) {
      const m = /^f(\d+)$/.exec(split);
      const i = m ? Number(m[1]) : -1;
      if (i < 0 || i >= this.names.length) fail(`${where}: split feature "${split}" is not in feature_names (${this.names.length} names)`);
      name = this.names[i]!;
    }
    let p = this.position.get(name);
    if (p === undefined) {
      p = this.used.length;
      this.used.push(name);
      this.position.set(name, p);
    }
    return p;
  }
}

interface Pending {
  node: unknown;
  depth: number;
  /** Position in the flat arrays, given when the parent was read. */
  at: number;
  /** The node id the parent's yes/no named, checked against the child's own. */
  expected_id: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Walks a tree iteratively (no recursion to overflow), checking every node. */
function flatten(root: unknown, t: number, features: FeatureTable, budget: { nodes_left: number }): FlatTree {
  const cols: Columns = { feature: [], threshold: [], yes: [], no: [], missing: [], leaf: [] };
  const ids = new Set<number>();
  const stack: Pending[] = [{ node: root, depth: 0, at: 0, expected_id: null }];
  let allocated = 1;
  while (stack.length > 0) {
    const { node, depth, at, expected_id } = stack.pop()!;
    if (--budget.nodes_left < 0) fail(`tree ${t}: the dump has more than ${XGBOOST_LIMITS.nodes_max} nodes in all`);
    if (!isObject(node)) fail(`tree ${t}: ${depth === 0 ? 'the tree' : 'a child node'} is not a JSON object`);
    if (!isId(node.nodeid)) fail(`tree ${t}: a node at depth ${depth} has no valid nodeid (${JSON.stringify(node.nodeid)})`);
    const where = `tree ${t}, node ${node.nodeid}`;
    if (expected_id !== null && node.nodeid !== expected_id) fail(`${where}: found where the parent's yes/no promised node ${expected_id}`);
    if (ids.has(node.nodeid)) fail(`${where}: nodeid appears twice in the tree`);
    ids.add(node.nodeid);
    if (node.depth !== undefined && node.depth !== depth) fail(`${where}: depth says ${JSON.stringify(node.depth)} but the node is at depth ${depth}`);
    if (depth > XGBOOST_LIMITS.depth_max) fail(`${where}: depth ${depth} exceeds the limit of ${XGBOOST_LIMITS.depth_max}`);
    if ('leaf' in node) {
      if (typeof node.leaf !== 'number' || !Number.isFinite(node.leaf)) fail(`${where}: leaf value ${JSON.stringify(node.leaf)} is not a finite number`);
      if (node.children !== undefined) fail(`${where}: a leaf cannot have children`);
      put(cols, at, -1, 0, -1, -1, -1, node.leaf);
      continue;
    }
    const split = checkSplit(node, where);
    const yesAt = allocated++;
    const noAt = allocated++;
    const missingAt = split.missing === split.yes ? yesAt : noAt;
    put(cols, at, features.resolve(split.name, where), Math.fround(split.condition), yesAt, noAt, missingAt, 0);
    const [c0, c1] = split.children;
    const yesChild = isObject(c0) && c0.nodeid === split.yes ? c0 : c1;
    const noChild = yesChild === c0 ? c1 : c0;
    stack.push({ node: noChild, depth: depth + 1, at: noAt, expected_id: split.no }, { node: yesChild, depth: depth + 1, at: yesAt, expected_id: split.yes });
  }
  return {
    feature: Int32Array.from(cols.feature),
    threshold: Float32Array.from(cols.threshold),
    yes: Int32Array.from(cols.yes),
    no: Int32Array.from(cols.no),
    missing: Int32Array.from(cols.missing),
    leaf: Float64Array.from(cols.leaf),
  };
}

interface Split {
  name: string;
  condition: number;
  yes: number;
  no: number;
  missing: number;
  children: [unknown, unknown];
}

function checkSplit(node: Record<string, unknown>, where: string): Split {
  if (typeof node.split !== 'string' || node.split === '') fail(`${where}: neither a leaf nor a split (no "leaf" value and no "split" feature name)`);
  if (node.split_condition === undefined && node.categories !== undefined) fail(`${where}: categorical splits are not supported`);
  const condition = node.split_condition;
  if (typeof condition !== 'number' || !Number.isFinite(condition)) fail(`${where}: split_condition ${JSON.stringify(condition)} is not a finite number`);
  for (const k of ['yes', 'no', 'missing'] as const) if (!isId(node[k])) fail(`${where}: "${k}" must be a node id, not ${JSON.stringify(node[k])}`);
  const yes = node.yes as number;
  const no = node.no as number;
  const missing = node.missing as number;
  if (yes === no) fail(`${where}: yes and no both point to node ${yes}`);
  if (missing !== yes && missing !== no) fail(`${where}: missing points to node ${missing}, which is neither yes (${yes}) nor no (${no})`);
  const children = node.children;
  if (!Array.isArray(children) || children.length !== 2) {
    fail(`${where}: a split needs exactly 2 children, has ${Array.isArray(children) ? children.length : 'none'}`);
  }
  const childIds = children.map((c: unknown) => (isObject(c) ? c.nodeid : undefined));
  if (!childIds.includes(yes) || !childIds.includes(no)) {
    fail(`${where}: yes=${yes} and no=${no} must be its children's nodeids, which are ${childIds.map((c) => JSON.stringify(c ?? null)).join(' and ')}`);
  }
  return { name: node.split, condition, yes, no, missing, children: [children[0], children[1]] };
}

type Columns = Record<keyof FlatTree, number[]>;

function put(cols: Columns, at: number, ...[feature, threshold, yes, no, missing, leaf]: [number, number, number, number, number, number]): void {
  cols.feature[at] = feature;
  cols.threshold[at] = threshold;
  cols.yes[at] = yes;
  cols.no[at] = no;
  cols.missing[at] = missing;
  cols.leaf[at] = leaf;
}

// ------------------------------------------------------------------ scoring

/** The model's values, one per feature position; NaN is missing. */
function readFeatures(model: XgboostModel, features: Readonly<Record<string, number | null | undefined>>): Float64Array {
  const values = new Float64Array(model.features.length);
  model.features.forEach((name, i) => {
    const v = Object.hasOwn(features, name) ? features[name] : undefined;
    values[i] = typeof v === 'number' ? Math.fround(v) : NaN;
  });
  return values;
}

/** Walks one tree, calling `visit` with each split's feature; returns the leaf value. */
function walk(tree: FlatTree, values: Float64Array, visit?: (feature: number) => void): number {
  let n = 0;
  for (;;) {
    const f = tree.feature[n]!;
    if (f < 0) return tree.leaf[n]!;
    visit?.(f);
    const v = values[f]!;
    n = Number.isNaN(v) ? tree.missing[n]! : v < tree.threshold[n]! ? tree.yes[n]! : tree.no[n]!;
  }
}

/** The model's output: a probability for the logistic objectives, the raw margin for squared error. */
export function predictXgboost(model: XgboostModel, features: Readonly<Record<string, number | null>>): number {
  const values = readFeatures(model, features);
  let margin = model.base_margin;
  for (const tree of model.trees) margin += walk(tree, values);
  if (model.objective === 'reg:squarederror') return margin;
  return margin >= 0 ? 1 / (1 + Math.exp(-margin)) : Math.exp(margin) / (1 + Math.exp(margin));
}

export interface XgboostExplanation {
  feature: string;
  /** Splits on this feature along the paths this input took, over all trees. */
  splits: number;
  /** Whether the input lacked it (its splits then followed the missing branch). */
  missing: boolean;
}

/**
 * A heuristic explanation, not attributions: the features on the decision paths this
 * input took, ranked by how many splits they decided (ties in first-use order). A feature
 * that splits often mattered to the route through the trees, but this says nothing about
 * the direction or size of its effect on the score; SHAP contributions would, and are
 * not computed here.
 */
export function explainXgboost(model: XgboostModel, features: Readonly<Record<string, number | null>>, limit = 10): XgboostExplanation[] {
  const values = readFeatures(model, features);
  const counts = new Array<number>(model.features.length).fill(0);
  for (const tree of model.trees) walk(tree, values, (f) => counts[f]!++);
  return counts
    .map((splits, i) => ({ feature: model.features[i]!, splits, missing: Number.isNaN(values[i]!), i }))
    .filter((e) => e.splits > 0)
    .sort((a, b) => b.splits - a.splits || a.i - b.i)
    .slice(0, limit)
    .map(({ feature, splits, missing }) => ({ feature, splits, missing }));
}

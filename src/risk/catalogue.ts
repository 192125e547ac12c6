/**
 * The velocity feature catalogue as data that risk analysts edit (pure part): checking a
 * proposed catalogue, what it changes against the one in force, and whether anything that
 * runs or may run would stop working with it.
 *
 * A catalogue is refused when a rule set that is deployed (live or shadow), or the latest
 * published version of any rule set, would no longer compile with it, or when a deployed
 * model reads a velocity feature it drops. Every velocity feature is a number, so changing
 * a definition (its window, its event types) never breaks a rule; removing or renaming one
 * can. Drafts and older published versions are not checked: publishing checks them again.
 */
import { compileRuleSet, contextSchema, type RuleSetBody } from './core.js';
import { compileCondition } from './expr/index.js';
import { validateVelocityFeatures, type VelocityFeature } from './velocity.js';

const PREFIX = 'velocity.';

export type CatalogueValidation = { ok: true; features: VelocityFeature[] } | { ok: false; field: string; message: string };

/** Checks a proposed catalogue; the first problem is named as `features[i].<field>`. */
export function validateCatalogue(features: unknown): CatalogueValidation {
  if (!Array.isArray(features)) return { ok: false, field: 'features', message: 'must be an array of features' };
  const checked = validateVelocityFeatures(features as VelocityFeature[]);
  if (!checked.ok) {
    const field = checked.index < 0 ? 'features' : `features[${checked.index}]${checked.field ? `.${checked.field}` : ''}`;
    return { ok: false, field, message: checked.message };
  }
  return { ok: true, features: (features as VelocityFeature[]).map(normalise) };
}

/** The stored form: fields in one order, no absent optional fields (so equal definitions compare equal). */
export function normalise(f: VelocityFeature): VelocityFeature {
  return {
    name: f.name,
    entity: f.entity,
    aggregate: f.aggregate,
    ...(f.of === undefined ? {} : { of: f.of }),
    window: f.window,
    ...(f.event_types === undefined ? {} : { event_types: [...f.event_types] }),
  };
}

/** Same meaning: the order of event types does not matter. */
function sameDefinition(a: VelocityFeature, b: VelocityFeature): boolean {
  const key = (f: VelocityFeature) => JSON.stringify({ ...normalise(f), event_types: f.event_types ? [...f.event_types].sort() : null });
  return key(a) === key(b);
}

export interface CatalogueDiff {
  added: VelocityFeature[];
  removed: VelocityFeature[];
  changed: { name: string; before: VelocityFeature; after: VelocityFeature }[];
}

/** What `after` adds, removes and redefines against `before`, by feature name (in `after`'s order, removals in `before`'s). */
export function diffCatalogues(before: readonly VelocityFeature[], after: readonly VelocityFeature[]): CatalogueDiff {
  const old = new Map(before.map((f) => [f.name, f]));
  const next = new Set(after.map((f) => f.name));
  const diff: CatalogueDiff = { added: [], removed: [], changed: [] };
  for (const f of after) {
    const was = old.get(f.name);
    if (!was) diff.added.push(normalise(f));
    else if (!sameDefinition(was, f)) diff.changed.push({ name: f.name, before: normalise(was), after: normalise(f) });
  }
  for (const f of before) if (!next.has(f.name)) diff.removed.push(normalise(f));
  return diff;
}

export const isEmptyDiff = (d: CatalogueDiff): boolean => d.added.length + d.removed.length + d.changed.length === 0;

/** Why a rule set version is checked. */
export type RuleSetUse = 'live' | 'shadow' | 'latest_published';

/** What may read velocity features: rule set versions in use, and deployed models. */
export type Dependent =
  | { kind: 'rule_set'; id: string; version: number; uses: RuleSetUse[]; body: RuleSetBody }
  | { kind: 'model'; id: string; version: number; slot: 'live' | 'shadow'; inputs: readonly string[] };

export interface FeatureInUse {
  /** `rule_set` or `model`. */
  kind: Dependent['kind'];
  id: string;
  version: number;
  /** Where it is used: live, shadow, latest_published. */
  uses: string[];
  /** The rule that no longer compiles (rule sets). */
  rule_id: string | null;
  /** The velocity features (without the `velocity.` prefix) the catalogue would drop. */
  features: string[];
  message: string;
}

/** Everything that would break under `after`: each rule set that no longer compiles (per rule) and each model input dropped. */
export function featuresInUse(dependents: readonly Dependent[], before: readonly VelocityFeature[], after: readonly VelocityFeature[]): FeatureInUse[] {
  const out: FeatureInUse[] = [];
  const kept = new Set(after.map((f) => `velocity.${f.name}`));
  for (const d of dependents) {
    if (d.kind === 'model') {
      const dropped = d.inputs.filter((k) => k.startsWith(PREFIX) && !kept.has(k)).map((k) => k.slice(PREFIX.length));
      if (dropped.length > 0) {
        out.push({
          kind: 'model',
          id: d.id,
          version: d.version,
          uses: [d.slot],
          rule_id: null,
          features: dropped,
          message: `model ${d.id} v${d.version} (deployed ${d.slot}) reads ${dropped.map((f) => `velocity.${f}`).join(', ')}`,
        });
      }
      continue;
    }
    out.push(...ruleSetConflicts(d, before, after));
  }
  return out;
}

function ruleSetConflicts(d: Extract<Dependent, { kind: 'rule_set' }>, before: readonly VelocityFeature[], after: readonly VelocityFeature[]): FeatureInUse[] {
  const compiled = compileRuleSet(d.body, after);
  if (compiled.ok) return [];
  const where = `rule set ${d.id} v${d.version} (${d.uses.join(', ').replace('latest_published', 'latest published')})`;
  const kept = new Set(after.map((f) => f.name));
  // The velocity keys each failing rule reads, found with every feature of both catalogues known.
  const union = [...before, ...after.filter((f) => !before.some((b) => b.name === f.name))];
  const schema = contextSchema(union, d.body.attributes);
  const out: FeatureInUse[] = [];
  const seen = new Set<number>();
  for (const issue of compiled.issues) {
    const rule = issue.rule_index >= 0 ? d.body.rules[issue.rule_index] : undefined;
    if (issue.rule_index >= 0 && seen.has(issue.rule_index)) continue;
    seen.add(issue.rule_index);
    const read = rule ? compileCondition(rule.when, schema) : undefined;
    const dropped = read?.ok ? [...new Set(read.references)].filter((k) => k.startsWith(PREFIX) && !kept.has(k.slice(PREFIX.length))).map((k) => k.slice(PREFIX.length)) : [];
    const message =
      dropped.length > 0
        ? `${where}, rule ${rule!.id}, reads ${dropped.map((f) => `velocity.${f}`).join(', ')}`
        : `${where}${rule ? `, rule ${rule.id}` : ''}, does not compile with this catalogue: ${issue.field}: ${issue.message}`;
    out.push({ kind: 'rule_set', id: d.id, version: d.version, uses: [...d.uses], rule_id: rule?.id ?? null, features: dropped, message });
  }
  return out;
}

/** The context keys a stored model reads, from its body (scorecard attributes, XGBoost and ONNX feature names). */
export function modelInputs(kind: string, body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as { attributes?: unknown; feature_names?: unknown };
  if (kind === 'scorecard' && Array.isArray(b.attributes)) {
    return b.attributes.flatMap((a: unknown) => (typeof a === 'object' && a !== null && typeof (a as { name?: unknown }).name === 'string' ? [(a as { name: string }).name] : []));
  }
  if (Array.isArray(b.feature_names)) return b.feature_names.filter((n): n is string => typeof n === 'string');
  return [];
}

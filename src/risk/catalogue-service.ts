/**
 * Changing the velocity feature catalogue, and the check every publish makes against it.
 *
 * A change is checked and stored in one transaction that holds the catalogue in force
 * locked (catalogue-store.ts), then this process's engine builds the new windows in the
 * background and swaps them in (engine.applyCatalogue). Publishing a rule set takes the
 * same lock (shared), so a publish and a change never pass each other's checks, in this
 * process or across processes.
 */
import type { Db, Queryable } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { compileRuleSet, type RuleSetBody, type RuleSetIssue } from './core.js';
import { diffCatalogues, featuresInUse, modelInputs, validateCatalogue, type CatalogueDiff, type Dependent, type FeatureInUse, type RuleSetUse } from './catalogue.js';
import type { CatalogueBuildState } from './catalogue-build.js';
import * as catalogueStore from './catalogue-store.js';
import type { RiskEngine } from './engine.js';
import * as store from './store.js';
import type { VelocityFeature } from './velocity.js';

export const CATALOGUE_COMMENT_MAX = 500;

export type CatalogueChange =
  | { ok: true; version: catalogueStore.CatalogueVersion; diff: CatalogueDiff; rebuild: CatalogueBuildState }
  | { ok: false; code: 'invalid_feature_catalogue'; field: string; message: string }
  | { ok: false; code: 'catalogue_rebuilding'; message: string }
  | { ok: false; code: 'feature_in_use'; conflicts: FeatureInUse[] };

interface Deps {
  db: Db;
  clock: Clock;
  engine: RiskEngine;
}

const progress = (s: CatalogueBuildState | undefined): string =>
  s ? `v${s.version}: ${s.events_replayed} of ${s.events_total ?? '?'} stored events replayed` : 'checking another change';

/** Checks a proposed catalogue, stores it as the next version and starts this engine's rebuild for it. */
export async function changeCatalogue(risk: Deps, features: unknown, comment: string, actor: string): Promise<CatalogueChange> {
  const valid = validateCatalogue(features);
  if (!valid.ok) return { ok: false, code: 'invalid_feature_catalogue', field: valid.field, message: valid.message };
  const engine = risk.engine;
  await engine.start();
  if (!engine.claimCatalogueChange()) {
    return { ok: false, code: 'catalogue_rebuilding', message: `a feature catalogue change is in progress (${progress(engine.catalogueRebuild)}); try again when it is done` };
  }
  let applied = false;
  try {
    const now = risk.clock.now();
    const outcome = await risk.db.transaction(async (tx) => {
      const current = await catalogueStore.lockCurrentCatalogue(tx, 'update');
      const version = current?.version ?? 0;
      if (version !== engine.catalogue_version) {
        return { ok: false, code: 'catalogue_rebuilding', message: `the catalogue is v${version} (changed by another process); this process is catching up from v${engine.catalogue_version}` } as const;
      }
      const before = current?.features ?? engine.features;
      const conflicts = featuresInUse(await dependents(tx), before, valid.features);
      if (conflicts.length > 0) return { ok: false, code: 'feature_in_use', conflicts } as const;
      const diff = diffCatalogues(before, valid.features);
      const saved = await catalogueStore.insertCatalogue(tx, version + 1, valid.features, comment, actor, now);
      await store.audit(tx, actor, 'feature_catalogue.changed', 'feature_catalogue', { version: saved.version, comment, diff }, now);
      return { ok: true, saved, diff } as const;
    });
    if (!outcome.ok) {
      if (outcome.code === 'catalogue_rebuilding') queueMicrotask(() => void engine.followStoredCatalogue());
      return outcome;
    }
    const rebuild = engine.applyCatalogue(outcome.saved.version, outcome.saved.features);
    applied = true;
    return { ok: true, version: outcome.saved, diff: outcome.diff, rebuild };
  } finally {
    if (!applied) engine.releaseCatalogueChange();
  }
}

/** Deployed rule set versions, each rule set's latest published version, and deployed models. */
async function dependents(tx: Queryable): Promise<Dependent[]> {
  const out: Dependent[] = [];
  const uses = new Map<string, { id: string; version: number; uses: RuleSetUse[] }>();
  const use = (id: string, version: number, why: RuleSetUse) => {
    const key = `${id}\u0000${version}`;
    const entry = uses.get(key) ?? { id, version, uses: [] };
    entry.uses.push(why);
    uses.set(key, entry);
  };
  const deployments = await store.getDeployments(tx);
  for (const slot of ['live', 'shadow'] as const) {
    const d = deployments.get(slot);
    if (d?.rule_set_id && d.rule_set_version) use(d.rule_set_id, d.rule_set_version, slot);
    if (d?.model_id && d.model_version) {
      const model = await store.getModel(tx, d.model_id, d.model_version);
      if (model) out.push({ kind: 'model', id: model.id, version: model.version, slot, inputs: modelInputs(model.kind, model.body) });
    }
  }
  for (const rs of await store.listRuleSets(tx)) if (rs.published_version !== null) use(rs.id, rs.published_version, 'latest_published');
  for (const u of uses.values()) {
    const found = await store.getRuleSet(tx, u.id, u.version);
    if (found) out.push({ kind: 'rule_set', id: u.id, version: u.version, uses: u.uses, body: found.body });
  }
  return out;
}

export type Publishable =
  | { ok: true }
  | { ok: false; code: 'invalid_rule_set'; issues: RuleSetIssue[]; catalogue_version: number }
  | { ok: false; code: 'catalogue_rebuilding'; message: string };

/**
 * Inside a publish's transaction: the version must compile with the catalogue in force
 * (a draft saved before a change may not), and with the one this engine decides with
 * until its rebuild swaps the new one in. Holds the catalogue locked (shared) to the commit.
 */
export async function checkPublishable(tx: Queryable, engine: RiskEngine, body: RuleSetBody): Promise<Publishable> {
  const current = await catalogueStore.lockCurrentCatalogue(tx, 'share');
  const inForce: readonly VelocityFeature[] = current?.features ?? engine.features;
  const compiled = compileRuleSet(body, inForce);
  if (!compiled.ok) return { ok: false, code: 'invalid_rule_set', issues: compiled.issues, catalogue_version: current?.version ?? engine.catalogue_version };
  if ((current?.version ?? engine.catalogue_version) !== engine.catalogue_version && !compileRuleSet(body, engine.features).ok) {
    queueMicrotask(() => void engine.followStoredCatalogue());
    return {
      ok: false,
      code: 'catalogue_rebuilding',
      message: `this version reads features of catalogue v${current?.version} that this process does not have yet (it decides with v${engine.catalogue_version} until its rebuild is done); publish again then`,
    };
  }
  return { ok: true };
}

/**
 * The risk engine's entry points besides the decision itself: rule sets (draft → publish,
 * with history), deployments (live and shadow), lists, models, cases, transfer policies.
 * Every change is written with who made it (risk_audit) and takes effect in this process
 * at once (other processes pick up lists within seconds and deployments on reload).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { Ledger } from '../ledger/service.js';
import { TransferFlags, type TransferId } from '../ledger/types.js';
import { compileRuleSet, type RuleSetBody, type RuleSetIssue } from './core.js';
import { DEFAULT_RULE_SET, DEFAULT_RULE_SET_ID, DEFAULT_VELOCITY_FEATURES } from './defaults.js';
import { RiskEngine } from './engine.js';
import { RiskTransferGate } from './gate.js';
import { loadModel, type ModelErrorCode, type ModelKind } from './models.js';
import { checkPublishable, type Publishable } from './catalogue-service.js';
import { seedCatalogue } from './catalogue-store.js';
import * as store from './store.js';

export type Slot = 'live' | 'shadow';

export type CaseAction = { kind: 'assign'; assignee: string } | { kind: 'comment'; comment: string } | { kind: 'approve' | 'reject'; comment?: string | undefined };

export type CaseActionResult =
  | { ok: true; case: store.RiskCase }
  | { ok: false; code: 'case_not_found' | 'case_closed' | 'transfer_not_settled'; detail?: string };

export class Risk {
  readonly engine: RiskEngine;
  /** The ledger's transfer gate (install with ledger.setGate). */
  readonly gate: RiskTransferGate;

  constructor(
    readonly db: Db,
    readonly clock: Clock,
    private readonly ledger: Ledger,
  ) {
    this.engine = new RiskEngine(db, clock, undefined, () => this.seedDefaults());
    this.gate = new RiskTransferGate(this);
  }

  /** First start on an empty database: the default velocity catalogue as v1, and the default rule set as v1, published and live. */
  async seedDefaults(): Promise<void> {
    await seedCatalogue(this.db, DEFAULT_VELOCITY_FEATURES, 'the default catalogue', 'system', this.clock.now());
    const existing = await store.listRuleSets(this.db);
    if (existing.length > 0) return;
    const saved = await this.saveRuleSet(DEFAULT_RULE_SET_ID, DEFAULT_RULE_SET, 'the default rule set', 'system');
    if (!saved.ok) throw new Error(`the default rule set does not compile: ${JSON.stringify(saved.issues)}`);
    const published = await this.publish(DEFAULT_RULE_SET_ID, saved.version.version, 'live', 'system');
    if (!published.ok) throw new Error(`the default rule set does not publish: ${JSON.stringify(published)}`);
  }

  // ---------------------------------------------------------------- rule sets

  /** Saves a new draft version; a rule that does not compile is refused with its position, and nothing is saved. */
  async saveRuleSet(id: string, body: RuleSetBody, comment: string, actor: string): Promise<{ ok: true; version: store.RuleSetVersion } | { ok: false; issues: RuleSetIssue[] }> {
    // Against the catalogue being rebuilt, if any: what will be in force when it is published.
    const compiled = compileRuleSet(body, this.engine.targetFeatures);
    if (!compiled.ok) return { ok: false, issues: compiled.issues };
    const now = this.clock.now();
    const version = await this.db.transaction(async (tx) => {
      const saved = await store.insertRuleSetDraft(tx, id, body, comment, actor, now);
      await store.audit(tx, actor, 'rule_set.saved', `rule_set:${id}`, { version: saved.version, comment }, now);
      return saved;
    });
    return { ok: true, version };
  }

  /** Publishes a version and deploys it in a slot (live decides; shadow runs beside it, recorded, not enforced). */
  async publish(
    id: string,
    version: number,
    slot: Slot,
    actor: string,
  ): Promise<{ ok: true; version: store.RuleSetVersion } | { ok: false; code: 'rule_set_not_found' } | Exclude<Publishable, { ok: true }>> {
    const now = this.clock.now();
    const result = await this.db.transaction(async (tx) => {
      const found = await store.getRuleSet(tx, id, version);
      if (!found) return { ok: false, code: 'rule_set_not_found' } as const;
      // The feature catalogue may have changed since this version was saved.
      const publishable = await checkPublishable(tx, this.engine, found.body);
      if (!publishable.ok) return publishable;
      if (found.status === 'draft') await store.markPublished(tx, id, version, actor, now);
      const current = (await store.getDeployments(tx)).get(slot);
      await store.saveDeployment(tx, {
        slot,
        rule_set_id: id,
        rule_set_version: version,
        model_id: current?.model_id ?? null,
        model_version: current?.model_version ?? null,
        updated_by: actor,
        updated_at: now,
      });
      await store.audit(tx, actor, `rule_set.deployed.${slot}`, `rule_set:${id}`, { version }, now);
      return { ok: true, version: (await store.getRuleSet(tx, id, version))! } as const;
    });
    if (!result.ok) return result;
    await this.engine.reloadDeployments();
    return result;
  }

  /** Takes whatever runs in the shadow slot out of it. */
  async clearShadow(actor: string): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await store.saveDeployment(tx, { slot: 'shadow', rule_set_id: null, rule_set_version: null, model_id: null, model_version: null, updated_by: actor, updated_at: now });
      await store.audit(tx, actor, 'shadow.cleared', 'deployment:shadow', null, now);
    });
    await this.engine.reloadDeployments();
  }

  // ---------------------------------------------------------------- models

  /** Stores a model version after checking that it loads (a model that does not load is refused, nothing changes). */
  async saveModel(
    id: string,
    kind: ModelKind,
    body: unknown,
    metrics: unknown,
    actor: string,
  ): Promise<{ ok: true; model: store.ModelVersion } | { ok: false; code: ModelErrorCode; message: string }> {
    const loaded = await loadModel(id, 0, kind, body);
    if (!loaded.ok) return loaded;
    await loaded.model.release?.(); // loaded to check it; the deployment loads its own
    const now = this.clock.now();
    const model = await this.db.transaction(async (tx) => {
      const saved = await store.insertModel(tx, id, kind, body, metrics, actor, now);
      await store.audit(tx, actor, 'model.saved', `model:${id}`, { version: saved.version, kind }, now);
      return saved;
    });
    return { ok: true, model };
  }

  /** Deploys a model version after checking it loads here (a stored ONNX model onnxruntime cannot load is refused, nothing changes). */
  async deployModel(
    slot: Slot,
    model: { id: string; version: number } | null,
    actor: string,
  ): Promise<{ ok: true } | { ok: false; code: 'model_not_found' } | { ok: false; code: ModelErrorCode; message: string }> {
    if (model) {
      const stored = await store.getModel(this.db, model.id, model.version);
      if (!stored) return { ok: false, code: 'model_not_found' };
      const loaded = await loadModel(stored.id, stored.version, stored.kind, stored.body);
      if (!loaded.ok) return { ok: false, code: loaded.code, message: `model ${model.id} v${model.version} does not load: ${loaded.message}` };
      await loaded.model.release?.();
    }
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const current = (await store.getDeployments(tx)).get(slot);
      await store.saveDeployment(tx, {
        slot,
        rule_set_id: current?.rule_set_id ?? null,
        rule_set_version: current?.rule_set_version ?? null,
        model_id: model?.id ?? null,
        model_version: model?.version ?? null,
        updated_by: actor,
        updated_at: now,
      });
      await store.audit(tx, actor, `model.deployed.${slot}`, model ? `model:${model.id}` : 'deployment:model', model, now);
    });
    await this.engine.reloadDeployments();
    return { ok: true };
  }

  // ---------------------------------------------------------------- lists

  async putListEntry(entry: Omit<store.ListEntry, 'created_at'>): Promise<store.ListEntry> {
    const now = this.clock.now();
    const saved = { ...entry, created_at: now };
    await this.db.transaction(async (tx) => {
      await store.saveListEntry(tx, saved);
      await store.audit(tx, entry.created_by, 'list.put', `list:${entry.list}:${entry.kind}:${entry.value}`, { reason: entry.reason, expires_at: entry.expires_at }, now);
    });
    await this.engine.listsChanged();
    return saved;
  }

  async deleteListEntry(list: store.ListName, kind: store.ListKind, value: string, actor: string): Promise<boolean> {
    const now = this.clock.now();
    const removed = await this.db.transaction(async (tx) => {
      const gone = await store.deleteListEntry(tx, list, kind, value);
      if (gone) await store.audit(tx, actor, 'list.deleted', `list:${list}:${kind}:${value}`, null, now);
      return gone;
    });
    await this.engine.listsChanged();
    return removed;
  }

  // ---------------------------------------------------------------- cases

  /**
   * Assign, comment, approve or reject. Approving a case that holds a transfer posts it;
   * rejecting voids it (through the ledger's write path, in the order: ledger first, then
   * the case, so a case is never closed over money that did not move).
   */
  async actOnCase(id: string, action: CaseAction, actor: string): Promise<CaseActionResult> {
    const current = await store.getCase(this.db, id);
    if (!current) return { ok: false, code: 'case_not_found' };
    if (current.status !== 'open' && action.kind !== 'comment') return { ok: false, code: 'case_closed' };
    if ((action.kind === 'approve' || action.kind === 'reject') && current.transfer_id) {
      const settled = await this.settleHeldTransfer(current.transfer_id, action.kind);
      if (!settled.ok) return { ok: false, code: 'transfer_not_settled', detail: settled.detail };
    }
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const locked = await store.lockCase(tx, id);
      if (!locked) return { ok: false, code: 'case_not_found' } as const;
      if (locked.status !== 'open' && action.kind !== 'comment') return { ok: false, code: 'case_closed' } as const;
      if (action.kind === 'assign') await store.updateCase(tx, id, { assignee: action.assignee }, now);
      if (action.kind === 'approve') await store.updateCase(tx, id, { status: 'approved' }, now);
      if (action.kind === 'reject') await store.updateCase(tx, id, { status: 'rejected' }, now);
      const comment = action.kind === 'assign' ? `assigned to ${action.assignee}` : (action.comment ?? null);
      const verb = action.kind === 'assign' ? 'assigned' : action.kind === 'comment' ? 'commented' : action.kind === 'approve' ? 'approved' : 'rejected';
      await store.addCaseEvent(tx, id, { at: now, actor, action: verb, comment });
      return { ok: true, case: (await store.lockCase(tx, id))! } as const;
    });
  }

  /** Posts (approve) or voids (reject) the pending transfer a case holds; an already settled one in the same direction is fine. */
  private async settleHeldTransfer(transferId: string, action: 'approve' | 'reject'): Promise<{ ok: true } | { ok: false; detail: string }> {
    const flags = action === 'approve' ? TransferFlags.post_pending : TransferFlags.void_pending;
    const [result] = await this.ledger.submitTransfers([{ id: randomUUID() as TransferId, pending_id: transferId as TransferId, flags }], { bypass_gate: true });
    if (result!.ok) return { ok: true };
    const already = action === 'approve' ? 'pending_transfer_already_posted' : 'pending_transfer_already_voided';
    if (result!.code === already) return { ok: true };
    // A hold that expired has released the funds already, and one that never reached the
    // ledger (screened, then refused before the batch: an open-banking payment over its
    // consent's limit) holds nothing: rejecting either is done.
    if (action === 'reject' && (result!.code === 'pending_transfer_expired' || result!.code === 'pending_transfer_not_found')) return { ok: true };
    return { ok: false, detail: `the held transfer ${transferId} could not be ${action === 'approve' ? 'posted' : 'voided'}: ${result!.code}` };
  }

  // ---------------------------------------------------------------- transfer policies

  async putTransferPolicy(code: number, enabled: boolean, hold_timeout_seconds: number, actor: string): Promise<store.TransferPolicy> {
    const now = this.clock.now();
    const policy = { code, enabled, hold_timeout_seconds, updated_by: actor, updated_at: now };
    await this.db.transaction(async (tx) => {
      await store.saveTransferPolicy(tx, policy);
      await store.audit(tx, actor, 'transfer_policy.saved', `transfer_policy:${code}`, { enabled, hold_timeout_seconds }, now);
    });
    await this.gate.reload();
    return policy;
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }
}

/**
 * The real-time decision path. Everything a decision reads is in memory: the compiled live
 * (and shadow) rule set and model, the lists, the velocity windows and the graph. A
 * decision builds the context, runs the model and the rules, then records the event into
 * the features and stores the decision with its inputs (batched), before answering.
 *
 * After a restart the features are rebuilt from the stored events of the longest window
 * (30 days), so they are the same as if the process had never stopped.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { compileRuleSet, eventContext, eventFingerprint, evaluateRules, type CompiledRuleSet, type FiredRule } from './core.js';
import { DecisionLog } from './decision-log.js';
import { RiskGraph } from './graph.js';
import { ListCache } from './lists.js';
import { loadModel, type LoadedModel, type ModelReason } from './models.js';
import * as store from './store.js';
import type { Context, Outcome, RiskEvent, ValueType } from './types.js';
import { VelocityStore, type VelocityFeature } from './velocity.js';
import { DEFAULT_VELOCITY_FEATURES } from './defaults.js';
import { CatalogueBuild, type CatalogueBuildState } from './catalogue-build.js';
import * as catalogueStore from './catalogue-store.js';

export const REBUILD_WINDOW_MS = 30 * 24 * 3600 * 1000;
const REBUILD_PAGE = 5_000;
const RECENT_IDS_MAX = 200_000;

interface Deployed {
  rule_set: store.RuleSetVersion | undefined;
  compiled: CompiledRuleSet | undefined;
  model: LoadedModel | undefined;
}

export interface Verdict {
  outcome: Outcome;
  score: number | null;
  fired: FiredRule[];
  model_reasons: ModelReason[];
}

export interface DecisionResult extends Verdict {
  decision_id: string;
  replayed: boolean;
  rule_set: { id: string; version: number } | null;
  shadow: Verdict | null;
  case_id: string | null;
  decided_at: Date;
  latency_us: number;
}

export type DecideOutcome = { ok: true; decision: DecisionResult } | { ok: false; code: 'exists_with_different_fields' };

export interface DecideOptions {
  /** The pending transfer that holds the money if the outcome is review (payments through the ledger). */
  hold_transfer_id?: string;
  /** false: a review opens no case (the caller refuses the operation instead). Default true. */
  open_case?: boolean;
  /** What the caller sent, for the idempotency fingerprint (default: the event itself). */
  sent?: unknown;
}

/** One decision between its verdict and its answer. */
interface Decided {
  event: RiskEvent;
  options: DecideOptions;
  fingerprint: string;
  ctx: Context;
  slots: { live: Deployed; shadow: Deployed | undefined };
  now: Date;
  started: number;
}

/** The in-memory state features are read from. The engine keeps one; a backtest builds a fresh one. */
export interface FeatureState {
  velocity: VelocityStore;
  graph: RiskGraph;
  lists: ListCache;
}

/** The context of one event from a feature state, before the event is recorded into it. */
export function buildContext(state: FeatureState, event: RiskEvent, now: Date, attributes?: Record<string, ValueType>): Context {
  const ctx: Context = eventContext(event, attributes);
  state.lists.writeContext(event, now, ctx);
  state.velocity.writeContext(event, now, ctx);
  const graph = state.graph.features(event);
  ctx['graph.component_size'] = graph.component_size;
  ctx['graph.customers_sharing_device'] = graph.customers_sharing_device;
  ctx['graph.customers_sharing_ip'] = graph.customers_sharing_ip;
  ctx['graph.distance_to_fraud'] = graph.distance_to_fraud;
  ctx['customer.new_device'] = event.device_id === undefined ? null : !state.graph.knows(event.customer_id, 'device', event.device_id);
  ctx['customer.new_counterparty'] = event.counterparty_id === undefined ? null : !state.graph.knows(event.customer_id, 'account', event.counterparty_id);
  return ctx;
}

export function observeEvent(state: Pick<FeatureState, 'velocity' | 'graph'>, event: RiskEvent): void {
  state.velocity.observe(event);
  state.graph.observe(event);
}

/** The stored form of a decision: the event, the fingerprint of what the caller sent, the context and the verdict. */
export function decisionRecord(
  event: RiskEvent,
  fingerprint: string,
  ctx: Context,
  verdict: Verdict,
  ruleSet: { id: string; version: number } | undefined,
  shadow: unknown,
  decidedAt: Date,
): store.StoredDecision {
  return {
    id: event.id,
    type: event.type,
    customer_id: event.customer_id,
    occurred_at: event.occurred_at,
    event,
    fingerprint,
    outcome: verdict.outcome,
    score: verdict.score,
    reasons: { rules: verdict.fired, model: verdict.model_reasons },
    context: ctx,
    rule_set_id: ruleSet?.id ?? null,
    rule_set_version: ruleSet?.version ?? null,
    shadow,
    decided_at: decidedAt,
  };
}

export class RiskEngine {
  velocity: VelocityStore;
  graph: RiskGraph;
  readonly lists = new ListCache();
  private readonly log: DecisionLog;
  private live: Deployed = { rule_set: undefined, compiled: undefined, model: undefined };
  private shadowSlot: Deployed | undefined;
  private readonly recentIds = new Set<string>();
  /** Ids between their context and the queueing of their decision (the verdict may await a model). */
  private readonly deciding = new Map<string, Promise<void>>();
  /** Customers flagged in the graph as known fraudsters (the deny-listed ones at the last list reload). */
  private flagged = new Set<string>();
  private started: Promise<void> | undefined;
  /** True once the features are rebuilt and decisions can be made without waiting. */
  ready = false;
  /** Stored events replayed so far by the current (re)build, for /ready. */
  rebuilt_events = 0;
  /** The feature catalogue version `features` is (0: the constructor's, before the first start). */
  catalogue_version = 0;
  /** A new catalogue's windows being built in the background (catalogue-build.ts), and the last one built. */
  private catalogueBuild: CatalogueBuild | undefined;
  private lastCatalogueBuild: CatalogueBuild | undefined;
  private catalogueClaimed = false;
  /** Deployments are loaded one at a time, so a reload never passes a catalogue swap (or the reverse). */
  private deploymentsTurn: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Db,
    readonly clock: Clock,
    /** The velocity catalogue decisions read; replaced by the stored one at start and by a catalogue swap. */
    public features: readonly VelocityFeature[] = DEFAULT_VELOCITY_FEATURES,
    /** Runs once before the first load (the service seeds the default rule set here). */
    private readonly beforeStart?: () => Promise<void>,
  ) {
    this.velocity = new VelocityStore([...features]);
    this.graph = new RiskGraph();
    this.log = new DecisionLog(db);
  }

  /** Loads deployments and lists and rebuilds the features; decisions wait for it. Idempotent. */
  start(onProgress?: (done: number) => void): Promise<void> {
    // A failed start (the database down) is not remembered: the next decision tries again.
    this.started ??= this.load(onProgress).then(
      () => {
        this.ready = true;
      },
      (err: unknown) => {
        this.started = undefined;
        throw err;
      },
    );
    return this.started;
  }

  /** Forgets the features and rebuilds them from the stored events (after events were imported). */
  async rebuild(onProgress?: (done: number) => void): Promise<void> {
    await this.started;
    await this.catalogueBuild?.done;
    await this.log.drain();
    this.velocity = new VelocityStore([...this.features]);
    this.graph = new RiskGraph();
    this.recentIds.clear();
    this.ready = false;
    this.started = undefined;
    await this.start(onProgress);
  }

  private async load(onProgress?: (done: number) => void): Promise<void> {
    await this.beforeStart?.();
    await this.adoptStoredCatalogue();
    await this.reloadDeployments();
    const now = this.clock.now();
    await this.lists.reload(this.db, now);
    let after: { at: Date; id: string } | undefined;
    let done = 0;
    for (;;) {
      const page = await store.eventsPage(this.db, new Date(now.getTime() - REBUILD_WINDOW_MS), undefined, after, REBUILD_PAGE);
      for (const row of page) {
        // With the start time as the clock: an event stored with a far-future occurred_at is
        // ignored, as it was when it was decided, instead of pushing recent buckets out.
        this.velocity.observe(row.event, now);
        this.graph.observe(row.event);
        this.remember(row.id);
      }
      done += page.length;
      this.rebuilt_events = done;
      onProgress?.(done);
      if (page.length < REBUILD_PAGE) break;
      const last = page[page.length - 1]!;
      after = { at: last.occurred_at, id: last.id };
    }
    this.flagged = new Set(this.lists.deniedCustomers(now));
    for (const customer of this.flagged) this.graph.flagFraud(customer);
  }

  /** Re-reads which rule set and model are live and shadow (after a deploy, here or elsewhere). */
  async reloadDeployments(): Promise<void> {
    await this.inDeploymentsTurn(async () => {
      const slots = await this.loadSlots(this.features);
      this.live = slots.live;
      this.shadowSlot = slots.shadow;
    });
  }

  private async loadSlots(features: readonly VelocityFeature[]): Promise<{ live: Deployed; shadow: Deployed | undefined }> {
    const deployments = await store.getDeployments(this.db);
    const live = await this.loadSlot(deployments.get('live'), features);
    const shadow = deployments.get('shadow');
    return { live, shadow: shadow && (shadow.rule_set_id || shadow.model_id) ? await this.loadSlot(shadow, features) : undefined };
  }

  private inDeploymentsTurn(fn: () => Promise<void>): Promise<void> {
    const run = this.deploymentsTurn.then(fn);
    this.deploymentsTurn = run.catch(() => {});
    return run;
  }

  private async loadSlot(d: store.Deployment | undefined, features: readonly VelocityFeature[]): Promise<Deployed> {
    const slot: Deployed = { rule_set: undefined, compiled: undefined, model: undefined };
    if (!d) return slot;
    if (d.rule_set_id && d.rule_set_version) {
      const version = await store.getRuleSet(this.db, d.rule_set_id, d.rule_set_version);
      const compiled = version ? compileRuleSet(version.body, features) : undefined;
      // Rule sets are compiled when saved; one that no longer compiles here is a bug, not bad input.
      if (!version || !compiled?.ok) throw new Error(`deployed rule set ${d.rule_set_id} v${d.rule_set_version} does not load`);
      slot.rule_set = version;
      slot.compiled = compiled.compiled;
    }
    if (d.model_id && d.model_version) {
      const stored = await store.getModel(this.db, d.model_id, d.model_version);
      const loaded = stored ? await loadModel(stored.id, stored.version, stored.kind, stored.body) : undefined;
      if (!stored || !loaded?.ok) throw new Error(`deployed model ${d.model_id} v${d.model_version} does not load`);
      slot.model = loaded.model;
    }
    return slot;
  }

  /** The context of one event, before it is recorded into the features. */
  context(event: RiskEvent, now: Date, attributes = this.live.rule_set?.body.attributes): Context {
    return buildContext({ velocity: this.velocity, graph: this.graph, lists: this.lists }, event, now, attributes);
  }

  /** Runs one deployment (live or shadow) over a context, setting its `model.score`. */
  static async verdict(slot: Pick<Deployed, 'compiled' | 'model'>, ctx: Context): Promise<Verdict> {
    return RiskEngine.verdictNow(slot, ctx);
  }

  /** The same, synchronously unless the model answers through a promise (ONNX): most decisions never wait. */
  static verdictNow(slot: Pick<Deployed, 'compiled' | 'model'>, ctx: Context): Verdict | Promise<Verdict> {
    if (!slot.model) return RiskEngine.ruled(slot, ctx, null, []);
    const scored = slot.model.score(ctx);
    if (scored instanceof Promise) return scored.then((s) => RiskEngine.ruled(slot, ctx, s.score, s.reasons));
    return RiskEngine.ruled(slot, ctx, scored.score, scored.reasons);
  }

  private static ruled(slot: Pick<Deployed, 'compiled'>, ctx: Context, score: number | null, model_reasons: ModelReason[]): Verdict {
    // In place, not in a copy of the ~45-key context: the score is part of what was decided on.
    ctx['model.score'] = score;
    const rules = slot.compiled ? evaluateRules(slot.compiled, ctx) : { outcome: 'allow' as const, fired: [] };
    return { outcome: rules.outcome, score, fired: rules.fired, model_reasons };
  }

  async decide(event: RiskEvent, options: DecideOptions = {}): Promise<DecideOutcome> {
    if (!this.ready) await this.start();
    const started = performance.now();
    const fingerprint = eventFingerprint(options.sent ?? event);
    if (this.recentIds.has(event.id)) return this.replay(event.id, fingerprint);
    const now = this.clock.now();
    if (this.lists.stale(now)) await this.listsChanged();
    const ctx = this.context(event, now);
    const slots = { live: this.live, shadow: this.shadowSlot };
    const live = RiskEngine.verdictNow(slots.live, ctx);
    const shadow = slots.shadow ? RiskEngine.verdictNow(slots.shadow, { ...ctx }) : null;
    this.observe(event);
    this.remember(event.id);
    const decided: Decided = { event, options, fingerprint, ctx, slots, now, started };
    if (!(live instanceof Promise) && !(shadow instanceof Promise)) return this.conclude(decided, this.store(decided, live, shadow));
    // A model that answers through a promise lets other decisions run meanwhile. The event is
    // already counted, so each decision's features still see every event decided before it
    // (a gated batch decides concurrently); a retry of this id waits in replay() until the
    // decision is queued for storing.
    let queued!: () => void;
    this.deciding.set(event.id, new Promise<void>((resolve) => (queued = resolve)));
    let stored: ReturnType<RiskEngine['store']>;
    try {
      stored = this.store(decided, await live, await shadow);
    } catch (err) {
      this.recentIds.delete(event.id); // not stored: a retry decides again
      throw err;
    } finally {
      this.deciding.delete(event.id);
      queued();
    }
    return this.conclude(decided, stored);
  }

  /** Queues the decision (and the case a review opens) for the decision log. */
  private store(d: Decided, live: Verdict, shadow: Verdict | null) {
    const { event, options, slots, now } = d;
    const shadowRecord = shadow ? { rule_set: slots.shadow?.rule_set ? { id: slots.shadow.rule_set.id, version: slots.shadow.rule_set.version } : null, ...shadow } : null;
    const decision = decisionRecord(event, d.fingerprint, d.ctx, live, slots.live.rule_set, shadowRecord, now);
    const openCase: store.RiskCase | undefined =
      live.outcome === 'review' && options.open_case !== false
        ? { id: randomUUID(), decision_id: event.id, status: 'open', assignee: null, transfer_id: options.hold_transfer_id ?? null, created_at: now, updated_at: now }
        : undefined;
    return { live, shadow, openCase, fresh: this.log.append(decision, openCase) };
  }

  /** Answers once the decision is stored. */
  private async conclude(d: Decided, s: ReturnType<RiskEngine['store']>): Promise<DecideOutcome> {
    const fresh = await s.fresh;
    // An id stored long ago (beyond the recent-id memory) was just counted into the features again; its first decision stands.
    if (!fresh) return this.replay(d.event.id, d.fingerprint);
    const ruleSet = d.slots.live.rule_set;
    return {
      ok: true,
      decision: {
        decision_id: d.event.id,
        replayed: false,
        ...s.live,
        rule_set: ruleSet ? { id: ruleSet.id, version: ruleSet.version } : null,
        shadow: s.shadow,
        case_id: s.openCase?.id ?? null,
        decided_at: d.now,
        latency_us: Math.round((performance.now() - d.started) * 1000),
      },
    };
  }

  private async replay(id: string, fingerprint: string): Promise<DecideOutcome> {
    await this.deciding.get(id);
    await this.log.drain();
    const stored = await store.getDecision(this.db, id);
    if (!stored) throw new Error(`decision ${id} was recorded as seen but is not stored`);
    if (stored.fingerprint !== fingerprint) return { ok: false, code: 'exists_with_different_fields' };
    return { ok: true, decision: await this.resultOf(stored, true) };
  }

  async resultOf(stored: store.StoredDecision, replayed: boolean): Promise<DecisionResult> {
    const reasons = stored.reasons as { rules: FiredRule[]; model: ModelReason[] };
    const openCase = stored.outcome === 'review' ? await store.caseByDecision(this.db, stored.id) : undefined;
    const shadow = stored.shadow as (Verdict & { rule_set: unknown }) | null;
    return {
      decision_id: stored.id,
      replayed,
      outcome: stored.outcome,
      score: stored.score,
      fired: reasons.rules,
      model_reasons: reasons.model,
      rule_set: stored.rule_set_id && stored.rule_set_version ? { id: stored.rule_set_id, version: stored.rule_set_version } : null,
      shadow: shadow ? { outcome: shadow.outcome, score: shadow.score, fired: shadow.fired, model_reasons: shadow.model_reasons } : null,
      case_id: openCase?.id ?? null,
      decided_at: stored.decided_at,
      latency_us: 0,
    };
  }

  private observe(event: RiskEvent): void {
    observeEvent({ velocity: this.velocity, graph: this.graph }, event);
    this.catalogueBuild?.tap(event, this.clock.now());
  }

  private remember(id: string): void {
    if (this.recentIds.size >= RECENT_IDS_MAX) {
      const oldest = this.recentIds.values().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
    this.recentIds.add(id);
  }

  /** After a list change (or when the lists are due a reload): reload them and re-flag the graph's known fraudsters. */
  async listsChanged(): Promise<void> {
    const now = this.clock.now();
    await this.lists.reload(this.db, now);
    const denied = new Set(this.lists.deniedCustomers(now));
    for (const c of denied) if (!this.flagged.has(c)) this.graph.flagFraud(c);
    // Entries removed or expired since the last reload stop making their customer a known fraudster.
    for (const c of this.flagged) if (!denied.has(c)) this.graph.unflagFraud(c);
    this.flagged = denied;
    void this.followStoredCatalogue(); // on the same tick: a catalogue another process changed
  }

  // ---------------------------------------------------------------- the feature catalogue (catalogue-service.ts)

  /** The features rule sets are saved against: the catalogue being built, else the one in use. */
  get targetFeatures(): readonly VelocityFeature[] {
    return this.catalogueBuild?.features ?? this.features;
  }

  /** The running catalogue build, else the last one (until the process restarts). */
  get catalogueRebuild(): CatalogueBuildState | undefined {
    return this.lastCatalogueBuild?.state;
  }

  /** Claims the one catalogue change allowed at a time: false while another is checked or built. */
  claimCatalogueChange(): boolean {
    if (this.catalogueClaimed || this.catalogueBuild) return false;
    this.catalogueClaimed = true;
    return true;
  }

  releaseCatalogueChange(): void {
    this.catalogueClaimed = false;
  }

  /**
   * Takes a claimed change: builds the windows of `features` from the stored events in the
   * background while decisions go on with the old ones, then swaps (catalogue-build.ts).
   * A build that fails leaves the old catalogue deciding; the next list-reload tick tries again.
   */
  applyCatalogue(version: number, features: readonly VelocityFeature[]): CatalogueBuildState {
    this.catalogueClaimed = false;
    const build = new CatalogueBuild(version, features, this.clock.now());
    this.catalogueBuild = this.lastCatalogueBuild = build;
    build.done = this.buildCatalogue(build);
    return build.state;
  }

  private async buildCatalogue(build: CatalogueBuild): Promise<void> {
    try {
      // Decisions counted before the tap began must be stored before paging, or the pager could pass them.
      await Promise.all([...this.deciding.values()]);
      await this.log.drain();
      await build.replayStored(this.db, this.clock.now(), REBUILD_WINDOW_MS);
      await this.inDeploymentsTurn(async () => {
        const slots = await this.loadSlots(build.features);
        // From here to the end: one synchronous block, so no decision sees half a swap or falls between the stores.
        build.catchUp();
        this.velocity = build.velocity;
        this.features = build.features;
        this.catalogue_version = build.version;
        this.live = slots.live;
        this.shadowSlot = slots.shadow;
        this.catalogueBuild = undefined;
      });
      build.finish('done', this.clock.now());
    } catch (err) {
      build.finish('failed', this.clock.now(), err instanceof Error ? err.message : String(err));
    } finally {
      if (this.catalogueBuild === build) this.catalogueBuild = undefined;
    }
  }

  /** At start (and rebuild): the stored catalogue becomes the features, before any event is replayed. */
  private async adoptStoredCatalogue(): Promise<void> {
    const current = await catalogueStore.currentCatalogue(this.db);
    if (current) {
      this.features = current.features;
      this.catalogue_version = current.version;
    }
    this.velocity = new VelocityStore([...this.features]);
  }

  /** A newer stored catalogue version (changed by another process) starts the same background swap. Never throws. */
  async followStoredCatalogue(): Promise<void> {
    if (!this.ready || !this.claimCatalogueChange()) return;
    try {
      if ((await catalogueStore.currentCatalogueVersion(this.db)) > this.catalogue_version) {
        const current = await catalogueStore.currentCatalogue(this.db);
        if (current && current.version > this.catalogue_version) {
          this.applyCatalogue(current.version, current.features);
          return;
        }
      }
    } catch {
      // The database did not answer: the next tick asks again.
    }
    this.releaseCatalogueChange();
  }

  get deployed(): { live: Deployed; shadow: Deployed | undefined } {
    return { live: this.live, shadow: this.shadowSlot };
  }

  async stop(): Promise<void> {
    await this.log.drain();
  }
}

/**
 * The history loader, run as a child process (so none of its memory is in the benchmark
 * process whose RSS is measured): generates the first `past_events` events of the
 * simulation, decides each the way the engine would have at the time (its context from
 * velocity and graph state built from scratch in time order, the live rule set), stores the
 * decisions with store.insertDecisions in batches, and trains the scorecard on a sample of
 * the contexts with their fraud labels.
 *
 * The history is decided without known fraudsters (no deny list yet): the mule-ring members
 * it contains are reported back, and the benchmark puts them on the deny list afterwards, as
 * a fraud team would after its investigation. So past contexts carry no distance-to-fraud;
 * every fresh decision does.
 */
import { openPostgres } from '../../src/db/postgres.js';
import { compileRuleSet, eventFingerprint } from '../../src/risk/core.js';
import { DEFAULT_VELOCITY_FEATURES } from '../../src/risk/defaults.js';
import { buildContext, decisionRecord, observeEvent, RiskEngine } from '../../src/risk/engine.js';
import { modelInputs } from '../../src/risk/fraud-model.js';
import { RiskGraph } from '../../src/risk/graph.js';
import { ListCache } from '../../src/risk/lists.js';
import type { Label } from '../../src/risk/metrics.js';
import { trainScorecard, type Scorecard, type ScorecardRow } from '../../src/risk/scorecard.js';
import { simulate } from '../../src/risk/simulator.js';
import * as store from '../../src/risk/store.js';
import { VelocityStore } from '../../src/risk/velocity.js';
import { simulatorOptions, type SimulationPlan } from './simulation.js';

export interface LoadRequest {
  type: 'load';
  database_url: string;
  plan: SimulationPlan;
  batch_size: number;
  /** Genuine events kept for training one in this many; every fraud event is kept. */
  train_every: number;
}

export interface HistorySummary {
  events: number;
  first_ms: number;
  last_ms: number;
  by_type: Record<string, number>;
  by_outcome: Record<string, number>;
  fraud_events: number;
  by_pattern: Record<string, number>;
  /** Customers seen in mule-ring events: the deny list the benchmark puts in place. */
  mule_customers: string[];
  /** Mean size of a stored context, as JSON text. */
  context_bytes_mean: number;
  load_seconds: number;
  train: { rows: number; bads: number; seconds: number; attributes: number };
  card: Scorecard;
}

export type FromLoader = { type: 'progress'; generated: number; stored: number } | { type: 'done'; summary: HistorySummary } | { type: 'error'; message: string };

const send = (message: FromLoader) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

const INSERTS_IN_FLIGHT = 2;
const PROGRESS_EVERY = 50_000;

async function load(request: LoadRequest): Promise<HistorySummary> {
  const started = performance.now();
  const db = openPostgres({ connectionString: request.database_url, pool_size_max: INSERTS_IN_FLIGHT + 1 });
  try {
    const live = (await store.getDeployments(db)).get('live');
    const ruleSet = live?.rule_set_id && live.rule_set_version ? await store.getRuleSet(db, live.rule_set_id, live.rule_set_version) : undefined;
    if (!ruleSet) throw new Error('no live rule set: seed the defaults first');
    const compiled = compileRuleSet(ruleSet.body, DEFAULT_VELOCITY_FEATURES);
    if (!compiled.ok) throw new Error(`the live rule set does not compile: ${JSON.stringify(compiled.issues)}`);
    const slot = { compiled: compiled.compiled, model: undefined };
    const state = { velocity: new VelocityStore([...DEFAULT_VELOCITY_FEATURES]), graph: new RiskGraph(), lists: new ListCache() };

    const summary = { by_type: {} as Record<string, number>, by_outcome: {} as Record<string, number>, by_pattern: {} as Record<string, number>, fraud_events: 0 };
    const mules = new Set<string>();
    const rows: ScorecardRow[] = [];
    const labels: Label[] = [];
    let contextBytes = 0;
    let first_ms = Number.NaN;
    let last_ms = Number.NaN;
    let generated = 0;
    let stored = 0;
    let batch: store.StoredDecision[] = [];
    const inFlight: Promise<void>[] = [];
    let failure: unknown;
    // Up to INSERTS_IN_FLIGHT batches are being stored while the next one is generated.
    const flush = async () => {
      const decisions = batch;
      batch = [];
      if (inFlight.length >= INSERTS_IN_FLIGHT) await inFlight.shift();
      if (failure !== undefined) throw failure;
      inFlight.push(
        store.insertDecisions(db, decisions).then(
          (fresh) => {
            if (fresh.size !== decisions.length) failure ??= new Error(`${decisions.length - fresh.size} history events were already stored (duplicate ids)`);
            stored += fresh.size;
          },
          (err: unknown) => {
            failure ??= err;
          },
        ),
      );
    };

    for (const { event, fraud, pattern } of simulate(simulatorOptions(request.plan))) {
      if (generated === request.plan.past_events) break;
      const ctx = buildContext(state, event, event.occurred_at, ruleSet.body.attributes);
      const verdict = await RiskEngine.verdict(slot, ctx);
      observeEvent(state, event);
      const at = event.occurred_at.getTime();
      if (generated === 0) first_ms = at;
      last_ms = at;
      summary.by_type[event.type] = (summary.by_type[event.type] ?? 0) + 1;
      summary.by_outcome[verdict.outcome] = (summary.by_outcome[verdict.outcome] ?? 0) + 1;
      if (fraud) {
        summary.fraud_events++;
        summary.by_pattern[pattern ?? 'unknown'] = (summary.by_pattern[pattern ?? 'unknown'] ?? 0) + 1;
        if (pattern === 'mule_ring') mules.add(event.customer_id);
      }
      if (fraud || generated % request.train_every === 0) {
        rows.push(modelInputs(ctx));
        labels.push(fraud ? 1 : 0);
      }
      if (generated % 1_000 === 0) contextBytes += JSON.stringify(ctx).length;
      batch.push(decisionRecord(event, eventFingerprint(event), ctx, verdict, ruleSet, null, event.occurred_at));
      generated++;
      if (batch.length === request.batch_size) await flush();
      if (generated % PROGRESS_EVERY === 0) await send({ type: 'progress', generated, stored });
    }
    if (generated < request.plan.past_events) throw new Error(`the simulation made only ${generated} events, fewer than the ${request.plan.past_events} asked for`);
    if (batch.length > 0) await flush();
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    await send({ type: 'progress', generated, stored });
    const load_seconds = (performance.now() - started) / 1000;

    const trainStarted = performance.now();
    const card = trainScorecard(rows, labels);
    const bads = labels.reduce<number>((n, y) => n + y, 0);
    return {
      events: generated,
      first_ms,
      last_ms,
      ...summary,
      mule_customers: [...mules].sort(),
      context_bytes_mean: contextBytes / Math.max(1, Math.ceil(generated / 1_000)),
      load_seconds,
      train: { rows: rows.length, bads, seconds: (performance.now() - trainStarted) / 1000, attributes: card.attributes.length },
      card,
    };
  } finally {
    await db.close();
  }
}

process.once('message', (message: LoadRequest) => {
  load(message)
    .then((summary) => send({ type: 'done', summary }))
    .catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
    .finally(() => process.disconnect());
});

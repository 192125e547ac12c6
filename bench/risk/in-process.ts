/**
 * The engine in this process: its start (the feature rebuild from the stored history) with
 * the memory it then holds, decisions through RiskEngine.decide in a closed loop, and a
 * decision taken apart part by part.
 */
import { eventFingerprint, evaluateRules } from '../../src/risk/core.js';
import type { RiskEngine } from '../../src/risk/engine.js';
import type { RiskEvent } from '../../src/risk/types.js';
import { startCpuMeter } from '../lib/cpu.js';
import { latencySummary } from '../lib/stats.js';
import { closedLoop, type LoopRun } from './drive.js';
import { collectGarbage, heapMib, processMemory } from './memory.js';
import type { DecisionAnatomy, PhaseResult, StartMeasurement } from './results.js';

const mib = () => processMemory()?.rss_mib ?? process.memoryUsage().rss / 2 ** 20;

/** RiskEngine.start() on an engine that has not started, as the server does after seedDefaults. */
export async function measureStart(engine: RiskEngine, pg_database: string, onProgress: (events: number, seconds: number) => void): Promise<StartMeasurement> {
  collectGarbage();
  const rss_before_mib = mib();
  const heap_before_mib = heapMib();
  let events = 0;
  const cpu = startCpuMeter({ postgres_database: pg_database });
  const started = performance.now();
  await engine.start((done) => {
    events = done;
    onProgress(done, (performance.now() - started) / 1000);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuShares = cpu();
  collectGarbage();
  const graph = engine.graph.stats();
  return {
    seconds,
    events,
    cpu: cpuShares,
    rss_before_mib,
    rss_after_mib: mib(),
    peak_rss_mib: processMemory()?.peak_mib ?? Number.NaN,
    heap_before_mib,
    heap_after_mib: heapMib(),
    graph: { nodes: graph.nodes, edges: graph.edges, components: graph.components, flagged: graph.flagged, full: graph.full },
    velocity: engine.velocity.stats(),
  };
}

/** One decision through the engine, at the wall-clock time it is made; fails loudly on anything but a fresh decision. */
async function decideNow(engine: RiskEngine, event: RiskEvent) {
  const result = await engine.decide({ ...event, occurred_at: new Date() });
  if (!result.ok) throw new Error(`engine: event ${event.id} answered ${result.code}`);
  if (result.decision.replayed) throw new Error(`engine: event ${event.id} was a replay (bug in the benchmark's event stream)`);
  return result.decision.outcome;
}

export async function engineLoop(engine: RiskEngine, events: readonly RiskEvent[], in_flight: number, seconds_max: number): Promise<LoopRun> {
  return closedLoop(events, in_flight, seconds_max, (event) => decideNow(engine, event));
}

export async function runEngine(
  engine: RiskEngine,
  events: readonly RiskEvent[],
  options: { in_flight: number; seconds: number; pg_database: string; settle: () => Promise<void> },
  recording: (on: boolean) => void,
): Promise<{ result: PhaseResult; unused: RiskEvent[] }> {
  await options.settle();
  recording(true);
  const cpu = startCpuMeter({ postgres_database: options.pg_database });
  const run = await engineLoop(engine, events, options.in_flight, options.seconds);
  const cpuShares = cpu();
  recording(false);
  await engine.stop(); // every decision stored before anything reads the table
  return {
    result: {
      key: 'engine',
      label: `in-process · RiskEngine.decide · ${options.in_flight} in flight`,
      decisions: run.decisions,
      seconds: run.seconds,
      per_s: run.decisions / run.seconds,
      ...latencySummary(run.latencies_ms),
      outcomes: run.outcomes,
      cpu: cpuShares,
      how: `closed loop of ${options.in_flight} decisions in flight in this process; each decision stored (batched by the engine's decision log) before it resolves`,
    },
    unused: run.unused,
  };
}

/** Mean µs of `fn` over the events (run once each, in order). */
function timeEach<T>(events: readonly RiskEvent[], fn: (event: RiskEvent, i: number) => T): number {
  const started = performance.now();
  for (let i = 0; i < events.length; i++) fn(events[i]!, i);
  return ((performance.now() - started) * 1000) / Math.max(1, events.length);
}

/**
 * A decision's parts timed one by one on events the engine has not seen (nothing is
 * observed or stored: reading features changes nothing). The graph is timed twice: as it
 * is, and with the known fraudsters unflagged for the moment (then the search for the
 * nearest fraudster is skipped), to show what that search costs.
 */
export async function decisionAnatomy(engine: RiskEngine, events: readonly RiskEvent[]): Promise<DecisionAnatomy> {
  const now = new Date();
  const live = engine.deployed.live;
  const distance: Record<string, number> = {};
  for (const e of events) {
    const d = String(engine.graph.features(e).distance_to_fraud);
    distance[d] = (distance[d] ?? 0) + 1;
  }
  const parts: { label: string; us: number }[] = [];
  parts.push({ label: 'velocity: 20 windowed features', us: timeEach(events, (e) => engine.velocity.features(e, now)) });
  parts.push({ label: 'graph: 4 features, known fraudsters flagged', us: timeEach(events, (e) => engine.graph.features(e)) });
  const flagged = engine.lists.deniedCustomers(now);
  for (const c of flagged) engine.graph.unflagFraud(c);
  try {
    parts.push({ label: 'graph: 4 features, nobody flagged (no search for fraud)', us: timeEach(events, (e) => engine.graph.features(e)) });
  } finally {
    for (const c of flagged) engine.graph.flagFraud(c);
  }
  parts.push({ label: 'lists: 7 look-ups', us: timeEach(events, (e) => engine.lists.context(e, now)) });
  const contexts = events.map(() => ({}) as ReturnType<RiskEngine['context']>);
  parts.push({ label: 'context: event fields + lists + velocity + graph (engine.context)', us: timeEach(events, (e, i) => (contexts[i] = engine.context(e, now))) });
  const scores = new Array<number | null>(events.length).fill(null);
  if (live.model) {
    const model = live.model;
    // Awaited one by one (an ONNX model answers through a promise; a scorecard's await costs a microtask).
    const started = performance.now();
    for (let i = 0; i < events.length; i++) scores[i] = (await model.score(contexts[i]!)).score;
    parts.push({ label: `model: ${model.kind} ${model.id} v${model.version}`, us: ((performance.now() - started) * 1000) / Math.max(1, events.length) });
  }
  if (live.compiled) {
    const compiled = live.compiled;
    // The score goes into the context first, as the engine does (in place), so only the rules are timed.
    contexts.forEach((ctx, i) => (ctx['model.score'] = scores[i]!));
    parts.push({ label: `rules: ${compiled.rules.length} compiled rules`, us: timeEach(events, (_e, i) => evaluateRules(compiled, contexts[i]!)) });
  }
  parts.push({ label: 'fingerprint: SHA-256 of the event JSON', us: timeEach(events, (e) => eventFingerprint(e)) });
  return { events: events.length, parts, distance, flagged: flagged.length };
}

/**
 * A fraud scorecard trained on simulated, labelled events: each event's context is built
 * exactly as the live engine would build it (features from scratch, in time order), and
 * the scorecard learns from the numeric and boolean context keys. The demo data and the
 * benchmark deploy it as the live model; `npm run risk:evaluate` reports how the default
 * rule set and this model do on a simulation with another seed (a hold-out).
 */
import { buildContext, observeEvent } from './engine.js';
import { RiskGraph } from './graph.js';
import { ListCache } from './lists.js';
import type { Label } from './metrics.js';
import { trainScorecard, type Scorecard, type ScorecardRow } from './scorecard.js';
import { simulate, type SimulatorOptions } from './simulator.js';
import type { Context } from './types.js';
import { VelocityStore, type VelocityFeature } from './velocity.js';

/** Context keys the fraud model reads (identifiers and free text are left out: they do not generalise). */
export function modelInputs(ctx: Context): ScorecardRow {
  const row: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(ctx)) {
    if (key.startsWith('velocity.') || key.startsWith('graph.') || key.startsWith('customer.') || key === 'event.amount' || key === 'event.hour_utc' || key === 'event.type') {
      row[key] = typeof value === 'boolean' ? String(value) : value;
    }
  }
  return row;
}

/** Builds (context, label) pairs for every simulated event, in time order. */
export function simulatedTrainingSet(options: SimulatorOptions, features: readonly VelocityFeature[], every = 1): { rows: ScorecardRow[]; labels: Label[] } {
  const state = { velocity: new VelocityStore([...features]), graph: new RiskGraph(), lists: new ListCache() };
  const rows: ScorecardRow[] = [];
  const labels: Label[] = [];
  let i = 0;
  for (const { event, fraud } of simulate(options)) {
    const ctx = buildContext(state, event, event.occurred_at);
    observeEvent(state, event);
    // Keep every fraud event and a sample of the genuine ones (they are the vast majority).
    if (fraud || i++ % every === 0) {
      rows.push(modelInputs(ctx));
      labels.push(fraud ? 1 : 0);
    }
  }
  return { rows, labels };
}

export function trainFraudScorecard(options: SimulatorOptions, features: readonly VelocityFeature[]): Scorecard {
  const { rows, labels } = simulatedTrainingSet(options, features, 5);
  return trainScorecard(rows, labels);
}

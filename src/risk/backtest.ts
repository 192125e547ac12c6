/**
 * Backtests: run a rule set (and optionally a model) over a history of events, in time
 * order, with features built from scratch as the events go by (exactly as the live engine
 * would have seen them), and report what it would have done. Where events carry labels
 * (the simulator's, an uploaded CSV's, or the outcome of review cases) the report has
 * catch rate, false-positive rate, precision and, for a model, AUC; always alerts per day.
 *
 * Jobs (queued, run one at a time per process, progress and report stored in the
 * database, so they outlive a restart) are in backtest-jobs.ts.
 */
import { compileRuleSet, type CompiledRuleSet, type RuleSetBody, type RuleSetIssue } from './core.js';
import { buildContext, observeEvent, RiskEngine } from './engine.js';
import { RiskGraph } from './graph.js';
import { ListCache } from './lists.js';
import { auc, type Label } from './metrics.js';
import type { LoadedModel } from './models.js';
import type { Outcome, RiskEvent } from './types.js';
import { VelocityStore, type VelocityFeature } from './velocity.js';

export interface LabelledRiskEvent {
  event: RiskEvent;
  /** 1 = fraud, 0 = genuine, undefined = unknown. */
  label?: Label | undefined;
  pattern?: string | null | undefined;
}

export interface PatternReport {
  events: number;
  alerted: number;
  catch_rate: number | null;
}

export interface BacktestReport {
  events: number;
  by_outcome: Record<Outcome, number>;
  /** review or block. */
  alerts: number;
  days: number;
  alerts_per_day: number;
  labelled: number;
  true_positives: number;
  false_positives: number;
  false_negatives: number;
  true_negatives: number;
  catch_rate: number | null;
  false_positive_rate: number | null;
  precision: number | null;
  recall: number | null;
  auc: number | null;
  by_pattern: Record<string, PatternReport>;
  /** Rules by how often they fired, and how often on labelled fraud. */
  rules: { rule_id: string; fired: number; on_fraud: number }[];
}

const ALERTS: ReadonlySet<Outcome> = new Set(['review', 'block']);
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Runs the backtest over `events` (time-ordered); `onProgress` gets the count so far every 1,000 events. */
export async function runBacktest(
  rules: CompiledRuleSet,
  model: LoadedModel | undefined,
  features: readonly VelocityFeature[],
  events: AsyncIterable<LabelledRiskEvent> | Iterable<LabelledRiskEvent>,
  onProgress: (done: number) => void = () => {},
  attributes?: RuleSetBody['attributes'],
): Promise<BacktestReport> {
  const state = { velocity: new VelocityStore([...features]), graph: new RiskGraph(), lists: new ListCache() };
  const by_outcome: Record<Outcome, number> = { allow: 0, step_up: 0, review: 0, block: 0 };
  const firedCount = new Map<string, { fired: number; on_fraud: number }>();
  const patterns = new Map<string, { events: number; alerted: number }>();
  const scores: number[] = [];
  const scoreLabels: Label[] = [];
  let n = 0;
  let tp = 0, fp = 0, fn = 0, tn = 0;
  let first = Infinity;
  let last = -Infinity;
  for await (const { event, label, pattern } of events) {
    const ctx = buildContext(state, event, event.occurred_at, attributes);
    const verdict = await RiskEngine.verdict({ compiled: rules, model }, ctx);
    observeEvent(state, event);
    n += 1;
    first = Math.min(first, event.occurred_at.getTime());
    last = Math.max(last, event.occurred_at.getTime());
    by_outcome[verdict.outcome] += 1;
    const alerted = ALERTS.has(verdict.outcome);
    for (const f of verdict.fired) {
      const c = firedCount.get(f.rule_id) ?? { fired: 0, on_fraud: 0 };
      c.fired += 1;
      if (label === 1) c.on_fraud += 1;
      firedCount.set(f.rule_id, c);
    }
    if (label !== undefined) {
      if (label === 1 && alerted) tp++;
      else if (label === 1) fn++;
      else if (alerted) fp++;
      else tn++;
      if (verdict.score !== null) {
        scores.push(verdict.score);
        scoreLabels.push(label);
      }
    }
    if (pattern) {
      const p = patterns.get(pattern) ?? { events: 0, alerted: 0 };
      p.events += 1;
      if (alerted) p.alerted += 1;
      patterns.set(pattern, p);
    }
    if (n % 1000 === 0) {
      onProgress(n);
      // Let the server answer other requests during a long run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  onProgress(n);
  const alerts = by_outcome.review + by_outcome.block;
  const days = n === 0 ? 0 : Math.max(1, (last - first) / 86_400_000);
  const hasBoth = scoreLabels.includes(1) && scoreLabels.includes(0);
  return {
    events: n,
    by_outcome,
    alerts,
    days,
    alerts_per_day: days === 0 ? 0 : alerts / days,
    labelled: tp + fp + fn + tn,
    true_positives: tp,
    false_positives: fp,
    false_negatives: fn,
    true_negatives: tn,
    catch_rate: ratio(tp, tp + fn),
    false_positive_rate: ratio(fp, fp + tn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    auc: hasBoth ? auc(scores, scoreLabels) : null,
    by_pattern: Object.fromEntries([...patterns].map(([k, v]) => [k, { ...v, catch_rate: ratio(v.alerted, v.events) }])),
    rules: [...firedCount].map(([rule_id, c]) => ({ rule_id, ...c })).sort((a, b) => b.fired - a.fired),
  };
}

export function compileForBacktest(body: RuleSetBody, features: readonly VelocityFeature[]): { ok: true; compiled: CompiledRuleSet } | { ok: false; issues: RuleSetIssue[] } {
  return compileRuleSet(body, features);
}

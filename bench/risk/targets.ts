/** The targets for real-time decisions, checked against one run's figures only. */
import { fmtInt, fmtMs, fmtRatio } from '../lib/stats.js';
import type { PhaseKey, PhaseResult } from './results.js';

export const TARGET_ENGINE_PER_S = 20_000;
export const TARGET_ENGINE_P99_MS = 5;
export const TARGET_HTTP_PER_S = 5_000;
export const TARGET_HTTP_P99_MS = 25;
export const TARGET_RATIO = 20;

export interface TargetCheck {
  name: string;
  measured: string;
  target: string;
  /** undefined: not measured. */
  met: boolean | undefined;
}

const find = (results: readonly PhaseResult[], key: PhaseKey) => results.find((r) => r.key === key);

export function checkTargets(results: readonly PhaseResult[]): TargetCheck[] {
  const engine = find(results, 'engine');
  const baseline = find(results, 'baseline');
  const http = find(results, 'http');
  const atLeast = (name: string, r: PhaseResult | undefined, min: number): TargetCheck => ({
    name,
    measured: r ? `${fmtInt(r.per_s)} decisions/s` : 'not measured',
    target: `≥ ${fmtInt(min)} decisions/s`,
    met: r ? r.per_s >= min : undefined,
  });
  const p99 = (name: string, r: PhaseResult | undefined, max: number): TargetCheck => ({
    name,
    measured: r ? `${fmtMs(r.p99_ms)} ms` : 'not measured',
    target: `≤ ${max} ms`,
    met: r ? r.p99_ms <= max : undefined,
  });
  const ratio = engine && baseline ? engine.per_s / baseline.per_s : undefined;
  return [
    atLeast('in-process decisions/s', engine, TARGET_ENGINE_PER_S),
    p99('in-process p99 per decision', engine, TARGET_ENGINE_P99_MS),
    atLeast('HTTP decisions/s', http, TARGET_HTTP_PER_S),
    p99('HTTP p99 per decision', http, TARGET_HTTP_P99_MS),
    {
      name: 'in-process ÷ per-feature-query baseline',
      measured: ratio === undefined ? 'not measured' : fmtRatio(ratio),
      target: `≥ ${TARGET_RATIO}×`,
      met: ratio === undefined ? undefined : ratio >= TARGET_RATIO,
    },
  ];
}

export const metText = (met: boolean | undefined): string => (met === undefined ? '–' : met ? 'met' : 'NOT met');

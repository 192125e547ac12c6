/** The targets for red envelopes, checked against one run's figures only. */
import { fmtMs, fmtRatio } from '../lib/stats.js';
import type { EngineName } from '../lib/options.js';
import type { RunResult, ScenarioKey } from './scenario.js';

/** On PostgreSQL, one hot envelope: Capillary ≥ 20× the naive baseline's grabs/s, p99 under 100 ms at that load, zero oversell. */
export const TARGET_RATIO = 20;
export const TARGET_P99_MS = 100;

export interface TargetCheck {
  name: string;
  measured: string;
  target: string;
  /** undefined: informational (no target here, or not measured). */
  met: boolean | undefined;
}

export const find = (results: readonly RunResult[], scenario: ScenarioKey, system: RunResult['system'], connections: number) =>
  results.find((r) => r.scenario === scenario && r.system === system && r.connections === connections);

/** Capillary's grabs/s over the naive baseline's, same scenario, engine and connections. */
export function ratioToNaive(results: readonly RunResult[], r: RunResult): number | undefined {
  const naive = find(results, r.scenario, 'naive', r.connections);
  return r.system === 'capillary' && naive ? r.grabs_per_s / naive.grabs_per_s : undefined;
}

export function checkTargets(engine: EngineName, results: readonly RunResult[]): TargetCheck[] {
  const binding = engine === 'postgres';
  const out: TargetCheck[] = [];
  const levels = [...new Set(results.map((r) => r.connections))];
  for (const c of levels) {
    const hot = find(results, 'hot', 'capillary', c);
    const ratio = hot ? ratioToNaive(results, hot) : undefined;
    if (hot && ratio !== undefined) {
      out.push({
        name: `hot envelope, ${c} connections: Capillary ÷ naive grabs/s`,
        measured: fmtRatio(ratio),
        target: binding ? `≥ ${TARGET_RATIO}×` : `(≥ ${TARGET_RATIO}× is for PostgreSQL)`,
        met: binding ? ratio >= TARGET_RATIO : undefined,
      });
      out.push({
        name: `hot envelope, ${c} connections: Capillary p99 per grab`,
        measured: `${fmtMs(hot.p99_ms)} ms`,
        target: binding ? `< ${TARGET_P99_MS} ms` : `(< ${TARGET_P99_MS} ms is for PostgreSQL)`,
        met: binding ? hot.p99_ms < TARGET_P99_MS : undefined,
      });
    }
    const many = find(results, 'many', 'capillary', c);
    const manyRatio = many ? ratioToNaive(results, many) : undefined;
    if (many && manyRatio !== undefined) {
      out.push({ name: `${many.envelopes} envelopes, ${c} connections: Capillary ÷ naive grabs/s`, measured: fmtRatio(manyRatio), target: '(no target)', met: undefined });
    }
  }
  const oversold = results.reduce((n, r) => n + r.check.oversell, 0);
  out.push({ name: `oversell, all ${results.length} runs (both systems)`, measured: String(oversold), target: '0', met: oversold === 0 });
  return out;
}

export const metText = (met: boolean | undefined): string => (met === undefined ? '–' : met ? 'met' : 'NOT met');

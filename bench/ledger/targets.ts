/** The ratios the ledger's performance targets talk about, computed from one run's figures only. */
import { fmtMs, fmtPct, fmtRatio } from '../lib/stats.js';
import type { ScenarioKey, ScenarioResult } from './scenario.js';

export interface TargetCheck {
  name: string;
  measured: string;
  target: string;
  /** undefined: a scenario it needs was not measured (or the ratio has no target). */
  met: boolean | undefined;
}

export function checkTargets(results: readonly ScenarioResult[]): TargetCheck[] {
  const get = (key: ScenarioKey) => results.find((r) => r.key === key);
  const ratio = (a: ScenarioKey, b: ScenarioKey): number | undefined => {
    const x = get(a);
    const y = get(b);
    return x && y ? x.transfers_per_s / y.transfers_per_s : undefined;
  };
  const check = (name: string, a: ScenarioKey, b: ScenarioKey, min: number | undefined, asPercent: boolean): TargetCheck => {
    const r = ratio(a, b);
    const show = (v: number) => (asPercent ? fmtPct(v) : fmtRatio(v));
    return {
      name,
      measured: r === undefined ? 'not measured' : show(r),
      target: min === undefined ? '(no target)' : `≥ ${show(min)}`,
      met: r === undefined || min === undefined ? undefined : r >= min,
    };
  };
  const single = get('http_single');
  const singleRatio = ratio('http_single', 'naive_uniform');
  const p99 = single?.latency?.p99_ms;
  return [
    check('write-path uniform / raw ceiling', 'wp_uniform', 'raw', 0.5, true),
    check('write-path hot / uniform', 'wp_hot', 'wp_uniform', 1.0, false),
    check('write-path hot / uniform, pending→post', 'wp_hot_pending', 'wp_uniform_pending', undefined, false),
    check('write-path uniform / naive uniform', 'wp_uniform', 'naive_uniform', 30, false),
    check('write-path hot / naive hot', 'wp_hot', 'naive_hot', 50, false),
    check('HTTP batch / in-process (uniform)', 'http_batch', 'wp_uniform', 0.5, true),
    {
      name: 'HTTP single, 64 connections / naive uniform; p99',
      measured: singleRatio === undefined || p99 === undefined ? 'not measured' : `${fmtRatio(singleRatio)}; p99 ${fmtMs(p99)} ms`,
      target: '≥ 10×; p99 < 50 ms',
      met: singleRatio === undefined || p99 === undefined ? undefined : singleRatio >= 10 && p99 < 50,
    },
  ];
}

export const metText = (met: boolean | undefined): string => (met === undefined ? '–' : met ? 'met' : 'NOT met');

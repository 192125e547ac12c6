/** The printed tables and the api section of docs/benchmarks.md, both from the same figures. */
import type { CpuShares } from '../lib/cpu.js';
import { backgroundText, mergeBackgrounds } from './background.js';
import type { EngineName } from '../lib/options.js';
import { machineLines, type MachineInfo } from '../lib/run-info.js';
import { fmtInt, fmtMs, fmtPct, latencySummary } from '../lib/stats.js';
import { consoleTable, markdownRow } from '../lib/table.js';
import type { RunResult } from './measure.js';
import type { Sizes } from './options.js';
import { PATH_NAMES, WORKLOAD_NAMES, type PathKind, type WorkloadKey } from './workloads.js';

/** The issue's target: the open-banking layer costs under 20% of the plain path's throughput. */
export const TARGET_OVERHEAD = 0.2;

export interface PathSummary {
  workload: WorkloadKey;
  kind: PathKind;
  route: string;
  connections: number;
  runs: number;
  responses: number;
  seconds: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  unexpected: number;
  errors: number;
  cut_off: number;
  cut_off_moved: number;
  moved_count: number;
  moved_minor: bigint;
  status: Record<string, number>;
  cpu: CpuShares;
}

export interface Comparison {
  workload: WorkloadKey;
  connections: number;
  ob: PathSummary;
  plain: PathSummary;
  /**
   * The median over rounds of each round's 1 − OB/plain throughput (a round's two runs are
   * back to back: see pairedOverhead).
   */
  overhead: number;
  /** Each round's 1 − OB/plain, in round order. */
  round_overheads: number[];
  met: boolean;
}

export interface EngineReport {
  engine: EngineName;
  title: string;
  setup: string;
  /** Measured runs only (warm-ups are left out). */
  runs: RunResult[];
  /** Every check that passed, in order (money, invariants). */
  checks: string[];
}

export interface RunReport {
  command: string;
  started_at: Date;
  wall_s: number;
  quick: boolean;
  sizes: Sizes;
  workloads: WorkloadKey[];
  source: string;
  background_load: number | undefined;
  /** What else was running on the machine when the run started (process names and their CPU). */
  background_processes: string | undefined;
  machine: MachineInfo;
  engines: EngineReport[];
}

const weighted = (runs: readonly RunResult[], pick: (c: CpuShares) => number | undefined): number | undefined => {
  const parts = runs.map((r) => ({ share: pick(r.cpu), seconds: r.seconds }));
  if (parts.some((p) => p.share === undefined)) return undefined;
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  return parts.reduce((s, p) => s + p.share! * p.seconds, 0) / Math.max(seconds, 1e-9);
};

export function summarise(runs: readonly RunResult[]): PathSummary {
  const first = runs[0]!;
  const responses = runs.reduce((n, r) => n + r.responses, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const status: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.status)) status[code] = (status[code] ?? 0) + n;
  const cpu: CpuShares = { bench: weighted(runs, (c) => c.bench) ?? 0 };
  const server = weighted(runs, (c) => c.server);
  const postgres = weighted(runs, (c) => c.postgres);
  const others = weighted(runs, (c) => c.others);
  if (server !== undefined) cpu.server = server;
  if (postgres !== undefined) cpu.postgres = postgres;
  if (others !== undefined) cpu.others = others;
  return {
    workload: first.workload,
    kind: first.kind,
    route: first.route,
    connections: first.connections,
    runs: runs.length,
    responses,
    seconds,
    per_s: responses / seconds,
    ...latencySummary(runs.flatMap((r) => r.latencies_ms)),
    unexpected: runs.reduce((n, r) => n + r.unexpected, 0),
    errors: runs.reduce((n, r) => n + r.errors + r.timeouts, 0),
    cut_off: runs.reduce((n, r) => n + r.cut_off, 0),
    cut_off_moved: runs.reduce((n, r) => n + r.cut_off_moved, 0),
    moved_count: runs.reduce((n, r) => n + r.moved_count, 0),
    moved_minor: runs.reduce((n, r) => n + r.moved_minor, 0n),
    status,
    cpu,
  };
}

/** One comparison per workload and connection level, in run order. */
export function comparisons(runs: readonly RunResult[]): Comparison[] {
  const out: Comparison[] = [];
  const keys = [...new Set(runs.map((r) => `${r.workload}|${r.connections}`))];
  for (const key of keys) {
    const [workload, conns] = key.split('|') as [WorkloadKey, string];
    const of = (kind: PathKind) => runs.filter((r) => r.workload === workload && r.connections === Number(conns) && r.kind === kind);
    const obRuns = of('ob');
    const plainRuns = of('plain');
    if (obRuns.length === 0 || plainRuns.length === 0) continue;
    const ob = summarise(obRuns);
    const plain = summarise(plainRuns);
    const round_overheads = roundOverheads(obRuns, plainRuns);
    const overhead = round_overheads.length > 0 ? median(round_overheads) : 1 - ob.per_s / plain.per_s;
    out.push({ workload, connections: Number(conns), ob, plain, overhead, round_overheads, met: overhead < TARGET_OVERHEAD });
  }
  return out;
}

/**
 * 1 − OB/plain of each round's two runs. They run back to back (ABBA), so a slow spell of the
 * shared machine, which can last a whole run and halve its rate, falls on one round's pair
 * rather than on one path; the median over rounds then sets that round aside, where a ratio
 * of the paths' totals would carry it.
 */
function roundOverheads(obRuns: readonly RunResult[], plainRuns: readonly RunResult[]): number[] {
  const rate = (r: RunResult) => r.responses / r.seconds;
  return obRuns.flatMap((ob) => {
    const plain = plainRuns.find((p) => p.round === ob.round);
    return plain && rate(plain) > 0 ? [1 - rate(ob) / rate(plain)] : [];
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmtCore = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)}%`);
export const cpuText = (cpu: CpuShares): string => {
  const parts = [`loadgen ${fmtCore(cpu.bench)}`];
  if (cpu.server !== undefined) parts.push(`server ${fmtCore(cpu.server)}`);
  if (cpu.postgres !== undefined) parts.push(`pg ${fmtCore(cpu.postgres)}`);
  if (cpu.others !== undefined) parts.push(`others ${fmtCore(cpu.others)}`);
  return parts.join(', ');
};

/** CPU ms per request of one process group, from its share of a core over the runs. */
export const cpuMsPerRequest = (s: PathSummary, share: number | undefined): number | undefined =>
  share === undefined ? undefined : (share * s.seconds * 1000) / Math.max(1, s.responses);

const cutOffText = (s: PathSummary) => (s.cut_off === 0 || s.workload === 'read' ? String(s.cut_off) : `${s.cut_off} (${s.cut_off_moved} moved)`);

const PATH_HEADER = ['workload', 'path', 'route', 'conns', 'runs', 'requests', 'seconds', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'cut off', 'server CPU ms/req', 'pg CPU ms/req', 'CPU (of one core)'];

function pathCells(s: PathSummary, bold: boolean): string[] {
  const rate = fmtInt(s.per_s);
  return [
    WORKLOAD_NAMES[s.workload],
    PATH_NAMES[s.kind],
    bold ? `\`${s.route}\`` : s.route,
    String(s.connections),
    String(s.runs),
    fmtInt(s.responses),
    s.seconds.toFixed(1),
    bold ? `**${rate}**` : rate,
    fmtMs(s.p50_ms),
    fmtMs(s.p99_ms),
    fmtInt(s.unexpected),
    fmtInt(s.errors),
    cutOffText(s),
    fmtMs(cpuMsPerRequest(s, s.cpu.server)),
    fmtMs(cpuMsPerRequest(s, s.cpu.postgres)),
    cpuText(s.cpu),
  ];
}

const OVERHEAD_HEADER = [
  'workload',
  'conns',
  'open banking req/s',
  'plain req/s',
  'overhead (median of rounds)',
  'each round',
  'p50 ms OB / plain',
  'p99 ms OB / plain',
  `target < ${fmtPct(TARGET_OVERHEAD)}`,
];

function overheadCells(c: Comparison, bold: boolean): string[] {
  const overhead = fmtPct(c.overhead);
  return [
    WORKLOAD_NAMES[c.workload],
    String(c.connections),
    fmtInt(c.ob.per_s),
    fmtInt(c.plain.per_s),
    bold ? `**${overhead}**` : overhead,
    c.round_overheads.map(fmtPct).join(', '),
    `${fmtMs(c.ob.p50_ms)} / ${fmtMs(c.plain.p50_ms)}`,
    `${fmtMs(c.ob.p99_ms)} / ${fmtMs(c.plain.p99_ms)}`,
    c.met ? 'met' : bold ? '**NOT met**' : 'NOT met',
  ];
}

const pathRows = (runs: readonly RunResult[]) => comparisons(runs).flatMap((c) => [c.ob, c.plain]);

export function consoleReport(report: RunReport): string {
  const out: string[] = [];
  for (const engine of report.engines) {
    out.push(`\n${engine.title}`);
    out.push(consoleTable([PATH_HEADER, ...pathRows(engine.runs).map((s) => pathCells(s, false))]));
    out.push('');
    out.push(consoleTable([OVERHEAD_HEADER, ...comparisons(engine.runs).map((c) => overheadCells(c, false))]));
  }
  return out.join('\n');
}

/** Plain statements read off the figures: where each path's time goes, per request. */
export function findings(engine: EngineReport): string[] {
  const out: string[] = [];
  for (const c of comparisons(engine.runs)) {
    const per = (s: PathSummary) => ({ server: cpuMsPerRequest(s, s.cpu.server), pg: cpuMsPerRequest(s, s.cpu.postgres) });
    const ob = per(c.ob);
    const plain = per(c.plain);
    const parts = [`${WORKLOAD_NAMES[c.workload]}, ${c.connections} connections: open banking ${fmtInt(c.ob.per_s)} req/s vs ${fmtInt(c.plain.per_s)} with an API key, an overhead of ${fmtPct(c.overhead)} (median of the rounds: ${c.round_overheads.map(fmtPct).join(', ')})`];
    if (ob.server !== undefined && plain.server !== undefined) {
      parts.push(`the server process spent ${fmtMs(ob.server)} ms of CPU per request on the open-banking path and ${fmtMs(plain.server)} ms on the plain one`);
    }
    if (ob.pg !== undefined && plain.pg !== undefined) parts.push(`PostgreSQL ${fmtMs(ob.pg)} ms and ${fmtMs(plain.pg)} ms`);
    const busy = (s: PathSummary) => s.cpu.bench + (s.cpu.server ?? 0) + (s.cpu.postgres ?? 0);
    parts.push(`the benchmark's processes kept ${fmtCore(busy(c.ob))} and ${fmtCore(busy(c.plain))} of the machine's 200% busy`);
    out.push(`${parts.join('; ')}.`);
  }
  const others = engine.runs.map((r) => r.cpu.others).filter((x): x is number => x !== undefined);
  if (others.length > 0 && Math.max(...others) > 0.2) {
    out.push(
      `Other processes on the machine used up to ${fmtCore(Math.max(...others))} of a core during the measured runs (mean ${fmtCore(others.reduce((a, b) => a + b, 0) / others.length)}): ` +
        'the server and PostgreSQL got less CPU than on an idle machine, so the figures are lower and noisier than an idle machine would give; both paths of a workload ran alternately (ABBA) so they met the same noise.',
    );
  }
  return out;
}

function engineMarkdown(engine: EngineReport): string[] {
  const lines: string[] = [`### ${engine.title}`, '', engine.setup, ''];
  lines.push(markdownRow(OVERHEAD_HEADER), markdownRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const c of comparisons(engine.runs)) lines.push(markdownRow(overheadCells(c, true)));
  lines.push('', markdownRow(PATH_HEADER), markdownRow(['---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const s of pathRows(engine.runs)) lines.push(markdownRow(pathCells(s, true)));
  const meanwhile = mergeBackgrounds(engine.runs.map((r) => ({ background: r.background, seconds: r.seconds })));
  if (meanwhile) {
    lines.push('', `What else ran on the machine during the measured runs (mean share of one core over them, from /proc): ${backgroundText(meanwhile, 8)}.`);
  }
  lines.push('', '#### Checks', '', ...engine.checks.map((c) => `- ${c}`));
  const readings = findings(engine);
  if (readings.length > 0) lines.push('', '#### Where the time goes (computed from this run)', '', ...readings.map((f) => `- ${f}`));
  lines.push('');
  return lines;
}

/** The api section of docs/benchmarks.md (between its markers). */
export function markdownReport(report: RunReport, notes: string, analysis: string): string {
  const s = report.sizes;
  const lines: string[] = [
    '<!-- Generated by `npm run bench:api` (bench/api.ts). A full run rewrites only this section, between the bench:api markers: edit the notes in bench/api/notes.ts. -->',
    '',
    '## Open-banking API: the cost of the open-banking layer',
    '',
    `Measured ${report.started_at.toISOString().replace(/\.\d+Z$/, 'Z')} in one run of \`${report.command}\` (${report.wall_s.toFixed(0)} s wall time).`,
    'Both paths of each workload ran in the same run, against the same server and database, driven by the same load generator with the same connections.',
    `Code measured: ${report.source}.`,
    '',
    `Target (issue 7): the open-banking layer costs under ${fmtPct(TARGET_OVERHEAD)} of throughput, i.e. 1 − (open-banking req/s ÷ plain API-key req/s) < ${TARGET_OVERHEAD} for the same ledger call.`,
    `Sizes: connections ${s.connections.join(', ')}; ${s.rounds} measured run${s.rounds > 1 ? 's' : ''} of ${s.duration_s} s per path and level (order plain, open banking, open banking, plain, …), after a ${s.warmup_s} s warm-up of each` +
      `${report.workloads.includes('pay-many') ? `; "many consents": ${s.customers} customers, request i paid by customer i mod ${s.customers}` : ''}.`,
    '',
    '### Machine',
    '',
    ...machineLines(report.machine),
    ...(report.background_load !== undefined ? [`- Other processes used ${Math.round(report.background_load * 100)}% of a core when the run started${report.background_processes ? ` (${report.background_processes})` : ''}; the "others" CPU figure shows it during each run.`] : []),
    '',
    '### Command',
    '',
    '```sh',
    'npm run bench:api            # PostgreSQL, full sizes, rewrites this section',
    'npm run bench:api -- --quick # smoke run (a few seconds per workload), prints only',
    'npm run bench -- api --engine pglite --workload read --connections 32 --duration 10 --out /tmp/api.md',
    '```',
    '',
  ];
  for (const engine of report.engines) lines.push(...engineMarkdown(engine));
  if (analysis.trim() !== '') lines.push('### Reading the figures', '', analysis.trim(), '');
  lines.push('### Notes', '', notes.trim(), '');
  return lines.join('\n');
}

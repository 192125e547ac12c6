/** The printed table and docs/benchmarks.md, both from the same figures. */
import { fmtInt, fmtMs, fmtRatio } from '../lib/stats.js';
import { machineLines, type MachineInfo } from '../lib/run-info.js';
import { consoleTable, markdownRow } from '../lib/table.js';
import type { CpuShares } from '../lib/cpu.js';
import type { EngineName } from './options.js';
import type { ScenarioResult } from './scenario.js';
import { checkTargets, metText } from './targets.js';

export interface EngineReport {
  engine: EngineName;
  title: string;
  version: string;
  settings: Record<string, string>;
  results: ScenarioResult[];
}

export interface RunReport {
  command: string;
  started_at: Date;
  wall_s: number;
  quick: boolean;
  /** The code measured (commit, uncommitted changes). */
  source: string;
  /** Share of a core other processes used just before the run. */
  background_load: number | undefined;
  machine: MachineInfo;
  engines: EngineReport[];
}

const cpuText = (cpu: CpuShares | undefined): string => {
  if (!cpu) return '–';
  const parts = [`bench ${fmtCore(cpu.bench)}`];
  if (cpu.server !== undefined) parts.push(`server ${fmtCore(cpu.server)}`);
  if (cpu.postgres !== undefined) parts.push(`pg ${fmtCore(cpu.postgres)}`);
  if (cpu.others !== undefined) parts.push(`others ${fmtCore(cpu.others)}`);
  return parts.join(', ');
};
const fmtCore = (share: number) => `${Math.round(share * 100)}%`;

const latencyCells = (r: ScenarioResult): [string, string, string] =>
  r.latency ? [fmtMs(r.latency.p50_ms), fmtMs(r.latency.p99_ms), r.latency.per] : ['–', '–', '–'];

// ---------------------------------------------------------------- console

export function consoleReport(report: RunReport): string {
  const out: string[] = [];
  for (const engine of report.engines) {
    out.push(`\n${engine.title}`);
    out.push(
      consoleTable([
        ['scenario', 'transfers', 'seconds', 'transfers/s', 'p50 ms', 'p99 ms', 'latency per', 'CPU (of one core)'],
        ...engine.results.map((r) => [r.label, fmtInt(r.transfers), r.seconds.toFixed(2), fmtInt(r.transfers_per_s), ...latencyCells(r), cpuText(r.cpu)]),
      ]),
    );
    out.push('');
    out.push(consoleTable([['ratio', 'measured', 'target', ''], ...checkTargets(engine.results).map((t) => [t.name, t.measured, t.target, metText(t.met)])]));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- markdown

const row = markdownRow;

function engineMarkdown(engine: EngineReport, cpus: number): string[] {
  const lines: string[] = [`## ${engine.title}`, ''];
  lines.push(`${engine.version}`);
  if (Object.keys(engine.settings).length > 0) {
    lines.push('', `Settings: ${Object.entries(engine.settings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  }
  lines.push('', row(['scenario', 'transfers', 'seconds', 'transfers/s', 'p50 ms', 'p99 ms', 'latency per', 'how', 'CPU (share of one core)']));
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---', '---', '---']));
  for (const r of engine.results) {
    lines.push(row([r.label, fmtInt(r.transfers), r.seconds.toFixed(2), `**${fmtInt(r.transfers_per_s)}**`, ...latencyCells(r), r.detail, cpuText(r.cpu)]));
  }
  lines.push('', '### Targets', '', row(['ratio', 'measured', 'target', 'status']), row(['---', '---:', '---', '---']));
  for (const t of checkTargets(engine.results)) lines.push(row([t.name, t.measured, t.target, t.met === false ? '**not met**' : metText(t.met)]));
  const readings = findings(engine, cpus);
  if (readings.length > 0) lines.push('', '### What the figures say (computed from this run)', '', ...readings.map((f) => `- ${f}`));
  const anatomy = engine.results.find((r) => r.key === 'wp_uniform')?.anatomy;
  if (anatomy && anatomy.batches > 0) {
    lines.push('', `### Where a write-path batch spends its time (uniform, ${anatomy.batches} batches, mean ${fmtMs(anatomy.mean_batch_ms)} ms per batch)`, '');
    const cpuHeader = engine.engine === 'pglite' ? 'CPU ms of the one process (PGlite included)' : 'CPU ms of the benchmark process (driver, core)';
    lines.push(row(['part of the batch transaction', 'wall ms per batch', 'share', cpuHeader]), row(['---', '---:', '---:', '---:']));
    for (const part of anatomy.parts) {
      lines.push(row([part.label, fmtMs(part.mean_ms), `${Math.round((100 * part.mean_ms) / anatomy.mean_batch_ms)}%`, fmtMs(part.mean_cpu_ms)]));
    }
  }
  lines.push('');
  return lines;
}

const totalCpu = (cpu: CpuShares | undefined): number | undefined =>
  cpu ? cpu.bench + (cpu.server ?? 0) + (cpu.postgres ?? 0) : undefined;

/** Plain statements read off this run's figures: where the time goes, what bounds each path. */
export function findings(engine: EngineReport, cpus: number): string[] {
  const get = (key: ScenarioResult['key']) => engine.results.find((r) => r.key === key);
  const out: string[] = [];
  const uniform = get('wp_uniform');
  const raw = get('raw');
  const anatomy = uniform?.anatomy;
  if (uniform && anatomy && anatomy.batches > 0) {
    const part = (prefix: string) => anatomy.parts.filter((p) => p.label.startsWith(prefix)).reduce((ms, p) => ms + p.mean_ms, 0);
    const insert = part('INSERT transfers');
    const js = part('JavaScript');
    const rest = anatomy.mean_batch_ms - insert;
    out.push(
      `Write path, uniform: a batch of ${fmtInt(uniform.transfers / anatomy.batches)} transfers takes ${fmtMs(anatomy.mean_batch_ms)} ms; ` +
        `the statement that inserts the transfers, updates the balances and appends the outbox (the raw ceiling runs its INSERT alone) is ${fmtMs(insert)} ms of it (${Math.round((100 * insert) / anatomy.mean_batch_ms)}%), ` +
        `JavaScript (core + writer) ${fmtMs(js)} ms, the other statements and COMMIT ${fmtMs(rest - js)} ms.` +
        (raw?.latency ? ` The raw ceiling's statement alone took ${fmtMs(raw.latency.p50_ms)} ms (p50).` : ''),
    );
    const busy = totalCpu(uniform.cpu);
    if (busy !== undefined && uniform.cpu?.postgres !== undefined && engine.engine === 'postgres') {
      const perBatch = (share: number) => (share * uniform.seconds * 1000) / anatomy.batches;
      out.push(
        `The writer runs one transaction at a time, and within it JavaScript and SQL take turns: during the uniform write path ` +
          `the benchmark process and PostgreSQL together used ${Math.round(busy * 100)}% of one core (the machine has ${cpus * 100}% on ${cpus} cores). ` +
          `Per batch that is ${fmtMs(perBatch(uniform.cpu.bench))} ms of Node.js CPU plus ${fmtMs(perBatch(uniform.cpu.postgres))} ms of PostgreSQL CPU ` +
          `for ${fmtMs(anatomy.mean_batch_ms)} ms of wall time.`,
      );
    }
    if (busy !== undefined && engine.engine === 'pglite') {
      out.push(`PGlite runs inside the writer's process and thread: the uniform write path kept that one thread ${Math.round(busy * 100)}% busy.`);
    }
  }
  const single = get('http_single');
  if (single?.cpu && single.writer && single.latency && single.connections) {
    out.push(
      `HTTP single: each of the ${single.connections} connections waits for its answer before sending again, so throughput is ` +
        `${single.connections} ÷ latency (${fmtInt(single.transfers_per_s)}/s at p50 ${fmtMs(single.latency.p50_ms)} ms). ` +
        `The writer committed batches of ${fmtInt(single.writer.mean_transfers)} transfers ` +
        `taking ${fmtMs(single.writer.mean_ms)} ms each; meanwhile the server process used ${Math.round((single.cpu.server ?? 0) * 100)}% of a core` +
        (single.cpu.postgres !== undefined ? `, PostgreSQL ${Math.round(single.cpu.postgres * 100)}%` : '') +
        `, autocannon ${Math.round(single.cpu.bench * 100)}%.`,
    );
  }
  const naive = get('naive_uniform');
  const naiveHot = get('naive_hot');
  if (raw && naive && naiveHot) {
    const x = raw.transfers_per_s / naive.transfers_per_s;
    const y = raw.transfers_per_s / naiveHot.transfers_per_s;
    out.push(
      `The raw ceiling itself is ${fmtRatio(x)} the naive uniform baseline and ${fmtRatio(y)} the naive hot one, so "write path ≥ 30× naive" ` +
        `needs the write path at ≥ ${Math.round((100 * 30) / x)}% of a bare INSERT, and "hot ≥ 50× naive hot" at ≥ ${Math.round((100 * 50) / y)}%.`,
    );
  }
  if (single?.connections && naive) {
    const needed_ms = (1000 * single.connections) / (10 * naive.transfers_per_s);
    out.push(
      `"HTTP single ≥ 10× naive" means ${fmtInt(10 * naive.transfers_per_s)} requests/s from ${single.connections} connections, ` +
        `i.e. a mean latency of at most ${fmtMs(needed_ms)} ms per request, batch commit included.`,
    );
  }
  const others = engine.results.map((r) => r.cpu?.others).filter((x): x is number => x !== undefined);
  if (others.length > 0 && Math.max(...others) > 0.2) {
    out.push(
      `Other processes on the machine used up to ${Math.round(Math.max(...others) * 100)}% of a core during these measurements ` +
        `(median ${Math.round(median(others) * 100)}%): the figures are lower and noisier than on an idle machine.`,
    );
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** The ledger's section of docs/benchmarks.md (between its markers; the file's title stays outside). */
export function markdownReport(report: RunReport, notes: string): string {
  const m = report.machine;
  const lines: string[] = [
    '<!-- Generated by `npm run bench:ledger` (bench/ledger.ts). A full run rewrites only this section, between the bench:ledger markers, Notes included: edit the notes in bench/ledger/notes.ts. -->',
    '',
    `Measured ${report.started_at.toISOString().replace(/\.\d+Z$/, 'Z')} in one run of \`${report.command}\` (${report.wall_s.toFixed(0)} s wall time).`,
    'Every figure below comes from that run; the baselines ran in the same process, on the same database, within the same few minutes.',
    `Code measured: ${report.source}.`,
    '',
    '## Machine',
    '',
    ...machineLines(m),
    ...report.engines.map((e) => `- ${e.title}: ${e.version}`),
    ...(report.background_load !== undefined
      ? [`- Other processes used ${Math.round(report.background_load * 100)}% of a core when the run started; the "others" CPU figure shows it during each scenario.`]
      : []),
    '',
    '## Command',
    '',
    '```sh',
    'npm run bench:ledger            # both engines, full sizes, rewrites this section',
    'npm run bench:ledger -- --quick # smoke run (tiny sizes), prints only',
    'npm run bench -- ledger --engine postgres --transfers 200000 --out /tmp/ledger.md',
    '```',
    '',
  ];
  for (const engine of report.engines) lines.push(...engineMarkdown(engine, m.cpus));
  lines.push('## Notes', '', notes.trim(), '');
  return lines.join('\n');
}

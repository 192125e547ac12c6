/** The printed table and the envelopes section of docs/benchmarks.md, both from the same figures. */
import type { CpuShares } from '../lib/cpu.js';
import type { EngineName } from '../lib/options.js';
import { machineLines, type MachineInfo } from '../lib/run-info.js';
import { fmtInt, fmtMs, fmtRatio } from '../lib/stats.js';
import { consoleTable, markdownRow } from '../lib/table.js';
import { scenarioLabel, type RunResult, type Sizes } from './scenario.js';
import { checkTargets, metText, ratioToNaive, TARGET_P99_MS, TARGET_RATIO } from './targets.js';

export interface EngineReport {
  engine: EngineName;
  title: string;
  version: string;
  settings: Record<string, string>;
  /** What each server ran on and with. */
  setup: string;
  results: RunResult[];
}

export interface RunReport {
  command: string;
  started_at: Date;
  wall_s: number;
  quick: boolean;
  sizes: Sizes;
  source: string;
  background_load: number | undefined;
  machine: MachineInfo;
  engines: EngineReport[];
}

const fmtCore = (share: number) => `${Math.round(share * 100)}%`;
export const cpuText = (cpu: CpuShares): string => {
  const parts = [`loadgen ${fmtCore(cpu.bench)}`];
  if (cpu.server !== undefined) parts.push(`server ${fmtCore(cpu.server)}`);
  if (cpu.postgres !== undefined) parts.push(`pg ${fmtCore(cpu.postgres)}`);
  if (cpu.others !== undefined) parts.push(`others ${fmtCore(cpu.others)}`);
  return parts.join(', ');
};

const systemName = (r: RunResult) => (r.system === 'capillary' ? 'Capillary' : 'naive');
const writerText = (r: RunResult) => (r.writer ? `${fmtInt(r.writer.batches)} × ${fmtInt(r.writer.mean_transfers)} (${fmtMs(r.writer.mean_ms)} ms)` : '–');
const ratioText = (results: readonly RunResult[], r: RunResult) => {
  const ratio = ratioToNaive(results, r);
  return ratio === undefined ? '' : fmtRatio(ratio);
};

/** Runs in table order: scenario, then connections, Capillary before naive. */
const ordered = (results: readonly RunResult[]) =>
  [...results].sort((a, b) => (a.scenario === b.scenario ? 0 : a.scenario === 'hot' ? -1 : 1) || a.connections - b.connections || (a.system === 'capillary' ? -1 : 1));

const HEADER = ['scenario', 'system', 'conns', 'grabs', 'ok', 'empty', 'seconds', 'grabs/s', '× naive', 'p50 ms', 'p99 ms', 'oversell', 'writer batches × mean grabs (mean ms)', 'CPU (of one core)'];

function cells(report: RunReport, results: readonly RunResult[], r: RunResult, bold: boolean): string[] {
  const rate = fmtInt(r.grabs_per_s);
  return [
    scenarioLabel(r.scenario, report.sizes),
    systemName(r),
    String(r.connections),
    fmtInt(r.grabs),
    fmtInt(r.ok),
    fmtInt(r.empty),
    r.seconds.toFixed(2),
    bold && r.system === 'capillary' ? `**${rate}**` : rate,
    ratioText(results, r),
    fmtMs(r.p50_ms),
    fmtMs(r.p99_ms),
    String(r.check.oversell),
    writerText(r),
    cpuText(r.cpu),
  ];
}

export function consoleReport(report: RunReport): string {
  const out: string[] = [];
  for (const engine of report.engines) {
    out.push(`\n${engine.title}`);
    out.push(consoleTable([HEADER, ...ordered(engine.results).map((r) => cells(report, engine.results, r, false))]));
    out.push('');
    out.push(consoleTable([['target', 'measured', 'target', ''], ...checkTargets(engine.engine, engine.results).map((t) => [t.name, t.measured, t.target, metText(t.met)])]));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- markdown

/** CPU ms per grab of each process group, from its share of a core over the run. */
const cpuPerGrab = (r: RunResult, share: number | undefined) => ((share ?? 0) * r.seconds * 1000) / r.grabs;

/** Plain statements read off this run's figures: what bounds each system, where the time goes. */
export function findings(engine: EngineReport, cpus: number): string[] {
  const out: string[] = [];
  for (const r of ordered(engine.results)) {
    if (r.scenario !== 'hot') continue;
    const mean_ms = (1000 * r.connections) / r.grabs_per_s;
    const busy = r.cpu.bench + (r.cpu.server ?? 0) + (r.cpu.postgres ?? 0);
    const perGrab = [`server ${fmtMs(cpuPerGrab(r, r.cpu.server))}`, ...(r.cpu.postgres !== undefined ? [`PostgreSQL ${fmtMs(cpuPerGrab(r, r.cpu.postgres))}`] : []), `load generator ${fmtMs(cpuPerGrab(r, r.cpu.bench))}`];
    const cpu =
      `the load generator used ${fmtCore(r.cpu.bench)} of a core, the server process ${fmtCore(r.cpu.server ?? 0)}` +
      (r.cpu.postgres !== undefined ? `, PostgreSQL ${fmtCore(r.cpu.postgres)}` : '') +
      ` (together ${fmtCore(busy)} of the machine's ${cpus * 100}%${r.cpu.others !== undefined ? `; other processes ${fmtCore(r.cpu.others)}` : ''}); CPU ms per grab: ${perGrab.join(', ')}`;
    if (r.system === 'capillary' && r.writer) {
      const writerBusy = (r.writer.batches * r.writer.mean_ms) / (r.seconds * 1000);
      out.push(
        `Hot envelope, ${r.connections} connections, Capillary: ${fmtInt(r.grabs_per_s)} grabs/s is ${fmtMs(mean_ms)} ms per grab per connection (p50 ${fmtMs(r.p50_ms)}, p99 ${fmtMs(r.p99_ms)}). ` +
          `The ledger writer committed ${fmtInt(r.writer.batches)} batches of ${fmtInt(r.writer.mean_transfers)} grabs on average, ${fmtMs(r.writer.mean_ms)} ms each, ` +
          `so it was committing ${fmtCore(writerBusy)} of the time; ${cpu}.`,
      );
    } else if (r.system === 'naive') {
      out.push(
        `Hot envelope, ${r.connections} connections, naive: every grab holds the envelope's row lock from its SELECT … FOR UPDATE to COMMIT, so grabs take turns: ` +
          `${fmtInt(r.grabs_per_s)} grabs/s is ${fmtMs(1000 / r.grabs_per_s)} ms of lock time per grab, and a grab queues behind the others in flight (p50 ${fmtMs(r.p50_ms)} ms); ${cpu}.`,
      );
    }
  }
  const hot = ordered(engine.results).filter((r) => r.scenario === 'hot' && r.system === 'capillary' && r.writer && r.writer.batches > 0);
  if (hot.length >= 2) {
    const a = hot[0]!.writer!;
    const b = hot[hot.length - 1]!.writer!;
    if (b.mean_transfers > a.mean_transfers) {
      const slope = (b.mean_ms - a.mean_ms) / (b.mean_transfers - a.mean_transfers);
      const fixed = a.mean_ms - slope * a.mean_transfers;
      if (slope > 0) {
        out.push(
          `Hot-envelope batches grew from ${fmtInt(a.mean_transfers)} grabs in ${fmtMs(a.mean_ms)} ms to ${fmtInt(b.mean_transfers)} grabs in ${fmtMs(b.mean_ms)} ms: ` +
            `about ${fmtMs(fixed)} ms per batch plus ${fmtMs(slope)} ms per grab, so however full the batches get, one envelope's writer cannot pass ` +
            `about ${fmtInt(1000 / slope)} grabs/s on this machine as loaded. The batch's wall time includes the HTTP work the same event loop does between the batch's statements.`,
        );
      }
    }
  }
  const others = engine.results.map((r) => r.cpu.others).filter((x): x is number => x !== undefined);
  if (others.length > 0 && Math.max(...others) > 0.2) {
    out.push(
      `Other processes on the machine used up to ${fmtCore(Math.max(...others))} of a core during these runs (of ${cpus * 100}%): ` +
        'the servers and PostgreSQL got less CPU than on an idle machine, so the figures are lower and noisier.',
    );
  }
  return out;
}

function engineMarkdown(report: RunReport, engine: EngineReport): string[] {
  const lines: string[] = [`### ${engine.title}`, '', engine.version];
  if (Object.keys(engine.settings).length > 0) lines.push('', `Settings: ${Object.entries(engine.settings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  lines.push('', engine.setup, '');
  lines.push(markdownRow(HEADER), markdownRow(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---']));
  for (const r of ordered(engine.results)) lines.push(markdownRow(cells(report, engine.results, r, true)));
  lines.push('', '#### Targets', '', markdownRow(['target', 'measured', 'target', 'status']), markdownRow(['---', '---:', '---', '---']));
  for (const t of checkTargets(engine.engine, engine.results)) lines.push(markdownRow([t.name, t.measured, t.target, t.met === false ? '**NOT met**' : metText(t.met)]));
  const readings = findings(engine, report.machine.cpus);
  if (readings.length > 0) lines.push('', '#### Where the time goes (computed from this run)', '', ...readings.map((f) => `- ${f}`));
  lines.push('');
  return lines;
}

/** The envelopes section of docs/benchmarks.md (between its markers). */
export function markdownReport(report: RunReport, notes: string): string {
  const s = report.sizes;
  const lines: string[] = [
    '<!-- Generated by `npm run bench:envelopes` (bench/envelopes.ts). A full run rewrites only this section, between the bench:envelopes markers: edit the notes in bench/envelopes/notes.ts. -->',
    '',
    '## Red envelopes: grabs through HTTP',
    '',
    `Measured ${report.started_at.toISOString().replace(/\.\d+Z$/, 'Z')} in one run of \`${report.command}\` (${report.wall_s.toFixed(0)} s wall time).`,
    `Every figure below comes from that run; the naive baseline ran in the same run, on the same database engine, driven by the same load generator with the same connections.`,
    `Code measured: ${report.source}.`,
    '',
    `Targets (PostgreSQL, one hot envelope): Capillary ≥ ${TARGET_RATIO}× the naive baseline's grabs/s, p99 < ${TARGET_P99_MS} ms per grab at that load, zero oversell.`,
    `Sizes: ${fmtInt(s.users)} distinct customers per run, each grabbing once into their own account; ${fmtInt(s.shares)} shares per run; ` +
      `"many" splits them over ${s.envelopes} envelopes grabbed at once (customer i grabs envelope i mod ${s.envelopes}); connections ${s.connections.join(', ')}.`,
    '',
    '### Machine',
    '',
    ...machineLines(report.machine),
    ...report.engines.map((e) => `- ${e.title}: ${e.version}`),
    ...(report.background_load !== undefined
      ? [`- Other processes used ${Math.round(report.background_load * 100)}% of a core when the run started; the "others" CPU figure shows it during each run.`]
      : []),
    '',
    '### Command',
    '',
    '```sh',
    'npm run bench:envelopes            # both engines, full sizes, rewrites this section',
    'npm run bench:envelopes -- --quick # smoke run (tiny sizes), prints only',
    'npm run bench -- envelopes --engine postgres --scenario hot --connections 64 --out /tmp/envelopes.md',
    '```',
    '',
  ];
  for (const engine of report.engines) lines.push(...engineMarkdown(report, engine));
  lines.push('### Notes', '', notes.trim(), '');
  return lines.join('\n');
}

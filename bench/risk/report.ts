/** The printed report and the risk section of docs/benchmarks.md, both from the same figures. */
import type { CpuShares } from '../lib/cpu.js';
import { machineLines } from '../lib/run-info.js';
import { fmtInt, fmtMs, fmtPct } from '../lib/stats.js';
import { consoleTable, markdownRow } from '../lib/table.js';
import type { OutcomeCounts } from './drive.js';
import type { PhaseResult, RunReport } from './results.js';
import { checkTargets, metText, TARGET_ENGINE_P99_MS, TARGET_ENGINE_PER_S, TARGET_HTTP_P99_MS, TARGET_HTTP_PER_S, TARGET_RATIO } from './targets.js';

const fmtCore = (share: number | undefined) => (share === undefined ? '–' : `${Math.round(share * 100)}%`);
const fmtMib = (mib: number | undefined) => (mib === undefined || !Number.isFinite(mib) ? '–' : `${fmtInt(mib)} MiB`);
const fmtS = (s: number) => (s >= 100 ? s.toFixed(0) : s.toFixed(1));
const fmtUs = (us: number) => (us >= 100 ? fmtInt(us) : us.toFixed(1));
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function cpuText(cpu: CpuShares, benchName = 'bench'): string {
  const parts = [`${benchName} ${fmtCore(cpu.bench)}`];
  if (cpu.server !== undefined) parts.push(`server ${fmtCore(cpu.server)}`);
  if (cpu.postgres !== undefined) parts.push(`pg ${fmtCore(cpu.postgres)}`);
  if (cpu.others !== undefined) parts.push(`others ${fmtCore(cpu.others)}`);
  return parts.join(', ');
}

export function outcomesText(o: OutcomeCounts): string {
  const total = Object.values(o).reduce((a, b) => a + (b ?? 0), 0);
  return (['allow', 'step_up', 'review', 'block'] as const)
    .filter((k) => (o[k] ?? 0) > 0)
    .map((k) => `${k} ${fmtPct((o[k] ?? 0) / Math.max(1, total))}`)
    .join(', ');
}

const HEADER = ['scenario', 'decisions', 'seconds', 'decisions/s', 'p50 ms', 'p99 ms', 'outcomes', 'CPU (of one core)'];
const cells = (r: PhaseResult, bold: boolean) => [
  r.label,
  fmtInt(r.decisions),
  r.seconds.toFixed(2),
  bold && r.key !== 'baseline' ? `**${fmtInt(r.per_s)}**` : fmtInt(r.per_s),
  fmtMs(r.p50_ms),
  fmtMs(r.p99_ms),
  outcomesText(r.outcomes),
  cpuText(r.cpu, r.key === 'http' ? 'loadgen' : 'bench'),
];

/** Setup facts, one line each (console and Markdown alike). */
function setupLines(report: RunReport): string[] {
  const { history: h, start: s, server, plan } = report;
  const perEvent = ((s.heap_after_mib - s.heap_before_mib) * 2 ** 20) / Math.max(1, s.events);
  return [
    `History: ${fmtInt(h.events)} simulated events (seed ${plan.seed}, ${fmtInt(plan.customers)} customers, ${fmtInt(plan.merchants)} merchants) from ${iso(h.first_ms)} to ${iso(h.last_ms)}, ` +
      `${fmtInt(h.fraud_events)} of them fraud; decided and stored by the loader process in ${fmtS(h.seconds)} s (not timed; CPU ${cpuText(h.cpu).replace('server', 'loader')}); risk_decisions is ${fmtMib(h.table_mib)} with its indexes ` +
      `(mean context ${fmtInt(h.context_bytes_mean)} bytes of JSON); VACUUM ANALYZE ${fmtS(h.vacuum_seconds)} s.`,
    `Model: scorecard ${report.model.id} v${report.model.version} trained on ${fmtInt(report.model.rows)} contexts (${fmtInt(report.model.bads)} fraud) in ${fmtS(report.model.train_seconds)} s, ${report.model.attributes} attributes; ` +
      `deployed live with the default rule set (10 rules) through the Risk service. Deny list: ${report.deny_list} customers (the history's mule-ring members), the graph's known fraudsters.`,
    `Engine start in-process (RiskEngine.start: rebuild from ${fmtInt(s.events)} stored events): ${fmtS(s.seconds)} s (${fmtInt(s.events / s.seconds)} events/s; CPU ${cpuText(s.cpu)}); ` +
      `RSS ${fmtMib(s.rss_before_mib)} → ${fmtMib(s.rss_after_mib)} (peak ${fmtMib(s.peak_rss_mib)}), JS heap ${fmtMib(s.heap_before_mib)} → ${fmtMib(s.heap_after_mib)} (${fmtInt(perEvent)} bytes per stored event); ` +
      `graph ${fmtInt(s.graph.nodes)} nodes, ${fmtInt(s.graph.edges)} edges, ${fmtInt(s.graph.components)} components, ${s.graph.flagged} flagged${s.graph.full ? ' (FULL)' : ''}; velocity ${fmtInt(s.velocity.entities)} entities, ${fmtInt(s.velocity.buckets)} buckets.`,
    `Server start (capillary serve with ${fmtInt(server.events)} stored events in its window): listening after ${fmtS(server.listening_seconds)} s, the first decision (which waits for the engine's start and feature rebuild) ` +
      `answered ${fmtS(server.seconds)} s after the fork; RSS then ${fmtMib(server.rss_mib)}, ${fmtMib(server.rss_after_mib)} after the HTTP runs (peak ${fmtMib(server.peak_rss_mib)}).`,
    `Baseline indexes (created for the baseline run only, ${fmtS(report.baseline_indexes.seconds)} s): ${report.baseline_indexes.names.join(', ')}.`,
    `Feature check: ${report.check.events} fresh events, ${report.check.keys} context keys each (all but graph.component_size and graph.distance_to_fraud), engine vs SQL: ` +
      (report.check.mismatched_events === 0 ? 'identical on every event' : `${report.check.mismatched_events} events differ (${report.check.examples.join('; ')})`) +
      `; same outcome (same rules and model) on ${report.check.same_outcome} of ${report.check.events}` +
      (report.check.mismatched_events === 0 && report.check.same_outcome < report.check.events
        ? ` — the other ${report.check.events - report.check.same_outcome} differ only through graph.component_size and graph.distance_to_fraud, which the baseline leaves null.`
        : '.'),
  ];
}

function anatomyRows(report: RunReport): string[][] {
  return report.anatomy.parts.map((p) => [p.label, fmtUs(p.us)]);
}

export function consoleReport(report: RunReport): string {
  const out: string[] = ['', ...setupLines(report).map((l) => `- ${l}`), ''];
  out.push(consoleTable([HEADER, ...report.results.map((r) => cells(r, false))]));
  out.push('', consoleTable([['target', 'measured', 'target', ''], ...checkTargets(report.results).map((t) => [t.name, t.measured, t.target, metText(t.met)])]));
  out.push('', consoleTable([[`one decision, part by part (${report.anatomy.events} fresh events)`, 'µs'], ...anatomyRows(report)]));
  out.push('', ...findings(report).map((f) => `- ${f}`));
  return out.join('\n');
}

// ---------------------------------------------------------------- where the time goes

/** The ledger anatomy's labels, said for the decision log. */
function logLabel(label: string): string {
  if (label.startsWith('JavaScript')) return 'other work on the event loop meanwhile';
  if (/^WITH opened/i.test(label)) return 'INSERT risk_cases';
  return label.replace(' (unnest)', '');
}

const cpuMsPer = (r: PhaseResult, share: number | undefined) => ((share ?? 0) * r.seconds * 1000) / Math.max(1, r.decisions);

function cpuSentence(r: PhaseResult, cpus: number): string {
  const busy = r.cpu.bench + (r.cpu.server ?? 0) + (r.cpu.postgres ?? 0);
  const benchName = r.key === 'http' ? 'the load generator' : 'this process';
  const per = [
    ...(r.cpu.server !== undefined ? [`server ${fmtMs(cpuMsPer(r, r.cpu.server))}`] : []),
    `${benchName} ${fmtMs(cpuMsPer(r, r.cpu.bench))}`,
    ...(r.cpu.postgres !== undefined ? [`PostgreSQL ${fmtMs(cpuMsPer(r, r.cpu.postgres))}`] : []),
  ];
  return (
    `CPU: ${cpuText(r.cpu, r.key === 'http' ? 'load generator' : 'this process')} of a core (together ${fmtCore(busy)} of the machine's ${cpus * 100}%); ` +
    `CPU ms per decision: ${per.join(', ')}`
  );
}

export function findings(report: RunReport): string[] {
  const out: string[] = [];
  const cpus = report.machine.cpus;
  const a = report.anatomy;
  const part = (prefix: string) => a.parts.find((p) => p.label.startsWith(prefix))?.us;
  const context = part('context') ?? 0;
  const flaggedUs = part('graph: 4 features, known') ?? 0;
  const unflaggedUs = part('graph: 4 features, nobody') ?? 0;
  const compute = context + (part('model') ?? 0) + (part('rules') ?? 0) + (part('fingerprint') ?? 0);
  const reach = Object.entries(a.distance)
    .map(([d, n]) => `${d === 'null' ? 'none within 4 edges' : `distance ${d}`} ${fmtPct(n / Math.max(1, a.events))}`)
    .join(', ');
  out.push(
    `One decision's computing, timed part by part on ${a.events} fresh events (nothing stored): context ${fmtUs(context)} µs + model + rules + fingerprint = ${fmtUs(compute)} µs, ` +
      `so one core computes at most ${fmtInt(1e6 / Math.max(1, compute))} decisions/s before storing any. ` +
      `The graph features cost ${fmtUs(flaggedUs)} µs with the ${a.flagged} known fraudsters flagged and ${fmtUs(unflaggedUs)} µs with nobody flagged: ` +
      `the breadth-first search for the nearest known fraudster (graph.distance_to_fraud, up to 4 edges and 10,000 nodes) is ${fmtPct((flaggedUs - unflaggedUs) / Math.max(1, compute))} of the computing ` +
      `(${reach}). The 20 velocity features take ${fmtUs(part('velocity') ?? 0)} µs.`,
  );
  const engine = report.results.find((r) => r.key === 'engine');
  if (engine) {
    const log = report.log;
    const cpuMs = cpuMsPer(engine, engine.cpu.bench);
    const statements = log.parts.map((p) => `${logLabel(p.label)} ${fmtMs(p.mean_ms)} ms`).join(', ');
    out.push(
      `In-process: ${fmtInt(engine.per_s)} decisions/s. This process used ${fmtCore(engine.cpu.bench)} of a core, ${fmtMs(cpuMs)} ms of CPU per decision: ` +
        `${fmtMs(compute / 1000)} ms is the decision itself (part by part above), the rest is storing it (the row's JSON, the pg driver) and the event loop. ` +
        `Node runs the engine on one thread, so one core caps it near ${fmtInt(1000 / Math.max(0.001, cpuMs))} decisions/s; ${fmtInt(TARGET_ENGINE_PER_S)} decisions/s would need ≤ ${fmtUs(1e6 / TARGET_ENGINE_PER_S)} µs of CPU per decision. ` +
        `PostgreSQL used ${fmtMs(cpuMsPer(engine, engine.cpu.postgres))} ms of CPU per decision. ` +
        (log.batches > 0
          ? `The decision log stored the measured decisions in ${fmtInt(log.batches)} transactions of ${fmtInt(log.decisions / Math.max(1, log.batches))}, ${fmtMs(log.mean_batch_ms)} ms each ` +
            `(wall times, which include waiting while the event loop computes other decisions: ${statements}). `
          : `The decision log stored them one statement per burst (decisions, context layouts and cases together, up to four statements in flight; not timed one by one, as they run outside a transaction). `) +
        `With ${report.sizes.in_flight} in flight a decision's latency is ${report.sizes.in_flight} ÷ the rate = ${fmtMs((1000 * report.sizes.in_flight) / engine.per_s)} ms (Little's law; p50 ${fmtMs(engine.p50_ms)} ms): ` +
        `it waits its turn on the event loop behind the others, then for its statement's commit.`,
    );
  }
  const baseline = report.results.find((r) => r.key === 'baseline');
  if (baseline) {
    out.push(`Baseline: ${fmtInt(baseline.per_s)} decisions/s, p50 ${fmtMs(baseline.p50_ms)} ms. ${cpuSentence(baseline, cpus)}.`);
  }
  const http = report.results.find((r) => r.key === 'http');
  if (http) {
    out.push(
      `HTTP: ${fmtInt(http.per_s)} decisions/s, p50 ${fmtMs(http.p50_ms)} ms, p99 ${fmtMs(http.p99_ms)} ms. ${cpuSentence(http, cpus)}; ` +
        `at ${fmtMs(cpuMsPer(http, http.cpu.server))} ms of server CPU per decision, one core caps the server near ${fmtInt(1000 / Math.max(0.001, cpuMsPer(http, http.cpu.server)))} decisions/s.` +
        ((http.cpu.server ?? 0) > 0.85
          ? ' The server process is near a full core: its one event loop (HTTP, validation, the engine, storing) is the bound.'
          : ` The server was not CPU-bound (${fmtCore(http.cpu.server)} of a core): each answer waits for the decision-log transaction that stores it, and with ${report.sizes.connections} connections the rate is ${report.sizes.connections} ÷ the latency (Little's law: ${fmtMs((1000 * report.sizes.connections) / http.per_s)} ms).`),
    );
  }
  const others = report.results.map((r) => r.cpu.others).filter((x): x is number => x !== undefined);
  if (others.length > 0 && Math.max(...others) > 0.2) {
    out.push(
      `Other processes on the machine used up to ${fmtCore(Math.max(...others))} of a core during the measured runs (of ${cpus * 100}%): ` +
        'the engine, the server and PostgreSQL got less CPU than on an idle machine, so the figures are lower and noisier.',
    );
  }
  return out;
}

// ---------------------------------------------------------------- markdown

export function markdownReport(report: RunReport, notes: string): string {
  const s = report.sizes;
  const lines: string[] = [
    '<!-- Generated by `npm run bench:risk` (bench/risk.ts). A full run rewrites only this section, between the bench:risk markers: edit the notes in bench/risk/notes.ts. -->',
    '',
    '## Risk engine: real-time decisions',
    '',
    `Measured ${report.started_at.toISOString().replace(/\.\d+Z$/, 'Z')} in one run of \`${report.command}\` (${report.wall_s.toFixed(0)} s wall time).`,
    'Every figure below comes from that run; the per-feature-query baseline ran in the same run, on the same database, with the same rules, model and concurrency.',
    `Code measured: ${report.source}.`,
    '',
    `Targets: in-process ≥ ${fmtInt(TARGET_ENGINE_PER_S)} decisions/s with p99 ≤ ${TARGET_ENGINE_P99_MS} ms; HTTP ≥ ${fmtInt(TARGET_HTTP_PER_S)} decisions/s with p99 ≤ ${TARGET_HTTP_P99_MS} ms; ` +
      `in-process ≥ ${TARGET_RATIO}× the per-feature-query baseline — with the default 10 rules, 20 velocity features, one model and the graph features, on ${fmtInt(s.events)} stored past events.`,
    '',
    '### Machine',
    '',
    ...machineLines(report.machine),
    `- ${report.pg_version.split(',')[0]} at 127.0.0.1:5432; settings: ${Object.entries(report.pg_settings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}`,
    ...(report.background_load !== undefined
      ? [`- Other processes used ${Math.round(report.background_load * 100)}% of a core when the run started; the "others" CPU figure shows it during each run.`]
      : []),
    '',
    '### Command',
    '',
    '```sh',
    'npm run bench:risk            # full sizes (1,000,000 past events), rewrites this section',
    'npm run bench:risk -- --quick # smoke run (20,000 past events), prints only',
    'npm run bench -- risk --events 200000 --seconds 10 --out /tmp/risk.md',
    '```',
    '',
    '### Setup (not timed) and start',
    '',
    ...setupLines(report).map((l) => `- ${l}`),
    '',
    '### Decisions',
    '',
    markdownRow(HEADER),
    markdownRow(['---', '---:', '---:', '---:', '---:', '---:', '---', '---']),
    ...report.results.map((r) => markdownRow(cells(r, true))),
    '',
    ...report.results.map((r) => `- ${r.label}: ${r.how}.`),
    '',
    '#### Targets',
    '',
    markdownRow(['target', 'measured', 'target', 'status']),
    markdownRow(['---', '---:', '---', '---']),
    ...checkTargets(report.results).map((t) => markdownRow([t.name, t.measured, t.target, t.met === false ? '**NOT met**' : metText(t.met)])),
    '',
    '#### Where the time goes (computed from this run)',
    '',
    markdownRow([`one decision, part by part (${report.anatomy.events} fresh events, nothing stored)`, 'µs']),
    markdownRow(['---', '---:']),
    ...anatomyRows(report).map((r) => markdownRow(r)),
    '',
    ...findings(report).map((f) => `- ${f}`),
    '',
    '### Notes',
    '',
    notes.trim(),
    '',
  ];
  return lines.join('\n');
}


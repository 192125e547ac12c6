/**
 * What else is running on the machine: the processes (other than this one, its children and
 * the bench database's PostgreSQL backends) that used the most CPU over a window, by a
 * readable name, and the kernel's interrupt time that no process is charged for, from /proc
 * (Linux). Only to say in the report what the figures shared the machine with; undefined
 * where /proc is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

const CLOCK_TICKS_PER_S = 100;

interface Sample {
  ms: number;
  name: string;
}

/** Options of node that take the next argument as their value. */
const NODE_VALUE_OPTIONS = new Set(['--require', '-r', '--import', '--conditions', '-C', '--loader', '--experimental-loader']);

/** `vitest forks.js`, `vitest run`, `capillary accounts create`, `tsc -p tsconfig.json`, `postgres (other databases)`, or the command name. */
function readableName(comm: string, args: readonly string[]): string {
  if (comm === 'postgres') return 'postgres (other databases)';
  if (args.length === 0) return comm;
  const program = basename(args[0]!);
  if (program !== 'node' && program !== 'nodejs') return [program, ...args.slice(1, 3)].join(' ').slice(0, 80);
  let i = 1;
  while (i < args.length && args[i]!.startsWith('-')) i += NODE_VALUE_OPTIONS.has(args[i]!) ? 2 : 1;
  const script = args[i];
  if (script === undefined) return 'node';
  const rest = args.slice(i + 1).filter((a) => !a.startsWith('-')).slice(0, 2);
  const pkg = /node_modules\/(?:\.bin\/)?((?:@[^/]+\/)?[^/]+)/.exec(script)?.[1];
  if (script.includes('/dist/src/cli/main.js')) return ['capillary', ...rest].join(' ');
  if (pkg) return [pkg, ...(script.includes('/.bin/') ? [] : [basename(script)]), ...rest].join(' ').slice(0, 80);
  return [basename(script), ...rest].join(' ').slice(0, 80);
}

/** CPU ms so far of every process except this one, its children and the bench database's PostgreSQL processes. */
function snapshot(bench_database: string | undefined): Map<number, Sample> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const out = new Map<number, Sample>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pid) === process.pid || Number(fields[1]) === process.pid) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (comm === 'postgres') {
        // The bench database's backends and the server's shared background processes are the benchmark's own ("pg").
        const title = args.join(' ');
        const clientBackend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title);
        if (!clientBackend || (bench_database !== undefined && title.includes(` ${bench_database} `))) continue;
      }
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
      out.set(Number(pid), { ms, name: readableName(comm, args) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** irq + softirq and steal ms of the whole machine so far (/proc/stat's first line). */
function kernelMs(): { irq: number; steal: number } | undefined {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { irq: (((ticks[5] ?? 0) + (ticks[6] ?? 0)) * 1000) / CLOCK_TICKS_PER_S, steal: ((ticks[7] ?? 0) * 1000) / CLOCK_TICKS_PER_S };
  } catch {
    return undefined;
  }
}

export interface Background {
  /** Share of one core each other process (by name) used, over the window. */
  shares: Record<string, number>;
  /** Share of one core in interrupt handling (incl. loopback networking) and stolen by the hypervisor. */
  irq: number | undefined;
  steal: number | undefined;
}

/** Starts watching; the returned function says what else ran since then. */
export function watchOthers(bench_database?: string): () => Background | undefined {
  const start = snapshot(bench_database);
  const kernelStart = kernelMs();
  const wallStart = performance.now();
  return () => {
    const end = snapshot(bench_database);
    if (!start || !end) return undefined;
    const wall = Math.max(1, performance.now() - wallStart);
    const shares: Record<string, number> = {};
    for (const [pid, s] of end) {
      // A process that started meanwhile counts from 0 ms; one that ended meanwhile is lost (an undercount).
      const share = (s.ms - (start.get(pid)?.ms ?? 0)) / wall;
      if (share > 0) shares[s.name] = (shares[s.name] ?? 0) + share;
    }
    const kernelEnd = kernelMs();
    return {
      shares,
      irq: kernelStart && kernelEnd ? (kernelEnd.irq - kernelStart.irq) / wall : undefined,
      steal: kernelStart && kernelEnd ? (kernelEnd.steal - kernelStart.steal) / wall : undefined,
    };
  };
}

/** Several windows as one, each weighted by its length in seconds. */
export function mergeBackgrounds(parts: ReadonlyArray<{ background: Background | undefined; seconds: number }>): Background | undefined {
  const known = parts.filter((p): p is { background: Background; seconds: number } => p.background !== undefined);
  if (known.length === 0) return undefined;
  const total = known.reduce((s, p) => s + p.seconds, 0) || 1;
  const shares: Record<string, number> = {};
  for (const p of known) for (const [name, share] of Object.entries(p.background.shares)) shares[name] = (shares[name] ?? 0) + (share * p.seconds) / total;
  const mean = (pick: (b: Background) => number | undefined) =>
    known.every((p) => pick(p.background) !== undefined) ? known.reduce((s, p) => s + pick(p.background)! * p.seconds, 0) / total : undefined;
  return { shares, irq: mean((b) => b.irq), steal: mean((b) => b.steal) };
}

/** "vitest forks.js 45%, tsc 20%, kernel interrupts 3%" (shares of one core), the busiest `top` processes first. */
export function backgroundText(b: Background, top = 5): string {
  const list = Object.entries(b.shares).filter(([, share]) => share >= 0.02).sort((x, y) => y[1] - x[1]).slice(0, top);
  const parts = list.map(([name, share]) => `${name} ${Math.round(share * 100)}%`);
  if (b.irq !== undefined && b.irq >= 0.01) parts.push(`kernel interrupts ${Math.round(b.irq * 100)}%`);
  if (b.steal !== undefined && b.steal >= 0.01) parts.push(`stolen by the hypervisor ${Math.round(b.steal * 100)}%`);
  return parts.length === 0 ? 'nothing busy' : parts.join(', ');
}

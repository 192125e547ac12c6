/**
 * CPU time of processes on this machine, from /proc (Linux). Used to say what bounds a
 * scenario: on 2 cores, a process near 100% of one core is the limit. Returns undefined
 * where /proc is not available, and the figures are then left out.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // USER_HZ; 100 on every mainstream Linux build

/** utime + stime of one process in ms, or undefined if it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/**
 * CPU ms so far of each PostgreSQL process that works for `database`: its client backends
 * and the server's shared background processes (WAL writer, checkpointer, autovacuum…).
 * Backends of other databases (other people's tests) are left out.
 */
function postgresCpuMs(database: string): Map<number, number> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const clientBackend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title);
      if (clientBackend && !title.includes(` ${database} `)) continue;
      const ms = processCpuMs(Number(pid));
      if (ms !== undefined) out.set(Number(pid), ms);
    } catch {
      // the process ended between listing and reading
    }
  }
  return out;
}

/** CPU ms the processes used between two readings; processes that ended in between are lost (an undercount). */
function cpuDelta(start: Map<number, number>, end: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of end) total += ms - (start.get(pid) ?? 0);
  return total;
}

/** Busy CPU ms of the whole machine (all cores), from the first line of /proc/stat. */
function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return ((total - idle) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

export interface CpuShares {
  /** Share of one core each group used over the interval (1.0 = one core fully busy). */
  bench: number;
  server?: number;
  postgres?: number;
  /** Everything else on the machine (other users' work): noise in the figures when high. */
  others?: number;
}

/** Share of one core the rest of the machine uses right now, sampled over `ms`; a busy machine makes figures noisy. */
export async function otherLoad(ms: number): Promise<number | undefined> {
  const meter = startCpuMeter({});
  await new Promise((resolve) => setTimeout(resolve, ms));
  return meter().others;
}

/** Starts measuring; the returned function gives each group's share of a core since then. */
export function startCpuMeter(options: { server_pid?: number | undefined; postgres_database?: string | undefined }): () => CpuShares {
  const wallStart = performance.now();
  const benchStart = process.cpuUsage();
  const serverStart = options.server_pid ? processCpuMs(options.server_pid) : undefined;
  const database = options.postgres_database;
  const postgresStart = database ? postgresCpuMs(database) : undefined;
  const machineStart = machineBusyMs();
  return () => {
    const wall_ms = Math.max(1, performance.now() - wallStart);
    const bench = process.cpuUsage(benchStart);
    const shares: CpuShares = { bench: (bench.user + bench.system) / 1000 / wall_ms };
    const serverEnd = options.server_pid ? processCpuMs(options.server_pid) : undefined;
    if (serverStart !== undefined && serverEnd !== undefined) shares.server = (serverEnd - serverStart) / wall_ms;
    const postgresEnd = database ? postgresCpuMs(database) : undefined;
    if (postgresStart !== undefined && postgresEnd !== undefined) shares.postgres = cpuDelta(postgresStart, postgresEnd) / wall_ms;
    const machineEnd = machineBusyMs();
    if (machineStart !== undefined && machineEnd !== undefined) {
      const ours = shares.bench + (shares.server ?? 0) + (shares.postgres ?? 0);
      shares.others = Math.max(0, (machineEnd - machineStart) / wall_ms - ours);
    }
    return shares;
  };
}

/** Command-line options of the open-banking API benchmark, validated with clear errors. */
import { commonOption, parseEngines, parseInteger, unknownOption, UsageError, walkOptions, type EngineName } from '../lib/options.js';
import { WORKLOAD_KEYS, type WorkloadKey } from './workloads.js';

export { UsageError };

export interface Sizes {
  /** Concurrency levels: keep-alive connections, one request in flight on each; both paths of a workload run at each. */
  connections: number[];
  /** Seconds of each measured run. */
  duration_s: number;
  /** Seconds of the unmeasured warm-up of each path at each level. */
  warmup_s: number;
  /** Measured runs per path at each level, in ABBA order (plain, open banking, open banking, plain, …). */
  rounds: number;
  /** Customers in "pay-many", each paying under their own consent. */
  customers: number;
}

export interface ApiBenchOptions {
  quick: boolean;
  engines: EngineName[];
  workloads: WorkloadKey[];
  sizes: Sizes;
  /** Markdown report; undefined means docs/benchmarks.md for a full run, none for --quick. */
  out: string | undefined;
  help: boolean;
}

export const CONNECTIONS_MAX = 1_000;
/** Access tokens live 300 s and are refreshed before every run: a run must end well before that. */
export const DURATION_S_MAX = 240;
export const ROUNDS_MAX = 10;
export const CUSTOMERS_MAX = 1_000;

// Five short rounds rather than two long ones: the overhead is a median over rounds (report.ts).
const FULL: Sizes = { connections: [16, 64], duration_s: 8, warmup_s: 3, rounds: 5, customers: 64 };
/** CI smoke sizes: a few seconds per workload. */
const QUICK: Sizes = { connections: [8], duration_s: 2, warmup_s: 1, rounds: 1, customers: 4 };

export const USAGE = `usage: npm run bench:api -- [options]
       npm run bench -- api [options]

The open-banking layer's cost: the real server (capillary serve, rate limits set high but
running on every request) driven by autocannon in this process, each workload through the
open-banking API with a customer's OAuth access token and through the plain API with an
API key, at the same connection counts, in the same run.

  --quick                  a smoke run (CI): ${QUICK.connections.join(',')} connections, ${QUICK.duration_s} s per run, ${QUICK.warmup_s} s warm-up, ${QUICK.rounds} round;
                           prints only, never writes docs/benchmarks.md
  --engine pglite|postgres|both
                           which database (default postgres: a scratch database, created and dropped)
  --workload LIST          comma-separated workloads, or all (default all):
                             read      balances of one customer's account
                             pay       payments by one customer under one payment consent
                             pay-many  payments spread over --customers customers, each under their own consent
  --customers N            customers in pay-many, 2–${CUSTOMERS_MAX.toLocaleString('en-US')} (default ${FULL.customers}; --quick ${QUICK.customers})
  --connections LIST       comma-separated concurrency levels, 1–${CONNECTIONS_MAX.toLocaleString('en-US')} (default ${FULL.connections.join(',')})
  --duration S             seconds of each measured run, 1–${DURATION_S_MAX} (default ${FULL.duration_s})
  --warmup S               seconds of warm-up per path and level, 0–60 (default ${FULL.warmup_s})
  --rounds N               measured runs per path and level, alternating ABBA; the overhead is the median of the rounds, 1–${ROUNDS_MAX} (default ${FULL.rounds})
  --out FILE               write the report as the api section of FILE (default docs/benchmarks.md on a
                           full run; only the part between the bench:api markers is replaced)
  -h, --help               this text`;

function parseConnections(raw: string): number[] {
  const levels = raw.split(',').map((part) => parseInteger(part.trim(), '--connections', 1, CONNECTIONS_MAX));
  if (new Set(levels).size !== levels.length) throw new UsageError(`--connections lists a level twice: "${raw}"`);
  return levels;
}

function parseWorkloads(raw: string): WorkloadKey[] {
  if (raw === 'all') return [...WORKLOAD_KEYS];
  const list = raw.split(',').map((w) => w.trim());
  for (const w of list) {
    if (!(WORKLOAD_KEYS as readonly string[]).includes(w)) throw new UsageError(`--workload takes ${WORKLOAD_KEYS.join(', ')} (comma-separated) or all, got "${w}"`);
  }
  if (new Set(list).size !== list.length) throw new UsageError(`--workload lists a workload twice: "${raw}"`);
  return WORKLOAD_KEYS.filter((w) => list.includes(w));
}

export function parseOptions(args: readonly string[]): ApiBenchOptions {
  const options: ApiBenchOptions = { quick: false, engines: ['postgres'], workloads: [...WORKLOAD_KEYS], sizes: { ...FULL }, out: undefined, help: false };
  const given: Partial<Sizes> = {};
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    switch (option.name) {
      case '--engine':
        options.engines = parseEngines(option.value());
        break;
      case '--workload':
        options.workloads = parseWorkloads(option.value());
        break;
      case '--connections':
        given.connections = parseConnections(option.value());
        break;
      case '--duration':
        given.duration_s = parseInteger(option.value(), '--duration', 1, DURATION_S_MAX);
        break;
      case '--warmup':
        given.warmup_s = parseInteger(option.value(), '--warmup', 0, 60);
        break;
      case '--customers':
        given.customers = parseInteger(option.value(), '--customers', 2, CUSTOMERS_MAX);
        break;
      case '--rounds':
        given.rounds = parseInteger(option.value(), '--rounds', 1, ROUNDS_MAX);
        break;
      default:
        unknownOption(option.name);
    }
  });
  // --quick sets the defaults; any size given explicitly still wins (e.g. --quick --engine pglite --connections 4).
  options.sizes = { ...(options.quick ? QUICK : FULL), ...given };
  return options;
}

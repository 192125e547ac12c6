/** Command-line options of the risk benchmark, validated with clear errors. */
import { commonOption, parseInteger, unknownOption, UsageError, walkOptions } from '../lib/options.js';

export { UsageError };

export interface Sizes {
  /** Past events stored before the engine starts (the history it rebuilds its features from). */
  events: number;
  /** Decisions in flight at once, in-process (engine and baseline alike). */
  in_flight: number;
  /** HTTP connections, one request in flight each. */
  connections: number;
  /** In-process engine: warm-up decisions, then at most `decisions` measured, stopped early after `seconds`. */
  warmup: number;
  decisions: number;
  /** Per-feature-query baseline: the same, with its own counts. */
  baseline_warmup: number;
  baseline_decisions: number;
  /** Each closed-loop run stops taking new events after this many seconds. */
  seconds: number;
  /** HTTP: exactly this many requests (warm-up, then measured). */
  http_warmup: number;
  http_decisions: number;
  /** Events whose decision is taken apart part by part (features, graph, model, rules). */
  anatomy_events: number;
  /** Events whose features are computed both by the engine and by SQL, and compared. */
  check_events: number;
  /** Genuine events sampled for training one in `train_every` (every fraud event is kept). */
  train_every: number;
  /** The server's start (its feature rebuild) may take this long. */
  server_start_ms_max: number;
  /** Upper bound on one HTTP run; hitting it fails the run. */
  http_time_max_ms: number;
}

export interface RiskBenchOptions {
  quick: boolean;
  seed: number;
  sizes: Sizes;
  /** Markdown report; undefined means docs/benchmarks.md for a full run, none for --quick. */
  out: string | undefined;
  help: boolean;
}

export const EVENTS_MIN = 10_000;
export const EVENTS_MAX = 3_000_000;
export const DECISIONS_MAX = 2_000_000;
export const IN_FLIGHT_MAX = 1_024;
export const SECONDS_MAX = 600;
export const DEFAULT_SEED = 20_261_129;

const FULL: Sizes = {
  events: 1_000_000,
  in_flight: 64,
  connections: 64,
  warmup: 3_000,
  decisions: 200_000,
  baseline_warmup: 500,
  baseline_decisions: 50_000,
  seconds: 30,
  http_warmup: 2_000,
  http_decisions: 30_000,
  anatomy_events: 2_000,
  check_events: 300,
  train_every: 20,
  server_start_ms_max: 900_000,
  http_time_max_ms: 900_000,
};

/** CI smoke sizes: every phase runs, on a history small enough to load in seconds. */
const QUICK: Sizes = {
  events: 20_000,
  in_flight: 64,
  connections: 32,
  warmup: 300,
  decisions: 3_000,
  baseline_warmup: 100,
  baseline_decisions: 1_000,
  seconds: 10,
  http_warmup: 200,
  http_decisions: 1_000,
  anatomy_events: 300,
  check_events: 50,
  train_every: 2,
  server_start_ms_max: 120_000,
  http_time_max_ms: 60_000,
};

const n = (x: number) => x.toLocaleString('en-US');

export const USAGE = `usage: npm run bench:risk -- [options]
       npm run bench -- risk [options]

Real-time risk decisions on PostgreSQL (a scratch database per run): the default 10 rules,
20 velocity features, a scorecard model and graph features, over a stored history of
simulated events. Measures the engine's start (feature rebuild) and memory, decisions
in-process (RiskEngine.decide) and through HTTP (capillary serve), and a baseline that
computes the same features with one SQL query per feature.

  --quick                  tiny sizes (a CI smoke run: ${n(QUICK.events)} past events, ${n(QUICK.decisions)} decisions);
                           prints only, never writes docs/benchmarks.md
  --events N               past events stored before the engine starts, ${n(EVENTS_MIN)}–${n(EVENTS_MAX)} (default ${n(FULL.events)})
  --decisions N            in-process: at most N measured decisions (default ${n(FULL.decisions)}; the run also stops at --seconds)
  --baseline-decisions N   baseline: at most N measured decisions (default ${n(FULL.baseline_decisions)}; also stops at --seconds)
  --http-decisions N       HTTP: exactly N measured requests (default ${n(FULL.http_decisions)})
  --seconds S              a closed-loop run stops taking new events after S seconds, 1–${SECONDS_MAX} (default ${FULL.seconds})
  --in-flight N            decisions in flight in-process, engine and baseline, 1–${IN_FLIGHT_MAX} (default ${FULL.in_flight})
  --connections N          HTTP connections, 1–${IN_FLIGHT_MAX} (default ${FULL.connections})
  --seed N                 simulator seed (default ${DEFAULT_SEED})
  --out FILE               write the report as the risk section of FILE (default docs/benchmarks.md
                           on a full run; only the part between the bench:risk markers is replaced)
  -h, --help               this text`;

type Given = Partial<Pick<Sizes, 'events' | 'decisions' | 'baseline_decisions' | 'http_decisions' | 'seconds' | 'in_flight' | 'connections'>>;

const FLAG_OF: Record<keyof Given, string> = {
  events: '--events',
  decisions: '--decisions',
  baseline_decisions: '--baseline-decisions',
  http_decisions: '--http-decisions',
  seconds: '--seconds',
  in_flight: '--in-flight',
  connections: '--connections',
};

export function parseOptions(args: readonly string[]): RiskBenchOptions {
  const options: RiskBenchOptions = { quick: false, seed: DEFAULT_SEED, sizes: { ...FULL }, out: undefined, help: false };
  const given: Given = {};
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    switch (option.name) {
      case '--events':
        given.events = parseInteger(option.value(), option.name, EVENTS_MIN, EVENTS_MAX);
        break;
      case '--decisions':
        given.decisions = parseInteger(option.value(), option.name, 100, DECISIONS_MAX);
        break;
      case '--baseline-decisions':
        given.baseline_decisions = parseInteger(option.value(), option.name, 100, DECISIONS_MAX);
        break;
      case '--http-decisions':
        given.http_decisions = parseInteger(option.value(), option.name, 100, DECISIONS_MAX);
        break;
      case '--seconds':
        given.seconds = parseInteger(option.value(), option.name, 1, SECONDS_MAX);
        break;
      case '--in-flight':
        given.in_flight = parseInteger(option.value(), option.name, 1, IN_FLIGHT_MAX);
        break;
      case '--connections':
        given.connections = parseInteger(option.value(), option.name, 1, IN_FLIGHT_MAX);
        break;
      case '--seed':
        options.seed = parseInteger(option.value(), option.name, 0, 2 ** 31 - 1);
        break;
      default:
        unknownOption(option.name);
    }
  });
  if (options.quick) {
    const sized = (Object.keys(given) as (keyof Given)[]).map((k) => FLAG_OF[k]);
    if (sized.length > 0) throw new UsageError(`--quick sets its own sizes; drop ${sized.join(', ')}`);
    options.sizes = { ...QUICK };
    return options;
  }
  const sizes: Sizes = { ...FULL, ...given };
  // A smaller history than the default trains on a denser sample, so the model still sees enough fraud.
  sizes.train_every = Math.max(1, Math.min(FULL.train_every, Math.round((FULL.train_every * sizes.events) / FULL.events)));
  if (sizes.connections > sizes.http_decisions) throw new UsageError(`--connections ${sizes.connections} is more than --http-decisions ${sizes.http_decisions}`);
  options.sizes = sizes;
  return options;
}

/** Command-line options of the red-envelope benchmark, validated with clear errors. */
import { SHARES_MAX } from '../../src/envelopes/core.js';
import { commonOption, parseEngines, parseInteger, unknownOption, UsageError, walkOptions, type EngineName } from '../lib/options.js';
import { SCENARIO_KEYS, type ScenarioKey, type Sizes } from './scenario.js';

export interface EnvelopeBenchOptions {
  quick: boolean;
  engines: EngineName[];
  scenarios: ScenarioKey[];
  sizes: Sizes;
  /** Markdown report; undefined means docs/benchmarks.md for a full run, none for --quick. */
  out: string | undefined;
  help: boolean;
}

export const USERS_MIN = 100;
export const USERS_MAX = 100_000;
export const ENVELOPES_MAX = 1_000;
export const CONNECTIONS_MAX = 1_000;

const FULL: Sizes = { users: 10_000, shares: 10_000, envelopes: 100, connections: [64, 256], warmup_users: 1_000, time_max_ms: 600_000 };
/** CI smoke sizes: more users than shares, so the envelope_empty path and its check run too. */
const QUICK: Sizes = { users: 300, shares: 250, envelopes: 10, connections: [32], warmup_users: 64, time_max_ms: 30_000 };

export const USAGE = `usage: npm run bench:envelopes -- [options]
       npm run bench -- envelopes [options]

Red envelopes through HTTP: the real server (capillary serve) against a naive
transaction-per-grab baseline server, driven by the same load generator in this process.

  --quick                  tiny sizes (a CI smoke run: ${QUICK.users} users, ${QUICK.shares} shares, ${QUICK.envelopes} envelopes,
                           ${QUICK.connections.join(',')} connections); prints only, never writes docs/benchmarks.md
  --engine pglite|postgres|both
                           which database to measure (default both)
  --scenario hot|many|both which scenarios (default both): hot = one envelope, many = --envelopes at once
  --users N                distinct customers per run, each grabbing once into their own account,
                           ${USERS_MIN.toLocaleString('en-US')}–${USERS_MAX.toLocaleString('en-US')} (default ${FULL.users.toLocaleString('en-US')})
  --shares N               shares per run: the hot envelope's, split evenly over the envelopes of "many",
                           1–${SHARES_MAX.toLocaleString('en-US')} (default: --users, at most ${SHARES_MAX.toLocaleString('en-US')}); fewer shares than users
                           means envelope_empty answers
  --envelopes N            envelopes grabbed at once in "many", 2–${ENVELOPES_MAX.toLocaleString('en-US')} (default ${FULL.envelopes})
  --connections LIST       comma-separated concurrency levels (HTTP connections, one request in flight
                           each), 1–${CONNECTIONS_MAX.toLocaleString('en-US')} (default ${FULL.connections.join(',')})
  --out FILE               write the report as the envelopes section of FILE (default docs/benchmarks.md
                           on a full run; only the part between the bench:envelopes markers is replaced)
  -h, --help               this text`;

export { UsageError };

function parseConnections(raw: string): number[] {
  const levels = raw.split(',').map((part) => parseInteger(part.trim(), '--connections', 1, CONNECTIONS_MAX));
  if (new Set(levels).size !== levels.length) throw new UsageError(`--connections lists a level twice: "${raw}"`);
  return levels;
}

function parseScenarios(raw: string): ScenarioKey[] {
  if (raw === 'both') return [...SCENARIO_KEYS];
  if ((SCENARIO_KEYS as readonly string[]).includes(raw)) return [raw as ScenarioKey];
  throw new UsageError(`--scenario must be hot, many or both, got "${raw}"`);
}

export function parseOptions(args: readonly string[]): EnvelopeBenchOptions {
  const options: EnvelopeBenchOptions = { quick: false, engines: ['postgres', 'pglite'], scenarios: [...SCENARIO_KEYS], sizes: { ...FULL }, out: undefined, help: false };
  const given: Partial<Pick<Sizes, 'users' | 'shares' | 'envelopes' | 'connections'>> = {};
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    switch (option.name) {
      case '--engine':
        options.engines = parseEngines(option.value());
        break;
      case '--scenario':
        options.scenarios = parseScenarios(option.value());
        break;
      case '--users':
        given.users = parseInteger(option.value(), '--users', USERS_MIN, USERS_MAX);
        break;
      case '--shares':
        given.shares = parseInteger(option.value(), '--shares', 1, SHARES_MAX);
        break;
      case '--envelopes':
        given.envelopes = parseInteger(option.value(), '--envelopes', 2, ENVELOPES_MAX);
        break;
      case '--connections':
        given.connections = parseConnections(option.value());
        break;
      default:
        unknownOption(option.name);
    }
  });
  if (options.quick) {
    const sized = Object.keys(given);
    if (sized.length > 0) throw new UsageError(`--quick sets its own sizes; drop ${sized.map((k) => `--${k}`).join(', ')}`);
    options.sizes = { ...QUICK };
    return options;
  }
  const users = given.users ?? FULL.users;
  const sizes: Sizes = {
    ...FULL,
    users,
    shares: given.shares ?? Math.min(users, SHARES_MAX),
    envelopes: given.envelopes ?? FULL.envelopes,
    connections: given.connections ?? FULL.connections,
    warmup_users: Math.min(FULL.warmup_users, users),
  };
  if (options.scenarios.includes('many') && sizes.shares < sizes.envelopes) {
    throw new UsageError(`"many" needs at least one share per envelope: --shares ${sizes.shares} < --envelopes ${sizes.envelopes}`);
  }
  const tooMany = sizes.connections.find((c) => c > users);
  if (tooMany !== undefined) throw new UsageError(`--connections ${tooMany} is more than --users ${users}: every connection needs a grab to send`);
  options.sizes = sizes;
  return options;
}

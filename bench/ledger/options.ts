/** Command-line options of the ledger benchmark, validated with clear errors. */
import { commonOption, parseEngines, parseInteger, unknownOption, UsageError, walkOptions, type EngineName } from '../lib/options.js';

export { UsageError, type EngineName };

export interface LedgerBenchOptions {
  quick: boolean;
  engines: EngineName[];
  /** Write-path transfers per scenario; undefined means each engine's default. */
  transfers: number | undefined;
  /** Markdown report; undefined means docs/benchmarks.md for a full run, none for --quick. */
  out: string | undefined;
  help: boolean;
}

export const TRANSFERS_MIN = 1_000;
export const TRANSFERS_MAX = 5_000_000;

export const USAGE = `usage: npm run bench:ledger -- [options]
       npm run bench -- ledger [options]

  --quick                  tiny sizes (a smoke run for CI); prints only, never writes docs/benchmarks.md
  --engine pglite|postgres|both
                           which database to measure (default both)
  --transfers N            write-path transfers per scenario, ${TRANSFERS_MIN.toLocaleString('en-US')}–${TRANSFERS_MAX.toLocaleString('en-US')}
                           (default: 200,000 on PostgreSQL, 100,000 on PGlite; baselines and HTTP scale from it)
  --out FILE               write the report as the ledger section of FILE (default docs/benchmarks.md on a full run;
                           only the part between the bench:ledger markers is replaced)
  -h, --help               this text`;

export function parseOptions(args: readonly string[]): LedgerBenchOptions {
  const options: LedgerBenchOptions = { quick: false, engines: ['postgres', 'pglite'], transfers: undefined, out: undefined, help: false };
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    switch (option.name) {
      case '--engine':
        options.engines = parseEngines(option.value());
        break;
      case '--transfers':
        options.transfers = parseInteger(option.value(), '--transfers', TRANSFERS_MIN, TRANSFERS_MAX);
        break;
      default:
        unknownOption(option.name);
    }
  });
  if (options.quick && options.transfers !== undefined) throw new UsageError('--quick sets its own sizes; drop --transfers');
  return options;
}

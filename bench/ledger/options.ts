/** Command-line options of the ledger benchmark, validated with clear errors. */

export type EngineName = 'pglite' | 'postgres';

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
  --out FILE               write the Markdown report to FILE (default docs/benchmarks.md on a full run)
  -h, --help               this text`;

export class UsageError extends Error {}

export function parseOptions(args: readonly string[]): LedgerBenchOptions {
  const options: LedgerBenchOptions = { quick: false, engines: ['postgres', 'pglite'], transfers: undefined, out: undefined, help: false };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${name} needs a value`);
      i++;
      return next;
    };
    if (seen.has(name)) throw new UsageError(`${name} given twice`);
    seen.add(name);
    switch (name) {
      case '--quick':
        if (inline !== undefined) throw new UsageError('--quick takes no value');
        options.quick = true;
        break;
      case '--engine': {
        const engine = value();
        if (engine === 'both') options.engines = ['postgres', 'pglite'];
        else if (engine === 'pglite' || engine === 'postgres') options.engines = [engine];
        else throw new UsageError(`--engine must be pglite, postgres or both, got "${engine}"`);
        break;
      }
      case '--transfers': {
        const raw = value();
        const n = Number(raw.replace(/[_,]/g, ''));
        if (!/^[0-9][0-9_,]*$/.test(raw) || !Number.isSafeInteger(n) || n < TRANSFERS_MIN || n > TRANSFERS_MAX) {
          throw new UsageError(`--transfers must be an integer from ${TRANSFERS_MIN} to ${TRANSFERS_MAX}, got "${raw}"`);
        }
        options.transfers = n;
        break;
      }
      case '--out': {
        const out = value();
        if (out.trim() === '') throw new UsageError('--out needs a file name');
        options.out = out;
        break;
      }
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (options.quick && options.transfers !== undefined) throw new UsageError('--quick sets its own sizes; drop --transfers');
  return options;
}

/** Command-line options of the COB benchmark. */
import { commonOption, parseInteger, unknownOption, UsageError, walkOptions } from '../lib/options.js';

export { UsageError };

export interface CobBenchOptions {
  quick: boolean;
  /** Active loans in the book COB closes a day for. */
  loans: number;
  /** Loans the per-loan baseline closes the same day for (twins of the first ones). */
  sample: number;
  /** Loans per chunk (one writer transaction). */
  chunk_loans: number;
  out: string | undefined;
  help: boolean;
}

export const LOANS_MAX = 3_000_000;
export const SAMPLE_MAX = 50_000;

export const USAGE = `npm run bench:cob -- [--quick] [--loans N] [--sample N] [--chunk N] [--out FILE]

  One close-of-business day for a book of N active loans on a scratch PostgreSQL database
  (${'1,000,000'} by default), set-based in chunks; and the same day for a sample of twin loans
  the per-loan way (one transaction per loan per step, through the ledger's submit path),
  measured in the same run. A full run writes its section of docs/benchmarks.md.

  --quick       2,000 loans, a sample of 200 (CI smoke run; prints only)
  --loans N     active loans (1,000..${LOANS_MAX.toLocaleString('en-US')})
  --sample N    loans in the per-loan baseline (10..${SAMPLE_MAX.toLocaleString('en-US')}; default 2,000)
  --chunk N     loans per chunk (100..8,189; default 8,000; collection takes a quarter)
  --out FILE    write the Markdown report there instead`;

export function parseOptions(args: readonly string[]): CobBenchOptions {
  const options: CobBenchOptions = { quick: false, loans: 0, sample: 0, chunk_loans: 8_000, out: undefined, help: false };
  let loans: number | undefined;
  let sample: number | undefined;
  walkOptions(args, (option) => {
    if (commonOption(option, options)) return;
    switch (option.name) {
      case '--loans':
        loans = parseInteger(option.value(), '--loans', 1_000, LOANS_MAX);
        return;
      case '--sample':
        sample = parseInteger(option.value(), '--sample', 10, SAMPLE_MAX);
        return;
      case '--chunk':
        options.chunk_loans = parseInteger(option.value(), '--chunk', 100, 8_189);
        return;
      default:
        unknownOption(option.name);
    }
  });
  options.loans = loans ?? (options.quick ? 2_000 : 1_000_000);
  options.sample = sample ?? (options.quick ? 200 : 2_000);
  if (options.sample > options.loans) throw new UsageError('--sample must not exceed --loans');
  return options;
}

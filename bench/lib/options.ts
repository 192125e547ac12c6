/** The shared part of every benchmark's command line: walking the arguments, clear errors, common value types. */

export class UsageError extends Error {}

export type EngineName = 'pglite' | 'postgres';

export interface OptionArg {
  /** `--name` (without any `=value`), or the bare argument. */
  name: string;
  /** The option's value: `--name=value` or the next argument; a UsageError if there is none. */
  value(): string;
  /** Asserts the option takes no value (`--quick=1` is an error). */
  flag(): void;
}

/** Calls `on` once per option; an option given twice is a UsageError. `on` throws UsageError for unknown names. */
export function walkOptions(args: readonly string[], on: (option: OptionArg) => void): void {
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (seen.has(name)) throw new UsageError(`${name} given twice`);
    seen.add(name);
    on({
      name,
      value: () => {
        if (inline !== undefined) return inline;
        const next = args[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${name} needs a value`);
        i++;
        return next;
      },
      flag: () => {
        if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      },
    });
  }
}

export const unknownOption = (name: string): never => {
  throw new UsageError(`unknown option "${name}"`);
};

/** An integer in [min, max]; `_` and `,` group digits (10_000, 10,000). */
export function parseInteger(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!/^[0-9][0-9_,]*$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got "${raw}"`);
  }
  return n;
}

/** pglite | postgres | both → the engines to run, PostgreSQL first. */
export function parseEngines(raw: string): EngineName[] {
  if (raw === 'both') return ['postgres', 'pglite'];
  if (raw === 'pglite' || raw === 'postgres') return [raw];
  throw new UsageError(`--engine must be pglite, postgres or both, got "${raw}"`);
}

export function parseOutFile(raw: string): string {
  if (raw.trim() === '') throw new UsageError('--out needs a file name');
  return raw;
}

/**
 * What every benchmark's main does first: parse the options (a usage error prints the
 * message and USAGE, exit 2), answer --help (exit 0), and decide where the report goes (a
 * full run writes `defaultOut`; --quick prints only and may not write there). Returns the
 * options and output file, or the exit code to stop with.
 */
export function startRun<O extends { help: boolean; quick: boolean; out?: string | undefined }>(
  name: string,
  args: readonly string[],
  parse: (args: readonly string[]) => O,
  usage: string,
  defaultOut: string,
  resolvePath: (path: string) => string,
): { options: O; out: string | undefined } | number {
  let options: O;
  try {
    options = parse(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`bench ${name}: ${err.message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const out = options.out !== undefined ? resolvePath(options.out) : options.quick ? undefined : defaultOut;
  if (options.quick && out === defaultOut) {
    console.error(`bench ${name}: --quick figures are smoke-test sizes and never go to docs/benchmarks.md; pick another --out`);
    return 2;
  }
  return { options, out };
}

/** The options every benchmark takes (--quick, --out, -h/--help); true if `option` was one of them. */
export function commonOption(option: OptionArg, options: { quick: boolean; out?: string | undefined; help: boolean }): boolean {
  switch (option.name) {
    case '--quick':
      option.flag();
      options.quick = true;
      return true;
    case '--out':
      options.out = parseOutFile(option.value());
      return true;
    case '-h':
    case '--help':
      options.help = true;
      return true;
    default:
      return false;
  }
}

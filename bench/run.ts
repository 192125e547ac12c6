/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]`. Each benchmark is a module
 * under bench/ exporting `main(args, command)`; add it to BENCHMARKS to plug it in.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

interface Benchmark {
  main(args: readonly string[], command?: string): Promise<number>;
}

const BENCHMARKS: Record<string, { describe: string; load: () => Promise<Benchmark> }> = {
  ledger: { describe: 'batched ledger write path vs naive and raw baselines, in-process and over HTTP', load: () => import('./ledger.js') },
  envelopes: { describe: 'red-envelope grabs through HTTP (hot envelope, many envelopes) vs a naive transaction-per-grab server', load: () => import('./envelopes.js') },
  cob: { describe: 'one close-of-business day for 1,000,000 loans on PostgreSQL, set-based in chunks, vs a per-loan-transaction baseline', load: () => import('./cob.js') },
  risk: { describe: 'real-time risk decisions on 1,000,000 stored events: engine start, in-process and HTTP vs a per-feature SQL baseline', load: () => import('./risk.js') },
  api: { describe: 'the open-banking layer\'s cost: balances and payments with a customer\'s OAuth token vs the same ledger calls with an API key, over HTTP', load: () => import('./api.js') },
  app: { describe: 'cold loads of the customer app and the operator console in Chromium: time to first screen, and first-screen JavaScript', load: () => import('./app.js') },
};

const usage = () =>
  `usage: npm run bench -- <name> [options]   (npm run bench -- <name> --help for its options)\n\n` +
  Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(10)} ${b.describe}`).join('\n');

export async function run(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const benchmark = BENCHMARKS[name];
  if (!benchmark) {
    console.error(`unknown benchmark "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await benchmark.load()).main(args, `npm run bench -- ${argv.join(' ')}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await run(process.argv.slice(2));
}

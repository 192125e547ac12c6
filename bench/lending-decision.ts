/**
 * How long a loan application takes to decide: `npm run build && node dist/bench/lending-decision.js
 * [--applications 200] [--concurrency 1] [--engine pglite|postgres]`.
 *
 * The real app in this process (embedded PGlite in memory, or a scratch PostgreSQL database
 * on CAPILLARY_BENCH_PG_URL / the local server), one product, and half the applicants
 * existing customers with account history (the decision reads their 90-day turnover from
 * the ledger), half new. Each application goes through HTTP (POST /v1/loan-applications):
 * the latency is the client's, from sending the request to the decided answer; the server's
 * own `decision_ms` (receipt to decision, before the write) is reported beside it. A quick
 * measurement for docs/lending.md, not a throughput benchmark.
 */
import type { AddressInfo } from 'node:net';
import { uuidv7 } from '../src/db/uuid.js';
import { openDb } from '../src/db/open.js';
import { migrate } from '../src/db/migrate.js';
import { createScratchDatabase, type ScratchDatabase } from '../src/db/scratch.js';
import { createKey } from '../src/auth/store.js';
import { buildApp } from '../src/server/app.js';
import { systemClock } from '../src/server/clock.js';
import { percentile, seededRandom, fmtMs } from './lib/stats.js';

interface Options {
  applications: number;
  concurrency: number;
  engine: 'pglite' | 'postgres';
}

function parse(argv: string[]): Options {
  const o: Options = { applications: 200, concurrency: 1, engine: 'pglite' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--applications') o.applications = Number(value);
    else if (flag === '--concurrency') o.concurrency = Number(value);
    else if (flag === '--engine' && (value === 'pglite' || value === 'postgres')) o.engine = value;
    else throw new Error(`usage: lending-decision [--applications N] [--concurrency N] [--engine pglite|postgres] (got ${flag})`);
  }
  if (!Number.isInteger(o.applications) || o.applications < 1 || !Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error('--applications and --concurrency are positive integers');
  return o;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  let scratch: ScratchDatabase | undefined;
  if (options.engine === 'postgres') scratch = await createScratchDatabase(process.env.CAPILLARY_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres', 'capillary_bench_lending');
  const db = await openDb({ database_url: scratch?.url, data_dir: 'memory' });
  try {
    await migrate(db);
    const app = await buildApp({ db, clock: systemClock, log_level: 'silent' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { token } = await createKey(db, 'bench', ['admin'], new Date());
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    try {
      await app.lending.start(); // the credit model, trained once per database
      await call('PUT', '/v1/loan-products/bench-sme', {
        name: 'Bench SME', currency: 'CNY', amount_min_minor: '1000000', amount_max_minor: '50000000', term_min_periods: 3, term_max_periods: 36,
        annual_rate_percent: '12', day_count: '30/360', repayment_method: 'annuity', frequency: 'monthly', grace_days: 3, penalty_annual_rate_percent: '18',
      });
      const cash = uuidv7();
      await call('POST', '/v1/accounts', { id: cash, currency: 'CNY', code: 1001 });
      const random = seededRandom(7);
      const applicants: Record<string, unknown>[] = [];
      for (let i = 0; i < options.applications; i++) {
        const account = uuidv7();
        await call('POST', '/v1/accounts', { id: account, currency: 'CNY', code: 2001, flags: { debits_must_not_exceed_credits: true } });
        if (i % 2 === 0) {
          const transfers = Array.from({ length: 20 }, () => ({ id: uuidv7(), debit_account_id: cash, credit_account_id: account, amount: String(10_000 + Math.floor(random() * 500_000)), code: 1 }));
          await call('POST', '/v1/transfers', transfers);
        }
        applicants.push({
          id: uuidv7(),
          customer_id: `bench-${i}`,
          account_id: account,
          product_id: 'bench-sme',
          amount: String(1_000_000 + Math.floor(random() * 40_000_000)),
          term: 3 + Math.floor(random() * 34),
          business: {
            industry: 'retail',
            months_trading: Math.floor(random() * 200),
            annual_revenue: String(50_000_000 + Math.floor(random() * 900_000_000)),
            existing_debt: String(Math.floor(random() * 100_000_000)),
            owner_age: 20 + Math.floor(random() * 50),
          },
        });
      }
      const client_ms: number[] = [];
      const decision_ms: number[] = [];
      const statuses = new Map<string, number>();
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          for (;;) {
            const i = next++;
            if (i >= applicants.length) return;
            const t0 = performance.now();
            const answer = await call('POST', '/v1/loan-applications', applicants[i]);
            client_ms.push(performance.now() - t0);
            decision_ms.push(answer.decision_ms as number);
            statuses.set(answer.status as string, (statuses.get(answer.status as string) ?? 0) + 1);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const row = (name: string, xs: number[]) => `| ${name} | ${fmtMs(percentile(xs, 50))} | ${fmtMs(percentile(xs, 99))} | ${fmtMs(Math.max(...xs))} |`;
      console.log(`\n${options.applications} applications on ${options.engine}, ${options.concurrency} at a time, ${(options.applications / seconds).toFixed(0)} a second; ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}\n`);
      console.log('| latency (ms) | p50 | p99 | max |');
      console.log('|---|---|---|---|');
      console.log(row('client: POST /v1/loan-applications → decided answer', client_ms));
      console.log(row('server: decision_ms (receipt → decision)', decision_ms));
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    await scratch?.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

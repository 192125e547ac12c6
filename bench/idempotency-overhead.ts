/**
 * What an Idempotency-Key costs on POST /v1/transfers: the same single-transfer requests
 * with and without a fresh key each, and repeats of keys already used (replays), against
 * `capillary serve` in a child process, driven by autocannon from this process.
 * Rounds alternate (without, with, replay) so drift hits each mode alike.
 *
 *   npm run build && node dist/bench/idempotency-overhead.js [--engine postgres|pglite] [--requests N] [--connections C] [--rounds R]
 *
 * Prints a table; writes nothing. Not a test: a measurement.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { CapillaryServer, createApiKey, type ServerStorage } from './lib/capillary-server.js';
import { createPgDatabase, createTempDir } from './lib/database.js';
import { openDb } from '../src/db/open.js';
import { migrate } from '../src/db/migrate.js';
import { uuidv7 } from '../src/db/uuid.js';
import { fmtInt, fmtMs, latencySummary } from './lib/stats.js';

type Mode = 'no key' | 'fresh key' | 'replayed key';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const engine = arg('engine', 'postgres') as 'postgres' | 'pglite';
const requests = Number(arg('requests', '10000'));
const connections = Number(arg('connections', '64'));
const rounds = Number(arg('rounds', '3'));
const ACCOUNTS = 1000;

interface Run {
  mode: Mode;
  seconds: number;
  latencies_ms: number[];
  non2xx: number;
}

function load(url: string, token: string, mode: Mode, accounts: string[], usedKeys: string[]): Promise<Run> {
  let i = 0;
  const latencies_ms: number[] = [];
  let non2xx = 0;
  const started = performance.now();
  let last = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        amount: requests,
        timeout: 60,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => {
              const n = i++;
              const debit = accounts[n % accounts.length]!;
              const credit = accounts[(n * 7 + 1) % accounts.length]!;
              const headers: Record<string, string> = { ...(request.headers as Record<string, string>) };
              let body: string;
              if (mode === 'replayed key') {
                // Repeat an earlier fresh-key request exactly: same key, same body.
                const used = usedKeys[n % usedKeys.length]!;
                const [key, sent] = used.split('\n') as [string, string];
                headers['idempotency-key'] = key;
                body = sent;
              } else {
                body = JSON.stringify({ id: uuidv7(), debit_account_id: debit, credit_account_id: credit === debit ? accounts[(n + 1) % accounts.length] : credit, amount: '1', code: 1 });
                if (mode === 'fresh key') {
                  const key = randomUUID();
                  headers['idempotency-key'] = key;
                  if (usedKeys.length < 20_000) usedKeys.push(`${key}\n${body}`);
                }
              }
              return { ...request, method: 'POST', path: '/v1/transfers', headers, body };
            },
          },
        ],
      },
      (err) => {
        if (err) return reject(err);
        resolve({ mode, seconds: (last - started) / 1000, latencies_ms, non2xx });
      },
    );
    instance.on('response', (_c, status, _b, ms) => {
      latencies_ms.push(ms);
      last = performance.now();
      if (status < 200 || status > 299) non2xx++;
    });
  });
}

async function main(): Promise<void> {
  let storage: ServerStorage;
  let drop: () => Promise<void>;
  if (engine === 'postgres') {
    const database = await createPgDatabase();
    storage = { engine: 'postgres', database_url: database.url };
    drop = () => database.drop();
  } else {
    const dir = await createTempDir('capillary-idem-');
    storage = { engine: 'pglite', data_dir: dir.path };
    drop = () => dir.remove();
  }
  let server: CapillaryServer | undefined;
  try {
    const db = await openDb(storage.engine === 'postgres' ? { database_url: storage.database_url, data_dir: 'unused' } : { data_dir: storage.data_dir });
    await migrate(db);
    await db.close();
    const token = await createApiKey(storage, 'idem-bench', ['ledger:read', 'ledger:write']);
    server = await CapillaryServer.start(storage);
    const accounts = Array.from({ length: ACCOUNTS }, () => uuidv7());
    const res = await fetch(`${server.url}/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(accounts.map((id) => ({ id, currency: 'USD', code: 2001 }))),
    });
    if (res.status !== 200) throw new Error(`account setup failed: ${res.status} ${await res.text()}`);

    const usedKeys: string[] = [];
    await load(server.url, token, 'no key', accounts, usedKeys); // warm-up (JIT, pools)
    await load(server.url, token, 'fresh key', accounts, usedKeys);
    const runs: Run[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['no key', 'fresh key', 'replayed key'] as Mode[]) runs.push(await load(server.url, token, mode, accounts, usedKeys));
    }
    console.log(`\nIdempotency-Key overhead · POST /v1/transfers (one transfer each) · ${engine} · ${connections} connections · ${rounds} rounds × ${fmtInt(requests)} requests per mode\n`);
    console.log('| mode | requests | seconds | requests/s | p50 ms | p99 ms | non-2xx |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const summary: Record<string, number> = {};
    for (const mode of ['no key', 'fresh key', 'replayed key'] as Mode[]) {
      const mine = runs.filter((x) => x.mode === mode);
      const seconds = mine.reduce((s, x) => s + x.seconds, 0);
      const lat = latencySummary(mine.flatMap((x) => x.latencies_ms));
      const count = mine.reduce((s, x) => s + x.latencies_ms.length, 0);
      summary[mode] = count / seconds;
      console.log(`| ${mode} | ${fmtInt(count)} | ${seconds.toFixed(2)} | **${fmtInt(count / seconds)}** | ${fmtMs(lat.p50_ms)} | ${fmtMs(lat.p99_ms)} | ${mine.reduce((s, x) => s + x.non2xx, 0)} |`);
    }
    const ratio = summary['fresh key']! / summary['no key']!;
    console.log(`\nfresh key ÷ no key throughput: ${ratio.toFixed(3)} (overhead ${((1 - ratio) * 100).toFixed(1)}%)`);
  } finally {
    await server?.stop();
    await drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

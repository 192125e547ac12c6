/**
 * COB killed for real: `capillary cob run` in a child process on PostgreSQL, SIGKILLed in
 * the middle of a business date (chunks committed, others not); a second process started
 * meanwhile is refused while the first one's lease is fresh; `--take-over` then resumes the
 * date and closes the rest. Nothing is accrued, collected or charged twice: the loans, the
 * ledger and the reference model agree to the minor unit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/open.js';
import type { Db } from '../../src/db/port.js';
import { Ledger } from '../../src/ledger/service.js';
import { bankAccount } from '../../src/lending/accounts.js';
import { addDays, businessDate } from '../../src/lending/dates.js';
import { systemClock } from '../../src/server/clock.js';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { CLI_JS, ROOT } from '../helpers/env.js';
import { killAll, runCli } from '../helpers/proc.js';
import { createLoans, debitBalances, ledgerMismatches, product, withdrawAll, type TestLoan } from '../helpers/lending-cob.js';
import { BookModel, modelMismatches } from '../helpers/lending-cob-model.js';
import { spawn } from 'node:child_process';

let dir: TempDir;
let data: PreparedData;
let db: Db;
let ledger: Ledger;
let loans: TestLoan[];
let model: BookModel;

const FIRST = businessDate('2026-01-05');
const LAST = businessDate('2026-02-20');

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData('postgres', dir.path);
  db = await openDb({ database_url: data.env.database_url, data_dir: 'unused' });
  ledger = new Ledger(db, systemClock);
  loans = await createLoans(
    db,
    ledger,
    Array.from({ length: 300 }, (_, i) => ({
      product: product({ grace_days: i % 4 }),
      principal_minor: 200_000n + BigInt(i) * 1_013n,
      term_periods: 3 + (i % 9),
      start_date: addDays(FIRST, i % 25),
      extra_funds_minor: i % 5 === 0 ? 0n : 20_000n,
    })),
  );
  await withdrawAll(db, ledger, loans.filter((_, i) => i % 5 === 0).map((l) => l.account_id), 'CNY');
  const { rows } = await db.query<{ id: string; available: bigint }>(`SELECT id::text AS id, credits_posted - debits_posted AS available FROM accounts WHERE id = ANY($1::uuid[])`, [loans.map((l) => l.account_id)]);
  model = new BookModel(loans, new Map(rows.map((r) => [r.id, r.available])));
}, 120_000);

afterAll(async () => {
  await killAll();
  await ledger?.stop();
  await db?.close();
  await data?.drop();
  dir?.remove();
});

const cob = (extra: string[]) => ['cob', 'run', '--date', FIRST, '--through', LAST, '--chunk-loans', '20', ...extra];

describe('COB killed mid-day on PostgreSQL', { timeout: 600_000 }, () => {
  it('a second process waits for the lease; --take-over resumes the date and nothing is posted twice', async () => {
    const env = { DATABASE_URL: data.env.database_url! };
    const child = spawn(process.execPath, [CLI_JS, ...cob([])], { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill it once some date is part-way: some chunks of a step committed, the step not done.
    let killedAt: string | undefined;
    for (let i = 0; i < 1_200 && !killedAt; i++) {
      const { rows } = await db.query<{ d: string; steps: Record<string, { status: string; done: number }> }>(
        `SELECT business_date::text AS d, steps FROM cob_runs WHERE status = 'running' AND business_date > $1::date`,
        [addDays(FIRST, 3)],
      );
      const partway = rows.find((r) => Object.values(r.steps).some((s) => s.status === 'running' && s.done > 0));
      if (partway) {
        child.kill('SIGKILL');
        killedAt = partway.d;
      } else await new Promise((r) => setTimeout(r, 25));
    }
    await exited;
    expect(killedAt).toBeDefined();
    const { rows: left } = await db.query<{ status: string; steps: Record<string, { status: string }> }>(`SELECT status, steps FROM cob_runs WHERE business_date = $1::date`, [killedAt!]);
    expect(left[0]!.status).toBe('running');

    // The lease (120 s) is still fresh: another process is refused.
    const refused = await runCli(cob([]), env, 120_000);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cob_run_in_progress');

    const resumed = await runCli(cob(['--take-over']), env, 400_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).closed[0]).toBe(killedAt);

    for (let date = FIRST; date <= LAST; date = addDays(date, 1)) model.cobDay(date);
    expect(await ledgerMismatches(db, loans)).toEqual([]);
    expect(await modelMismatches(db, model)).toEqual([]);
    const income = await debitBalances(db, [bankAccount('interest_income', 'CNY'), bankAccount('penalty_income', 'CNY')]);
    expect(-income.get(bankAccount('interest_income', 'CNY'))!).toBe(model.income.interest);
    expect(-income.get(bankAccount('penalty_income', 'CNY'))!).toBe(model.income.penalty);
    const { rows: runs } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cob_runs WHERE status = 'succeeded'`);
    expect(runs[0]!.n).toBe(47);
  });
});

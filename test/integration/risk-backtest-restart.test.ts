/**
 * Backtest jobs outlive the server process. The real server runs as a child process
 * (PGlite file mode in a temp folder, or PostgreSQL): a finished job keeps its report
 * across a restart, and a job running when the server stops reads `interrupted` after it,
 * with a message and the progress it had reached — after a graceful stop (SIGTERM) on
 * both engines, and after a crash (SIGKILL) on PGlite, where a start knows that no other
 * process can be running the job. (On PostgreSQL a crashed process's job is interrupted
 * once its heartbeat lease runs out; risk-analysis.test.ts covers that on both engines.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareServerData, type PreparedData } from '../helpers/app.js';
import { tempDir, type TempDir } from '../helpers/db.js';
import { ENGINE } from '../helpers/env.js';
import { Client } from '../helpers/http.js';
import { killAll, spawnServer, type ServerProcess } from '../helpers/proc.js';

let dir: TempDir;
let data: PreparedData;
let server: ServerProcess | undefined;
let admin: Client;
let reader: Client;

beforeAll(async () => {
  dir = tempDir();
  data = await prepareServerData(ENGINE, dir.path);
});
afterAll(async () => {
  await server?.stop().catch(() => {});
  await killAll();
  await data?.drop();
  dir?.remove();
});

async function start(): Promise<void> {
  server = await spawnServer(data.env);
  admin = new Client(server.base, data.keys.risk_admin);
  reader = new Client(server.base, data.keys.risk_read);
}

const simulated = (customers: number, days: number) => ({ rule_set: { id: 'default', version: 1 }, source: { kind: 'simulated', seed: 11, customers, days } });
/** Long enough (well over a million events) to be running whenever the test stops the server. */
const LONG = simulated(20_000, 30);

async function job(id: string): Promise<any> {
  const res = await reader.get(`/v1/risk/backtests/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function until(id: string, done: (view: any) => boolean): Promise<any> {
  for (let i = 0; i < 1200; i++) {
    const view = await job(id);
    if (done(view)) return view;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`backtest ${id} did not get there`);
}

async function submit(body: object): Promise<any> {
  const res = await admin.post('/v1/risk/backtests', body);
  expect(res.status, res.text).toBe(202);
  return res.body;
}

describe(`backtest jobs across a restart (${ENGINE})`, { timeout: 240_000 }, () => {
  it('a finished job keeps its report; a running one reads interrupted with its progress and a message', async () => {
    await start();
    const small = await submit(simulated(50, 3));
    const finished = await until(small.id, (v) => v.status !== 'running' && v.status !== 'queued');
    expect(finished.status, finished.error).toBe('done');
    expect(finished.report.events).toBeGreaterThan(0);

    const long = await submit(LONG);
    // Progress is visible while it runs (stored about once a second).
    const running = await until(long.id, (v) => v.progress.done > 0);
    expect(running.status).toBe('running');

    const stopping = server!;
    await stopping.stop();
    expect((await stopping.exited).code, stopping.output().slice(-2000)).toBe(0);
    await start();

    expect(await job(small.id)).toEqual(finished);
    const after = await job(long.id);
    expect(after).toMatchObject({ status: 'interrupted', kind: 'simulated', report: null, parameters: { source: LONG.source } });
    expect(after.error).toMatch(/^interrupted: the server stopped while this job ran; jobs are not resumed, start it again \(\d+ events done\)$/);
    expect(after.progress.done).toBeGreaterThanOrEqual(running.progress.done);
    expect(after.finished_at).not.toBeNull();
    const listed = await reader.get('/v1/risk/backtests');
    expect(listed.body.data.map((j: any) => [j.id, j.status])).toEqual([
      [long.id, 'interrupted'],
      [small.id, 'done'],
    ]);
    // And the restarted server runs new jobs.
    const again = await submit(simulated(50, 3));
    expect((await until(again.id, (v) => v.status === 'done')).report).toEqual(finished.report);
  });

  it.runIf(ENGINE === 'pglite')('after a crash, the job reads interrupted as soon as the server is back (PGlite: one process per database)', async () => {
    if (!server || server.child.exitCode !== null) await start();
    const long = await submit(LONG);
    await until(long.id, (v) => v.progress.done > 0);
    await server!.kill();
    await start();
    const after = await job(long.id);
    expect(after.status).toBe('interrupted');
    expect(after.error).toMatch(/^interrupted: the process running this job stopped \(no heartbeat\); start it again \(\d+ events done\)$/);
    await server!.stop();
  });
});

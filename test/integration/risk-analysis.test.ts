/**
 * The analysts' tools through HTTP: backtest jobs (simulated, uploaded CSV and stored
 * events) with progress and reports, training a scorecard from an uploaded CSV (the German
 * credit fixture) with its cross-validation, and the shadow comparison report.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { decide, payment, riskId } from '../helpers/risk.js';
import * as jobStore from '../../src/risk/backtest-store.js';

let t: TestApp;
let admin: Client;
let decider: Client;
let reader: Client;

beforeAll(async () => {
  t = await startTestApp();
  admin = new Client(t.base, t.keys.risk_admin);
  decider = new Client(t.base, t.keys.risk_decide);
  reader = new Client(t.base, t.keys.risk_read);
});
afterAll(async () => t?.close());

/** Polls a backtest job until it is done (or failed), returning the last view. */
async function finished(id: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const res = await reader.get(`/v1/risk/backtests/${id}`);
    expect(res.status, res.text).toBe(200);
    if (res.body.status !== 'running' && res.body.status !== 'queued') return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`backtest ${id} did not finish`);
}

describe('backtests', () => {
  it('over a seeded simulation: labelled report with catch rate, false-positive rate, per-pattern catch and progress', async () => {
    const started = await admin.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'simulated', seed: 3, customers: 300, days: 7 } });
    expect(started.status, started.text).toBe(202);
    expect(started.body).toMatchObject({ status: 'running', report: null });
    const job = await finished(started.body.id);
    expect(job.status, job.error).toBe('done');
    const r = job.report;
    expect(job.progress.done).toBe(r.events);
    expect(r.events).toBeGreaterThan(1000);
    expect(r.labelled).toBe(r.events);
    expect(r.true_positives + r.false_positives + r.false_negatives + r.true_negatives).toBe(r.events);
    expect(r.alerts).toBe(r.by_outcome.review + r.by_outcome.block);
    expect(r.catch_rate).toBeCloseTo(r.true_positives / (r.true_positives + r.false_negatives), 10);
    expect(r.false_positive_rate).toBeCloseTo(r.false_positives / (r.false_positives + r.true_negatives), 10);
    expect(r.days).toBeGreaterThan(5);
    expect(r.alerts_per_day).toBeCloseTo(r.alerts / r.days, 10);
    expect(Object.keys(r.by_pattern).length).toBeGreaterThan(0);
    expect(r.auc).toBeNull(); // no model in this run
  });

  it('over an uploaded CSV of labelled events: a burst of card testing is caught, the genuine payment is not', async () => {
    const header = 'id,type,customer_id,occurred_at,amount,currency,counterparty_id,merchant_id,device_id,ip,channel,country,label,pattern';
    const base = Date.parse('2026-03-01T10:00:00Z');
    const lines = [header];
    for (let i = 0; i < 12; i++) lines.push(`${uuid7()},payment,card-tester,${new Date(base + i * 2_000).toISOString()},${100 + i},USD,,m${i},dev-x,10.0.0.1,web,US,1,card_testing`);
    lines.push(`${uuid7()},payment,regular,${new Date(base + 60_000).toISOString()},5000,USD,,m1,dev-y,10.0.0.2,app,US,0,`);
    const started = await admin.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'csv', csv: lines.join('\n') } });
    expect(started.status, started.text).toBe(202);
    expect(started.body.progress.total).toBe(13);
    const r = (await finished(started.body.id)).report;
    expect(r.events).toBe(13);
    expect(r.false_positives).toBe(0);
    expect(r.true_positives).toBeGreaterThan(0); // the burst trips card_testing_burst once 8 merchants are seen
    expect(r.rules.find((x: any) => x.rule_id === 'card_testing_burst')?.on_fraud).toBe(r.true_positives);
    expect(r.by_pattern.card_testing.events).toBe(12);
  });

  it('a bad CSV or rule set is refused at once with a clear error; an unknown job is 404', async () => {
    const bad = await admin.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'csv', csv: 'id,type\n1' } });
    expectProblem(bad, 400, 'invalid_request');
    expect(bad.body.detail).toMatch(/line 2/);
    const badRules = await admin.post('/v1/risk/backtests', { rules: { rules: [{ id: 'x', when: 'event.amount >', outcome: 'review' }] }, source: { kind: 'simulated', seed: 1, customers: 10, days: 1 } });
    expectProblem(badRules, 422, 'invalid_rule_set');
    expectProblem(await admin.post('/v1/risk/backtests', { rule_set: { id: 'nope', version: 1 }, source: { kind: 'simulated', seed: 1, customers: 10, days: 1 } }), 404, 'rule_set_not_found');
    expectProblem(await reader.get(`/v1/risk/backtests/${uuid7()}`), 404, 'backtest_not_found');
    expectProblem(await decider.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'simulated', seed: 1, customers: 10, days: 1 } }), 403, 'insufficient_scope');
  });

  it('over stored events: the decisions made here, labelled by closed cases', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const customer = riskId('stored');
    for (let i = 0; i < 3; i++) await decide(decider, payment({ customer_id: customer }));
    const to = new Date(Date.now() + 60_000).toISOString();
    const started = await admin.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'stored', from, to } });
    expect(started.status, started.text).toBe(202);
    const r = (await finished(started.body.id)).report;
    expect(r.events).toBeGreaterThanOrEqual(3);
    expect(started.body.progress.total).toBe(r.events);
  });
});

describe('backtest jobs in the database', () => {
  const simulated = (customers: number, days: number, seed = 5) => ({ rule_set: { id: 'default', version: 1 }, source: { kind: 'simulated', seed, customers, days } });

  it('one runs at a time, the others wait queued (up to 8), progress is stored while it runs; a job interrupted elsewhere stops and the queue moves on', async () => {
    // Minutes of work: it runs until this test interrupts it.
    const first = await admin.post('/v1/risk/backtests', simulated(5_000, 30));
    expect(first.status, first.text).toBe(202);
    expect(first.body).toMatchObject({ status: 'running', kind: 'simulated', progress: { total: null }, report: null, error: null, finished_at: null });
    expect(first.body.created_by).toContain('test-risk_admin');
    expect(first.body.parameters).toEqual({ rule_set: { id: 'default', version: 1 }, rules: null, model: null, source: { kind: 'simulated', seed: 5, customers: 5_000, days: 30 } });
    const waiting: any[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await admin.post('/v1/risk/backtests', simulated(5, 1, i));
      expect(res.status, res.text).toBe(202);
      expect(res.body).toMatchObject({ status: 'queued', started_at: null });
      waiting.push(res.body);
    }
    const full = await admin.post('/v1/risk/backtests', simulated(5, 1));
    expectProblem(full, 503, 'backtest_queue_full');
    expect(full.headers.get('retry-after')).toBe('10');
    // Progress reaches the table while the first one runs (about once a second).
    let seen: any;
    for (let i = 0; i < 200; i++) {
      seen = (await reader.get(`/v1/risk/backtests/${first.body.id}`)).body;
      if (seen.status !== 'running' || seen.progress.done > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen.status).toBe('running');
    expect(seen.progress.done).toBeGreaterThan(0);
    // Another process marks it interrupted (as it would a job with no heartbeat): this one stops running it at its next heartbeat.
    await jobStore.interruptJobs(t.testDb.db, [first.body.id], { queued: 'q', running: 'stopped elsewhere' }, new Date());
    const stopped = await finished(first.body.id);
    expect(stopped).toMatchObject({ status: 'interrupted', report: null, error: expect.stringMatching(/^stopped elsewhere \(\d+ events done\)$/) });
    for (const job of waiting) {
      const end = await finished(job.id);
      expect(end.status, end.error).toBe('done');
      expect(end.progress.done).toBe(end.report.events);
    }
    // They ran one after another, in the order they came.
    const views = await Promise.all(waiting.map(async (j) => (await reader.get(`/v1/risk/backtests/${j.id}`)).body));
    for (let i = 1; i < views.length; i++) expect(Date.parse(views[i].started_at)).toBeGreaterThanOrEqual(Date.parse(views[i - 1].finished_at));
  });

  it('lists jobs newest first without their reports, a page at a time', async () => {
    const a = await admin.post('/v1/risk/backtests', simulated(5, 1, 100));
    await finished(a.body.id);
    const b = await admin.post('/v1/risk/backtests', simulated(5, 1, 101));
    await finished(b.body.id);
    const page1 = await reader.get('/v1/risk/backtests?limit=1');
    expect(page1.status, page1.text).toBe(200);
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.data[0]).toMatchObject({ id: b.body.id, status: 'done', report: null });
    const page2 = await reader.get(`/v1/risk/backtests?limit=1&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data[0].id).toBe(a.body.id);
    const all = await reader.get('/v1/risk/backtests?limit=100');
    expect(all.body.data.length).toBeGreaterThanOrEqual(2);
    const times = all.body.data.map((j: any) => Date.parse(j.created_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expectProblem(await reader.get('/v1/risk/backtests?cursor=bogus'), 400, 'invalid_cursor');
    expectProblem(await reader.get('/v1/risk/backtests?limit=101'), 400, 'invalid_request', 'querystring.limit');
    expectProblem(await decider.get('/v1/risk/backtests'), 403, 'insufficient_scope');
  });

  it('keeps an uploaded CSV by its size, rows and SHA-256, not its text', async () => {
    const csv = `id,type,customer_id,occurred_at,label\n${uuid7()},login,u1,2026-03-01T10:00:00Z,0\n`;
    const res = await admin.post('/v1/risk/backtests', { rule_set: { id: 'default', version: 1 }, source: { kind: 'csv', csv } });
    expect(res.status, res.text).toBe(202);
    expect(res.body.parameters.source).toEqual({ kind: 'csv', bytes: Buffer.byteLength(csv), rows: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await finished(res.body.id)).report.events).toBe(1);
  });

  it('a job whose process stopped sending heartbeats reads interrupted, with a message; a live one does not', async () => {
    const db = t.testDb.db;
    const long_ago = new Date(Date.now() - 5 * 60_000);
    const [lost, waited, live] = [uuid7(), uuid7(), uuid7()];
    for (const id of [lost, waited]) await jobStore.insertJob(db, { id, kind: 'simulated', parameters: {}, progress_total: 5000, created_by: 'elsewhere', created_at: long_ago });
    expect(await jobStore.markRunning(db, lost, long_ago)).toBe(true);
    await jobStore.heartbeat(db, [lost], { id: lost, done: 3000 }, long_ago);
    await jobStore.insertJob(db, { id: live, kind: 'simulated', parameters: {}, progress_total: null, created_by: 'elsewhere', created_at: new Date() });
    await jobStore.markRunning(db, live, new Date());

    const res = await reader.get(`/v1/risk/backtests/${lost}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'interrupted', progress: { done: 3000, total: 5000 }, report: null });
    expect(res.body.error).toMatch(/^interrupted: the process running this job stopped \(no heartbeat\); start it again \(3000 of 5000 events done\)$/);
    expect(res.body.finished_at).not.toBeNull();
    expect((await reader.get(`/v1/risk/backtests/${waited}`)).body).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/before it started/) });
    expect((await reader.get(`/v1/risk/backtests/${live}`)).body).toMatchObject({ status: 'running', error: null });
    await jobStore.interruptJobs(db, [live], { queued: 'q', running: 'r' }, new Date()); // not left running for later tests
  });
});

describe('training a scorecard from an uploaded CSV', () => {
  it('German credit: stores a scorecard whose 10-fold cross-validated AUC beats the plain logistic regression (0.771)', async () => {
    const csv = readFileSync(new URL('../fixtures/german-credit.csv', import.meta.url), 'utf8');
    const res = await admin.post('/v1/risk/models/credit/train', { csv, label_column: 'class', bad_value: 'bad' });
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    expect(res.body).toMatchObject({ id: 'credit', kind: 'scorecard', metrics: { rows: 1000, bads: 300, cv_folds: 10, cv_seed: 42 } });
    expect(res.body.metrics.auc_mean).toBeGreaterThan(0.771);
    const listed = await reader.get('/v1/risk/models');
    expect(listed.body.data.some((m: any) => m.id === 'credit' && m.version === res.body.version)).toBe(true);
  });

  it('refuses a CSV without the label column, or with one class only', async () => {
    expectProblem(await admin.post('/v1/risk/models/credit/train', { csv: 'a,b\n1,2\n', label_column: 'class', bad_value: 'bad' }), 400, 'invalid_request', 'label_column');
    const oneClass = await admin.post('/v1/risk/models/credit/train', { csv: 'a,class\n1,good\n2,good\n3,good\n', label_column: 'class', bad_value: 'bad' });
    expectProblem(oneClass, 400, 'invalid_request', 'csv');
  });
});

describe('shadow comparison report', () => {
  it('counts every (live, shadow) outcome pair over a period, with the agreement rate', async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    const saved = await admin.post('/v1/risk/rule-sets/strict/versions', { rules: [{ id: 'all_payments', when: "event.type == 'payment'", outcome: 'review' }] });
    expect(saved.status, saved.text).toBe(201);
    expect((await admin.post(`/v1/risk/rule-sets/strict/versions/${saved.body.version}/publish`, { slot: 'shadow' })).status).toBe(200);
    try {
      const d1 = await decide(decider, payment());
      const d2 = await decide(decider, payment());
      expect(d1.outcome).toBe('allow');
      expect(d1.shadow.outcome).toBe('review');
      expect(d2.shadow.outcome).toBe('review');
      const to = new Date(Date.now() + 1_000).toISOString();
      const report = await reader.get(`/v1/risk/shadow/report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      expect(report.status, report.text).toBe(200);
      expect(report.body.decisions).toBeGreaterThanOrEqual(2);
      const pair = report.body.pairs.find((p: any) => p.live === 'allow' && p.shadow === 'review');
      expect(pair.decisions).toBeGreaterThanOrEqual(2);
      expect(report.body.shadow_alerts).toBeGreaterThanOrEqual(2);
      expect(report.body.agreement).toBeLessThan(1);
    } finally {
      await admin.delete('/v1/risk/deployments/shadow');
    }
  });
});

/**
 * The close of business for revolving lines on a real database: the SQL of statement dates
 * against the core's, the statement step resumed after a crash between its chunks (nothing
 * billed twice, the statements equal the core's), and lines closing after their last
 * statement at maturity — collected in full, or with nothing left to bill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cob, CobCrash } from '../../src/lending/cob.js';
import { lineTerms, minimumPayment, statementDate } from '../../src/lending/credit-line.js';
import { businessDate } from '../../src/lending/dates.js';
import { statementDateSql } from '../../src/lending/cob-statement.js';
import { instalmentsOf } from '../../src/lending/store.js';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client } from '../helpers/http.js';
import { createLendingKeys, expectReconciled, mustSaveProduct } from '../helpers/lending.js';
import { lineProduct, lineRow, openLine } from '../helpers/lending-line.js';
import { testProduct } from '../helpers/lending-product.js';

const at = (date: string, hour = 10) => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);

let t: TestApp<ManualClock>;
let apply: Client;
let reader: Client;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(at('2024-01-31').getTime()) });
  const keys = await createLendingKeys(t.testDb.db, t.clock.now());
  apply = new Client(t.base, keys.lending_apply);
  reader = new Client(t.base, keys.lending_read);
  const admin = new Client(t.base, keys.lending_admin);
  await mustSaveProduct(admin, 'line', lineProduct());
  await mustSaveProduct(admin, 'weekly', lineProduct({ frequency: 'weekly', term_min_periods: 1, term_max_periods: 8, origination_fee: { fixed_minor: '0', bps: 0 } }));
});
afterAll(async () => {
  await t?.close();
});

async function close(through: string, options: ConstructorParameters<typeof Cob>[3] = {}): Promise<void> {
  const result = await new Cob(t.testDb.db, t.app.ledger, t.clock, options).run({ through_date: businessDate(through) });
  expect(result.ok, JSON.stringify(result)).toBe(true);
}

describe('statement dates in SQL', () => {
  it('are the core’s: start + k periods, month ends clamped, for every frequency', async () => {
    const product = testProduct({ repayment_method: 'revolving', day_count: 'actual/365', minimum_payment: { bps: 0, floor_minor: 0n } });
    const starts = ['2023-01-31', '2023-11-30', '2024-02-29', '2024-03-15', '2024-12-31'].map(businessDate);
    for (const frequency of ['monthly', 'quarterly', 'weekly'] as const) {
      const { rows } = await t.testDb.db.query<{ start: string; k: number; date: string }>(
        `SELECT s::text AS start, k, ${statementDateSql('s', `'${frequency}'`, 'k')}::text AS date
         FROM unnest($1::date[]) AS s, generate_series(0, 40) AS k`,
        [starts],
      );
      expect(rows).toHaveLength(starts.length * 41);
      for (const row of rows) expect(row.date, `${frequency} ${row.start} k=${row.k}`).toBe(statementDate(lineTerms({ ...product, frequency }, businessDate(row.start), 40), row.k));
    }
  });
});

describe('the statement step after a crash', () => {
  it('resumes: every line billed once, as the core bills it, and the date closes', async () => {
    // 2024-01-31: twelve lines (statement 1 on 2024-02-29), drawn differently, two of them not at all.
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const draw = i < 2 ? undefined : String(100_000 * i + 1_234 * i);
      ids.push((await openLine(t.api, apply, 'line', { draw, amount: '10000000', term: 3 })).line.id);
    }
    t.clock.set(at('2024-03-01', 1));
    await close('2024-02-28');
    const before = new Map<string, Awaited<ReturnType<typeof lineRow>>>();
    for (const id of ids) before.set(id, await lineRow(t.testDb.db, id));

    // Four lines a chunk: the crash leaves two chunks of the statement step committed and the rest not.
    await expect(close('2024-02-29', { chunk_loans: 4, crash_after_chunks: 2 })).rejects.toBeInstanceOf(CobCrash);
    const run = (await t.testDb.db.query<{ status: string; steps: any }>(`SELECT status, steps FROM cob_runs WHERE business_date = '2024-02-29'`)).rows[0]!;
    expect(run.status).toBe('running');
    expect(run.steps.statement).toMatchObject({ status: 'running', done: 8, total: 12 });
    const cut = [];
    for (const id of ids) cut.push((await lineRow(t.testDb.db, id)).last_statement_date);
    expect(cut.filter((d) => d === '2024-02-29')).toHaveLength(8);

    // The crashed run's lease is fresh: another run is refused until it lapses (here at once).
    expect(await new Cob(t.testDb.db, t.app.ledger, t.clock).run({ through_date: businessDate('2024-02-29') })).toMatchObject({ ok: false, code: 'cob_run_in_progress' });
    await close('2024-02-29', { chunk_loans: 4, lease_ms: 0 });
    for (const id of ids) {
      const was = before.get(id)!;
      const rows = await instalmentsOf(t.testDb.db, id);
      // Statement 1 as the core bills it, from the line as it stood when 2024-02-29 opened: its interest to date, 5% (at least 100.00) of the balance.
      const principal = minimumPayment(was.unbilled_principal, { bps: 500, floor_minor: 10_000n }, false);
      expect(rows.map((r) => r.number), id).toEqual([1]);
      expect(rows[0], id).toMatchObject({ principal, interest: was.unbilled_interest, fee: 1_000n, due_date: '2024-02-29' });
      // Billed once: the unbilled balance fell by statement 1's principal only.
      const now = await lineRow(t.testDb.db, id);
      expect(now.unbilled_principal, id).toBe(was.unbilled_principal - principal);
      expect(now).toMatchObject({ last_statement_date: '2024-02-29', next_statement_date: '2024-03-31', last_accrual_date: '2024-02-29' });
      await expectReconciled(reader, id);
    }
    expect((await t.testDb.db.query<{ status: string }>(`SELECT status FROM cob_runs WHERE business_date = '2024-02-29'`)).rows[0]!.status).toBe('succeeded');
  });
});

describe('maturity', () => {
  it('the last statement bills the whole balance; collected in full, the line closes; one with nothing to bill closes at once', async () => {
    t.clock.set(at('2024-03-01'));
    const paying = await openLine(t.api, apply, 'weekly', { draw: '3000000', term: 2, funds: 6_000_000n });
    const idle = await openLine(t.api, apply, 'weekly', { term: 2 });
    expect(paying.line.maturity_date).toBe('2024-03-15');
    t.clock.set(at('2024-03-16', 1));
    await close('2024-03-14');
    expect(await lineRow(t.testDb.db, paying.line.id)).toMatchObject({ status: 'active', next_statement_date: '2024-03-15' });
    await close('2024-03-15');
    const schedule = (await reader.get(`/v1/loans/${paying.line.id}/schedule`)).body.instalments;
    // Statement 1: 5% of 30,000.00 and 7 days × 1,500; statement 2 (maturity): the rest, and 7 days on 28,500.00.
    expect(schedule.map((r: any) => [r.due_date, r.principal, r.interest, r.status])).toEqual([
      ['2024-03-08', '150000', '10500', 'paid'],
      ['2024-03-15', '2850000', '9975', 'paid'],
    ]);
    const closed = await expectReconciled(reader, paying.line.id);
    expect(closed).toMatchObject({ status: 'closed', balances: { principal: '0', interest: '0', penalty: '0', fee: '0' } });
    expect(closed.credit_line).toMatchObject({ next_statement_date: null, unbilled_principal: '0' });
    const nothing = await expectReconciled(reader, idle.line.id);
    expect(nothing.status).toBe('closed');
    expect((await reader.get(`/v1/loans/${idle.line.id}/schedule`)).body.instalments.map((r: any) => [r.principal, r.interest, r.status])).toEqual([
      ['0', '0', 'paid'],
      ['0', '0', 'paid'],
    ]);
  });
});

/**
 * COB and the portfolio through HTTP: POST /v1/cob/runs (202, then progress per date),
 * the portfolio, ageing and vintage reports against the loans' own figures, scopes, and
 * bad input refused with the field named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/auth/store.js';
import { PROVISION_RATE_BPS, type LoanCategory } from '../../src/lending/aging.js';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client } from '../helpers/http.js';
import { createLoans, product, withdrawAll, type TestLoan } from '../helpers/lending-cob.js';

let t: TestApp<ManualClock>;
let admin: Client;
let reader: Client;
let loans: TestLoan[];

async function waitClosed(date: string): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const res = await reader.get(`/v1/cob/runs/${date}`);
    if (res.status === 200 && res.body.status !== 'running') return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`COB for ${date} did not finish`);
}

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(Date.UTC(2026, 5, 1, 12)) });
  admin = t.admin;
  reader = t.api.as((await createKey(t.testDb.db, 'lending-reader', ['lending:read'], t.clock.now())).token);
  loans = await createLoans(t.testDb.db, t.app.ledger, [
    ...Array.from({ length: 6 }, (_, i) => ({ product: product(), principal_minor: 1_200_000n + BigInt(i) * 10_000n, term_periods: 12, start_date: '2026-01-10' })),
    ...Array.from({ length: 4 }, () => ({ product: product({ id: 'micro', repayment_method: 'equal_principal' }), principal_minor: 300_000n, term_periods: 6, start_date: '2026-02-03' })),
  ]);
  // Three customers of the first product spend their loan: they fall into arrears from 2026-02-10.
  await withdrawAll(t.testDb.db, t.app.ledger, loans.slice(0, 3).map((l) => l.account_id), 'CNY');
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('POST /v1/cob/runs', () => {
  it('refuses bad input, future dates and readers, naming the field', async () => {
    expect((await admin.post('/v1/cob/runs', { through_date: '2026-02-30' })).body).toMatchObject({ status: 400, code: 'invalid_request', field: 'body.through_date' });
    expect((await admin.post('/v1/cob/runs', { through_date: '20260201' })).body).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((await admin.post('/v1/cob/runs', { through_date: '2026-02-01', extra: 1 })).body).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((await admin.post('/v1/cob/runs', { through_date: '2026-06-02' })).body).toMatchObject({ status: 422, code: 'cob_date_in_future', field: 'body.through_date' });
    expect((await admin.post('/v1/cob/runs', { through_date: '2027-06-02' })).status).toBe(422);
    expect((await reader.post('/v1/cob/runs', { through_date: '2026-02-01' })).body).toMatchObject({ status: 403, code: 'insufficient_scope' });
    expect((await reader.get('/v1/cob/runs/2026-01-01')).body).toMatchObject({ status: 404, code: 'cob_run_not_found' });
    expect((await reader.get('/v1/cob/runs/2026-13-01')).body).toMatchObject({ status: 400, code: 'invalid_request', field: 'params.date' });
  });

  it('closes the dates in the background (202) and reports each step', async () => {
    const res = await admin.post('/v1/cob/runs', { through_date: '2026-01-31' });
    expect(res.status).toBe(202);
    expect(res.body.dates[0]).toBe('2026-01-10');
    expect(res.body.dates).toHaveLength(22);
    expect(res.body.status_urls.at(-1)).toBe('/v1/cob/runs/2026-01-31');
    // One run at a time per process.
    const again = await admin.post('/v1/cob/runs', { through_date: '2026-01-31' });
    expect([202, 409]).toContain(again.status);
    const run = await waitClosed('2026-01-31');
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: any) => s.step)).toEqual(['statement', 'accrue', 'mark_due', 'collect', 'age', 'provision']);
    // No revolving line here: the statement step has nothing to do.
    expect(run.steps[0]).toMatchObject({ status: 'done', done: 0, total: 0 });
    // The four loans starting on 2026-02-03 are visited but accrue nothing yet.
    expect(run.steps[1]).toMatchObject({ status: 'done', done: 10, total: 10, transfers: 6 });

    const list = await reader.get('/v1/cob/runs?limit=2');
    expect(list.body.data.map((r: any) => r.business_date)).toEqual(['2026-01-31', '2026-01-30']);
    const next = await reader.get(`/v1/cob/runs?limit=2&cursor=${list.body.next_cursor}`);
    expect(next.body.data.map((r: any) => r.business_date)).toEqual(['2026-01-29', '2026-01-28']);

    // Nothing left to close: an empty plan.
    expect((await admin.post('/v1/cob/runs', { through_date: '2026-01-31' })).body).toMatchObject({ dates: [] });
  });
});

describe('portfolio reports', () => {
  beforeAll(async () => {
    const res = await admin.post('/v1/cob/runs', { through_date: '2026-05-31' });
    expect(res.status).toBe(202);
    expect((await waitClosed('2026-05-31')).status).toBe('succeeded');
  }, 300_000);

  it('GET /v1/lending/portfolio: outstanding by product × category, NPL ratio, provisions held = required', async () => {
    const res = await reader.get('/v1/lending/portfolio');
    expect(res.status).toBe(200);
    expect(res.body.as_of).toBe('2026-05-31');
    const [cny] = res.body.currencies;
    const { rows } = await t.testDb.db.query<{ category: LoanCategory; outstanding: bigint; n: number }>(
      `SELECT category, sum(outstanding_principal)::int8 AS outstanding, count(*)::int AS n FROM loans WHERE status = 'active' GROUP BY category`,
    );
    const total = rows.reduce((s, r) => s + r.outstanding, 0n);
    expect(cny.outstanding_principal).toBe(String(total));
    // The three unpaid loans are 110 days past due on 2026-05-31: substandard, hence NPL.
    const substandard = rows.find((r) => r.category === 'substandard')!;
    expect(substandard.n).toBe(3);
    expect(cny.npl_outstanding_principal).toBe(String(substandard.outstanding));
    expect(cny.npl_ratio).toBe(((Number(substandard.outstanding) / Number(total)) * 1e6 / 1e6).toFixed(6));
    expect(cny.provisions_held).toBe(cny.provisions_required);
    expect(cny.provisions_gap).toBe('0');
    const sub = cny.by_category.find((c: any) => c.category === 'substandard');
    expect(BigInt(sub.provision_required)).toBeGreaterThanOrEqual((substandard.outstanding * BigInt(PROVISION_RATE_BPS.substandard)) / 10_000n);
    expect(cny.by_product.map((p: any) => p.product_id).sort()).toEqual(['micro', 'sme-term']);
    expect(cny.by_product.find((p: any) => p.product_id === 'micro').npl_ratio).toBe('0.000000');
  });

  it('GET /v1/lending/portfolio/aging: every bucket, with the arrears amounts', async () => {
    const res = await reader.get('/v1/lending/portfolio/aging');
    expect(res.status).toBe(200);
    const [cny] = res.body.currencies;
    expect(cny.buckets.map((b: any) => b.bucket)).toEqual(['current', '1-30', '31-60', '61-90', '90+']);
    const late = cny.buckets.find((b: any) => b.bucket === '90+');
    expect(late.loans).toBe(3);
    expect(BigInt(late.overdue_principal)).toBeGreaterThan(0n);
    expect(BigInt(late.penalty)).toBeGreaterThan(0n);
    expect(cny.buckets.find((b: any) => b.bucket === 'current').loans).toBe(7);
  });

  it('GET /v1/lending/portfolio/vintage: by disbursement month, ever 30+/90+, with month-end points', async () => {
    const res = await reader.get('/v1/lending/portfolio/vintage?months=12');
    expect(res.status).toBe(200);
    const jan = res.body.vintages.find((v: any) => v.vintage_month === '2026-01');
    const feb = res.body.vintages.find((v: any) => v.vintage_month === '2026-02');
    expect(jan).toMatchObject({ loans: 6, ever30_loans: 3, ever90_loans: 3, ever30_loans_ratio: '0.500000', months_on_book: 4 });
    expect(feb).toMatchObject({ loans: 4, ever30_loans: 0, principal: '1200000' });
    // Month-end points: Jan 31 … May 31 for the January vintage; ever 30+ first shows at the end of March.
    expect(jan.curve.map((p: any) => [p.business_date, p.months_on_book, p.ever30_loans])).toEqual([
      ['2026-01-31', 0, 0],
      ['2026-02-28', 1, 0],
      ['2026-03-31', 2, 3],
      ['2026-04-30', 3, 3],
      ['2026-05-31', 4, 3],
    ]);
    expect((await reader.get('/v1/lending/portfolio/vintage?months=0')).status).toBe(400);
    expect((await reader.get('/v1/lending/portfolio/vintage?product_id=micro')).body.vintages).toHaveLength(1);
  });
});

/** Loans in the customer API: the offer, applying, the decision, accepting, the loan and its schedule, repaying; someone else's are 404. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/http.js';
import { fund, signUpCustomer, type SignedUp } from '../helpers/webauthn.js';
import { SME_WORKING_CAPITAL } from '../../src/lending/demo-product.js';
import { toProductBody } from '../../src/lending/schemas.js';

const PRODUCT = 'sme-working-capital';
let t: TestApp;
let alice: SignedUp;
let bob: SignedUp;
let aliceAccount: string;
let bobAccount: string;

/** A strong small business: band A on the built-in scorecard (test/helpers/lending.ts strongBusiness). */
const business = { industry: 'restaurants', months_trading: 96, annual_revenue_minor: '600000000', existing_debt_minor: '0', owner_age: 45 };
const application = (over: Record<string, unknown> = {}) => ({ id: randomUUID(), product_id: PRODUCT, amount_minor: '10000000', term_months: 12, purpose: 'equipment', business, ...over });
const balanceOf = async (c: SignedUp) => (await c.me.get('/v1/me/accounts')).body.items[0].balance_minor as string;

beforeAll(async () => {
  t = await startTestApp();
  const saved = await t.app.lending.saveProduct(PRODUCT, toProductBody({ ...SME_WORKING_CAPITAL, origination_fee: { fixed_minor: '0', bps: 0 } } as never) as never, 'test');
  expect(saved.ok).toBe(true);
  const line = await t.app.lending.saveProduct(
    'test-line',
    toProductBody({ ...SME_WORKING_CAPITAL, name: 'A line', repayment_method: 'revolving', day_count: 'actual/365', minimum_payment: { bps: 1000, floor_minor: '10000' } } as never) as never,
    'test',
  );
  expect(line.ok && line.created).toBe(true);
  alice = await signUpCustomer(t.base, 'Alice', '+8613700000001');
  bob = await signUpCustomer(t.base, 'Bob', '+8613700000002');
  aliceAccount = (await alice.me.get('/v1/me/accounts')).body.items[0].id;
  bobAccount = (await bob.me.get('/v1/me/accounts')).body.items[0].id;
  await fund(t.app, aliceAccount, 2_000_000n);
});
afterAll(async () => t?.close());

describe('loan offers', () => {
  it('lists the monthly products with an indicative schedule from the lending core, and not the revolving lines', async () => {
    const res = await alice.me.get('/v1/me/loan-offers?amount_minor=10000000&term_months=12');
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.map((o: { product: { id: string } }) => o.product.id)).toEqual([PRODUCT]);
    const offer = res.body.items[0];
    expect(offer).toMatchObject({ amount_minor: '10000000', term_months: 12, fits: true, product: { annual_rate_percent: '12', term_min_months: 3, term_max_months: 36 } });
    // 100,000.00 at 12% over 12 months, annuity 30/360: 8,884.88 a month (docs/lending.md's worked example).
    expect(offer.monthly_payment_minor).toBe('888488');
    expect(offer.schedule.instalments).toHaveLength(12);
    expect(offer.schedule.totals.principal).toBe('10000000');

    const outside = await alice.me.get('/v1/me/loan-offers?amount_minor=100&term_months=12');
    expect(outside.body.items[0]).toMatchObject({ fits: false, schedule: null, monthly_payment_minor: null });
    const defaults = await alice.me.get('/v1/me/loan-offers');
    expect(defaults.body.items[0]).toMatchObject({ amount_minor: '1000000', term_months: 12, fits: true });
    expectProblem(await alice.me.get('/v1/me/loan-offers?term_months=0'), 400, 'invalid_request');
    expect((await t.api.get('/v1/me/loan-offers')).status).toBe(401);
  });
});

describe('applying, accepting and repaying', () => {
  let loanId = '';

  it('declines with reasons when the business is too young', async () => {
    const res = await alice.me.post('/v1/me/loan-applications', application({ business: { ...business, months_trading: 3 } }));
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: 'declined', offer: null, loan_id: null, account_id: aliceAccount });
    expect(res.body.reasons.map((r: { code: string }) => r.code)).toContain('trading_history_too_short');
    // The bank's internals (score attributes, risk rules) are not in the customer's view.
    expect(res.body).not.toHaveProperty('decision');
  });

  it('approves a strong business, accepts the offer into my account, and shows the loan with its schedule', async () => {
    const body = application();
    const res = await alice.me.post('/v1/me/loan-applications', body);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ id: body.id, status: 'approved', reasons: [], purpose: 'equipment', account_id: aliceAccount });
    expect(res.body.offer).toMatchObject({ amount_minor: '10000000', term_months: 12, annual_rate_percent: '12', monthly_payment_minor: '888488', origination_fee_minor: '0' });
    expect(res.body.offer.schedule.instalments).toHaveLength(12);
    // The same id and body: the first decision; another body: a conflict.
    const again = await alice.me.post('/v1/me/loan-applications', body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expectProblem(await alice.me.post('/v1/me/loan-applications', { ...body, amount_minor: '2000000' }), 409, 'exists_with_different_fields', 'body.id');

    // Bob sees none of it, and cannot accept it.
    expectProblem(await bob.me.get(`/v1/me/loan-applications/${body.id}`), 404, 'loan_application_not_found');
    expectProblem(await bob.me.post(`/v1/me/loan-applications/${body.id}/accept`, {}), 404, 'loan_application_not_found');
    expect((await bob.me.get('/v1/me/loan-applications')).body.items).toEqual([]);

    const before = BigInt(await balanceOf(alice));
    const accepted = await alice.me.post(`/v1/me/loan-applications/${body.id}/accept`, {});
    expect(accepted.status, accepted.text).toBe(201);
    loanId = accepted.body.id;
    expect(accepted.body).toMatchObject({ application_id: body.id, status: 'active', principal_minor: '10000000', term_months: 12, account_id: aliceAccount, product_name: 'SME working capital' });
    expect(accepted.body.schedule).toHaveLength(12);
    expect(accepted.body.schedule[0]).toMatchObject({ amount_minor: '888488', paid_minor: '0', status: 'scheduled' });
    expect(accepted.body.next_payment).toMatchObject({ due_date: accepted.body.schedule[0].due_date, amount_minor: '888488', overdue: false });
    expect(BigInt(await balanceOf(alice)) - before).toBe(10_000_000n);
    // Accepting again returns the same loan.
    const replay = await alice.me.post(`/v1/me/loan-applications/${body.id}/accept`, {});
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body.id).toBe(loanId);

    const app = await alice.me.get(`/v1/me/loan-applications/${body.id}`);
    expect(app.body).toMatchObject({ status: 'accepted', loan_id: loanId });
    const list = await alice.me.get('/v1/me/loans');
    expect(list.body.items.map((l: { id: string }) => l.id)).toEqual([loanId]);
    expect(list.body.items[0].outstanding.principal_minor).toBe('10000000');
    const apps = await alice.me.get('/v1/me/loan-applications?limit=1');
    expect(apps.body.items[0].id).toBe(body.id);
    expect(apps.body.next_cursor).toEqual(expect.any(String));
    const older = await alice.me.get(`/v1/me/loan-applications?limit=1&cursor=${apps.body.next_cursor}`);
    expect(older.body.items[0].status).toBe('declined');
  });

  it("keeps another customer's loan a 404 and refuses repaying from another account", async () => {
    expectProblem(await bob.me.get(`/v1/me/loans/${loanId}`), 404, 'loan_not_found');
    expectProblem(await bob.me.post(`/v1/me/loans/${loanId}/repayments`, { id: randomUUID(), amount_minor: '100', from_account_id: bobAccount }), 404, 'loan_not_found');
    expect((await bob.me.get('/v1/me/loans')).body.items).toEqual([]);
    expectProblem(await alice.me.post(`/v1/me/loans/${loanId}/repayments`, { id: randomUUID(), amount_minor: '100', from_account_id: bobAccount }), 404, 'account_not_found', 'from_account_id');
    expectProblem(await alice.me.get(`/v1/me/loans/${randomUUID()}`), 404, 'loan_not_found');
  });

  it('repays from my account, idempotently, and the loan shows it', async () => {
    const before = BigInt(await balanceOf(alice));
    const body = { id: randomUUID(), amount_minor: '888488', from_account_id: aliceAccount };
    const res = await alice.me.post(`/v1/me/loans/${loanId}/repayments`, body);
    expect(res.status, res.text).toBe(201);
    expect(res.body.repayments).toHaveLength(1);
    expect(res.body.repayments[0]).toMatchObject({ id: body.id, kind: 'repayment', amount_minor: '888488' });
    expect(BigInt(res.body.outstanding.principal_minor)).toBeLessThan(10_000_000n);
    expect(before - BigInt(await balanceOf(alice))).toBe(888_488n);
    const again = await alice.me.post(`/v1/me/loans/${loanId}/repayments`, body);
    expect(again.status).toBe(200);
    expect(before - BigInt(await balanceOf(alice))).toBe(888_488n);
    expectProblem(await alice.me.post(`/v1/me/loans/${loanId}/repayments`, { ...body, id: randomUUID(), amount_minor: '99999999999' }), 422, 'repayment_exceeds_payoff');
    const detail = await alice.me.get(`/v1/me/loans/${loanId}`);
    expect(detail.body.repayments).toHaveLength(1);
  });

  it('refuses products the app does not offer and accounts that are not mine', async () => {
    expectProblem(await alice.me.post('/v1/me/loan-applications', application({ product_id: 'test-line' })), 404, 'loan_product_not_found', 'body.product_id');
    expectProblem(await alice.me.post('/v1/me/loan-applications', application({ product_id: 'nope' })), 404, 'loan_product_not_found', 'body.product_id');
    expectProblem(await alice.me.post('/v1/me/loan-applications', application({ account_id: bobAccount })), 404, 'account_not_found', 'account_id');
    expectProblem(await alice.me.post('/v1/me/loan-applications', application({ purpose: 'yachts' })), 400, 'invalid_request');
  });
});

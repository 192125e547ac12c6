/**
 * Lending through HTTP: products (versions, retire, every validation naming its field),
 * applications (approved with the worked example's schedule, declined with reason codes,
 * blocked and referred by the risk engine, replays and conflicts, bad input), accepting an
 * offer (the loan's accounts and the disbursement chain in the ledger, replays, expiry),
 * scopes, and the OpenAPI document. The clock starts on 2024-01-15, the worked example's
 * start date.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { balances, bal, expectInvariantsOk } from '../helpers/ledger.js';
import {
  applicationBody,
  createLendingKeys,
  customerAccount,
  expectReconciled,
  mustAccept,
  mustApply,
  mustSaveProduct,
  smeProduct,
  strongBusiness,
  type LendingKeys,
} from '../helpers/lending.js';
import { DEFAULT_RULE_SET } from '../../src/risk/defaults.js';
import { bankAccount, loanAccounts, postingId } from '../../src/lending/accounts.js';
import { loanIdOf } from '../../src/lending/service.js';
import { CREDIT_MODEL_ID } from '../../src/lending/credit-model.js';

const T0 = Date.UTC(2024, 0, 15, 9, 30);
const DAY_MS = 86_400_000;

let t: TestApp<ManualClock>;
let keys: LendingKeys;
let admin: Client;
let apply: Client;
let reader: Client;
/** A funded customer account (50,000.00 CNY). */
let account: string;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(T0) });
  keys = await createLendingKeys(t.testDb.db, t.clock.now());
  admin = new Client(t.base, keys.lending_admin);
  apply = new Client(t.base, keys.lending_apply);
  reader = new Client(t.base, keys.lending_read);
  await mustSaveProduct(admin, 'sme', smeProduct());
  await mustSaveProduct(admin, 'sme-fee', smeProduct({ name: 'SME with a fee', origination_fee: { fixed_minor: '10000', bps: 50 } }));
  account = await customerAccount(t.api, 5_000_000n);
});
afterAll(async () => {
  await t?.close();
});

describe('loan products', () => {
  it('PUT saves version 1 (201); the same body again is 200 with version 1; a change is version 2', async () => {
    const first = await admin.put('/v1/loan-products/micro', smeProduct({ name: 'Micro' }));
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ id: 'micro', version: 1, status: 'active', name: 'Micro', amount_min_minor: '1000000', origination_fee: { fixed_minor: '0', bps: 0 }, created_by: expect.stringContaining('test-lending_admin') });
    const again = await admin.put('/v1/loan-products/micro', smeProduct({ name: 'Micro' }));
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const changed = await admin.put('/v1/loan-products/micro', smeProduct({ name: 'Micro', annual_rate_percent: '13.5' }));
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ version: 2, annual_rate_percent: '13.5' });
    const detail = await reader.get('/v1/loan-products/micro');
    expect(detail.status).toBe(200);
    expect(detail.body.version).toBe(2);
    expect(detail.body.versions.map((v: any) => v.version)).toEqual([2, 1]);
    const v1 = await reader.get('/v1/loan-products/micro/versions/1');
    expect(v1.body).toMatchObject({ version: 1, annual_rate_percent: '12' });
    expectProblem(await reader.get('/v1/loan-products/micro/versions/9'), 404, 'loan_product_not_found');
    expectProblem(await reader.get('/v1/loan-products/nope'), 404, 'loan_product_not_found');
  });

  it('lists the latest version of each product by id, cursor-paginated', async () => {
    const first = await reader.get('/v1/loan-products?limit=1');
    expect(first.body.data).toHaveLength(1);
    const ids = [first.body.data[0].id];
    let cursor = first.body.next_cursor;
    while (cursor) {
      const page = await reader.get(`/v1/loan-products?limit=1&cursor=${cursor}`);
      ids.push(...page.body.data.map((p: any) => p.id));
      cursor = page.body.next_cursor;
    }
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['micro', 'sme', 'sme-fee']));
    expectProblem(await reader.get('/v1/loan-products?cursor=bogus!'), 400, 'invalid_cursor');
  });

  it('refuses a product that breaks a rule, naming the field; nothing is saved', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ amount_min_minor: '5000', amount_max_minor: '4000' }, 'body.amount_max_minor'],
      [{ annual_rate_percent: '12.0000001' }, 'body.annual_rate_percent'],
      [{ annual_rate_percent: '101' }, 'body.annual_rate_percent'],
      [{ currency: 'XYZ' }, 'body.currency'],
      [{ term_min_periods: 0 }, 'body.term_min_periods'],
      [{ grace_days: 91 }, 'body.grace_days'],
      [{ origination_fee: { fixed_minor: '-1', bps: 0 } }, 'body.origination_fee.fixed_minor'],
      [{ early_repayment: { allowed: true, fee_bps: 10_001, min_months: 0 } }, 'body.early_repayment.fee_bps'],
      [{ name: '   ' }, 'body.name'],
    ];
    for (const [over, field] of cases) expectProblem(await admin.put('/v1/loan-products/broken', smeProduct(over)), 400, 'invalid_loan_product', field);
    // A revolving line's own rules (docs/lending.md, "Revolving credit lines").
    expectProblem(await admin.put('/v1/loan-products/broken', smeProduct({ repayment_method: 'revolving', minimum_payment: { bps: 500, floor_minor: '0' } })), 400, 'invalid_loan_product', 'body.day_count');
    expectProblem(await admin.put('/v1/loan-products/broken', smeProduct({ repayment_method: 'revolving', day_count: 'actual/365' })), 400, 'invalid_loan_product', 'body.minimum_payment');
    expectProblem(await admin.put('/v1/loan-products/broken', smeProduct({ minimum_payment: { bps: 500, floor_minor: '0' } })), 400, 'invalid_loan_product', 'body.minimum_payment');
    expectProblem(await admin.put('/v1/loan-products/broken', smeProduct({ repayment_method: 'balloon' })), 400, 'invalid_request', 'body.repayment_method');
    expectProblem(await admin.put('/v1/loan-products/broken', smeProduct({ amount_min_minor: 1000 })), 400, 'invalid_request', 'body.amount_min_minor');
    expectProblem(await admin.put('/v1/loan-products/broken', { ...smeProduct(), colour: 'red' }), 400, 'invalid_request', 'body.colour');
    expectProblem(await admin.put('/v1/loan-products/bad id!', smeProduct()), 400, 'invalid_request');
    expectProblem(await reader.get('/v1/loan-products/broken'), 404, 'loan_product_not_found');
  });

  it('a retired product takes no applications; saving it again makes a new active version', async () => {
    await mustSaveProduct(admin, 'old', smeProduct());
    const retired = await admin.post('/v1/loan-products/old/retire');
    expect(retired.status, retired.text).toBe(200);
    expect(retired.body.status).toBe('retired');
    expectProblem(await apply.post('/v1/loan-applications', applicationBody(account, 'old')), 409, 'loan_product_retired', 'body.product_id');
    const revived = await admin.put('/v1/loan-products/old', smeProduct());
    expect(revived.status).toBe(201);
    expect(revived.body).toMatchObject({ version: 2, status: 'active' });
    expectProblem(await admin.post('/v1/loan-products/none/retire'), 404, 'loan_product_not_found');
  });
});

describe('applications: the automatic decision', () => {
  it('approves a strong SME with the offer and its schedule: the worked example, 100,000.00 at 12% over 12 months → 8,884.88', async () => {
    const body = applicationBody(account, 'sme');
    const app = await mustApply(apply, body);
    expect(app).toMatchObject({ id: body.id, status: 'approved', reasons: [], amount: '10000000', term: 12, product: { id: 'sme', version: 1 }, loan_id: null });
    expect(app.business).toMatchObject({ industry: 'restaurants', annual_revenue: '600000000', existing_debt: '0', owner_age: 45 });
    expect(app.decision_ms).toBeGreaterThan(0); // measured, not asserted: bench/lending-decision.ts and docs/lending.md
    expect(app.decision.score).toMatchObject({ band: 'A', model_id: CREDIT_MODEL_ID, model_version: 1 });
    expect(app.decision.risk).toMatchObject({ outcome: 'allow' });
    expect(app.decision.eligibility.every((r: any) => r.passed)).toBe(true);
    expect(app.decision.turnover).toMatchObject({ credits_minor: '5000000', transfers: 1 });
    expect(app.offer).toMatchObject({ amount: '10000000', term: 12, annual_rate_percent: '12', band: 'A', origination_fee: '0', reduced_from: null });
    expect(new Date(app.offer.expires_at).getTime()).toBe(T0 + 7 * DAY_MS);
    const s = app.offer.schedule;
    expect(s).toMatchObject({ method: 'annuity', day_count: '30/360', start_date: '2024-01-15', principal: '10000000', level_payment: '888488' });
    expect(s.instalments).toHaveLength(12);
    expect(s.instalments[0]).toMatchObject({ number: 1, due_date: '2024-02-15', interest: '100000', principal: '788488', payment: '888488', balance_after: '9211512' });
    expect(s.instalments[11]).toMatchObject({ due_date: '2025-01-15', interest: '8797', principal: '879688', payment: '888485', balance_after: '0' });
    expect(s.totals).toEqual({ principal: '10000000', interest: '661853', fee: '0', payment: '10661853' });
    // The decision is stored: GET answers the same.
    const got = await reader.get(`/v1/loan-applications/${body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(app);
  });

  it('the same id and body is a replay (200, the first decision); another body is 409 exists_with_different_fields', async () => {
    const body = applicationBody(account, 'sme');
    const first = await mustApply(apply, body);
    const again = await mustApply(apply, body, 200);
    expect(again).toEqual(first);
    expectProblem(await apply.post('/v1/loan-applications', { ...body, amount: '9000000' }), 409, 'exists_with_different_fields', 'body.id');
    expect((await reader.get(`/v1/loan-applications/${body.id}`)).body.amount).toBe('10000000');
  });

  it('declines on eligibility with every failing rule as a reason code', async () => {
    const app = await mustApply(apply, applicationBody(account, 'sme', { business: strongBusiness({ months_trading: 3, existing_debt: '550000000', industry: 'gambling', owner_age: 80 }) }));
    expect(app.status).toBe('declined');
    expect(app.offer).toBeNull();
    expect(app.reasons.map((r: any) => r.code).sort()).toEqual(['debt_to_revenue_too_high', 'industry_excluded', 'owner_age_out_of_range', 'trading_history_too_short']);
    expect(app.reasons.every((r: any) => r.kind === 'eligibility' && r.detail.length > 0)).toBe(true);
  });

  it('declines a weak credit score (band E) with the score reasons; a new customer without history scores neutral', async () => {
    const fresh = await customerAccount(t.api, 0n);
    const app = await mustApply(apply, applicationBody(fresh, 'sme', { amount: '50000000', term: 36, business: strongBusiness({ months_trading: 6, annual_revenue: '100000000', owner_age: 21, purpose: 'working_capital' }) }));
    expect(app.status).toBe('declined');
    expect(app.decision.score.band).toBe('E');
    expect(app.decision.score.attributes.checking_status).toBeNull();
    const codes = app.reasons.map((r: any) => r.code);
    expect(codes[0]).toBe('credit_score_below_cutoff');
    expect(codes).toEqual(expect.arrayContaining(['long_term', 'short_trading_history', 'no_account_history']));
    expect(app.reasons.find((r: any) => r.code === 'long_term').attribute).toBe('duration');
  });

  it('declines outside the product: amount and term ranges, another currency, a frozen account', async () => {
    const app = await mustApply(apply, applicationBody(account, 'sme', { amount: '999999', term: 48 }));
    expect(app.reasons.map((r: any) => r.code).sort()).toEqual(['amount_out_of_range', 'term_out_of_range']);
    const usd = (await t.api.post('/v1/accounts', { id: uuid7(), currency: 'USD', code: 2001 })).body.id;
    expect((await mustApply(apply, applicationBody(usd, 'sme'))).reasons.map((r: any) => r.code)).toContain('currency_mismatch');
    const frozen = await customerAccount(t.api, 100_000n);
    expect((await t.admin.post(`/v1/accounts/${frozen}/freeze`)).status).toBe(200);
    expect((await mustApply(apply, applicationBody(frozen, 'sme'))).reasons.map((r: any) => r.code)).toEqual(['account_not_open']);
  });

  it('the risk engine blocks a denied customer: declined with risk_blocked', async () => {
    const riskAdmin = new Client(t.base, t.keys.risk_admin);
    const body = applicationBody(account, 'sme');
    expect((await riskAdmin.put(`/v1/risk/lists/deny/customer/${body.customer_id}`, { reason: 'fraud ring' })).status).toBe(200);
    const app = await mustApply(apply, body);
    expect(app.status).toBe('declined');
    expect(app.reasons.map((r: any) => r.code)).toEqual(['risk_blocked']);
    expect(app.decision.risk).toMatchObject({ outcome: 'block', rules: [expect.objectContaining({ id: 'denied_customer' })] });
    // The risk decision is stored under the id derived from the application's, with the loan_application event.
    const decision = await new Client(t.base, t.keys.risk_read).get(`/v1/risk/decisions/${app.decision.risk.decision_id}`);
    expect(decision.status).toBe(200);
    expect(decision.body).toMatchObject({ outcome: 'block', event: expect.objectContaining({ type: 'loan_application', customer_id: body.customer_id, amount: '10000000' }) });
  });

  it('a risk review refers the application; an analyst approves it (the offer stands) or declines it', async () => {
    const riskAdmin = new Client(t.base, t.keys.risk_admin);
    const rules = [...DEFAULT_RULE_SET.rules, { id: 'loan_review', when: "event.type == 'loan_application' and event.customer_id == 'refer-me'", outcome: 'review', priority: 20, reason: 'manual review for this customer' }];
    const saved = await riskAdmin.post('/v1/risk/rule-sets/lending-test/versions', { rules, comment: 'lending test' });
    expect(saved.status, saved.text).toBe(201);
    expect((await riskAdmin.post(`/v1/risk/rule-sets/lending-test/versions/${saved.body.version}/publish`, { slot: 'live' })).status).toBe(200);

    const referred = await mustApply(apply, applicationBody(account, 'sme', { customer_id: 'refer-me' }));
    expect(referred.status).toBe('referred');
    expect(referred.reasons).toEqual([expect.objectContaining({ code: 'risk_review', kind: 'risk' })]);
    expect(referred.offer).toMatchObject({ amount: '10000000', expires_at: null });
    expectProblem(await apply.post(`/v1/loan-applications/${referred.id}/accept`, {}), 409, 'application_not_approved');

    t.clock.advance(3_600_000);
    const approved = await admin.post(`/v1/loan-applications/${referred.id}/review`, { outcome: 'approve', comment: 'checked the documents' });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.decision.review).toMatchObject({ outcome: 'approve', comment: 'checked the documents' });
    expect(new Date(approved.body.offer.expires_at).getTime()).toBe(t.clock.now().getTime() + 7 * DAY_MS);
    expectProblem(await admin.post(`/v1/loan-applications/${referred.id}/review`, { outcome: 'approve' }), 409, 'application_not_referred');

    const other = await mustApply(apply, applicationBody(account, 'sme', { customer_id: 'refer-me' }));
    const declined = await admin.post(`/v1/loan-applications/${other.id}/review`, { outcome: 'decline' });
    expect(declined.body.status).toBe('declined');
    expectProblem(await admin.post(`/v1/loan-applications/${uuid7()}/review`, { outcome: 'decline' }), 404, 'loan_application_not_found');
    // Back to the default rule set for the rest of the file.
    expect((await riskAdmin.post('/v1/risk/rule-sets/default/versions/1/publish', { slot: 'live' })).status).toBe(200);
  });

  it('bad input is a 400 naming the field, and stores nothing', async () => {
    const base = () => applicationBody(account, 'sme');
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base(), amount: 10000000 }, 'body.amount'],
      [{ ...base(), amount: '0' }, 'body.amount'],
      [{ ...base(), term: 0 }, 'body.term'],
      [{ ...base(), id: 'not-a-uuid' }, 'body.id'],
      [{ ...base(), customer_id: '' }, 'body.customer_id'],
      [{ ...base(), business: { ...strongBusiness(), industry: undefined } }, 'body.business.industry'],
      [{ ...base(), business: { ...strongBusiness(), annual_revenue: '-5' } }, 'body.business.annual_revenue'],
      [{ ...base(), business: { ...strongBusiness(), owner_age: 12 } }, 'body.business.owner_age'],
      [{ ...base(), business: { ...strongBusiness(), purpose: 'yacht' } }, 'body.business.purpose'],
      [{ ...base(), business: { ...strongBusiness(), months_trading: 1.5 } }, 'body.business.months_trading'],
      [{ ...base(), colour: 'red' }, 'body.colour'],
    ];
    for (const [body, field] of cases) {
      expectProblem(await apply.post('/v1/loan-applications', body), 400, 'invalid_request', field);
      if (typeof body.id === 'string' && /^[0-9a-f-]{36}$/.test(body.id)) expectProblem(await reader.get(`/v1/loan-applications/${body.id}`), 404, 'loan_application_not_found');
    }
    expectProblem(await apply.post('/v1/loan-applications', applicationBody(account, 'no-such-product')), 404, 'loan_product_not_found', 'body.product_id');
    expectProblem(await apply.post('/v1/loan-applications', applicationBody(uuid7(), 'sme')), 404, 'account_not_found', 'body.account_id');
    const raw = await apply.request('POST', '/v1/loan-applications', { raw: '{"id":', headers: { 'content-type': 'application/json' } });
    expectProblem(raw, 400, 'malformed_json');
  });

  it('lists applications newest first, by customer and status, cursor-paginated', async () => {
    const customer = `list-${uuid7().slice(-8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1_000);
      ids.push((await mustApply(apply, applicationBody(account, 'sme', { customer_id: customer }))).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await reader.get(`/v1/loan-applications?customer_id=${customer}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((a: any) => a.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const declined = await reader.get('/v1/loan-applications?status=declined&limit=500');
    expect(declined.body.data.length).toBeGreaterThan(0);
    expect(declined.body.data.every((a: any) => a.status === 'declined')).toBe(true);
  });
});

describe('accepting an offer: the loan is opened in the ledger', () => {
  it('opens the loan: its accounts, the disbursement to the customer, the loan and its schedule; accepting again is the same loan', async () => {
    const customer = await customerAccount(t.api, 5_000_000n);
    const app = await mustApply(apply, applicationBody(customer, 'sme'));
    const before = await balances(t.api, customer);
    const loan = await mustAccept(apply, app.id);
    expect(loan).toMatchObject({
      id: loanIdOf(app.id),
      application_id: app.id,
      account_id: customer,
      principal: '10000000',
      term: 12,
      band: 'A',
      annual_rate_percent: '12',
      start_date: t.clock.now().toISOString().slice(0, 10),
      status: 'active',
      balances: { principal: '10000000', interest: '0', penalty: '0', fee: '0' },
      ledger: { principal: '10000000', interest: '0', penalty: '0', fee: '0' },
      reconciled: true,
      accounts: loanAccounts(loanIdOf(app.id)),
    });
    // The customer got the principal; the loan's principal receivable holds it as a debit balance.
    expect(await balances(t.api, customer)).toMatchObject(bal(before.debits_posted, before.credits_posted + 10_000_000n));
    expect(await balances(t.api, loan.accounts.principal)).toMatchObject(bal(10_000_000n, 0n));
    const disbursement = await t.api.get(`/v1/transfers/${postingId(loan.id, 'disbursement', 'open')}`);
    expect(disbursement.body).toMatchObject({ debit_account_id: loan.accounts.principal, credit_account_id: customer, amount: '10000000', code: 7200 });

    const again = await mustAccept(apply, app.id, {}, 200);
    expect(again.id).toBe(loan.id);
    expect((await balances(t.api, customer)).credits_posted).toBe(before.credits_posted + 10_000_000n);
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, { amount: '5000000' }), 409, 'application_already_accepted');
    const application = await reader.get(`/v1/loan-applications/${app.id}`);
    expect(application.body).toMatchObject({ status: 'accepted', loan_id: loan.id });
    const schedule = await reader.get(`/v1/loans/${loan.id}/schedule`);
    expect(schedule.body.instalments).toHaveLength(12);
    expect(schedule.body.totals).toMatchObject({ principal: '10000000', interest: '661853' });
    expect((await reader.get(`/v1/loans?customer_id=${app.customer_id}`)).body.data.map((l: any) => l.id)).toEqual([loan.id]);
  });

  it('with an origination fee: one linked chain, the fee receivable holds it as instalment 1 dues it', async () => {
    const customer = await customerAccount(t.api, 5_000_000n);
    const app = await mustApply(apply, applicationBody(customer, 'sme-fee'));
    expect(app.offer.origination_fee).toBe('60000'); // 100.00 + 0.5% of 100,000.00
    expect(app.offer.schedule.instalments[0].fee).toBe('60000');
    const income = bankAccount('fee_income', 'CNY');
    const incomeBefore = (await t.api.get(`/v1/accounts/${income}`)).body;
    const loan = await mustAccept(apply, app.id);
    expect(loan.ledger).toEqual({ principal: '10000000', interest: '0', penalty: '0', fee: '60000' });
    expect(loan.balances).toEqual(loan.ledger);
    const incomeAfter = (await t.api.get(`/v1/accounts/${income}`)).body;
    expect(BigInt(incomeAfter.credits_posted) - BigInt(incomeBefore.credits_posted ?? 0)).toBe(60_000n);
    const fee = await t.api.get(`/v1/transfers/${postingId(loan.id, 'origination_fee', 'open')}`);
    expect(fee.body).toMatchObject({ debit_account_id: loan.accounts.fee, credit_account_id: income, amount: '60000', code: 7201 });
    expect(loan.next_due).toEqual({ due_date: '2024-02-15', amount: String(888_488 + 60_000) });
  });

  it('GET /v1/loans shows every loan as GET /v1/loans/{id} does (the page is read in a few queries, not per loan)', async () => {
    const page = (await reader.get('/v1/loans?limit=100')).body.data;
    expect(page.length).toBeGreaterThanOrEqual(2);
    for (const listed of page) expect(listed).toEqual((await reader.get(`/v1/loans/${listed.id}`)).body);
  });

  it('a lower amount and shorter term within the offer; outside it is 422 naming the field', async () => {
    const customer = await customerAccount(t.api, 5_000_000n);
    const app = await mustApply(apply, applicationBody(customer, 'sme'));
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, { amount: '10000001' }), 422, 'outside_offer', 'body.amount');
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, { amount: '999999' }), 422, 'outside_offer', 'body.amount');
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, { term: 13 }), 422, 'outside_offer', 'body.term');
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, { amount: 5 }), 400, 'invalid_request', 'body.amount');
    const loan = await mustAccept(apply, app.id, { amount: '6000000', term: 6 });
    expect(loan).toMatchObject({ principal: '6000000', term: 6 });
    expect((await reader.get(`/v1/loans/${loan.id}/schedule`)).body.instalments).toHaveLength(6);
  });

  it('a declined application cannot be accepted; an offer expires after 7 days', async () => {
    const declined = await mustApply(apply, applicationBody(account, 'sme', { business: strongBusiness({ months_trading: 1 }) }));
    expectProblem(await apply.post(`/v1/loan-applications/${declined.id}/accept`, {}), 409, 'application_not_approved');
    expectProblem(await apply.post(`/v1/loan-applications/${uuid7()}/accept`, {}), 404, 'loan_application_not_found');
    const customer = await customerAccount(t.api, 100_000n);
    const app = await mustApply(apply, applicationBody(customer, 'sme'));
    t.clock.advance(7 * DAY_MS + 1);
    const before = await balances(t.api, customer);
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, {}), 409, 'offer_expired');
    expect((await reader.get(`/v1/loan-applications/${app.id}`)).body.status).toBe('expired');
    expect(await balances(t.api, customer)).toEqual(before);
  });

  it('a customer account frozen after the decision: the disbursement is refused and nothing is written', async () => {
    const customer = await customerAccount(t.api, 5_000_000n);
    const app = await mustApply(apply, applicationBody(customer, 'sme'));
    expect((await t.admin.post(`/v1/accounts/${customer}/freeze`)).status).toBe(200);
    expectProblem(await apply.post(`/v1/loan-applications/${app.id}/accept`, {}), 409, 'account_frozen', 'account_id');
    expectProblem(await reader.get(`/v1/loans/${loanIdOf(app.id)}`), 404, 'loan_not_found');
    expect((await reader.get(`/v1/loan-applications/${app.id}`)).body.status).toBe('approved');
    expect((await t.admin.post(`/v1/accounts/${customer}/unfreeze`)).status).toBe(200);
    const loan = await mustAccept(apply, app.id);
    await expectReconciled(reader, loan.id);
  });
});

describe('access', () => {
  it('every lending route needs a key and the least scope', async () => {
    const anon = new Client(t.base, null);
    expectProblem(await anon.get('/v1/loan-products'), 401, 'unauthorized');
    expectProblem(await anon.post('/v1/loan-applications', {}), 401, 'unauthorized');
    expectProblem(await reader.put('/v1/loan-products/x', smeProduct()), 403, 'insufficient_scope');
    expectProblem(await reader.post('/v1/loan-applications', applicationBody(account, 'sme')), 403, 'insufficient_scope');
    expectProblem(await apply.post(`/v1/loan-applications/${uuid7()}/review`, { outcome: 'approve' }), 403, 'insufficient_scope');
    expectProblem(await apply.post(`/v1/loans/${uuid7()}/repayments`, { id: uuid7(), amount: '1' }), 403, 'insufficient_scope');
    expectProblem(await new Client(t.base, keys.lending_repay).post(`/v1/loans/${uuid7()}/write-off`, { id: uuid7(), reason: 'x' }), 403, 'insufficient_scope');
    expectProblem(await new Client(t.base, keys.lending_repay).post(`/v1/loans/${uuid7()}/restructure`, { id: uuid7(), term: 3 }), 403, 'insufficient_scope');
    expectProblem(await new Client(t.base, t.keys.rw).get('/v1/loans'), 403, 'insufficient_scope');
    expect((await t.admin.get('/v1/loans')).status).toBe(200);
  });

  it('the OpenAPI document describes the lending routes; the credit model is visible in the risk API', async () => {
    const spec = await new Client(t.base, null).get('/docs/json');
    for (const path of ['/v1/loan-products/{id}', '/v1/loan-applications', '/v1/loan-applications/{id}/accept', '/v1/loans/{id}/repayments', '/v1/loans/{id}/payoff-quote', '/v1/loans/{id}/statement']) {
      expect(Object.keys(spec.body.paths), path).toContain(path);
    }
    const models = await new Client(t.base, t.keys.risk_read).get('/v1/risk/models');
    expect(models.body.data).toContainEqual(expect.objectContaining({ id: CREDIT_MODEL_ID, version: 1, kind: 'scorecard' }));
  });

  it('the ledger invariants hold', async () => {
    await expectInvariantsOk(t.admin);
  });
});

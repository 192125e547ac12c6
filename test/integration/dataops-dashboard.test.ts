/**
 * The data-operations dashboard and scorecard against data made through the services
 * over two days: customer transfers in named channels, red envelopes, held transfers whose
 * cases are rejected (fraud) or approved, a loan funnel, and customer sign-ins. Every
 * figure is checked against the exact number the data implies. Time is a ManualClock; the
 * app runs with DAILY_RUNNING_COST_MINOR = 700.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { buildApp, type App } from '../../src/server/app.js';
import { ManualClock } from '../../src/server/clock.js';
import { createKeys } from '../helpers/app.js';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { createAccounts, mustTransfer, transfer } from '../helpers/ledger.js';
import { defaultRulesPlus, deployRules } from '../helpers/risk.js';
import { applicationBody, customerAccount, mustAccept, mustApply, mustSaveProduct, smeProduct, strongBusiness } from '../helpers/lending.js';
import { allCases } from '../helpers/risk.js';

const DAY1 = Date.UTC(2026, 3, 9, 10, 0, 0);
const DAY2 = Date.UTC(2026, 3, 10, 10, 0, 0);
const GATED = 4242;

let app: App;
let testDb: TestDb;
let clock: ManualClock;
let admin: Client;
let viewer: Client;

const ch = (day: any, channel: string) => day.by_channel.find((c: any) => c.channel === channel);

beforeAll(async () => {
  clock = new ManualClock(DAY1);
  testDb = await openTestDb();
  app = await buildApp({ db: testDb.db, clock, log_level: process.env.CAPILLARY_TEST_LOG_LEVEL || 'silent', daily_running_cost_minor: 700n });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const keys = await createKeys(testDb.db, clock.now());
  admin = new Client(base, keys.admin);
  viewer = new Client(base, keys.metrics);

  const signIn = (customer_id: string, outcome: string) =>
    testDb.db.query('INSERT INTO customer_sign_ins (id, customer_id, device_id, method, outcome, at) VALUES ($1, $2, $3, $4, $5, $6)', [
      randomUUID(),
      customer_id,
      'device-1',
      'otp',
      outcome,
      clock.now().toISOString(),
    ]);

  // Day 1: accounts, deposits (channel other), customer transfers in app / web / an unknown channel, an envelope and a grab, sign-ins.
  const [cash, alice, bob] = await createAccounts(admin, [
    { id: uuid7(), currency: 'CNY', code: 1001 },
    { id: uuid7(), currency: 'CNY', code: 2001 },
    { id: uuid7(), currency: 'CNY', code: 2001 },
  ]);
  for (const [id, account] of [['alice', alice], ['bob', bob]] as const) {
    expect((await admin.post('/v1/customers', { id, display_name: id, mode: 'live' })).status).toBe(201);
    expect((await admin.post(`/v1/customers/${id}/accounts`, { account_id: account })).status).toBe(201);
  }
  await mustTransfer(admin, transfer(cash, alice, 100_000));
  await mustTransfer(admin, transfer(cash, bob, 50_000));
  await mustTransfer(admin, transfer(alice, bob, 1_500, { metadata: { channel: 'app' } } as never));
  await mustTransfer(admin, transfer(bob, alice, 700, { metadata: { channel: 'web' } } as never));
  await mustTransfer(admin, transfer(alice, bob, 300, { metadata: { channel: 'carrier-pigeon' } } as never));
  const envelope = await admin.post('/v1/envelopes', { id: uuid7(), sender_customer_id: 'alice', funding_account_id: alice, total_amount: '1000', share_count: 4, mode: 'equal', expires_in_seconds: 2 * 86_400 });
  expect(envelope.status, envelope.text).toBe(201);
  const grab = (customer_id: string, account_id: string) =>
    admin.post(`/v1/envelopes/${envelope.body.id}/grabs`, { customer_id, account_id, link_token: envelope.body.link_token });
  expect((await grab('bob', bob)).status).toBe(201);
  await signIn('alice', 'signed_in');
  await signIn('carol', 'signed_in');
  await signIn('dave', 'refused');
  await signIn('erin', 'step_up');

  // Day 2: held transfers (one rejected as fraud, one approved), a second grab, a loan funnel, a sign-in.
  clock.set(new Date(DAY2));
  // The loan first: the review rule below would refer its application too.
  await mustSaveProduct(admin, 'sme', smeProduct());
  const business = await customerAccount(admin, 5_000_000n);
  const approved = await mustApply(admin, applicationBody(business, 'sme'));
  expect(approved.status).toBe('approved');
  await mustAccept(admin, approved.id);
  const declined = await mustApply(admin, applicationBody(business, 'sme', { business: strongBusiness({ months_trading: 3, existing_debt: '550000000', industry: 'gambling', owner_age: 80 }) }));
  expect(declined.status).toBe('declined');
  expect((await admin.put(`/v1/risk/transfer-policies/${GATED}`, { enabled: true, hold_timeout_seconds: 3600 })).status).toBe(200);
  await deployRules(admin, 'dataops_rules', defaultRulesPlus({ id: 'large_transfer', when: 'event.amount >= 1000', outcome: 'review', reason: 'large transfer' }));
  const fraud = transfer(alice, bob, 2_000, { code: GATED, metadata: { channel: 'app' } } as never);
  const fine = transfer(alice, bob, 1_200, { code: GATED, metadata: { channel: 'app' } } as never);
  for (const body of [fraud, fine]) expect((await admin.post('/v1/transfers', body)).status).toBe(201);
  const cases = await allCases(admin);
  const caseOf = (id: string) => cases.find((c: any) => c.transfer_id === id).id;
  expect((await admin.post(`/v1/risk/cases/${caseOf(fraud.id)}/reject`, {})).status).toBe(200);
  expect((await admin.post(`/v1/risk/cases/${caseOf(fine.id)}/approve`, {})).status).toBe(200);
  const [carolAccount] = await createAccounts(admin, [{ id: uuid7(), currency: 'CNY', code: 2001 }]);
  const second = await grab('carol', carolAccount);
  expect(second.status, second.text).toBe(201);

  await signIn('carol', 'signed_in');
}, 120_000);

afterAll(async () => {
  await app?.close();
  await testDb?.close();
});

describe('GET /v1/dataops/dashboard', () => {
  it('gives each day exact figures', async () => {
    const res = await viewer.get('/v1/dataops/dashboard?days=2');
    expect(res.status, res.text).toBe(200);
    const body = res.body;
    expect(body).toMatchObject({ days: 2, from: '2026-04-09', to: '2026-04-10', currency: 'CNY', daily_running_cost_minor: '700' });
    const [d1, d2] = body.series;
    expect(d1.date).toBe('2026-04-09');
    // Day 1: 2 deposits + 3 customer transfers + envelope funding + 1 grab.
    expect(d1).toMatchObject({
      active_customers: 3, // alice and bob (debited), carol (signed in); dave refused and erin stepped up do not count
      transactions: 7,
      volume_minor: '153750',
      loan_funnel: { submitted: 0, approved: 0, accepted: 0, disbursed: 0 },
      envelopes: { created: 1, amount_minor: '1000', grabs: 1, grabbed_minor: '250' },
      fraud_loss_minor: '0',
      fraud_loss_rate_bps: '0',
      cost_per_transaction_minor: '100',
    });
    expect(ch(d1, 'app')).toEqual({ channel: 'app', transactions: 1, volume_minor: '1500' });
    expect(ch(d1, 'web')).toEqual({ channel: 'web', transactions: 1, volume_minor: '700' });
    expect(ch(d1, 'other')).toEqual({ channel: 'other', transactions: 3, volume_minor: '150300' });
    expect(ch(d1, 'envelopes')).toEqual({ channel: 'envelopes', transactions: 2, volume_minor: '1250' });
    expect(ch(d1, 'lending')).toEqual({ channel: 'lending', transactions: 0, volume_minor: '0' });

    // Day 2: the two held transfers (counted once each: their post/void are not new transactions),
    // a grab, the business's deposit and the loan's payout.
    expect(d2).toMatchObject({
      active_customers: 2, // alice (debited by the held transfers), carol (signed in)
      transactions: 5,
      volume_minor: String(2_000 + 1_200 + 250 + 5_000_000 + 10_000_000),
      loan_funnel: { submitted: 2, approved: 1, accepted: 1, disbursed: 1 },
      envelopes: { created: 0, amount_minor: '0', grabs: 1, grabbed_minor: '250' },
      fraud_loss_minor: '2000',
      fraud_loss_rate_bps: String((2_000n * 10_000n) / 15_003_450n),
      cost_per_transaction_minor: '140',
    });
    expect(ch(d2, 'app')).toEqual({ channel: 'app', transactions: 2, volume_minor: '3200' });
    expect(ch(d2, 'lending')).toEqual({ channel: 'lending', transactions: 1, volume_minor: '10000000' });

    expect(body.totals).toMatchObject({
      active_customers: 3, // distinct over both days, not 3 + 2
      transactions: 12,
      volume_minor: String(153_750 + 15_003_450),
      loan_funnel: { submitted: 2, approved: 1, accepted: 1, disbursed: 1 },
      envelopes: { created: 1, amount_minor: '1000', grabs: 2, grabbed_minor: '500' },
      fraud_loss_minor: '2000',
      fraud_loss_rate_bps: String((2_000n * 10_000n) / 15_157_200n),
      cost_per_transaction_minor: '117', // 1,400 / 12 = 116.67, rounded half up
    });
  });

  it('days=1 is today only; the default is 30 days with empty days as zeros', async () => {
    const one = await viewer.get('/v1/dataops/dashboard?days=1');
    expect(one.body.series.map((d: any) => d.date)).toEqual(['2026-04-10']);
    expect(one.body.totals.transactions).toBe(5);
    const month = await viewer.get('/v1/dataops/dashboard');
    expect(month.body.series).toHaveLength(30);
    expect(month.body.from).toBe('2026-03-12');
    expect(month.body.series[0]).toMatchObject({ transactions: 0, volume_minor: '0', fraud_loss_rate_bps: null, cost_per_transaction_minor: null });
  });

  it('another currency: counts stay, money figures are in that currency', async () => {
    const usd = await viewer.get('/v1/dataops/dashboard?days=2&currency=USD');
    expect(usd.body.totals).toMatchObject({ transactions: 12, volume_minor: '0', fraud_loss_minor: '0', fraud_loss_rate_bps: null });
  });

  it('validates days 1..90 and the currency, naming the field', async () => {
    for (const q of ['days=0', 'days=91', 'days=abc', 'days=1.5']) expectProblem(await viewer.get(`/v1/dataops/dashboard?${q}`), 400, 'invalid_request', 'querystring.days');
    expectProblem(await viewer.get('/v1/dataops/dashboard?currency=cny'), 400, 'invalid_request', 'querystring.currency');
  });

  it('needs metrics:read (every staff role has it) and a credential', async () => {
    expectProblem(await admin.as(null).get('/v1/dataops/dashboard'), 401, 'unauthorized');
  });
});

describe('GET /v1/dataops/scorecard', () => {
  it('has five sections of defined figures computed from the same data', async () => {
    const res = await viewer.get('/v1/dataops/scorecard');
    expect(res.status, res.text).toBe(200);
    const sections = res.body.sections;
    expect(sections.map((s: any) => s.key)).toEqual(['customer_journey', 'data_operations', 'risk_control', 'infrastructure', 'delivery_efficiency']);
    for (const s of sections) {
      expect(s.figures.length).toBeGreaterThanOrEqual(3);
      for (const f of s.figures) {
        expect(Object.keys(f).sort()).toEqual(['definition', 'key', 'label', 'unit', 'value']);
        expect(f.definition.length).toBeGreaterThan(30);
        expect(f.value === null || /^[0-9]+$/.test(f.value)).toBe(true);
      }
    }
    const v = Object.fromEntries(sections.flatMap((s: any) => s.figures.map((f: any) => [`${s.key}.${f.key}`, f.value])));
    const openCases = (await allCases(admin)).filter((c: any) => c.status === 'open').length;
    expect(v).toMatchObject({
      'customer_journey.active_customers': '3',
      'customer_journey.sign_in_success_rate': '6000', // 3 of 5 attempts signed in
      'customer_journey.step_up_rate': '2000', // 1 of 5
      'customer_journey.digital_share': '3333', // app/web: 2 on day 1, 2 on day 2, of 12
      'data_operations.transactions': '12',
      'data_operations.volume': '15157200',
      'data_operations.loan_conversion': '5000', // 1 of 2 applications paid out
      'data_operations.envelope_claim_rate': '5000', // 2 of 4 shares
      'risk_control.fraud_loss_rate': String((2_000n * 10_000n) / 15_157_200n),
      'risk_control.open_cases': String(openCases),
      'risk_control.npl_ratio': '0',
      'infrastructure.cost_per_transaction': '1750', // 30 days × 700 / 12 transactions
      'infrastructure.webhook_success_rate': null,
      'infrastructure.webhook_backlog': '0',
      'delivery_efficiency.automated_loan_decisions': '10000',
      'delivery_efficiency.case_resolution_time': '0', // both cases decided at the instant they opened (ManualClock)
    });
    expect(Number(v['delivery_efficiency.loan_decision_time'])).toBeGreaterThanOrEqual(0);
    expect(Number(v['delivery_efficiency.rule_sets_published'])).toBeGreaterThanOrEqual(1);
    // A figure's money is never a float.
    expect(res.text).not.toMatch(/"value":\s*[0-9]/);
  });
});

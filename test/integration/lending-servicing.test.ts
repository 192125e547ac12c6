/**
 * Servicing loans through HTTP, with time moving on a ManualClock from 2024-01-15 (the
 * worked example's start): repayments in the documented order, replays and conflicts, a
 * refused payment changing nothing for the customer, payoff (quote and full early
 * repayment), partial prepayment with a rebuilt schedule, restructure, write-off, the
 * statement from the ledger — and after every step the loan row agrees with its ledger
 * accounts. Then the same with the close of business (COB) running beside servicing: no
 * day's interest is accrued twice, whichever of them gets there first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { balances, expectInvariantsOk, mustTransfer, transfer, createAccount } from '../helpers/ledger.js';
import {
  applicationBody,
  createLendingKeys,
  customerAccount,
  expectReconciled,
  mustAccept,
  mustApply,
  mustOperate,
  mustSaveProduct,
  smeProduct,
  type LendingKeys,
} from '../helpers/lending.js';
import { bankAccount } from '../../src/lending/accounts.js';
import { Cob } from '../../src/lending/cob.js';
import { businessDate } from '../../src/lending/dates.js';

const at = (date: string, hour = 10) => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);

interface Opened {
  loan: any;
  account: string;
}

async function openLoan(t: TestApp<ManualClock>, apply: Client, product: string, funds: bigint, over: Record<string, unknown> = {}): Promise<Opened> {
  const account = await customerAccount(t.api, funds);
  const app = await mustApply(apply, applicationBody(account, product, over));
  expect(app.status, JSON.stringify(app.reasons)).toBe('approved');
  return { loan: await mustAccept(apply, app.id), account };
}

/** The customer spends everything in the account. */
async function empty(t: TestApp<ManualClock>, account: string): Promise<void> {
  const b = await balances(t.api, account);
  const sink = await createAccount(t.api, { currency: 'CNY' });
  await mustTransfer(t.api, transfer(account, sink, b.credits_posted - b.debits_posted - b.debits_pending));
}

const posted = async (t: TestApp<ManualClock>, id: string) => {
  const b = await balances(t.api, id);
  return b.debits_posted - b.credits_posted;
};

describe('servicing without COB: the repayment catches up the interest', () => {
  let t: TestApp<ManualClock>;
  let keys: LendingKeys;
  let apply: Client;
  let repay: Client;
  let admin: Client;
  let reader: Client;
  const loans: Record<string, Opened> = {};

  beforeAll(async () => {
    t = await startTestApp({ clock: new ManualClock(at('2024-01-15').getTime()) });
    keys = await createLendingKeys(t.testDb.db, t.clock.now());
    apply = new Client(t.base, keys.lending_apply);
    repay = new Client(t.base, keys.lending_repay);
    admin = new Client(t.base, keys.lending_admin);
    reader = new Client(t.base, keys.lending_read);
    await mustSaveProduct(admin, 'sme', smeProduct());
    await mustSaveProduct(admin, 'sme-locked', smeProduct({ early_repayment: { allowed: false, fee_bps: 0, min_months: 0 } }));
    await mustSaveProduct(admin, 'sme-er-fee', smeProduct({ early_repayment: { allowed: true, fee_bps: 100, min_months: 0 } }));
    for (const name of ['regular', 'payoff', 'prepay', 'restructure', 'writeoff', 'broke', 'erfee']) {
      loans[name] = await openLoan(t, apply, name === 'erfee' ? 'sme-er-fee' : 'sme', 5_000_000n);
    }
    loans.locked = await openLoan(t, apply, 'sme-locked', 5_000_000n);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('2024-01-17: a payoff quote; more than it is refused; the exact payoff closes the loan and clears every receivable', async () => {
    t.clock.set(at('2024-01-17'));
    const { loan, account } = loans.payoff!;
    const quote = await reader.get(`/v1/loans/${loan.id}/payoff-quote`);
    expect(quote.status, quote.text).toBe(200);
    // 100,000.00 + 64.52 accrued (2 of 31 days), the core's worked payoff without a fee.
    expect(quote.body).toEqual({
      loan_id: loan.id,
      date: '2024-01-17',
      arrears: { penalty: '0', fee: '0', interest: '0', principal: '0' },
      prepaid_principal: '10000000',
      accrued_interest: '6452',
      future_fee: '0',
      early_repayment_fee: '0',
      total: '10006452',
    });
    expect((await reader.get(`/v1/loans/${loan.id}/payoff-quote?date=2024-02-01`)).body.accrued_interest).toBe('54839');
    expectProblem(await reader.get(`/v1/loans/${loan.id}/payoff-quote?date=2024-01-16`), 400, 'quote_date_out_of_range', 'querystring.date');
    expectProblem(await reader.get(`/v1/loans/${loan.id}/payoff-quote?date=2024-02-30`), 400, 'invalid_request', 'querystring.date');

    const accountBefore = await balances(t.api, account);
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: '10006453' }), 422, 'repayment_exceeds_payoff', 'body.amount');
    expectProblem(await repay.post(`/v1/loans/${loan.id}/payoff`, { id: uuid7(), amount: '10006000' }), 409, 'payoff_amount_changed', 'body.amount');
    expect(await balances(t.api, account)).toEqual(accountBefore);
    // The refused repayment still caught up the two days of interest COB would have accrued.
    expect((await expectReconciled(reader, loan.id)).balances).toMatchObject({ principal: '10000000', interest: '6452' });

    const id = uuid7();
    const paid = await mustOperate(repay, loan.id, 'payoff', { id, amount: '10006452' });
    expect(paid).toMatchObject({ kind: 'payoff', amount: '10006452', paid: { penalty: '0', fee: '0', interest: '6452', principal: '10000000' }, prepaid_principal: '10000000', business_date: '2024-01-17' });
    expect(paid.details).toMatchObject({ closed: true, interest_accrued_minor: '0', interest_accrued_through: '2024-01-16' });
    expect(paid.loan).toMatchObject({ status: 'closed', balances: { principal: '0', interest: '0', penalty: '0', fee: '0' }, ledger: { principal: '0', interest: '0', penalty: '0', fee: '0' }, reconciled: true, next_due: null });
    expect(await balances(t.api, account)).toMatchObject({ debits_posted: accountBefore.debits_posted + 10_006_452n });
    // The schedule says what happened: a settlement line, the rest superseded; principal still sums.
    const schedule = (await reader.get(`/v1/loans/${loan.id}/schedule`)).body;
    expect(schedule.instalments).toEqual([expect.objectContaining({ kind: 'settlement', period_start: '2024-01-15', due_date: '2024-01-17', principal: '10000000', interest: '6452', status: 'paid' })]);
    expect(schedule.totals).toMatchObject({ principal: '10000000', paid_principal: '10000000', interest: '6452' });
    expect((await reader.get(`/v1/loans/${loan.id}/schedule?include_superseded=true`)).body.instalments).toHaveLength(13);

    expect((await mustOperate(repay, loan.id, 'payoff', { id, amount: '10006452' }, 200)).id).toBe(id);
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: '100' }), 409, 'loan_not_active');
  });

  it('2024-01-17: a product without early repayment takes nothing before it is due', async () => {
    const { loan } = loans.locked!;
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: '1000' }), 422, 'early_repayment_not_allowed', 'body.amount');
    expectProblem(await repay.post(`/v1/loans/${loan.id}/payoff`, { id: uuid7() }), 422, 'early_repayment_not_allowed');
    await expectReconciled(reader, loan.id);
  });

  it('2024-02-15: an instalment paid on its due date — interest first, then principal; a replay; a conflicting reuse of the id', async () => {
    t.clock.set(at('2024-02-15'));
    const { loan, account } = loans.regular!;
    const before = await balances(t.api, account);
    const id = uuid7();
    const paid = await mustOperate(repay, loan.id, 'repayments', { id, amount: '888488' });
    expect(paid).toMatchObject({ kind: 'repayment', amount: '888488', paid: { penalty: '0', fee: '0', interest: '100000', principal: '788488' }, prepaid_principal: '0' });
    expect(paid.details).toMatchObject({ interest_accrued_minor: '100000', interest_accrued_through: '2024-02-14', closed: false, schedule_rebuilt: false });
    expect(paid.loan).toMatchObject({ balances: { principal: '9211512', interest: '0' }, reconciled: true, next_due: { due_date: '2024-03-15', amount: '888488' } });
    expect((await balances(t.api, account)).debits_posted).toBe(before.debits_posted + 888_488n);
    expect(await posted(t, loan.accounts.principal)).toBe(9_211_512n);
    const schedule = (await reader.get(`/v1/loans/${loan.id}/schedule`)).body;
    expect(schedule.instalments[0]).toMatchObject({ number: 1, status: 'paid', paid_interest: '100000', paid_principal: '788488' });

    const replay = await mustOperate(repay, loan.id, 'repayments', { id, amount: '888488' }, 200);
    expect({ ...replay, loan: undefined }).toEqual({ ...paid, loan: undefined });
    expect((await balances(t.api, account)).debits_posted).toBe(before.debits_posted + 888_488n);
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id, amount: '888489' }), 409, 'exists_with_different_fields', 'body.id');
    expectProblem(await repay.post(`/v1/loans/${loans.prepay!.loan.id}/repayments`, { id, amount: '888488' }), 409, 'exists_with_different_fields', 'body.id');
    expectProblem(await repay.post(`/v1/loans/${uuid7()}/repayments`, { id: uuid7(), amount: '1' }), 404, 'loan_not_found');
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: '0' }), 400, 'invalid_request', 'body.amount');
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: 5 }), 400, 'invalid_request', 'body.amount');
    await expectReconciled(reader, loan.id);
  });

  it('2024-02-15: a customer who cannot pay: refused with exceeds_credits, the customer’s money does not move', async () => {
    const { loan, account } = loans.broke!;
    await empty(t, account);
    const before = await balances(t.api, account);
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: '888488' }), 422, 'exceeds_credits', 'body.amount');
    expect(await balances(t.api, account)).toEqual(before);
    const view = await expectReconciled(reader, loan.id);
    // The interest COB would have accrued for those days stands (the same postings COB makes); nothing was paid.
    expect(view.balances).toMatchObject({ principal: '10000000', interest: '100000' });
    expect(view.last_accrual_date).toBe('2024-02-14');
  });

  it('2024-02-15: the rest after what is due prepays principal: the schedule is rebuilt (same term, lower payment) and principal still sums', async () => {
    const { loan, account } = loans.prepay!;
    const before = await balances(t.api, account);
    const paid = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: String(888_488 + 3_000_000) });
    expect(paid).toMatchObject({ paid: { interest: '100000', principal: String(788_488 + 3_000_000) }, prepaid_principal: '3000000', early_repayment_fee: '0' });
    expect(paid.details).toMatchObject({ schedule_rebuilt: true, maturity_date: '2025-01-15' });
    expect((await balances(t.api, account)).debits_posted).toBe(before.debits_posted + 3_888_488n);
    const schedule = (await reader.get(`/v1/loans/${loan.id}/schedule`)).body;
    expect(schedule.totals.principal).toBe('10000000');
    const future = schedule.instalments.filter((i: any) => i.due_date > '2024-02-15');
    expect(future).toHaveLength(11);
    const payment = BigInt(future[0].principal) + BigInt(future[0].interest);
    expect(payment).toBeLessThan(888_488n);
    expect(future.slice(0, 10).every((i: any) => BigInt(i.principal) + BigInt(i.interest) === payment)).toBe(true);
    expect(schedule.instalments.find((i: any) => i.kind === 'settlement')).toMatchObject({ principal: '3000000', due_date: '2024-02-15', status: 'paid' });
    expect(paid.loan).toMatchObject({ balances: { principal: String(10_000_000 - 3_788_488) }, reconciled: true, next_due: { due_date: '2024-03-15', amount: String(payment) } });
  });

  it('2024-02-15: with an early-repayment fee the amount must be exact; the fee is charged and collected in the chain', async () => {
    const { loan } = loans.erfee!;
    const feeIncome = bankAccount('fee_income', 'CNY');
    const incomeBefore = await balances(t.api, feeIncome);
    // Due 888,488; then X + 1% of X: 1,010,000 prepays 1,000,000 with a 10,000 fee. 1,010,050 has no such X.
    expectProblem(await repay.post(`/v1/loans/${loan.id}/repayments`, { id: uuid7(), amount: String(888_488 + 1_010_050) }), 422, 'prepayment_amount_inexact', 'body.amount');
    const paid = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: String(888_488 + 1_010_000) });
    expect(paid).toMatchObject({ prepaid_principal: '1000000', early_repayment_fee: '10000', paid: { fee: '10000', interest: '100000', principal: String(788_488 + 1_000_000) } });
    expect((await balances(t.api, feeIncome)).credits_posted - incomeBefore.credits_posted).toBe(10_000n);
    await expectReconciled(reader, loan.id);
  });

  it('2024-02-20: a short payment on the write-off loan; 2024-03-20: written off — principal and unpaid interest to expense (no provision held)', async () => {
    t.clock.set(at('2024-02-20'));
    const { loan } = loans.writeoff!;
    await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: '10000' });
    const partly = await expectReconciled(reader, loan.id);
    expect(partly.balances.interest).toBe(String(100_000 + 15_882 - 10_000)); // period 2: 5 of its 29 days of 92,115 accrued
    t.clock.set(at('2024-03-20'));
    const expense = bankAccount('write_off_expense', 'CNY');
    const expenseBefore = await balances(t.api, expense);
    const off = await mustOperate(admin, loan.id, 'write-off', { id: uuid7(), reason: 'the business closed' });
    expect(off).toMatchObject({ kind: 'write_off', amount: '0' });
    expect(off.details).toMatchObject({ reason: 'the business closed', written_off: { principal: '10000000', from_allowance: '0', interest: '105882', penalty: '0', fee: '0', category: 'normal' } });
    expect(off.loan).toMatchObject({ status: 'written_off', balances: { principal: '0', interest: '0', penalty: '0', fee: '0' }, reconciled: true });
    expect((await balances(t.api, expense)).debits_posted - expenseBefore.debits_posted).toBe(10_105_882n);
    expectProblem(await admin.post(`/v1/loans/${loan.id}/write-off`, { id: uuid7(), reason: 'again' }), 409, 'loan_not_active');
    expectProblem(await admin.post(`/v1/loans/${loan.id}/write-off`, { id: uuid7() }), 400, 'invalid_request', 'body.reason');
  });

  it('2024-03-20: five days late, a short payment goes to the oldest interest first; then the rest of the instalment', async () => {
    const { loan } = loans.regular!;
    const short = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: '50000' });
    expect(short.paid).toEqual({ penalty: '0', fee: '0', interest: '50000', principal: '0' });
    const second = (await reader.get(`/v1/loans/${loan.id}/schedule`)).body.instalments[1];
    expect(second).toMatchObject({ due_date: '2024-03-15', interest: '92115', paid_interest: '50000', paid_principal: '0', status: 'due' });
    const rest = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: String(888_488 - 50_000) });
    expect(rest.paid).toEqual({ penalty: '0', fee: '0', interest: '42115', principal: '796373' });
    const view = await expectReconciled(reader, loan.id);
    expect(view.next_due).toEqual({ due_date: '2024-04-15', amount: '888488' });
  });

  it('2024-03-20: restructure two unpaid instalments over 24 months: no money moves, principal still sums, overdue interest stays due', async () => {
    const { loan, account } = loans.restructure!;
    const before = await balances(t.api, account);
    const principalBefore = await posted(t, loan.accounts.principal);
    expectProblem(await admin.post(`/v1/loans/${loan.id}/restructure`, { id: uuid7(), term: 0 }), 400, 'invalid_request', 'body.term');
    const done = await mustOperate(admin, loan.id, 'restructure', { id: uuid7(), term: 24 });
    expect(done).toMatchObject({ kind: 'restructure', amount: '0', paid: { penalty: '0', fee: '0', interest: '0', principal: '0' } });
    expect(done.details).toMatchObject({ term_periods: 24, schedule_rebuilt: true, maturity_date: '2026-03-15' });
    expect(await balances(t.api, account)).toEqual(before);
    expect(await posted(t, loan.accounts.principal)).toBe(principalBefore);
    const schedule = (await reader.get(`/v1/loans/${loan.id}/schedule`)).body;
    expect(schedule.totals.principal).toBe('10000000');
    const rebuilt = schedule.instalments.filter((i: any) => i.due_date > '2024-03-20');
    expect(rebuilt).toHaveLength(24);
    expect(rebuilt.reduce((s: bigint, i: any) => s + BigInt(i.principal), 0n)).toBe(10_000_000n);
    // Instalments 1 and 2 keep their interest due; a settlement line holds 2024-03-15..19's interest, due now.
    const old = schedule.instalments.filter((i: any) => i.due_date <= '2024-03-15');
    expect(old.map((i: any) => [i.principal, i.interest])).toEqual([['0', '100000'], ['0', '92115']]);
    expect(schedule.instalments.find((i: any) => i.kind === 'settlement')).toMatchObject({ period_start: '2024-03-15', due_date: '2024-03-20', principal: '0', status: 'due' });
    const view = await expectReconciled(reader, loan.id);
    expect(view.term).toBe(12); // the contract's term; the operation records the new one
    // Paying what is due now (all interest) leaves the principal to the new schedule.
    const due = 100_000 + 92_115 + Number(schedule.instalments.find((i: any) => i.kind === 'settlement').interest);
    const paid = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: String(due) });
    expect(paid.paid).toMatchObject({ interest: String(due), principal: '0' });
    expect((await expectReconciled(reader, loan.id)).next_due.due_date).toBe('2024-04-15');
  });

  it("the statement is the ledger's: every posting on the loan's four accounts, with running balances that end at the ledger's", async () => {
    const { loan } = loans.regular!;
    const statement = (await reader.get(`/v1/loans/${loan.id}/statement`)).body;
    const view = await expectReconciled(reader, loan.id);
    expect(statement.balances).toEqual(view.ledger);
    expect(statement.truncated).toBe(false);
    const events = statement.lines.map((l: any) => l.event);
    expect(events[0]).toBe('disbursement');
    expect(events.filter((e: string) => e === 'interest_accrual').length).toBe(31 + 29 + 5);
    expect(events.filter((e: string) => e === 'repayment_principal')).toHaveLength(2);
    expect(statement.lines[0]).toMatchObject({ account: 'principal', side: 'debit', amount: '10000000', balance_after: '10000000', code: 7200 });
    const operations = (await reader.get(`/v1/loans/${loan.id}/operations`)).body.data;
    expect(operations.map((o: any) => o.kind)).toEqual(['repayment', 'repayment', 'repayment']);
  });

  it('lists a customer’s loans, and the invariants hold', async () => {
    const listed = await reader.get(`/v1/loans?status=closed`);
    expect(listed.body.data.map((l: any) => l.id)).toContain(loans.payoff!.loan.id);
    expect((await reader.get(`/v1/loans?status=written_off`)).body.data.map((l: any) => l.id)).toEqual([loans.writeoff!.loan.id]);
    for (const { loan } of Object.values(loans)) await expectReconciled(reader, loan.id);
    await expectInvariantsOk(t.admin);
  });
});

describe('servicing beside the close of business', () => {
  let t: TestApp<ManualClock>;
  let apply: Client;
  let repay: Client;
  let reader: Client;
  let cob: Cob;

  beforeAll(async () => {
    t = await startTestApp({ clock: new ManualClock(at('2024-01-15').getTime()) });
    const keys = await createLendingKeys(t.testDb.db, t.clock.now());
    apply = new Client(t.base, keys.lending_apply);
    repay = new Client(t.base, keys.lending_repay);
    reader = new Client(t.base, keys.lending_read);
    await mustSaveProduct(new Client(t.base, keys.lending_admin), 'sme', smeProduct());
    cob = new Cob(t.testDb.db, t.app.ledger, t.clock);
  });
  afterAll(async () => {
    await t?.close();
  });

  const close = async (through: string) => {
    const result = await cob.run({ through_date: businessDate(through) });
    expect(result.ok, JSON.stringify(result)).toBe(true);
  };

  it('COB accrues, the repayment finds nothing to catch up; a repayment catches up, COB then skips those days', async () => {
    const { loan, account } = await openLoan(t, apply, 'sme', 5_000_000n);
    await empty(t, account); // so COB's collection takes nothing: the repayments below are the only ones
    await mustTransfer(t.api, transfer(await customerAccount(t.api, 20_000_000n), account, 10_000_000n));
    t.clock.set(at('2024-02-15', 1));
    await close('2024-02-14');
    let view = await expectReconciled(reader, loan.id);
    expect(view).toMatchObject({ last_accrual_date: '2024-02-14', balances: { interest: '100000' } });

    t.clock.set(at('2024-02-15'));
    const paid = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: '888488' });
    expect(paid.details).toMatchObject({ interest_accrued_minor: '0', interest_accrued_through: '2024-02-14' });
    expect(paid.paid).toMatchObject({ interest: '100000', principal: '788488' });
    await expectReconciled(reader, loan.id);

    // No COB for a month; the repayment on 2024-03-20 catches up 2024-02-15..03-19 itself.
    t.clock.set(at('2024-03-20'));
    const late = await mustOperate(repay, loan.id, 'repayments', { id: uuid7(), amount: '888488' });
    expect(late.details).toMatchObject({ interest_accrued_through: '2024-03-19' });
    expect(BigInt(late.details.interest_accrued_minor)).toBe(92_115n + 13_573n); // all of period 2, then 5 of period 3's 31 days of 84,151
    view = await expectReconciled(reader, loan.id);
    // COB closes 2024-02-15..03-20 after 03-20 has ended: it skips the days already accrued and accrues only 03-20.
    t.clock.set(at('2024-03-21', 1));
    await close('2024-03-20');
    view = await expectReconciled(reader, loan.id);
    expect(view.last_accrual_date).toBe('2024-03-20');
    const statement = (await reader.get(`/v1/loans/${loan.id}/statement`)).body;
    const accrualIds = statement.lines.filter((l: any) => l.event === 'interest_accrual').map((l: any) => l.transfer_id);
    expect(new Set(accrualIds).size).toBe(accrualIds.length);
    expect(accrualIds).toHaveLength(31 + 29 + 5 + 1);
    await expectInvariantsOk(t.admin);
  });
});

/**
 * A revolving credit line through HTTP, with time on a ManualClock from 2024-01-15: the
 * product, the application and its offer (terms and an example instead of a schedule),
 * accepting with a drawdown, drawing again (replays and conflicts), COB over two statement
 * dates with collection from the customer's account (the second one short), the refusals
 * (limit, arrears, closed, not a line, restructure), a partial repayment, the payoff that
 * closes the line, and a write-off — the line's row, its statements and its ledger accounts
 * agreeing after every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cob } from '../../src/lending/cob.js';
import { businessDate } from '../../src/lending/dates.js';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { balances, createAccount, expectInvariantsOk, mustTransfer, transfer } from '../helpers/ledger.js';
import { applicationBody, createLendingKeys, customerAccount, expectReconciled, mustAccept, mustApply, mustOperate, mustSaveProduct, smeProduct, type LendingKeys } from '../helpers/lending.js';
import { lineProduct, lineRow, openLine } from '../helpers/lending-line.js';

const at = (date: string, hour = 10) => new Date(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);

let t: TestApp<ManualClock>;
let keys: LendingKeys;
let apply: Client;
let repay: Client;
let admin: Client;
let reader: Client;
let cob: Cob;

beforeAll(async () => {
  t = await startTestApp({ clock: new ManualClock(at('2024-01-15').getTime()) });
  keys = await createLendingKeys(t.testDb.db, t.clock.now());
  apply = new Client(t.base, keys.lending_apply);
  repay = new Client(t.base, keys.lending_repay);
  admin = new Client(t.base, keys.lending_admin);
  reader = new Client(t.base, keys.lending_read);
  cob = new Cob(t.testDb.db, t.app.ledger, t.clock);
  await mustSaveProduct(admin, 'line', lineProduct());
  await mustSaveProduct(admin, 'sme', smeProduct());
});
afterAll(async () => {
  await t?.close();
});

/** Closes business dates through `through`, the clock just after it. */
async function close(through: string): Promise<void> {
  const result = await cob.run({ through_date: businessDate(through) });
  expect(result.ok, JSON.stringify(result)).toBe(true);
}

/** The customer spends all but `keep` of the account. */
async function spendDownTo(account: string, keep: bigint): Promise<void> {
  const b = await balances(t.api, account);
  const sink = await createAccount(t.api, { currency: 'CNY' });
  const amount = b.credits_posted - b.debits_posted - b.debits_pending - keep;
  if (amount > 0n) await mustTransfer(t.api, transfer(account, sink, amount));
}

const available = async (account: string) => {
  const b = await balances(t.api, account);
  return b.credits_posted - b.debits_posted;
};

describe('a revolving line from the product to its payoff', () => {
  let loanId: string;
  let account: string;

  it('saves a revolving product; the offer shows the line’s terms and an example instead of a schedule', async () => {
    const product = (await reader.get('/v1/loan-products/line')).body;
    expect(product).toMatchObject({ repayment_method: 'revolving', day_count: 'actual/365', minimum_payment: { bps: 500, floor_minor: '10000' } });
    expect((await reader.get('/v1/loan-products/sme')).body.minimum_payment).toBeNull();

    account = await customerAccount(t.api, 5_000_000n); // an account with history: band A
    const application = await mustApply(apply, applicationBody(account, 'line', { amount: '10000000', term: 12 }));
    expect(application.status, JSON.stringify(application.reasons)).toBe('approved');
    expect(application.offer).toMatchObject({ amount: '10000000', term: 12, annual_rate_percent: '18.25', band: 'A', origination_fee: '1000', schedule: null });
    // 100,000.00 drawn on 2024-01-15 earns 50.00 a day: 31 days to the first statement, 5% of it is the minimum payment.
    expect(application.offer.credit_line).toEqual({
      credit_limit: '10000000',
      tenor: 12,
      maturity_date: '2025-01-15',
      first_statement_date: '2024-02-15',
      minimum_payment: { bps: 500, floor_minor: '10000' },
      example: { drawn: '10000000', cycle_days: 31, cycle_interest: '155000', minimum_payment: '500000', fee: '1000', payment: '655000' },
    });

    const opened = await mustAccept(apply, application.id, { draw: '4000000' });
    loanId = opened.id;
    expect(opened).toMatchObject({ principal: '4000000', repayment_method: 'revolving', maturity_date: '2025-01-15', next_due: { due_date: '2024-02-15', amount: '1000' } });
    expect(opened.credit_line).toEqual({
      credit_limit: '10000000',
      drawn: '4000000',
      available: '6000000',
      unbilled_principal: '4000000',
      unbilled_interest: '0',
      last_statement_date: null,
      next_statement_date: '2024-02-15',
      minimum_payment: { bps: 500, floor_minor: '10000' },
    });
    expect(opened.balances).toEqual({ principal: '4000000', interest: '0', penalty: '0', fee: '1000' });
    expect(opened.reconciled).toBe(true);
    expect(await available(account)).toBe(9_000_000n);
    // Accepting again is the same line; with another draw it is a conflict.
    expect((await mustAccept(apply, application.id, { draw: '4000000' }, 200)).id).toBe(loanId);
    expectProblem(await apply.post(`/v1/loan-applications/${application.id}/accept`, { draw: '1' }), 409, 'application_already_accepted');
    // The initial draw is an operation, and in the statement.
    expect((await reader.get(`/v1/loans/${loanId}/operations`)).body.data).toEqual([expect.objectContaining({ kind: 'drawdown', amount: '4000000', business_date: '2024-01-15' })]);
  });

  it('draws again the same day: a replay is the first result, another body with the id a conflict; the limit holds', async () => {
    const id = uuid7();
    const drawn = await mustOperate(apply, loanId, 'drawdowns', { id, amount: '1000000' });
    expect(drawn).toMatchObject({ kind: 'drawdown', amount: '1000000', paid: { principal: '0' }, loan: { principal: '5000000', credit_line: { drawn: '5000000', available: '5000000', unbilled_principal: '5000000' } } });
    expect(drawn.details.available_after).toBe('5000000');
    expect((await mustOperate(apply, loanId, 'drawdowns', { id, amount: '1000000' }, 200)).id).toBe(id);
    expectProblem(await apply.post(`/v1/loans/${loanId}/drawdowns`, { id, amount: '1000001' }), 409, 'exists_with_different_fields', 'body.id');
    const over = await apply.post(`/v1/loans/${loanId}/drawdowns`, { id: uuid7(), amount: '5000001' });
    expectProblem(over, 422, 'credit_limit_exceeded', 'body.amount');
    expect(over.body.detail).toContain('5000000 of the 10000000');
    expectProblem(await repay.post(`/v1/loans/${loanId}/drawdowns`, { id: uuid7(), amount: '1' }), 403, 'insufficient_scope');
    expectProblem(await apply.post(`/v1/loans/${loanId}/drawdowns`, { id: uuid7(), amount: '0' }), 400, 'invalid_request', 'body.amount');
    expect(await available(account)).toBe(10_000_000n);
    const statement = (await reader.get(`/v1/loans/${loanId}/statement`)).body;
    expect(statement.drawdowns.map((d: any) => d.amount)).toEqual(['4000000', '1000000']);
    expect(statement.lines.filter((l: any) => l.event === 'drawdown')).toHaveLength(2);
    await expectReconciled(reader, loanId);
  });

  it('a restructure of a line, and a drawdown on a term loan, are refused', async () => {
    expectProblem(await admin.post(`/v1/loans/${loanId}/restructure`, { id: uuid7(), term: 6 }), 409, 'not_applicable_to_credit_line');
    const termAccount = await customerAccount(t.api, 0n);
    const termApp = await mustApply(apply, applicationBody(termAccount, 'sme'));
    const term = await mustAccept(apply, termApp.id);
    expect(term.credit_line).toBeNull();
    expectProblem(await apply.post(`/v1/loans/${term.id}/drawdowns`, { id: uuid7(), amount: '100' }), 409, 'not_a_credit_line');
    expectProblem(await apply.post(`/v1/loan-applications/${uuid7()}/accept`, { draw: '100' }), 404, 'loan_application_not_found');
  });

  it('COB cuts statement 1 on 2024-02-15 and collects it from the customer’s account the same day', async () => {
    t.clock.set(at('2024-02-16', 1));
    await close('2024-02-15');
    // Cycle 1 is 2024-01-15 .. 02-14: 31 days × 2,500 (50,000.00 × 0.05%); 5% of the balance; the fee.
    const schedule = (await reader.get(`/v1/loans/${loanId}/schedule`)).body;
    expect(schedule.instalments).toEqual([
      expect.objectContaining({ number: 1, period_start: '2024-01-15', due_date: '2024-02-15', interest_days: 31, principal: '250000', interest: '77500', fee: '1000', status: 'paid', paid_principal: '250000', paid_interest: '77500', paid_fee: '1000' }),
    ]);
    expect(await available(account)).toBe(10_000_000n - 328_500n);
    // 02-15 belongs to cycle 2: it accrued on the balance after the statement (47,500.00).
    const view = await expectReconciled(reader, loanId);
    expect(view.credit_line).toMatchObject({ drawn: '4750000', unbilled_principal: '4750000', unbilled_interest: '2375', last_statement_date: '2024-02-15', next_statement_date: '2024-03-15' });
    expect(view).toMatchObject({ last_accrual_date: '2024-02-15', balances: { principal: '4750000', interest: '2375', fee: '0' }, days_past_due: 0 });
  });

  it('2024-02-20: a partial repayment reduces the unbilled balance (after catching up four days)', async () => {
    t.clock.set(at('2024-02-20'));
    const paid = await mustOperate(repay, loanId, 'repayments', { id: uuid7(), amount: '100000' });
    expect(paid).toMatchObject({ kind: 'repayment', amount: '100000', paid: { penalty: '0', fee: '0', interest: '0', principal: '100000' }, prepaid_principal: '100000' });
    expect(paid.details).toMatchObject({ interest_accrued_minor: '9500', interest_accrued_through: '2024-02-19', closed: false });
    expect(paid.loan.credit_line).toMatchObject({ drawn: '4650000', unbilled_principal: '4650000', unbilled_interest: '11875' });
    await expectReconciled(reader, loanId);
  });

  it('statement 2 on 2024-03-15 is collected short: the rest stays due, and the line in arrears cannot be drawn', async () => {
    await spendDownTo(account, 100_000n);
    t.clock.set(at('2024-03-17', 1));
    await close('2024-03-16');
    // Cycle 2: 02-15 (2,375) + 02-16..19 (4 × 2,375) + 02-20..03-14 (24 × 2,325) = 67,675; 5% of 46,500.00 = 232,500.
    const row = (await reader.get(`/v1/loans/${loanId}/schedule`)).body.instalments.find((i: any) => i.number === 2);
    expect(row).toMatchObject({ period_start: '2024-02-15', due_date: '2024-03-15', interest: '67675', principal: '232500', fee: '0', paid_interest: '67675', paid_principal: '32325', status: 'due' });
    expect(await available(account)).toBe(0n);
    const view = await expectReconciled(reader, loanId);
    expect(view).toMatchObject({ days_past_due: 1, next_due: { due_date: '2024-03-15', amount: '200175' } });
    expect(view.credit_line).toMatchObject({ drawn: '4617675', unbilled_principal: '4417500', next_statement_date: '2024-04-15' });
    t.clock.set(at('2024-03-17'));
    const refused = await apply.post(`/v1/loans/${loanId}/drawdowns`, { id: uuid7(), amount: '100' });
    expectProblem(refused, 409, 'credit_line_in_arrears');
    // COB had done 03-16 already: the refusal changed nothing.
    expect((await expectReconciled(reader, loanId)).credit_line).toEqual(view.credit_line);
  });

  it('a repayment pays the statement first, the rest the balance; then the line can be drawn again', async () => {
    await mustTransfer(t.api, transfer(await customerAccount(t.api, 1_000_000n), account, 1_000_000n));
    const paid = await mustOperate(repay, loanId, 'repayments', { id: uuid7(), amount: '300000' });
    expect(paid.paid).toEqual({ penalty: '0', fee: '0', interest: '0', principal: '300000' });
    expect(paid.prepaid_principal).toBe('99825');
    expect(paid.loan.credit_line).toMatchObject({ drawn: '4317675', unbilled_principal: '4317675' });
    expect((await reader.get(`/v1/loans/${loanId}/schedule`)).body.instalments.find((i: any) => i.number === 2).status).toBe('paid');
    const drawn = await mustOperate(apply, loanId, 'drawdowns', { id: uuid7(), amount: '500000' });
    expect(drawn.loan.credit_line).toMatchObject({ drawn: '4817675', available: '5182325' });
    // More than what is billed and the balance is refused.
    expectProblem(await repay.post(`/v1/loans/${loanId}/repayments`, { id: uuid7(), amount: '4817676' }), 422, 'repayment_exceeds_payoff', 'body.amount');
    await expectReconciled(reader, loanId);
  });

  it('the portfolio counts the line’s drawn balance', async () => {
    const portfolio = (await reader.get('/v1/lending/portfolio')).body;
    const cell = portfolio.currencies[0].by_product.find((p: any) => p.product_id === 'line');
    expect(cell.outstanding_principal).toBe('4817675');
  });

  it('the payoff: billed dues, the interest since the statement and the balance; it closes the line', async () => {
    const quote = (await reader.get(`/v1/loans/${loanId}/payoff-quote`)).body;
    // Interest since statement 2: 03-15 and 03-16 on 44,175.00, 2,208.75 a day (floor-and-carry: 2,208 + 2,209); nothing billed is due.
    expect(quote).toEqual({ loan_id: loanId, date: '2024-03-17', arrears: { penalty: '0', fee: '0', interest: '0', principal: '0' }, prepaid_principal: '4817675', accrued_interest: '4417', future_fee: '0', early_repayment_fee: '0', total: '4822092' });
    expect((await lineRow(t.testDb.db, loanId)).unbilled_interest).toBe(4_417n);
    expectProblem(await repay.post(`/v1/loans/${loanId}/payoff`, { id: uuid7(), amount: '1' }), 409, 'payoff_amount_changed', 'body.amount');
    // The account holds 12,000.00: the payoff is refused by the ledger and nothing moves.
    expectProblem(await repay.post(`/v1/loans/${loanId}/payoff`, { id: uuid7(), amount: quote.total }), 422, 'exceeds_credits', 'body.amount');
    await expectReconciled(reader, loanId);
    await mustTransfer(t.api, transfer(await customerAccount(t.api, 4_000_000n), account, 4_000_000n));
    const paid = await mustOperate(repay, loanId, 'payoff', { id: uuid7(), amount: quote.total });
    expect(paid).toMatchObject({ kind: 'payoff', amount: quote.total, details: { closed: true } });
    expect(paid.loan).toMatchObject({ status: 'closed', balances: { principal: '0', interest: '0', penalty: '0', fee: '0' }, ledger: { principal: '0', interest: '0', penalty: '0', fee: '0' }, reconciled: true });
    expect(paid.loan.credit_line).toMatchObject({ drawn: '0', unbilled_principal: '0', unbilled_interest: '0', next_statement_date: null });
    const settlement = (await reader.get(`/v1/loans/${loanId}/schedule`)).body.instalments.at(-1);
    expect(settlement).toMatchObject({ kind: 'settlement', period_start: '2024-03-15', due_date: '2024-03-17', principal: '4817675', status: 'paid' });
    expectProblem(await apply.post(`/v1/loans/${loanId}/drawdowns`, { id: uuid7(), amount: '1' }), 409, 'credit_line_closed');
    expectProblem(await repay.post(`/v1/loans/${loanId}/repayments`, { id: uuid7(), amount: '1' }), 409, 'loan_not_active');
    // COB leaves a closed line alone.
    t.clock.set(at('2024-03-18', 1));
    await close('2024-03-17');
    expect((await lineRow(t.testDb.db, loanId)).status).toBe('closed');
  });
});

describe('a line written off', () => {
  it('clears the drawn balance and the interest accrued since the statement, like a loan’s receivables', async () => {
    t.clock.set(at('2024-03-18'));
    const { line } = await openLine(t.api, apply, 'line', { draw: '2000000' });
    t.clock.set(at('2024-03-22', 1));
    await close('2024-03-21');
    const before = await expectReconciled(reader, line.id);
    expect(before.credit_line.unbilled_interest).toBe(String(4 * 1_000));
    t.clock.set(at('2024-03-22'));
    const done = await mustOperate(admin, line.id, 'write-off', { id: uuid7(), reason: 'the business closed' });
    expect(done.details.written_off).toMatchObject({ principal: '2000000', interest: '4000', fee: '1000' });
    expect(done.loan).toMatchObject({ status: 'written_off', ledger: { principal: '0', interest: '0', penalty: '0', fee: '0' }, reconciled: true });
    expect(done.loan.credit_line).toMatchObject({ drawn: '0', unbilled_principal: '0', unbilled_interest: '0', next_statement_date: null });
    expectProblem(await apply.post(`/v1/loans/${line.id}/drawdowns`, { id: uuid7(), amount: '1' }), 409, 'credit_line_closed');
    t.clock.set(at('2024-03-23', 1));
    await close('2024-03-22');
    await expectInvariantsOk(t.admin);
  });
});

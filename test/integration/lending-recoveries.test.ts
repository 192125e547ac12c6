/**
 * Recoveries after a write-off, through HTTP: money from the customer's account or another
 * account, credited to the bank's recovery income; capped at what the write-off cleared;
 * idempotent by operation id; refused for loans that are not written off; a refusal moves
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ManualClock, type TestApp } from '../helpers/app.js';
import { Client, expectProblem, uuid7 } from '../helpers/http.js';
import { balances, createAccount, expectInvariantsOk, mustTransfer, transfer } from '../helpers/ledger.js';
import { applicationBody, createLendingKeys, customerAccount, mustAccept, mustApply, mustOperate, mustSaveProduct, smeProduct, type LendingKeys } from '../helpers/lending.js';
import { bankAccount } from '../../src/lending/accounts.js';

const at = (date: string) => new Date(`${date}T10:00:00Z`);

describe('recoveries after a write-off', () => {
  let t: TestApp<ManualClock>;
  let keys: LendingKeys;
  let admin: Client;
  let apply: Client;
  let loan: any;
  let account: string;
  let writtenOff = 0n;
  const income = bankAccount('recovery_income', 'CNY');
  const incomeOf = async () => {
    const b = await balances(t.api, income);
    return b.credits_posted - b.debits_posted;
  };

  beforeAll(async () => {
    t = await startTestApp({ clock: new ManualClock(at('2024-01-15').getTime()) });
    keys = await createLendingKeys(t.testDb.db, t.clock.now());
    admin = new Client(t.base, keys.lending_admin);
    apply = new Client(t.base, keys.lending_apply);
    await mustSaveProduct(admin, 'sme', smeProduct());
    account = await customerAccount(t.api, 0n);
    const app = await mustApply(apply, applicationBody(account, 'sme'));
    expect(app.status, JSON.stringify(app.reasons)).toBe('approved');
    loan = await mustAccept(apply, app.id);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a recovery on a loan that is not written off, and moves nothing', async () => {
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '100' }), 409, 'loan_not_written_off');
    expect((await t.testDb.db.query(`SELECT count(*)::int AS n FROM loan_operations WHERE loan_id = $1 AND kind = 'recovery'`, [loan.id])).rows[0]).toEqual({ n: 0 });
  });

  it('after the write-off: recovers from the customer, replays by id, refuses another body under the same id', async () => {
    // The customer spends the disbursement, then the loan is written off two months later.
    const sink = await createAccount(t.api, { currency: 'CNY' });
    const held = await balances(t.api, account);
    await mustTransfer(t.api, transfer(account, sink, held.credits_posted - held.debits_posted));
    t.clock.set(at('2024-03-20'));
    const off = await mustOperate(admin, loan.id, 'write-off', { id: uuid7(), reason: 'the business closed' });
    const w = off.details.written_off;
    writtenOff = BigInt(w.principal) + BigInt(w.interest) + BigInt(w.penalty) + BigInt(w.fee);
    expect(writtenOff).toBe(BigInt(loan.principal)); // no COB ran, so no interest was accrued to write off

    // A guarantor pays into the customer's account; the bank recovers part of it.
    await mustTransfer(t.api, transfer(sink, account, 3_000_000n));
    const id = uuid7();
    const first = await admin.post(`/v1/loans/${loan.id}/recoveries`, { id, amount: '2500000' });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ kind: 'recovery', amount: '2500000', business_date: '2024-03-20', paid: { penalty: '0', fee: '0', interest: '0', principal: '0' } });
    expect(first.body.details).toMatchObject({ recovered_total_minor: '2500000', recoverable_remaining_minor: String(writtenOff - 2_500_000n), from_account_id: account });
    expect(first.body.loan).toMatchObject({ status: 'written_off', recovered: '2500000', balances: { principal: '0', interest: '0', penalty: '0', fee: '0' } });
    expect(await incomeOf()).toBe(2_500_000n);
    expect(await balances(t.api, account)).toMatchObject({ credits_posted: held.credits_posted + 3_000_000n });

    const again = await admin.post(`/v1/loans/${loan.id}/recoveries`, { id, amount: '2500000' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id, amount: '2500001' }), 409, 'exists_with_different_fields', 'body.id');
    expect(await incomeOf()).toBe(2_500_000n);
  });

  it('refuses more than the customer holds, and more than the write-off cleared; recovers the rest from a collections account', async () => {
    const before = await balances(t.api, account);
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '500001' }), 422, 'exceeds_credits', 'body.amount');
    expect(await balances(t.api, account)).toEqual(before);

    const collections = await createAccount(t.api, { currency: 'CNY' });
    const cash = await createAccount(t.api, { currency: 'CNY' });
    await mustTransfer(t.api, transfer(cash, collections, 50_000_000n));
    const remaining = writtenOff - 2_500_000n;
    const over = await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: String(remaining + 1n), from_account_id: collections });
    expectProblem(over, 422, 'recovery_exceeds_written_off', 'body.amount');
    expect(over.body.detail).toContain(`at most ${remaining} more`);
    expect(await incomeOf()).toBe(2_500_000n);

    const rest = await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: String(remaining), from_account_id: collections });
    expect(rest.status, rest.text).toBe(201);
    expect(rest.body.details).toMatchObject({ recovered_total_minor: String(writtenOff), recoverable_remaining_minor: '0', from_account_id: collections });
    expect(await incomeOf()).toBe(writtenOff);
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '1', from_account_id: collections }), 422, 'recovery_exceeds_written_off');
    const { rows } = await t.testDb.db.query<{ recovered: bigint }>(`SELECT recovered FROM loans WHERE id = $1`, [loan.id]);
    expect(rows[0]!.recovered).toBe(writtenOff);
    await expectInvariantsOk(t.admin);
  });

  it('needs lending:admin and a valid body', async () => {
    expectProblem(await apply.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '1' }), 403, 'insufficient_scope');
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '0' }), 400, 'invalid_request', 'body.amount');
    expectProblem(await admin.post(`/v1/loans/${loan.id}/recoveries`, { id: uuid7(), amount: '1', from_account_id: 'nope' }), 400, 'invalid_request', 'body.from_account_id');
  });
});

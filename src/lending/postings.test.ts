import { describe, expect, it } from 'vitest';
import { TransferFlags } from '../ledger/types.js';
import { bankAccount, LendingTransferCodes, loanAccounts, postingId } from './accounts.js';
import { businessDate } from './dates.js';
import { accrualPostings, chain, openingPostings, repaymentPostings, writeOffPostings, type LoanLedger } from './postings.js';

const LOAN = '0193a000-0000-7000-8000-00000000aaaa';
const CUSTOMER = '0193a000-0000-7000-8000-00000000bbbb';
const ledger: LoanLedger = { loan_id: LOAN, currency: 'CNY', account_id: CUSTOMER, accounts: loanAccounts(LOAN) };
const linked = (flags: number) => (flags & TransferFlags.linked) !== 0;

describe('postings', () => {
  it('chains: every transfer but the last is linked', () => {
    const c = chain([{ id: 'a', flags: 0 }, { id: 'b', flags: TransferFlags.linked }, { id: 'c', flags: TransferFlags.linked }] as never);
    expect(c.map((t) => linked(t.flags))).toEqual([true, true, false]);
  });

  it('opens a loan: disbursement to the customer and the fee into the fee receivable, linked, with derived ids', () => {
    const [disburse, fee] = openingPostings(ledger, 10_000_000n, 50_000n);
    expect(disburse).toMatchObject({ id: postingId(LOAN, 'disbursement', 'open'), debit_account_id: ledger.accounts.principal, credit_account_id: CUSTOMER, amount: 10_000_000n, code: LendingTransferCodes.disbursement });
    expect(linked(disburse!.flags)).toBe(true);
    expect(fee).toMatchObject({ debit_account_id: ledger.accounts.fee, credit_account_id: bankAccount('fee_income', 'CNY'), amount: 50_000n, code: LendingTransferCodes.fee_charge, flags: 0 });
    expect(openingPostings(ledger, 10_000_000n, 0n)).toHaveLength(1);
    expect(openingPostings(ledger, 10_000_000n, 0n)[0]!.flags).toBe(0);
  });

  it('accrues exactly as COB does: id postingId(loan, "accrual", date), unlinked', () => {
    const [a] = accrualPostings(ledger, [{ date: businessDate('2024-01-15'), amount_minor: 3226n }]);
    expect(a).toEqual({
      id: postingId(LOAN, 'accrual', '2024-01-15'),
      debit_account_id: ledger.accounts.interest,
      credit_account_id: bankAccount('interest_income', 'CNY'),
      amount: 3226n,
      code: LendingTransferCodes.interest_accrual,
      flags: 0,
    });
  });

  it('repays component by component in allocation order, the early-repayment fee charged first; ids from the operation', () => {
    const t = repaymentPostings(ledger, 'op-1', { penalty: 1n, fee: 12n, interest: 3n, principal: 4n }, 10n);
    expect(t.map((x) => x.code)).toEqual([
      LendingTransferCodes.fee_charge,
      LendingTransferCodes.repayment_penalty,
      LendingTransferCodes.repayment_fee,
      LendingTransferCodes.repayment_interest,
      LendingTransferCodes.repayment_principal,
    ]);
    expect(t.slice(1).every((x) => x.debit_account_id === CUSTOMER)).toBe(true);
    expect(t.map((x) => x.credit_account_id)).toEqual([bankAccount('fee_income', 'CNY'), ledger.accounts.penalty, ledger.accounts.fee, ledger.accounts.interest, ledger.accounts.principal]);
    expect(t.map((x) => linked(x.flags))).toEqual([true, true, true, true, false]);
    expect(t[4]!.id).toBe(postingId(LOAN, 'repayment:principal', 'op-1'));
    expect(repaymentPostings(ledger, 'op-1', { penalty: 0n, fee: 0n, interest: 5n, principal: 0n }, 0n)).toHaveLength(1);
  });

  it('writes off: principal from the allowance then expense, the other receivables to expense', () => {
    const t = writeOffPostings(ledger, 'op-2', 'doubtful', { principal_minor: 1_000n, from_allowance_minor: 500n, interest_minor: 30n, penalty_minor: 0n, fee_minor: 7n });
    expect(t.map((x) => [x.debit_account_id, x.credit_account_id, x.amount])).toEqual([
      [bankAccount('allowance_doubtful', 'CNY'), ledger.accounts.principal, 500n],
      [bankAccount('write_off_expense', 'CNY'), ledger.accounts.principal, 500n],
      [bankAccount('write_off_expense', 'CNY'), ledger.accounts.interest, 30n],
      [bankAccount('write_off_expense', 'CNY'), ledger.accounts.fee, 7n],
    ]);
    expect(t.every((x) => x.code === LendingTransferCodes.write_off)).toBe(true);
  });
});

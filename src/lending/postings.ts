/**
 * The ledger postings of each lending event, as transfer inputs (docs/lending.md, "Lending
 * in the ledger"). Pure: ids are derived with `postingId` from the loan and what the
 * posting is for, so a retried request or a crash recovery posts nothing twice.
 *
 * | event                        | debit                              | credit                       | code            |
 * |------------------------------|------------------------------------|------------------------------|-----------------|
 * | disbursement                 | loan principal                     | customer account             | disbursement    |
 * | drawdown (revolving line)    | loan principal                     | customer account             | drawdown        |
 * | origination fee              | loan fee receivable                | bank fee income              | fee_charge      |
 * | interest accrual (catch-up)  | loan interest receivable           | bank interest income         | interest_accrual|
 * | repayment, per component     | customer account                   | loan penalty/fee/interest/principal receivable | repayment_* |
 * | early-repayment fee          | loan fee receivable                | bank fee income              | fee_charge      |
 * | write-off, principal         | allowance (category), then write-off expense | loan principal     | write_off       |
 * | write-off, interest/penalty/fee | write-off expense               | the receivable               | write_off       |
 *
 * A request's postings are one linked chain (all or nothing). The accrual catch-up is not
 * linked to it: those are the postings COB would make for those days anyway, with COB's
 * ids and shape, and they stand whether or not the customer's payment goes through.
 */
import { bankAccount, LendingTransferCodes, postingId, type LoanAccounts } from './accounts.js';
import type { LoanCategory } from './aging.js';
import type { AccrualDay, Components } from './loan-state.js';
import { TransferFlags, type AccountId, type TransferId, type TransferInput } from '../ledger/types.js';

export interface LoanLedger {
  loan_id: string;
  currency: string;
  /** The customer's account: paid out to, collected from. */
  account_id: string;
  accounts: LoanAccounts;
}

const acct = (id: string) => id as AccountId;
const tid = (id: string) => id as TransferId;

/** Links every transfer to the next, so the chain commits whole or not at all. */
export function chain(transfers: TransferInput[]): TransferInput[] {
  return transfers.map((t, i) => ({ ...t, flags: i < transfers.length - 1 ? t.flags | TransferFlags.linked : t.flags & ~TransferFlags.linked }));
}

/**
 * Disbursement of the principal to the customer and, with a fee, its charge into the fee
 * receivable. A revolving line (`drawdown`) pays out its initial drawdown, if any, instead.
 */
export function openingPostings(loan: LoanLedger, principal_minor: bigint, fee_minor: bigint, line = false): TransferInput[] {
  const transfers: TransferInput[] = line ? drawdownPostings(loan, 'open', principal_minor) : [
    {
      id: tid(postingId(loan.loan_id, 'disbursement', 'open')),
      debit_account_id: acct(loan.accounts.principal),
      credit_account_id: acct(loan.account_id),
      amount: principal_minor,
      code: LendingTransferCodes.disbursement,
      flags: 0,
      metadata: { loan_id: loan.loan_id, event: 'disbursement' },
    },
  ];
  if (fee_minor > 0n) {
    transfers.push({
      id: tid(postingId(loan.loan_id, 'origination_fee', 'open')),
      debit_account_id: acct(loan.accounts.fee),
      credit_account_id: acct(bankAccount('fee_income', loan.currency)),
      amount: fee_minor,
      code: LendingTransferCodes.fee_charge,
      flags: 0,
      metadata: { loan_id: loan.loan_id, event: 'origination_fee' },
    });
  }
  return chain(transfers);
}

/** A drawdown on a revolving line (none for 0): `at` is the operation id, or `open` for the one with the acceptance. */
export function drawdownPostings(loan: LoanLedger, at: string, amount_minor: bigint): TransferInput[] {
  if (amount_minor === 0n) return [];
  return [
    {
      id: tid(postingId(loan.loan_id, 'drawdown', at)),
      debit_account_id: acct(loan.accounts.principal),
      credit_account_id: acct(loan.account_id),
      amount: amount_minor,
      code: LendingTransferCodes.drawdown,
      flags: 0,
      metadata: { loan_id: loan.loan_id, event: 'drawdown' },
    },
  ];
}

/** Day-by-day accruals, exactly as COB posts them (src/lending/cob-accrue.ts: same id, accounts, code and flags). */
export function accrualPostings(loan: LoanLedger, days: readonly AccrualDay[]): TransferInput[] {
  return days.map((day) => ({
    id: tid(postingId(loan.loan_id, 'accrual', day.date)),
    debit_account_id: acct(loan.accounts.interest),
    credit_account_id: acct(bankAccount('interest_income', loan.currency)),
    amount: day.amount_minor,
    code: LendingTransferCodes.interest_accrual,
    flags: 0,
  }));
}

const RECEIVABLE: Record<keyof Components, { account: keyof LoanAccounts; code: number }> = {
  penalty: { account: 'penalty', code: LendingTransferCodes.repayment_penalty },
  fee: { account: 'fee', code: LendingTransferCodes.repayment_fee },
  interest: { account: 'interest', code: LendingTransferCodes.repayment_interest },
  principal: { account: 'principal', code: LendingTransferCodes.repayment_principal },
};

/**
 * A repayment's chain: the early-repayment fee's charge first (so the fee receivable holds
 * it), then one collection per component in allocation order, each debiting the customer.
 */
export function repaymentPostings(loan: LoanLedger, operation_id: string, collected: Components, early_repayment_fee_minor: bigint): TransferInput[] {
  const transfers: TransferInput[] = [];
  const metadata = (event: string) => ({ loan_id: loan.loan_id, operation_id, event });
  if (early_repayment_fee_minor > 0n) {
    transfers.push({
      id: tid(postingId(loan.loan_id, 'early_repayment_fee', operation_id)),
      debit_account_id: acct(loan.accounts.fee),
      credit_account_id: acct(bankAccount('fee_income', loan.currency)),
      amount: early_repayment_fee_minor,
      code: LendingTransferCodes.fee_charge,
      flags: 0,
      metadata: metadata('early_repayment_fee'),
    });
  }
  for (const component of ['penalty', 'fee', 'interest', 'principal'] as const) {
    const amount = collected[component];
    if (amount === 0n) continue;
    transfers.push({
      id: tid(postingId(loan.loan_id, `repayment:${component}`, operation_id)),
      debit_account_id: acct(loan.account_id),
      credit_account_id: acct(loan.accounts[RECEIVABLE[component].account]),
      amount,
      code: RECEIVABLE[component].code,
      flags: 0,
      metadata: metadata(`repayment_${component}`),
    });
  }
  return chain(transfers);
}

export interface WriteOffAmounts {
  principal_minor: bigint;
  /** The part of the principal the category's allowance absorbs; the rest is write-off expense. */
  from_allowance_minor: bigint;
  interest_minor: bigint;
  penalty_minor: bigint;
  fee_minor: bigint;
}

/** Clears every receivable of the loan: principal against the allowance (then expense), the rest reversed to expense. */
export function writeOffPostings(loan: LoanLedger, operation_id: string, category: LoanCategory, amounts: WriteOffAmounts): TransferInput[] {
  const expense = acct(bankAccount('write_off_expense', loan.currency));
  const line = (part: string, debit: AccountId, credit: string, amount: bigint): TransferInput[] =>
    amount > 0n
      ? [{ id: tid(postingId(loan.loan_id, `write_off:${part}`, operation_id)), debit_account_id: debit, credit_account_id: acct(credit), amount, code: LendingTransferCodes.write_off, flags: 0, metadata: { loan_id: loan.loan_id, operation_id, event: `write_off_${part}` } }]
      : [];
  return chain([
    ...line('principal_allowance', acct(bankAccount(`allowance_${category}`, loan.currency)), loan.accounts.principal, amounts.from_allowance_minor),
    ...line('principal_expense', expense, loan.accounts.principal, amounts.principal_minor - amounts.from_allowance_minor),
    ...line('interest', expense, loan.accounts.interest, amounts.interest_minor),
    ...line('penalty', expense, loan.accounts.penalty, amounts.penalty_minor),
    ...line('fee', expense, loan.accounts.fee, amounts.fee_minor),
  ]);
}

/**
 * Lending in the ledger: the chart-of-accounts codes, the transfer codes, and the ids of the
 * accounts and transfers lending creates, all derived from names (UUIDv8, src/db/uuid.ts):
 * a loan's accounts from the loan id, the bank's lending accounts from the currency, and a
 * posting from what it is for (loan, business date, kind). A retry, a COB rerun after a
 * crash or another process derives the same ids, and the ledger's idempotency makes the
 * repeat a no-op instead of a second posting.
 *
 * Balances (docs/lending.md, "Lending in the ledger"):
 * - A loan's principal account is debited by the disbursement and credited by repayments
 *   (and the write-off): its debit balance is the outstanding principal. It is flagged
 *   `credits_must_not_exceed_debits`, so the ledger itself refuses an over-repayment.
 *   The same holds for its interest, penalty and fee receivable accounts.
 * - Accruals debit a receivable and credit the bank's income account; collections debit the
 *   customer's account and credit the receivables; provisions move between the bank's
 *   provision expense and the allowance of each loan category.
 */
import { derivedUuid } from '../db/uuid.js';
import { AccountFlags } from '../ledger/types.js';
import type { LoanCategory } from './aging.js';

/** Account codes (chart of accounts). */
export const LendingAccountCodes = {
  loan_principal: 7000,
  loan_interest_receivable: 7001,
  loan_penalty_receivable: 7002,
  loan_fee_receivable: 7003,
  interest_income: 7100,
  penalty_income: 7101,
  fee_income: 7102,
  /** Money recovered on loans after their write-off. */
  recovery_income: 7103,
  provision_expense: 7110,
  /** Loan-loss allowance, one account per category: 7111 normal … 7115 loss. */
  allowance_base: 7111,
  /** Principal written off beyond the allowance, and interest reversed at write-off. */
  write_off_expense: 7120,
} as const;

/** Transfer codes. */
export const LendingTransferCodes = {
  disbursement: 7200,
  fee_charge: 7201,
  interest_accrual: 7202,
  penalty_accrual: 7203,
  repayment_penalty: 7204,
  repayment_fee: 7205,
  repayment_interest: 7206,
  repayment_principal: 7207,
  /** Money drawn on a revolving line (debit: the line's principal; credit: the customer's account). */
  drawdown: 7208,
  provision: 7210,
  write_off: 7220,
  recovery: 7230,
} as const;

export const LOAN_CATEGORY_ORDER: readonly LoanCategory[] = ['normal', 'special_mention', 'substandard', 'doubtful', 'loss'];

/** A receivable: debits grow it, credits (repayments) may not exceed them. */
export const RECEIVABLE_FLAGS = AccountFlags.credits_must_not_exceed_debits;

export type LoanAccountKind = 'principal' | 'interest' | 'penalty' | 'fee';

export interface LoanAccounts {
  principal: string;
  interest: string;
  penalty: string;
  fee: string;
}

export function loanAccounts(loanId: string): LoanAccounts {
  const id = (kind: LoanAccountKind) => derivedUuid(`capillary:loan:${loanId.toLowerCase()}:account:${kind}`);
  return { principal: id('principal'), interest: id('interest'), penalty: id('penalty'), fee: id('fee') };
}

export const LOAN_ACCOUNT_CODES: Readonly<Record<LoanAccountKind, number>> = {
  principal: LendingAccountCodes.loan_principal,
  interest: LendingAccountCodes.loan_interest_receivable,
  penalty: LendingAccountCodes.loan_penalty_receivable,
  fee: LendingAccountCodes.loan_fee_receivable,
};

export type BankAccountKind = 'interest_income' | 'penalty_income' | 'fee_income' | 'recovery_income' | 'provision_expense' | 'write_off_expense' | `allowance_${LoanCategory}`;

/** The bank's own lending accounts, one per currency. */
export function bankAccount(kind: BankAccountKind, currency: string): string {
  return derivedUuid(`capillary:lending:${currency.toUpperCase()}:${kind}`);
}

export function bankAccountCode(kind: BankAccountKind): number {
  if (kind.startsWith('allowance_')) return LendingAccountCodes.allowance_base + LOAN_CATEGORY_ORDER.indexOf(kind.slice('allowance_'.length) as LoanCategory);
  return LendingAccountCodes[kind as Exclude<BankAccountKind, `allowance_${LoanCategory}`>];
}

/**
 * The id of one posting: what it is for, spelled out. `date` is the business date (COB)
 * or the id of the request that caused it (a repayment's own id).
 */
export function postingId(loanId: string, purpose: string, at: string): string {
  return derivedUuid(`capillary:loan:${loanId.toLowerCase()}:posting:${purpose}:${at}`);
}

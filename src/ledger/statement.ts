/**
 * Statements: pure functions from an opening position and posted lines to the document a
 * customer or auditor reads. The balance is credits minus debits: positive for a deposit
 * account in the bank's books (a liability), negative for an asset such as a loan.
 */
import { formatMinor } from './currencies.js';
import type { Transfer } from './types.js';

export interface StatementLine {
  transfer_id: string;
  created_at: Date;
  code: number;
  counterparty_account_id: string;
  debit_minor: bigint;
  credit_minor: bigint;
  balance_minor: bigint;
  metadata: Record<string, unknown> | null;
}

export interface Statement {
  account_id: string;
  currency: string;
  from: Date;
  to: Date;
  opening_balance_minor: bigint;
  closing_balance_minor: bigint;
  total_debits_minor: bigint;
  total_credits_minor: bigint;
  lines: StatementLine[];
  /** True when the period held more lines than one statement carries; narrow the period. */
  truncated: boolean;
}

export function buildStatement(args: {
  account_id: string;
  currency: string;
  from: Date;
  to: Date;
  opening: { debits: bigint; credits: bigint };
  lines: readonly Transfer[];
  truncated: boolean;
}): Statement {
  let balance = args.opening.credits - args.opening.debits;
  let totalDebits = 0n;
  let totalCredits = 0n;
  const lines = args.lines.map((t): StatementLine => {
    const isDebit = t.debit_account_id === args.account_id;
    const debit = isDebit ? t.amount : 0n;
    const credit = isDebit ? 0n : t.amount;
    balance += credit - debit;
    totalDebits += debit;
    totalCredits += credit;
    return {
      transfer_id: t.id,
      created_at: t.created_at,
      code: t.code,
      counterparty_account_id: isDebit ? t.credit_account_id : t.debit_account_id,
      debit_minor: debit,
      credit_minor: credit,
      balance_minor: balance,
      metadata: t.metadata,
    };
  });
  return {
    account_id: args.account_id,
    currency: args.currency,
    from: args.from,
    to: args.to,
    opening_balance_minor: args.opening.credits - args.opening.debits,
    closing_balance_minor: balance,
    total_debits_minor: totalDebits,
    total_credits_minor: totalCredits,
    lines,
    truncated: args.truncated,
  };
}

const csvField = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** CSV with amounts both in minor units (exact) and formatted with the currency's scale (for people). */
export function statementCsv(statement: Statement, scale: number): string {
  const header = 'date,transfer_id,code,counterparty_account_id,debit_minor,credit_minor,balance_minor,debit,credit,balance';
  const rows = [
    `${statement.from.toISOString()},,,opening balance,,,${statement.opening_balance_minor},,,${formatMinor(statement.opening_balance_minor, scale)}`,
    ...statement.lines.map((l) =>
      [
        l.created_at.toISOString(),
        l.transfer_id,
        String(l.code),
        l.counterparty_account_id,
        l.debit_minor.toString(),
        l.credit_minor.toString(),
        l.balance_minor.toString(),
        formatMinor(l.debit_minor, scale),
        formatMinor(l.credit_minor, scale),
        formatMinor(l.balance_minor, scale),
      ]
        .map(csvField)
        .join(','),
    ),
    `${statement.to.toISOString()},,,closing balance,,,${statement.closing_balance_minor},,,${formatMinor(statement.closing_balance_minor, scale)}`,
  ];
  return `${header}\n${rows.join('\n')}\n`;
}

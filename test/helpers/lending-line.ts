/** Revolving credit lines for tests: the product, opening a line through HTTP, reading its rows. */
import { expect } from 'vitest';
import type { Db } from '../../src/db/port.js';
import type { Client } from './http.js';
import { applicationBody, customerAccount, mustAccept, mustApply, smeProduct } from './lending.js';

/**
 * A line at 18.25% on actual/365 (0.05% a day: 100,000.00 drawn earns 50.00 a day), monthly
 * statements, 1–12 months, limits 10,000.00..500,000.00, a fee of 10.00, minimum payment 5%
 * of the unbilled balance and at least 100.00.
 */
export const lineProduct = (over: Record<string, unknown> = {}) =>
  smeProduct({
    name: 'SME revolving line',
    repayment_method: 'revolving',
    day_count: 'actual/365',
    annual_rate_percent: '18.25',
    term_min_periods: 1,
    term_max_periods: 12,
    origination_fee: { fixed_minor: '1000', bps: 0 },
    minimum_payment: { bps: 500, floor_minor: '10000' },
    ...over,
  });

export interface OpenedLine {
  line: any;
  account: string;
  application: any;
}

/** Applies for a line (limit `amount`, tenor `term`) and accepts it with `draw`; the customer's account starts with `funds` (default 50,000.00: a history, band A). */
export async function openLine(ledgerApi: Client, apply: Client, product: string, opts: { amount?: string; term?: number; draw?: string; funds?: bigint } = {}): Promise<OpenedLine> {
  const account = await customerAccount(ledgerApi, opts.funds ?? 5_000_000n);
  const application = await mustApply(apply, applicationBody(account, product, { amount: opts.amount ?? '10000000', term: opts.term ?? 12 }));
  expect(application.status, JSON.stringify(application.reasons)).toBe('approved');
  const line = await mustAccept(apply, application.id, opts.draw === undefined ? {} : { draw: opts.draw });
  return { line, account, application };
}

export interface LineRow {
  status: string;
  principal: bigint;
  outstanding_principal: bigint;
  unbilled_principal: bigint;
  accrued_interest: bigint;
  unbilled_interest: bigint;
  penalty_due: bigint;
  carry_num: string;
  carry_den: string;
  last_accrual_date: string | null;
  last_statement_date: string | null;
  next_statement_date: string | null;
}

export async function lineRow(db: Db, id: string): Promise<LineRow> {
  const { rows } = await db.query<LineRow>(
    `SELECT status, principal, outstanding_principal, unbilled_principal, accrued_interest, unbilled_interest, penalty_due,
            interest_carry_num::text AS carry_num, interest_carry_den::text AS carry_den, last_accrual_date::text AS last_accrual_date,
            last_statement_date::text AS last_statement_date, next_statement_date::text AS next_statement_date
     FROM loans WHERE id = $1::uuid`,
    [id],
  );
  return rows[0]!;
}

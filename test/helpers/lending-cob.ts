/**
 * Loans for the COB tests, without the origination code: insert loans and their
 * instalments (from buildSchedule), open their ledger accounts and the customers'
 * accounts, and post the disbursement, the origination fee and the customers' funds
 * through the ledger, all in bulk. Plus the reconciliation every COB test checks: each
 * loan's ledger balances against its row, and the row against the schedule.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/port.js';
import type { Ledger } from '../../src/ledger/service.js';
import { AccountFlags, type AccountId, type TransferId, type TransferInput } from '../../src/ledger/types.js';
import {
  bankAccount,
  bankAccountCode,
  LendingTransferCodes,
  LOAN_ACCOUNT_CODES,
  loanAccounts,
  postingId,
  RECEIVABLE_FLAGS,
  type LoanAccountKind,
} from '../../src/lending/accounts.js';
import { productTermsJson } from '../../src/lending/cob-core.js';
import { businessDate, type BusinessDate } from '../../src/lending/dates.js';
import { validateProduct, type LoanProduct, type ProductInput } from '../../src/lending/products.js';
import { buildSchedule, type Schedule } from '../../src/lending/schedule.js';
import { derivedUuid } from '../../src/db/uuid.js';

export const CUSTOMER_ACCOUNT_CODE = 2001;
export const CASH_ACCOUNT_CODE = 1001;

export const BASE_PRODUCT: ProductInput = {
  id: 'sme-term',
  version: 1,
  name: 'SME term loan',
  currency: 'CNY',
  amount_min_minor: '1000',
  amount_max_minor: '100000000000',
  term_min_periods: 1,
  term_max_periods: 60,
  annual_rate_percent: '12',
  day_count: '30/360',
  repayment_method: 'annuity',
  frequency: 'monthly',
  origination_fee: { fixed_minor: '0', bps: 0 },
  grace_days: 0,
  penalty_annual_rate_percent: '18',
  early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
};

export function product(patch: Partial<ProductInput> = {}): LoanProduct {
  const result = validateProduct({ ...BASE_PRODUCT, ...patch });
  if (!result.ok) throw new Error(`${result.field}: ${result.detail}`);
  return result.product;
}

export interface LoanSpec {
  id?: string;
  product: LoanProduct;
  principal_minor: bigint;
  term_periods: number;
  start_date: string;
  /** Money in the customer's account besides the disbursement (default 0). */
  extra_funds_minor?: bigint;
  customer_id?: string;
  /** An existing customer account (several loans of one customer); default: a new one. */
  account_id?: string;
}

export interface TestLoan {
  id: string;
  product: LoanProduct;
  schedule: Schedule;
  account_id: string;
  accounts: ReturnType<typeof loanAccounts>;
  currency: string;
}

/** The bank's cash account in `currency`: where customers' extra funds come from. */
export const cashAccount = (currency: string): string => derivedUuid(`capillary:test:${currency}:cash`);

async function submitAll(ledger: Ledger, transfers: TransferInput[]): Promise<void> {
  for (let i = 0; i < transfers.length; i += 4_000) {
    const results = await ledger.writer.submit(transfers.slice(i, i + 4_000));
    const bad = results.find((r) => !r.ok);
    if (bad && !bad.ok) throw new Error(`setup transfer refused: ${bad.code} ${bad.field ?? ''}`);
  }
}

/** Creates the loans (status active, as if disbursed on their start date). */
export async function createLoans(db: Db, ledger: Ledger, specs: readonly LoanSpec[], now = new Date()): Promise<TestLoan[]> {
  const loans: TestLoan[] = specs.map((spec) => {
    const built = buildSchedule({ product: spec.product, principal_minor: spec.principal_minor, term_periods: spec.term_periods, start_date: businessDate(spec.start_date) });
    if (!built.ok) throw new Error(`${built.field}: ${built.detail}`);
    const id = spec.id ?? randomUUID();
    return { id, product: spec.product, schedule: built.schedule, account_id: spec.account_id ?? randomUUID(), accounts: loanAccounts(id), currency: spec.product.currency };
  });
  const currencies = [...new Set(loans.map((l) => l.currency))];
  const accountInputs = [
    ...currencies.flatMap((currency) => [
      { id: cashAccount(currency) as AccountId, currency, code: CASH_ACCOUNT_CODE, flags: 0 },
      { id: bankAccount('fee_income', currency) as AccountId, currency, code: bankAccountCode('fee_income'), flags: 0 },
    ]),
    ...loans.flatMap((loan, i) => [
      ...(specs[i]!.account_id ? [] : [{ id: loan.account_id as AccountId, currency: loan.currency, code: CUSTOMER_ACCOUNT_CODE, flags: AccountFlags.debits_must_not_exceed_credits }]),
      ...(Object.keys(loan.accounts) as LoanAccountKind[]).map((kind) => ({ id: loan.accounts[kind] as AccountId, currency: loan.currency, code: LOAN_ACCOUNT_CODES[kind], flags: RECEIVABLE_FLAGS })),
    ]),
  ];
  for (let i = 0; i < accountInputs.length; i += 5_000) {
    const results = await ledger.createAccounts(accountInputs.slice(i, i + 5_000));
    const bad = results.find((r) => !r.ok);
    if (bad && !bad.ok) throw new Error(`setup account refused: ${bad.code}`);
  }

  await db.query(
    `INSERT INTO loans (id, customer_id, account_id, currency, product_id, product_version, terms, principal, start_date, maturity_date, status,
                        principal_account_id, interest_account_id, penalty_account_id, fee_account_id, outstanding_principal, created_at, updated_at)
     SELECT u.id, u.customer_id, u.account_id, u.currency, u.product_id, u.product_version, u.terms::jsonb, u.principal, u.start_date::date, u.maturity::date, 'active',
            u.pa, u.ia, u.pea, u.fa, u.principal, $16, $16
     FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int4[], $7::text[], $8::int8[], $9::text[], $10::text[],
                 $11::uuid[], $12::uuid[], $13::uuid[], $14::uuid[], $15::int4[])
       AS u(id, customer_id, account_id, currency, product_id, product_version, terms, principal, start_date, maturity, pa, ia, pea, fa, n)`,
    [
      loans.map((l) => l.id),
      loans.map((l, i) => specs[i]!.customer_id ?? `customer-${l.id.slice(0, 8)}`),
      loans.map((l) => l.account_id),
      loans.map((l) => l.currency),
      loans.map((l) => l.product.id),
      loans.map((l) => l.product.version),
      loans.map((l) => JSON.stringify(productTermsJson(l.product))),
      loans.map((l) => l.schedule.principal_minor),
      loans.map((l) => l.schedule.start_date),
      loans.map((l) => l.schedule.instalments[l.schedule.instalments.length - 1]!.due_date),
      loans.map((l) => l.accounts.principal),
      loans.map((l) => l.accounts.interest),
      loans.map((l) => l.accounts.penalty),
      loans.map((l) => l.accounts.fee),
      loans.map(() => 0),
      now,
    ],
  );
  const rows = loans.flatMap((l) => l.schedule.instalments.map((i) => ({ loan: l.id, i })));
  for (let start = 0; start < rows.length; start += 10_000) {
    const part = rows.slice(start, start + 10_000);
    await db.query(
      `INSERT INTO loan_instalments (loan_id, number, period_start, due_date, interest_days, principal, interest, fee, status)
       SELECT u.loan_id, u.number, u.period_start::date, u.due_date::date, u.interest_days, u.principal, u.interest, u.fee, 'scheduled'
       FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[], $5::int4[], $6::int8[], $7::int8[], $8::int8[])
         AS u(loan_id, number, period_start, due_date, interest_days, principal, interest, fee)`,
      [
        part.map((r) => r.loan),
        part.map((r) => r.i.number),
        part.map((r) => r.i.period_start),
        part.map((r) => r.i.due_date),
        part.map((r) => r.i.interest_days),
        part.map((r) => r.i.principal_minor),
        part.map((r) => r.i.interest_minor),
        part.map((r) => r.i.fee_minor),
      ],
    );
  }

  const transfers: TransferInput[] = loans.flatMap((loan, i) => {
    const out: TransferInput[] = [
      {
        id: postingId(loan.id, 'disbursement', loan.id) as TransferId,
        debit_account_id: loan.accounts.principal as AccountId,
        credit_account_id: loan.account_id as AccountId,
        amount: loan.schedule.principal_minor,
        code: LendingTransferCodes.disbursement,
        flags: 0,
      },
    ];
    const fee = loan.schedule.totals.fee_minor;
    if (fee > 0n) {
      out.push({ id: postingId(loan.id, 'fee', loan.id) as TransferId, debit_account_id: loan.accounts.fee as AccountId, credit_account_id: bankAccount('fee_income', loan.currency) as AccountId, amount: fee, code: LendingTransferCodes.fee_charge, flags: 0 });
    }
    const extra = specs[i]!.extra_funds_minor ?? 0n;
    if (extra > 0n) out.push(fundsTransfer(loan.account_id, loan.currency, extra));
    return out;
  });
  await submitAll(ledger, transfers);
  return loans;
}

export function fundsTransfer(account_id: string, currency: string, amount: bigint): TransferInput {
  return { id: randomUUID() as TransferId, debit_account_id: cashAccount(currency) as AccountId, credit_account_id: account_id as AccountId, amount, code: 1, flags: 0 };
}

/** Puts money into customers' accounts (what COB then collects). */
export async function deposit(ledger: Ledger, deposits: readonly { account_id: string; currency: string; amount: bigint }[]): Promise<void> {
  await submitAll(ledger, deposits.filter((d) => d.amount > 0n).map((d) => fundsTransfer(d.account_id, d.currency, d.amount)));
}

/** Empties customers' accounts (a customer who spent the disbursement). */
export async function withdrawAll(db: Db, ledger: Ledger, accountIds: readonly string[], currency: string): Promise<void> {
  const { rows } = await db.query<{ id: string; balance: bigint }>(`SELECT id::text AS id, credits_posted - debits_posted AS balance FROM accounts WHERE id = ANY($1::uuid[])`, [accountIds]);
  await submitAll(
    ledger,
    rows.filter((r) => r.balance > 0n).map((r) => ({ id: randomUUID() as TransferId, debit_account_id: r.id as AccountId, credit_account_id: cashAccount(currency) as AccountId, amount: r.balance, code: 1, flags: 0 })),
  );
}

export interface LoanRow {
  id: string;
  status: string;
  outstanding_principal: bigint;
  accrued_interest: bigint;
  penalty_due: bigint;
  carry_num: string;
  carry_den: string;
  days_past_due: number;
  max_days_past_due: number;
  category: string;
  last_accrual_date: string | null;
  last_collection_date: string | null;
  last_cob_date: string | null;
}

export async function loanRows(db: Db, ids: readonly string[]): Promise<Map<string, LoanRow>> {
  const { rows } = await db.query<LoanRow>(
    `SELECT id::text AS id, status, outstanding_principal, accrued_interest, penalty_due, penalty_carry_num::text AS carry_num, penalty_carry_den::text AS carry_den,
            days_past_due, max_days_past_due, category, last_accrual_date::text AS last_accrual_date, last_collection_date::text AS last_collection_date, last_cob_date::text AS last_cob_date
     FROM loans WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

export interface InstalmentRow {
  loan_id: string;
  number: number;
  due_date: string;
  principal: bigint;
  interest: bigint;
  fee: bigint;
  paid_principal: bigint;
  paid_interest: bigint;
  paid_fee: bigint;
  status: string;
}

export async function instalmentRows(db: Db, loanId: string): Promise<InstalmentRow[]> {
  const { rows } = await db.query<InstalmentRow>(
    `SELECT loan_id::text AS loan_id, number, due_date::text AS due_date, principal, interest, fee, paid_principal, paid_interest, paid_fee, status
     FROM loan_instalments WHERE loan_id = $1::uuid ORDER BY number`,
    [loanId],
  );
  return rows;
}

/** Debit balance (debits − credits, posted) of each account. */
export async function debitBalances(db: Db, ids: readonly string[]): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ id: string; balance: bigint }>(`SELECT id::text AS id, debits_posted - credits_posted AS balance FROM accounts WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.balance]));
}

/**
 * Every way a loan's ledger accounts and its row can disagree, as readable lines (empty:
 * all agree): principal account = outstanding principal = principal − Σ paid principal;
 * interest receivable = accrued_interest; penalty receivable = penalty_due; fee receivable
 * = Σ fee − Σ paid fee.
 */
export async function ledgerMismatches(db: Db, loans: readonly TestLoan[]): Promise<string[]> {
  const rows = await loanRows(db, loans.map((l) => l.id));
  const balances = await debitBalances(db, loans.flatMap((l) => Object.values(l.accounts)));
  const { rows: paid } = await db.query<{ id: string; paid_principal: bigint; unpaid_fee: bigint }>(
    `SELECT loan_id::text AS id, sum(paid_principal)::int8 AS paid_principal, sum(fee - paid_fee)::int8 AS unpaid_fee
     FROM loan_instalments WHERE loan_id = ANY($1::uuid[]) AND status <> 'superseded' GROUP BY loan_id`,
    [loans.map((l) => l.id)],
  );
  const paidOf = new Map(paid.map((p) => [p.id, p]));
  const out: string[] = [];
  for (const loan of loans) {
    const row = rows.get(loan.id)!;
    // A written-off loan may have no live rows left (every unpaid row is superseded).
    const p = paidOf.get(loan.id) ?? { paid_principal: 0n, unpaid_fee: 0n };
    const check = (what: string, ledger: bigint | undefined, expected: bigint) => {
      if (ledger !== expected) out.push(`${loan.id} ${what}: ledger ${ledger}, expected ${expected}`);
    };
    if (row.status === 'written_off') {
      for (const kind of ['principal', 'interest', 'penalty', 'fee'] as const) check(`${kind} (written off)`, balances.get(loan.accounts[kind]), 0n);
      if (row.outstanding_principal + row.accrued_interest + row.penalty_due !== 0n) out.push(`${loan.id}: written off, yet the row holds ${row.outstanding_principal}/${row.accrued_interest}/${row.penalty_due}`);
      continue;
    }
    check('principal', balances.get(loan.accounts.principal), row.outstanding_principal);
    if (row.outstanding_principal !== loan.schedule.principal_minor - p.paid_principal) out.push(`${loan.id}: outstanding ${row.outstanding_principal} ≠ principal − paid ${loan.schedule.principal_minor - p.paid_principal}`);
    check('interest', balances.get(loan.accounts.interest), row.accrued_interest);
    check('penalty', balances.get(loan.accounts.penalty), row.penalty_due);
    check('fee', balances.get(loan.accounts.fee), p.unpaid_fee);
  }
  return out;
}

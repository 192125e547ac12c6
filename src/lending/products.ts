/**
 * A loan product as data, and the rules a product definition must satisfy. A product is
 * versioned: a loan records the (id, version) it was written under, and a change is a new
 * version, so a running loan's terms never move under it.
 *
 * Origination fee: the borrower receives the full principal and the fee is a separate due
 * on instalment 1 (not deducted from the disbursement, not capitalised). Deducting it up
 * front would lend less than the contract says (the PRC Civil Code art. 670 treats interest
 * taken out of the principal in advance as reducing the loan), and capitalising it would
 * charge interest on a fee.
 *
 * A revolving credit line (`repayment_method: 'revolving'`, docs/lending.md "Revolving
 * credit lines") reads some fields differently: the amount range is the range of credit
 * limits, the term is the line's tenor in periods (drawdowns until maturity), the frequency
 * is the statement cycle, and `minimum_payment` (required for a line, refused for the other
 * methods) says how much principal each statement bills. A line accrues interest daily on
 * a changing balance, which only actual/365 gives a per-day rule for (30E/360 has days that
 * carry no interest and days that carry three), so a line must be actual/365. Early
 * repayment of a line is always allowed and free: its drawn balance can be repaid at any
 * time, so `early_repayment` must say so (the default).
 */
import { isKnownCurrency, currencyScale } from '../ledger/currencies.js';
import { isDayCount, type DayCount } from './daycount.js';
import { parseAnnualRatePercent, type Rational } from './rates.js';

export const REPAYMENT_METHODS = ['annuity', 'equal_principal', 'interest_only', 'revolving'] as const;
export type RepaymentMethod = (typeof REPAYMENT_METHODS)[number];
/** The methods with an amortising schedule (revolving lines accrue daily instead). */
export type ScheduledMethod = Exclude<RepaymentMethod, 'revolving'>;

export const FREQUENCIES = ['monthly', 'quarterly', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Large enough for any SME loan, small enough that principal plus 50 years of 100% interest fits int8. */
export const LOAN_AMOUNT_MAX_MINOR = 10n ** 15n;
/** 50 years of monthly periods. */
export const TERM_PERIODS_MAX = 600;
/** Past 90 days a loan is substandard anyway; a longer grace would hide arrears. */
export const GRACE_DAYS_MAX = 90;
export const BPS_MAX = 10_000;
export const MONTHS_MAX = 600;
export const VERSION_MAX = 2_147_483_647;
export const NAME_CHARS_MAX = 100;
export const PRODUCT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$';
const PRODUCT_ID = new RegExp(PRODUCT_ID_PATTERN);

export interface OriginationFee {
  fixed_minor: bigint;
  /** Basis points of the principal, rounded half-up; added to `fixed_minor`. */
  bps: number;
}

export interface EarlyRepaymentRule {
  allowed: boolean;
  /** Basis points of the prepaid (not yet due) principal, rounded half-up. */
  fee_bps: number;
  /** Prepayment is allowed from start date + this many months (anchored like due dates). */
  min_months: number;
}

/** What each statement of a revolving line bills as principal (credit-line.ts `minimumPayment`). */
export interface MinimumPaymentRule {
  /** Basis points of the unbilled drawn balance, rounded up. */
  bps: number;
  /** At least this much (but never more than the balance). */
  floor_minor: bigint;
}

export interface LoanProduct {
  id: string;
  version: number;
  name: string;
  currency: string;
  currency_scale: number;
  amount_min_minor: bigint;
  amount_max_minor: bigint;
  term_min_periods: number;
  term_max_periods: number;
  /** As the product stated it, e.g. "4.35" (percent a year). */
  annual_rate_percent: string;
  /** The same rate as an exact fraction per year: 435/10000. */
  annual_rate: Rational;
  day_count: DayCount;
  repayment_method: RepaymentMethod;
  frequency: Frequency;
  origination_fee: OriginationFee;
  /** Days after a due date before an unpaid instalment counts as overdue (penalties start). */
  grace_days: number;
  penalty_annual_rate_percent: string;
  /** Charged on overdue principal only, per overdue day (see accrual.ts). */
  penalty_annual_rate: Rational;
  early_repayment: EarlyRepaymentRule;
  /** Revolving lines only (null for the other methods). */
  minimum_payment: MinimumPaymentRule | null;
}

/** What a client sends: money as bigint or its decimal string, rates as percent strings. */
export interface ProductInput {
  id: string;
  version: number;
  name: string;
  currency: string;
  amount_min_minor: bigint | string;
  amount_max_minor: bigint | string;
  term_min_periods: number;
  term_max_periods: number;
  annual_rate_percent: string;
  day_count: string;
  repayment_method: string;
  frequency: string;
  origination_fee: { fixed_minor: bigint | string; bps: number };
  grace_days: number;
  penalty_annual_rate_percent: string;
  early_repayment: EarlyRepaymentRule;
  /** Required for a revolving line; absent (or null) for the other methods. */
  minimum_payment?: { bps: number; floor_minor: bigint | string } | null | undefined;
}

export const PRODUCT_ERROR_CODES = ['invalid_type', 'invalid_format', 'out_of_range', 'range_inverted', 'unknown_currency', 'unknown_option', 'incompatible_option'] as const;
export type ProductErrorCode = (typeof PRODUCT_ERROR_CODES)[number];

export type ProductResult = { ok: true; product: LoanProduct } | { ok: false; field: string; code: ProductErrorCode; detail: string };
type Failure = Extract<ProductResult, { ok: false }>;

class Invalid extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
  }
}
function reject(field: string, code: ProductErrorCode, detail: string): never {
  throw new Invalid({ ok: false, field, code, detail });
}

/**
 * Checks a product definition field by field, in the order of `ProductInput`, and returns
 * the first problem with the field's path (`origination_fee.bps`). Input may come straight
 * from JSON, so every field's type is checked too.
 */
export function validateProduct(input: ProductInput): ProductResult {
  try {
    return { ok: true, product: readProduct(input) };
  } catch (error) {
    if (error instanceof Invalid) return error.failure;
    throw error;
  }
}

function readProduct(input: ProductInput): LoanProduct {
  if (typeof input !== 'object' || input === null) reject('', 'invalid_type', 'a product is an object');
  const id = readString(input.id, 'id');
  if (!PRODUCT_ID.test(id)) reject('id', 'invalid_format', 'a product id is 1–64 of letters, digits and . _ : - (starting with a letter or digit)');
  const version = readInteger(input.version, 'version', 1, VERSION_MAX);
  const name = readString(input.name, 'name');
  if (name.trim() === '' || [...name].length > NAME_CHARS_MAX) reject('name', 'out_of_range', `a name is 1–${NAME_CHARS_MAX} characters, not blank`);
  const currency = readString(input.currency, 'currency');
  if (!/^[A-Z]{3}$/.test(currency)) reject('currency', 'invalid_format', 'a currency is an ISO 4217 code of three capital letters');
  if (!isKnownCurrency(currency)) reject('currency', 'unknown_currency', `${currency} is not a known ISO 4217 currency`);
  const amount_min_minor = readMinor(input.amount_min_minor, 'amount_min_minor', 1n);
  const amount_max_minor = readMinor(input.amount_max_minor, 'amount_max_minor', 1n);
  if (amount_min_minor > amount_max_minor) reject('amount_max_minor', 'range_inverted', 'amount_max_minor must be at least amount_min_minor');
  const term_min_periods = readInteger(input.term_min_periods, 'term_min_periods', 1, TERM_PERIODS_MAX);
  const term_max_periods = readInteger(input.term_max_periods, 'term_max_periods', 1, TERM_PERIODS_MAX);
  if (term_min_periods > term_max_periods) reject('term_max_periods', 'range_inverted', 'term_max_periods must be at least term_min_periods');
  const annual_rate = readRate(input.annual_rate_percent, 'annual_rate_percent');
  const day_count = input.day_count;
  if (!isDayCount(day_count)) return reject('day_count', 'unknown_option', 'day_count is "30/360" or "actual/365"');
  const repayment_method = readOption(input.repayment_method, 'repayment_method', REPAYMENT_METHODS);
  const frequency = readOption(input.frequency, 'frequency', FREQUENCIES);
  const fee = input.origination_fee;
  if (typeof fee !== 'object' || fee === null) reject('origination_fee', 'invalid_type', 'origination_fee is an object { fixed_minor, bps }');
  const origination_fee = {
    fixed_minor: readMinor(fee.fixed_minor, 'origination_fee.fixed_minor', 0n),
    bps: readInteger(fee.bps, 'origination_fee.bps', 0, BPS_MAX),
  };
  const grace_days = readInteger(input.grace_days, 'grace_days', 0, GRACE_DAYS_MAX);
  const penalty_annual_rate = readRate(input.penalty_annual_rate_percent, 'penalty_annual_rate_percent');
  const early = input.early_repayment;
  if (typeof early !== 'object' || early === null) reject('early_repayment', 'invalid_type', 'early_repayment is an object { allowed, fee_bps, min_months }');
  if (typeof early.allowed !== 'boolean') reject('early_repayment.allowed', 'invalid_type', 'allowed is true or false');
  const early_repayment = {
    allowed: early.allowed,
    fee_bps: readInteger(early.fee_bps, 'early_repayment.fee_bps', 0, BPS_MAX),
    min_months: readInteger(early.min_months, 'early_repayment.min_months', 0, MONTHS_MAX),
  };
  const minimum_payment = readLineRules(input, repayment_method, day_count, early_repayment);
  return {
    id,
    version,
    name,
    currency,
    currency_scale: currencyScale(currency)!,
    amount_min_minor,
    amount_max_minor,
    term_min_periods,
    term_max_periods,
    annual_rate_percent: input.annual_rate_percent,
    annual_rate,
    day_count,
    repayment_method,
    frequency,
    origination_fee,
    grace_days,
    penalty_annual_rate_percent: input.penalty_annual_rate_percent,
    penalty_annual_rate,
    early_repayment,
    minimum_payment,
  };
}

/** The fields a revolving line needs, and refuses (docs/lending.md, "Revolving credit lines"). */
function readLineRules(input: ProductInput, method: RepaymentMethod, day_count: DayCount, early: EarlyRepaymentRule): MinimumPaymentRule | null {
  const rule = input.minimum_payment;
  if (method !== 'revolving') {
    if (rule !== undefined && rule !== null) reject('minimum_payment', 'incompatible_option', 'minimum_payment is for revolving lines only; a scheduled loan repays by its schedule');
    return null;
  }
  if (day_count !== 'actual/365') reject('day_count', 'incompatible_option', 'a revolving line accrues interest daily on a changing balance: day_count must be "actual/365" (30E/360 has days with no interest and days with three)');
  if (!early.allowed || early.fee_bps !== 0 || early.min_months !== 0) {
    reject('early_repayment', 'incompatible_option', 'a revolving line can always be repaid early without a fee: early_repayment must be { allowed: true, fee_bps: 0, min_months: 0 }');
  }
  if (typeof rule !== 'object' || rule === null) return reject('minimum_payment', 'invalid_type', 'a revolving line needs minimum_payment { bps, floor_minor }');
  return {
    bps: readInteger(rule.bps, 'minimum_payment.bps', 0, BPS_MAX),
    floor_minor: readMinor(rule.floor_minor, 'minimum_payment.floor_minor', 0n),
  };
}

function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') reject(field, 'invalid_type', `${field} is a string`);
  return value as string;
}

function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) return reject(field, 'invalid_type', `${field} is an integer`);
  if (value < min || value > max) reject(field, 'out_of_range', `${field} must be ${min}..${max}`);
  return value;
}

/** Minor units as bigint or a decimal string of digits ("1050"), within [min, LOAN_AMOUNT_MAX_MINOR]. */
function readMinor(value: unknown, field: string, min: bigint): bigint {
  let amount: bigint;
  if (typeof value === 'bigint') amount = value;
  else if (typeof value === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(value)) amount = BigInt(value);
  else return reject(field, 'invalid_format', `${field} is a whole number of minor units, as a decimal string like "1050"`);
  if (amount < min || amount > LOAN_AMOUNT_MAX_MINOR) reject(field, 'out_of_range', `${field} must be ${min}..${LOAN_AMOUNT_MAX_MINOR} minor units`);
  return amount;
}

function readRate(value: unknown, field: string): Rational {
  const parsed = parseAnnualRatePercent(value);
  if (!parsed.ok) return reject(field, parsed.code, `${field}: ${parsed.detail}`);
  return parsed.rate;
}

function readOption<T extends string>(value: unknown, field: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    return reject(field, 'unknown_option', `${field} is one of ${options.map((o) => `"${o}"`).join(', ')}`);
  }
  return value as T;
}

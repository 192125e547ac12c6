/**
 * The portfolio figures a risk manager reads (docs/lending.md, "Portfolio"): outstanding by
 * product and category, the NPL ratio, provisions held against required, arrears ageing,
 * and vintages. Pure shaping of what portfolio-store.ts sums in SQL; money stays bigint,
 * ratios are exact fractions written as decimal strings.
 *
 * - NPL (non-performing loans) = substandard + doubtful + loss; NPL ratio = their
 *   outstanding principal ÷ all outstanding principal of active loans.
 * - Provisions required = Σ provisionFor(category, outstanding) per loan (cob-provision.ts);
 *   held = the allowance accounts' balances after the last COB.
 * - Coverage = provisions held ÷ NPL outstanding (the regulator's 拨备覆盖率).
 */
import { DPD_BUCKETS, LOAN_CATEGORIES, type DpdBucket, type LoanCategory } from './aging.js';

export const NPL_CATEGORIES: readonly LoanCategory[] = ['substandard', 'doubtful', 'loss'];
export const RATIO_DECIMALS = 6;

/** num ÷ den as a decimal string with RATIO_DECIMALS places, rounded half-up; null when den is 0. */
export function ratioString(num: bigint, den: bigint, decimals = RATIO_DECIMALS): string | null {
  if (den <= 0n) return null;
  if (num < 0n) throw new RangeError(`a ratio of non-negative amounts, got ${num}`);
  const scale = 10n ** BigInt(decimals);
  const scaled = (2n * num * scale + den) / (2n * den);
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(decimals, '0');
  return decimals === 0 ? whole.toString() : `${whole}.${fraction}`;
}

export interface CategoryCell {
  currency: string;
  product_id: string;
  category: LoanCategory;
  loans: number;
  outstanding_principal: bigint;
  provision_required: bigint;
}

export interface CategoryFigures {
  category: LoanCategory;
  loans: number;
  outstanding_principal: bigint;
  provision_required: bigint;
  provision_held: bigint;
}

export interface CurrencyPortfolio {
  currency: string;
  loans: number;
  outstanding_principal: bigint;
  npl_outstanding_principal: bigint;
  npl_ratio: string | null;
  provisions_required: bigint;
  provisions_held: bigint;
  /** held − required: positive is a surplus, negative a shortfall (until the next COB). */
  provisions_gap: bigint;
  coverage_ratio: string | null;
  by_category: CategoryFigures[];
  by_product: { product_id: string; loans: number; outstanding_principal: bigint; npl_outstanding_principal: bigint; npl_ratio: string | null; by_category: Omit<CategoryFigures, 'provision_held'>[] }[];
}

/** Folds product × category cells and the allowance balances into one summary per currency. */
export function summarisePortfolio(cells: readonly CategoryCell[], held: ReadonlyMap<string, ReadonlyMap<LoanCategory, bigint>>): CurrencyPortfolio[] {
  const currencies = [...new Set([...cells.map((c) => c.currency), ...held.keys()])].sort();
  return currencies.map((currency) => {
    const mine = cells.filter((c) => c.currency === currency);
    const heldOf = held.get(currency) ?? new Map<LoanCategory, bigint>();
    const by_category = LOAN_CATEGORIES.map((category): CategoryFigures => {
      const inCategory = mine.filter((c) => c.category === category);
      return {
        category,
        loans: inCategory.reduce((n, c) => n + c.loans, 0),
        outstanding_principal: sum(inCategory.map((c) => c.outstanding_principal)),
        provision_required: sum(inCategory.map((c) => c.provision_required)),
        provision_held: heldOf.get(category) ?? 0n,
      };
    });
    const products = [...new Set(mine.map((c) => c.product_id))].sort();
    const outstanding = sum(by_category.map((c) => c.outstanding_principal));
    const npl = sum(by_category.filter((c) => NPL_CATEGORIES.includes(c.category)).map((c) => c.outstanding_principal));
    const required = sum(by_category.map((c) => c.provision_required));
    const heldTotal = sum(by_category.map((c) => c.provision_held));
    return {
      currency,
      loans: by_category.reduce((n, c) => n + c.loans, 0),
      outstanding_principal: outstanding,
      npl_outstanding_principal: npl,
      npl_ratio: ratioString(npl, outstanding),
      provisions_required: required,
      provisions_held: heldTotal,
      provisions_gap: heldTotal - required,
      coverage_ratio: heldTotal >= 0n ? ratioString(heldTotal, npl) : null,
      by_category,
      by_product: products.map((product_id) => {
        const cellsOf = mine.filter((c) => c.product_id === product_id);
        const productOutstanding = sum(cellsOf.map((c) => c.outstanding_principal));
        const productNpl = sum(cellsOf.filter((c) => NPL_CATEGORIES.includes(c.category)).map((c) => c.outstanding_principal));
        return {
          product_id,
          loans: cellsOf.reduce((n, c) => n + c.loans, 0),
          outstanding_principal: productOutstanding,
          npl_outstanding_principal: productNpl,
          npl_ratio: ratioString(productNpl, productOutstanding),
          by_category: LOAN_CATEGORIES.flatMap((category) => {
            const cell = cellsOf.find((c) => c.category === category);
            return cell ? [{ category, loans: cell.loans, outstanding_principal: cell.outstanding_principal, provision_required: cell.provision_required }] : [];
          }),
        };
      }),
    };
  });
}

export interface AgingCell {
  currency: string;
  bucket: DpdBucket;
  loans: number;
  outstanding_principal: bigint;
  overdue_principal: bigint;
  overdue_interest: bigint;
  overdue_fee: bigint;
  penalty: bigint;
}

export interface CurrencyAging {
  currency: string;
  buckets: (Omit<AgingCell, 'currency'> & { share_of_outstanding: string | null })[];
}

/** Every bucket of every currency, zeros included, in bucket order. */
export function shapeAging(cells: readonly AgingCell[]): CurrencyAging[] {
  const currencies = [...new Set(cells.map((c) => c.currency))].sort();
  return currencies.map((currency) => {
    const mine = cells.filter((c) => c.currency === currency);
    const total = sum(mine.map((c) => c.outstanding_principal));
    return {
      currency,
      buckets: DPD_BUCKETS.map((bucket) => {
        const cell = mine.find((c) => c.bucket === bucket);
        const figures = cell ?? { loans: 0, outstanding_principal: 0n, overdue_principal: 0n, overdue_interest: 0n, overdue_fee: 0n, penalty: 0n };
        return {
          bucket,
          loans: figures.loans,
          outstanding_principal: figures.outstanding_principal,
          overdue_principal: figures.overdue_principal,
          overdue_interest: figures.overdue_interest,
          overdue_fee: figures.overdue_fee,
          penalty: figures.penalty,
          share_of_outstanding: ratioString(figures.outstanding_principal, total),
        };
      }),
    };
  });
}

/** The SQL CASE that puts days_past_due into its DPD bucket (aging.ts dpdBucket). */
export const DPD_BUCKET_SQL = `CASE WHEN days_past_due = 0 THEN 'current' WHEN days_past_due <= 30 THEN '1-30' WHEN days_past_due <= 60 THEN '31-60' WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END`;

export interface VintageFigures {
  loans: number;
  principal: bigint;
  outstanding: bigint;
  ever30_loans: number;
  ever30_principal: bigint;
  ever90_loans: number;
  ever90_principal: bigint;
  dpd30_outstanding: bigint;
  dpd90_outstanding: bigint;
}

export interface VintageRow extends VintageFigures {
  currency: string;
  vintage_month: string;
}

export interface VintagePoint extends VintageFigures {
  currency: string;
  vintage_month: string;
  business_date: string;
  months_on_book: number;
}

/** Ratios of one vintage's figures: by count and by disbursed principal (ever), by outstanding (now). */
export function vintageRatios(f: VintageFigures) {
  return {
    ever30_ratio: ratioString(f.ever30_principal, f.principal),
    ever90_ratio: ratioString(f.ever90_principal, f.principal),
    ever30_loans_ratio: ratioString(BigInt(f.ever30_loans), BigInt(f.loans)),
    ever90_loans_ratio: ratioString(BigInt(f.ever90_loans), BigInt(f.loans)),
    dpd30_ratio: ratioString(f.dpd30_outstanding, f.outstanding),
    dpd90_ratio: ratioString(f.dpd90_outstanding, f.outstanding),
  };
}

/** Whole months from a vintage month (YYYY-MM-01) to a business date. */
export function monthsOnBook(vintage_month: string, date: string): number {
  return (Number(date.slice(0, 4)) - Number(vintage_month.slice(0, 4))) * 12 + Number(date.slice(5, 7)) - Number(vintage_month.slice(5, 7));
}

const sum = (values: readonly bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

/** Portfolio shaping: exact ratios, NPL, provisions per category and product, ageing buckets. */
import { describe, expect, it } from 'vitest';
import { monthsOnBook, ratioString, shapeAging, summarisePortfolio, vintageRatios } from './portfolio.js';

describe('ratioString', () => {
  it('is num ÷ den to 6 places, rounded half-up, null without a denominator', () => {
    expect(ratioString(1n, 3n)).toBe('0.333333');
    expect(ratioString(2n, 3n)).toBe('0.666667');
    expect(ratioString(1n, 8_000_000n)).toBe('0.000000');
    expect(ratioString(1n, 2_000_000n)).toBe('0.000001');
    expect(ratioString(5n, 4n)).toBe('1.250000');
    expect(ratioString(0n, 0n)).toBeNull();
    expect(ratioString(7n, 7n, 0)).toBe('1');
  });
});

describe('summarisePortfolio', () => {
  it('sums product × category cells into categories, NPL and provisions per currency', () => {
    const cells = [
      { currency: 'CNY', product_id: 'a', category: 'normal' as const, loans: 8, outstanding_principal: 800n, provision_required: 8n },
      { currency: 'CNY', product_id: 'a', category: 'substandard' as const, loans: 1, outstanding_principal: 100n, provision_required: 25n },
      { currency: 'CNY', product_id: 'b', category: 'loss' as const, loans: 1, outstanding_principal: 100n, provision_required: 100n },
      { currency: 'USD', product_id: 'a', category: 'special_mention' as const, loans: 2, outstanding_principal: 50n, provision_required: 1n },
    ];
    const held = new Map([['CNY', new Map([['normal', 8n], ['substandard', 20n], ['loss', 100n]] as const)]]);
    const [cny, usd] = summarisePortfolio(cells, held);
    expect(cny).toMatchObject({
      currency: 'CNY', loans: 10, outstanding_principal: 1000n, npl_outstanding_principal: 200n, npl_ratio: '0.200000',
      provisions_required: 133n, provisions_held: 128n, provisions_gap: -5n, coverage_ratio: '0.640000',
    });
    expect(cny!.by_category.map((c) => [c.category, c.loans])).toEqual([['normal', 8], ['special_mention', 0], ['substandard', 1], ['doubtful', 0], ['loss', 1]]);
    expect(cny!.by_product.map((p) => [p.product_id, p.npl_ratio])).toEqual([['a', '0.111111'], ['b', '1.000000']]);
    expect(usd).toMatchObject({ npl_ratio: '0.000000', provisions_held: 0n, coverage_ratio: null });
  });
});

describe('shapeAging', () => {
  it('lists every bucket in order, zeros included, with its share of outstanding', () => {
    const [cny] = shapeAging([
      { currency: 'CNY', bucket: '90+', loans: 1, outstanding_principal: 25n, overdue_principal: 20n, overdue_interest: 3n, overdue_fee: 0n, penalty: 2n },
      { currency: 'CNY', bucket: 'current', loans: 3, outstanding_principal: 75n, overdue_principal: 0n, overdue_interest: 0n, overdue_fee: 0n, penalty: 0n },
    ]);
    expect(cny!.buckets.map((b) => [b.bucket, b.loans, b.share_of_outstanding])).toEqual([
      ['current', 3, '0.750000'], ['1-30', 0, '0.000000'], ['31-60', 0, '0.000000'], ['61-90', 0, '0.000000'], ['90+', 1, '0.250000'],
    ]);
  });
});

describe('vintages', () => {
  it('counts months on book and the ever-30/90 shares', () => {
    expect(monthsOnBook('2026-01-01', '2026-05-31')).toBe(4);
    expect(monthsOnBook('2025-11-01', '2026-01-31')).toBe(2);
    const figures = { loans: 4, principal: 400n, outstanding: 300n, ever30_loans: 1, ever30_principal: 100n, ever90_loans: 0, ever90_principal: 0n, dpd30_outstanding: 90n, dpd90_outstanding: 0n };
    expect(vintageRatios(figures)).toEqual({ ever30_ratio: '0.250000', ever90_ratio: '0.000000', ever30_loans_ratio: '0.250000', ever90_loans_ratio: '0.000000', dpd30_ratio: '0.300000', dpd90_ratio: '0.000000' });
  });
});

import { describe, expect, it } from 'vitest';
import { eventContext } from './core.js';
import { contextFrom, layoutOf, valuesJson } from './context-layout.js';
import type { Context, RiskEvent } from './types.js';

const event: RiskEvent = {
  id: '0193a000-0000-7000-a000-0000000000aa',
  type: 'payment',
  customer_id: 'c-1',
  occurred_at: new Date('2026-11-29T10:15:00Z'),
  amount: 12_345n,
  currency: 'CNY',
  device_id: 'd-1',
  attributes: { vip: true },
};

const withFeatures = (extra: Context): Context => ({ ...eventContext(event, { vip: 'boolean' }), 'velocity.customer_count_1h': 3, 'graph.component_size': 7, 'list.customer_denied': false, ...extra });

describe('compact stored contexts', () => {
  it('store only the non-event values and rebuild the same context from the event', () => {
    const ctx = withFeatures({ 'model.score': 0.25, 'customer.new_device': null });
    const layout = layoutOf(ctx);
    expect(layout.keys.some((k) => k.startsWith('event.'))).toBe(false);
    expect(layout.keys).toContain('attr.vip');
    const stored = JSON.parse(valuesJson(ctx, layout));
    expect(stored).toHaveLength(layout.keys.length);
    const back = contextFrom(event, layout.keys, stored);
    expect(back).toEqual(ctx);
    expect(Object.keys(back)).toEqual(Object.keys(ctx));
  });

  it('name a layout by its keys: same keys, same id; other keys or order, another id', () => {
    const a = layoutOf(withFeatures({ 'model.score': 0.1 }));
    const b = layoutOf(withFeatures({ 'model.score': 0.9 }));
    const c = layoutOf(withFeatures({ 'model.score': 0.9, 'velocity.device_count_1h': 1 }));
    const reordered = layoutOf({ 'graph.component_size': 1, ...withFeatures({ 'model.score': 0.9 }) });
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(reordered.id).not.toBe(a.id);
    expect(layoutOf(withFeatures({ 'model.score': 0.1 })).id).toBe(a.id);
  });

  it('refuse values that do not fit the layout', () => {
    expect(() => contextFrom(event, ['velocity.customer_count_1h'], [1, 2])).toThrow(/2 values for a layout of 1 keys/);
  });
});

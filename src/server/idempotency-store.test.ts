import { describe, expect, it } from 'vitest';
import { Coalescer } from './idempotency-store.js';

describe('Coalescer (batched idempotency writes)', () => {
  it('runs one item alone at once, and batches what queues while a batch runs', async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const coalescer = new Coalescer<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((x) => x * 10);
    });
    const first = coalescer.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((x) => coalescer.submit(x));
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps batches within items_max and weight_max (one heavy item still goes alone)', async () => {
    const batches: string[][] = [];
    const coalescer = new Coalescer<string, string>(async (items) => {
      batches.push(items);
      return items;
    }, 2, 10);
    await Promise.all([coalescer.submit('a', 4), coalescer.submit('b', 4), coalescer.submit('c', 4), coalescer.submit('huge', 50), coalescer.submit('d', 1)]);
    expect(batches).toEqual([['a', 'b'], ['c'], ['huge'], ['d']]);
  });

  it('fails every item of a failed batch, and goes on with the next', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number, number>(async (items) => {
      if (++calls === 1) throw new Error('database down');
      return items;
    });
    const failed = coalescer.submit(1);
    await expect(failed).rejects.toThrow('database down');
    expect(await coalescer.submit(2)).toBe(2);
  });
});

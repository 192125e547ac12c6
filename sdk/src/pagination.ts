/**
 * Cursor pagination: the API answers `{ data: [...], next_cursor }`; the next page is asked
 * for with `cursor=<next_cursor>` until it is null.
 *
 *   for await (const tx of client.transactions.iterate(accountId)) { … }
 */

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface IterateOptions {
  /** Items per page (the server's maximum applies). */
  pageSize?: number;
  /** Stop after this many items in total. */
  max?: number;
  /** Start from this cursor (a next_cursor kept from an earlier run). */
  cursor?: string;
}

/** Every page, fetching the next only when the previous was consumed. */
export async function* pages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, start?: string): AsyncGenerator<Page<T>, void, undefined> {
  let cursor = start;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield page;
    if (page.next_cursor === null || page.next_cursor === undefined || page.next_cursor === '') return;
    // A server that answers the same cursor twice would loop forever: stop loudly instead.
    if (seen.has(page.next_cursor)) throw new Error(`pagination loop: the server answered cursor ${page.next_cursor} twice`);
    seen.add(page.next_cursor);
    cursor = page.next_cursor;
  }
}

/** Every item of every page, in order; stops after `max` items. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, options: IterateOptions = {}): AsyncGenerator<T, void, undefined> {
  let count = 0;
  if (options.max !== undefined && options.max <= 0) return;
  for await (const page of pages(fetchPage, options.cursor)) {
    for (const item of page.data) {
      yield item;
      if (options.max !== undefined && ++count >= options.max) return;
    }
  }
}

/** Collects an async iterable into an array (bounded: pass `max` to iterate for big lists). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Allow and deny lists, held in memory for the decision path (a hit is a Map lookup) and
 * reloaded from the database whenever this process changes them and every few seconds (so
 * changes made through another process arrive too). Expiry is checked at decision time.
 */
import type { Queryable } from '../db/port.js';
import type { Context, RiskEvent } from './types.js';
import * as store from './store.js';

export const LIST_RELOAD_MS = 5_000;

const key = (list: store.ListName, kind: store.ListKind, value: string) => `${list}\u0000${kind}\u0000${value}`;

export class ListCache {
  private entries = new Map<string, number | null>();
  private loadedAt = -Infinity;

  async reload(db: Queryable, now: Date): Promise<store.ListEntry[]> {
    const rows = await store.activeListEntries(db, now);
    this.entries = new Map(rows.map((e) => [key(e.list, e.kind, e.value), e.expires_at ? new Date(e.expires_at).getTime() : null]));
    this.loadedAt = now.getTime();
    return rows;
  }

  stale(now: Date): boolean {
    return now.getTime() - this.loadedAt >= LIST_RELOAD_MS;
  }

  has(list: store.ListName, kind: store.ListKind, value: string | undefined, now: Date): boolean {
    if (value === undefined) return false;
    const expires = this.entries.get(key(list, kind, value));
    return expires !== undefined && (expires === null || expires > now.getTime());
  }

  /** Denied customers: the "known fraudsters" of the graph features. */
  deniedCustomers(now: Date): string[] {
    const out: string[] = [];
    for (const [k, expires] of this.entries) {
      const [list, kind, value] = k.split('\u0000');
      if (list === 'deny' && kind === 'customer' && (expires === null || expires > now.getTime())) out.push(value!);
    }
    return out;
  }

  context(event: RiskEvent, now: Date): Context {
    const ctx: Context = {};
    this.writeContext(event, now, ctx);
    return ctx;
  }

  /** The list hits written straight into a decision's context (no object of their own on the decision path). */
  writeContext(event: RiskEvent, now: Date, ctx: Context): void {
    ctx['list.customer_denied'] = this.has('deny', 'customer', event.customer_id, now);
    ctx['list.device_denied'] = this.has('deny', 'device', event.device_id, now);
    ctx['list.ip_denied'] = this.has('deny', 'ip', event.ip, now);
    ctx['list.counterparty_denied'] = this.has('deny', 'counterparty', event.counterparty_id, now);
    ctx['list.merchant_denied'] = this.has('deny', 'merchant', event.merchant_id, now);
    ctx['list.customer_allowed'] = this.has('allow', 'customer', event.customer_id, now);
    ctx['list.device_allowed'] = this.has('allow', 'device', event.device_id, now);
  }
}

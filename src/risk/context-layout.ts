/**
 * The compact stored form of a decision's context. A context has ~45 keys, and the same
 * keys in the same order for every decision made under one rule set and feature catalogue.
 * Storing the keys with every decision made the row about 1.4 KB of JSON, most of it key
 * names, and writing them was most of a decision's cost. So a decision stores only its
 * values, as a JSON array, and the id of its layout (the ordered key list), stored once in
 * risk_context_layouts. The `event.*` keys are not stored at all: they are the event's own
 * fields, rebuilt from the stored event by `eventContext`.
 *
 * A layout's id is a digest of its keys, so every process names the same layout the same
 * way without asking the database.
 */
import { digest } from '../ledger/fingerprint.js';
import { eventContext } from './core.js';
import type { Context, RiskEvent, Value } from './types.js';

export interface ContextLayout {
  id: string;
  /** The context's own keys in order, without the `event.*` ones. */
  keys: readonly string[];
}

const EVENT_PREFIX = 'event.';

/** Layouts seen by this process, by the full key list joined (the cache is tiny: one per rule set and catalogue). */
const layouts = new Map<string, ContextLayout & { all: readonly string[] }>();
let last: (ContextLayout & { all: readonly string[] }) | undefined;
const LAYOUTS_MAX = 1_000;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The layout of a context (usually the one of the decision before: a comparison of its keys). */
export function layoutOf(ctx: Context): ContextLayout {
  const all = Object.keys(ctx);
  if (last !== undefined && sameKeys(last.all, all)) return last;
  const joined = all.join('\n');
  let found = layouts.get(joined);
  if (found === undefined) {
    const keys = all.filter((k) => !k.startsWith(EVENT_PREFIX));
    found = { id: digest(keys.join('\n')).slice(0, 22), keys, all };
    if (layouts.size >= LAYOUTS_MAX) layouts.clear();
    layouts.set(joined, found);
  }
  last = found;
  return found;
}

/** The values of a context in its layout's order, as the JSON stored with the decision. */
export function valuesJson(ctx: Context, layout: ContextLayout): string {
  const values: Value[] = new Array(layout.keys.length);
  for (let i = 0; i < layout.keys.length; i++) values[i] = ctx[layout.keys[i]!] ?? null;
  return JSON.stringify(values);
}

/** The full context back from the stored event, the layout's keys and the stored values. */
export function contextFrom(event: RiskEvent, keys: readonly string[], values: readonly Value[]): Context {
  if (keys.length !== values.length) throw new Error(`a stored context has ${values.length} values for a layout of ${keys.length} keys`);
  const ctx = eventContext(event);
  for (let i = 0; i < keys.length; i++) ctx[keys[i]!] = values[i]!;
  return ctx;
}

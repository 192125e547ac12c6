/**
 * Risk vocabulary shared by the engine's parts: the event a decision is asked for, the
 * outcomes, and the flat context rules and models read (event fields, velocity features,
 * list hits, graph features, model scores), keyed by dotted names such as `event.amount`
 * or `velocity.customer_count_1h`.
 */

export const EVENT_TYPES = ['payment', 'login', 'beneficiary_added', 'loan_application'] as const;
export type KnownEventType = (typeof EVENT_TYPES)[number];
/** Custom types are allowed with the `custom.` prefix (e.g. `custom.card_bind`). */
export const CUSTOM_EVENT_TYPE_PATTERN = '^custom\\.[a-z][a-z0-9_]{0,47}$';

/** Outcomes from least to most severe; a decision takes the most severe outcome of the rules that fired. */
export const OUTCOMES = ['allow', 'step_up', 'review', 'block'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function moreSevere(a: Outcome, b: Outcome): Outcome {
  return OUTCOMES.indexOf(a) >= OUTCOMES.indexOf(b) ? a : b;
}

export interface Geo {
  country?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
}

/** What a caller asks about. Amounts are integer minor units (bigint), as everywhere. */
export interface RiskEvent {
  /** Client-chosen id of the event (UUID): asking twice returns the first decision. */
  id: string;
  type: string;
  customer_id: string;
  occurred_at: Date;
  amount?: bigint | undefined;
  currency?: string | undefined;
  counterparty_id?: string | undefined;
  merchant_id?: string | undefined;
  device_id?: string | undefined;
  ip?: string | undefined;
  phone?: string | undefined;
  account_id?: string | undefined;
  channel?: string | undefined;
  geo?: Geo | undefined;
  /** Free attributes: strings, numbers and booleans only. */
  attributes?: Record<string, string | number | boolean> | undefined;
}

/** A value a rule can read. Numbers are float64: money in rules is minor units, exact up to 2^53. */
export type Value = number | string | boolean | null;

/** The flat context of one decision: `event.amount`, `velocity.customer_count_1h`, `graph.component_size`, … */
export type Context = Record<string, Value>;

/** The kinds of value each context key holds, so rule expressions are type-checked when saved. */
export type ValueType = 'number' | 'string' | 'boolean';
export type ContextSchema = Record<string, ValueType>;

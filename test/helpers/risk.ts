/**
 * Risk vocabulary for tests: decision bodies, deciding (and failing the test unless the
 * engine answered), saving and publishing rule sets, reading a decision's stored context,
 * and finding the case a decision opened.
 */
import { expect } from 'vitest';
import { DEFAULT_RULE_SET } from '../../src/risk/defaults.js';
import { Client, uuid7 } from './http.js';

export { DEFAULT_RULE_SET };

export interface DecisionBody {
  id: string;
  type: string;
  customer_id: string;
  occurred_at?: string;
  amount?: string;
  currency?: string;
  counterparty_id?: string;
  merchant_id?: string;
  device_id?: string;
  ip?: string;
  phone?: string;
  account_id?: string;
  channel?: string;
  geo?: { country?: string; lat?: number; lon?: number };
  attributes?: Record<string, string | number | boolean>;
}

export interface RuleBody {
  id: string;
  when: string;
  outcome: 'allow' | 'step_up' | 'review' | 'block';
  name?: string;
  priority?: number;
  reason?: string;
  enabled?: boolean;
}

let seq = 0;
/** An id unique within this test process, valid for every risk id field (customer, device, counterparty, …). */
export const riskId = (prefix: string): string => `${prefix}-${process.pid}-${++seq}-${uuid7().slice(-8)}`;

/** A payment by `customer_id` (a fresh customer unless given). */
export const payment = (over: Partial<DecisionBody> = {}): DecisionBody => ({
  id: uuid7(),
  type: 'payment',
  customer_id: riskId('cust'),
  amount: '100',
  currency: 'USD',
  ...over,
});

export const login = (over: Partial<DecisionBody> = {}): DecisionBody => ({ id: uuid7(), type: 'login', customer_id: riskId('cust'), ...over });

/** Asks for a decision and fails the test unless it was made now (201). Returns the decision view. */
export async function decide(client: Client, body: DecisionBody): Promise<any> {
  const res = await client.post('/v1/risk/decisions', body);
  expect(res.status, `${res.status} ${res.text.slice(0, 500)}`).toBe(201);
  return res.body;
}

/** The stored decision with its event and context. */
export async function storedDecision(client: Client, id: string): Promise<any> {
  const res = await client.get(`/v1/risk/decisions/${id}`);
  expect(res.status, res.text.slice(0, 500)).toBe(200);
  return res.body;
}

/** Only the `velocity.*` part of a stored context. */
export const velocityOf = (context: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(context).filter(([k]) => k.startsWith('velocity.')));

/** Saves a draft version of rule set `id` and fails the test unless it was saved (201). */
export async function saveRuleSet(admin: Client, id: string, rules: RuleBody[], extra: { comment?: string; attributes?: Record<string, string> } = {}): Promise<any> {
  const res = await admin.post(`/v1/risk/rule-sets/${id}/versions`, { rules, ...extra });
  expect(res.status, res.text.slice(0, 800)).toBe(201);
  return res.body;
}

export async function publish(admin: Client, id: string, version: number, slot: 'live' | 'shadow'): Promise<any> {
  const res = await admin.post(`/v1/risk/rule-sets/${id}/versions/${version}/publish`, { slot });
  expect(res.status, res.text.slice(0, 800)).toBe(200);
  return res.body;
}

/** Saves and publishes a rule set in one go; returns the version number. */
export async function deployRules(admin: Client, id: string, rules: RuleBody[], slot: 'live' | 'shadow' = 'live'): Promise<number> {
  const saved = await saveRuleSet(admin, id, rules);
  await publish(admin, id, saved.version, slot);
  return saved.version as number;
}

/** The default rules plus `extra` (the default rule set is what a new installation runs). */
export const defaultRulesPlus = (...extra: RuleBody[]): RuleBody[] => [...(DEFAULT_RULE_SET.rules as RuleBody[]), ...extra];

/** Every case (all pages) matching a query string such as `status=open`. */
export async function allCases(client: Client, query = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const qs = new URLSearchParams(query);
    qs.set('limit', '500');
    if (cursor) qs.set('cursor', cursor);
    const res = await client.get(`/v1/risk/cases?${qs}`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

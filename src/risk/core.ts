/**
 * The risk engine's pure part: rule sets as data (validated and compiled when saved, so a
 * malformed rule never reaches decision time), the context a decision reads, and the
 * decision itself (every enabled rule is evaluated; the most severe outcome of those that
 * fired wins; ties keep the higher priority first in the reasons).
 */
import { fingerprint } from '../ledger/fingerprint.js';
import { compileCondition, type ExprError } from './expr/index.js';
import { CUSTOM_EVENT_TYPE_PATTERN, EVENT_TYPES, OUTCOMES, moreSevere, type Context, type ContextSchema, type Outcome, type RiskEvent, type ValueType } from './types.js';
import type { VelocityFeature } from './velocity.js';

export const RULES_MAX = 500;
export const RULE_ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const ATTRIBUTE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
const CUSTOM_TYPE = new RegExp(CUSTOM_EVENT_TYPE_PATTERN);

export interface Rule {
  id: string;
  name?: string | undefined;
  /** A condition in the rule language (docs/risk.md), e.g. `event.amount > 500000 and velocity.customer_count_1h >= 5`. */
  when: string;
  outcome: Outcome;
  /** Higher first among rules of the same outcome in the reasons. Default 0. */
  priority?: number | undefined;
  /** Shown to the caller and the analyst when the rule fires. */
  reason?: string | undefined;
  enabled?: boolean | undefined;
}

export interface RuleSetBody {
  rules: Rule[];
  /** Types of the free event attributes the rules read, as `attr.<name>`. */
  attributes?: Record<string, ValueType> | undefined;
}

export interface RuleSetIssue {
  /** Index of the rule, or -1 for the rule set itself. */
  rule_index: number;
  field: string;
  message: string;
  position?: number;
  line?: number;
  column?: number;
}

export interface CompiledRule {
  rule: Rule;
  test: (ctx: Context) => boolean;
  references: string[];
}

export interface CompiledRuleSet {
  rules: CompiledRule[];
  /** Every context key any rule reads (so the engine can skip what no rule needs). */
  references: Set<string>;
}

/** The context keys a rule can read, and their types. */
export function contextSchema(features: readonly VelocityFeature[], attributes: Record<string, ValueType> = {}): ContextSchema {
  const schema: ContextSchema = {
    'event.type': 'string',
    'event.customer_id': 'string',
    'event.amount': 'number',
    'event.currency': 'string',
    'event.counterparty_id': 'string',
    'event.merchant_id': 'string',
    'event.device_id': 'string',
    'event.ip': 'string',
    'event.phone': 'string',
    'event.account_id': 'string',
    'event.channel': 'string',
    'event.geo_country': 'string',
    'event.hour_utc': 'number',
    'list.customer_denied': 'boolean',
    'list.device_denied': 'boolean',
    'list.ip_denied': 'boolean',
    'list.counterparty_denied': 'boolean',
    'list.merchant_denied': 'boolean',
    'list.customer_allowed': 'boolean',
    'list.device_allowed': 'boolean',
    'graph.component_size': 'number',
    'graph.customers_sharing_device': 'number',
    'graph.customers_sharing_ip': 'number',
    'graph.distance_to_fraud': 'number',
    'model.score': 'number',
    'customer.new_device': 'boolean',
    'customer.new_counterparty': 'boolean',
  };
  for (const feature of features) schema[`velocity.${feature.name}`] = 'number';
  for (const [name, type] of Object.entries(attributes)) schema[`attr.${name}`] = type;
  return schema;
}

/** Validates and compiles a rule set; every problem is reported with the rule and the position in its condition. */
export function compileRuleSet(body: RuleSetBody, features: readonly VelocityFeature[]): { ok: true; compiled: CompiledRuleSet } | { ok: false; issues: RuleSetIssue[] } {
  const issues: RuleSetIssue[] = [];
  if (!Array.isArray(body.rules) || body.rules.length === 0) issues.push({ rule_index: -1, field: 'rules', message: 'a rule set needs at least one rule' });
  if (body.rules.length > RULES_MAX) issues.push({ rule_index: -1, field: 'rules', message: `at most ${RULES_MAX} rules` });
  for (const [name, type] of Object.entries(body.attributes ?? {})) {
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) issues.push({ rule_index: -1, field: `attributes.${name}`, message: 'attribute names are 1–48 of a–z, 0–9, _ starting with a letter' });
    if (!['number', 'string', 'boolean'].includes(type)) issues.push({ rule_index: -1, field: `attributes.${name}`, message: 'type must be number, string or boolean' });
  }
  const schema = contextSchema(features, body.attributes);
  const seen = new Set<string>();
  const compiled: CompiledRule[] = [];
  body.rules.forEach((rule, i) => {
    if (!RULE_ID_PATTERN.test(rule.id)) issues.push({ rule_index: i, field: 'id', message: 'rule ids are 1–64 of a–z, 0–9, _ starting with a letter' });
    if (seen.has(rule.id)) issues.push({ rule_index: i, field: 'id', message: `duplicate rule id ${rule.id}` });
    seen.add(rule.id);
    if (!(OUTCOMES as readonly string[]).includes(rule.outcome)) issues.push({ rule_index: i, field: 'outcome', message: `outcome must be one of ${OUTCOMES.join(', ')}` });
    const result = compileCondition(rule.when, schema);
    if (!result.ok) {
      issues.push({ rule_index: i, field: 'when', ...positionOf(result.error) });
      return;
    }
    const evaluate = result.evaluate;
    compiled.push({ rule, test: (ctx) => evaluate(ctx) === true, references: result.references });
  });
  if (issues.length > 0) return { ok: false, issues };
  const ordered = compiled.filter((c) => c.rule.enabled !== false).sort((a, b) => (b.rule.priority ?? 0) - (a.rule.priority ?? 0));
  return { ok: true, compiled: { rules: ordered, references: new Set(ordered.flatMap((c) => c.references)) } };
}

const positionOf = (e: ExprError) => ({ message: e.message, position: e.position, line: e.line, column: e.column });

export interface FiredRule {
  rule_id: string;
  outcome: Outcome;
  reason: string;
}

export interface RuleVerdict {
  outcome: Outcome;
  fired: FiredRule[];
}

/** Runs every enabled rule; the most severe outcome of the rules that fired wins (allow if none did). */
export function evaluateRules(rules: CompiledRuleSet, ctx: Context): RuleVerdict {
  let outcome: Outcome = 'allow';
  const fired: FiredRule[] = [];
  for (const { rule, test } of rules.rules) {
    if (!test(ctx)) continue;
    outcome = moreSevere(outcome, rule.outcome);
    fired.push({ rule_id: rule.id, outcome: rule.outcome, reason: rule.reason ?? rule.name ?? rule.id });
  }
  fired.sort((a, b) => OUTCOMES.indexOf(b.outcome) - OUTCOMES.indexOf(a.outcome));
  return { outcome, fired };
}

/** Event types the engine accepts: the four known ones, or `custom.<name>`. */
export function isEventType(type: string): boolean {
  return (EVENT_TYPES as readonly string[]).includes(type) || CUSTOM_TYPE.test(type);
}

/** The event's own part of the context. */
export function eventContext(event: RiskEvent, attributes: Record<string, ValueType> = {}): Context {
  const ctx: Context = {
    'event.type': event.type,
    'event.customer_id': event.customer_id,
    'event.amount': event.amount === undefined ? null : Number(event.amount),
    'event.currency': event.currency ?? null,
    'event.counterparty_id': event.counterparty_id ?? null,
    'event.merchant_id': event.merchant_id ?? null,
    'event.device_id': event.device_id ?? null,
    'event.ip': event.ip ?? null,
    'event.phone': event.phone ?? null,
    'event.account_id': event.account_id ?? null,
    'event.channel': event.channel ?? null,
    'event.geo_country': event.geo?.country ?? null,
    'event.hour_utc': event.occurred_at.getUTCHours(),
  };
  for (const [name, type] of Object.entries(attributes)) {
    const value = event.attributes?.[name];
    ctx[`attr.${name}`] = value !== undefined && typeof value === type ? value : null;
  }
  return ctx;
}

/**
 * A stable digest of what the caller sent (key order does not matter): the same event id
 * with other fields is a conflict. Pass the body as sent, so a default the server filled
 * in (occurred_at = now) does not make a retry look different.
 */
export function eventFingerprint(sent: unknown): string {
  return fingerprint(sent);
}

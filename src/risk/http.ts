/**
 * Risk routes under /v1/risk: decisions, the graph around a node, rule sets (draft →
 * publish to live or shadow), lists, models, cases and transfer policies. Translates
 * HTTP ↔ the Risk service.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { AmountString, Problem, Uuid, parseAmount } from '../ledger/schemas.js';
import { isEventType, RULES_MAX } from './core.js';
import type { DecisionResult } from './engine.js';
import { MODEL_KINDS, modelErrorField } from './models.js';
import { NEIGHBOURHOOD_DEPTH_MAX, NEIGHBOURHOOD_NODES_MAX, type GraphNodeKind } from './graph.js';
import type { Risk } from './service.js';
import * as store from './store.js';
import { CUSTOM_EVENT_TYPE_PATTERN, EVENT_TYPES, OUTCOMES, type RiskEvent } from './types.js';

const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$', description: '1–128 of letters, digits, . _ : @ -' });
const Name = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$', description: '1–64 of a–z, 0–9, _ - starting with a letter' });
const Timestamp = Type.String({ format: 'date-time' });

export const DecisionRequest = Type.Object(
  {
    id: { ...Uuid, description: 'Client-chosen event id (UUID); asking again with the same body returns the first decision' },
    type: Type.String({ description: `${EVENT_TYPES.join(' | ')} | custom.<name> (${CUSTOM_EVENT_TYPE_PATTERN})`, maxLength: 64 }),
    customer_id: Id,
    occurred_at: Type.Optional(Timestamp),
    amount: Type.Optional(AmountString),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    counterparty_id: Type.Optional(Id),
    merchant_id: Type.Optional(Id),
    device_id: Type.Optional(Id),
    ip: Type.Optional(Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })], { description: 'IPv4 or IPv6 address' })),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{4,20}$' })),
    account_id: Type.Optional(Id),
    channel: Type.Optional(Type.String({ maxLength: 32 })),
    geo: Type.Optional(
      Type.Object(
        {
          country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
          lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
          lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
        },
        { additionalProperties: false },
      ),
    ),
    attributes: Type.Optional(
      Type.Record(Type.String({ maxLength: 48 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), {
        maxProperties: 32,
        propertyNames: { pattern: '^[a-z][a-z0-9_]{0,47}$' },
      }),
    ),
  },
  { additionalProperties: false },
);
type DecisionRequest = Static<typeof DecisionRequest>;

const Fired = Type.Object({ rule_id: Type.String(), outcome: Type.String(), reason: Type.String() });
const Verdict = Type.Object({
  outcome: Type.String({ description: OUTCOMES.join(' | ') }),
  score: Type.Union([Type.Number(), Type.Null()]),
  reasons: Type.Array(Fired),
  model_reasons: Type.Array(Type.Object({ feature: Type.String(), detail: Type.String() })),
});
export const DecisionView = Type.Object({
  decision_id: Type.String(),
  replayed: Type.Boolean(),
  outcome: Type.String({ description: OUTCOMES.join(' | ') }),
  score: Type.Union([Type.Number(), Type.Null()], { description: "The live model's probability of a bad outcome, if a model is deployed" }),
  reasons: Type.Array(Fired, { description: 'Rules that fired, most severe first' }),
  model_reasons: Type.Array(Type.Object({ feature: Type.String(), detail: Type.String() })),
  rule_set: Type.Union([Type.Object({ id: Type.String(), version: Type.Integer() }), Type.Null()]),
  shadow: Type.Union([Verdict, Type.Null()], { description: 'What the shadow deployment would have decided (not enforced)' }),
  case_id: Type.Union([Type.String(), Type.Null()]),
  decided_at: Timestamp,
});

export function decisionJson(d: DecisionResult) {
  return {
    decision_id: d.decision_id,
    replayed: d.replayed,
    outcome: d.outcome,
    score: d.score,
    reasons: d.fired,
    model_reasons: d.model_reasons,
    rule_set: d.rule_set,
    shadow: d.shadow ? { outcome: d.shadow.outcome, score: d.shadow.score, reasons: d.shadow.fired, model_reasons: d.shadow.model_reasons } : null,
    case_id: d.case_id,
    decided_at: d.decided_at.toISOString(),
  };
}

export function toRiskEvent(body: DecisionRequest, now: Date): RiskEvent {
  if (!isEventType(body.type)) {
    throw new ProblemError('unknown_event_type', `type must be one of ${EVENT_TYPES.join(', ')} or custom.<name>`, { field: 'type' });
  }
  const occurred_at = body.occurred_at ? new Date(body.occurred_at) : now;
  return { ...body, id: body.id.toLowerCase(), amount: body.amount === undefined ? undefined : parseAmount(body.amount, 'amount'), occurred_at };
}

const Rule = Type.Object(
  {
    id: Type.String({ maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    when: Type.String({ maxLength: 4000, description: 'A condition in the rule language (docs/risk.md)' }),
    outcome: Type.Union(OUTCOMES.map((o) => Type.Literal(o))),
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
    reason: Type.Optional(Type.String({ maxLength: 300 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const RuleSetSave = Type.Object(
  {
    rules: Type.Array(Rule, { maxItems: RULES_MAX }),
    attributes: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Literal('number'), Type.Literal('string'), Type.Literal('boolean')]), { maxProperties: 64 })),
    comment: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const ruleSetJson = (v: store.RuleSetVersion) => ({
  ...v,
  created_at: v.created_at.toISOString(),
  published_at: v.published_at ? new Date(v.published_at).toISOString() : null,
});

const actorOf = (req: { apiKey?: { name: string; id: string } }): string => (req.apiKey ? `${req.apiKey.name} (${req.apiKey.id})` : 'unknown');

const GraphKind = Type.Union((['customer', 'device', 'ip', 'phone', 'account'] as const).map((k) => Type.Literal(k)));
const NeighbourhoodQuery = Type.Object({
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: NEIGHBOURHOOD_DEPTH_MAX, default: 2, description: 'Edges from the start' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: NEIGHBOURHOOD_NODES_MAX, default: 200, description: 'Nodes returned, the start included' })),
});
const NeighbourhoodView = Type.Object({
  start: Type.Object({ kind: GraphKind, id: Type.String(), key: Type.String() }),
  nodes: Type.Array(
    Type.Object({
      key: Type.String({ description: 'The kind prefix (c: d: i: p: a:) and the id' }),
      kind: GraphKind,
      id: Type.String(),
      flagged_fraud: Type.Boolean({ description: 'A deny-listed customer' }),
      distance: Type.Integer({ description: 'Edges from the start' }),
      degree: Type.Integer({ description: 'Links in the whole graph (the result may show fewer)' }),
      hub: Type.Optional(Type.Literal(true, { description: 'An IP or account past its cap (a carrier NAT, a utility): shown, not expanded' })),
    }),
    { description: 'Breadth first: the start, then by distance' },
  ),
  edges: Type.Array(Type.Object({ source: Type.String({ description: 'The customer end' }), target: Type.String(), kind: Type.String({ description: 'device | ip | phone | account' }) })),
  truncated: Type.Boolean({ description: 'Some nodes or edges within depth were left out (limit reached)' }),
});

const CASE_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

export function registerRiskRoutes(root: FastifyInstance, risk: Risk): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['risk'];

  app.post(
    '/v1/risk/decisions',
    {
      config: { scope: 'risk:decide' },
      schema: { tags, summary: 'Decide on an event: allow, step_up, review or block, with the score and the reasons', body: DecisionRequest, response: { 200: DecisionView, 201: DecisionView, ...errorResponses } },
    },
    async (req, reply) => {
      const result = await risk.engine.decide(toRiskEvent(req.body, risk.clock.now()), { sent: { ...req.body, id: req.body.id.toLowerCase() } });
      if (!result.ok) throw new ProblemError('exists_with_different_fields', 'this event id was decided with different fields', { field: 'id' });
      return reply.status(result.decision.replayed ? 200 : 201).send(decisionJson(result.decision));
    },
  );

  app.get(
    '/v1/risk/decisions/:id',
    { config: { scope: 'risk:read' }, schema: { tags, summary: 'A stored decision with its inputs and context', params: Type.Object({ id: Uuid }) } },
    async (req) => {
      const stored = await store.getDecision(risk.db, req.params.id.toLowerCase());
      if (!stored) throw new ProblemError('decision_not_found', `no decision ${req.params.id}`);
      return { ...decisionJson(await risk.engine.resultOf(stored, true)), event: store.eventToJson(stored.event), context: stored.context };
    },
  );

  // ---------------------------------------------------------------- graph neighbourhood (the console's case view)

  const neighbourhoodOf = async (start: { kind: GraphNodeKind; id: string }, query: Static<typeof NeighbourhoodQuery>) => {
    await risk.engine.start(); // the graph is complete once the stored events are replayed
    const found = risk.engine.graph.neighbourhood(start, { depth_max: query.depth ?? 2, nodes_max: query.limit ?? 200 });
    if (!found) throw new ProblemError('graph_node_not_found', `no ${start.kind} ${start.id} in the graph (it is built from the events of the last 30 days)`);
    return { start: { kind: start.kind, id: start.id, key: found.nodes[0]!.key }, ...found };
  };

  app.get(
    '/v1/risk/graph/neighbourhood',
    {
      config: { scope: 'risk:read' },
      schema: {
        tags,
        summary: 'The graph around a customer, device, IP, phone or account: nodes within `depth` edges (breadth first, at most `limit`), hubs shown but not expanded',
        querystring: Type.Object({ kind: GraphKind, id: Type.String({ minLength: 1, maxLength: 128 }), ...NeighbourhoodQuery.properties }),
        response: { 200: NeighbourhoodView, ...errorResponses },
      },
    },
    async (req) => neighbourhoodOf({ kind: req.query.kind, id: req.query.id }, req.query),
  );

  app.get(
    '/v1/risk/decisions/:id/neighbourhood',
    {
      config: { scope: 'risk:read' },
      schema: { tags, summary: "The graph around a decision's customer", params: Type.Object({ id: Uuid }), querystring: NeighbourhoodQuery, response: { 200: NeighbourhoodView, ...errorResponses } },
    },
    async (req) => {
      const stored = await store.getDecision(risk.db, req.params.id.toLowerCase());
      if (!stored) throw new ProblemError('decision_not_found', `no decision ${req.params.id}`);
      return neighbourhoodOf({ kind: 'customer', id: stored.customer_id }, req.query);
    },
  );

  // ---------------------------------------------------------------- rule sets

  app.get('/v1/risk/rule-sets', { config: { scope: 'risk:read' }, schema: { tags, summary: 'Rule sets with their latest and published versions' } }, async () => ({
    data: await store.listRuleSets(risk.db),
  }));

  app.get(
    '/v1/risk/rule-sets/:id',
    { config: { scope: 'risk:read' }, schema: { tags, summary: 'Every version of a rule set, newest first, and its change history', params: Type.Object({ id: Name }) } },
    async (req) => {
      const versions = await store.listRuleSetVersions(risk.db, req.params.id);
      if (versions.length === 0) throw new ProblemError('rule_set_not_found', `no rule set ${req.params.id}`);
      return { id: req.params.id, versions: versions.map(ruleSetJson), history: await store.auditOf(risk.db, `rule_set:${req.params.id}`, 200) };
    },
  );

  app.post(
    '/v1/risk/rule-sets/:id/versions',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary: 'Save a new draft version (every condition is checked now: an error names the rule, line and column, and nothing is saved)',
        params: Type.Object({ id: Name }),
        body: RuleSetSave,
      },
    },
    async (req, reply) => {
      const result = await risk.saveRuleSet(req.params.id, { rules: req.body.rules, attributes: req.body.attributes }, req.body.comment ?? '', actorOf(req));
      if (!result.ok) {
        const errors = result.issues.map((i) => ({
          field: i.rule_index >= 0 ? `rules[${i.rule_index}].${i.field}` : i.field,
          message: i.line !== undefined ? `${i.message} (line ${i.line}, column ${i.column}, position ${i.position})` : i.message,
        }));
        throw new ProblemError('invalid_rule_set', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
      }
      return reply.status(201).send(ruleSetJson(result.version));
    },
  );

  app.post(
    '/v1/risk/rule-sets/:id/versions/:version/publish',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary: 'Publish a version into the live slot (it decides) or the shadow slot (it runs beside live, recorded, not enforced)',
        params: Type.Object({ id: Name, version: Type.Integer({ minimum: 1 }) }),
        body: Type.Object({ slot: Type.Union([Type.Literal('live'), Type.Literal('shadow')]) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const result = await risk.publish(req.params.id, req.params.version, req.body.slot, actorOf(req));
      if (!result.ok && result.code === 'catalogue_rebuilding') throw new ProblemError('catalogue_rebuilding', result.message);
      if (!result.ok && result.code === 'invalid_rule_set') {
        // A draft saved before the feature catalogue changed.
        const errors = result.issues.map((i) => ({ field: i.rule_index >= 0 ? `rules[${i.rule_index}].${i.field}` : i.field, message: i.message }));
        throw new ProblemError('invalid_rule_set', `does not compile with feature catalogue v${result.catalogue_version}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
      }
      if (!result.ok) throw new ProblemError('rule_set_not_found', `no rule set ${req.params.id} v${req.params.version}`);
      return ruleSetJson(result.version);
    },
  );

  app.get('/v1/risk/deployments', { config: { scope: 'risk:read' }, schema: { tags, summary: 'What runs live and in shadow' } }, async () => {
    const d = await store.getDeployments(risk.db);
    return { live: d.get('live') ?? null, shadow: d.get('shadow') ?? null };
  });

  app.delete('/v1/risk/deployments/shadow', { config: { scope: 'risk:admin' }, schema: { tags, summary: 'Stop the shadow deployment' } }, async (req) => {
    await risk.clearShadow(actorOf(req));
    return { shadow: null };
  });

  // ---------------------------------------------------------------- lists

  const ListParams = Type.Object({
    list: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    kind: Type.Union(['customer', 'device', 'ip', 'counterparty', 'merchant'].map((k) => Type.Literal(k))),
    value: Id,
  });

  app.put(
    '/v1/risk/lists/:list/:kind/:value',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary: 'Put a customer, device, IP, counterparty or merchant on the allow or deny list (optionally until a time)',
        params: ListParams,
        body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 300 })), expires_at: Type.Optional(Timestamp) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const expires_at = req.body.expires_at ? new Date(req.body.expires_at) : null;
      if (expires_at && expires_at.getTime() <= risk.clock.now().getTime()) {
        throw new ProblemError('invalid_request', 'expires_at must be in the future', { field: 'expires_at', errors: [{ field: 'body.expires_at', message: 'must be in the future' }] });
      }
      const entry = await risk.putListEntry({
        list: req.params.list,
        kind: req.params.kind as store.ListKind,
        value: req.params.value,
        reason: req.body.reason ?? '',
        expires_at,
        created_by: actorOf(req),
      });
      return { ...entry, expires_at: entry.expires_at?.toISOString() ?? null, created_at: entry.created_at.toISOString() };
    },
  );

  app.delete('/v1/risk/lists/:list/:kind/:value', { config: { scope: 'risk:admin' }, schema: { tags, summary: 'Remove a list entry', params: ListParams } }, async (req) => {
    const removed = await risk.deleteListEntry(req.params.list, req.params.kind as store.ListKind, req.params.value, actorOf(req));
    if (!removed) throw new ProblemError('list_entry_not_found', 'no such list entry');
    return { removed: true };
  });

  app.get('/v1/risk/lists', { config: { scope: 'risk:read' }, schema: { tags, summary: 'Every list entry not yet expired' } }, async () => ({
    data: await store.activeListEntries(risk.db, risk.clock.now()),
  }));

  // ---------------------------------------------------------------- models

  app.post(
    '/v1/risk/models/:id/versions',
    {
      config: { scope: 'risk:admin' },
      bodyLimit: 16 << 20,
      schema: {
        tags,
        summary: 'Import a model version: a scorecard (JSON as the built-in trainer writes it), an XGBoost JSON dump, or an ONNX model (base64, up to 8 MiB); one that does not load is refused',
        params: Type.Object({ id: Name }),
        body: Type.Object(
          { kind: Type.Union(MODEL_KINDS.map((k) => Type.Literal(k))), body: Type.Unknown(), metrics: Type.Optional(Type.Unknown()) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const result = await risk.saveModel(req.params.id, req.body.kind, req.body.body, req.body.metrics ?? null, actorOf(req));
      if (!result.ok) throw new ProblemError(result.code, result.message, { field: modelErrorField(result.code) });
      const { body: _body, ...model } = result.model;
      return reply.status(201).send(model);
    },
  );

  app.get('/v1/risk/models', { config: { scope: 'risk:read' }, schema: { tags, summary: 'Model versions (without their bodies)' } }, async () => ({ data: await store.listModels(risk.db) }));

  app.put(
    '/v1/risk/deployments/:slot/model',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary: 'Run a model version in the live or shadow slot (its score becomes model.score), or none (null)',
        params: Type.Object({ slot: Type.Union([Type.Literal('live'), Type.Literal('shadow')]) }),
        body: Type.Object({ model: Type.Union([Type.Object({ id: Name, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), Type.Null()]) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const result = await risk.deployModel(req.params.slot, req.body.model, actorOf(req));
      if (!result.ok) throw 'message' in result ? new ProblemError(result.code, result.message, { field: 'model' }) : new ProblemError('model_not_found', 'no such model version');
      return { slot: req.params.slot, model: req.body.model };
    },
  );

  // ---------------------------------------------------------------- cases

  app.get(
    '/v1/risk/cases',
    {
      config: { scope: 'risk:cases' },
      schema: {
        tags,
        summary: 'Review cases, oldest first, cursor-paginated',
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('approved'), Type.Literal('rejected')])),
          assignee: Type.Optional(Type.String({ maxLength: 128 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const parts = decodeCursor(req.query.cursor, CASE_CURSOR);
      const after = parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined;
      const rows = await store.listCases(risk.db, { status: req.query.status, assignee: req.query.assignee }, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page, next_cursor: rows.length > limit && last ? encodeCursor(String(new Date(last.created_at).getTime()), last.id) : null };
    },
  );

  app.get(
    '/v1/risk/cases/:id',
    { config: { scope: 'risk:cases' }, schema: { tags, summary: 'A case with its decision (event, context, reasons) and its audit trail', params: Type.Object({ id: Uuid }) } },
    async (req) => {
      const found = await store.getCase(risk.db, req.params.id.toLowerCase());
      if (!found) throw new ProblemError('case_not_found', `no case ${req.params.id}`);
      const decision = (await store.getDecision(risk.db, found.decision_id))!;
      return {
        case: found,
        decision: { ...decisionJson(await risk.engine.resultOf(decision, true)), event: store.eventToJson(decision.event), context: decision.context },
        events: await store.caseEvents(risk.db, found.id),
      };
    },
  );

  const CaseBody = {
    assign: Type.Object({ assignee: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
    comment: Type.Object({ comment: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
    approve: Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    reject: Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
  } as const;
  for (const action of ['assign', 'comment', 'approve', 'reject'] as const) {
    app.post(
      `/v1/risk/cases/:id/${action}`,
      {
        config: { scope: 'risk:cases' },
        schema: {
          tags,
          summary: {
            assign: 'Assign the case to an analyst',
            comment: 'Add a comment to the case',
            approve: 'Approve: the held transfer (if any) is posted, then the case closes',
            reject: 'Reject: the held transfer (if any) is voided, then the case closes',
          }[action],
          params: Type.Object({ id: Uuid }),
          body: CaseBody[action],
        },
      },
      async (req) => {
        const body = req.body as { assignee?: string; comment?: string };
        const act =
          action === 'assign' ? { kind: action, assignee: body.assignee! } : action === 'comment' ? { kind: action, comment: body.comment! } : { kind: action, comment: body.comment };
        const result = await risk.actOnCase(req.params.id.toLowerCase(), act, actorOf(req));
        if (!result.ok) throw new ProblemError(result.code, result.detail ?? `the case cannot be changed: ${result.code}`);
        return { case: result.case, events: await store.caseEvents(risk.db, result.case.id) };
      },
    );
  }

  // ---------------------------------------------------------------- transfer policies

  app.put(
    '/v1/risk/transfer-policies/:code',
    {
      config: { scope: 'risk:admin' },
      schema: {
        tags,
        summary: 'Check transfers of this code with the risk engine before they move money (block refuses, review holds)',
        params: Type.Object({ code: Type.Integer({ minimum: 1, maximum: 65535 }) }),
        body: Type.Object(
          { enabled: Type.Boolean(), hold_timeout_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000, description: 'How long a held transfer waits for an analyst (default 7 days)' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => risk.putTransferPolicy(req.params.code, req.body.enabled, req.body.hold_timeout_seconds ?? 7 * 24 * 3600, actorOf(req)),
  );

  app.get('/v1/risk/transfer-policies', { config: { scope: 'risk:read' }, schema: { tags, summary: 'Transfer codes checked by the risk engine' } }, async () => ({
    data: await store.listTransferPolicies(risk.db),
  }));
}

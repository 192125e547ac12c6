/**
 * Operator routes for webhook deliveries (API key with `openbanking:admin`):
 * GET /v1/webhook-deliveries, GET /v1/webhook-deliveries/{id} (with its attempts),
 * POST /v1/webhook-deliveries/{id}/replay; and GET /v1/events (scope `admin`), the outbox
 * as event envelopes for internal consumers that do not use NATS.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { Problem } from '../ledger/schemas.js';
import { buildEnvelopes } from './event-builders.js';
import { withDerivedEvents } from './derived-events.js';
import { readAfter } from './relay-store.js';
import type { Events } from './workers.js';
import { attemptsOf, getDelivery, listDeliveries, type Attempt, type Delivery } from './webhook-store.js';
import { DELIVERY_STATUSES } from './webhooks.js';

const tags = ['webhooks and events'];
const config = { scope: 'openbanking:admin' as const };
const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem };
export const DELIVERY_PAGE_MAX = 100;
export const ATTEMPTS_SHOWN_MAX = 1_000;
export const EVENTS_PAGE_MAX = 500;
const DELIVERY_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const Status = Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)), {
  description: 'pending: queued or retrying; delivered: a 2xx answer; failed: no 2xx within 72 h, or the app has no usable webhook',
});
const Envelope = Type.Object(
  { id: Type.String(), topic: Type.String(), created_at: Type.String(), data: Type.Unknown() },
  { description: 'The event exactly as the webhook body carries it' },
);

const DeliveryView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  event_id: Type.String({ format: 'uuid' }),
  client_id: Type.String(),
  topic: Type.String(),
  url: Type.String({ description: 'The URL of the last attempt (the app\'s webhook URL when it was queued, before any attempt)' }),
  status: Status,
  attempts: Type.Integer({ description: 'Attempts made so far, replays included' }),
  next_attempt_at: NullableTimestamp,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  delivered_at: NullableTimestamp,
  give_up_at: Timestamp,
  event: Envelope,
});

const AttemptView = Type.Object({
  attempt: Type.Integer(),
  at: Timestamp,
  status_code: Type.Union([Type.Integer(), Type.Null()], { description: 'The receiver\'s HTTP status; null when there was no answer' }),
  error: Type.Union([Type.String(), Type.Null()]),
  response_excerpt: Type.Union([Type.String(), Type.Null()], { description: 'The first 512 bytes of the answer, at most' }),
  duration_ms: Type.Integer(),
});

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function deliveryJson(d: Delivery) {
  return {
    id: d.id,
    event_id: d.event_id,
    client_id: d.client_id,
    topic: d.topic,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: d.created_at.toISOString(),
    delivered_at: iso(d.delivered_at),
    give_up_at: d.give_up_at.toISOString(),
    event: d.payload as { id: string; topic: string; created_at: string; data: unknown },
  };
}

export function attemptJson(a: Attempt) {
  return { ...a, at: a.at.toISOString() };
}

const notFound = (id: string) => new ProblemError('webhook_delivery_not_found', `no webhook delivery ${id}`);

export function registerEventRoutes(root: FastifyInstance, db: Db, events: Events): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/webhook-deliveries',
    {
      config,
      schema: {
        tags,
        summary: 'Webhook deliveries, newest first, cursor-paginated; filter by partner app, status or event',
        querystring: Type.Object({
          client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          status: Type.Optional(Status),
          event_id: Type.Optional(Type.String({ format: 'uuid' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DELIVERY_PAGE_MAX, default: 20 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: Type.Object({ data: Type.Array(DeliveryView), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 20;
      const parts = decodeCursor(req.query.cursor, DELIVERY_CURSOR);
      const rows = await listDeliveries(
        db,
        {
          client_id: req.query.client_id,
          status: req.query.status,
          event_id: req.query.event_id,
          before: parts ? { created_at: new Date(Number(parts[0])), id: parts[1]! } : undefined,
        },
        limit + 1,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page.map(deliveryJson), next_cursor: rows.length > limit && last ? encodeCursor(String(last.created_at.getTime()), last.id) : null };
    },
  );

  app.get(
    '/v1/webhook-deliveries/:id',
    {
      config,
      schema: {
        tags,
        summary: 'One webhook delivery with every attempt (status code, error, an excerpt of the answer, duration)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Intersect([DeliveryView, Type.Object({ attempt_log: Type.Array(AttemptView) })]), ...errorResponses },
      },
    },
    async (req) => {
      const delivery = await getDelivery(db, req.params.id);
      if (!delivery) throw notFound(req.params.id);
      const attempts = await attemptsOf(db, delivery.id, ATTEMPTS_SHOWN_MAX);
      return { ...deliveryJson(delivery), attempt_log: attempts.map(attemptJson) };
    },
  );

  app.post(
    '/v1/webhook-deliveries/:id/replay',
    {
      config,
      schema: {
        tags,
        summary: 'Send a delivery again now, whatever its status; the answer has the attempt\'s outcome',
        description:
          'One attempt, made during the request (up to the 10 s webhook timeout). A 2xx answer marks the delivery delivered. ' +
          'A failure is logged and leaves the delivery as it was: a failed delivery stays failed (its 72 h are not restarted), ' +
          'a pending one keeps its retry schedule. The body and event id are the original ones, so the receiver de-duplicates.',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ delivery: DeliveryView, attempt: AttemptView }), ...errorResponses },
      },
    },
    async (req) => {
      const result = await events.sender.replay(req.params.id);
      if ('error' in result) {
        if (result.error === 'not_found') throw notFound(req.params.id);
        throw new ProblemError('webhook_not_configured', result.detail);
      }
      req.log.info({ delivery: result.delivery.id, attempt: result.attempt.attempt, status_code: result.attempt.status_code }, 'webhook delivery replayed');
      return { delivery: deliveryJson(result.delivery), attempt: attemptJson(result.attempt) };
    },
  );

  app.get(
    '/v1/events',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Outbox events after a seq, oldest first, as envelopes (for internal consumers without NATS)',
        description:
          'Poll with after_seq = the last seq you processed. Committed events only; a transaction that took a lower seq may ' +
          'commit after you read a higher one, so a consumer that must see every event re-reads a short window behind its ' +
          'position and de-duplicates on id (the relays handle this themselves; see docs/open-banking.md). An event derived ' +
          'from a row (a completed payment, told by its transfer\'s ledger.transfer.created) follows that row with the same seq.',
        querystring: Type.Object({
          after_seq: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,18})$', default: '0' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: EVENTS_PAGE_MAX, default: 100 })),
        }),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Intersect([Type.Object({ seq: Type.String() }), Envelope])),
            next_after_seq: Type.String({ description: 'Pass as after_seq for the next page (unchanged when the page is empty)' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const after = BigInt(req.query.after_seq ?? '0');
      const rows = await readAfter(db, after, req.query.limit ?? 100);
      const envelopes = await buildEnvelopes(db, await withDerivedEvents(db, rows, events.derivers));
      return {
        data: envelopes.map((e) => ({ seq: e.seq.toString(), ...e.envelope })),
        next_after_seq: (rows.length > 0 ? rows[rows.length - 1]!.seq : after).toString(),
      };
    },
  );
}

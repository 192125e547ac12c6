/**
 * Red-envelope routes under /v1/envelopes, and customer groups under /v1/customer-groups.
 * Translates HTTP ↔ the Envelopes service; the rules live in core.ts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { describeCode } from '../server/batch.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { Problem, Uuid } from '../ledger/schemas.js';
import type { Envelopes } from './service.js';
import type { PageAfter } from './store.js';
import {
  CustomerId,
  EnvelopeCreate,
  EnvelopeView,
  GrabCreate,
  GrabView,
  GroupSave,
  GroupView,
  envelopeJson,
  grabJson,
  groupJson,
  toEnvelopeInput,
} from './schemas.js';

export const ENVELOPE_LIST_LIMIT_MAX = 500;

const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 503: Problem };
const Params = Type.Object({ id: Uuid });
const Limit = PageLimit(ENVELOPE_LIST_LIMIT_MAX);
const Cursor = PageCursor;

const POSITION_CURSOR = /^([1-9][0-9]{0,4})$/;
const TIME_ID_CURSOR = /^([0-9]{1,15})\|([0-9a-f-]{36})$/;

function pageAfter(cursor: string | undefined): PageAfter | undefined {
  const parts = decodeCursor(cursor, TIME_ID_CURSOR);
  return parts ? { at: new Date(Number(parts[0])), id: parts[1]! } : undefined;
}
const cursorAfter = (at: Date, id: string): string => encodeCursor(String(at.getTime()), id);

function fail(code: string, field?: string, detail?: string): never {
  throw new ProblemError(code, detail ?? describeCode(code, field), { field });
}

export function registerEnvelopeRoutes(root: FastifyInstance, envelopes: Envelopes): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/envelopes',
    {
      config: { scope: 'envelopes:write' },
      schema: {
        tags: ['envelopes'],
        summary: 'Create and fund a red envelope',
        description:
          'Moves total_amount from the funding account into the envelope\'s own holding account at once (a posted ledger transfer). ' +
          'Repeating an id with the same fields returns the envelope (200); with other fields, exists_with_different_fields.',
        body: EnvelopeCreate,
        response: { 200: EnvelopeView, 201: EnvelopeView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await envelopes.create(toEnvelopeInput(req.body));
      if (!result.ok) fail(result.code, result.field, 'detail' in result ? result.detail : undefined);
      if (!result.replayed) req.log.info({ envelope_id: result.envelope.id, shares: result.envelope.share_count }, 'envelope created');
      return reply.status(result.replayed ? 200 : 201).send(envelopeJson(result.envelope));
    },
  );

  app.get(
    '/v1/envelopes/:id',
    { config: { scope: 'envelopes:read' }, schema: { tags: ['envelopes'], summary: 'An envelope: claimed n of m, amount left, expiry', params: Params, response: { 200: EnvelopeView, ...errorResponses } } },
    async (req) => {
      const envelope = await envelopes.get(req.params.id.toLowerCase());
      if (!envelope) fail('envelope_not_found', undefined, `no envelope ${req.params.id}`);
      return envelopeJson(envelope);
    },
  );

  app.post(
    '/v1/envelopes/:id/grabs',
    {
      config: { scope: 'envelopes:write' },
      schema: {
        tags: ['envelopes'],
        summary: 'Grab one share',
        description:
          'A new grab is 201. The same customer grabbing again into the same account gets the first result (200); into another account, already_grabbed. ' +
          'Losers get envelope_empty or envelope_expired.',
        params: Params,
        body: GrabCreate,
        response: { 200: GrabView, 201: GrabView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const outcome = await envelopes.grab(req.params.id.toLowerCase(), {
        customer_id: body.customer_id,
        account_id: body.account_id.toLowerCase(),
        link_token: body.link_token,
      });
      if (!outcome.ok) {
        const earlier = 'grab' in outcome ? outcome.grab : undefined;
        fail(outcome.code, undefined, earlier ? `${body.customer_id} already grabbed ${earlier.amount} into account ${earlier.account_id}` : undefined);
      }
      return reply.status(outcome.replayed ? 200 : 201).send(grabJson(outcome.grab));
    },
  );

  app.get(
    '/v1/envelopes/:id/grabs',
    {
      config: { scope: 'envelopes:read' },
      schema: {
        tags: ['envelopes'],
        summary: 'Who got what, in grab order (the luckiest grab is marked once the envelope is finished)',
        params: Params,
        querystring: Type.Object({ limit: Limit, cursor: Cursor }),
        response: { 200: Type.Object({ data: Type.Array(GrabView), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const id = req.params.id.toLowerCase();
      const envelope = await envelopes.get(id);
      if (!envelope) fail('envelope_not_found', undefined, `no envelope ${req.params.id}`);
      const limit = req.query.limit ?? 50;
      const after = Number(decodeCursor(req.query.cursor, POSITION_CURSOR)?.[0] ?? 0);
      const rows = await envelopes.listGrabs(id, after, limit + 1);
      const page = rows.slice(0, limit);
      return {
        data: page.map((g) => grabJson(g, envelope.luckiest_position)),
        next_cursor: rows.length > limit ? encodeCursor(String(page[page.length - 1]!.position)) : null,
      };
    },
  );

  app.get(
    '/v1/envelopes',
    {
      config: { scope: 'envelopes:read' },
      schema: {
        tags: ['envelopes'],
        summary: "A customer's sent envelopes (sent_by) or received grabs (received_by), newest first",
        querystring: Type.Object({ sent_by: Type.Optional(CustomerId), received_by: Type.Optional(CustomerId), limit: Limit, cursor: Cursor }),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Object({ envelope: EnvelopeView, grab: Type.Optional(GrabView) })),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { sent_by, received_by } = req.query;
      if ((sent_by === undefined) === (received_by === undefined)) {
        throw new ProblemError('invalid_request', 'give exactly one of sent_by and received_by', { errors: [{ field: 'querystring', message: 'exactly one of sent_by, received_by' }] });
      }
      const limit = req.query.limit ?? 50;
      const after = pageAfter(req.query.cursor);
      if (sent_by !== undefined) {
        const rows = await envelopes.listSent(sent_by, after, limit + 1);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          data: page.map((e) => ({ envelope: envelopeJson(e) })),
          next_cursor: rows.length > limit && last ? cursorAfter(last.created_at, last.id) : null,
        };
      }
      const rows = await envelopes.listReceived(received_by!, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(({ envelope, grab }) => ({ envelope: envelopeJson(envelope), grab: grabJson(grab) })),
        next_cursor: rows.length > limit && last ? cursorAfter(last.grab.grabbed_at, last.envelope.id) : null,
      };
    },
  );

  const GroupParams = Type.Object({ id: CustomerId });

  app.put(
    '/v1/customer-groups/:id',
    {
      config: { scope: 'envelopes:write' },
      schema: {
        tags: ['envelopes'],
        summary: 'Create a customer group or replace its name and members (an envelope audience)',
        params: GroupParams,
        body: GroupSave,
        response: { 200: GroupView, ...errorResponses },
      },
    },
    async (req) => groupJson(await envelopes.saveGroup(req.params.id, req.body.name, req.body.member_customer_ids)),
  );

  app.get(
    '/v1/customer-groups/:id',
    { config: { scope: 'envelopes:read' }, schema: { tags: ['envelopes'], summary: 'A customer group and its members', params: GroupParams, response: { 200: GroupView, ...errorResponses } } },
    async (req) => {
      const group = await envelopes.getGroup(req.params.id);
      if (!group) fail('customer_group_not_found', undefined, `no customer group ${req.params.id}`);
      return groupJson(group);
    },
  );
}

/**
 * POST /open-banking/v1/risk-checks (the app's own token, scope `risk`): the partner asks
 * the bank's risk engine for a decision on an event of its own (a checkout, a sign-up).
 *
 * The partner's identifiers live in the partner's namespace: the decision id is derived from
 * (client_id, the partner's event id), and customer/account/counterparty/merchant ids are
 * prefixed with `partner:<client_id>:`, so a partner can neither read another's decisions
 * nor move the velocity features of the bank's own customers. Device, IP and phone stay as
 * sent (shared signals are the point of asking the bank). The event carries channel
 * `open_banking` and the attribute `partner_client_id`, so rules can tell partner events
 * apart. The answer is the outcome only: the bank's rules and scores stay internal (staff
 * read the full decision at GET /v1/risk/decisions/{decision_id}).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { derivedUuid } from '../db/uuid.js';
import { AmountString, Uuid, parseAmount } from '../ledger/schemas.js';
import { EVENT_TYPES } from '../risk/types.js';
import type { Risk } from '../risk/service.js';
import { toRiskEvent } from '../risk/http.js';
import { ProblemError } from '../server/problem.js';
import { partnerOf } from './consents-http.js';
import { PARTNER_TAG, Timestamp, errorResponses } from './http-common.js';

const tags = [PARTNER_TAG];
const PartnerId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,47}$', description: "1–48 of letters, digits, . _ : @ - (in the partner's own namespace)" });
const SharedId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' });

const RiskCheck = Type.Object(
  {
    id: { ...Uuid, description: "The partner's event id; asking again with the same body returns the first decision" },
    type: Type.String({ maxLength: 64, description: `${EVENT_TYPES.join(' | ')} | custom.<name>` }),
    customer_id: PartnerId,
    occurred_at: Type.Optional(Timestamp),
    amount: Type.Optional(AmountString),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    counterparty_id: Type.Optional(PartnerId),
    merchant_id: Type.Optional(PartnerId),
    account_id: Type.Optional(PartnerId),
    device_id: Type.Optional(SharedId),
    ip: Type.Optional(Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })])),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{4,20}$' })),
    geo: Type.Optional(
      Type.Object(
        { country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })), lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })), lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })) },
        { additionalProperties: false },
      ),
    ),
    attributes: Type.Optional(
      Type.Record(Type.String({ maxLength: 48 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), {
        maxProperties: 31,
        propertyNames: { pattern: '^[a-z][a-z0-9_]{0,47}$' },
      }),
    ),
  },
  { additionalProperties: false },
);

const RiskCheckView = Type.Object({
  id: Type.String({ description: "The partner's event id" }),
  decision_id: Type.String({ description: "The bank's decision id (derived from the app and the event id)" }),
  outcome: Type.String({ description: 'allow | step_up | review | block' }),
  replayed: Type.Boolean(),
  decided_at: Timestamp,
});

export function registerRiskResources(root: FastifyInstance, risk: Risk): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/open-banking/v1/risk-checks',
    {
      config: { partner: { scope: 'risk', token: 'client' } },
      schema: {
        tags,
        summary: "Ask the bank's risk engine for a decision on the partner's own event",
        description: '201 with the outcome; the same id and body again is 200 with the first decision; another body with the same id is exists_with_different_fields.',
        body: RiskCheck,
        response: { 200: RiskCheckView, 201: RiskCheckView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const principal = partnerOf(req);
      const body = req.body;
      const ns = (id: string | undefined) => (id === undefined ? undefined : `partner:${principal.client_id}:${id}`);
      const decision_id = derivedUuid(`openbanking.risk-check:${principal.client_id}:${body.id.toLowerCase()}`);
      const event = toRiskEvent(
        {
          id: decision_id,
          type: body.type,
          customer_id: ns(body.customer_id)!,
          occurred_at: body.occurred_at,
          amount: body.amount,
          currency: body.currency,
          counterparty_id: ns(body.counterparty_id),
          merchant_id: ns(body.merchant_id),
          account_id: ns(body.account_id),
          device_id: body.device_id,
          ip: body.ip,
          phone: body.phone,
          channel: 'open_banking',
          geo: body.geo,
          attributes: { ...body.attributes, partner_client_id: principal.client_id },
        },
        risk.clock.now(),
      );
      if (body.amount !== undefined) event.amount = parseAmount(body.amount, 'body.amount');
      const result = await risk.engine.decide(event, { sent: { ...body, id: body.id.toLowerCase(), client_id: principal.client_id } });
      if (!result.ok) throw new ProblemError('exists_with_different_fields', 'this event id was checked with different fields', { field: 'body.id' });
      const d = result.decision;
      return reply.status(d.replayed ? 200 : 201).send({ id: body.id.toLowerCase(), decision_id: d.decision_id, outcome: d.outcome, replayed: d.replayed, decided_at: d.decided_at.toISOString() });
    },
  );
}

/**
 * The partner's consent API (the app's own client-credentials token):
 * POST /open-banking/v1/consents, GET /open-banking/v1/consents (a page), GET /open-banking/v1/consents/{id},
 * DELETE /open-banking/v1/consents/{id}.
 * A partner sees only its own consents: another app's consent is a 404, as if it did not exist.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import { uuidv7 } from '../db/uuid.js';
import { AmountString, Uuid } from '../ledger/schemas.js';
import { currencyScale } from '../ledger/currencies.js';
import type { Clock } from '../server/clock.js';
import { PageCursor, PageLimit } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { findApp } from './apps-store.js';
import { ALL_PERMISSIONS, CONSENT_KINDS, EXPIRY_MAX_MS, PAYMENT_EXPIRY_MAX_MS, DAY_MS, validateConsentRequest } from './consents.js';
import { CONSENT_PAGE_MAX, createConsent, getConsent, listConsents, revokeConsent } from './consents-store.js';
import { ConsentView, consentJson } from './consent-view.js';
import { accountMode } from './customers-store.js';
import { NextCursor, PARTNER_TAG, errorResponses, fail } from './http-common.js';
import type { PartnerPrincipal, PartnerScope } from './principal.js';

const tags = [PARTNER_TAG];

/** Any of the consent kinds' scopes admits the caller; the handler checks the kind's own. */
export const CONSENT_ROUTE_SCOPES: readonly PartnerScope[] = ['accounts', 'payments', 'funds_confirmation'];

const ConsentCreate = Type.Object(
  {
    id: Type.Optional({ ...Uuid, description: 'Client-chosen consent id; sending it again with the same body returns the consent (200)' }),
    kind: Type.Union(CONSENT_KINDS.map((k) => Type.Literal(k))),
    permissions: Type.Array(Type.Union(ALL_PERMISSIONS.map((p) => Type.Literal(p))), {
      minItems: 1,
      maxItems: ALL_PERMISSIONS.length,
      description:
        'account_access: accounts:read, balances:read, transactions:read, loans:apply, envelopes:grab; ' +
        'payment_initiation: payments:create, envelopes:create, envelopes:grab; funds_confirmation: funds:confirm',
    }),
    expires_at: Type.String({
      format: 'date-time',
      description: `At least 10 minutes ahead; at most ${EXPIRY_MAX_MS / DAY_MS} days (payment_initiation: ${PAYMENT_EXPIRY_MAX_MS / DAY_MS} days)`,
    }),
    payment: Type.Optional(
      Type.Object(
        {
          currency: Type.String({ pattern: '^[A-Z]{3}$' }),
          amount_limit_minor: { ...AmountString, description: 'The most the partner may pay out under the consent, in total' },
          per_payment_max_minor: Type.Optional({ ...AmountString, description: 'The most one payment may be' }),
          creditor_account_id: Type.Optional({ ...Uuid, description: 'If set, payments may go only to this account (e.g. the shop\'s)' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Uuid });

export function partnerOf(req: FastifyRequest): PartnerPrincipal {
  if (!req.partner) throw new ProblemError('invalid_token', 'this route needs an OAuth access token');
  return req.partner;
}

export function registerConsentRoutes(root: FastifyInstance, db: Db, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const partner = { scope: CONSENT_ROUTE_SCOPES, token: 'client' as const };

  app.post(
    '/open-banking/v1/consents',
    {
      config: { partner },
      schema: {
        tags,
        summary: 'Ask for a consent (the customer then authorises it on the consent page)',
        description:
          'The app needs the scope of the kind: account_access → accounts, payment_initiation → payments, funds_confirmation → funds_confirmation ' +
          '(and loans for loans:apply, envelopes for envelopes:*). 201 with status awaiting_authorisation; pass its id as consent_id in the authorization request.',
        body: ConsentCreate,
        response: { 200: ConsentView, 201: ConsentView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const principal = partnerOf(req);
      const now = clock.now();
      const body = req.body;
      const expires_at = new Date(body.expires_at);
      const ownApp = await findApp(db, principal.client_id);
      if (!ownApp || ownApp.status !== 'active') throw new ProblemError('invalid_token', 'the partner app of this token is disabled');
      if (body.payment && currencyScale(body.payment.currency) === undefined) {
        fail({ code: 'unknown_currency', detail: `${body.payment.currency} is not an ISO 4217 currency`, field: 'payment.currency' });
      }
      const checked = validateConsentRequest(
        {
          kind: body.kind,
          permissions: body.permissions,
          expires_at,
          payment: body.payment && {
            currency: body.payment.currency,
            amount_limit_minor: BigInt(body.payment.amount_limit_minor),
            per_payment_max_minor: body.payment.per_payment_max_minor === undefined ? undefined : BigInt(body.payment.per_payment_max_minor),
            creditor_account_id: body.payment.creditor_account_id?.toLowerCase(),
          },
        },
        ownApp,
        principal.scopes,
        now,
      );
      if (!checked.ok) fail(checked);
      const creditor = checked.value.creditor_account_id;
      if (creditor) {
        const { rows } = await db.query<{ currency: string }>('SELECT currency FROM accounts WHERE id = $1', [creditor]);
        // A sandbox app may name only a sandbox account (and a live app only a live one): others read as absent.
        if (!rows[0] || (await accountMode(db, creditor)) !== principal.mode) {
          fail({ code: 'account_not_found', detail: `no account ${creditor}`, field: 'payment.creditor_account_id' });
        }
        if (rows[0].currency !== checked.value.currency) {
          fail({ code: 'currency_mismatch', detail: `the creditor account is in ${rows[0].currency}`, field: 'payment.creditor_account_id' });
        }
      }
      const created = await createConsent(db, { id: body.id?.toLowerCase() ?? uuidv7(now.getTime()), client_id: principal.client_id, value: checked.value, now });
      if (!created.ok) {
        fail({ code: 'exists_with_different_fields', detail: created.detail, field: 'id' });
      }
      if (created.created) req.log.info({ consent_id: created.consent.id, client_id: principal.client_id, kind: created.consent.kind }, 'consent requested');
      return reply.status(created.created ? 201 : 200).send(consentJson(created.consent));
    },
  );

  app.get(
    '/open-banking/v1/consents',
    {
      config: { partner },
      schema: {
        tags,
        summary: "The app's consents, newest first (status as of now: an expired one reads expired)",
        querystring: Type.Object({ limit: PageLimit(CONSENT_PAGE_MAX), cursor: PageCursor }),
        response: { 200: Type.Object({ data: Type.Array(ConsentView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const principal = partnerOf(req);
      const page = await listConsents(db, { client_id: principal.client_id, limit: req.query.limit ?? 50, cursor: req.query.cursor, now: clock.now() });
      return { data: page.items.map(consentJson), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/open-banking/v1/consents/:id',
    {
      config: { partner },
      schema: { tags, summary: "A consent's status, limits and the accounts the customer chose (own consents only)", params: Params, response: { 200: ConsentView, ...errorResponses } },
    },
    async (req) => {
      const principal = partnerOf(req);
      const consent = await getConsent(db, req.params.id.toLowerCase(), clock.now());
      if (!consent || consent.client_id !== principal.client_id) throw new ProblemError('consent_not_found', `no consent ${req.params.id}`);
      return consentJson(consent);
    },
  );

  app.delete(
    '/open-banking/v1/consents/:id',
    {
      config: { partner },
      schema: {
        tags,
        summary: 'Revoke a consent as the partner (e.g. the customer unlinked the bank in the shop)',
        description: 'Tokens under the consent stop working at once. Revoking a revoked consent is 200 with no change; a rejected or expired one is consent_not_revocable.',
        params: Params,
        response: { 200: ConsentView, ...errorResponses },
      },
    },
    async (req) => {
      const principal = partnerOf(req);
      const result = await revokeConsent(db, { id: req.params.id.toLowerCase(), by: 'partner', actor_id: principal.client_id, now: clock.now() });
      if (!result.ok) fail(result, null);
      req.log.info({ consent_id: result.consent.id, by: 'partner', client_id: principal.client_id }, 'consent revoked');
      return consentJson(result.consent);
    },
  );
}

/**
 * The mini-program host's routes (the customer app calls them after the customer approved a
 * bank-drawn sheet; a mini-program never calls them itself: it has no session):
 *   GET  /v1/me/mini-programs                         live mini-programs for this customer
 *   POST /v1/me/mini-programs/{client_id}/auth-code   getAuthCode: consent + OAuth code (PKCE) for the partner
 *   POST /v1/me/mini-programs/{client_id}/payments    requestPayment: pay the partner's merchant account
 * docs/mini-programs.md describes the bridge; docs/app-api.md the routes.
 */
import { Type } from '@sinclair/typebox';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ledger } from '../ledger/service.js';
import { Problem } from '../ledger/schemas.js';
import { findApp } from '../openbanking/apps-store.js';
import type { PartnerApp } from '../openbanking/apps.js';
import { validateConsentRequest } from '../openbanking/consents.js';
import { authoriseConsent, createConsent, inTransaction } from '../openbanking/consents-store.js';
import { findCustomer } from '../openbanking/customers-store.js';
import { CODE_LIFETIME_S, storeAuthorizationCode } from '../openbanking/oauth-authorize.js';
import { ProblemError } from '../server/problem.js';
import { AUTH_CODE_SCOPES, consentForScope, type BridgeScope, type MiniProgram } from '../mini-programs/core.js';
import { entryUrl, iconUrl } from '../mini-programs/admin.js';
import * as mp from '../mini-programs/store.js';
import { sendMoney } from './transfers.js';

const me = { customer: true } as const;
const tags = ['customer app'];
const Uuid = Type.String({ format: 'uuid' });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Integer minor units, > 0' });
const Params = Type.Object({ client_id: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }) });
const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem };

const MiniProgramItem = Type.Object({
  client_id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  partner_name: Type.String(),
  icon_url: Type.String(),
  entry_url: Type.String({ description: 'Frame it with sandbox="allow-scripts allow-forms" (never allow-same-origin)' }),
  bridge_scopes: Type.Array(Type.String()),
});

const AuthCodeBody = Type.Object(
  {
    scope: Type.Union(AUTH_CODE_SCOPES.map((s) => Type.Literal(s)), { description: 'accounts: read accounts and balances; funds_confirmation: yes/no funds checks' }),
    account_ids: Type.Array(Uuid, { minItems: 1, maxItems: 50, description: 'The accounts the customer chose on the sheet' }),
    code_challenge: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'BASE64URL(SHA-256(code_verifier)); the verifier stays with the partner' }),
    code_challenge_method: Type.Literal('S256'),
    redirect_uri: Type.Optional(Type.String({ maxLength: 2000, description: "One of the app's registered redirect URIs (default: the first); send the same one to /oauth/token" })),
  },
  { additionalProperties: false },
);
const AuthCodeView = Type.Object({
  code: Type.String({ description: 'Single use, 60 s: the partner backend exchanges it at /oauth/token with the code_verifier' }),
  redirect_uri: Type.String(),
  consent_id: Type.String(),
  scope: Type.String(),
  expires_in: Type.Integer(),
});

const PaymentBody = Type.Object(
  {
    id: Uuid,
    from_account_id: Uuid,
    amount_minor: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    reference: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: "The partner's reference (bill number, order id)" }),
  },
  { additionalProperties: false },
);
const PaymentView = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('completed'), Type.Literal('pending'), Type.Literal('rejected')]),
  reason_code: Type.Optional(Type.String()),
  amount_minor: Type.String(),
  currency: Type.String(),
  reference: Type.String(),
  payee_name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

interface Usable {
  mini: MiniProgram;
  app: PartnerApp;
}

/**
 * The mini-program when this customer may use it through `scope`: live, its app active and of
 * the customer's mode (sandbox/live), the bridge scope registered. Anything else is a 404 (or a
 * 403 for a scope it was not registered for), so a customer learns nothing about hidden ones.
 */
async function usable(ledger: Ledger, customer_id: string, client_id: string, scope: BridgeScope): Promise<Usable> {
  const mini = await mp.findMiniProgram(ledger.db, client_id);
  const app = mini ? await findApp(ledger.db, client_id) : undefined;
  const customer = await findCustomer(ledger.db, customer_id);
  if (!mini || !app || mini.status !== 'live' || app.status !== 'active' || !customer || customer.mode !== app.mode) {
    throw new ProblemError('mini_program_not_found', `no mini-program ${client_id} for you`);
  }
  if (!mini.bridge_scopes.includes(scope)) throw new ProblemError('bridge_scope_not_granted', `${mini.name} is not registered for the ${scope} bridge scope`);
  return { mini, app };
}

export function registerMiniProgramRoutes(root: FastifyInstance, ledger: Ledger): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const db = ledger.db;

  app.get(
    '/v1/me/mini-programs',
    { config: me, schema: { tags, summary: 'Mini-programs I can open (live, of active partner apps)', response: { 200: Type.Object({ items: Type.Array(MiniProgramItem) }), ...errors } } },
    async (req) => {
      const customer = await findCustomer(db, req.customer!.id);
      const live = customer ? await mp.listLiveMiniPrograms(db, customer.mode) : [];
      return {
        items: live.map((m) => ({ client_id: m.client_id, slug: m.slug, name: m.name, partner_name: m.partner_name, icon_url: iconUrl(m), entry_url: entryUrl(m), bridge_scopes: m.bridge_scopes })),
      };
    },
  );

  app.post(
    '/v1/me/mini-programs/:client_id/auth-code',
    {
      config: me,
      schema: {
        tags,
        summary: 'getAuthCode: authorise a consent for the partner and get an OAuth authorization code (PKCE)',
        description:
          'The app calls this after the customer approved the bank-drawn consent sheet. One transaction: a consent of the partner app for this customer (account_access to read accounts and balances, or funds_confirmation; 90 days), authorised for the chosen accounts, and a single-use code (60 s) bound to the PKCE challenge. The partner backend exchanges it at POST /oauth/token (grant_type=authorization_code, code_verifier, redirect_uri) with its client authentication.',
        params: Params,
        body: AuthCodeBody,
        response: { 201: AuthCodeView, ...errors },
      },
    },
    async (req, reply) => {
      const { app: partner } = await usable(ledger, req.customer!.id, req.params.client_id, 'auth_code');
      const b = req.body;
      const redirect_uri = b.redirect_uri ?? partner.redirect_uris[0]!;
      if (!partner.redirect_uris.includes(redirect_uri)) {
        throw new ProblemError('invalid_request', 'redirect_uri is not one of the partner app\'s registered redirect URIs', { field: 'body.redirect_uri', errors: [{ field: 'body.redirect_uri', message: 'not registered' }] });
      }
      const now = ledger.clock.now();
      const terms = consentForScope(b.scope, now);
      const valid = validateConsentRequest(terms, partner, partner.allowed_scopes, now);
      if (!valid.ok) throw new ProblemError(valid.code, valid.detail, { field: 'body.scope' });
      const code = randomBytes(32).toString('base64url');
      const consent_id = randomUUID();
      await inTransaction(db, async (tx) => {
        const created = await createConsent(tx, { id: consent_id, client_id: partner.id, value: valid.value, now });
        if (!created.ok) throw new ProblemError(created.code, created.detail);
        const authorised = await authoriseConsent(tx, { id: consent_id, client_id: partner.id, customer_id: req.customer!.id, account_ids: b.account_ids.map((a) => a.toLowerCase()), now });
        if (!authorised.ok) throw new ProblemError(authorised.code, authorised.detail, { field: 'body.account_ids' });
        await storeAuthorizationCode(tx, { code, client_id: partner.id, customer_id: req.customer!.id, consent_id, redirect_uri, scope: [b.scope], code_challenge: b.code_challenge, dpop_jkt: null }, now);
      });
      return reply.status(201).send({ code, redirect_uri, consent_id, scope: b.scope, expires_in: CODE_LIFETIME_S });
    },
  );

  app.post(
    '/v1/me/mini-programs/:client_id/payments',
    {
      config: me,
      schema: {
        tags,
        summary: "requestPayment: pay the partner's registered merchant account (idempotent by id)",
        description:
          "The app calls this after the customer confirmed the bank-drawn payment sheet. The money goes from the customer's account to the merchant account registered with the mini-program, through the ledger (and its risk gate), never to an account the mini-program names.",
        params: Params,
        body: PaymentBody,
        response: { 200: PaymentView, 201: PaymentView, ...errors },
      },
    },
    async (req, reply) => {
      const customer_id = req.customer!.id;
      const { mini } = await usable(ledger, customer_id, req.params.client_id, 'payment');
      const b = req.body;
      const id = b.id.toLowerCase();
      const amount = BigInt(b.amount_minor);
      if (amount > 9223372036854775807n) throw new ProblemError('invalid_request', 'amount_minor is too large', { errors: [{ field: 'body.amount_minor', message: 'too large' }] });
      const earlier = await mp.findPayment(db, id);
      if (earlier && (earlier.client_id !== mini.client_id || earlier.customer_id !== customer_id || earlier.reference !== b.reference)) {
        throw new ProblemError('exists_with_different_fields', 'this payment id was used for a different payment', { field: 'id' });
      }
      const caller = { customer_id, device_id: req.customer!.device_id, ip: req.ip, channel: 'mini_program' as const };
      const { view, replayed } = await sendMoney(ledger, caller, {
        id,
        from_account_id: b.from_account_id,
        to: { account_id: mini.merchant_account_id! },
        amount_minor: amount,
        currency: b.currency,
        note: `${mini.name}: ${b.reference}`,
      });
      await mp.insertPayment(db, { id, client_id: mini.client_id, customer_id, reference: b.reference, created_at: new Date(view.created_at) });
      const { to_name, ...rest } = view;
      return reply.status(replayed ? 200 : 201).send({ ...rest, reference: b.reference, payee_name: to_name });
    },
  );
}

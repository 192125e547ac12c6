/**
 * Red envelopes for the consenting customer (customer token, scope `envelopes`):
 * POST /open-banking/v1/envelopes — send one from the consent's debtor account. Sending is
 *   paying out, so it needs a payment_initiation consent with envelopes:create, and the
 *   total counts against the consent's limit and per-payment maximum like a payment (a
 *   consent that names one creditor account cannot send envelopes).
 * POST /open-banking/v1/envelopes/{id}/grabs — grab a share into an account the customer
 *   shared (envelopes:grab, on an account_access or payment_initiation consent).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Envelopes } from '../envelopes/service.js';
import { EnvelopeCreate, EnvelopeView, GrabView, envelopeJson, grabJson, toEnvelopeInput } from '../envelopes/schemas.js';
import { Uuid } from '../ledger/schemas.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { checkPaymentTerms, effectiveStatus } from './consents.js';
import { getConsent } from './consents-store.js';
import { accountMode } from './customers-store.js';
import { PARTNER_TAG, errorResponses, fail } from './http-common.js';
import { releaseOnConsent, reserveOnConsent } from './payments-store.js';
import { requireConsent } from './resource-access.js';

const tags = [PARTNER_TAG];
const partner = { scope: 'envelopes' as const, token: 'customer' as const };

const PartnerEnvelopeCreate = Type.Omit(EnvelopeCreate, ['sender_customer_id', 'funding_account_id'], { additionalProperties: false });
const PartnerGrabCreate = Type.Object(
  {
    account_id: { ...Uuid, description: 'A shared account of the customer, in the envelope\'s currency' },
    link_token: Type.Optional(Type.String({ maxLength: 64, description: 'From the share link; required when the audience is `link`' })),
  },
  { additionalProperties: false },
);

export function registerEnvelopeResources(root: FastifyInstance, db: Db, envelopes: Envelopes, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/open-banking/v1/envelopes',
    {
      config: { partner },
      schema: {
        tags,
        summary: "Send a red envelope from the consent's debtor account (payment_initiation consent, permission envelopes:create)",
        description:
          'The total is reserved against the consent\'s limit like a payment. Audience: link (default) or customers; groups are the bank\'s own and not offered. ' +
          'The same id and body again returns the envelope (200) without counting it twice.',
        body: PartnerEnvelopeCreate,
        response: { 200: EnvelopeView, 201: EnvelopeView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const now = clock.now();
      const access = await requireConsent(db, req, { kinds: ['payment_initiation'], permission: 'envelopes:create' }, now);
      const { consent, principal } = access;
      const body = req.body;
      if (body.audience?.kind === 'group') fail({ code: 'invalid_request', detail: 'audience group is not offered to partners: use link or customers', field: 'audience.kind' });
      if (consent.creditor_account_id) {
        fail({ code: 'payment_creditor_not_allowed', detail: 'the consent allows payments only to its named creditor account, not envelopes', field: 'id' });
      }
      const input = toEnvelopeInput({ ...body, sender_customer_id: principal.customer_id, funding_account_id: consent.account_ids[0]! });
      const existing = await envelopes.get(input.id);
      if (existing) {
        if (existing.sender_customer_id !== input.sender_customer_id || existing.funding_account_id !== input.funding_account_id) {
          fail({ code: 'exists_with_different_fields', detail: 'an envelope with this id exists', field: 'id' });
        }
        const again = await envelopes.create(input); // the service's own replay check (same fields → replayed)
        if (!again.ok) fail({ code: again.code, detail: 'detail' in again && again.detail ? again.detail : again.code, field: again.field });
        return reply.status(200).send(envelopeJson(again.envelope));
      }
      const terms = checkPaymentTerms(consent, { amount_minor: input.total_amount, currency: consent.currency!, creditor_account_id: consent.account_ids[0]! });
      if (!terms.ok) fail({ ...terms, field: terms.field === 'amount_minor' ? 'total_amount' : terms.field });
      if (!(await db.transaction((tx) => reserveOnConsent(tx, consent.id, input.total_amount, now)))) {
        const fresh = await getConsent(db, consent.id, clock.now());
        const status = fresh ? effectiveStatus(fresh, clock.now()) : 'revoked';
        if (status === 'revoked') throw new ProblemError('consent_revoked', 'the consent was revoked');
        if (status === 'expired') throw new ProblemError('consent_expired', 'the consent has expired');
        fail({ code: 'consent_limit_exceeded', detail: "the envelope's total is more than what is left of the consent's limit", field: 'total_amount' });
      }
      let result;
      try {
        result = await envelopes.create(input);
      } catch (err) {
        // Overloaded or stopping: the envelope may or may not exist; keep the reservation only if it does.
        if (!(await envelopes.get(input.id))) await db.transaction((tx) => releaseOnConsent(tx, consent.id, input.total_amount));
        throw err;
      }
      if (!result.ok || result.replayed) await db.transaction((tx) => releaseOnConsent(tx, consent.id, input.total_amount));
      if (!result.ok) fail({ code: result.code, detail: 'detail' in result && result.detail ? result.detail : result.code, field: result.field });
      req.log.info({ envelope_id: result.envelope.id, client_id: principal.client_id }, 'open-banking envelope sent');
      return reply.status(result.replayed ? 200 : 201).send(envelopeJson(result.envelope));
    },
  );

  app.post(
    '/open-banking/v1/envelopes/:id/grabs',
    {
      config: { partner },
      schema: {
        tags,
        summary: 'Grab a share into a shared account (permission envelopes:grab)',
        description: 'A new grab is 201; the same customer again into the same account is 200 with the first result.',
        params: Type.Object({ id: Uuid }),
        body: PartnerGrabCreate,
        response: { 200: GrabView, 201: GrabView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const now = clock.now();
      const account_id = req.body.account_id.toLowerCase();
      const access = await requireConsent(db, req, { kinds: ['account_access', 'payment_initiation'], permission: 'envelopes:grab', account_id }, now);
      const envelope = await envelopes.get(req.params.id.toLowerCase());
      // Sandbox money stays in the sandbox: an envelope funded from the other mode reads as absent.
      if (!envelope || (await accountMode(db, envelope.funding_account_id)) !== access.principal.mode) {
        throw new ProblemError('envelope_not_found', `no envelope ${req.params.id}`);
      }
      const outcome = await envelopes.grab(envelope.id, { customer_id: access.principal.customer_id, account_id, link_token: req.body.link_token });
      if (!outcome.ok) {
        const earlier = 'grab' in outcome ? outcome.grab : undefined;
        throw new ProblemError(outcome.code, earlier ? `the customer already grabbed ${earlier.amount} into account ${earlier.account_id}` : outcome.code);
      }
      return reply.status(outcome.replayed ? 200 : 201).send(grabJson(outcome.grab));
    },
  );
}

/**
 * Loan applications for the consenting customer (customer token, scope `loans`; an
 * account_access consent with loans:apply that names the account): decided at once by the
 * lending service. The partner sees the outcome, the reasons and the offer, not the bank's
 * scorecard internals; accepting an offer (which pays the loan out) stays with the bank's
 * own channels.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Lending } from '../lending/service.js';
import { ApplicationCreate, ApplicationView, applicationJson, toApplicationInput } from '../lending/schemas.js';
import type { Clock } from '../server/clock.js';
import { PARTNER_TAG, errorResponses, fail } from './http-common.js';
import { requireConsent } from './resource-access.js';

const tags = [PARTNER_TAG];

const PartnerApplicationCreate = Type.Omit(ApplicationCreate, ['customer_id', 'channel'], { additionalProperties: false });
const PartnerApplicationView = Type.Pick(ApplicationView, ['id', 'account_id', 'product', 'amount', 'term', 'status', 'reasons', 'offer', 'created_at']);

export function registerLoanResources(root: FastifyInstance, db: Db, lending: Lending, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/open-banking/v1/loan-applications',
    {
      config: { partner: { scope: 'loans', token: 'customer' } },
      schema: {
        tags,
        summary: 'Apply for a loan for the consenting customer, paid out to and collected from a shared account (permission loans:apply)',
        description:
          'Decided at once: approved (with the offer and its schedule), declined (with reasons) or referred (the bank decides). ' +
          '201 new; the same id and body again is 200 with the first decision; another body is exists_with_different_fields.',
        body: PartnerApplicationCreate,
        response: { 200: PartnerApplicationView, 201: PartnerApplicationView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const account_id = req.body.account_id.toLowerCase();
      const access = await requireConsent(db, req, { kinds: ['account_access'], permission: 'loans:apply', account_id }, clock.now());
      const input = toApplicationInput({ ...req.body, customer_id: access.principal.customer_id, channel: 'open_banking' });
      const result = await lending.apply(input);
      if (!result.ok) fail(result);
      const a = result.application;
      const start = (a.decision as { start_date?: string }).start_date;
      const preview = await lending.offerPreview(a, start ? (start as never) : undefined);
      const full = applicationJson(a, preview, null);
      if (!result.replayed) req.log.info({ application_id: a.id, client_id: access.principal.client_id, status: a.status }, 'open-banking loan application');
      return reply.status(result.replayed ? 200 : 201).send({
        id: full.id,
        account_id: full.account_id,
        product: full.product,
        amount: full.amount,
        term: full.term,
        status: full.status,
        reasons: full.reasons,
        offer: full.offer,
        created_at: full.created_at,
      });
    },
  );
}

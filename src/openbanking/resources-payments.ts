/**
 * Payment initiation and funds confirmation (customer token):
 * POST /open-banking/v1/payments, GET /open-banking/v1/payments?consent_id=, GET /open-banking/v1/payments/{id}
 * (scope payments),
 * POST /open-banking/v1/funds-confirmations (scope funds_confirmation).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { AmountString, Uuid, parseAmount } from '../ledger/schemas.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { partnerOf } from './consents-http.js';
import { PageCursor, PageLimit } from '../server/cursor.js';
import { MinorUnits, NextCursor, PARTNER_TAG, Timestamp, errorResponses, fail } from './http-common.js';
import { REFERENCE_LENGTH_MAX, type Payment } from './payments.js';
import type { Payments } from './payments-service.js';
import { PAYMENT_PAGE_MAX } from './payments-store.js';
import { requireConsent } from './resource-access.js';

const tags = [PARTNER_TAG];

export const PaymentView = Type.Object({
  id: Type.String(),
  consent_id: Type.String(),
  status: Type.String({ description: 'pending (held for risk review, or being settled) | completed | rejected' }),
  reason_code: Type.Union([Type.String(), Type.Null()], { description: 'rejected: the error code (exceeds_credits, risk_blocked, …); pending: risk_review' }),
  debtor_account_id: Type.String(),
  creditor_account_id: Type.String(),
  amount_minor: MinorUnits,
  currency: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
  transfer_id: Type.String({ description: 'The ledger transfer that moves the money (derived from the payment id)' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function paymentJson(p: Payment) {
  return {
    id: p.id,
    consent_id: p.consent_id,
    status: p.status,
    reason_code: p.reason_code,
    debtor_account_id: p.debtor_account_id,
    creditor_account_id: p.creditor_account_id,
    amount_minor: p.amount_minor.toString(),
    currency: p.currency,
    reference: p.reference,
    transfer_id: p.transfer_id,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

const PaymentCreate = Type.Object(
  {
    id: { ...Uuid, description: 'Client-chosen payment id; the same id and body again returns the payment' },
    creditor_account_id: Uuid,
    amount_minor: AmountString,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: REFERENCE_LENGTH_MAX })),
  },
  { additionalProperties: false },
);

const FundsCheck = Type.Object(
  { account_id: Uuid, amount_minor: AmountString, currency: Type.String({ pattern: '^[A-Z]{3}$' }) },
  { additionalProperties: false },
);

/** The answer to a rejected payment: its code as problem+json, naming the payment. */
function rejected(p: Payment): never {
  throw new ProblemError(p.reason_code ?? 'internal_error', `payment ${p.id} was rejected: ${p.reason_code}`);
}

export function registerPaymentResources(root: FastifyInstance, db: Db, ledger: Ledger, clock: Clock, payments: Payments): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/open-banking/v1/payments',
    {
      config: { partner: { scope: 'payments', token: 'customer' }, idempotency_key: 'required' },
      schema: {
        tags,
        summary: "Pay from the consent's debtor account (payment_initiation consent, permission payments:create)",
        description:
          'Needs an Idempotency-Key header. The amount is reserved against the consent\'s limit first (consent_limit_exceeded, payment_amount_above_consent), ' +
          'then moved as one ledger transfer (the risk gate applies). 201 completed; 202 pending (held for risk review: GET it later or wait for the webhook); ' +
          'a refused transfer is a 422 with the ledger\'s or risk engine\'s code, and the payment is stored as rejected with its reservation released. ' +
          'The same id and body again answers the payment as it is now.',
        body: PaymentCreate,
        response: { 200: PaymentView, 201: PaymentView, 202: PaymentView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const now = clock.now();
      const access = await requireConsent(db, req, { kinds: ['payment_initiation'], permission: 'payments:create' }, now);
      const body = req.body;
      const result = await payments.initiate(access.principal, access.consent, {
        id: body.id,
        creditor_account_id: body.creditor_account_id,
        amount_minor: parseAmount(body.amount_minor, 'body.amount_minor'),
        currency: body.currency,
        reference: body.reference ?? null,
      });
      if (!result.ok) fail(result);
      const p = result.payment;
      if (!result.replayed) req.log.info({ payment_id: p.id, client_id: p.client_id, status: p.status, reason_code: p.reason_code }, 'open-banking payment');
      if (p.status === 'rejected') rejected(p);
      if (p.status === 'pending') return reply.status(202).send(paymentJson(p));
      return reply.status(result.replayed ? 200 : 201).send(paymentJson(p));
    },
  );

  app.get(
    '/open-banking/v1/payments',
    {
      config: { partner: { scope: 'payments', token: 'either' } },
      schema: {
        tags,
        summary: "The payments under one of the app's consents, newest first (a payment left pending is settled from its ledger transfer first)",
        querystring: Type.Object({ consent_id: Uuid, limit: PageLimit(PAYMENT_PAGE_MAX), cursor: PageCursor }),
        response: { 200: Type.Object({ data: Type.Array(PaymentView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const principal = partnerOf(req);
      const page = await payments.list(principal.client_id, { consent_id: req.query.consent_id.toLowerCase(), limit: req.query.limit ?? 50, cursor: req.query.cursor });
      if (!page) throw new ProblemError('consent_not_found', `no consent ${req.query.consent_id}`);
      return { data: page.items.map(paymentJson), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/open-banking/v1/payments/:id',
    {
      config: { partner: { scope: 'payments', token: 'either' } },
      schema: {
        tags,
        summary: "A payment's status (the app's own payments; a payment left pending is settled from its ledger transfer first)",
        params: Type.Object({ id: Uuid }),
        response: { 200: PaymentView, ...errorResponses },
      },
    },
    async (req) => {
      const principal = partnerOf(req);
      const payment = await payments.get(principal.client_id, req.params.id);
      if (!payment) throw new ProblemError('payment_not_found', `no payment ${req.params.id}`);
      return paymentJson(payment);
    },
  );

  app.post(
    '/open-banking/v1/funds-confirmations',
    {
      config: { partner: { scope: 'funds_confirmation', token: 'customer' } },
      schema: {
        tags,
        summary: 'Is this amount available on the account now? (funds_confirmation consent, permission funds:confirm)',
        description: 'Answers only yes or no: available = posted credits − posted debits − pending debits ≥ amount. Nothing is reserved.',
        body: FundsCheck,
        response: { 200: Type.Object({ account_id: Type.String(), funds_available: Type.Boolean(), checked_at: Timestamp }), ...errorResponses },
      },
    },
    async (req) => {
      const now = clock.now();
      const account_id = req.body.account_id.toLowerCase();
      await requireConsent(db, req, { kinds: ['funds_confirmation'], permission: 'funds:confirm', account_id }, now);
      const account = await ledger.getAccount(account_id);
      if (!account) throw new ProblemError('account_not_found', `no account ${account_id}`);
      if (account.currency !== req.body.currency) {
        fail({ code: 'currency_mismatch', detail: `the account is in ${account.currency}`, field: 'currency' });
      }
      const amount = parseAmount(req.body.amount_minor, 'body.amount_minor');
      const available = account.credits_posted - account.debits_posted - account.debits_pending;
      return { account_id, funds_available: available >= amount, checked_at: now.toISOString() };
    },
  );
}

/**
 * Operator routes (API key with `openbanking:admin`) for customers and for consents as
 * staff see them: create customers, link ledger accounts, list a customer's consents,
 * revoke on the customer's behalf (the bank's own app or a branch), and an operator's
 * view and revoke of any consent.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import { CustomerId } from '../envelopes/schemas.js';
import { Uuid } from '../ledger/schemas.js';
import type { Clock } from '../server/clock.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { CONSENT_PAGE_MAX, getConsent, listConsents, revokeConsent } from './consents-store.js';
import { ConsentView, consentJson } from './consent-view.js';
import { NICKNAME_LENGTH_MAX, PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, createCustomer, customerJson, linkCustomerAccount } from './customers-admin.js';
import { CUSTOMER_PAGE_MAX, findCustomer, listCustomerAccounts, listCustomers, setCustomerStatus } from './customers-store.js';
import { ADMIN_TAG, NextCursor, Timestamp, errorResponses, fail } from './http-common.js';

const tags = [ADMIN_TAG];
const config = { scope: 'openbanking:admin' as const };

const Mode = Type.Union([Type.Literal('sandbox'), Type.Literal('live')]);
const AccountLink = Type.Object({ account_id: Type.String(), currency: Type.String(), nickname: Type.Union([Type.String(), Type.Null()]), status: Type.String() });
const CustomerView = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  mode: Type.String({ description: 'sandbox customers are seen only by sandbox apps, live ones only by live apps' }),
  status: Type.String(),
  created_at: Timestamp,
  accounts: Type.Optional(Type.Array(AccountLink)),
});
const CustomerCreate = Type.Object(
  {
    id: CustomerId,
    display_name: Type.String({ minLength: 1, maxLength: 200 }),
    mode: Mode,
    password: Type.Optional(
      Type.String({ minLength: PASSWORD_LENGTH_MIN, maxLength: PASSWORD_LENGTH_MAX, description: 'For the consent page sign-in; stored as a scrypt hash. Without it the customer cannot sign in with a password.' }),
    ),
  },
  { additionalProperties: false },
);
const CustomerParams = Type.Object({ id: CustomerId });
const Limit = PageLimit;
const Cursor = PageCursor;
const CUSTOMER_CURSOR = /^([A-Za-z0-9._:@-]{1,64})$/;

export function registerCustomerRoutes(root: FastifyInstance, db: Db, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/customers',
    {
      config,
      schema: {
        tags,
        summary: 'Create a customer who can sign in to approve consents',
        description: 'The same id with the same name and mode again is 200 (the password is not changed); with another name or mode, exists_with_different_fields.',
        body: CustomerCreate,
        response: { 200: CustomerView, 201: CustomerView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await createCustomer(db, req.body, clock.now());
      if (!result.ok) fail(result);
      if (result.created) req.log.info({ customer_id: result.customer.id, mode: result.customer.mode, key_id: req.apiKey?.id }, 'customer created');
      return reply.status(result.created ? 201 : 200).send(customerJson(result.customer));
    },
  );

  app.get(
    '/v1/customers',
    {
      config,
      schema: {
        tags,
        summary: 'Customers, by id; q searches by exact id, or phone or name containing it',
        querystring: Type.Object({ mode: Type.Optional(Mode), q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), limit: Limit(CUSTOMER_PAGE_MAX), cursor: Cursor }),
        response: { 200: Type.Object({ data: Type.Array(CustomerView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const after = decodeCursor(req.query.cursor, CUSTOMER_CURSOR)?.[0];
      const rows = await listCustomers(db, { mode: req.query.mode, search: req.query.q, after, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return { data: page.map((c) => customerJson(c)), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
    },
  );

  app.get(
    '/v1/customers/:id',
    { config, schema: { tags, summary: 'A customer with their linked accounts', params: CustomerParams, response: { 200: CustomerView, ...errorResponses } } },
    async (req) => {
      const customer = await findCustomer(db, req.params.id);
      if (!customer) throw new ProblemError('customer_not_found', `no customer ${req.params.id}`);
      return customerJson(customer, await listCustomerAccounts(db, customer.id));
    },
  );

  app.post(
    '/v1/customers/:id/status',
    {
      config,
      schema: {
        tags,
        summary: 'Disable or re-enable a customer (a disabled customer cannot sign in or authorise consents)',
        params: CustomerParams,
        body: Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]) }, { additionalProperties: false }),
        response: { 200: CustomerView, ...errorResponses },
      },
    },
    async (req) => {
      const customer = await setCustomerStatus(db, req.params.id, req.body.status);
      if (!customer) throw new ProblemError('customer_not_found', `no customer ${req.params.id}`);
      req.log.info({ customer_id: customer.id, status: customer.status, key_id: req.apiKey?.id }, 'customer status changed');
      return customerJson(customer);
    },
  );

  app.post(
    '/v1/customers/:id/accounts',
    {
      config,
      schema: {
        tags,
        summary: "Link an existing ledger account to the customer (consents may name only the customer's accounts)",
        description: 'An account belongs to one customer at most: linking it again to the same customer is 200; to another, account_already_linked.',
        params: CustomerParams,
        body: Type.Object({ account_id: Uuid, nickname: Type.Optional(Type.String({ maxLength: NICKNAME_LENGTH_MAX })) }, { additionalProperties: false }),
        response: { 200: AccountLink, 201: AccountLink, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await linkCustomerAccount(db, { customer_id: req.params.id, account_id: req.body.account_id, nickname: req.body.nickname, now: clock.now() });
      if (!result.ok) fail(result);
      return reply.status(result.created ? 201 : 200).send(result.account);
    },
  );

  app.get(
    '/v1/customers/:id/consents',
    {
      config,
      schema: {
        tags,
        summary: "The customer's consents, newest first",
        params: CustomerParams,
        querystring: Type.Object({ limit: Limit(CONSENT_PAGE_MAX), cursor: Cursor }),
        response: { 200: Type.Object({ data: Type.Array(ConsentView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      if (!(await findCustomer(db, req.params.id))) throw new ProblemError('customer_not_found', `no customer ${req.params.id}`);
      const page = await listConsents(db, { customer_id: req.params.id, limit: req.query.limit ?? 50, cursor: req.query.cursor, now: clock.now() });
      return { data: page.items.map(consentJson), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/v1/customers/:id/consents/:consent_id/revoke',
    {
      config,
      schema: {
        tags,
        summary: "Revoke a consent as the customer (from the bank's own app or a branch)",
        description: 'Tokens issued under the consent stop working at once; the partner gets an openbanking.consent.revoked webhook. Revoking a revoked consent is 200 with no change.',
        params: Type.Object({ id: CustomerId, consent_id: Uuid }),
        response: { 200: ConsentView, ...errorResponses },
      },
    },
    async (req) => {
      const result = await revokeConsent(db, { id: req.params.consent_id.toLowerCase(), by: 'customer', actor_id: req.params.id, now: clock.now() });
      if (!result.ok) fail(result, null);
      req.log.info({ consent_id: result.consent.id, by: 'customer', key_id: req.apiKey?.id }, 'consent revoked');
      return consentJson(result.consent);
    },
  );

  app.get(
    '/v1/consents',
    {
      config,
      schema: {
        tags,
        summary: 'Consents as staff see them, newest first; filter by client_id and/or customer_id',
        querystring: Type.Object({
          client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          customer_id: Type.Optional(CustomerId),
          limit: Limit(CONSENT_PAGE_MAX),
          cursor: Cursor,
        }),
        response: { 200: Type.Object({ data: Type.Array(ConsentView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const page = await listConsents(db, { client_id: req.query.client_id, customer_id: req.query.customer_id, limit: req.query.limit ?? 50, cursor: req.query.cursor, now: clock.now() });
      return { data: page.items.map(consentJson), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/consents/:id',
    { config, schema: { tags, summary: 'A consent as staff see it', params: Type.Object({ id: Uuid }), response: { 200: ConsentView, ...errorResponses } } },
    async (req) => {
      const consent = await getConsent(db, req.params.id.toLowerCase(), clock.now());
      if (!consent) throw new ProblemError('consent_not_found', `no consent ${req.params.id}`);
      return consentJson(consent);
    },
  );

  app.post(
    '/v1/consents/:id/revoke',
    {
      config,
      schema: { tags, summary: 'Revoke any consent as an operator (e.g. a partner under investigation)', params: Type.Object({ id: Uuid }), response: { 200: ConsentView, ...errorResponses } },
    },
    async (req) => {
      const result = await revokeConsent(db, { id: req.params.id.toLowerCase(), by: 'operator', actor_id: req.apiKey?.id ?? 'operator', now: clock.now() });
      if (!result.ok) fail(result, null);
      req.log.info({ consent_id: result.consent.id, by: 'operator', key_id: req.apiKey?.id }, 'consent revoked');
      return consentJson(result.consent);
    },
  );
}

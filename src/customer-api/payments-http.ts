/** Payees and transfers of the signed-in customer. */
import { Type } from '@sinclair/typebox';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ledger } from '../ledger/service.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { E164 } from '../identity/core.js';
import { sendMoney } from './transfers.js';
import * as store from './store.js';

const me = { customer: true } as const;
const tags = ['customer app'];
const Phone = Type.String({ pattern: E164.source, description: 'E.164' });
const Uuid = Type.String({ format: 'uuid' });
const Name = Type.String({ minLength: 1, maxLength: 80 });
const Amount = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Integer minor units, > 0' });
const To = Type.Union([
  Type.Object({ phone: Phone }, { additionalProperties: false }),
  Type.Object({ account_id: Uuid }, { additionalProperties: false }),
  Type.Object({ payee_id: Uuid }, { additionalProperties: false }),
]);
const PAYEE_PAGE_MAX = 200;

export function registerPaymentRoutes(root: FastifyInstance, ledger: Ledger): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const db = ledger.db;

  app.get(
    '/v1/me/payees',
    { config: me, schema: { tags, summary: 'My saved payees, oldest first', querystring: Type.Object({ limit: PageLimit(PAYEE_PAGE_MAX), cursor: PageCursor }, { additionalProperties: false }) } },
    async (req) => {
      const after = decodeCursor(req.query.cursor, /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\|([0-9a-f-]{36})$/);
      const limit = req.query.limit ?? 50;
      const rows = await store.listPayees(db, req.customer!.id, after ? { created_at: new Date(after[0]!), id: after[1]! } : undefined, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((p) => ({ id: p.id, name: p.name, phone: p.phone, account_id: p.account_id, created_at: p.created_at.toISOString() })),
        next_cursor: rows.length > limit && last ? encodeCursor(last.created_at.toISOString(), last.id) : null,
      };
    },
  );

  app.post(
    '/v1/me/payees',
    {
      config: me,
      schema: { tags, summary: 'Save a payee: a phone number or an account', body: Type.Object({ name: Name, phone: Type.Optional(Phone), account_id: Type.Optional(Uuid) }, { additionalProperties: false }) },
    },
    async (req, reply) => {
      const { name, phone, account_id } = req.body;
      if ((phone === undefined) === (account_id === undefined)) {
        throw new ProblemError('invalid_request', 'send exactly one of phone and account_id', { errors: [{ field: 'body.phone', message: 'send exactly one of phone and account_id' }] });
      }
      if (account_id !== undefined && !(await ledger.getAccount(account_id.toLowerCase()))) {
        throw new ProblemError('recipient_not_found', `no account ${account_id}`, { field: 'account_id' });
      }
      if ((await store.countPayees(db, req.customer!.id)) >= store.PAYEES_MAX) {
        throw new ProblemError('invalid_request', `at most ${store.PAYEES_MAX} payees`, { errors: [{ field: 'body', message: 'too many payees' }] });
      }
      const payee = { id: randomUUID(), customer_id: req.customer!.id, name: name.trim(), phone: phone ?? null, account_id: account_id?.toLowerCase() ?? null, created_at: ledger.clock.now() };
      await store.insertPayee(db, payee);
      return reply.status(201).send({ id: payee.id, name: payee.name, phone: payee.phone, account_id: payee.account_id, created_at: payee.created_at.toISOString() });
    },
  );

  app.delete('/v1/me/payees/:id', { config: me, schema: { tags, summary: 'Delete a payee', params: Type.Object({ id: Uuid }) } }, async (req, reply) => {
    if (!(await store.deletePayee(db, req.customer!.id, req.params.id))) throw new ProblemError('payee_not_found', `you have no payee ${req.params.id}`);
    return reply.status(204).send();
  });

  app.post(
    '/v1/me/transfers',
    {
      config: me,
      schema: {
        tags,
        summary: 'Send money to a phone number, an account or a payee (idempotent by id)',
        body: Type.Object(
          { id: Uuid, from_account_id: Uuid, to: To, amount_minor: Amount, currency: Type.String({ pattern: '^[A-Z]{3}$' }), note: Type.Optional(Type.String({ maxLength: 140 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const amount = BigInt(b.amount_minor);
      if (amount > 9223372036854775807n) throw new ProblemError('invalid_request', 'amount_minor is too large', { errors: [{ field: 'body.amount_minor', message: 'too large' }] });
      const caller = { customer_id: req.customer!.id, device_id: req.customer!.device_id, ip: req.ip };
      const { view, replayed } = await sendMoney(ledger, caller, { id: b.id.toLowerCase(), from_account_id: b.from_account_id, to: b.to, amount_minor: amount, currency: b.currency, note: b.note });
      return reply.status(replayed ? 200 : 201).send(view);
    },
  );
}

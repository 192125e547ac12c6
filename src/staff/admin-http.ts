/** Admin routes (scope `admin`): staff members and the audit log. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticator } from '../auth/authenticator.js';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { NextCursor, Timestamp, errorResponses, fail } from '../openbanking/http-common.js';
import { Uuid } from '../ledger/schemas.js';
import { AUDIT_PAGE_MAX, listAudit } from './audit-store.js';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, staffJson } from './core.js';
import { addStaff } from './members.js';
import { ROLES } from './roles.js';
import { STAFF_PAGE_MAX, findStaff, listStaff, revokeSessionsOf, updateStaff } from './store.js';

const tags = ['staff'];
const config = { scope: 'admin' as const };
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);
const MemberView = Type.Object({ id: Type.String(), email: Type.String(), display_name: Type.String(), role: Role, status: Status, created_at: Timestamp });
const AuditView = Type.Object({
  at: Timestamp,
  actor_kind: Type.Union([Type.Literal('staff'), Type.Literal('api_key')]),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  actor_email: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  action: Type.String({ description: "'http' for a request, 'staff.sign_in' for a sign-in attempt" }),
  method: Type.String(),
  route: Type.String({ description: 'the route pattern, e.g. /v1/accounts/:id/freeze' }),
  target_ids: Type.Record(Type.String(), Type.String(), { description: 'the path parameters of the request' }),
  status_code: Type.Integer(),
  request_id: Type.String(),
});
const EMAIL_CURSOR = /^([^|]{1,254})$/;
const SEQ_CURSOR = /^([0-9]{1,19})$/;

export function registerStaffAdminRoutes(root: FastifyInstance, db: Db, clock: Clock, authenticator: Authenticator): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/staff/members',
    {
      config,
      schema: { tags, summary: 'Staff members, by email', querystring: Type.Object({ limit: PageLimit(STAFF_PAGE_MAX), cursor: PageCursor }), response: { 200: Type.Object({ data: Type.Array(MemberView), next_cursor: NextCursor }), ...errorResponses } },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listStaff(db, decodeCursor(req.query.cursor, EMAIL_CURSOR)?.[0], limit + 1);
      const page = rows.slice(0, limit);
      return { data: page.map(staffJson), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.email) : null };
    },
  );

  app.post(
    '/v1/staff/members',
    {
      config,
      schema: {
        tags,
        summary: 'Add a staff member; without a password one is generated and returned once',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            display_name: Type.String({ minLength: 1, maxLength: 200 }),
            role: Role,
            password: Type.Optional(Type.String({ minLength: PASSWORD_LENGTH_MIN, maxLength: PASSWORD_LENGTH_MAX })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ member: MemberView, password: Type.Optional(Type.String({ description: 'the generated password, shown once' })) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await addStaff(db, req.body, clock.now());
      if (!result.ok) fail(result);
      req.log.info({ staff_id: result.member.id, role: result.member.role, by: req.apiKey?.id }, 'staff member added');
      return reply.status(201).send({ member: staffJson(result.member), ...(result.generated ? { password: result.password } : {}) });
    },
  );

  app.patch(
    '/v1/staff/members/:id',
    {
      config,
      schema: {
        tags,
        summary: "Change a member's role or status; their sessions end (they sign in again under the new role)",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ role: Type.Optional(Role), status: Type.Optional(Status) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: MemberView, ...errorResponses },
      },
    },
    async (req) => {
      const id = req.params.id.toLowerCase();
      if (req.apiKey?.staff?.id === id) throw new ProblemError('staff_self_change', 'an admin cannot change their own role or status (ask another admin)');
      if (!(await findStaff(db, id))) throw new ProblemError('staff_not_found', `no staff member ${id}`);
      const now = clock.now();
      const member = await db.transaction(async (tx) => {
        const updated = await updateStaff(tx, id, req.body, now);
        await revokeSessionsOf(tx, id, now);
        return updated!;
      });
      authenticator.forget(id);
      req.log.info({ staff_id: id, role: member.role, status: member.status, by: req.apiKey?.id }, 'staff member changed');
      return staffJson(member);
    },
  );

  app.get(
    '/v1/audit-log',
    {
      config,
      schema: {
        tags,
        summary: 'The audit log, newest first: every write by a staff token or API key, and every staff sign-in attempt',
        querystring: Type.Object({ actor_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), limit: PageLimit(AUDIT_PAGE_MAX), cursor: PageCursor }),
        response: { 200: Type.Object({ data: Type.Array(AuditView), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const before = decodeCursor(req.query.cursor, SEQ_CURSOR)?.[0];
      const rows = await listAudit(db, { actor_id: req.query.actor_id, before: before === undefined ? undefined : BigInt(before), limit: limit + 1 });
      const page = rows.slice(0, limit);
      return {
        data: page.map(({ seq: _seq, at, ...rest }) => ({ at: at.toISOString(), ...rest })),
        next_cursor: rows.length > limit ? encodeCursor(String(page[page.length - 1]!.seq)) : null,
      };
    },
  );
}

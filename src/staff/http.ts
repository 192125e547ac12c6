/**
 * Staff session routes: sign in with email and password for an `ss_` token, sign out,
 * and who am I. The token then works on every route as a Bearer credential, with the
 * scopes of the member's role (src/staff/roles.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticator } from '../auth/authenticator.js';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { errorResponses } from '../openbanking/http-common.js';
import { EMAIL_LENGTH_MAX, PASSWORD_LENGTH_MAX, sessionTokenHash } from './core.js';
import { ROLE_SCOPES, ROLES } from './roles.js';
import { signIn } from './sign-in.js';
import { revokeSession } from './store.js';

const tags = ['staff'];
export const StaffView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  display_name: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
});
const SessionView = Type.Object({
  token: Type.String({ description: 'ss_… — send as Authorization: Bearer; shown once' }),
  expires_at: Type.String({ format: 'date-time' }),
  staff: StaffView,
  scopes: Type.Array(Type.String()),
});

/** The staff principal of the request, or 403: these routes mean nothing to an API key. */
export function staffOf(req: FastifyRequest) {
  const staff = req.apiKey?.staff;
  if (!staff) throw new ProblemError('staff_token_required', 'this route needs a staff session token (POST /v1/staff/sign-in)');
  return staff;
}

export function registerStaffRoutes(root: FastifyInstance, db: Db, clock: Clock, authenticator: Authenticator): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/staff/sign-in',
    {
      config: { public: true },
      schema: {
        tags,
        security: [],
        summary: 'Sign in as a staff member; the token lasts 8 hours',
        description: 'Wrong email, wrong password and a disabled member all answer 401 unauthorized. After 5 failures for an email within 15 minutes, 429 rate_limited. Every attempt is in the audit log.',
        body: Type.Object(
          { email: Type.String({ minLength: 1, maxLength: EMAIL_LENGTH_MAX }), password: Type.String({ minLength: 1, maxLength: PASSWORD_LENGTH_MAX }) },
          { additionalProperties: false },
        ),
        response: { 200: SessionView, ...errorResponses },
      },
    },
    async (req) => {
      const result = await signIn(db, { email: req.body.email, password: req.body.password, now: clock.now(), request_id: String(req.id) });
      if (!result.ok && result.code === 'rate_limited') {
        throw new ProblemError('rate_limited', 'too many failed sign-ins for this email; try again later', { retry_after_s: result.retry_after_s });
      }
      if (!result.ok) throw new ProblemError('unauthorized', 'wrong email or password');
      const { member } = result;
      req.log.info({ staff_id: member.id, role: member.role }, 'staff signed in');
      return {
        token: result.token,
        expires_at: result.expires_at.toISOString(),
        staff: { id: member.id, email: member.email, display_name: member.display_name, role: member.role },
        scopes: [...ROLE_SCOPES[member.role]],
      };
    },
  );

  app.post(
    '/v1/staff/sign-out',
    { schema: { tags, summary: 'End this staff session (the token stops working at once)', response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      const staff = staffOf(req);
      const hash = sessionTokenHash((req.headers.authorization ?? '').slice('Bearer '.length).trim());
      if (hash) await revokeSession(db, hash, clock.now());
      authenticator.forget(staff.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/staff/me',
    {
      schema: {
        tags,
        summary: 'The signed-in staff member and the scopes of their role',
        response: { 200: Type.Object({ staff: Type.Object({ id: Type.String(), email: Type.String(), role: Type.String() }), scopes: Type.Array(Type.String()) }), ...errorResponses },
      },
    },
    async (req) => ({ staff: staffOf(req), scopes: req.apiKey!.scopes }),
  );
}

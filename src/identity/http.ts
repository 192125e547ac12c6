/**
 * Routes of customer identity (docs/app-api.md): passkey sign-up and sign-in, the one-time
 * code fallback and step-up, the dev inbox, sign-out. HTTP ↔ services only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { ProblemError } from '../server/problem.js';
import type { Identity } from './service.js';
import { DEVICE_ID, E164 } from './core.js';
import { readDevInbox } from './store.js';

const Phone = Type.String({ pattern: E164.source, description: 'E.164, e.g. +8613800000001' });
const DeviceId = Type.String({ pattern: DEVICE_ID.source, description: "The app's own random per-install id (8–128 of A–Z a–z 0–9 _ -)" });
const Uuid = Type.String({ format: 'uuid' });
/** What the browser's PublicKeyCredential.toJSON() gives; the library checks the inside. */
const Credential = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Object({}, { additionalProperties: true }),
    clientExtensionResults: Type.Optional(Type.Object({}, { additionalProperties: true })),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: true },
);
const CEREMONY_BODY_BYTES_MAX = 64 * 1024;
const pub = { public: true } as const;
const tags = ['identity'];

export function registerIdentityRoutes(root: FastifyInstance, identity: Identity): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/v1/identity/passkeys/registration/options',
    { config: pub, schema: { tags, summary: 'Start a passkey sign-up', body: Type.Object({ display_name: Type.String({ minLength: 1, maxLength: 80 }), phone: Phone }, { additionalProperties: false }) } },
    async (req) => identity.passkeys.registrationOptions(identity.origins.forRequest(req), req.body.display_name.trim(), req.body.phone),
  );

  app.post(
    '/v1/identity/passkeys/registration/verify',
    {
      config: pub,
      bodyLimit: CEREMONY_BODY_BYTES_MAX,
      schema: { tags, summary: 'Finish a sign-up: creates the customer, a CNY current account and a session', body: Type.Object({ flow_id: Uuid, response: Credential, device_id: DeviceId }, { additionalProperties: false }) },
    },
    async (req, reply) => {
      const answer = await identity.signUp(reply, req.body.flow_id, req.body.response as unknown as RegistrationResponseJSON, req.body.device_id, req.ip);
      return reply.status(201).send(answer);
    },
  );

  app.post(
    '/v1/identity/passkeys/authentication/options',
    { config: pub, schema: { tags, summary: 'Start a passkey sign-in (discoverable credentials: no username); send {} or no body' } },
    async (req) => identity.passkeys.authenticationOptions(identity.origins.forRequest(req)),
  );

  app.post(
    '/v1/identity/passkeys/authentication/verify',
    {
      config: pub,
      bodyLimit: CEREMONY_BODY_BYTES_MAX,
      schema: { tags, summary: 'Finish a passkey sign-in: a session, or a step-up (one-time code sent) when the risk engine asks', body: Type.Object({ flow_id: Uuid, response: Credential, device_id: DeviceId }, { additionalProperties: false }) },
    },
    async (req, reply) => identity.signInWithPasskey(reply, req.body.flow_id, req.body.response as unknown as AuthenticationResponseJSON, req.body.device_id, req.ip),
  );

  app.post(
    '/v1/identity/otp/start',
    { config: pub, schema: { tags, summary: 'Send a sign-in code by SMS (same answer for every phone)', body: Type.Object({ phone: Phone, purpose: Type.Literal('sign_in') }, { additionalProperties: false }) } },
    async (req, reply) => reply.status(202).send(await identity.otps.startSignIn(req.body.phone, req.ip)),
  );

  app.post(
    '/v1/identity/otp/verify',
    {
      config: pub,
      schema: { tags, summary: 'Sign in with a one-time code (fallback, or finishing a step-up)', body: Type.Object({ otp_id: Uuid, code: Type.String({ pattern: '^[0-9]{6}$' }), device_id: DeviceId }, { additionalProperties: false }) },
    },
    async (req, reply) => identity.signInWithOtp(reply, req.body.otp_id, req.body.code, req.body.device_id, req.ip),
  );

  app.get(
    '/v1/identity/dev/otp-inbox',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Codes "sent" to a phone (only with OTP_DELIVERY=dev-inbox)', querystring: Type.Object({ phone: Phone }, { additionalProperties: false }) } },
    async (req) => {
      if (identity.otps.delivery.kind !== 'dev-inbox') throw new ProblemError('not_found', 'the dev inbox exists only with OTP_DELIVERY=dev-inbox');
      const items = await readDevInbox(identity.db, req.query.phone);
      return { items: items.map((m) => ({ otp_id: m.otp_id, code: m.code, created_at: m.created_at.toISOString() })) };
    },
  );

  app.post(
    '/v1/identity/sign-out',
    { config: { customer: true }, schema: { tags, summary: 'End this session (and clear the cookie)' } },
    async (req, reply) => {
      await identity.sessions.revoke(reply, req.customer!.session_id);
      return reply.status(204).send();
    },
  );
}

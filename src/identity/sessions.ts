/**
 * Customer sessions: an opaque token (`cs_` + 256 random bits) shown once, stored as its
 * SHA-256, accepted as `Authorization: Bearer` and as the HttpOnly `cap_session` cookie.
 * The hook authenticates every route with `config.customer`; a cookie-authenticated write
 * must also carry `X-Capillary-Client: app` (CSRF: a cross-site form cannot set the
 * header, and a cross-site fetch that sets it needs a CORS preflight this server never grants).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { readCookie } from '../openbanking/oauth-session.js';
import { CLIENT_HEADER, SESSION_COOKIE, SESSION_LIFETIME_MS, SESSION_TOKEN_PREFIX, hashToken, sessionCookie } from './core.js';
import * as store from './store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route of the customer API: a customer session authenticates it (not an API key). */
    customer?: boolean;
  }
  interface FastifyRequest {
    customer?: { id: string; session_id: string; device_id: string };
  }
}

export interface IssuedSession {
  token: string;
  expires_at: string;
}

const TOKEN_SHAPE = /^cs_[A-Za-z0-9_-]{43}$/;

export class Sessions {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly secure: () => boolean) {}

  async issue(
    reply: FastifyReply,
    s: { customer_id: string; device_id: string; method: 'passkey' | 'otp' },
  ): Promise<IssuedSession> {
    const now = this.clock.now();
    const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expires_at = new Date(now.getTime() + SESSION_LIFETIME_MS);
    await store.insertSession(this.db, { id: randomUUID(), token_hash: hashToken(token), expires_at, ...s }, now);
    reply.header('set-cookie', sessionCookie(token, SESSION_LIFETIME_MS / 1000, this.secure()));
    return { token, expires_at: expires_at.toISOString() };
  }

  async revoke(reply: FastifyReply, session_id: string): Promise<void> {
    await store.revokeSession(this.db, session_id, this.clock.now());
    reply.header('set-cookie', sessionCookie('', 0, this.secure()));
  }

  /** Registers the hook that authenticates customer routes. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      if (!req.routeOptions.config.customer) return;
      await this.authenticate(req, reply);
    });
  }

  private async authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const token = bearer ?? readCookie(req, SESSION_COOKIE);
    const session = token && TOKEN_SHAPE.test(token) ? await store.findLiveSession(this.db, hashToken(token), this.clock.now()) : undefined;
    if (!session) {
      reply.header('www-authenticate', 'Bearer realm="capillary-customer"');
      throw new ProblemError('unauthorized', 'sign in: send the session as Authorization: Bearer <token> or the cap_session cookie');
    }
    const write = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (bearer === undefined && write && req.headers[CLIENT_HEADER] !== 'app') {
      throw new ProblemError('client_header_required', 'a request authenticated by the session cookie must send X-Capillary-Client: app');
    }
    req.customer = { id: session.customer_id, session_id: session.id, device_id: session.device_id };
  }
}

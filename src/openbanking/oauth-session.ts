/**
 * Browser state of the consent pages, without a server-side session table: a cookie holding
 * a short JWT signed with the server's key (HttpOnly, SameSite=Strict, Path=/oauth, Secure
 * on https). It carries the CSRF token the page's forms must echo (a signed double-submit
 * token: a cross-site page can neither read the cookie nor forge one), the pushed request
 * it belongs to, and once signed in, the customer.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import type { OAuthContext } from './oauth-context.js';
import { SIGNING_ALG } from './oauth-keys.js';

export type SessionPurpose = 'authorize' | 'manage';

export interface PageSession {
  purpose: SessionPurpose;
  csrf: string;
  /** authorize: the request_uri this session approves. */
  rid?: string;
  /** The signed-in customer. */
  sub?: string;
  /** Seconds since the epoch. */
  exp: number;
}

export const SESSION_LIFETIME_S: Record<SessionPurpose, number> = { authorize: 600, manage: 900 };
export const COOKIE_NAMES: Record<SessionPurpose, string> = { authorize: 'cap_authorize', manage: 'cap_consents' };
const SESSION_TYP = 'page-session+jwt';

export const newCsrf = (): string => randomBytes(24).toString('base64url');

export async function signSession(ctx: OAuthContext, session: PageSession): Promise<string> {
  const key = await ctx.keys.current();
  const { exp, ...claims } = session;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: SESSION_TYP })
    .setIssuer(ctx.issuer())
    .setAudience(`${ctx.issuer()}#${session.purpose}`)
    .setExpirationTime(exp)
    .sign(key.private_key);
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session of this purpose from its cookie, if present, signed by this server and unexpired. */
export async function readSession(ctx: OAuthContext, req: FastifyRequest, purpose: SessionPurpose): Promise<PageSession | undefined> {
  const value = readCookie(req, COOKIE_NAMES[purpose]);
  if (!value || value.length > 4096) return undefined;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(
      value,
      async (header) => {
        const key = await ctx.keys.verificationKey(header.kid);
        if (!key) throw new Error('unknown kid');
        return key;
      },
      { algorithms: [SIGNING_ALG], typ: SESSION_TYP, issuer: ctx.issuer(), audience: `${ctx.issuer()}#${purpose}`, currentDate: ctx.now() },
    ));
  } catch {
    return undefined;
  }
  if (payload.purpose !== purpose || typeof payload.csrf !== 'string' || typeof payload.exp !== 'number') return undefined;
  return {
    purpose,
    csrf: payload.csrf,
    exp: payload.exp,
    ...(typeof payload.rid === 'string' ? { rid: payload.rid } : {}),
    ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
  };
}

export async function setSessionCookie(ctx: OAuthContext, reply: FastifyReply, session: PageSession): Promise<void> {
  const max_age = Math.max(0, session.exp - Math.floor(ctx.now().getTime() / 1000));
  reply.header('set-cookie', cookie(ctx, COOKIE_NAMES[session.purpose], await signSession(ctx, session), max_age));
}

export function clearSessionCookie(ctx: OAuthContext, reply: FastifyReply, purpose: SessionPurpose): void {
  reply.header('set-cookie', cookie(ctx, COOKIE_NAMES[purpose], '', 0));
}

function cookie(ctx: OAuthContext, name: string, value: string, max_age_s: number): string {
  const secure = ctx.issuer().startsWith('https:') ? '; Secure' : '';
  return `${name}=${value}; Path=/oauth; Max-Age=${max_age_s}; HttpOnly; SameSite=Strict${secure}`;
}

export function csrfMatches(sent: string | undefined, session: PageSession | undefined): boolean {
  if (!sent || !session) return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A form post must come from this server's own pages: a cross-site Origin (or a browser's
 * Sec-Fetch-Site: cross-site) is refused even before the CSRF token is looked at.
 */
export function sameOrigin(ctx: OAuthContext, req: FastifyRequest): boolean {
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // older browsers; the CSRF token still has to match
  return origin === new URL(ctx.issuer()).origin;
}

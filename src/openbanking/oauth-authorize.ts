/**
 * The authorization endpoint and its consent page (RFC 6749 §4.1, RFC 9126 §4, RFC 9207).
 *
 *   GET  /oauth/authorize?client_id&request_uri   the pushed request → sign-in page, or the
 *                                                   consent page once signed in
 *   POST /oauth/authorize/login                    customer id + password
 *   POST /oauth/authorize/decision                 approve (with accounts) or deny
 *
 * Only pushed requests are accepted: a request without request_uri is refused (FAPI 2.0),
 * and only the pushed parameters count. Errors before the redirect URI is known are shown
 * as a page; after, they go back to the client as error=… with state and iss. An approval
 * authorises the consent, marks the pushed request used and stores a single-use code (60 s)
 * in one transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Queryable } from '../db/port.js';
import { authoriseConsent, getConsent, rejectConsent } from './consents-store.js';
import { findCustomer, listCustomerAccounts } from './customers-store.js';
import { PATHS, type FormParams, type OAuthApp, type OAuthContext } from './oauth-context.js';
import { pageHeaders, renderConsent, renderError, renderSignIn } from './oauth-consent-page.js';
import { findPushedRequest, type StoredRequest } from './oauth-par.js';
import {
  SESSION_LIFETIME_S,
  clearSessionCookie,
  csrfMatches,
  newCsrf,
  readSession,
  sameOrigin,
  setSessionCookie,
  type PageSession,
} from './oauth-session.js';

export const CODE_LIFETIME_S = 60;

export const hashCode = (code: string): string => createHash('sha256').update(code).digest('hex');

export interface AuthorizationCodeGrant {
  code: string;
  client_id: string;
  customer_id: string;
  consent_id: string;
  redirect_uri: string;
  scope: readonly string[];
  /** PKCE S256 challenge the token endpoint checks the verifier against. */
  code_challenge: string;
  dpop_jkt: string | null;
}

/**
 * Stores a single-use authorization code (as its SHA-256, CODE_LIFETIME_S) for an authorised
 * consent; the token endpoint exchanges it. Used by the consent page and by the customer app's
 * mini-program bridge (src/customer-api/mini-programs-http.ts), inside their transactions.
 */
export async function storeAuthorizationCode(tx: Queryable, g: AuthorizationCodeGrant, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO oauth_codes (code_hash, client_id, customer_id, consent_id, redirect_uri, scope, code_challenge, dpop_jkt, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [hashCode(g.code), g.client_id, g.customer_id, g.consent_id, g.redirect_uri, g.scope.join(' '), g.code_challenge, g.dpop_jkt,
      new Date(now.getTime() + CODE_LIFETIME_S * 1000).toISOString()],
  );
}

/** Account problems the customer can fix on the page; other refusals end the request. */
const FIXABLE = new Set(['consent_accounts_invalid', 'consent_account_not_owned']);

/** The form of a page post, or undefined for any other body. */
export function pageForm(req: FastifyRequest): FormParams | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' && typeof req.body === 'object' && req.body !== null ? (req.body as FormParams) : undefined;
}

/** A single value of a page form field (first one; pages never send duplicates). */
export const field = (form: FormParams, name: string): string | undefined => form[name]?.[0];

export function errorPage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return pageHeaders(reply).status(status).send(renderError(title, message));
}

const authorizeUrl = (client_id: string, request_uri: string): string =>
  `${PATHS.authorize}?client_id=${encodeURIComponent(client_id)}&request_uri=${encodeURIComponent(request_uri)}`;

/** The authorization response (RFC 6749 §4.1.2, RFC 9207 iss): a 303 to the registered redirect URI. */
function redirectToClient(ctx: OAuthContext, reply: FastifyReply, stored: StoredRequest, params: Record<string, string>): FastifyReply {
  const url = new URL(stored.params.redirect_uri);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  if (stored.params.state !== null) url.searchParams.append('state', stored.params.state);
  url.searchParams.append('iss', ctx.issuer());
  clearSessionCookie(ctx, reply, 'authorize');
  return pageHeaders(reply, [url.origin]).status(303).header('location', url.href).send();
}

/** Marks the pushed request used; false if it already was (a second submit, another tab). */
async function markUsed(tx: Queryable, request_uri: string, now: Date): Promise<boolean> {
  const { rows } = await tx.query('UPDATE oauth_par_requests SET used_at = $2 WHERE request_uri = $1 AND used_at IS NULL RETURNING request_uri', [
    request_uri,
    now.toISOString(),
  ]);
  return rows.length > 0;
}

class Refused extends Error {
  constructor(readonly code: string, readonly detail: string) {
    super(detail);
  }
}

interface Loaded {
  stored: StoredRequest;
  app: OAuthApp;
}

/**
 * The pushed request and its app, or an error page already sent. `client_id` null: the
 * request comes from the page's own session (already tied to its client).
 */
async function loadRequest(ctx: OAuthContext, reply: FastifyReply, client_id: string | undefined | null, request_uri: string | undefined): Promise<Loaded | undefined> {
  if (!request_uri) {
    errorPage(reply, 400, 'Request refused', 'This server accepts only pushed authorization requests: the partner must POST the request to /oauth/par and send request_uri here.');
    return undefined;
  }
  if (client_id === undefined || client_id === '') {
    errorPage(reply, 400, 'Request refused', 'client_id is required.');
    return undefined;
  }
  const stored = await findPushedRequest(ctx, request_uri);
  if (!stored || (client_id !== null && stored.params.client_id !== client_id)) {
    errorPage(reply, 400, 'Request refused', 'The authorization request is unknown or has expired. Go back to the partner and start again.');
    return undefined;
  }
  if (stored.used_at) {
    errorPage(reply, 400, 'Already done', 'This authorization request was already completed. Go back to the partner.');
    return undefined;
  }
  const app = await ctx.findApp(stored.params.client_id);
  if (!app || app.status !== 'active') {
    errorPage(reply, 400, 'Request refused', 'The partner app is not active.');
    return undefined;
  }
  return { stored, app };
}

async function renderConsentPage(ctx: OAuthContext, reply: FastifyReply, loaded: Loaded, session: PageSession, status = 200, error?: string): Promise<FastifyReply> {
  const { stored, app } = loaded;
  const consent = await getConsent(ctx.db, stored.params.consent_id, ctx.now());
  if (!consent || consent.status !== 'awaiting_authorisation') {
    await markUsed(ctx.db, stored.request_uri, ctx.now());
    return redirectToClient(ctx, reply, stored, { error: 'access_denied', error_description: `the consent is ${consent?.status ?? 'gone'}` });
  }
  const customer = await findCustomer(ctx.db, session.sub!);
  const accounts = await listCustomerAccounts(ctx.db, session.sub!);
  return pageHeaders(reply, [new URL(stored.params.redirect_uri).origin])
    .status(status)
    .send(
      renderConsent({
        app_name: app.name,
        mode: app.mode,
        customer_name: customer?.display_name ?? session.sub!,
        consent,
        accounts,
        action: PATHS.authorize_decision,
        fields: { request_uri: stored.request_uri, csrf: session.csrf },
        ...(error ? { error } : {}),
      }),
    );
}

function renderSignInPage(reply: FastifyReply, loaded: Loaded, session: PageSession, status = 200, error?: string, customer_id?: string): FastifyReply {
  return pageHeaders(reply, [new URL(loaded.stored.params.redirect_uri).origin])
    .status(status)
    .send(
      renderSignIn({
        heading: `Sign in to continue to ${loaded.app.name}`,
        intro: `${loaded.app.name} asks for your consent. Sign in with your customer id and password to review it. This page is your bank's: the partner never sees your password.`,
        action: PATHS.authorize_login,
        fields: { request_uri: loaded.stored.request_uri, csrf: session.csrf },
        mode: loaded.app.mode,
        ...(error ? { error } : {}),
        ...(customer_id ? { customer_id } : {}),
      }),
    );
}

/** The page session for a form post, or an error page already sent (CSRF, cross-site, expired). */
async function postedSession(ctx: OAuthContext, req: FastifyRequest, reply: FastifyReply, form: FormParams | undefined): Promise<PageSession | undefined> {
  const refuse = () => {
    errorPage(reply, 403, 'Request refused', 'This form did not come from this page, or the page has expired (CSRF check). Go back to the partner and start again.');
    return undefined;
  };
  if (!form || !sameOrigin(ctx, req)) return refuse();
  const session = await readSession(ctx, req, 'authorize');
  if (!session || session.rid !== field(form, 'request_uri') || !csrfMatches(field(form, 'csrf'), session)) return refuse();
  return session;
}

export function registerAuthorizeRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  const page = { config: { public: true }, schema: { tags: ['oauth'], produces: ['text/html'] } };

  app.get(
    PATHS.authorize,
    {
      ...page,
      schema: {
        ...page.schema,
        summary: 'Authorization endpoint: the consent page (HTML)',
        description: 'Send the customer’s browser here with the request_uri from /oauth/par. Other parameters are ignored: only the pushed ones count.',
        querystring: Type.Object({ client_id: Type.Optional(Type.String()), request_uri: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (req, reply) => {
      const query = req.query as { client_id?: string; request_uri?: string };
      const loaded = await loadRequest(ctx, reply, query.client_id, query.request_uri);
      if (!loaded) return reply;
      let session = await readSession(ctx, req, 'authorize');
      if (!session || session.rid !== loaded.stored.request_uri) {
        if (loaded.stored.expires_at.getTime() <= ctx.now().getTime()) {
          return errorPage(reply, 400, 'Request expired', 'The authorization request has expired. Go back to the partner and start again.');
        }
        session = { purpose: 'authorize', csrf: newCsrf(), rid: loaded.stored.request_uri, exp: Math.floor(ctx.now().getTime() / 1000) + SESSION_LIFETIME_S.authorize };
        await setSessionCookie(ctx, reply, session);
      }
      if (!session.sub) return renderSignInPage(reply, loaded, session);
      return renderConsentPage(ctx, reply, loaded, session);
    },
  );

  app.post(PATHS.authorize_login, { ...page, schema: { ...page.schema, summary: 'Consent page: sign in (form post from the page)' } }, async (req, reply) => {
    const form = pageForm(req);
    const session = await postedSession(ctx, req, reply, form);
    if (!session || !form) return reply;
    const loaded = await loadRequest(ctx, reply, null, session.rid);
    if (!loaded) return reply;
    const attempt = await ctx.signIn(field(form, 'customer_id'), field(form, 'password'));
    if (!attempt.ok) {
      if (attempt.retry_after_s) reply.header('retry-after', String(attempt.retry_after_s));
      return renderSignInPage(reply, loaded, session, attempt.status, attempt.message, attempt.customer_id);
    }
    const { customer } = attempt;
    if (customer.mode !== loaded.app.mode) {
      return renderSignInPage(reply, loaded, session, 403, `This is a ${loaded.app.mode} app: only ${loaded.app.mode} customers can approve its consents.`, customer.id);
    }
    // A new CSRF token at sign-in: a token seen before signing in is worth nothing after.
    await setSessionCookie(ctx, reply, { ...session, csrf: newCsrf(), sub: customer.id });
    return pageHeaders(reply).status(303).header('location', authorizeUrl(loaded.app.id, loaded.stored.request_uri)).send();
  });

  app.post(PATHS.authorize_decision, { ...page, schema: { ...page.schema, summary: 'Consent page: approve or deny (form post from the page)' } }, async (req, reply) => {
    const form = pageForm(req);
    const session = await postedSession(ctx, req, reply, form);
    if (!session || !form) return reply;
    if (!session.sub) return errorPage(reply, 403, 'Request refused', 'Sign in first.');
    const loaded = await loadRequest(ctx, reply, null, session.rid);
    if (!loaded) return reply;
    const decision = field(form, 'decision');
    const now = ctx.now();
    const { params } = loaded.stored;

    if (decision === 'deny') {
      const done = await ctx.db.transaction(async (tx) => {
        if (!(await markUsed(tx, loaded.stored.request_uri, now))) return false;
        await rejectConsent(tx, { id: params.consent_id, client_id: loaded.app.id, customer_id: session.sub!, now });
        return true;
      });
      if (!done) return errorPage(reply, 400, 'Already done', 'This authorization request was already completed.');
      return redirectToClient(ctx, reply, loaded.stored, { error: 'access_denied', error_description: 'the customer denied the consent' });
    }
    if (decision !== 'approve') return errorPage(reply, 400, 'Request refused', 'Choose Allow or Deny.');

    const account_ids = form.account_id ?? [];
    const code = randomBytes(32).toString('base64url');
    try {
      await ctx.db.transaction(async (tx) => {
        if (!(await markUsed(tx, loaded.stored.request_uri, now))) throw new Refused('already_used', 'This authorization request was already completed.');
        const authorised = await authoriseConsent(tx, { id: params.consent_id, client_id: loaded.app.id, customer_id: session.sub!, account_ids, now });
        if (!authorised.ok) throw new Refused(authorised.code, authorised.detail);
        await storeAuthorizationCode(tx, { code, client_id: loaded.app.id, customer_id: session.sub!, consent_id: params.consent_id, redirect_uri: params.redirect_uri, scope: params.scope, code_challenge: params.code_challenge, dpop_jkt: params.dpop_jkt }, now);
      });
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      if (err.code === 'already_used') return errorPage(reply, 400, 'Already done', err.detail);
      if (FIXABLE.has(err.code)) return renderConsentPage(ctx, reply, loaded, session, 422, err.detail);
      await markUsed(ctx.db, loaded.stored.request_uri, now);
      return redirectToClient(ctx, reply, loaded.stored, { error: 'access_denied', error_description: err.detail });
    }
    await ctx.sweep('codes', () => ctx.db.query('DELETE FROM oauth_codes WHERE expires_at < $1', [new Date(now.getTime() - 86_400_000).toISOString()]));
    return redirectToClient(ctx, reply, loaded.stored, { code });
  });
}

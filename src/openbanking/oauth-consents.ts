/**
 * The customer's own consent page, /oauth/consents: sign in (customer id + password), see
 * every consent given to partner apps, and revoke one. Revoking here also revokes the
 * refresh tokens issued under the consent and the access tokens issued with them.
 * Same page protections as the consent page: signed session cookie, CSRF token, same-origin
 * posts, strict CSP.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listConsents, revokeConsent } from './consents-store.js';
import { findCustomer } from './customers-store.js';
import { errorPage, field, pageForm } from './oauth-authorize.js';
import { pageHeaders, renderConsentList, renderSignIn, type ManagedConsent } from './oauth-consent-page.js';
import { PATHS, type OAuthContext } from './oauth-context.js';
import { SESSION_LIFETIME_S, clearSessionCookie, csrfMatches, newCsrf, readSession, sameOrigin, setSessionCookie, type PageSession } from './oauth-session.js';
import type { TokenEndpoint } from './oauth-token.js';

const LISTED_MAX = 100;

const freshSession = (ctx: OAuthContext): PageSession => ({
  purpose: 'manage',
  csrf: newCsrf(),
  exp: Math.floor(ctx.now().getTime() / 1000) + SESSION_LIFETIME_S.manage,
});

function signInPage(reply: FastifyReply, session: PageSession, status = 200, error?: string, customer_id?: string): FastifyReply {
  return pageHeaders(reply)
    .status(status)
    .send(
      renderSignIn({
        heading: 'Your consents',
        intro: 'Sign in with your customer id and password to see the consents you gave to partner apps, and revoke any of them.',
        action: PATHS.consents,
        fields: { csrf: session.csrf, action: 'sign_in' },
        ...(error ? { error } : {}),
        ...(customer_id ? { customer_id } : {}),
      }),
    );
}

async function listPage(ctx: OAuthContext, reply: FastifyReply, session: PageSession, status = 200, notice?: string, error?: string): Promise<FastifyReply> {
  const customer_id = session.sub!;
  const customer = await findCustomer(ctx.db, customer_id);
  const { items } = await listConsents(ctx.db, { customer_id, limit: LISTED_MAX, now: ctx.now() });
  const names = new Map<string, string>();
  for (const c of items) if (!names.has(c.client_id)) names.set(c.client_id, (await ctx.findApp(c.client_id))?.name ?? c.client_id);
  const managed: ManagedConsent[] = items.map((consent) => ({ consent, app_name: names.get(consent.client_id)! }));
  return pageHeaders(reply)
    .status(status)
    .send(
      renderConsentList({
        customer_name: customer?.display_name ?? customer_id,
        items: managed,
        action: PATHS.consents,
        csrf: session.csrf,
        ...(notice ? { notice } : {}),
        ...(error ? { error } : {}),
      }),
    );
}

export function registerConsentManagementRoutes(app: FastifyInstance, ctx: OAuthContext, tokens: TokenEndpoint): void {
  const page = { config: { public: true }, schema: { tags: ['oauth'], produces: ['text/html'] } };

  app.get(PATHS.consents, { ...page, schema: { ...page.schema, summary: "The customer's consents page (HTML): sign in, list, revoke" } }, async (req: FastifyRequest, reply) => {
    let session = await readSession(ctx, req, 'manage');
    if (!session) {
      session = freshSession(ctx);
      await setSessionCookie(ctx, reply, session);
    }
    if (!session.sub) return signInPage(reply, session);
    const revoked = (req.query as { revoked?: string }).revoked;
    return listPage(ctx, reply, session, 200, revoked ? 'The consent is revoked: the partner can no longer use it.' : undefined);
  });

  app.post(PATHS.consents, { ...page, schema: { ...page.schema, summary: "The customer's consents page: form posts (sign_in, revoke, sign_out)" } }, async (req, reply) => {
    const form = pageForm(req);
    const session = await readSession(ctx, req, 'manage');
    if (!form || !sameOrigin(ctx, req) || !csrfMatches(form ? field(form, 'csrf') : undefined, session)) {
      return errorPage(reply, 403, 'Request refused', 'This form did not come from this page, or the page has expired (CSRF check). Open /oauth/consents again.');
    }
    const action = field(form, 'action');
    if (action === 'sign_in') {
      const attempt = await ctx.signIn(field(form, 'customer_id'), field(form, 'password'));
      if (!attempt.ok) {
        if (attempt.retry_after_s) reply.header('retry-after', String(attempt.retry_after_s));
        return signInPage(reply, session!, attempt.status, attempt.message, attempt.customer_id);
      }
      const { customer } = attempt;
      await setSessionCookie(ctx, reply, { ...freshSession(ctx), sub: customer.id });
      return pageHeaders(reply).status(303).header('location', PATHS.consents).send();
    }
    if (action === 'sign_out') {
      clearSessionCookie(ctx, reply, 'manage');
      return pageHeaders(reply).status(303).header('location', PATHS.consents).send();
    }
    if (action === 'revoke') {
      if (!session!.sub) return errorPage(reply, 403, 'Request refused', 'Sign in first.');
      const consent_id = field(form, 'consent_id') ?? '';
      const now = ctx.now();
      const revoked = await revokeConsent(ctx.db, { id: consent_id, by: 'customer', actor_id: session!.sub, now });
      if (!revoked.ok) return listPage(ctx, reply, session!, revoked.code === 'consent_not_found' ? 404 : 409, undefined, `Not revoked: ${revoked.detail}.`);
      await tokens.revokeConsentTokens(revoked.consent.id, now);
      return pageHeaders(reply).status(303).header('location', `${PATHS.consents}?revoked=1`).send();
    }
    return errorPage(reply, 400, 'Request refused', 'Unknown action.');
  });
}

/**
 * What an operator does to partner apps, shared by the admin API (apps-http.ts) and the CLI
 * (src/cli/openbanking.ts): register, change, disable, rotate secrets. Secrets are returned
 * once, here, and never again (only the client secret's hash is stored).
 */
import type { Queryable } from '../db/port.js';
import {
  checkJwks,
  checkNewApp,
  checkPartnerUrl,
  checkRedirectUris,
  checkScopes,
  newClientId,
  newClientSecret,
  newWebhookSecret,
  WEBHOOK_SECRET_OVERLAP_MS,
  type NewAppInput,
  type PartnerApp,
  type Refusal,
} from './apps.js';
import { findApp, insertApp, rotateWebhookSecret, updateApp, type AppChanges } from './apps-store.js';

export interface IssuedSecrets {
  /** client_secret_basic apps: the secret, shown once. */
  client_secret?: string;
  /** Apps with a webhook URL: the HMAC key for webhook signatures, shown once. */
  webhook_secret?: string;
}

export async function registerPartnerApp(
  db: Queryable,
  input: NewAppInput,
  now: Date,
): Promise<{ ok: true; app: PartnerApp; secrets: IssuedSecrets } | Refusal> {
  const checked = checkNewApp(input);
  if (!checked.ok) return checked;
  const c = checked.app;
  const secret = c.token_endpoint_auth_method === 'client_secret_basic' ? newClientSecret() : undefined;
  const webhook_secret = c.webhook_url ? newWebhookSecret() : null;
  const app = await insertApp(
    db,
    { id: newClientId(), ...c, client_secret_hash: secret?.hash ?? null, webhook_secret },
    now,
  );
  if (!app) throw new Error('client_id collision: 128 random bits repeated');
  const secrets: IssuedSecrets = {};
  if (secret) secrets.client_secret = secret.secret;
  if (webhook_secret) secrets.webhook_secret = webhook_secret;
  return { ok: true, app, secrets };
}

export interface AppPatch {
  name?: string | undefined;
  redirect_uris?: string[] | undefined;
  allowed_scopes?: string[] | undefined;
  jwks?: unknown;
  /** null removes the webhook (and its secrets, the previous one too). */
  webhook_url?: string | null | undefined;
  dpop_bound_access_tokens?: boolean | undefined;
  status?: 'active' | 'disabled' | undefined;
}

/**
 * Changes an app. Setting a webhook URL on an app without a webhook secret issues one
 * (returned once). Narrowing allowed_scopes does not rewrite existing consents: every call
 * checks the token's scopes, which the token endpoint intersects with the app's.
 */
export async function patchPartnerApp(
  db: Queryable,
  id: string,
  patch: AppPatch,
  now: Date,
): Promise<{ ok: true; app: PartnerApp; secrets: IssuedSecrets } | Refusal> {
  const app = await findApp(db, id);
  if (!app) return { ok: false, code: 'partner_app_not_found', detail: `no partner app ${id}` };
  const changes: AppChanges = {};
  const secrets: IssuedSecrets = {};
  if (patch.name !== undefined) {
    const name = patch.name.trim();
    if (name.length === 0 || name.length > 200) return { ok: false, code: 'invalid_request', detail: 'name must be 1 to 200 characters', field: 'name' };
    changes.name = name;
  }
  if (patch.redirect_uris !== undefined) {
    const checked = checkRedirectUris(patch.redirect_uris);
    if (!checked.ok) return checked;
    changes.redirect_uris = checked.uris;
  }
  if (patch.allowed_scopes !== undefined) {
    const checked = checkScopes(patch.allowed_scopes);
    if (!checked.ok) return checked;
    changes.allowed_scopes = checked.scopes;
  }
  if (patch.jwks !== undefined) {
    if (app.token_endpoint_auth_method !== 'private_key_jwt') {
      return { ok: false, code: 'invalid_jwks', detail: 'only a private_key_jwt app has a jwks', field: 'jwks' };
    }
    const checked = checkJwks(patch.jwks);
    if (!checked.ok) return checked;
    changes.jwks = checked.jwks;
  }
  if (patch.webhook_url !== undefined) {
    if (patch.webhook_url === null) {
      changes.webhook_url = null;
      changes.webhook_secret = null;
      changes.webhook_secret_previous = null;
    } else {
      const checked = checkPartnerUrl(patch.webhook_url, 'webhook_url');
      if (!checked.ok) return checked;
      changes.webhook_url = checked.url;
      if (!app.webhook_secret) {
        changes.webhook_secret = newWebhookSecret();
        secrets.webhook_secret = changes.webhook_secret;
      }
    }
  }
  if (patch.status !== undefined) changes.status = patch.status;
  if (patch.dpop_bound_access_tokens !== undefined) changes.dpop_bound_access_tokens = patch.dpop_bound_access_tokens;
  const updated = await updateApp(db, id, changes, now);
  if (!updated) return { ok: false, code: 'partner_app_not_found', detail: `no partner app ${id}` };
  return { ok: true, app: updated, secrets };
}

export type SecretKind = 'client_secret' | 'webhook_secret';

/**
 * Replaces a secret. An old client secret stops working at once. An old webhook secret keeps
 * signing deliveries, beside the new one, for WEBHOOK_SECRET_OVERLAP_MS, so the partner can
 * deploy the new one without refusing a delivery; rotating again within that time drops it
 * (the secret being replaced becomes the previous one). A client secret exists only for
 * client_secret_basic apps; a webhook secret only with a webhook URL.
 */
export async function rotatePartnerSecret(
  db: Queryable,
  id: string,
  kind: SecretKind,
  now: Date,
): Promise<{ ok: true; app: PartnerApp; secrets: IssuedSecrets } | Refusal> {
  const app = await findApp(db, id);
  if (!app) return { ok: false, code: 'partner_app_not_found', detail: `no partner app ${id}` };
  if (kind === 'client_secret') {
    if (app.token_endpoint_auth_method !== 'client_secret_basic') {
      return { ok: false, code: 'secret_not_applicable', detail: 'a private_key_jwt app has no client secret: update its jwks instead', field: 'kind' };
    }
    const secret = newClientSecret();
    const updated = await updateApp(db, id, { client_secret_hash: secret.hash }, now);
    return { ok: true, app: updated!, secrets: { client_secret: secret.secret } };
  }
  const no_webhook: Refusal = { ok: false, code: 'secret_not_applicable', detail: 'the app has no webhook URL', field: 'kind' };
  if (!app.webhook_url) return no_webhook;
  const webhook_secret = newWebhookSecret();
  const updated = await rotateWebhookSecret(db, id, webhook_secret, new Date(now.getTime() + WEBHOOK_SECRET_OVERLAP_MS), now);
  // The webhook may have been removed since findApp.
  if (!updated) return no_webhook;
  return { ok: true, app: updated, secrets: { webhook_secret } };
}

/** The app as the admin API and CLI show it: never a secret or a hash. */
export function appJson(app: PartnerApp) {
  return {
    client_id: app.id,
    name: app.name,
    mode: app.mode,
    status: app.status,
    redirect_uris: app.redirect_uris,
    allowed_scopes: app.allowed_scopes,
    token_endpoint_auth_method: app.token_endpoint_auth_method,
    jwks: app.jwks,
    webhook_url: app.webhook_url,
    dpop_bound_access_tokens: app.dpop_bound_access_tokens,
    has_client_secret: app.client_secret_hash !== null,
    has_webhook_secret: app.webhook_secret !== null,
    // When the rotated-out webhook secret stops (or stopped) signing deliveries; the secret itself is never shown.
    webhook_secret_previous_expires_at: app.webhook_secret_previous_until?.toISOString() ?? null,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

/** SQL for `partner_apps`. Nothing else reads or writes that table. */
import type { Queryable } from '../db/port.js';
import type { PartnerApp } from './apps.js';

const APP_COLUMNS = `id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, jwks,
  client_secret_hash, webhook_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until,
  dpop_bound_access_tokens, status, created_at, updated_at`;

type AppRow = Omit<PartnerApp, 'webhook_secret_previous_until' | 'created_at' | 'updated_at'> & {
  webhook_secret_previous_until: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
};

function toApp(row: AppRow): PartnerApp {
  const until = row.webhook_secret_previous_until;
  return { ...row, webhook_secret_previous_until: until === null ? null : new Date(until), created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) };
}

/** The app with this client_id, whatever its status (callers check `status`). */
export async function findApp(db: Queryable, client_id: string): Promise<PartnerApp | undefined> {
  const { rows } = await db.query<AppRow>(`SELECT ${APP_COLUMNS} FROM partner_apps WHERE id = $1`, [client_id]);
  return rows[0] ? toApp(rows[0]) : undefined;
}

/** Inserts a new app; false if the id is taken (ids are random, so only a retry or a bug gets here). */
export async function insertApp(
  db: Queryable,
  app: Omit<PartnerApp, 'webhook_secret_previous' | 'webhook_secret_previous_until' | 'status' | 'created_at' | 'updated_at'>,
  now: Date,
): Promise<PartnerApp | undefined> {
  const { rows } = await db.query<AppRow>(
    `INSERT INTO partner_apps (id, name, mode, redirect_uris, allowed_scopes, token_endpoint_auth_method, jwks,
                               client_secret_hash, webhook_url, webhook_secret, dpop_bound_access_tokens, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, 'active', $11, $11)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${APP_COLUMNS}`,
    [app.id, app.name, app.mode, app.redirect_uris, app.allowed_scopes, app.token_endpoint_auth_method,
      app.jwks === null ? null : JSON.stringify(app.jwks), app.client_secret_hash, app.webhook_url, app.webhook_secret, now,
      app.dpop_bound_access_tokens],
  );
  return rows[0] ? toApp(rows[0]) : undefined;
}

export const APP_PAGE_MAX = 200;

/** Apps by id (the client_id), keyset-paginated. */
export async function listApps(db: Queryable, after: string | undefined, limit: number): Promise<PartnerApp[]> {
  const { rows } = await db.query<AppRow>(
    `SELECT ${APP_COLUMNS} FROM partner_apps WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [after ?? null, Math.min(Math.max(1, limit), APP_PAGE_MAX + 1)],
  );
  return rows.map(toApp);
}

export interface AppChanges {
  name?: string;
  redirect_uris?: string[];
  allowed_scopes?: string[];
  jwks?: { keys: unknown[] } | null;
  webhook_url?: string | null;
  webhook_secret?: string | null;
  /** Only cleared here (with its expiry); rotateWebhookSecret alone sets it. */
  webhook_secret_previous?: null;
  client_secret_hash?: string | null;
  dpop_bound_access_tokens?: boolean;
  status?: 'active' | 'disabled';
}

/** Applies the given changes (absent fields stay); undefined if there is no such app. */
export async function updateApp(db: Queryable, id: string, changes: AppChanges, now: Date): Promise<PartnerApp | undefined> {
  const has = (k: keyof AppChanges) => Object.prototype.hasOwnProperty.call(changes, k) && changes[k] !== undefined;
  const { rows } = await db.query<AppRow>(
    `UPDATE partner_apps SET
        name = CASE WHEN $2 THEN $3 ELSE name END,
        redirect_uris = CASE WHEN $4 THEN $5::text[] ELSE redirect_uris END,
        allowed_scopes = CASE WHEN $6 THEN $7::text[] ELSE allowed_scopes END,
        jwks = CASE WHEN $8 THEN $9::jsonb ELSE jwks END,
        webhook_url = CASE WHEN $10 THEN $11 ELSE webhook_url END,
        webhook_secret = CASE WHEN $12 THEN $13 ELSE webhook_secret END,
        client_secret_hash = CASE WHEN $14 THEN $15 ELSE client_secret_hash END,
        status = CASE WHEN $16 THEN $17 ELSE status END,
        dpop_bound_access_tokens = CASE WHEN $19 THEN $20 ELSE dpop_bound_access_tokens END,
        webhook_secret_previous = CASE WHEN $21 THEN NULL ELSE webhook_secret_previous END,
        webhook_secret_previous_until = CASE WHEN $21 THEN NULL ELSE webhook_secret_previous_until END,
        updated_at = $18
      WHERE id = $1
      RETURNING ${APP_COLUMNS}`,
    [
      id,
      has('name'), changes.name ?? null,
      has('redirect_uris'), changes.redirect_uris ?? null,
      has('allowed_scopes'), changes.allowed_scopes ?? null,
      'jwks' in changes, changes.jwks ? JSON.stringify(changes.jwks) : null,
      'webhook_url' in changes, changes.webhook_url ?? null,
      'webhook_secret' in changes, changes.webhook_secret ?? null,
      'client_secret_hash' in changes, changes.client_secret_hash ?? null,
      has('status'), changes.status ?? null,
      now,
      has('dpop_bound_access_tokens'), changes.dpop_bound_access_tokens ?? null,
      'webhook_secret_previous' in changes,
    ],
  );
  return rows[0] ? toApp(rows[0]) : undefined;
}

/**
 * Makes `webhook_secret` the app's webhook secret and keeps the one it replaces live until
 * `previous_until` (a previous one before it is dropped: two live secrets at most). One
 * statement reading the row it changes, so two rotations at once cannot both keep the same old
 * secret: the later one keeps the earlier one's. undefined if the app has no webhook URL (or
 * does not exist).
 */
export async function rotateWebhookSecret(db: Queryable, id: string, webhook_secret: string, previous_until: Date, now: Date): Promise<PartnerApp | undefined> {
  const { rows } = await db.query<AppRow>(
    `UPDATE partner_apps SET
        webhook_secret_previous = webhook_secret,
        webhook_secret_previous_until = CASE WHEN webhook_secret IS NULL THEN NULL ELSE $3::timestamptz END,
        webhook_secret = $2,
        updated_at = $4
      WHERE id = $1 AND webhook_url IS NOT NULL
      RETURNING ${APP_COLUMNS}`,
    [id, webhook_secret, previous_until, now],
  );
  return rows[0] ? toApp(rows[0]) : undefined;
}

/**
 * SQL for `consents`. Nothing else reads or writes that table. State changes go through a
 * guarded UPDATE (… WHERE status = 'awaiting_authorisation' …) inside a transaction that
 * also appends the outbox event, so two racing callers cannot both win and no event is
 * written for a change that did not commit.
 */
import type { Db, Queryable } from '../db/port.js';
import { appendEvent } from '../events/outbox.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { findApp } from './apps-store.js';
import {
  checkAuthorisation,
  checkRevocation,
  effectiveStatus,
  type Consent,
  type RevokedBy,
  type ValidConsentRequest,
} from './consents.js';
import { findCustomer, listCustomerAccounts } from './customers-store.js';

const CONSENT_COLUMNS = `id::text AS id, client_id, kind, status, permissions, customer_id, account_ids::text[] AS account_ids,
  currency, amount_limit_minor, amount_used_minor, per_payment_max_minor, creditor_account_id::text AS creditor_account_id,
  expires_at, created_at, authorised_at, revoked_at, revoked_by`;

type Row = Omit<Consent, 'expires_at' | 'created_at' | 'authorised_at' | 'revoked_at'> & {
  expires_at: Date | string;
  created_at: Date | string;
  authorised_at: Date | string | null;
  revoked_at: Date | string | null;
};

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v === null ? null : date(v));

function toConsent(row: Row, now: Date): Consent {
  const consent: Consent = {
    ...row,
    expires_at: date(row.expires_at),
    created_at: date(row.created_at),
    authorised_at: dateOrNull(row.authorised_at),
    revoked_at: dateOrNull(row.revoked_at),
  };
  consent.status = effectiveStatus(consent, now);
  return consent;
}

/** Runs `fn` in a transaction, or directly on `db` when the caller already holds one. */
export function inTransaction<T>(db: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return 'transaction' in db ? (db as Db).transaction(fn) : fn(db);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The consent (status as read at `now`: past expires_at it is `expired`), or undefined. */
export async function getConsent(db: Queryable, id: string, now: Date = new Date()): Promise<Consent | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await db.query<Row>(`SELECT ${CONSENT_COLUMNS} FROM consents WHERE id = $1`, [id]);
  return rows[0] ? toConsent(rows[0], now) : undefined;
}

async function lockConsent(tx: Queryable, id: string, now: Date): Promise<Consent | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await tx.query<Row>(`SELECT ${CONSENT_COLUMNS} FROM consents WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toConsent(rows[0], now) : undefined;
}

/** Stores a new consent awaiting the customer. Same id again: the stored one if it matches, else a conflict. */
export async function createConsent(
  db: Queryable,
  input: { id: string; client_id: string; value: ValidConsentRequest; now: Date },
): Promise<{ ok: true; consent: Consent; created: boolean } | { ok: false; code: string; detail: string }> {
  const v = input.value;
  const { rows } = await db.query<Row>(
    `INSERT INTO consents (id, client_id, kind, status, permissions, currency, amount_limit_minor, per_payment_max_minor,
                           creditor_account_id, expires_at, created_at)
     VALUES ($1, $2, $3, 'awaiting_authorisation', $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${CONSENT_COLUMNS}`,
    [input.id, input.client_id, v.kind, v.permissions, v.currency, v.amount_limit_minor, v.per_payment_max_minor,
      v.creditor_account_id, v.expires_at, input.now],
  );
  if (rows[0]) return { ok: true, consent: toConsent(rows[0], input.now), created: true };
  const existing = await getConsent(db, input.id, input.now);
  const same =
    existing &&
    existing.client_id === input.client_id &&
    existing.kind === v.kind &&
    existing.permissions.join(',') === v.permissions.join(',') &&
    existing.expires_at.getTime() === v.expires_at.getTime() &&
    existing.currency === v.currency &&
    existing.amount_limit_minor === v.amount_limit_minor &&
    existing.per_payment_max_minor === v.per_payment_max_minor &&
    existing.creditor_account_id === (v.creditor_account_id?.toLowerCase() ?? null);
  if (!same) return { ok: false, code: 'consent_exists_with_different_fields', detail: 'a consent with this id exists with other fields' };
  return { ok: true, consent: existing, created: false };
}

export type ConsentResult = { ok: true; consent: Consent } | { ok: false; code: string; detail: string; field?: string };

/**
 * The customer approves the consent for the accounts they chose. Checks: awaiting and
 * unexpired, the app's own consent, the app active, customer and app of the same mode
 * (sandbox/live), the accounts the customer's; a payment consent names exactly one debtor
 * account in its currency. Appends `openbanking.consent.authorised`.
 */
export async function authoriseConsent(
  db: Queryable,
  input: { id: string; client_id: string; customer_id: string; account_ids: string[]; now: Date },
): Promise<ConsentResult> {
  forgetConsent(input.id);
  return inTransaction(db, async (tx) => {
    const consent = await lockConsent(tx, input.id, input.now);
    if (!consent || consent.client_id !== input.client_id) return { ok: false, code: 'consent_not_found', detail: 'no such consent for this client' };
    const app = await findApp(tx, input.client_id);
    if (!app || app.status !== 'active') return { ok: false, code: 'partner_app_disabled', detail: 'the partner app is disabled' };
    const customer = await findCustomer(tx, input.customer_id);
    if (!customer) return { ok: false, code: 'customer_not_found', detail: 'no such customer' };
    const owned = await listCustomerAccounts(tx, input.customer_id);
    const checked = checkAuthorisation(
      consent,
      { client_id: input.client_id, customer_mode: customer.mode, customer_status: customer.status, app_mode: app.mode, account_ids: input.account_ids, owned },
      input.now,
    );
    if (!checked.ok) return checked;
    const { rows } = await tx.query<Row>(
      `UPDATE consents SET status = 'authorised', customer_id = $2, account_ids = $3::uuid[], authorised_at = $4
        WHERE id = $1 AND status = 'awaiting_authorisation'
        RETURNING ${CONSENT_COLUMNS}`,
      [input.id, input.customer_id, checked.account_ids, input.now],
    );
    if (!rows[0]) return { ok: false, code: 'consent_not_awaiting_authorisation', detail: 'the consent changed meanwhile' };
    const updated = toConsent(rows[0], input.now);
    await appendEvent(tx, {
      topic: 'openbanking.consent.authorised',
      entity_id: updated.id,
      client_id: updated.client_id,
      payload: eventPayload(updated),
      created_at: input.now,
    });
    return { ok: true, consent: updated };
  });
}

/** The customer declines the consent on the consent page. Appends `openbanking.consent.rejected`. */
export async function rejectConsent(
  db: Queryable,
  input: { id: string; client_id: string; customer_id: string; now: Date },
): Promise<ConsentResult> {
  forgetConsent(input.id);
  return inTransaction(db, async (tx) => {
    const consent = await lockConsent(tx, input.id, input.now);
    if (!consent || consent.client_id !== input.client_id) return { ok: false, code: 'consent_not_found', detail: 'no such consent for this client' };
    if (consent.status === 'expired') return { ok: false, code: 'consent_expired', detail: 'the consent has expired' };
    if (consent.status !== 'awaiting_authorisation') return { ok: false, code: 'consent_not_awaiting_authorisation', detail: `the consent is ${consent.status}` };
    const customer = await findCustomer(tx, input.customer_id);
    if (!customer) return { ok: false, code: 'customer_not_found', detail: 'no such customer' };
    const { rows } = await tx.query<Row>(
      `UPDATE consents SET status = 'rejected', customer_id = $2 WHERE id = $1 AND status = 'awaiting_authorisation'
        RETURNING ${CONSENT_COLUMNS}`,
      [input.id, input.customer_id],
    );
    if (!rows[0]) return { ok: false, code: 'consent_not_awaiting_authorisation', detail: 'the consent changed meanwhile' };
    const updated = toConsent(rows[0], input.now);
    await appendEvent(tx, { topic: 'openbanking.consent.rejected', entity_id: updated.id, client_id: updated.client_id, payload: eventPayload(updated), created_at: input.now });
    return { ok: true, consent: updated };
  });
}

/**
 * Revokes a consent: by the customer (actor_id = customer id, must be the consent's
 * customer), the partner (actor_id = client id, must be the consent's app) or an operator
 * (actor_id = API key id, any consent). Revoking a revoked consent returns it unchanged.
 * Appends `openbanking.consent.revoked`. Tokens under the consent stop working at once:
 * every resource call reads the consent.
 */
export async function revokeConsent(
  db: Queryable,
  input: { id: string; by: RevokedBy; actor_id: string; now: Date },
): Promise<ConsentResult> {
  forgetConsent(input.id);
  return inTransaction(db, async (tx) => {
    const consent = await lockConsent(tx, input.id, input.now);
    const owner = !consent
      ? false
      : input.by === 'customer'
        ? consent.customer_id === input.actor_id
        : input.by === 'partner'
          ? consent.client_id === input.actor_id
          : true;
    if (!consent || !owner) return { ok: false, code: 'consent_not_found', detail: 'no such consent' };
    const checked = checkRevocation(consent, input.now);
    if (!checked.ok) return checked;
    if (checked.already) return { ok: true, consent };
    const { rows } = await tx.query<Row>(
      `UPDATE consents SET status = 'revoked', revoked_at = $2, revoked_by = $3
        WHERE id = $1 AND status IN ('awaiting_authorisation', 'authorised')
        RETURNING ${CONSENT_COLUMNS}`,
      [input.id, input.now, input.by],
    );
    if (!rows[0]) return { ok: false, code: 'consent_not_revocable', detail: 'the consent changed meanwhile' };
    const updated = toConsent(rows[0], input.now);
    await appendEvent(tx, { topic: 'openbanking.consent.revoked', entity_id: updated.id, client_id: updated.client_id, payload: eventPayload(updated), created_at: input.now });
    return { ok: true, consent: updated };
  });
}

/** What a consent event tells its partner: no customer data beyond the consent's own fields. */
function eventPayload(c: Consent): Record<string, unknown> {
  return {
    consent_id: c.id,
    kind: c.kind,
    status: c.status,
    ...(c.authorised_at ? { authorised_at: c.authorised_at.toISOString() } : {}),
    ...(c.revoked_at ? { revoked_at: c.revoked_at.toISOString(), revoked_by: c.revoked_by } : {}),
  };
}

export const CONSENT_PAGE_MAX = 200;
const CURSOR_SHAPE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f-]{36})$/;

/** Newest first, keyset-paginated; filter by customer, by client, or both. */
export async function listConsents(
  db: Queryable,
  input: { customer_id?: string | undefined; client_id?: string | undefined; limit: number; cursor?: string | undefined; now?: Date },
): Promise<{ items: Consent[]; next_cursor: string | null }> {
  const limit = Math.min(Math.max(1, input.limit), CONSENT_PAGE_MAX);
  const after = decodeCursor(input.cursor, CURSOR_SHAPE);
  const { rows } = await db.query<Row>(
    `SELECT ${CONSENT_COLUMNS} FROM consents
      WHERE ($1::text IS NULL OR customer_id = $1)
        AND ($2::text IS NULL OR client_id = $2)
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $5`,
    [input.customer_id ?? null, input.client_id ?? null, after ? new Date(after[0]!) : null, after ? after[1]! : null, limit + 1],
  );
  const now = input.now ?? new Date();
  const items = rows.slice(0, limit).map((r) => toConsent(r, now));
  const last = items[items.length - 1];
  const next_cursor = rows.length > limit && last ? encodeCursor(last.created_at.toISOString(), last.id) : null;
  return { items, next_cursor };
}

/**
 * What every resource call reads, in one query: the consent (status as of `now`) and the
 * mode of its customer, for the sandbox/live check.
 */
/**
 * The access check reads a consent on every customer-token call; the row is kept for
 * CONSENT_ACCESS_CACHE_MS so a burst of calls under one consent costs one read. Every change
 * this process makes to a consent that could wrongly refuse a call (authorise, reject, revoke,
 * a release of reserved money) forgets it at once; a payment's reservation does not, since a
 * used total read low only lets a payment through to the locked re-check, which refuses it
 * exactly. A change made by another node is seen within
 * CONSENT_ACCESS_CACHE_MS (docs/open-banking.md, "Consents"). Payments never rely on the
 * cached figures: the reservation re-checks status, expiry and limit under the row lock.
 */
export const CONSENT_ACCESS_CACHE_MS = 1_000;
const CONSENT_ACCESS_CACHE_MAX = 10_000;
type AccessRow = Row & { customer_mode: 'sandbox' | 'live' | null };
const accessCache = new Map<string, { row: AccessRow; until_ms: number }>();

/** Drops a consent from the access cache (after this process changed it). */
export function forgetConsent(id: string): void {
  accessCache.delete(id.toLowerCase());
}

export async function getConsentForAccess(
  db: Queryable,
  id: string,
  now: Date,
): Promise<{ consent: Consent; customer_mode: 'sandbox' | 'live' | null } | undefined> {
  if (!UUID.test(id)) return undefined;
  const key = id.toLowerCase();
  const hit = accessCache.get(key);
  if (hit && hit.until_ms > performance.now()) {
    const { customer_mode, ...rest } = hit.row;
    return { consent: toConsent(rest as Row, now), customer_mode };
  }
  const { rows } = await db.query<AccessRow>(
    `SELECT c.id::text AS id, c.client_id, c.kind, c.status, c.permissions, c.customer_id, c.account_ids::text[] AS account_ids,
            c.currency, c.amount_limit_minor, c.amount_used_minor, c.per_payment_max_minor, c.creditor_account_id::text AS creditor_account_id,
            c.expires_at, c.created_at, c.authorised_at, c.revoked_at, c.revoked_by, cu.mode AS customer_mode
       FROM consents c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (accessCache.size >= CONSENT_ACCESS_CACHE_MAX) accessCache.clear();
  accessCache.set(key, { row, until_ms: performance.now() + CONSENT_ACCESS_CACHE_MS });
  const { customer_mode, ...rest } = row;
  return { consent: toConsent(rest as Row, now), customer_mode };
}

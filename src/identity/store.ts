/**
 * SQL for identity: WebAuthn flows, passkeys, one-time codes, sessions, sign-in history,
 * and the `phone` column this part added to `customers`. Nothing else writes these tables.
 */
import type { Queryable } from '../db/port.js';

export interface FlowRow {
  id: string;
  kind: 'registration' | 'authentication';
  challenge: string;
  rp_id: string;
  origin: string;
  customer_id: string | null;
  display_name: string | null;
  phone: string | null;
}

export async function insertFlow(db: Queryable, f: FlowRow, now: Date, expires_at: Date): Promise<void> {
  await db.query(
    `INSERT INTO webauthn_flows (id, kind, challenge, rp_id, origin, customer_id, display_name, phone, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [f.id, f.kind, f.challenge, f.rp_id, f.origin, f.customer_id, f.display_name, f.phone, now, expires_at],
  );
}

/** Marks the flow used and returns it — once: a replayed or expired flow returns undefined. */
export async function consumeFlow(db: Queryable, id: string, kind: FlowRow['kind'], now: Date): Promise<FlowRow | undefined> {
  const { rows } = await db.query<FlowRow>(
    `UPDATE webauthn_flows SET used_at = $3
      WHERE id = $1 AND kind = $2 AND used_at IS NULL AND expires_at > $3
      RETURNING id, kind, challenge, rp_id, origin, customer_id, display_name, phone`,
    [id, kind, now],
  );
  return rows[0];
}

/** Expired flows and codes are of no use to anyone; each new flow sweeps a few. */
export async function purgeExpired(db: Queryable, now: Date): Promise<void> {
  const cutoff = new Date(now.getTime() - 24 * 3_600_000);
  await db.query('DELETE FROM webauthn_flows WHERE id IN (SELECT id FROM webauthn_flows WHERE expires_at < $1 LIMIT 100)', [now]);
  await db.query('DELETE FROM otp_dev_inbox WHERE otp_id IN (SELECT otp_id FROM otp_dev_inbox WHERE created_at < $1 LIMIT 100)', [cutoff]);
}

export interface PasskeyRow {
  id: string;
  customer_id: string;
  public_key: string;
  counter: number;
  transports: string[];
}

export async function insertPasskey(
  db: Queryable,
  p: PasskeyRow & { device_type: string; backed_up: boolean },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO passkeys (id, customer_id, public_key, counter, transports, device_type, backed_up, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [p.id, p.customer_id, p.public_key, p.counter, p.transports, p.device_type, p.backed_up, now],
  );
}

export async function findPasskey(db: Queryable, id: string): Promise<PasskeyRow | undefined> {
  const { rows } = await db.query<Omit<PasskeyRow, 'counter'> & { counter: string | number }>(
    'SELECT id, customer_id, public_key, counter, transports FROM passkeys WHERE id = $1',
    [id],
  );
  const row = rows[0];
  return row ? { ...row, counter: Number(row.counter) } : undefined;
}

/** Moves the counter forward only from the value we verified against (a concurrent use of a clone loses). */
export async function advancePasskey(db: Queryable, id: string, from: number, to: number, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    'UPDATE passkeys SET counter = $3, last_used_at = $4 WHERE id = $1 AND counter = $2 RETURNING id',
    [id, from, to, now],
  );
  return rows.length > 0;
}

export async function findCustomerIdByPhone(db: Queryable, phone: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM customers WHERE phone = $1 AND status = 'active'", [phone]);
  return rows[0]?.id;
}

export async function phoneTaken(db: Queryable, phone: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM customers WHERE phone = $1', [phone]);
  return rows.length > 0;
}

/** Sets the phone; false when another customer has it (the unique index decides under races). */
export async function setCustomerPhone(db: Queryable, customer_id: string, phone: string): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE customers SET phone = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM customers WHERE phone = $2 AND id <> $1) RETURNING id`,
    [customer_id, phone],
  );
  return rows.length > 0;
}

export async function customerPhone(db: Queryable, customer_id: string): Promise<string | null> {
  const { rows } = await db.query<{ phone: string | null }>('SELECT phone FROM customers WHERE id = $1', [customer_id]);
  return rows[0]?.phone ?? null;
}

export interface OtpRow {
  id: string;
  phone: string;
  customer_id: string | null;
  purpose: 'sign_in' | 'step_up';
  code_hash: string;
  attempts: number;
  device_id: string | null;
  expires_at: Date;
  consumed_at: Date | null;
}

export async function insertOtp(db: Queryable, o: Omit<OtpRow, 'attempts' | 'consumed_at'> & { ip: string | null }, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO otp_challenges (id, phone, customer_id, purpose, code_hash, device_id, ip, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [o.id, o.phone, o.customer_id, o.purpose, o.code_hash, o.device_id, o.ip, now, o.expires_at],
  );
}

/** otp/start calls in the window for this phone and for this client address. */
export async function recentOtpStarts(db: Queryable, phone: string, ip: string | null, since: Date): Promise<{ phone: number; ip: number }> {
  const { rows } = await db.query<{ by_phone: string | number; by_ip: string | number }>(
    `SELECT (SELECT count(*) FROM otp_challenges WHERE phone = $1 AND created_at > $3 AND purpose = 'sign_in') AS by_phone,
            (SELECT count(*) FROM otp_challenges WHERE ip = $2 AND created_at > $3 AND purpose = 'sign_in') AS by_ip`,
    [phone, ip, since],
  );
  return { phone: Number(rows[0]!.by_phone), ip: Number(rows[0]!.by_ip) };
}

/**
 * Counts one attempt at the code and returns the challenge as it was before it — the
 * increment happens first, so parallel guesses cannot share one attempt.
 */
export async function takeOtpAttempt(db: Queryable, id: string): Promise<OtpRow | undefined> {
  const { rows } = await db.query<OtpRow & { expires_at: Date | string; consumed_at: Date | string | null }>(
    `UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1
     RETURNING id, phone, customer_id, purpose, code_hash, attempts - 1 AS attempts, device_id, expires_at, consumed_at`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { ...row, attempts: Number(row.attempts), expires_at: new Date(row.expires_at), consumed_at: row.consumed_at ? new Date(row.consumed_at) : null };
}

export async function consumeOtp(db: Queryable, id: string, now: Date): Promise<boolean> {
  const { rows } = await db.query('UPDATE otp_challenges SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL RETURNING id', [id, now]);
  return rows.length > 0;
}

export async function putDevInbox(db: Queryable, otp_id: string, phone: string, code: string, now: Date): Promise<void> {
  await db.query('INSERT INTO otp_dev_inbox (otp_id, phone, code, created_at) VALUES ($1, $2, $3, $4)', [otp_id, phone, code, now]);
}

export async function readDevInbox(db: Queryable, phone: string): Promise<{ otp_id: string; code: string; created_at: Date }[]> {
  const { rows } = await db.query<{ otp_id: string; code: string; created_at: Date | string }>(
    'SELECT otp_id::text AS otp_id, code, created_at FROM otp_dev_inbox WHERE phone = $1 ORDER BY created_at DESC LIMIT 10',
    [phone],
  );
  return rows.map((r) => ({ ...r, created_at: new Date(r.created_at) }));
}

export interface SessionRow {
  id: string;
  customer_id: string;
  device_id: string;
  expires_at: Date;
}

export async function insertSession(
  db: Queryable,
  s: SessionRow & { token_hash: string; method: 'passkey' | 'otp' },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO customer_sessions (id, token_hash, customer_id, device_id, method, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [s.id, s.token_hash, s.customer_id, s.device_id, s.method, now, s.expires_at],
  );
}

/** The live session of this token hash, with its customer still active. */
export async function findLiveSession(db: Queryable, token_hash: string, now: Date): Promise<SessionRow | undefined> {
  const { rows } = await db.query<SessionRow & { expires_at: Date | string }>(
    `SELECT s.id::text AS id, s.customer_id, s.device_id, s.expires_at
       FROM customer_sessions s JOIN customers c ON c.id = s.customer_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND c.status = 'active'`,
    [token_hash, now],
  );
  const row = rows[0];
  return row ? { ...row, expires_at: new Date(row.expires_at) } : undefined;
}

export async function revokeSession(db: Queryable, id: string, now: Date): Promise<void> {
  await db.query('UPDATE customer_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now]);
}

export async function insertSignIn(
  db: Queryable,
  s: { id: string; customer_id: string; device_id: string; method: 'passkey' | 'otp'; outcome: 'signed_in' | 'step_up' | 'refused' },
  now: Date,
): Promise<void> {
  await db.query(
    'INSERT INTO customer_sign_ins (id, customer_id, device_id, method, outcome, at) VALUES ($1, $2, $3, $4, $5, $6)',
    [s.id, s.customer_id, s.device_id, s.method, s.outcome, now],
  );
}

/** True when this device's latest sign-in for this customer asked for a step-up that no sign-in completed since. */
export async function stepUpOwed(db: Queryable, customer_id: string, device_id: string): Promise<boolean> {
  const { rows } = await db.query<{ outcome: string }>(
    `SELECT outcome FROM customer_sign_ins
      WHERE customer_id = $1 AND device_id = $2 AND outcome IN ('signed_in', 'step_up')
      ORDER BY at DESC, outcome = 'signed_in' DESC LIMIT 1`,
    [customer_id, device_id],
  );
  return rows[0]?.outcome === 'step_up';
}

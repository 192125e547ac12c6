/** SQL for `staff_members` and `staff_sessions`. Nothing else reads or writes those tables. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/port.js';
import type { Role } from './roles.js';
import type { StaffMember, StaffStatus } from './core.js';

type Row = Record<string, unknown>;

const COLUMNS = 'id::text AS id, email, display_name, role, status, created_at, updated_at';

const toMember = (r: Row): StaffMember => ({
  id: r.id as string,
  email: r.email as string,
  display_name: r.display_name as string,
  role: r.role as Role,
  status: r.status as StaffStatus,
  created_at: new Date(r.created_at as string),
  updated_at: new Date(r.updated_at as string),
});

export const STAFF_PAGE_MAX = 200;

/** Inserts a member; undefined when the email is taken. */
export async function insertStaff(
  db: Queryable,
  m: { email: string; display_name: string; role: Role; password_hash: string },
  now: Date,
): Promise<StaffMember | undefined> {
  const { rows } = await db.query(
    `INSERT INTO staff_members (id, email, display_name, role, password_hash, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)
     ON CONFLICT (email) DO NOTHING
     RETURNING ${COLUMNS}`,
    [randomUUID(), m.email, m.display_name, m.role, m.password_hash, now.toISOString()],
  );
  return rows[0] ? toMember(rows[0]) : undefined;
}

export async function findStaffByEmail(db: Queryable, email: string): Promise<(StaffMember & { password_hash: string }) | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS}, password_hash FROM staff_members WHERE email = $1`, [email]);
  return rows[0] ? { ...toMember(rows[0]), password_hash: rows[0].password_hash as string } : undefined;
}

export async function findStaff(db: Queryable, id: string): Promise<StaffMember | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM staff_members WHERE id = $1`, [id]);
  return rows[0] ? toMember(rows[0]) : undefined;
}

/** Members ordered by email, after `after` (the keyset cursor). */
export async function listStaff(db: Queryable, after: string | undefined, limit: number): Promise<StaffMember[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM staff_members WHERE ($1::text IS NULL OR email > $1) ORDER BY email LIMIT $2`, [after ?? null, limit]);
  return rows.map(toMember);
}

export async function updateStaff(db: Queryable, id: string, change: { role?: Role; status?: StaffStatus }, now: Date): Promise<StaffMember | undefined> {
  const { rows } = await db.query(
    `UPDATE staff_members SET role = COALESCE($2, role), status = COALESCE($3, status), updated_at = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, change.role ?? null, change.status ?? null, now.toISOString()],
  );
  return rows[0] ? toMember(rows[0]) : undefined;
}

/** Sets a new password and ends the member's sessions (a reset often follows a leak); false for an unknown email. */
export async function setStaffPassword(db: Queryable, email: string, password_hash: string, now: Date): Promise<boolean> {
  const { rows } = await db.query('UPDATE staff_members SET password_hash = $2, updated_at = $3 WHERE email = $1 RETURNING id::text AS id', [email, password_hash, now.toISOString()]);
  if (!rows[0]) return false;
  await revokeSessionsOf(db, rows[0].id as string, now);
  return true;
}

export async function insertSession(db: Queryable, s: { token_hash: string; staff_id: string; created_at: Date; expires_at: Date }): Promise<void> {
  await db.query('INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
    s.token_hash,
    s.staff_id,
    s.created_at.toISOString(),
    s.expires_at.toISOString(),
  ]);
}

/** The active member behind a live session, with when the session ends. */
export async function findSessionMember(db: Queryable, token_hash: string, now: Date): Promise<{ member: StaffMember; expires_at: Date } | undefined> {
  const { rows } = await db.query(
    `SELECT m.id::text AS id, m.email, m.display_name, m.role, m.status, m.created_at, m.updated_at, s.expires_at
       FROM staff_sessions s JOIN staff_members m ON m.id = s.staff_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND m.status = 'active'`,
    [token_hash, now.toISOString()],
  );
  return rows[0] ? { member: toMember(rows[0]), expires_at: new Date(rows[0].expires_at as string) } : undefined;
}

export async function revokeSession(db: Queryable, token_hash: string, now: Date): Promise<void> {
  await db.query('UPDATE staff_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE token_hash = $1', [token_hash, now.toISOString()]);
}

/** Ends every session of a member (disabled, or role changed: the next request signs in again). */
export async function revokeSessionsOf(db: Queryable, staff_id: string, now: Date): Promise<void> {
  await db.query('UPDATE staff_sessions SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL', [staff_id, now.toISOString()]);
}

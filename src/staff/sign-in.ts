/**
 * Staff sign-in: email and password, answered the same way for an unknown email, a wrong
 * password and a disabled member (and in about the same time: an unknown email still costs
 * one scrypt). Failures per email are counted from the audit log, so the limit holds
 * across every node sharing the database and survives restarts.
 */
import type { Db } from '../db/port.js';
import { hashPassword, verifyPassword } from '../openbanking/customers.js';
import { appendAudit, countFailedSignIns } from './audit-store.js';
import { SESSION_TTL_MS, SIGN_IN_FAILURES_MAX, SIGN_IN_WINDOW_MS, newSessionToken, normaliseEmail, type StaffMember } from './core.js';
import { findStaffByEmail, insertSession } from './store.js';

export type SignInResult =
  | { ok: true; member: StaffMember; token: string; expires_at: Date }
  | { ok: false; code: 'unauthorized' }
  | { ok: false; code: 'rate_limited'; retry_after_s: number };

/** A real hash of a random password, made once: verifying against it costs what a real check costs. */
let dummyHash: Promise<string> | undefined;
const dummy = () => (dummyHash ??= hashPassword(newSessionToken().token));

export async function signIn(db: Db, input: { email: string; password: string; now: Date; request_id: string }): Promise<SignInResult> {
  const email = normaliseEmail(input.email) ?? input.email.trim().toLowerCase().slice(0, 254);
  const audit = (status_code: number, member?: StaffMember) =>
    appendAudit(db, {
      at: input.now,
      actor_kind: 'staff',
      actor_id: member?.id ?? null,
      actor_email: email,
      role: member?.role ?? null,
      action: 'staff.sign_in',
      method: 'POST',
      route: '/v1/staff/sign-in',
      target_ids: {},
      status_code,
      request_id: input.request_id,
    });

  const failures = await countFailedSignIns(db, email, new Date(input.now.getTime() - SIGN_IN_WINDOW_MS));
  if (failures >= SIGN_IN_FAILURES_MAX) {
    await audit(429);
    return { ok: false, code: 'rate_limited', retry_after_s: Math.ceil(SIGN_IN_WINDOW_MS / 1000) };
  }
  const row = await findStaffByEmail(db, email);
  const matches = await verifyPassword(input.password, row?.password_hash ?? (await dummy()));
  if (!row || !matches || row.status !== 'active') {
    await audit(401, row);
    return { ok: false, code: 'unauthorized' };
  }
  const { password_hash: _hidden, ...member } = row;
  const { token, token_hash } = newSessionToken();
  const expires_at = new Date(input.now.getTime() + SESSION_TTL_MS);
  await insertSession(db, { token_hash, staff_id: member.id, created_at: input.now, expires_at });
  await audit(200, member);
  return { ok: true, member, token, expires_at };
}

/** Adding staff members (HTTP and CLI share it): validate, hash the password, insert. */
import type { Queryable } from '../db/port.js';
import { hashPassword } from '../openbanking/customers.js';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, newPassword, normaliseEmail, type StaffMember } from './core.js';
import type { Role } from './roles.js';
import { insertStaff } from './store.js';

export type AddResult =
  | { ok: true; member: StaffMember; password: string; generated: boolean }
  | { ok: false; code: 'invalid_request' | 'staff_email_taken'; field: string; detail: string };

export async function addStaff(db: Queryable, input: { email: string; display_name: string; role: Role; password?: string }, now: Date): Promise<AddResult> {
  const email = normaliseEmail(input.email);
  if (!email) return { ok: false, code: 'invalid_request', field: 'email', detail: 'not an email address' };
  const display_name = input.display_name.trim();
  if (display_name.length === 0 || display_name.length > 200) return { ok: false, code: 'invalid_request', field: 'display_name', detail: '1 to 200 characters' };
  const password = input.password ?? newPassword();
  if (password.length < PASSWORD_LENGTH_MIN || password.length > PASSWORD_LENGTH_MAX) {
    return { ok: false, code: 'invalid_request', field: 'password', detail: `${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters` };
  }
  const member = await insertStaff(db, { email, display_name, role: input.role, password_hash: await hashPassword(password) }, now);
  if (!member) return { ok: false, code: 'staff_email_taken', field: 'email', detail: `a staff member with email ${email} exists` };
  return { ok: true, member, password, generated: input.password === undefined };
}

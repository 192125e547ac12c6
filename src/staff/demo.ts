/**
 * The demo staff: one member per role, `<role>@demo.capillary.invalid` (a reserved domain,
 * so no real mailbox), sharing one generated password. Idempotent: only missing members
 * are added, and a password is returned only when some were (it is shown once, like the
 * demo API key, and kept beside it in the data dir).
 */
import type { Queryable } from '../db/port.js';
import { newPassword } from './core.js';
import { addStaff } from './members.js';
import { ROLES, type Role } from './roles.js';
import { findStaffByEmail } from './store.js';

export const demoStaffEmail = (role: Role) => `${role}@demo.capillary.invalid`;

const DISPLAY: Record<Role, string> = {
  viewer: 'Demo Viewer',
  operator: 'Demo Operator',
  risk_analyst: 'Demo Risk Analyst',
  credit_officer: 'Demo Credit Officer',
  admin: 'Demo Admin',
};

export async function seedDemoStaff(db: Queryable, now: Date): Promise<{ password: string; emails: string[] } | undefined> {
  const missing: Role[] = [];
  for (const role of ROLES) if (!(await findStaffByEmail(db, demoStaffEmail(role)))) missing.push(role);
  if (missing.length === 0) return undefined;
  const password = newPassword();
  for (const role of missing) {
    const added = await addStaff(db, { email: demoStaffEmail(role), display_name: DISPLAY[role], role, password }, now);
    if (!added.ok) throw new Error(`demo seed: adding ${demoStaffEmail(role)} failed: ${added.code}`);
  }
  return { password, emails: missing.map(demoStaffEmail) };
}

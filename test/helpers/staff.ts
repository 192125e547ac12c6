/** Staff fixtures shared by the staff, audit and dataops tests: add a member directly, sign in over HTTP. */
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { Client } from './http.js';
import { addStaff } from '../../src/staff/members.js';
import type { Role } from '../../src/staff/roles.js';

export const STAFF_PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  id: string;
  email: string;
  token: string;
  client: Client;
}

let n = 0;

/** A new active member of `role` with a fresh email, signed in. */
export async function staffMember(t: TestApp, role: Role, email = `${role}-${process.pid}-${++n}@bank.test`): Promise<SignedIn> {
  const added = await addStaff(t.testDb.db, { email, display_name: `Test ${role}`, role, password: STAFF_PASSWORD }, t.clock.now());
  if (!added.ok) throw new Error(`addStaff: ${added.code}`);
  const res = await new Client(t.base).post('/v1/staff/sign-in', { email, password: STAFF_PASSWORD });
  expect(res.status, res.text).toBe(200);
  return { id: added.member.id, email, token: res.body.token, client: new Client(t.base, res.body.token) };
}

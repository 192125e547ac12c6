/**
 * Staff credentials for the console tests: the demo seed makes one member per role
 * (`<role>@demo.capillary.invalid`) with one shared password, which the harness reads from
 * `capillary seed`'s output.
 */
import type { E2EServer } from './harness.js';

export type StaffRole = 'viewer' | 'operator' | 'risk_analyst' | 'credit_officer' | 'admin';

export function staffLogin(server: E2EServer, role: StaffRole): { email: string; password: string } {
  return { email: `${role}@demo.capillary.invalid`, password: server.demo_staff_password };
}

/**
 * Staff roles and the API scopes each holds. A staff token is checked by the same scope
 * test as an API key (grants() in src/auth/core.ts), so every route is enforced by role
 * without code of its own.
 */
import type { Scope } from '../auth/core.js';

export const ROLES = ['viewer', 'operator', 'risk_analyst', 'credit_officer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Every `*:read` scope: what anyone on the staff may see. */
const VIEWER: readonly Scope[] = ['ledger:read', 'envelopes:read', 'risk:read', 'lending:read', 'metrics:read'];

export const ROLE_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  viewer: VIEWER,
  operator: [...VIEWER, 'ledger:write', 'ledger:freeze', 'envelopes:write', 'openbanking:admin'],
  risk_analyst: [...VIEWER, 'risk:decide', 'risk:cases', 'risk:admin'],
  credit_officer: [...VIEWER, 'lending:apply', 'lending:repay', 'lending:admin'],
  admin: ['admin'],
};

export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  viewer: 'reads everything (accounts, transfers, envelopes, risk, lending, dashboards); changes nothing',
  operator: 'viewer, plus transfers, freezing and unfreezing accounts, red envelopes, customers, partner apps and consents',
  risk_analyst: 'viewer, plus risk decisions, review cases, rule sets, lists, models and transfer policies',
  credit_officer: 'viewer, plus loan applications, repayments, loan products, reviews, restructures and write-offs',
  admin: 'everything, including staff members, API keys, closing accounts and the audit log',
};

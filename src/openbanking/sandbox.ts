/**
 * Sandbox mode: what a sandbox partner app sees and can trigger.
 *  - A sandbox app sees only sandbox customers and the accounts linked to them (checked when
 *    a consent is authorised and on every call), and may move money only between such
 *    accounts.
 *  - Magic amounts: a sandbox payment of one of these exact amounts (amount_minor) fails the
 *    documented way without touching the ledger, so a partner can test its error handling.
 *    Live apps have no magic amounts.
 *  - Seeded test customers (src/cli/seed.ts, `seedSandbox`) with documented passwords and funded accounts.
 */
import type { AppMode } from './principal.js';

export type MagicOutcome =
  /** The payment is stored as rejected with this code, the reservation released, the event sent; 422. */
  | { kind: 'reject'; code: 'exceeds_credits' | 'risk_blocked' | 'account_frozen' }
  /** 503 unavailable with Retry-After: 1; nothing is stored (a retry with the same id runs again). */
  | { kind: 'unavailable' };

export const SANDBOX_MAGIC_AMOUNTS: Readonly<Record<string, MagicOutcome>> = {
  '666': { kind: 'reject', code: 'exceeds_credits' },
  '999': { kind: 'reject', code: 'risk_blocked' },
  '409': { kind: 'reject', code: 'account_frozen' },
  '503': { kind: 'unavailable' },
};

export function magicOutcome(mode: AppMode, amount_minor: bigint): MagicOutcome | undefined {
  return mode === 'sandbox' ? SANDBOX_MAGIC_AMOUNTS[amount_minor.toString()] : undefined;
}

/** The sandbox test customers the seed creates (passwords are public: sandbox only). */
export const SANDBOX_CUSTOMERS = [
  {
    id: 'sandbox-alice',
    display_name: 'Alice Sandbox',
    password: 'sandbox-alice-pass',
    accounts: [
      { id: '0193b000-0000-7000-8000-00000000a001', currency: 'CNY', nickname: 'Alice current account', funded_minor: 1_000_000n },
      { id: '0193b000-0000-7000-8000-00000000a002', currency: 'CNY', nickname: 'Alice savings', funded_minor: 5_000_000n },
    ],
  },
  {
    id: 'sandbox-bob',
    display_name: 'Bob Sandbox',
    password: 'sandbox-bob-pass',
    accounts: [{ id: '0193b000-0000-7000-8000-00000000b001', currency: 'CNY', nickname: 'Bob current account', funded_minor: 20_000n }],
  },
  {
    id: 'sandbox-carol',
    display_name: 'Carol Sandbox (empty account)',
    password: 'sandbox-carol-pass',
    accounts: [{ id: '0193b000-0000-7000-8000-00000000c001', currency: 'CNY', nickname: 'Carol current account', funded_minor: 0n }],
  },
  {
    id: 'sandbox-shop',
    display_name: 'Sandbox Shop (a merchant to pay)',
    password: 'sandbox-shop-pass',
    accounts: [{ id: '0193b000-0000-7000-8000-00000000d001', currency: 'CNY', nickname: 'Shop takings', funded_minor: 0n }],
  },
] as const;

/** The sandbox's own funding account (linked to no customer: the seed's deposits come from it). */
export const SANDBOX_FUNDING_ACCOUNT_ID = '0193b000-0000-7000-8000-00000000f001';

/** Ledger vocabulary shared by core, store and http. Money is bigint minor units throughout. */

export type AccountId = string & { readonly __brand: 'AccountId' };
export type TransferId = string & { readonly __brand: 'TransferId' };

export const MAX_AMOUNT = 9223372036854775807n; // int8 max: balances and amounts never exceed it
export const BATCH_SIZE_MAX = 8189;
export const METADATA_BYTES_MAX = 4096;
export const TIMEOUT_SECONDS_MAX = 31_536_000; // one year
export const CODE_MAX = 65535;

export const AccountFlags = {
  debits_must_not_exceed_credits: 1 << 0,
  credits_must_not_exceed_debits: 1 << 1,
  history: 1 << 2,
} as const;
export type AccountFlagName = keyof typeof AccountFlags;

export const TransferFlags = {
  linked: 1 << 0,
  pending: 1 << 1,
  post_pending: 1 << 2,
  void_pending: 1 << 3,
  balancing_debit: 1 << 4,
  balancing_credit: 1 << 5,
} as const;
export type TransferFlagName = keyof typeof TransferFlags;

export type AccountStatus = 'open' | 'frozen' | 'closed';
export type PendingState = 'pending' | 'posted' | 'voided' | 'expired';

export interface Balances {
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
}

/** What the write path needs of an account: the core reads only these. */
export interface AccountState extends Balances {
  id: AccountId;
  currency: string;
  code: number;
  flags: number;
  status: AccountStatus;
}

export interface Account extends AccountState {
  metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

export interface AccountInput {
  id: AccountId;
  currency: string;
  code: number;
  flags: number;
  metadata?: Record<string, unknown> | null;
}

/** What a client asks for. Conditional requirements (post needs pending_id, …) are checked by core. */
export interface TransferInput {
  id: TransferId;
  debit_account_id?: AccountId | undefined;
  credit_account_id?: AccountId | undefined;
  amount?: bigint | undefined;
  pending_id?: TransferId | undefined;
  code?: number | undefined;
  flags: number;
  timeout_seconds?: number | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}

/** A committed transfer. Never changed once written. */
export interface Transfer {
  seq?: bigint;
  id: TransferId;
  debit_account_id: AccountId;
  credit_account_id: AccountId;
  amount: bigint;
  currency: string;
  pending_id: TransferId | null;
  code: number;
  flags: number;
  timeout_seconds: number | null;
  expires_at: Date | null;
  metadata: Record<string, unknown> | null;
  fingerprint: string;
  created_at: Date;
}

/** A pending transfer together with its current state (derived, kept in step by the writer). */
export interface PendingRecord {
  transfer: Transfer;
  state: PendingState;
  expires_at: Date | null;
  resolved_by: TransferId | null;
  resolved_at: Date | null;
}

export const TRANSFER_ERROR_CODES = [
  'linked_event_failed',
  'linked_event_chain_open',
  'flags_are_mutually_exclusive',
  'flags_unknown',
  'code_out_of_range',
  'timeout_out_of_range',
  'debit_account_id_required',
  'credit_account_id_required',
  'amount_required',
  'amount_must_be_positive',
  'code_required',
  'accounts_must_be_different',
  'pending_id_required',
  'pending_id_must_be_blank',
  'pending_id_must_be_different',
  'timeout_reserved_for_pending_transfer',
  'account_not_found',
  'currency_mismatch',
  'account_frozen',
  'account_closed',
  'exceeds_credits',
  'exceeds_debits',
  'overflows_debits',
  'overflows_credits',
  'pending_transfer_not_found',
  'pending_transfer_not_pending',
  'pending_transfer_has_different_accounts',
  'pending_transfer_has_different_code',
  'pending_transfer_already_posted',
  'pending_transfer_already_voided',
  'pending_transfer_expired',
  'amount_exceeds_pending',
  'amount_must_equal_pending',
  'exists_with_different_fields',
] as const;
export type TransferErrorCode = (typeof TRANSFER_ERROR_CODES)[number];

export type TransferResult =
  | { ok: true; transfer: Transfer; replayed: boolean }
  | { ok: false; code: TransferErrorCode; field?: string };

/** A transfer result through the gate: the core's results, or refused by the risk engine before it reached the core. */
export type GatedTransferResult = TransferResult | { ok: false; code: 'risk_blocked'; field?: string };

export const ACCOUNT_ERROR_CODES = ['unknown_currency', 'flags_are_mutually_exclusive', 'exists_with_different_fields'] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

export type AccountResult =
  | { ok: true; account: Account; replayed: boolean }
  | { ok: false; code: AccountErrorCode; field?: string };

export function hasFlag(flags: number, flag: number): boolean {
  return (flags & flag) !== 0;
}

export function flagsToNames<T extends Record<string, number>>(table: T, flags: number): Record<keyof T, boolean> {
  const out = {} as Record<keyof T, boolean>;
  for (const [name, bit] of Object.entries(table)) out[name as keyof T] = (flags & bit) !== 0;
  return out;
}

export function namesToFlags<T extends Record<string, number>>(table: T, names: Partial<Record<keyof T, boolean>> | undefined): number {
  let flags = 0;
  if (!names) return 0;
  for (const [name, on] of Object.entries(names)) if (on) flags |= table[name as keyof T] ?? 0;
  return flags;
}

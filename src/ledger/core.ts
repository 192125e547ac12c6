/**
 * The ledger's pure core: applies a batch of transfer requests, in order, to in-memory
 * copies of the accounts the writer has locked. No I/O and no clock: `now` is an argument.
 * The writer persists exactly what this returns; the property tests compare it with a
 * simple reference model.
 */
import { canonicalJson, digest, fingerprint } from './fingerprint.js';
import {
  AccountFlags,
  CODE_MAX,
  MAX_AMOUNT,
  TIMEOUT_SECONDS_MAX,
  TransferFlags,
  hasFlag,
  type Account,
  type AccountId,
  type AccountInput,
  type AccountState,
  type AccountResult,
  type Balances,
  type PendingRecord,
  type Transfer,
  type TransferErrorCode,
  type TransferId,
  type TransferInput,
  type TransferResult,
} from './types.js';
import { isKnownCurrency } from './currencies.js';

/** What the writer loaded under lock; mutated in place as the batch applies. */
export interface LedgerView {
  accounts: Map<string, AccountState>;
  /** Transfers whose ids the batch names (as `id` or `pending_id`), plus those created so far. */
  transfers: Map<string, Transfer>;
  /** Pending transfers the batch references, with their state, plus those created so far. */
  pendings: Map<string, PendingRecord>;
}

export interface HistoryEntry extends Balances {
  account_id: AccountId;
  transfer_id: TransferId;
  created_at: Date;
}

/** Everything the writer must persist for a batch. */
export interface BatchEffects {
  created: Transfer[];
  /** Final state of every pending transfer created or resolved in the batch. */
  pending_changes: Map<string, PendingRecord>;
  history: HistoryEntry[];
  touched_accounts: Set<string>;
}

export function emptyEffects(): BatchEffects {
  return { created: [], pending_changes: new Map(), history: [], touched_accounts: new Set() };
}

type Failure = { ok: false; code: TransferErrorCode; field?: string };
const fail = (code: TransferErrorCode, field?: string): Failure => (field ? { ok: false, code, field } : { ok: false, code });

const RESOLVING = TransferFlags.post_pending | TransferFlags.void_pending;
const BALANCING = TransferFlags.balancing_debit | TransferFlags.balancing_credit;
const ALL_TRANSFER_FLAGS = Object.values(TransferFlags).reduce((all, bit) => all | bit, 0);

/**
 * The fields that define a transfer request; their digest decides replay vs conflict.
 * Built as one delimited string (ids are UUIDs, the rest numbers) rather than canonical
 * JSON: this runs for every transfer on the hot path.
 */
export function transferFingerprint(input: TransferInput): string {
  const metadata = input.metadata ? canonicalJson(input.metadata) : '';
  return digest(
    `${input.debit_account_id ?? ''}|${input.credit_account_id ?? ''}|${input.amount ?? ''}|${input.pending_id ?? ''}|` +
      `${input.code ?? ''}|${input.flags}|${input.timeout_seconds ?? ''}|${metadata}`,
  );
}

export function accountFingerprint(input: AccountInput): string {
  return fingerprint({ currency: input.currency, code: input.code, flags: input.flags, metadata: input.metadata ?? null });
}

/** Checks that need no state. Returns a failure or undefined. */
export function validateTransferShape(input: TransferInput): Failure | undefined {
  const flags = input.flags;
  // The HTTP schema rejects these first; in-process callers (CLI, later domains) get the same rules here,
  // so a bad value can never reach the batch's SQL and fail everyone else's transfers with it.
  if (!Number.isInteger(flags) || (flags & ~ALL_TRANSFER_FLAGS) !== 0) return fail('flags_unknown', 'flags');
  if (input.code !== undefined && !(Number.isInteger(input.code) && input.code >= 1 && input.code <= CODE_MAX)) {
    return fail('code_out_of_range', 'code');
  }
  if (
    input.timeout_seconds !== undefined &&
    input.timeout_seconds !== 0 &&
    !(Number.isInteger(input.timeout_seconds) && input.timeout_seconds >= 1 && input.timeout_seconds <= TIMEOUT_SECONDS_MAX)
  ) {
    return fail('timeout_out_of_range', 'timeout_seconds');
  }
  const resolving = flags & RESOLVING;
  if (resolving === RESOLVING) return fail('flags_are_mutually_exclusive', 'flags');
  if (resolving && hasFlag(flags, TransferFlags.pending)) return fail('flags_are_mutually_exclusive', 'flags');
  if (resolving && flags & BALANCING) return fail('flags_are_mutually_exclusive', 'flags');
  if (input.timeout_seconds !== undefined && input.timeout_seconds !== 0 && !hasFlag(flags, TransferFlags.pending)) {
    return fail('timeout_reserved_for_pending_transfer', 'timeout_seconds');
  }
  // The HTTP schema already demands a positive amount; in-process callers get the same rule.
  if (input.amount !== undefined && input.amount <= 0n) return fail('amount_must_be_positive', 'amount');
  if (resolving) {
    if (input.pending_id === undefined) return fail('pending_id_required', 'pending_id');
    if (input.pending_id === input.id) return fail('pending_id_must_be_different', 'pending_id');
    return undefined;
  }
  if (input.pending_id !== undefined) return fail('pending_id_must_be_blank', 'pending_id');
  if (input.debit_account_id === undefined) return fail('debit_account_id_required', 'debit_account_id');
  if (input.credit_account_id === undefined) return fail('credit_account_id_required', 'credit_account_id');
  if (input.amount === undefined) return fail('amount_required', 'amount');
  if (input.code === undefined) return fail('code_required', 'code');
  if (input.debit_account_id === input.credit_account_id) return fail('accounts_must_be_different', 'credit_account_id');
  return undefined;
}

/** Saves what a linked chain changes so a failure part-way can put everything back. */
class ChainUndo {
  private readonly accounts = new Map<string, Balances>();
  private readonly pendings = new Map<string, PendingRecord | undefined>();
  private readonly pendingChanges = new Map<string, PendingRecord | undefined>();
  private readonly createdLength: number;
  private readonly historyLength: number;

  constructor(private readonly view: LedgerView, private readonly effects: BatchEffects) {
    this.createdLength = effects.created.length;
    this.historyLength = effects.history.length;
  }

  saveAccount(account: AccountState): void {
    if (!this.accounts.has(account.id)) this.accounts.set(account.id, balancesOf(account));
  }

  savePending(id: string): void {
    if (!this.pendings.has(id)) {
      this.pendings.set(id, this.view.pendings.get(id));
      this.pendingChanges.set(id, this.effects.pending_changes.get(id));
    }
  }

  rollback(): void {
    for (const [id, balances] of this.accounts) Object.assign(this.view.accounts.get(id)!, balances);
    for (const [id, record] of this.pendings) restore(this.view.pendings, id, record);
    for (const [id, record] of this.pendingChanges) restore(this.effects.pending_changes, id, record);
    for (const transfer of this.effects.created.splice(this.createdLength)) this.view.transfers.delete(transfer.id);
    this.effects.history.length = this.historyLength;
  }
}

function restore<V>(map: Map<string, V>, id: string, value: V | undefined): void {
  if (value === undefined) map.delete(id);
  else map.set(id, value);
}

export function balancesOf(account: Balances): Balances {
  return {
    debits_pending: account.debits_pending,
    debits_posted: account.debits_posted,
    credits_pending: account.credits_pending,
    credits_posted: account.credits_posted,
  };
}

/**
 * Applies one request's transfers in order. Linked chains succeed or fail as a whole: the
 * failing item keeps its own code and every other item of the chain gets `linked_event_failed`.
 */
export function applyTransfers(view: LedgerView, inputs: readonly TransferInput[], now: Date, effects: BatchEffects): TransferResult[] {
  const results: TransferResult[] = new Array(inputs.length);
  let chainStart = -1;
  let chainFailed = false;
  let undo: ChainUndo | undefined;

  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const linked = hasFlag(input.flags, TransferFlags.linked);
    if (chainStart < 0 && linked) {
      chainStart = i;
      chainFailed = false;
      undo = new ChainUndo(view, effects);
    }
    if (chainStart >= 0 && chainFailed) {
      results[i] = fail('linked_event_failed');
    } else if (linked && i === inputs.length - 1) {
      results[i] = fail('linked_event_chain_open', 'flags');
    } else {
      results[i] = applyOne(view, input, now, effects, undo);
    }
    if (chainStart >= 0) {
      if (!results[i]!.ok && !chainFailed) {
        chainFailed = true;
        undo!.rollback();
        for (let j = chainStart; j < i; j++) results[j] = fail('linked_event_failed');
      }
      if (!linked) {
        chainStart = -1;
        undo = undefined;
      }
    }
  }
  for (const result of results) {
    if (result.ok && !result.replayed) {
      effects.touched_accounts.add(result.transfer.debit_account_id);
      effects.touched_accounts.add(result.transfer.credit_account_id);
    }
  }
  return results;
}

function applyOne(view: LedgerView, input: TransferInput, now: Date, effects: BatchEffects, undo: ChainUndo | undefined): TransferResult {
  const print = transferFingerprint(input);
  const existing = view.transfers.get(input.id);
  if (existing) {
    return existing.fingerprint === print ? { ok: true, transfer: existing, replayed: true } : fail('exists_with_different_fields', 'id');
  }
  const shapeProblem = validateTransferShape(input);
  if (shapeProblem) return shapeProblem;
  return input.flags & RESOLVING
    ? applyResolution(view, input, print, now, effects, undo)
    : applyNew(view, input, print, now, effects, undo);
}

function usableForNewMoney(account: AccountState, field: string): Failure | undefined {
  if (account.status === 'closed') return fail('account_closed', field);
  if (account.status === 'frozen') return fail('account_frozen', field);
  return undefined;
}

function applyNew(view: LedgerView, input: TransferInput, print: string, now: Date, effects: BatchEffects, undo: ChainUndo | undefined): TransferResult {
  const debit = view.accounts.get(input.debit_account_id!);
  if (!debit) return fail('account_not_found', 'debit_account_id');
  const credit = view.accounts.get(input.credit_account_id!);
  if (!credit) return fail('account_not_found', 'credit_account_id');
  if (debit.currency !== credit.currency) return fail('currency_mismatch', 'credit_account_id');
  const unusable = usableForNewMoney(debit, 'debit_account_id') ?? usableForNewMoney(credit, 'credit_account_id');
  if (unusable) return unusable;

  let amount = input.amount!;
  if (hasFlag(input.flags, TransferFlags.balancing_debit)) {
    const room = debit.credits_posted - debit.debits_posted - debit.debits_pending;
    if (room <= 0n) return fail('exceeds_credits', 'amount');
    if (room < amount) amount = room;
  }
  if (hasFlag(input.flags, TransferFlags.balancing_credit)) {
    const room = credit.debits_posted - credit.credits_posted - credit.credits_pending;
    if (room <= 0n) return fail('exceeds_debits', 'amount');
    if (room < amount) amount = room;
  }

  const debitTotal = debit.debits_pending + debit.debits_posted + amount;
  const creditTotal = credit.credits_pending + credit.credits_posted + amount;
  if (debitTotal > MAX_AMOUNT) return fail('overflows_debits', 'amount');
  if (creditTotal > MAX_AMOUNT) return fail('overflows_credits', 'amount');
  if (hasFlag(debit.flags, AccountFlags.debits_must_not_exceed_credits) && debitTotal > debit.credits_posted) {
    return fail('exceeds_credits', 'amount');
  }
  if (hasFlag(credit.flags, AccountFlags.credits_must_not_exceed_debits) && creditTotal > credit.debits_posted) {
    return fail('exceeds_debits', 'amount');
  }

  const pending = hasFlag(input.flags, TransferFlags.pending);
  undo?.saveAccount(debit);
  undo?.saveAccount(credit);
  if (pending) {
    debit.debits_pending += amount;
    credit.credits_pending += amount;
  } else {
    debit.debits_posted += amount;
    credit.credits_posted += amount;
  }

  const timeout = pending && input.timeout_seconds ? input.timeout_seconds : null;
  const transfer: Transfer = {
    id: input.id,
    debit_account_id: debit.id,
    credit_account_id: credit.id,
    amount,
    currency: debit.currency,
    pending_id: null,
    code: input.code!,
    flags: input.flags,
    timeout_seconds: timeout,
    expires_at: timeout ? new Date(now.getTime() + timeout * 1000) : null,
    metadata: input.metadata ?? null,
    fingerprint: print,
    created_at: now,
  };
  if (pending) {
    undo?.savePending(transfer.id);
    const record: PendingRecord = { transfer, state: 'pending', expires_at: transfer.expires_at, resolved_by: null, resolved_at: null };
    view.pendings.set(transfer.id, record);
    effects.pending_changes.set(transfer.id, record);
  }
  record(view, effects, transfer, [debit, credit], now);
  return { ok: true, transfer, replayed: false };
}

function applyResolution(view: LedgerView, input: TransferInput, print: string, now: Date, effects: BatchEffects, undo: ChainUndo | undefined): TransferResult {
  const pendingId = input.pending_id!;
  const pending = view.pendings.get(pendingId);
  if (!pending) {
    return fail(view.transfers.has(pendingId) ? 'pending_transfer_not_pending' : 'pending_transfer_not_found', 'pending_id');
  }
  const held = pending.transfer;
  if (input.debit_account_id !== undefined && input.debit_account_id !== held.debit_account_id) {
    return fail('pending_transfer_has_different_accounts', 'debit_account_id');
  }
  if (input.credit_account_id !== undefined && input.credit_account_id !== held.credit_account_id) {
    return fail('pending_transfer_has_different_accounts', 'credit_account_id');
  }
  if (input.code !== undefined && input.code !== held.code) return fail('pending_transfer_has_different_code', 'code');
  if (pending.state === 'posted') return fail('pending_transfer_already_posted', 'pending_id');
  if (pending.state === 'voided') return fail('pending_transfer_already_voided', 'pending_id');
  if (pending.state === 'expired' || (pending.expires_at && pending.expires_at.getTime() <= now.getTime())) {
    return fail('pending_transfer_expired', 'pending_id');
  }

  const debit = view.accounts.get(held.debit_account_id);
  const credit = view.accounts.get(held.credit_account_id);
  if (!debit || !credit) throw new Error(`accounts of pending transfer ${pendingId} were not loaded`);

  const posting = hasFlag(input.flags, TransferFlags.post_pending);
  let amount = held.amount;
  if (posting) {
    if (input.amount !== undefined) {
      if (input.amount > held.amount) return fail('amount_exceeds_pending', 'amount');
      amount = input.amount;
    }
    const unusable = usableForNewMoney(debit, 'debit_account_id') ?? usableForNewMoney(credit, 'credit_account_id');
    if (unusable) return unusable;
  } else if (input.amount !== undefined && input.amount !== held.amount) {
    return fail('amount_must_equal_pending', 'amount');
  }

  undo?.saveAccount(debit);
  undo?.saveAccount(credit);
  debit.debits_pending -= held.amount;
  credit.credits_pending -= held.amount;
  if (posting) {
    debit.debits_posted += amount;
    credit.credits_posted += amount;
  }

  const transfer: Transfer = {
    id: input.id,
    debit_account_id: held.debit_account_id,
    credit_account_id: held.credit_account_id,
    amount,
    currency: held.currency,
    pending_id: pendingId as TransferId,
    code: held.code,
    flags: input.flags,
    timeout_seconds: null,
    expires_at: null,
    metadata: input.metadata ?? null,
    fingerprint: print,
    created_at: now,
  };
  undo?.savePending(pendingId);
  const resolved: PendingRecord = {
    transfer: held,
    state: posting ? 'posted' : 'voided',
    expires_at: pending.expires_at,
    resolved_by: transfer.id,
    resolved_at: now,
  };
  view.pendings.set(pendingId, resolved);
  effects.pending_changes.set(pendingId, resolved);
  record(view, effects, transfer, [debit, credit], now);
  return { ok: true, transfer, replayed: false };
}

function record(view: LedgerView, effects: BatchEffects, transfer: Transfer, accounts: AccountState[], now: Date): void {
  view.transfers.set(transfer.id, transfer);
  effects.created.push(transfer);
  for (const account of accounts) {
    if (hasFlag(account.flags, AccountFlags.history)) {
      effects.history.push({ account_id: account.id, transfer_id: transfer.id, created_at: now, ...balancesOf(account) });
    }
  }
}

/**
 * Releases pending transfers whose timeout has passed. Idempotent: a transfer already
 * resolved, or not yet due, is left alone. Returns the ids actually expired.
 */
export function expirePendings(view: LedgerView, ids: readonly string[], now: Date, effects: BatchEffects): string[] {
  const expired: string[] = [];
  for (const id of ids) {
    const pending = view.pendings.get(id);
    if (!pending || pending.state !== 'pending' || !pending.expires_at || pending.expires_at.getTime() > now.getTime()) continue;
    const held = pending.transfer;
    const debit = view.accounts.get(held.debit_account_id);
    const credit = view.accounts.get(held.credit_account_id);
    if (!debit || !credit) throw new Error(`accounts of pending transfer ${id} were not loaded`);
    debit.debits_pending -= held.amount;
    credit.credits_pending -= held.amount;
    const next: PendingRecord = { ...pending, state: 'expired', resolved_at: now };
    view.pendings.set(id, next);
    effects.pending_changes.set(id, next);
    effects.touched_accounts.add(debit.id);
    effects.touched_accounts.add(credit.id);
    for (const account of [debit, credit]) {
      if (hasFlag(account.flags, AccountFlags.history)) {
        effects.history.push({ account_id: account.id, transfer_id: held.id, created_at: now, ...balancesOf(account) });
      }
    }
    expired.push(id);
  }
  return expired;
}

/** Checks an account request on its own, and against an existing account with the same id. */
export function checkAccount(input: AccountInput, existing: Account | undefined): { ok: true } | { ok: false; code: 'unknown_currency' | 'flags_are_mutually_exclusive' | 'exists_with_different_fields'; field: string } {
  if (existing) {
    return accountFingerprint(existing) === accountFingerprint(input)
      ? { ok: true }
      : { ok: false, code: 'exists_with_different_fields', field: 'id' };
  }
  if (!isKnownCurrency(input.currency)) return { ok: false, code: 'unknown_currency', field: 'currency' };
  const both = AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits;
  if ((input.flags & both) === both) return { ok: false, code: 'flags_are_mutually_exclusive', field: 'flags' };
  return { ok: true };
}

export function newAccount(input: AccountInput, now: Date): Account {
  return {
    id: input.id,
    currency: input.currency,
    code: input.code,
    flags: input.flags,
    metadata: input.metadata ?? null,
    status: 'open',
    debits_pending: 0n,
    debits_posted: 0n,
    credits_pending: 0n,
    credits_posted: 0n,
    created_at: now,
    updated_at: now,
  };
}

export type { AccountResult };

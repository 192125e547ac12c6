/**
 * The ledger's entry points for HTTP and the CLI: one place that ties core, store and
 * writer together so both surfaces behave the same.
 */
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { checkAccount, newAccount } from './core.js';
import { currencyScale } from './currencies.js';
import { buildStatement, type Statement } from './statement.js';
import * as store from './store.js';
import { TransferFlags, hasFlag, type GatedTransferResult, type Account, type AccountInput, type AccountResult, type AccountStatus, type TransferInput, type TransferResult } from './types.js';
import { LedgerWriter, type WriterOptions } from './writer.js';

export type StatusChange = 'freeze' | 'unfreeze' | 'close';

/**
 * A check new transfers pass before they move money (the risk engine, for the transfer
 * codes it is configured for): each one moves, is refused (`risk_blocked`), or is held as a
 * pending transfer until an analyst posts or voids it.
 */
export interface TransferGate {
  screen(inputs: readonly TransferInput[]): Promise<GateVerdict[]>;
}
export type GateVerdict = { kind: 'pass' } | { kind: 'block' } | { kind: 'hold'; timeout_seconds: number };

export interface SubmitOptions {
  /** For the gate's own follow-ups (posting or voiding a held transfer). */
  bypass_gate?: boolean;
}
export type StatusChangeResult =
  | { ok: true; account: Account }
  | { ok: false; code: 'account_not_found' | 'account_closed' | 'account_not_frozen' | 'account_balance_not_zero' };

export class Ledger {
  readonly writer: LedgerWriter;

  constructor(readonly db: Db, readonly clock: Clock, writerOptions: WriterOptions = {}) {
    this.writer = new LedgerWriter(db, clock, writerOptions);
  }

  /** Creates accounts; one result per input, in order. Repeating an id with the same fields is harmless. */
  async createAccounts(inputs: readonly AccountInput[]): Promise<AccountResult[]> {
    const now = this.clock.now();
    const firstById = new Map<string, AccountInput>();
    const candidates: Account[] = [];
    const early: (AccountResult | undefined)[] = inputs.map((input) => {
      const earlier = firstById.get(input.id);
      if (earlier) {
        const same = checkAccount(input, newAccount(earlier, now));
        return same.ok ? undefined : { ok: false, code: same.code, field: same.field };
      }
      const check = checkAccount(input, undefined);
      if (!check.ok) return { ok: false, code: check.code, field: check.field };
      firstById.set(input.id, input);
      candidates.push(newAccount(input, now));
      return undefined;
    });
    const created = await store.insertAccounts(this.db, candidates);
    const stored = await store.getAccounts(this.db, [...firstById.keys()]);
    return inputs.map((input, i): AccountResult => {
      const decided = early[i];
      if (decided) return decided;
      const account = stored.get(input.id);
      if (!account) throw new Error(`account ${input.id} vanished after insert`);
      const fresh = created.has(input.id) && firstById.get(input.id) === input;
      if (fresh) return { ok: true, account, replayed: false };
      const same = checkAccount(input, account);
      return same.ok ? { ok: true, account, replayed: true } : { ok: false, code: same.code, field: same.field };
    });
  }

  getAccount(id: string): Promise<Account | undefined> {
    return store.getAccount(this.db, id);
  }

  private gate: TransferGate | undefined;

  /** Installs the check new transfers pass first (see TransferGate). */
  setGate(gate: TransferGate): void {
    this.gate = gate;
  }

  /** Transfers go through the gate (if any) and then the batched writer. */
  async submitTransfers(inputs: readonly TransferInput[], options: SubmitOptions = {}): Promise<GatedTransferResult[]> {
    if (!this.gate || options.bypass_gate) return this.writer.submit(inputs);
    const verdicts = await this.gate.screen(inputs);
    if (verdicts.every((v) => v.kind === 'pass')) return this.writer.submit(inputs);
    return submitScreened(screenedByVerdicts(inputs, verdicts), (kept) => this.writer.submit(kept));
  }

  /**
   * The gate's answer without submitting: what each transfer becomes (a held one made
   * pending) or why it is refused. For a domain that submits through its own joined work
   * (open-banking payments) and so cannot use submitTransfers.
   */
  async screenTransfers(inputs: readonly TransferInput[]): Promise<ScreenedTransfer[]> {
    if (!this.gate) return inputs.map((input) => ({ ok: true, input }));
    return screenedByVerdicts(inputs, await this.gate.screen(inputs));
  }

  getTransfer(id: string) {
    return store.getTransfer(this.db, id);
  }

  listAccountTransfers(query: store.TransferListQuery) {
    return store.listAccountTransfers(this.db, query);
  }

  balancesAt(accountId: string, at: Date) {
    return store.balancesAt(this.db, accountId, at);
  }

  async statement(account: Account, from: Date, to: Date): Promise<Statement> {
    const opening = await store.postedTotalsBefore(this.db, account.id, from);
    const lines = await store.postedLines(this.db, account.id, from, to, store.STATEMENT_LINES_MAX + 1);
    const truncated = lines.length > store.STATEMENT_LINES_MAX;
    return buildStatement({
      account_id: account.id,
      currency: account.currency,
      from,
      to,
      opening,
      lines: truncated ? lines.slice(0, store.STATEMENT_LINES_MAX) : lines,
      truncated,
    });
  }

  scaleOf(currency: string): number {
    return currencyScale(currency) ?? 0;
  }

  /**
   * Freeze stops new money moving in or out; close is final and needs a zero posted balance.
   * Pending transfers on a frozen or closed account may still be voided (or expire).
   * The row lock orders this with the writer's batches.
   */
  async changeStatus(id: string, change: StatusChange): Promise<StatusChangeResult> {
    return this.db.transaction(async (tx) => {
      if (!(await store.lockAccounts(tx, [id])).has(id)) return { ok: false, code: 'account_not_found' };
      const account = (await store.getAccount(tx, id))!;
      if (account.status === 'closed') return { ok: false, code: 'account_closed' };
      let next: AccountStatus;
      if (change === 'freeze') next = 'frozen';
      else if (change === 'unfreeze') {
        if (account.status !== 'frozen') return { ok: false, code: 'account_not_frozen' };
        next = 'open';
      } else {
        if (account.debits_posted !== account.credits_posted) return { ok: false, code: 'account_balance_not_zero' };
        next = 'closed';
      }
      const now = this.clock.now();
      await store.setAccountStatus(tx, id, next, now);
      return { ok: true, account: { ...account, status: next, updated_at: now } };
    });
  }

  /** One pass of the expiry sweep; returns how many pending transfers it released. */
  async expireDuePendings(limit = 8189): Promise<number> {
    const due = await store.duePendingIds(this.db, this.clock.now(), limit);
    if (due.length === 0) return 0;
    return (await this.writer.expire(due)).length;
  }

  checkInvariants() {
    return store.checkInvariants(this.db);
  }

  stop(): Promise<void> {
    return this.writer.stop();
  }
}

/** A transfer past the gate: what to submit (a held one made pending), or refused before the core. */
export type ScreenedTransfer = { ok: true; input: TransferInput } | { ok: false; code: 'risk_blocked' | 'linked_event_failed' };

/**
 * Refuses blocked transfers and turns held ones into pending transfers. A linked chain is
 * all or nothing: if any of its transfers is blocked or held, the whole chain is refused
 * (the flagged one with `risk_blocked`, the rest with `linked_event_failed`), because a
 * chain cannot be partly held.
 */
function screenedByVerdicts(inputs: readonly TransferInput[], verdicts: readonly GateVerdict[]): ScreenedTransfer[] {
  const screened: ScreenedTransfer[] = new Array(inputs.length);
  for (let start = 0; start < inputs.length; ) {
    let end = start;
    while (end < inputs.length - 1 && hasFlag(inputs[end]!.flags, TransferFlags.linked)) end++;
    const chain = end > start;
    const flagged = verdicts.slice(start, end + 1).some((v) => v.kind !== 'pass');
    for (let i = start; i <= end; i++) {
      const verdict = verdicts[i]!;
      const input = inputs[i]!;
      if (chain && flagged) screened[i] = { ok: false, code: verdict.kind === 'pass' ? 'linked_event_failed' : 'risk_blocked' };
      else if (verdict.kind === 'block') screened[i] = { ok: false, code: 'risk_blocked' };
      else if (verdict.kind === 'hold') screened[i] = { ok: true, input: { ...input, flags: input.flags | TransferFlags.pending, timeout_seconds: verdict.timeout_seconds } };
      else screened[i] = { ok: true, input };
    }
    start = end + 1;
  }
  return screened;
}

/** Submits the screened transfers that may move and answers every one, in order. */
async function submitScreened(
  screened: readonly ScreenedTransfer[],
  submit: (kept: TransferInput[]) => Promise<TransferResult[]>,
): Promise<GatedTransferResult[]> {
  const kept = screened.flatMap((s, index) => (s.ok ? [{ index, input: s.input }] : []));
  const submitted = kept.length > 0 ? await submit(kept.map((k) => k.input)) : [];
  const results = screened.map((s): GatedTransferResult | undefined => (s.ok ? undefined : { ok: false, code: s.code }));
  kept.forEach((k, j) => (results[k.index] = submitted[j]));
  return results as GatedTransferResult[];
}

/**
 * The ledger's transfer gate, backed by the risk engine: new transfers whose `code` has an
 * enabled policy are decided as `payment` events before they move money. `block` refuses
 * the transfer (`risk_blocked`); `review` holds it as a pending transfer (timeout from the
 * policy) and opens a case that names it; `allow` and `step_up` let it through (a step-up
 * is for interactive channels, which ask the customer before they submit).
 *
 * The decision's id is the transfer's id, so a retried transfer gets the same verdict. A
 * held transfer can only be posted through its case (an analyst's approval): a client's own
 * post of it is refused with `risk_blocked`. In a linked chain, a review refuses the chain
 * (a chain cannot be partly held) and opens no case.
 * The event reads the transfer's metadata for what the ledger does not know: customer_id
 * (default: the debit account), device_id, ip, channel, currency.
 */
import type { GateVerdict, TransferGate } from '../ledger/service.js';
import { TransferFlags, hasFlag, type TransferInput } from '../ledger/types.js';
import type { Risk } from './service.js';
import * as store from './store.js';
import type { RiskEvent } from './types.js';

export const POLICY_RELOAD_MS = 5_000;

const text = (metadata: Record<string, unknown> | null | undefined, key: string): string | undefined => {
  const value = metadata?.[key];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
};

export class RiskTransferGate implements TransferGate {
  private policies = new Map<number, store.TransferPolicy>();
  private loadedAt = -Infinity;
  /** Set when this process holds a transfer (before its policy list may show the policy). */
  private holdsExist = false;

  constructor(private readonly risk: Risk) {}

  async reload(): Promise<void> {
    const rows = await store.listTransferPolicies(this.risk.db);
    this.policies = new Map(rows.map((p) => [p.code, p]));
    this.loadedAt = this.risk.clock.now().getTime();
  }

  /**
   * One look-up per batch, not per transfer: the decisions already made for the gated
   * transfers' ids, and which posts name a transfer an open case holds. A ledger with no
   * transfer policies (the common case) queries nothing.
   */
  async screen(inputs: readonly TransferInput[]): Promise<GateVerdict[]> {
    if (this.risk.clock.now().getTime() - this.loadedAt >= POLICY_RELOAD_MS) await this.reload();
    const inChain = chainMembers(inputs);
    const gated = inputs.filter((input) => this.gated(input) !== undefined).map((input) => input.id);
    // Holds exist only where a policy does (policies are disabled, never deleted).
    const posts = this.policies.size > 0 || this.holdsExist
      ? inputs.flatMap((input) => (hasFlag(input.flags, TransferFlags.post_pending) && input.pending_id ? [input.pending_id] : []))
      : [];
    const [decided, held] = await Promise.all([store.outcomesOf(this.risk.db, gated), store.openHolds(this.risk.db, posts)]);
    return Promise.all(inputs.map((input, i) => this.screenOne(input, inChain[i]!, decided, held)));
  }

  /** The policy that gates this transfer: a new transfer (not a post or void) of a code with an enabled policy. */
  private gated(input: TransferInput): store.TransferPolicy | undefined {
    if (hasFlag(input.flags, TransferFlags.post_pending) || hasFlag(input.flags, TransferFlags.void_pending)) return undefined;
    const policy = input.code === undefined ? undefined : this.policies.get(input.code);
    return policy?.enabled && input.debit_account_id && input.credit_account_id ? policy : undefined;
  }

  private async screenOne(input: TransferInput, inChain: boolean, decided: Map<string, string>, held: Set<string>): Promise<GateVerdict> {
    // Only an analyst (approving the case, which bypasses the gate) may post a held transfer.
    if (hasFlag(input.flags, TransferFlags.post_pending)) return input.pending_id && held.has(input.pending_id) ? { kind: 'block' } : { kind: 'pass' };
    const policy = this.gated(input);
    if (!policy) return { kind: 'pass' };
    const outcome = decided.get(input.id) ?? (await this.decide(input, inChain));
    if (outcome === 'block') return { kind: 'block' };
    // A linked chain cannot be partly held, so a review refuses it (and opened no case).
    if (outcome === 'review') {
      if (inChain) return { kind: 'block' };
      this.holdsExist = true;
      return { kind: 'hold', timeout_seconds: policy.hold_timeout_seconds };
    }
    return { kind: 'pass' };
  }

  private async decide(input: TransferInput, inChain: boolean): Promise<string> {
    const metadata = input.metadata ?? undefined;
    const event: RiskEvent = {
      id: input.id,
      type: 'payment',
      customer_id: text(metadata, 'customer_id') ?? input.debit_account_id!,
      occurred_at: this.risk.clock.now(),
      amount: input.amount,
      currency: text(metadata, 'currency'),
      counterparty_id: input.credit_account_id,
      account_id: input.debit_account_id,
      device_id: text(metadata, 'device_id'),
      ip: text(metadata, 'ip'),
      channel: text(metadata, 'channel'),
    };
    const decided = await this.risk.engine.decide(event, inChain ? { open_case: false, sent: sentOf(event) } : { hold_transfer_id: input.id, sent: sentOf(event) });
    // The same id decided meanwhile with other fields (a concurrent retry): treat as the stored one.
    if (!decided.ok) return (await store.getDecision(this.risk.db, input.id))?.outcome ?? 'block';
    return decided.decision.outcome;
  }
}

/** The event without the decision time, for the fingerprint (a retry comes later, with the same transfer). */
function sentOf(event: RiskEvent): unknown {
  const { occurred_at: _at, ...rest } = event;
  return rest;
}

/** For each transfer, whether it is part of a linked chain of two or more. */
function chainMembers(inputs: readonly TransferInput[]): boolean[] {
  const out = new Array<boolean>(inputs.length).fill(false);
  for (let start = 0; start < inputs.length; ) {
    let end = start;
    while (end < inputs.length - 1 && hasFlag(inputs[end]!.flags, TransferFlags.linked)) end++;
    if (end > start) for (let i = start; i <= end; i++) out[i] = true;
    start = end + 1;
  }
  return out;
}

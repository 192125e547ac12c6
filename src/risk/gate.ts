/**
 * The ledger's transfer gate, backed by the risk engine: new transfers whose `code` has an
 * enabled policy are decided as `payment` events before they move money. `block` refuses
 * the transfer (`risk_blocked`); `review` holds it as a pending transfer (timeout from the
 * policy) and opens a case that names it; `allow` and `step_up` let it through (a step-up
 * is for interactive channels, which ask the customer before they submit).
 *
 * The decision's id is the transfer's id, so a retried transfer gets the same verdict.
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

  constructor(private readonly risk: Risk) {}

  async reload(): Promise<void> {
    const rows = await store.listTransferPolicies(this.risk.db);
    this.policies = new Map(rows.map((p) => [p.code, p]));
    this.loadedAt = this.risk.clock.now().getTime();
  }

  async screen(inputs: readonly TransferInput[]): Promise<GateVerdict[]> {
    if (this.risk.clock.now().getTime() - this.loadedAt >= POLICY_RELOAD_MS) await this.reload();
    return Promise.all(inputs.map((input) => this.screenOne(input)));
  }

  private async screenOne(input: TransferInput): Promise<GateVerdict> {
    const resolving = hasFlag(input.flags, TransferFlags.post_pending) || hasFlag(input.flags, TransferFlags.void_pending);
    const policy = input.code === undefined ? undefined : this.policies.get(input.code);
    if (resolving || !policy?.enabled || !input.debit_account_id || !input.credit_account_id) return { kind: 'pass' };

    const existing = await store.getDecision(this.risk.db, input.id);
    const outcome = existing ? existing.outcome : await this.decide(input);
    if (outcome === 'block') return { kind: 'block' };
    if (outcome === 'review') return { kind: 'hold', timeout_seconds: policy.hold_timeout_seconds };
    return { kind: 'pass' };
  }

  private async decide(input: TransferInput): Promise<string> {
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
    const decided = await this.risk.engine.decide(event, { hold_transfer_id: input.id });
    // The same id decided meanwhile with other fields (a concurrent retry): treat as the stored one.
    if (!decided.ok) return (await store.getDecision(this.risk.db, input.id))?.outcome ?? 'block';
    return decided.decision.outcome;
  }
}

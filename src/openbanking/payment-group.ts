/**
 * Payments ride the ledger writer's batches, the way transfers do. Payments that arrive
 * while the writer is busy gather in one open group; the group joins the writer's next batch
 * as one JoinedWork, and in that batch's single transaction it
 *
 *   plan:   reads which ids exist, the creditors' currency and mode, and the consents
 *           (unlocked: the write checks them), and when the group is alone in its batch
 *           locks the members' accounts for the ledger in the same statement → decides every member
 *           (payment-plan.ts) → hands the ledger the transfers of the accepted members
 *   settle: from the ledger's results: what plan reserved on each consent (less what refused
 *           transfers give back), added only if the consent still allows it (else the batch
 *           runs again: consentTotalsUpdate), and every payment as completed, rejected
 *           or held for risk review → rows for the held and rejected ones, and the rejected
 *           ones' outbox events (a payment completed with its transfer is recorded by that
 *           transfer alone, and its event told by the transfer's ledger row: payments-store.ts,
 *           payment-events.ts)
 *
 * in one statement of its own for the whole group (the read); its writes (consents,
 * payments, events) ride the ledger's write statement (`settleRows`). A payment costs a
 * share of one commit instead of several of its own, a consent row is written once per
 * batch however many payments it carries, and a payment's record commits with its transfer
 * (or its refusal) in one transaction: nothing is left half done by a crash.
 */
import type { Queryable } from '../db/port.js';
import type { StatementPart } from '../db/statement-part.js';
import type { ScreenedTransfer } from '../ledger/service.js';
import type { AccountState, TransferInput, TransferResult } from '../ledger/types.js';
import type { JoinedWork, LedgerWriter } from '../ledger/writer.js';
import type { Refusal } from './consents.js';
import { forgetConsent } from './consents-store.js';
import { planPayments, type ConsentTotals, type PaymentPlan, type PlannedPayment } from './payment-plan.js';
import { paymentEvent, settlementOfCommitted, type Payment } from './payments.js';
import { paymentRows, readGroupFacts } from './payments-store.js';

/** Payments one group carries at most (each counts as one transfer against the writer's batch size). */
export const PAYMENT_GROUP_MAX = 512;

/** A payment ready to go: its row (before status) and the transfer the gate let through, or why it moves nothing. */
export interface PaymentDraft {
  payment: Omit<Payment, 'status' | 'reason_code' | 'updated_at'>;
  mode: 'sandbox' | 'live';
  /** The screened transfer, or a sandbox magic rejection (stored as rejected with that code). */
  transfer: ScreenedTransfer | { ok: false; code: string };
}

export type DraftOutcome = { kind: 'stored'; payment: Payment } | { kind: 'refused'; refusal: Refusal } | { kind: 'exists' };

interface Member {
  draft: PaymentDraft;
  resolve: (outcome: DraftOutcome) => void;
  reject: (err: unknown) => void;
}

class PaymentGroup implements JoinedWork<DraftOutcome[]> {
  readonly lock_key = 'openbanking.payments';
  readonly members: Member[] = [];
  /** Set when the writer first plans the group: from then on its members are fixed (a retried batch plans the same ones). */
  closed = false;
  private plans: PaymentPlan[] = [];
  private attempts = 0;
  private usedTotals = new Map<string, bigint>();
  /** The consents plan refused a member on for the limit: their write needs the total as read. */
  private limitRefused = new Set<string>();
  /** The consents as plan read them: the write starts from their totals. */
  private consentsRead: ReadonlyMap<string, ConsentTotals> = new Map();
  locked_accounts: ReadonlyMap<string, AccountState> | undefined;

  constructor(readonly transfers_max: number) {}

  /**
   * A payment's transfer id is derived from its payment id, and plan has just read that
   * neither the payment's row nor its transfer is stored, so the transfer is new and the
   * writer need not look it up. Should one exist after all (sent with that id
   * by other means), the insert's unique violation makes the batch run again, and the retry
   * looks the ids up (the ledger then answers replayed, or exists_with_different_fields).
   */
  get new_transfer_ids(): boolean {
    return this.attempts <= 1;
  }

  get full(): boolean {
    return this.members.length >= this.transfers_max;
  }

  async plan(tx: Queryable, now: Date, options?: { lock_accounts: boolean }): Promise<readonly TransferInput[]> {
    this.closed = true;
    this.attempts++;
    const drafts = this.members.map((m) => m.draft);
    const facts = await readGroupFacts(tx, {
      payment_ids: drafts.map((d) => d.payment.id),
      transfer_ids: drafts.map((d) => d.payment.transfer_id),
      consent_ids: [...new Set(drafts.map((d) => d.payment.consent_id))],
      creditor_ids: [...new Set(drafts.map((d) => d.payment.creditor_account_id))],
      // Every account a member's transfer can touch is its debtor or its creditor.
      ...(options?.lock_accounts ? { account_ids: [...new Set(drafts.flatMap((d) => [d.payment.debtor_account_id, d.payment.creditor_account_id]))].sort() } : {}),
      // First unlocked: a row lock per consent was a measurable share of the serial path, and
      // the write checks the consents still allow the plan. When one does not, the batch runs
      // again, and that time waits for the consents' locks here (fresh rows), so a consent
      // busy in several processes cannot starve a group.
      lock_consents: this.attempts > 1,
    });
    this.locked_accounts = facts.accounts;
    const { plans, used_totals, limit_refused } = planPayments(drafts.map(plannedOf), { ...facts, now });
    this.plans = plans;
    this.usedTotals = used_totals;
    this.limitRefused = limit_refused;
    this.consentsRead = facts.consents;
    return drafts.flatMap((d, i) => (plans[i]!.kind === 'accepted' && d.transfer.ok ? [d.transfer.input] : []));
  }

  settleRows(results: readonly TransferResult[], now: Date): { outcome: DraftOutcome[]; rows: StatementPart | undefined } {
    let next = 0;
    const stored: Payment[] = [];
    const usedTotals = new Map(this.usedTotals);
    const released = new Set<string>();
    const outcomes = this.members.map(({ draft }, i): DraftOutcome => {
      const plan = this.plans[i]!;
      if (plan.kind !== 'accepted') return plan;
      const d = draft.payment;
      let status: Payment['status'];
      let reason_code: string | null;
      if (!draft.transfer.ok) {
        [status, reason_code] = ['rejected', draft.transfer.code];
      } else {
        const result = results[next++]!;
        if (result.ok) {
          const settled = settlementOfCommitted(result.transfer);
          [status, reason_code] = [settled.status, settled.status === 'completed' ? null : settled.reason_code];
        } else {
          // Refused by the ledger: give back what plan reserved (its consent is one plan totalled).
          [status, reason_code] = ['rejected', result.code];
          usedTotals.set(d.consent_id, usedTotals.get(d.consent_id)! - d.amount_minor);
          released.add(d.consent_id);
        }
      }
      // Built field by field: a spread copy per payment was a measurable share of the batch's time.
      const payment: Payment = {
        id: d.id,
        consent_id: d.consent_id,
        client_id: d.client_id,
        customer_id: d.customer_id,
        debtor_account_id: d.debtor_account_id,
        creditor_account_id: d.creditor_account_id,
        amount_minor: d.amount_minor,
        currency: d.currency,
        reference: d.reference,
        status,
        reason_code,
        transfer_id: d.transfer_id,
        created_at: d.created_at,
        updated_at: now,
      };
      stored.push(payment);
      return { kind: 'stored', payment };
    });
    // A completed payment is recorded by its transfer alone, and its event told by the transfer's
    // ledger row (payments-store.ts, payment-events.ts); held and rejected ones get a row, and
    // rejected ones their event.
    const rows = stored.filter((p) => p.status !== 'completed');
    const events = rows.filter((p) => p.status === 'rejected').map((p) => paymentEvent(p, now));
    released.forEach(forgetConsent); // a lower total: the access check must not refuse on the old one
    const totals = new Map(
      [...usedTotals].map(([id, used]) => [id, { read: this.consentsRead.get(id)!.amount_used_minor, used, exact: this.limitRefused.has(id) }]),
    );
    return { outcome: outcomes, rows: paymentRows({ used_totals: totals, payments: rows, events }) };
  }
}

const plannedOf = (d: PaymentDraft): PlannedPayment => ({
  id: d.payment.id,
  consent_id: d.payment.consent_id,
  creditor_account_id: d.payment.creditor_account_id,
  amount_minor: d.payment.amount_minor,
  currency: d.payment.currency,
  mode: d.mode,
  moves_money: d.transfer.ok,
});

/** Gathers payments into groups and hands each group to the ledger writer. */
export class PaymentGroups {
  private open: PaymentGroup | undefined;

  constructor(private readonly writer: LedgerWriter) {}

  /** Resolves after the batch that carried the payment committed. */
  carry(draft: PaymentDraft): Promise<DraftOutcome> {
    return new Promise((resolve, reject) => {
      let group = this.open;
      if (!group || group.closed || group.full) {
        group = new PaymentGroup(Math.min(PAYMENT_GROUP_MAX, this.writer.batchSizeMax));
        this.open = group;
        const joined = group;
        this.writer.join(joined).then(
          (outcomes) => joined.members.forEach((m, i) => m.resolve(outcomes[i]!)),
          (err: unknown) => {
            // Refused by the queue (overloaded, stopping) or a failed batch: nothing of the group committed.
            joined.closed = true;
            joined.members.forEach((m) => m.reject(err));
          },
        );
      }
      group.members.push({ draft, resolve, reject });
    });
  }
}

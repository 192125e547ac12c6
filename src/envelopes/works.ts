/**
 * The three things that change an envelope, each a JoinedWork run inside the ledger
 * writer's transaction: lock the envelope row, decide the transfers, let the ledger apply
 * them with the rest of the batch, then write the envelope's own rows from the results.
 * The row lock is what keeps several processes exact: a second process's batch waits for
 * the first one's commit and then reads the shares it left.
 */
import type { JoinedWork } from '../ledger/writer.js';
import type { AccountId, TransferId, TransferInput, TransferResult, TransferErrorCode } from '../ledger/types.js';
import { uuidv7 } from '../db/uuid.js';
import {
  LedgerCodes,
  REFUND_RETRY_MS,
  derivedId,
  planGrabs,
  refundDue,
  settleGrabs,
  type Envelope,
  type Grab,
  type GrabRequest,
  type RandomSource,
  type ShareState,
} from './core.js';
import * as store from './store.js';

const lockKey = (envelopeId: string): string => `envelope:${envelopeId}`;

// ------------------------------------------------------------------ create

export type CreateOutcome =
  | { ok: true; envelope: Envelope; replayed: boolean }
  | { ok: false; code: 'exists_with_different_fields' | TransferErrorCode; field?: string };

/** Funds the envelope and writes its row in one transaction; a repeat of the same id replays. */
export function createWork(fresh: Envelope, audience: readonly string[]): JoinedWork<CreateOutcome> {
  let existing: Envelope | undefined;
  return {
    lock_key: lockKey(fresh.id),
    transfers_max: 1,
    async plan(tx) {
      existing = await store.lockEnvelope(tx, fresh.id);
      if (existing) return [];
      return [
        {
          id: derivedId(fresh.id, 'fund') as TransferId,
          debit_account_id: fresh.funding_account_id as AccountId,
          credit_account_id: fresh.holding_account_id as AccountId,
          amount: fresh.total_amount,
          code: LedgerCodes.fund_transfer,
          flags: 0,
          metadata: { envelope_id: fresh.id },
        },
      ];
    },
    async settle(tx, results, now) {
      if (existing) {
        return existing.fingerprint === fresh.fingerprint ? { ok: true, envelope: existing, replayed: true } : { ok: false, code: 'exists_with_different_fields' };
      }
      const funded = results[0]!;
      if (!funded.ok) return { ok: false, code: funded.code, field: fundingField(funded.code) };
      const envelope: Envelope = { ...fresh, created_at: now, updated_at: now, expires_at: new Date(now.getTime() + (fresh.expires_at.getTime() - fresh.created_at.getTime())) };
      await store.insertEnvelope(tx, envelope, audience);
      return { ok: true, envelope, replayed: false };
    },
  };
}

/** The request field a ledger refusal of the funding transfer points at. */
function fundingField(code: TransferErrorCode): string | undefined {
  if (code === 'exceeds_credits' || code === 'account_frozen' || code === 'account_closed' || code === 'account_not_found') return 'funding_account_id';
  if (code === 'overflows_debits' || code === 'overflows_credits') return 'total_amount';
  return undefined;
}

// ------------------------------------------------------------------ grab

export type GrabOutcome =
  | { ok: true; grab: Grab; replayed: boolean }
  | { ok: false; code: 'envelope_not_found' | 'envelope_empty' | 'envelope_expired' | 'already_grabbed' | TransferErrorCode; grab?: Grab };

/**
 * `retry`: this request lost its chance only because of another request of the same batch
 * whose payout the ledger refused (its share went back into the envelope, or it was this
 * customer's own first request). The lane sends it again in the next batch.
 */
export type GrabAnswer = GrabOutcome | 'retry';

export interface GrabBatchOutcome {
  answers: GrabAnswer[];
  /** The envelope's share state after the batch, for the caller's in-memory view. */
  state: ShareState | undefined;
}

/** One batch of grabs on one envelope: one row lock, one draw per new recipient, one transfer each. */
export function grabWork(envelopeId: string, holdingAccountId: string, requests: readonly GrabRequest[], random: RandomSource): JoinedWork<GrabBatchOutcome> {
  let envelope: Envelope | undefined;
  let earlier = new Map<string, Grab>();
  let decisions: ReturnType<typeof planGrabs> = [];
  let transfers: TransferInput[] = [];
  return {
    lock_key: lockKey(envelopeId),
    transfers_max: requests.length,
    async plan(tx, now) {
      envelope = await store.lockEnvelope(tx, envelopeId);
      if (!envelope) return [];
      earlier = await store.grabsOf(tx, envelopeId, [...new Set(requests.map((r) => r.customer_id))]);
      decisions = planGrabs(envelope, requests, earlier, now, random);
      transfers = [];
      decisions.forEach((decision, i) => {
        if (decision.kind !== 'draw') return;
        transfers.push({
          id: uuidv7(now.getTime()) as TransferId,
          debit_account_id: holdingAccountId as AccountId,
          credit_account_id: requests[i]!.account_id as AccountId,
          amount: decision.amount,
          code: LedgerCodes.grab_transfer,
          flags: 0,
        });
      });
      return transfers;
    },
    async settle(tx, results, now) {
      if (!envelope) return { answers: requests.map(() => ({ ok: false, code: 'envelope_not_found' })), state: undefined };
      const answers: GrabAnswer[] = new Array(requests.length);
      const paid: Grab[] = [];
      let next = 0;
      let position = envelope.claimed_count;
      for (const [i, decision] of decisions.entries()) {
        if (decision.kind !== 'draw') continue;
        const result: TransferResult = results[next]!;
        const transferId = transfers[next++]!.id;
        if (!result.ok) {
          answers[i] = { ok: false, code: result.code };
          continue;
        }
        // Positions count the paid draws only, so they stay 1..claimed_count without gaps.
        const grab: Grab = { ...requests[i]!, envelope_id: envelopeId, amount: decision.amount, transfer_id: transferId, position: ++position, grabbed_at: now };
        paid.push(grab);
        answers[i] = { ok: true, grab, replayed: false };
      }
      const refusedAny = next > paid.length;
      decisions.forEach((decision, i) => {
        if (decision.kind === 'reject') {
          if (decision.code === 'envelope_empty' && refusedAny) answers[i] = 'retry';
          else answers[i] = { ok: false, code: decision.code, ...(decision.code === 'already_grabbed' ? { grab: earlier.get(requests[i]!.customer_id) } : {}) };
        } else if (decision.kind === 'replay') {
          answers[i] = typeof decision.of === 'number' ? repeatAnswer(answers[decision.of]!, requests[i]!) : { ok: true, grab: decision.of, replayed: true };
        }
      });
      if (paid.length === 0) return { answers, state: envelope };
      const state = settleGrabs(envelope, paid.map((g) => g.amount), now);
      await store.insertGrabs(tx, paid);
      await store.saveShareState(tx, envelopeId, state, now);
      return { answers, state };
    },
  };
}

/** The answer to a customer's repeat within one batch, from their first request's answer. */
function repeatAnswer(first: GrabAnswer, repeat: GrabRequest): GrabAnswer {
  if (first === 'retry') return 'retry';
  if (first.ok) return first.grab.account_id === repeat.account_id ? { ...first, replayed: true } : { ok: false, code: 'already_grabbed', grab: first.grab };
  // The first was refused by the ledger (its account): the repeat may name a better one.
  const envelopeAnswer = first.code === 'envelope_empty' || first.code === 'envelope_expired' || first.code === 'envelope_not_found';
  return envelopeAnswer ? first : 'retry';
}

// ------------------------------------------------------------------ refund

export type RefundOutcome =
  | { refunded: true; amount: bigint }
  | { refunded: false; reason: 'not_found' | 'not_due' | 'ledger_refused'; code?: TransferErrorCode };

/** Returns an expired envelope's remainder to the sender, exactly once (the row lock and the status say so). */
export function refundWork(envelopeId: string): JoinedWork<RefundOutcome> {
  let envelope: Envelope | undefined;
  let due = false;
  return {
    lock_key: lockKey(envelopeId),
    transfers_max: 1,
    async plan(tx, now) {
      envelope = await store.lockEnvelope(tx, envelopeId);
      due = envelope !== undefined && refundDue(envelope, now);
      if (!envelope || !due || envelope.remaining_amount === 0n) return [];
      return [
        {
          id: derivedId(envelopeId, 'refund') as TransferId,
          debit_account_id: envelope.holding_account_id as AccountId,
          credit_account_id: envelope.funding_account_id as AccountId,
          amount: envelope.remaining_amount,
          code: LedgerCodes.refund_transfer,
          flags: 0,
          metadata: { envelope_id: envelopeId },
        },
      ];
    },
    async settle(tx, results, now) {
      if (!envelope) return { refunded: false, reason: 'not_found' };
      if (!due) return { refunded: false, reason: 'not_due' };
      const result = results[0];
      if (result && !result.ok) {
        // The sender's account refuses the money (frozen, closed): it stays in the holding
        // account, grabs stay refused by the expiry time, and the sweep tries again after
        // REFUND_RETRY_MS (meanwhile other due envelopes go first, so none starves).
        await store.setRefundError(tx, envelopeId, result.code, new Date(now.getTime() + REFUND_RETRY_MS), now);
        return { refunded: false, reason: 'ledger_refused', code: result.code };
      }
      await store.markRefunded(tx, envelopeId, envelope.remaining_amount, now);
      return { refunded: true, amount: envelope.remaining_amount };
    },
  };
}

/**
 * The three things that change envelopes, each a JoinedWork run inside the ledger writer's
 * transaction: lock the envelope rows, decide the transfers, let the ledger apply them with
 * the rest of the batch, then write the envelopes' own rows from the results. The row locks
 * are what keep several processes exact: another process's batch waits for this commit and
 * then reads the shares it left.
 *
 * Grabs and refunds each cover many envelopes in one work (a fixed handful of statements
 * however many envelopes), and share one lock key, so the writer never puts both in one
 * batch: each locks its rows in id order, in one statement, before any account.
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
  type GrabDecision,
  type GrabRequest,
  type RandomSource,
  type ShareState,
} from './core.js';
import * as store from './store.js';

/** The lock key of the works that lock existing envelope rows (grabs, refunds). */
export const ENVELOPE_ROWS_LOCK_KEY = 'envelope-rows';

// ------------------------------------------------------------------ create

export type CreateOutcome =
  | { ok: true; envelope: Envelope; replayed: boolean }
  | { ok: false; code: 'exists_with_different_fields' | TransferErrorCode; field?: string };

/**
 * Funds the envelope and writes its row in one transaction; a repeat of the same id replays.
 * It locks nothing: two processes creating the same id both plan the same funding transfer
 * id, and the loser's batch is retried (unique violation) and then finds the envelope.
 */
export function createWork(fresh: Envelope, audience: readonly string[]): JoinedWork<CreateOutcome> {
  let existing: Envelope | undefined;
  return {
    // Per id: two creates of one id never share a batch (both would insert the row).
    lock_key: `envelope-create:${fresh.id}`,
    transfers_max: 1,
    async plan(tx) {
      existing = await store.getEnvelope(tx, fresh.id);
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

/** The grabs waiting on one envelope. */
export interface EnvelopeGrabs {
  envelope_id: string;
  holding_account_id: string;
  requests: readonly GrabRequest[];
}

export interface GrabBatchOutcome {
  answers: GrabAnswer[];
  /** The envelope's share state after the batch, for the caller's in-memory view. */
  state: ShareState | undefined;
}

interface Planned {
  group: EnvelopeGrabs;
  envelope: Envelope | undefined;
  decisions: GrabDecision[];
  /** This envelope's grabs committed before the batch, by customer. */
  earlier: ReadonlyMap<string, Grab>;
  /** Index into the work's transfers of each draw, by request index. */
  transferAt: Map<number, number>;
}

/**
 * Grabs on any number of envelopes: lock their rows, read which of these customers already
 * grabbed, draw a share for each new customer in arrival order, one transfer per draw; after
 * the ledger has applied them, write the paid grabs and the envelopes' new state.
 */
export function grabWork(groups: readonly EnvelopeGrabs[], random: RandomSource): JoinedWork<GrabBatchOutcome[]> {
  let planned: Planned[] = [];
  let transfers: TransferInput[] = [];
  return {
    lock_key: ENVELOPE_ROWS_LOCK_KEY,
    transfers_max: groups.reduce((n, g) => n + g.requests.length, 0),
    new_transfer_ids: true,
    async plan(tx, now) {
      const envelopes = await store.lockEnvelopes(tx, groups.map((g) => g.envelope_id).sort());
      const pairs = groups.flatMap((g) => [...new Set(g.requests.map((r) => r.customer_id))].map((customer_id) => ({ envelope_id: g.envelope_id, customer_id })));
      const earlier = await store.grabsOf(tx, pairs);
      transfers = [];
      planned = groups.map((group) => {
        const envelope = envelopes.get(group.envelope_id);
        const transferAt = new Map<number, number>();
        if (!envelope) return { group, envelope, decisions: [], earlier: new Map(), transferAt };
        const mine = new Map(group.requests.flatMap((r) => {
          const grab = earlier.get(store.grabKey(group.envelope_id, r.customer_id));
          return grab ? [[r.customer_id, grab] as const] : [];
        }));
        const decisions = planGrabs(envelope, group.requests, mine, now, random);
        decisions.forEach((decision, i) => {
          if (decision.kind !== 'draw') return;
          transferAt.set(i, transfers.length);
          transfers.push({
            id: uuidv7(now.getTime()) as TransferId,
            debit_account_id: group.holding_account_id as AccountId,
            credit_account_id: group.requests[i]!.account_id as AccountId,
            amount: decision.amount,
            code: LedgerCodes.grab_transfer,
            flags: 0,
          });
        });
        return { group, envelope, decisions, earlier: mine, transferAt };
      });
      return transfers;
    },
    async settle(tx, results, now) {
      const paidAll: Grab[] = [];
      const updates: store.ShareUpdate[] = [];
      const outcomes = planned.map((p): GrabBatchOutcome => {
        if (!p.envelope) return { answers: p.group.requests.map(() => ({ ok: false, code: 'envelope_not_found' })), state: undefined };
        const { answers, paid } = answerGrabs(p, results, transfers, now);
        if (paid.length === 0) return { answers, state: p.envelope };
        const state = settleGrabs(p.envelope, paid.map((g) => g.amount), now);
        paidAll.push(...paid);
        updates.push({ ...state, id: p.envelope.id });
        return { answers, state };
      });
      await store.saveGrabs(tx, paidAll, updates, now);
      return outcomes;
    },
  };
}

/** One envelope's answers from its decisions and the ledger's results, and the grabs it paid. */
function answerGrabs(p: Planned, results: readonly TransferResult[], transfers: readonly TransferInput[], now: Date): { answers: GrabAnswer[]; paid: Grab[] } {
  const { group, envelope, decisions } = p;
  const answers: GrabAnswer[] = new Array(group.requests.length);
  const paid: Grab[] = [];
  let position = envelope!.claimed_count;
  let refusedAny = false;
  for (const [i, decision] of decisions.entries()) {
    if (decision.kind !== 'draw') continue;
    const at = p.transferAt.get(i)!;
    const result = results[at]!;
    if (!result.ok) {
      refusedAny = true;
      answers[i] = { ok: false, code: result.code };
      continue;
    }
    // Positions count the paid draws only, so they stay 1..claimed_count without gaps.
    const request = group.requests[i]!;
    const grab: Grab = { ...request, envelope_id: group.envelope_id, amount: decision.amount, transfer_id: transfers[at]!.id, position: ++position, grabbed_at: now };
    paid.push(grab);
    answers[i] = { ok: true, grab, replayed: false };
  }
  decisions.forEach((decision, i) => {
    if (decision.kind === 'reject') {
      if (decision.code === 'envelope_empty' && refusedAny) answers[i] = 'retry';
      else answers[i] = { ok: false, code: decision.code, ...(decision.code === 'already_grabbed' ? { grab: p.earlier.get(group.requests[i]!.customer_id) } : {}) };
    } else if (decision.kind === 'replay') {
      answers[i] = typeof decision.of === 'number' ? repeatAnswer(answers[decision.of]!, group.requests[i]!) : { ok: true, grab: decision.of, replayed: true };
    }
  });
  return { answers, paid };
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

/**
 * Returns expired envelopes' remainders to their senders, exactly once: the row locks and
 * the status checked under them say so, and each refund transfer's id is derived from its
 * envelope, so even a second attempt could not post it twice.
 */
export function refundWork(ids: readonly string[]): JoinedWork<RefundOutcome[]> {
  let envelopes = new Map<string, Envelope>();
  let planned: { id: string; transferAt: number | undefined }[] = [];
  return {
    lock_key: ENVELOPE_ROWS_LOCK_KEY,
    transfers_max: ids.length,
    async plan(tx, now) {
      envelopes = await store.lockEnvelopes(tx, [...ids].sort());
      const transfers: TransferInput[] = [];
      planned = ids.map((id) => {
        const envelope = envelopes.get(id);
        if (!envelope || !refundDue(envelope, now) || envelope.remaining_amount === 0n) return { id, transferAt: undefined };
        transfers.push({
          id: derivedId(id, 'refund') as TransferId,
          debit_account_id: envelope.holding_account_id as AccountId,
          credit_account_id: envelope.funding_account_id as AccountId,
          amount: envelope.remaining_amount,
          code: LedgerCodes.refund_transfer,
          flags: 0,
          metadata: { envelope_id: id },
        });
        return { id, transferAt: transfers.length - 1 };
      });
      return transfers;
    },
    async settle(tx, results, now) {
      const refunded: { id: string; amount: bigint }[] = [];
      const refused: { id: string; code: TransferErrorCode }[] = [];
      const outcomes = planned.map(({ id, transferAt }): RefundOutcome => {
        const envelope = envelopes.get(id);
        if (!envelope) return { refunded: false, reason: 'not_found' };
        if (!refundDue(envelope, now)) return { refunded: false, reason: 'not_due' };
        const result = transferAt === undefined ? undefined : results[transferAt]!;
        if (result && !result.ok) {
          refused.push({ id, code: result.code });
          return { refunded: false, reason: 'ledger_refused', code: result.code };
        }
        refunded.push({ id, amount: envelope.remaining_amount });
        return { refunded: true, amount: envelope.remaining_amount };
      });
      await store.markRefunded(tx, refunded, now);
      // The sender's account refuses the money (frozen, closed): it stays in the holding
      // account, grabs stay refused by the expiry time, and the sweep tries again after
      // REFUND_RETRY_MS (meanwhile other due envelopes go first, so none starves).
      await store.setRefundErrors(tx, refused, new Date(now.getTime() + REFUND_RETRY_MS), now);
      return outcomes;
    },
  };
}

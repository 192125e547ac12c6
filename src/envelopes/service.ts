/**
 * Red envelopes' entry points for HTTP, the CLI and the background sweep: ties core, store,
 * the grab lanes and the ledger together so every surface behaves the same.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import type { Ledger } from '../ledger/service.js';
import { AccountFlags, type AccountId } from '../ledger/types.js';
import {
  AUDIENCE_CUSTOMERS_MAX,
  LedgerCodes,
  checkEnvelopeInput,
  derivedId,
  envelopeFingerprint,
  type Envelope,
  type EnvelopeInput,
  type Grab,
  type RandomSource,
} from './core.js';
import { GrabLanes, type GrabAsk, type LaneGrabOutcome, type LaneOptions } from './lanes.js';
import { secureRandom } from './random.js';
import * as store from './store.js';
import { createWork, refundWork, type CreateOutcome } from './works.js';

export type CreateResult = CreateOutcome | { ok: false; code: string; field?: string; detail?: string };

export interface SweepReport {
  refunded: number;
  failed: number;
}

export const REFUND_SWEEP_BATCH = 200;

export interface EnvelopeObserver {
  /** `granted`, `replayed`, or the error code of a refused grab. */
  grabAnswered(outcome: string): void;
}

export class Envelopes {
  readonly lanes: GrabLanes;

  constructor(
    readonly db: Db,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    random: RandomSource = secureRandom,
    laneOptions: LaneOptions = {},
    private readonly observer?: EnvelopeObserver,
  ) {
    this.lanes = new GrabLanes(db, ledger.writer, clock, random, laneOptions);
  }

  /**
   * Creates and funds an envelope. The holding account is created first (idempotent, its
   * id derived from the envelope's); the funding transfer and the envelope row then commit
   * together in the writer's transaction, so an envelope exists only if it is funded.
   */
  async create(input: EnvelopeInput): Promise<CreateResult> {
    const check = checkEnvelopeInput(input);
    if (!check.ok) return check;
    const funding = await this.ledger.getAccount(input.funding_account_id);
    if (!funding) return { ok: false, code: 'account_not_found', field: 'funding_account_id', detail: 'no account with that id' };

    let audience: string[] = [];
    if (input.audience.kind === 'customers') audience = [...new Set(input.audience.customer_ids)];
    if (input.audience.kind === 'group') {
      const group = await store.getGroup(this.db, input.audience.group_id);
      if (!group) return { ok: false, code: 'customer_group_not_found', field: 'audience.group_id', detail: 'no customer group with that id' };
      if (group.member_customer_ids.length === 0) return { ok: false, code: 'invalid_request', field: 'audience.group_id', detail: 'the group has no members' };
      if (group.member_customer_ids.length > AUDIENCE_CUSTOMERS_MAX) {
        return { ok: false, code: 'envelope_audience_too_large', field: 'audience.group_id', detail: `the group has more than ${AUDIENCE_CUSTOMERS_MAX} members` };
      }
      audience = group.member_customer_ids;
    }

    const holdingId = derivedId(input.id, 'holding_account');
    const [holding] = await this.ledger.createAccounts([
      {
        id: holdingId as AccountId,
        currency: funding.currency,
        code: LedgerCodes.holding_account,
        flags: AccountFlags.debits_must_not_exceed_credits,
        metadata: { envelope_id: input.id },
      },
    ]);
    if (!holding!.ok) {
      // Only an earlier attempt with this envelope id from an account in another currency gets here.
      const existing = await store.getEnvelope(this.db, input.id);
      if (existing && existing.fingerprint === envelopeFingerprint(input)) return { ok: true, envelope: existing, replayed: true };
      return { ok: false, code: 'exists_with_different_fields', field: 'id', detail: 'this envelope id was used with different fields' };
    }

    const now = this.clock.now();
    const fresh: Envelope = {
      id: input.id,
      sender_customer_id: input.sender_customer_id,
      funding_account_id: input.funding_account_id,
      holding_account_id: holdingId,
      currency: funding.currency,
      total_amount: input.total_amount,
      share_count: input.share_count,
      mode: input.mode,
      greeting: input.greeting,
      audience_kind: input.audience.kind,
      audience_group_id: input.audience.kind === 'group' ? input.audience.group_id : null,
      link_token: randomBytes(16).toString('base64url'),
      remaining_amount: input.total_amount,
      remaining_shares: input.share_count,
      claimed_amount: 0n,
      claimed_count: 0,
      status: 'open',
      refunded_amount: 0n,
      refund_error: null,
      refund_retry_at: null,
      luckiest_position: null,
      fingerprint: envelopeFingerprint(input),
      expires_at: new Date(now.getTime() + input.expires_in_seconds * 1000),
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    return this.ledger.writer.join(createWork(fresh, audience));
  }

  async grab(envelopeId: string, ask: GrabAsk): Promise<LaneGrabOutcome> {
    const outcome = await this.lanes.grab(envelopeId, ask);
    this.observer?.grabAnswered(outcome.ok ? (outcome.replayed ? 'replayed' : 'granted') : outcome.code);
    return outcome;
  }

  get(id: string): Promise<Envelope | undefined> {
    return store.getEnvelope(this.db, id);
  }

  listGrabs(id: string, afterPosition: number, limit: number): Promise<Grab[]> {
    return store.listGrabs(this.db, id, afterPosition, limit);
  }

  listSent(customerId: string, after: store.PageAfter | undefined, limit: number): Promise<Envelope[]> {
    return store.listSent(this.db, customerId, after, limit);
  }

  listReceived(customerId: string, after: store.PageAfter | undefined, limit: number) {
    return store.listReceived(this.db, customerId, after, limit);
  }

  saveGroup(id: string, name: string, members: readonly string[]): Promise<store.CustomerGroup> {
    return this.db.transaction(async (tx) => {
      await store.saveGroup(tx, id, name, [...new Set(members)], this.clock.now());
      return (await store.getGroup(tx, id))!;
    });
  }

  getGroup(id: string): Promise<store.CustomerGroup | undefined> {
    return store.getGroup(this.db, id);
  }

  /** One pass of the refund sweep: every envelope past its expiry returns its remainder, exactly once. */
  async refundExpired(limit = REFUND_SWEEP_BATCH): Promise<SweepReport> {
    const due = await store.dueEnvelopeIds(this.db, this.clock.now(), limit);
    if (due.length === 0) return { refunded: 0, failed: 0 };
    const outcomes = await this.ledger.writer.join(refundWork(due));
    const report: SweepReport = { refunded: 0, failed: 0 };
    for (const outcome of outcomes) {
      if (outcome.refunded) report.refunded += 1;
      else if (outcome.reason === 'ledger_refused') report.failed += 1;
    }
    return report;
  }
}

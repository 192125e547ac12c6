/**
 * The hot-envelope machinery: one in-memory lane per envelope this process has seen.
 *
 * - Grabs for one envelope wait in its lane; one dispatcher sends the waiting grabs of every
 *   lane to the ledger writer as one joined work (one row lock per envelope, one draw and
 *   one transfer per grab), and while that batch commits the next burst gathers. A burst
 *   of thousands costs a few transactions, however many envelopes it touches.
 * - Once a lane learns its envelope is finished (every share taken, or expired), it loads
 *   the final list of winners once and answers every later grab from memory: losers learn
 *   at once, repeat grabbers get their first result, and the database is not touched.
 * - Audience checks use the envelope's audience, loaded once with the lane.
 *
 * Exactness never depends on this cache: every share is decided under the envelope's row
 * lock, so several processes with their own lanes stay exact (docs/envelopes.md).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/port.js';
import type { Clock } from '../server/clock.js';
import { OverloadedError, type LedgerWriter } from '../ledger/writer.js';
import type { Envelope, Grab, GrabRequest, RandomSource, ShareState } from './core.js';
import * as store from './store.js';
import { grabWork, type GrabBatchOutcome, type GrabOutcome } from './works.js';

export interface LaneOptions {
  /** Grabs per joined work (each becomes at most one transfer in the writer's batch). */
  grab_batch_max?: number;
  /** Grabs allowed to wait on one envelope; past this, grabs fail fast with `overloaded`. */
  lane_queue_max?: number;
  /** Lanes kept in memory; idle ones are dropped first-in first-out past this. */
  lanes_max?: number;
  /** Winners kept in memory across finished envelopes. */
  cached_winners_max?: number;
  /**
   * How long after expiry a lane still asks the database: a batch another process planned
   * just before the expiry may still be committing, and its winners must be in the list.
   */
  expiry_grace_ms?: number;
}

export type LaneGrabOutcome = GrabOutcome | { ok: false; code: 'not_in_audience' };
export type GrabAsk = GrabRequest & { link_token?: string | undefined };

type Finished = 'envelope_empty' | 'envelope_expired';

interface Waiting {
  request: GrabRequest;
  resolve: (outcome: GrabOutcome) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  envelope: Pick<Envelope, 'id' | 'holding_account_id' | 'expires_at' | 'audience_kind' | 'link_token'>;
  audience: Set<string> | null;
  queue: Waiting[];
  /** Batches of this lane being committed right now. */
  inFlight: number;
  finished?: { reason: Finished; winners: Promise<Map<string, Grab>>; size: number };
}

export class GrabLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly loading = new Map<string, Promise<Lane | undefined>>();
  /** Lanes with grabs waiting to be dispatched, in the order they will be served. */
  private readonly waiting = new Set<Lane>();
  private dispatching = false;
  private cachedWinners = 0;
  private readonly batchMax: number;
  private readonly queueMax: number;
  private readonly lanesMax: number;
  private readonly winnersMax: number;
  private readonly graceMs: number;

  constructor(
    private readonly db: Db,
    private readonly writer: LedgerWriter,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    options: LaneOptions = {},
  ) {
    this.batchMax = options.grab_batch_max ?? 4096;
    this.queueMax = options.lane_queue_max ?? 50_000;
    this.lanesMax = options.lanes_max ?? 10_000;
    this.winnersMax = options.cached_winners_max ?? 1_000_000;
    this.graceMs = options.expiry_grace_ms ?? 5_000;
  }

  get size(): number {
    return this.lanes.size;
  }

  async grab(envelopeId: string, ask: GrabAsk): Promise<LaneGrabOutcome> {
    const lane = await this.laneOf(envelopeId);
    if (!lane) return { ok: false, code: 'envelope_not_found' };
    if (!admits(lane, ask)) return { ok: false, code: 'not_in_audience' };
    const request = { customer_id: ask.customer_id, account_id: ask.account_id };
    if (!lane.finished && this.clock.now().getTime() >= lane.envelope.expires_at.getTime() + this.graceMs) this.finish(lane, 'envelope_expired');
    if (lane.finished) return answerFinished(lane.finished.reason, await lane.finished.winners, request);
    if (lane.queue.length >= this.queueMax) throw new OverloadedError();
    return new Promise<GrabOutcome>((resolve, reject) => {
      lane.queue.push({ request, resolve, reject });
      this.waiting.add(lane);
      if (!this.dispatching) {
        this.dispatching = true;
        // Let every grab that arrives in this turn of the event loop join the first batch.
        setImmediate(() => void this.dispatch());
      }
    });
  }

  /**
   * Hands the waiting grabs of every lane to the writer as one joined work, one work at a
   * time (the writer commits one batch at a time anyway), until none wait. The next burst
   * gathers while a batch commits. A lane with more waiting than fits goes to the back of
   * the line, so one hot envelope cannot starve the others.
   */
  private async dispatch(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        const groups: { lane: Lane; batch: Waiting[] }[] = [];
        let room = this.batchMax;
        for (const lane of [...this.waiting]) {
          if (room === 0) break;
          this.waiting.delete(lane);
          if (lane.finished) {
            void this.answerFromMemory(lane, lane.queue.splice(0));
            continue;
          }
          const batch = lane.queue.splice(0, room);
          room -= batch.length;
          if (lane.queue.length > 0) this.waiting.add(lane);
          if (batch.length > 0) groups.push({ lane, batch });
        }
        if (groups.length > 0) await this.commit(groups);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private async commit(groups: { lane: Lane; batch: Waiting[] }[]): Promise<void> {
    groups.forEach((g) => (g.lane.inFlight += 1));
    try {
      let outcomes: GrabBatchOutcome[];
      try {
        const work = grabWork(
          groups.map(({ lane, batch }) => ({ envelope_id: lane.envelope.id, holding_account_id: lane.envelope.holding_account_id, requests: batch.map((w) => w.request) })),
          this.random,
        );
        outcomes = await this.writer.join(work);
      } catch (err) {
        for (const { batch } of groups) for (const waiting of batch) waiting.reject(err);
        return;
      }
      groups.forEach(({ lane, batch }, k) => {
        const outcome = outcomes[k]!;
        if (outcome.state) this.learn(lane, outcome.state);
        const retries: Waiting[] = [];
        batch.forEach((waiting, i) => {
          const answer = outcome.answers[i]!;
          if (answer === 'retry') retries.push(waiting);
          else waiting.resolve(answer);
        });
        if (retries.length > 0) {
          // Ahead of newer arrivals: they lost their turn only to a payout the ledger refused.
          lane.queue.unshift(...retries);
          this.waiting.add(lane);
        }
      });
    } finally {
      groups.forEach((g) => (g.lane.inFlight -= 1));
    }
  }

  private async answerFromMemory(lane: Lane, waiting: Waiting[]): Promise<void> {
    try {
      const winners = await lane.finished!.winners;
      for (const w of waiting) w.resolve(answerFinished(lane.finished!.reason, winners, w.request));
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  }

  /** What a committed batch says about the envelope: once nothing is left to grab, the winners are final. */
  private learn(lane: Lane, state: ShareState): void {
    if (lane.finished) return;
    if (state.status === 'empty' || (state.status === 'open' && state.remaining_shares === 0)) this.finish(lane, 'envelope_empty');
    else if (state.status === 'expired') this.finish(lane, 'envelope_expired');
  }

  private finish(lane: Lane, reason: Finished): void {
    const winners = store.allGrabs(this.db, lane.envelope.id).then((grabs) => {
      this.cachedWinners += grabs.length;
      if (lane.finished) lane.finished.size = grabs.length;
      this.evict();
      return new Map(grabs.map((g) => [g.customer_id, g]));
    });
    // A failed load is not cached: the lane forgets it is finished and asks again next time.
    winners.catch(() => {
      if (lane.finished?.winners === winners) delete lane.finished;
    });
    lane.finished = { reason, winners, size: 0 };
  }

  private async laneOf(envelopeId: string): Promise<Lane | undefined> {
    const known = this.lanes.get(envelopeId);
    if (known) return known;
    let pending = this.loading.get(envelopeId);
    if (!pending) {
      pending = this.load(envelopeId).finally(() => this.loading.delete(envelopeId));
      this.loading.set(envelopeId, pending);
    }
    return pending;
  }

  private async load(envelopeId: string): Promise<Lane | undefined> {
    const envelope = await store.getEnvelope(this.db, envelopeId);
    if (!envelope) return undefined;
    const audience = envelope.audience_kind === 'link' ? null : new Set(await store.audienceOf(this.db, envelopeId));
    const lane: Lane = { envelope, audience, queue: [], inFlight: 0 };
    if (envelope.status !== 'open') this.finish(lane, envelope.status === 'empty' ? 'envelope_empty' : 'envelope_expired');
    this.lanes.set(envelopeId, lane);
    this.evict();
    return lane;
  }

  /** Drops idle lanes, oldest first, while there are too many lanes or cached winners. */
  private evict(): void {
    if (this.lanes.size <= this.lanesMax && this.cachedWinners <= this.winnersMax) return;
    for (const [id, lane] of this.lanes) {
      if (this.lanes.size <= this.lanesMax && this.cachedWinners <= this.winnersMax) return;
      if (lane.inFlight > 0 || lane.queue.length > 0) continue;
      this.lanes.delete(id);
      this.cachedWinners -= lane.finished?.size ?? 0;
    }
  }
}

function admits(lane: Lane, ask: GrabAsk): boolean {
  if (lane.audience) return lane.audience.has(ask.customer_id);
  const given = Buffer.from(ask.link_token ?? '');
  const expected = Buffer.from(lane.envelope.link_token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function answerFinished(reason: Finished, winners: Map<string, Grab>, request: GrabRequest): GrabOutcome {
  const grab = winners.get(request.customer_id);
  if (!grab) return { ok: false, code: reason };
  return grab.account_id === request.account_id ? { ok: true, grab, replayed: true } : { ok: false, code: 'already_grabbed', grab };
}

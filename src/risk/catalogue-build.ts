/**
 * Building the velocity windows of a new feature catalogue while the engine keeps deciding
 * with the old ones (engine.ts swaps them in when this is done).
 *
 * How it stays exact without stopping decisions:
 *   1. From the moment the build exists, every event the engine counts is also kept here
 *      (`tap`), with the time it was counted at.
 *   2. The engine waits until every decision counted before that moment is stored, then
 *      `replayStored` pages through the stored events of the last 30 days (as a start
 *      does), skipping the events already kept by the tap.
 *   3. `catchUp` replays the kept events; the engine calls it in the same synchronous
 *      block as the swap, so no event falls between the two stores.
 * An event is counted once: either it was stored before the build began (paged), or it was
 * counted after (tapped; if the pager also meets it, it is skipped).
 */
import type { Queryable } from '../db/port.js';
import * as store from './store.js';
import type { RiskEvent } from './types.js';
import { VelocityStore, type VelocityFeature } from './velocity.js';

export const CATALOGUE_BUILD_PAGE = 2_000;
/** Events decided during one build that can be kept for the catch-up; past it the build fails (and is retried). */
export const CATALOGUE_TAP_MAX = 2_000_000;
const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

export type CatalogueBuildStatus = 'building' | 'done' | 'failed';

export interface CatalogueBuildState {
  /** The catalogue version being built. */
  version: number;
  status: CatalogueBuildStatus;
  /** Stored events replayed so far. */
  events_replayed: number;
  /** Stored events of the window when the build began (null until counted). */
  events_total: number | null;
  /** Events decided during the build, replayed at the swap. */
  events_caught_up: number;
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
}

export class CatalogueBuild {
  readonly velocity: VelocityStore;
  readonly state: CatalogueBuildState;
  /** Settles (never rejects) when the build is swapped in or has failed. */
  done: Promise<void> = Promise.resolve();
  private tapped: { event: RiskEvent; now: Date }[] = [];
  private readonly tappedIds = new Set<string>();
  private overflowed = false;

  constructor(
    readonly version: number,
    readonly features: readonly VelocityFeature[],
    started_at: Date,
  ) {
    this.velocity = new VelocityStore([...features]);
    this.state = { version, status: 'building', events_replayed: 0, events_total: null, events_caught_up: 0, started_at, finished_at: null, error: null };
  }

  /** An event the engine counted into its live features during the build. */
  tap(event: RiskEvent, now: Date): void {
    if (this.tapped.length >= CATALOGUE_TAP_MAX) {
      this.overflowed = true;
      return;
    }
    this.tapped.push({ event, now });
    this.tappedIds.add(event.id);
  }

  /** Replays the stored events of [window start, ∞) with `now` as the clock, as a start does. */
  async replayStored(db: Queryable, now: Date, window_ms: number): Promise<void> {
    const from = new Date(now.getTime() - window_ms);
    this.state.events_total = await store.countEvents(db, from, FAR_FUTURE);
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const page = await store.eventsPage(db, from, undefined, after, CATALOGUE_BUILD_PAGE);
      for (const row of page) if (!this.tappedIds.has(row.id)) this.velocity.observe(row.event, now);
      this.state.events_replayed += page.length;
      if (page.length < CATALOGUE_BUILD_PAGE) return;
      const last = page[page.length - 1]!;
      after = { at: last.occurred_at, id: last.id };
    }
  }

  /** Replays the events decided during the build. Synchronous: the engine swaps right after, in the same turn. */
  catchUp(): void {
    if (this.overflowed) throw new Error(`more than ${CATALOGUE_TAP_MAX} events were decided during the rebuild`);
    for (const { event, now } of this.tapped) this.velocity.observe(event, now);
    this.state.events_caught_up = this.tapped.length;
    this.tapped = [];
    this.tappedIds.clear();
  }

  finish(status: 'done' | 'failed', finished_at: Date, error?: string): void {
    this.state.status = status;
    this.state.finished_at = finished_at;
    this.state.error = error ?? null;
    this.tapped = [];
    this.tappedIds.clear();
  }
}

/**
 * The simulated world of the benchmark: one seeded simulator stream (src/risk/simulator.ts)
 * whose first `events` events are the stored history and whose continuation is the fresh
 * traffic every measured run decides, in order, each event once.
 *
 * Time. The history is shifted to end just before the run starts: the simulation begins
 * 30 days minus a 6-hour margin before the run (the margin keeps every stored event inside
 * the engine's 30-day rebuild window however long the run takes), and the population is
 * sized so that `events` events take about 28 of those days. The continuation cannot keep
 * simulated time — tens of thousands of decisions a second replay days of simulated life
 * per second — so a fresh event is decided at the wall-clock time it is sent (in-process:
 * occurred_at = now; through HTTP: occurred_at left out, the server's now): who does what,
 * with which device, amount and payee comes from the simulation, when is the wall clock.
 */
import { CUSTOMERS_MAX, MERCHANTS_MAX, simulate, type SimulatorOptions } from '../../src/risk/simulator.js';
import type { RiskEvent } from '../../src/risk/types.js';

/** Events per customer per day the simulator produces with its default fraud rates (measured: 2.65). */
export const EVENTS_PER_CUSTOMER_DAY = 2.65;
const DAY_MS = 86_400_000;
const MARGIN_MS = 6 * 3_600_000;
const WINDOW_MS = 30 * DAY_MS;
/** Extra population over the estimate, so the history surely ends before the run starts. */
const POPULATION_SLACK = 1.05;

/** Plain data (it crosses to the loader process). */
export interface SimulationPlan {
  seed: number;
  customers: number;
  merchants: number;
  days: number;
  start_ms: number;
  /** The run's start: every history event is before it. */
  t0_ms: number;
  past_events: number;
}

export function planSimulation(seed: number, past_events: number, fresh_events_max: number, t0_ms: number): SimulationPlan {
  const span_days = (WINDOW_MS - MARGIN_MS) / DAY_MS;
  const customers = Math.min(CUSTOMERS_MAX, Math.ceil((past_events / (EVENTS_PER_CUSTOMER_DAY * span_days)) * POPULATION_SLACK));
  const merchants = Math.min(MERCHANTS_MAX, Math.max(50, Math.round(customers / 25)));
  const days = Math.max(31, Math.ceil(((past_events + fresh_events_max) / (EVENTS_PER_CUSTOMER_DAY * customers)) * 1.2) + 1);
  return { seed, customers, merchants, days, start_ms: t0_ms - WINDOW_MS + MARGIN_MS, t0_ms, past_events };
}

export const simulatorOptions = (plan: SimulationPlan): SimulatorOptions => ({
  seed: plan.seed,
  customers: plan.customers,
  merchants: plan.merchants,
  days: plan.days,
  start: new Date(plan.start_ms),
});

/** The continuation of the stream after the history: taken in order, each event once. */
export class FreshEvents {
  private readonly iterator: Iterator<{ event: RiskEvent }>;
  private returned: RiskEvent[] = [];
  private skipped = 0;
  /** Events handed out and not given back. */
  taken = 0;

  constructor(readonly plan: SimulationPlan) {
    this.iterator = simulate(simulatorOptions(plan));
  }

  /**
   * Walks past the history (the loader process stores it), yielding to the event loop now
   * and then; checks that the history ended before the run started.
   */
  async skipHistory(onProgress?: (done: number) => void): Promise<void> {
    let last_ms = Number.NEGATIVE_INFINITY;
    while (this.skipped < this.plan.past_events) {
      const until = Math.min(this.plan.past_events, this.skipped + 20_000);
      for (; this.skipped < until; this.skipped++) {
        const next = this.iterator.next();
        if (next.done) throw new Error(`the simulation ended after ${this.skipped} events, before the ${this.plan.past_events} of the history`);
        last_ms = next.value.event.occurred_at.getTime();
      }
      onProgress?.(this.skipped);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (last_ms >= this.plan.t0_ms) {
      throw new Error(
        `the history's last event (${new Date(last_ms).toISOString()}) is not before the run's start (${new Date(this.plan.t0_ms).toISOString()}): ` +
          `the simulator makes more than ${EVENTS_PER_CUSTOMER_DAY} events per customer-day now; update EVENTS_PER_CUSTOMER_DAY`,
      );
    }
  }

  take(count: number): RiskEvent[] {
    if (this.skipped < this.plan.past_events) throw new Error('FreshEvents.take before skipHistory (bug)');
    const out = this.returned.splice(0, count);
    while (out.length < count) {
      const next = this.iterator.next();
      if (next.done) throw new Error(`the simulation ran out of fresh events after ${this.taken + out.length}: raise its days`);
      out.push(next.value.event);
    }
    this.taken += out.length;
    return out;
  }

  /** Puts events that were taken but not decided back at the front, in order. */
  giveBack(events: readonly RiskEvent[]): void {
    this.returned = events.concat(this.returned); // not unshift(...events): too many arguments for a long slice
    this.taken -= events.length;
  }
}

/** The body of POST /v1/risk/decisions for an event: occurred_at left out (the server's now). */
export function decisionBody(e: RiskEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    customer_id: e.customer_id,
    amount: e.amount?.toString(),
    currency: e.currency,
    counterparty_id: e.counterparty_id,
    merchant_id: e.merchant_id,
    device_id: e.device_id,
    ip: e.ip,
    phone: e.phone,
    account_id: e.account_id,
    channel: e.channel,
    geo: e.geo,
    attributes: e.attributes,
  });
}

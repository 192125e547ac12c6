/**
 * The closed loop of the in-process runs (engine and baseline alike): `in_flight` workers,
 * each deciding the next event as soon as its last decision resolved, until the events run
 * out or `seconds_max` has passed (then no new decision starts; those in flight finish).
 */
import type { Outcome, RiskEvent } from '../../src/risk/types.js';

export type OutcomeCounts = Partial<Record<Outcome, number>>;

export interface LoopRun {
  decisions: number;
  /** From the first decision's start to the last one's end. */
  seconds: number;
  latencies_ms: Float64Array;
  outcomes: OutcomeCounts;
  /** Events not decided because the time ran out, in order (give them back to the stream). */
  unused: RiskEvent[];
}

export async function closedLoop(events: readonly RiskEvent[], in_flight: number, seconds_max: number, decide: (event: RiskEvent) => Promise<Outcome>): Promise<LoopRun> {
  const latencies = new Float64Array(events.length);
  const outcomes: OutcomeCounts = {};
  const started = performance.now();
  const deadline = started + seconds_max * 1000;
  let next = 0;
  let done = 0;
  let last = started;
  const worker = async () => {
    while (next < events.length && performance.now() < deadline) {
      const index = next++;
      const t = performance.now();
      const outcome = await decide(events[index]!);
      last = performance.now();
      latencies[index] = last - t;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(in_flight, events.length)) }, worker));
  if (done !== next) throw new Error(`closed loop: ${next} decisions started, ${done} finished (bug)`);
  return { decisions: done, seconds: (last - started) / 1000, latencies_ms: latencies.subarray(0, done), outcomes, unused: events.slice(next) };
}

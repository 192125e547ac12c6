/**
 * Property-based tests of the velocity store. fast-check draws a clock that moves forward in
 * steps of seconds to days, and at each step a few events around it: mostly in the past
 * (out of order, some older than every window), some slightly ahead, some too far ahead to be
 * accepted. Times are drawn on bucket edges and one millisecond either side of them, where an
 * off-by-one would show. Every feature of a catalogue covering each entity × window ×
 * aggregate is then compared with a brute-force reference computed from the raw events with
 * the documented bucket semantics, and a rebuild from the stream with live observation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RiskEvent } from './types.js';
import {
  VELOCITY_ENTITIES,
  VELOCITY_WINDOWS,
  VelocityStore,
  entityValue,
  type VelocityEntity,
  type VelocityFeature,
  type VelocityWindow,
} from './velocity.js';

const FC_OPTIONS = { numRuns: 150, seed: Number(process.env.VELOCITY_FC_SEED ?? 20260115) };
const PROPERTY_TIMEOUT_MS = 120_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15); // a UTC midnight: every bucket edge lines up with it
const TOLERANCE_MS = 300_000;
const DISTINCT_MAX = 2; // small, so saturation happens
/** The same ids for every entity kind: kinds must stay apart. */
const IDS = ['x0', 'x1', 'x2'] as const;
const TYPES = ['payment', 'login', 'custom.card_bind'] as const;

function catalogue(): VelocityFeature[] {
  const defs: VelocityFeature[] = [];
  for (const entity of VELOCITY_ENTITIES) {
    const other: VelocityEntity = entity === 'customer' ? 'device' : 'customer';
    const distinctOf: VelocityEntity = entity === 'merchant' ? 'counterparty' : entity === 'ip' ? 'account' : other;
    for (const window of Object.keys(VELOCITY_WINDOWS) as VelocityWindow[]) {
      const w = window;
      defs.push(
        { name: `${entity}_count_${w}`, entity, aggregate: 'count', window },
        { name: `${entity}_logins_${w}`, entity, aggregate: 'count', window, event_types: ['login', 'custom.card_bind'] },
        { name: `${entity}_sum_${w}`, entity, aggregate: 'sum', of: 'amount', window, event_types: ['payment'] },
        { name: `${entity}_distinct_${w}`, entity, aggregate: 'distinct', of: distinctOf, window },
      );
    }
  }
  return defs;
}
const DEFS = catalogue();

/** A time offset: k units of a bucket size, nudged by -1, 0 or +1 ms. */
const offset = (kMax: number): fc.Arbitrary<number> =>
  fc
    .tuple(fc.constantFrom(1_000, 5_000, 60_000, 1_800_000, DAY), fc.integer({ min: 0, max: kMax }), fc.constantFrom(-1, 0, 0, 1))
    .map(([unit, k, nudge]) => Math.max(0, unit * k + nudge));

const optionalId = fc.option(fc.constantFrom(...IDS), { nil: undefined, freq: 3 });

const eventDraft = fc.record({
  /** How long before the clock the event happened; negative is after it. */
  lag: fc.oneof({ weight: 6, arbitrary: offset(40) }, { weight: 1, arbitrary: offset(5).map((o) => -o) }),
  type: fc.constantFrom(...TYPES),
  customer_id: fc.constantFrom(...IDS),
  device_id: optionalId,
  ip: optionalId,
  counterparty_id: optionalId,
  merchant_id: optionalId,
  account_id: optionalId,
  amount: fc.option(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), { nil: undefined, freq: 4 }),
});

const step = fc.record({ advance: offset(30), events: fc.array(eventDraft, { maxLength: 5 }), query: fc.boolean() });

interface Accepted {
  event: RiskEvent;
  t: number;
}

/** What the documentation says a feature reads at `now`, computed from the raw accepted events. */
function reference(def: VelocityFeature, accepted: readonly Accepted[], probe: RiskEvent, now: number): number {
  const value = entityValue(probe, def.entity);
  if (value === undefined) return 0;
  const { bucket_ms, buckets } = VELOCITY_WINDOWS[def.window];
  const hi = Math.floor(now / bucket_ms);
  const inWindow = accepted.filter(({ event, t }) => {
    const b = Math.floor(t / bucket_ms);
    return entityValue(event, def.entity) === value && (!def.event_types || def.event_types.includes(event.type)) && b > hi - buckets && b <= hi;
  });
  if (def.aggregate === 'count') return inWindow.length;
  if (def.aggregate === 'sum') return Number(inWindow.reduce((sum, { event }) => sum + (event.amount ?? 0n), 0n));
  // Each bucket keeps the first DISTINCT_MAX distinct values in arrival order; the feature is the union.
  const perBucket = new Map<number, Set<string>>();
  for (const { event, t } of inWindow) {
    const v = entityValue(event, def.of as VelocityEntity);
    if (v === undefined) continue;
    const b = Math.floor(t / bucket_ms);
    const set = perBucket.get(b) ?? new Set<string>();
    perBucket.set(b, set);
    if (set.size < DISTINCT_MAX) set.add(v);
  }
  return new Set([...perBucket.values()].flatMap((s) => [...s])).size;
}

function probes(now: number): RiskEvent[] {
  const none: RiskEvent = { id: 'p', type: 'payment', customer_id: 'nobody', occurred_at: new Date(now) };
  return [
    ...IDS.map((id): RiskEvent => ({ ...none, customer_id: id, device_id: id, ip: id, counterparty_id: id, merchant_id: id, account_id: id })),
    none,
  ];
}

function toEvent(draft: { lag: number } & Omit<RiskEvent, 'id' | 'occurred_at'>, t: number, n: number): RiskEvent {
  const { lag: _lag, ...fields } = draft;
  return { ...fields, id: `e${n}`, occurred_at: new Date(t) };
}

describe('VelocityStore properties', () => {
  it(
    'live features equal a brute-force reference over the raw events',
    () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
          const store = new VelocityStore(DEFS, { distinct_max: DISTINCT_MAX, future_tolerance_ms: TOLERANCE_MS });
          const accepted: Accepted[] = [];
          let now = T0;
          let n = 0;
          for (const s of steps) {
            now += s.advance;
            for (const draft of s.events) {
              const t = now - draft.lag;
              const event = toEvent(draft, t, n++);
              store.observe(event, new Date(now));
              if (t <= now + TOLERANCE_MS) accepted.push({ event, t });
            }
            if (!s.query) continue;
            for (const probe of probes(now)) {
              const got = store.features(probe, new Date(now));
              const want = Object.fromEntries(DEFS.map((def) => [def.name, reference(def, accepted, probe, now)]));
              expect(got).toEqual(want);
            }
          }
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'rebuild from the stream reads the same as observing it one event at a time',
    () => {
      const withinTolerance = eventDraft.filter((d) => d.lag >= -TOLERANCE_MS);
      const liveStep = fc.record({ advance: offset(30), events: fc.array(withinTolerance, { maxLength: 5 }), readFirst: fc.boolean() });
      fc.assert(
        fc.property(fc.array(liveStep, { minLength: 1, maxLength: 25 }), fc.nat({ max: 3 * DAY }), (steps, after) => {
          const live = new VelocityStore(DEFS, { distinct_max: DISTINCT_MAX, future_tolerance_ms: TOLERANCE_MS });
          const stream: RiskEvent[] = [];
          let now = T0;
          for (const s of steps) {
            now += s.advance;
            for (const draft of s.events) {
              const event = toEvent(draft, now - draft.lag, stream.length);
              stream.push(event);
              // The decision path reads the features (setting the clock) and then observes.
              if (s.readFirst) {
                live.features(event, new Date(now));
                live.observe(event);
              } else live.observe(event, new Date(now));
            }
          }
          const restart = new Date(now + after);
          const rebuilt = new VelocityStore(DEFS, { distinct_max: DISTINCT_MAX, future_tolerance_ms: TOLERANCE_MS });
          rebuilt.observe(stream[0] ?? probes(now)[0]!, new Date(now)); // state from before the restart is forgotten
          rebuilt.rebuild(stream, restart);
          for (const probe of probes(now)) expect(rebuilt.features(probe, restart)).toEqual(live.features(probe, restart));
          expect(rebuilt.entityCount).toBeLessThanOrEqual(live.entityCount);
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

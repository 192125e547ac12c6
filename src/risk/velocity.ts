/**
 * Velocity features: sliding-window aggregates per entity (how many events, how much money,
 * how many distinct devices/customers/… in the last minute, hour, day or month), kept in
 * memory and read in microseconds on the decision path. Pure and synchronous: time only
 * comes in as arguments.
 *
 * Features are data (`VelocityFeature`, checked by `validateVelocityFeatures`): an entity
 * the aggregate is kept per (customer, device, ip, counterparty, merchant, account — the
 * event fields `customer_id`, `device_id`, `ip`, `counterparty_id`, `merchant_id`,
 * `account_id`), an aggregate, a window and optionally the event types that count.
 *
 * Windows and buckets. Each window is cut into fixed buckets aligned to the Unix epoch (UTC):
 *
 *   window  buckets  bucket     "the last <window> at now" covers occurred_at in
 *   1m      12       5 s        [ (⌊now/5 s⌋ − 11) × 5 s,        (⌊now/5 s⌋ + 1) × 5 s )
 *   1h      60       1 min      [ (⌊now/1 min⌋ − 59) × 1 min,    (⌊now/1 min⌋ + 1) × 1 min )
 *   24h     48       30 min     [ (⌊now/30 min⌋ − 47) × 30 min,  (⌊now/30 min⌋ + 1) × 30 min )
 *   30d     30       1 day      [ (⌊now/1 d⌋ − 29) × 1 d,        (⌊now/1 d⌋ + 1) × 1 d )
 *
 * That is: the bucket that contains `now` (partial) plus the N − 1 full buckets before it.
 * So "the last 1 h" at 10:00:30 is 09:01:00.000 up to the end of the 10:00 minute: an event
 * at 09:01:00.000 counts, one at 09:00:59.999 does not; the window spans between N − 1 and
 * N buckets of real time. Day buckets run from UTC midnight to midnight, 30-minute buckets
 * from :00 and :30. An event later than `now` counts only once `now` reaches its bucket.
 *
 * Aggregates. `count`: matching events. `sum` (of: 'amount'): their amounts, bigint-exact per
 * bucket and over the window, returned as a number of minor units — exact while |sum| ≤
 * 2^53 − 1, the nearest double beyond; events without an amount are not part of a sum.
 * `distinct` (of: another entity): each bucket records up to `distinct_max` (default 256)
 * distinct values; a new value arriving in a full bucket is not recorded and the bucket is
 * saturated. The feature is the size of the union of the window's bucket sets: exact while
 * no bucket in the window is saturated, otherwise a lower bound that is ≥ distinct_max.
 * Events without the `of` field are not part of a distinct.
 *
 * `features(event, now)` reads the windows of the event's entities as they stand: it does
 * not include the event itself (the decision path reads, decides, then observes). An entity
 * the event does not carry (no device_id, say) reads 0. `observe` is not idempotent: the
 * caller observes each event id once.
 *
 * Clock and admission. The store's clock is the latest `now` it has been given (features,
 * observe's optional `now`, rebuild). With a clock:
 *   - an event more than `future_tolerance_ms` (default 5 min) after it is ignored, so a
 *     forged far-future occurred_at cannot push an entity's buckets forward and blind it;
 *   - an event whose bucket is at or before (clock's bucket − N) is too old for that window
 *     and is not recorded in it; one too old for every window of its entity creates nothing
 *     (in particular, events older than 30 days are ignored);
 *   - out-of-order events inside the window are accepted into their bucket;
 *   - buckets that have left the window at the clock are dropped (when their series is next
 *     read or written), so `features` at a `now` earlier than the clock does not see them.
 * Without a clock (a store fed only `observe(event)`, e.g. replaying stored events in time
 * order), each list keeps the N buckets ending at the newest bucket it has seen, like a
 * ring buffer, and nothing is rejected as future: give the store a clock (`rebuild(events,
 * now)`, `observe(event, now)`) whenever events come from outside.
 *
 * Memory and cost. Per (entity, feature) the non-empty buckets are kept as a short sorted
 * list keyed by bucket index (start = index × bucket_ms) — a ring buffer's semantics, but an
 * entity seen once costs one bucket, not N — with a running total (count, bigint sum, or
 * per-value bucket counts for distinct), so a read subtracts the few buckets outside its
 * window instead of adding up the window, and needs no allocation. A list holds at most N + ⌈future_tolerance_ms /
 * bucket_ms⌉ + 1 buckets; a distinct bucket at most distinct_max values. At most
 * `entities_max` (default 1,000,000) entities are kept: past that the least recently
 * observed one is evicted (an intrusive recency list, moved on observe: O(1)). Entities
 * are not expired by time; a stale one reads 0 until it is evicted.
 */
import { CUSTOM_EVENT_TYPE_PATTERN, EVENT_TYPES, type RiskEvent } from './types.js';

export const VELOCITY_ENTITIES = ['customer', 'device', 'ip', 'counterparty', 'merchant', 'account'] as const;
export type VelocityEntity = (typeof VELOCITY_ENTITIES)[number];
export const VELOCITY_AGGREGATES = ['count', 'sum', 'distinct'] as const;
export type VelocityAggregate = (typeof VELOCITY_AGGREGATES)[number];

/** Bucket layout of each window (see the header for what "the last <window>" means). */
export const VELOCITY_WINDOWS = {
  '1m': { bucket_ms: 5_000, buckets: 12 },
  '1h': { bucket_ms: 60_000, buckets: 60 },
  '24h': { bucket_ms: 1_800_000, buckets: 48 },
  '30d': { bucket_ms: 86_400_000, buckets: 30 },
} as const satisfies Record<string, { bucket_ms: number; buckets: number }>;
export type VelocityWindow = keyof typeof VELOCITY_WINDOWS;

export const VELOCITY_FEATURE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const VELOCITY_FEATURES_MAX = 256;
export const VELOCITY_EVENT_TYPES_MAX = 32;
export const ENTITIES_MAX_DEFAULT = 1_000_000;
export const DISTINCT_MAX_DEFAULT = 256;
export const FUTURE_TOLERANCE_MS_DEFAULT = 300_000;

export interface VelocityFeature {
  /** Read by rules as `velocity.<name>`. */
  name: string;
  entity: VelocityEntity;
  aggregate: VelocityAggregate;
  /** 'amount' for sum; another entity for distinct; absent for count. */
  of?: 'amount' | VelocityEntity | undefined;
  window: VelocityWindow;
  /** Only events of these types count; all types when absent. */
  event_types?: string[] | undefined;
}

export type VelocityValidation = { ok: true } | { ok: false; index: number; field: string; message: string };

export interface VelocityStoreOptions {
  entities_max?: number;
  /** Distinct values recorded per bucket before it saturates. */
  distinct_max?: number;
  /** How far after the store's clock an event may be and still count. */
  future_tolerance_ms?: number;
}

const FEATURE_KEYS = new Set(['name', 'entity', 'aggregate', 'of', 'window', 'event_types']);
const CUSTOM_TYPE = new RegExp(CUSTOM_EVENT_TYPE_PATTERN);
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** Checks feature definitions (as saved by an operator); the first problem found is reported. */
export function validateVelocityFeatures(defs: readonly VelocityFeature[]): VelocityValidation {
  if (!Array.isArray(defs)) return { ok: false, index: -1, field: 'features', message: 'must be an array' };
  if (defs.length > VELOCITY_FEATURES_MAX) return { ok: false, index: -1, field: 'features', message: `at most ${VELOCITY_FEATURES_MAX} features` };
  const names = new Set<string>();
  for (let index = 0; index < defs.length; index++) {
    const problem = featureProblem(defs[index], names);
    if (problem) return { ok: false, index, ...problem };
  }
  return { ok: true };
}

function featureProblem(def: unknown, names: Set<string>): { field: string; message: string } | undefined {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) return { field: '', message: 'must be an object' };
  const d = def as Record<string, unknown>;
  for (const key of Object.keys(d)) if (!FEATURE_KEYS.has(key)) return { field: key, message: 'unknown field' };
  if (typeof d.name !== 'string' || !VELOCITY_FEATURE_NAME_PATTERN.test(d.name)) {
    return { field: 'name', message: `must match ${VELOCITY_FEATURE_NAME_PATTERN.source}` };
  }
  if (names.has(d.name)) return { field: 'name', message: `duplicate feature name '${d.name}'` };
  names.add(d.name);
  if (!isOneOf(VELOCITY_ENTITIES, d.entity)) return { field: 'entity', message: `must be one of ${VELOCITY_ENTITIES.join(', ')}` };
  if (!isOneOf(VELOCITY_AGGREGATES, d.aggregate)) return { field: 'aggregate', message: `must be one of ${VELOCITY_AGGREGATES.join(', ')}` };
  if (typeof d.window !== 'string' || !Object.hasOwn(VELOCITY_WINDOWS, d.window)) {
    return { field: 'window', message: `must be one of ${Object.keys(VELOCITY_WINDOWS).join(', ')}` };
  }
  const ofProblem = ofFieldProblem(d.aggregate, d.entity, d.of);
  if (ofProblem) return { field: 'of', message: ofProblem };
  return eventTypesProblem(d.event_types);
}

function ofFieldProblem(aggregate: VelocityAggregate, entity: VelocityEntity, of: unknown): string | undefined {
  if (aggregate === 'count') return of === undefined ? undefined : 'count takes no "of"';
  if (aggregate === 'sum') return of === 'amount' ? undefined : "sum needs of: 'amount'";
  if (!isOneOf(VELOCITY_ENTITIES, of)) return `distinct needs "of" set to one of ${VELOCITY_ENTITIES.join(', ')}`;
  return of === entity ? `distinct ${of} per ${entity} is always 1: "of" must differ from "entity"` : undefined;
}

function eventTypesProblem(types: unknown): { field: string; message: string } | undefined {
  if (types === undefined) return undefined;
  if (!Array.isArray(types)) return { field: 'event_types', message: 'must be an array of event types' };
  if (types.length === 0) return { field: 'event_types', message: 'must not be empty (omit it to count every type)' };
  if (types.length > VELOCITY_EVENT_TYPES_MAX) return { field: 'event_types', message: `at most ${VELOCITY_EVENT_TYPES_MAX} types` };
  const seen = new Set<unknown>();
  for (let i = 0; i < types.length; i++) {
    const t: unknown = types[i];
    if (typeof t !== 'string' || !(KNOWN_TYPES.has(t) || CUSTOM_TYPE.test(t))) {
      return { field: `event_types[${i}]`, message: `must be one of ${EVENT_TYPES.join(', ')} or match ${CUSTOM_EVENT_TYPE_PATTERN}` };
    }
    if (seen.has(t)) return { field: `event_types[${i}]`, message: `duplicate type '${t}'` };
    seen.add(t);
  }
  return undefined;
}

/** The event field an entity is read from. */
export function entityValue(event: RiskEvent, entity: VelocityEntity): string | undefined {
  switch (entity) {
    case 'customer':
      return event.customer_id;
    case 'device':
      return event.device_id;
    case 'ip':
      return event.ip;
    case 'counterparty':
      return event.counterparty_id;
    case 'merchant':
      return event.merchant_id;
    case 'account':
      return event.account_id;
  }
}

interface Compiled {
  readonly name: string;
  /** `velocity.<name>`, the feature's key in a decision's context (built once, not per decision). */
  readonly context_key: string;
  /** Index of the feature's entity group in `VelocityStore.groups`. */
  readonly group: number;
  /** Position among the features of the same entity (index into `Entity.series`). */
  readonly slot: number;
  readonly aggregate: VelocityAggregate;
  readonly of: VelocityEntity | undefined;
  readonly bucket_ms: number;
  readonly buckets: number;
  readonly types: ReadonlySet<string> | undefined;
}

interface Group {
  readonly entity: VelocityEntity;
  readonly features: readonly Compiled[];
}

/** The values a distinct bucket records: most hold one, kept without a Set; null only while new. */
type DistinctBucket = string | Set<string> | null;

/**
 * The non-empty buckets of one (entity, feature), sorted by bucket index, with a running
 * total over all of them: a read subtracts only the few buckets outside its window (expired
 * ones not yet trimmed, or ones ahead of `now`) instead of adding up the whole window.
 */
abstract class Series<V> {
  readonly idx: number[] = [];
  readonly val: V[] = [];
  /** idx[0] and idx[last], kept here so the common read touches one object. */
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;

  protected abstract make(): V;
  /** Takes a dropped bucket out of the running total. */
  protected abstract forget(bucket: V): void;
  /** The aggregate over every held bucket. */
  abstract whole(): number;

  /** Drops the buckets at or below `floor`. */
  trim(floor: number): void {
    if (this.first > floor) return;
    const { idx, val } = this;
    let drop = 0;
    while (drop < idx.length && idx[drop]! <= floor) this.forget(val[drop++]!);
    if (drop === 1) {
      // The common case; shift moves the array start in place where splice allocates.
      idx.shift();
      val.shift();
    } else {
      idx.splice(0, drop);
      val.splice(0, drop);
    }
    this.first = idx[0] ?? Number.POSITIVE_INFINITY;
    if (idx.length === 0) this.last = Number.NEGATIVE_INFINITY;
  }

  /** Position of the bucket with index `b`, created if absent (events mostly arrive in order: append). */
  protected slot(b: number): number {
    const { idx, val } = this;
    let j = idx.length - 1;
    while (j >= 0 && idx[j]! > b) j--;
    if (j >= 0 && idx[j] === b) return j;
    if (b < this.first) this.first = b;
    if (b > this.last) this.last = b;
    if (j === idx.length - 1) {
      idx.push(b);
      val.push(this.make());
    } else {
      idx.splice(j + 1, 0, b);
      val.splice(j + 1, 0, this.make());
    }
    return j + 1;
  }
}

class CountSeries extends Series<number> {
  total = 0;
  protected make(): number {
    return 0;
  }
  protected forget(bucket: number): void {
    this.total -= bucket;
  }
  whole(): number {
    return this.total;
  }
  add(b: number): void {
    this.val[this.slot(b)]! += 1;
    this.total += 1;
  }
  /** Events in the buckets with lo < index ≤ hi. */
  read(lo: number, hi: number): number {
    const { idx, val } = this;
    let total = this.total;
    for (let j = 0; j < idx.length && idx[j]! <= lo; j++) total -= val[j]!;
    for (let j = idx.length - 1; j >= 0 && idx[j]! > hi; j--) total -= val[j]!;
    return total;
  }
}

class SumSeries extends Series<bigint> {
  total = 0n;
  protected make(): bigint {
    return 0n;
  }
  protected forget(bucket: bigint): void {
    this.total -= bucket;
  }
  whole(): number {
    return Number(this.total);
  }
  add(b: number, amount: bigint): void {
    this.val[this.slot(b)]! += amount;
    this.total += amount;
  }
  read(lo: number, hi: number): number {
    const { idx, val } = this;
    let total = this.total;
    for (let j = 0; j < idx.length && idx[j]! <= lo; j++) total -= val[j]!;
    for (let j = idx.length - 1; j >= 0 && idx[j]! > hi; j--) total -= val[j]!;
    return Number(total);
  }
}

class DistinctSeries extends Series<DistinctBucket> {
  /** For each recorded value, how many held buckets record it: its keys are the union. */
  readonly refs = new Map<string, number>();
  protected make(): DistinctBucket {
    return null;
  }
  whole(): number {
    return this.refs.size;
  }
  protected forget(bucket: DistinctBucket): void {
    if (typeof bucket === 'string') this.unref(bucket);
    else if (bucket !== null) for (const v of bucket) this.unref(v);
  }
  /** Records `value` in bucket `b` unless the bucket already holds `distinct_max` values (saturated). */
  add(b: number, value: string, distinct_max: number): void {
    const at = this.slot(b);
    const bucket = this.val[at]!;
    if (bucket === null) this.val[at] = value;
    else if (typeof bucket === 'string') {
      if (bucket === value || distinct_max < 2) return;
      this.val[at] = new Set([bucket, value]);
    } else {
      const size = bucket.size;
      if (size >= distinct_max) return;
      bucket.add(value);
      if (bucket.size === size) return;
    }
    this.refs.set(value, (this.refs.get(value) ?? 0) + 1);
  }
  /** Distinct values in the buckets with lo < index ≤ hi; `scratch` is cleared and reused. */
  read(lo: number, hi: number, scratch: Map<string, number>): number {
    const { idx } = this;
    let first = 0;
    while (first < idx.length && idx[first]! <= lo) first++;
    let end = idx.length;
    while (end > first && idx[end - 1]! > hi) end--;
    if (first === 0 && end === idx.length) return this.refs.size;
    // A value is out of the window when every bucket recording it is.
    scratch.clear();
    for (let j = 0; j < first; j++) this.exclude(this.val[j]!, scratch);
    for (let j = end; j < idx.length; j++) this.exclude(this.val[j]!, scratch);
    let gone = 0;
    for (const [v, n] of scratch) if (this.refs.get(v) === n) gone++;
    scratch.clear();
    return this.refs.size - gone;
  }
  private exclude(bucket: DistinctBucket, counts: Map<string, number>): void {
    if (typeof bucket === 'string') counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    else if (bucket !== null) for (const v of bucket) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  private unref(value: string): void {
    const n = this.refs.get(value)!;
    if (n === 1) this.refs.delete(value);
    else this.refs.set(value, n - 1);
  }
}

type AnySeries = CountSeries | SumSeries | DistinctSeries;

/** One entity's series, and its place in the store's recency list (least recently observed first). */
class Entity {
  readonly series: (AnySeries | undefined)[];
  prev: Entity | undefined = undefined;
  next: Entity | undefined = undefined;
  constructor(
    readonly group: number,
    readonly key: string,
    features: number,
  ) {
    this.series = new Array<AnySeries | undefined>(features).fill(undefined);
  }
}

function makeSeries(aggregate: VelocityAggregate): AnySeries {
  return aggregate === 'count' ? new CountSeries() : aggregate === 'sum' ? new SumSeries() : new DistinctSeries();
}

function epochMs(date: Date, what: string): number {
  const t = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid Date`);
  return t;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

export class VelocityStore {
  private readonly compiled: readonly Compiled[];
  /** Features per entity kind, in definition order; kinds without features are absent. */
  private readonly groups: readonly Group[];
  /** Entities of each group by id (one map per kind: no key concatenation on the hot path). */
  private readonly entities: Map<string, Entity>[];
  private entity_count = 0;
  /** The recency list: `oldest` is evicted first; observing moves an entity to `newest`. */
  private oldest: Entity | undefined;
  private newest: Entity | undefined;
  private readonly entities_max: number;
  private readonly distinct_max: number;
  private readonly future_tolerance_ms: number;
  private clock_ms = Number.NEGATIVE_INFINITY;
  private bucket_total = 0;
  /** Scratch state reused by every `features` call: the entity of each group, a counting map. */
  private readonly states: (Entity | undefined)[];
  private readonly scratch = new Map<string, number>();

  constructor(defs: VelocityFeature[], options: VelocityStoreOptions = {}) {
    const valid = validateVelocityFeatures(defs);
    if (!valid.ok) throw new RangeError(`invalid velocity feature #${valid.index} (${valid.field}): ${valid.message}`);
    this.entities_max = positiveInt(options.entities_max, ENTITIES_MAX_DEFAULT, 'entities_max');
    this.distinct_max = positiveInt(options.distinct_max, DISTINCT_MAX_DEFAULT, 'distinct_max');
    const tolerance = options.future_tolerance_ms ?? FUTURE_TOLERANCE_MS_DEFAULT;
    if (!Number.isSafeInteger(tolerance) || tolerance < 0) throw new RangeError(`future_tolerance_ms must be a non-negative integer, got ${tolerance}`);
    this.future_tolerance_ms = tolerance;
    const groups: { entity: VelocityEntity; features: Compiled[] }[] = [];
    this.compiled = defs.map((def) => {
      let group = groups.find((g) => g.entity === def.entity);
      if (!group) groups.push((group = { entity: def.entity, features: [] }));
      const compiled: Compiled = {
        name: def.name,
        context_key: `velocity.${def.name}`,
        group: groups.indexOf(group),
        slot: group.features.length,
        aggregate: def.aggregate,
        of: def.aggregate === 'distinct' ? (def.of as VelocityEntity) : undefined,
        ...VELOCITY_WINDOWS[def.window],
        types: def.event_types ? new Set(def.event_types) : undefined,
      };
      group.features.push(compiled);
      return compiled;
    });
    this.groups = groups;
    this.entities = groups.map(() => new Map<string, Entity>());
    this.states = new Array<Entity | undefined>(groups.length).fill(undefined);
  }

  /** Records an event into the windows of its entities. `now`, when given, also advances the clock. */
  observe(event: RiskEvent, now?: Date): void {
    const t = epochMs(event.occurred_at, 'occurred_at');
    if (now !== undefined) this.advance(epochMs(now, 'now'));
    if (Number.isFinite(this.clock_ms) && t > this.clock_ms + this.future_tolerance_ms) return;
    for (let g = 0; g < this.groups.length; g++) {
      const { entity, features } = this.groups[g]!;
      const value = entityValue(event, entity);
      if (value === undefined) continue;
      let state: Entity | undefined;
      for (const f of features) {
        if (f.types !== undefined && !f.types.has(event.type)) continue;
        const b = Math.floor(t / f.bucket_ms);
        if (b <= Math.floor(this.clock_ms / f.bucket_ms) - f.buckets) continue;
        const of = f.of === undefined ? undefined : entityValue(event, f.of);
        if (f.aggregate === 'sum' ? event.amount === undefined : f.aggregate === 'distinct' && of === undefined) continue;
        state ??= this.touch(g, value, features.length);
        this.record(state, f, b, event.amount, of);
      }
    }
  }

  /** The features of the event's entities at `now`, keyed by feature name (definition order). */
  features(event: RiskEvent, now: Date): Record<string, number> {
    const out: Record<string, number> = {};
    this.compute(event, now, (f, value) => {
      out[f.name] = value;
    });
    return out;
  }

  /** The same features written straight into a decision's context as `velocity.<name>` keys. */
  writeContext(event: RiskEvent, now: Date, ctx: Record<string, unknown>): void {
    this.compute(event, now, (f, value) => {
      ctx[f.context_key] = value;
    });
  }

  private compute(event: RiskEvent, now: Date, emit: (f: Compiled, value: number) => void): void {
    const now_ms = epochMs(now, 'now');
    this.advance(now_ms);
    const states = this.states;
    for (let g = 0; g < this.groups.length; g++) {
      const value = entityValue(event, this.groups[g]!.entity);
      states[g] = value === undefined ? undefined : this.entities[g]!.get(value);
    }
    for (const f of this.compiled) {
      const series = states[f.group]?.series[f.slot];
      if (series === undefined) {
        emit(f, 0);
        continue;
      }
      const floor = Math.floor(this.clock_ms / f.bucket_ms) - f.buckets;
      if (series.first <= floor) {
        // Buckets that have left the window at the clock go now rather than on the next observe.
        const held = series.idx.length;
        series.trim(floor);
        this.bucket_total -= held - series.idx.length;
      }
      const hi = Math.floor(now_ms / f.bucket_ms);
      const lo = hi - f.buckets;
      if (series.first > lo && series.last <= hi) emit(f, series.whole());
      else emit(f, series instanceof DistinctSeries ? series.read(lo, hi, this.scratch) : series.read(lo, hi));
    }
    states.fill(undefined);
  }

  /** Forgets everything, sets the clock to `now` and replays `events` (pass them in time order). */
  rebuild(events: Iterable<RiskEvent>, now: Date): void {
    const now_ms = epochMs(now, 'now');
    for (const map of this.entities) map.clear();
    this.entity_count = 0;
    this.oldest = this.newest = undefined;
    this.bucket_total = 0;
    this.clock_ms = now_ms;
    for (const event of events) this.observe(event, now);
  }

  get entityCount(): number {
    return this.entity_count;
  }

  stats(): { entities: number; buckets: number } {
    return { entities: this.entity_count, buckets: this.bucket_total };
  }

  private advance(now_ms: number): void {
    if (now_ms > this.clock_ms) this.clock_ms = now_ms;
  }

  /** The entity's state, created if new (evicting the oldest at capacity), moved to the newest end. */
  private touch(group: number, key: string, features: number): Entity {
    const map = this.entities[group]!;
    let entity = map.get(key);
    if (entity === undefined) {
      if (this.entity_count >= this.entities_max) this.evict(this.oldest!);
      entity = new Entity(group, key, features);
      map.set(key, entity);
      this.entity_count++;
    } else if (entity === this.newest) return entity;
    else this.unlink(entity);
    entity.prev = this.newest;
    entity.next = undefined;
    if (this.newest) this.newest.next = entity;
    else this.oldest = entity;
    this.newest = entity;
    return entity;
  }

  private unlink(entity: Entity): void {
    if (entity.prev) entity.prev.next = entity.next;
    else this.oldest = entity.next;
    if (entity.next) entity.next.prev = entity.prev;
    else this.newest = entity.prev;
    entity.prev = entity.next = undefined;
  }

  private evict(entity: Entity): void {
    this.unlink(entity);
    this.entities[entity.group]!.delete(entity.key);
    this.entity_count--;
    for (const series of entity.series) if (series) this.bucket_total -= series.idx.length;
  }

  private record(state: Entity, f: Compiled, b: number, amount: bigint | undefined, of: string | undefined): void {
    const series = (state.series[f.slot] ??= makeSeries(f.aggregate));
    const idx = series.idx;
    // With a clock, keep what a window can still need; without one, the N buckets up to the newest seen.
    const newest = Math.max(b, idx[idx.length - 1] ?? b);
    const floor = (Number.isFinite(this.clock_ms) ? Math.floor(this.clock_ms / f.bucket_ms) : newest) - f.buckets;
    if (b <= floor) return;
    const before = idx.length;
    series.trim(floor);
    if (series instanceof CountSeries) series.add(b);
    else if (series instanceof SumSeries) series.add(b, amount!);
    else series.add(b, of!, this.distinct_max);
    this.bucket_total += idx.length - before;
  }
}

/**
 * A seeded transaction simulator for the risk engine: a population of customers living
 * ordinary banking lives (logins, shop payments, transfers, new beneficiaries, salaries)
 * with four fraud patterns woven in, every event labelled. Backtests, the benchmark and the
 * demo data all read it, so the same options must always give exactly the same stream.
 *
 * Pure: no clock, no I/O, no Math.random. Every draw comes from xoshiro128** streams seeded
 * from (seed, stream, index), one stream per customer, per merchant, per incident, plus one
 * for the schedule and one for event ids. A customer's behaviour therefore depends only on
 * the seed and its own index, never on how the merge below interleaves the sources.
 *
 * Streaming: each customer is a source that produces one local day at a time, each incident
 * a source that expands when the stream reaches its start; a min-heap of sources merges them
 * in time order. Memory holds the population, one day of events per customer and the
 * incident schedule: it grows with customers (and fraud rates), never with the stream.
 *
 * Geography, IP ranges and phone prefixes are illustrative (plausible shapes, not a
 * geolocation table). Amounts are modelled in CNY-like magnitudes of the major unit and
 * scaled by the currency's minor-unit scale.
 */
import { currencyScale } from '../ledger/currencies.js';
import type { RiskEvent } from './types.js';

// ---------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------

export type FraudPattern = 'account_takeover' | 'mule_ring' | 'card_testing' | 'salami';
export const FRAUD_PATTERNS: readonly FraudPattern[] = ['account_takeover', 'mule_ring', 'card_testing', 'salami'];

/** Expected incidents per 1,000 customers over the period, per pattern. */
export type FraudRates = { [P in FraudPattern]?: number };

export interface SimulatorOptions {
  seed: number;
  customers: number;
  merchants: number;
  days: number;
  start: Date;
  fraud_rate?: FraudRates;
  /** ISO 4217 code known to the ledger; default 'CNY'. */
  currency?: string;
}

export interface LabelledEvent {
  event: RiskEvent;
  fraud: boolean;
  pattern: FraudPattern | null;
  incident_id: string | null;
}

export const DEFAULT_FRAUD_RATE: Readonly<Record<FraudPattern, number>> = {
  account_takeover: 5,
  mule_ring: 2,
  card_testing: 4,
  salami: 2,
};

export const CUSTOMERS_MAX = 999_999; // ids are c + 6 digits
export const MERCHANTS_MAX = 9_999; // ids are m + 4 digits
export const DAYS_MAX = 3_660;
export const FRAUD_RATE_MAX = 1_000; // incidents per 1,000 customers, per pattern

/** The demo population: two weeks from a Monday, 2,000 customers. */
export const DEFAULT_SIM: SimulatorOptions = Object.freeze({
  seed: 7,
  customers: 2_000,
  merchants: 200,
  days: 14,
  start: new Date('2026-01-05T00:00:00.000Z'),
});

/** The labelled event stream, in non-decreasing `occurred_at` order. Options are checked now. */
export function simulate(options: SimulatorOptions): Generator<LabelledEvent> {
  const world = buildWorld(options);
  return merge(world, [...world.customers.map(customerSource(world)), ...scheduleIncidents(world)]);
}

export interface SimulationSummary {
  events: number;
  fraud_events: number;
  by_pattern: Record<FraudPattern, { incidents: number; events: number }>;
  by_type: Record<string, number>;
  customers: number;
  /** Invalid Date when there were no events. */
  first: Date;
  last: Date;
}

export function summarise(events: Iterable<LabelledEvent>): SimulationSummary {
  const by_pattern = Object.fromEntries(FRAUD_PATTERNS.map((p) => [p, { incidents: 0, events: 0 }])) as SimulationSummary['by_pattern'];
  const by_type = new Map<string, number>();
  const incidents = new Set<string>();
  const customers = new Set<string>();
  let count = 0;
  let fraud_events = 0;
  let first = Number.NaN;
  let last = Number.NaN;
  for (const { event, pattern, incident_id } of events) {
    count += 1;
    const at_ms = event.occurred_at.getTime();
    if (!(at_ms >= first)) first = at_ms;
    if (!(at_ms <= last)) last = at_ms;
    by_type.set(event.type, (by_type.get(event.type) ?? 0) + 1);
    customers.add(event.customer_id);
    if (pattern === null) continue;
    fraud_events += 1;
    by_pattern[pattern].events += 1;
    const key = `${pattern}\u0000${incident_id ?? ''}`;
    if (!incidents.has(key)) {
      incidents.add(key);
      by_pattern[pattern].incidents += 1;
    }
  }
  return {
    events: count,
    fraud_events,
    by_pattern,
    by_type: Object.fromEntries(by_type),
    customers: customers.size,
    first: new Date(first),
    last: new Date(last),
  };
}

// ---------------------------------------------------------------------------------------
// Randomness: xoshiro128** (Blackman & Vigna), seeded through murmur3's finaliser
// ---------------------------------------------------------------------------------------

function fmix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const TWO_POW_32 = 4_294_967_296;

export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Raw state, for reference vectors; at least one word must be non-zero. */
  static fromState(a: number, b: number, c: number, d: number): Xoshiro128 {
    const r = new Xoshiro128(0, 0, 0);
    r.a = a | 0;
    r.b = b | 0;
    r.c = c | 0;
    r.d = d | 0;
    return r;
  }

  /** An independent stream for (seed, stream, index): a different value of any gives other draws. */
  constructor(seed: number, stream: number, index: number) {
    let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
    h = fmix32(h ^ (Math.floor(seed / TWO_POW_32) >>> 0));
    h = fmix32(h ^ Math.imul(stream + 1, 0x27d4eb2f));
    h = fmix32(h ^ Math.imul(index + 1, 0x165667b1));
    // splitmix-style expansion of one word into four decorrelated ones
    this.a = fmix32((h = (h + 0x9e3779b9) | 0)) | 0;
    this.b = fmix32((h = (h + 0x9e3779b9) | 0)) | 0;
    this.c = fmix32((h = (h + 0x9e3779b9) | 0)) | 0;
    this.d = fmix32((h + 0x9e3779b9) | 0) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  u32(): number {
    const b = this.b;
    const product = Math.imul(b, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / TWO_POW_32;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Standard normal (Box–Muller; the second variate is dropped to keep the stream simple). */
  normal(): number {
    const u = (this.u32() + 1) / TWO_POW_32;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Knuth's method: fine for the small means used here (a few per day). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k += 1;
      p *= this.float();
    }
    return k;
  }
}

const STREAM_CUSTOMER = 1;
const STREAM_MERCHANT = 2;
const STREAM_SCHEDULE = 3;
const STREAM_EVENT_IDS = 4;
const STREAM_INCIDENT = 16; // + pattern index

// ---------------------------------------------------------------------------------------
// The world: places, merchants, customers
// ---------------------------------------------------------------------------------------

interface City {
  readonly name: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  readonly utc_offset_min: number;
  readonly weight: number;
}

const city = (name: string, country: string, lat: number, lon: number, utc_offset_min: number, weight = 1): City => ({
  name,
  country,
  lat,
  lon,
  utc_offset_min,
  weight,
});

const HOME_CITIES: readonly City[] = [
  city('Shanghai', 'CN', 31.23, 121.47, 480, 24),
  city('Beijing', 'CN', 39.9, 116.41, 480, 22),
  city('Guangzhou', 'CN', 23.13, 113.26, 480, 18),
  city('Shenzhen', 'CN', 22.54, 114.06, 480, 17),
  city('Chengdu', 'CN', 30.57, 104.07, 480, 21),
  city('Chongqing', 'CN', 29.56, 106.55, 480, 16),
  city('Wuhan', 'CN', 30.59, 114.31, 480, 13),
  city("Xi'an", 'CN', 34.34, 108.94, 480, 13),
  city('Tianjin', 'CN', 39.13, 117.2, 480, 13),
  city('Hangzhou', 'CN', 30.27, 120.16, 480, 12),
  city('Suzhou', 'CN', 31.3, 120.59, 480, 12),
  city('Nanjing', 'CN', 32.06, 118.8, 480, 9),
  city('Hong Kong', 'HK', 22.32, 114.17, 480, 3),
  city('Singapore', 'SG', 1.35, 103.82, 480, 2),
  city('Kuala Lumpur', 'MY', 3.14, 101.69, 480, 1),
  city('London', 'GB', 51.51, -0.13, 0, 1),
  city('New York', 'US', 40.71, -74.01, -300, 1),
];

const TRAVEL_CITIES: readonly City[] = [
  city('Tokyo', 'JP', 35.68, 139.69, 540),
  city('Seoul', 'KR', 37.57, 126.98, 540),
  city('Bangkok', 'TH', 13.76, 100.5, 420),
  city('Singapore', 'SG', 1.35, 103.82, 480),
  city('Hong Kong', 'HK', 22.32, 114.17, 480),
  city('Paris', 'FR', 48.86, 2.35, 60),
  city('Sydney', 'AU', -33.87, 151.21, 600),
  city('London', 'GB', 51.51, -0.13, 0),
  city('New York', 'US', 40.71, -74.01, -300),
];

const ATTACKER_CITIES: readonly City[] = [
  city('Moscow', 'RU', 55.76, 37.62, 180),
  city('Lagos', 'NG', 6.52, 3.38, 60),
  city('Sao Paulo', 'BR', -23.55, -46.63, -180),
  city('Ho Chi Minh City', 'VN', 10.82, 106.63, 420),
  city('Phnom Penh', 'KH', 11.56, 104.92, 420),
  city('Manila', 'PH', 14.6, 120.98, 480),
  city('Bucharest', 'RO', 44.43, 26.1, 120),
  city('Amsterdam', 'NL', 52.37, 4.9, 60),
  city('Kyiv', 'UA', 50.45, 30.52, 120),
  city('Dubai', 'AE', 25.2, 55.27, 240),
];

interface Country {
  readonly calling_code: string;
  readonly mobile_prefixes: readonly string[];
  readonly ip_first_octets: readonly number[];
}

const COUNTRIES: Readonly<Record<string, Country>> = {
  CN: { calling_code: '86', mobile_prefixes: ['130', '135', '138', '150', '158', '177', '186', '189', '199'], ip_first_octets: [36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 180, 182, 183, 218, 219, 220, 221, 222, 223] },
  HK: { calling_code: '852', mobile_prefixes: ['5', '6', '9'], ip_first_octets: [14, 103, 203] },
  SG: { calling_code: '65', mobile_prefixes: ['8', '9'], ip_first_octets: [8, 116, 175] },
  MY: { calling_code: '60', mobile_prefixes: ['12', '17'], ip_first_octets: [60, 175, 183] },
  GB: { calling_code: '44', mobile_prefixes: ['77', '78'], ip_first_octets: [2, 31, 81, 86] },
  US: { calling_code: '1', mobile_prefixes: ['212', '646'], ip_first_octets: [24, 68, 73, 98] },
  JP: { calling_code: '81', mobile_prefixes: ['90'], ip_first_octets: [126, 133, 153] },
  KR: { calling_code: '82', mobile_prefixes: ['10'], ip_first_octets: [121, 175, 211] },
  TH: { calling_code: '66', mobile_prefixes: ['8'], ip_first_octets: [49, 171, 184] },
  FR: { calling_code: '33', mobile_prefixes: ['6'], ip_first_octets: [78, 82, 90] },
  AU: { calling_code: '61', mobile_prefixes: ['4'], ip_first_octets: [1, 49, 101] },
  RU: { calling_code: '7', mobile_prefixes: ['9'], ip_first_octets: [5, 31, 46, 95] },
  NG: { calling_code: '234', mobile_prefixes: ['80'], ip_first_octets: [41, 102, 105] },
  BR: { calling_code: '55', mobile_prefixes: ['11'], ip_first_octets: [177, 179, 189] },
  VN: { calling_code: '84', mobile_prefixes: ['9'], ip_first_octets: [14, 113, 171] },
  KH: { calling_code: '855', mobile_prefixes: ['1'], ip_first_octets: [27, 103, 175] },
  PH: { calling_code: '63', mobile_prefixes: ['9'], ip_first_octets: [49, 112, 180] },
  RO: { calling_code: '40', mobile_prefixes: ['7'], ip_first_octets: [5, 79, 86] },
  NL: { calling_code: '31', mobile_prefixes: ['6'], ip_first_octets: [31, 77, 185] },
  UA: { calling_code: '380', mobile_prefixes: ['67'], ip_first_octets: [31, 46, 176] },
  AE: { calling_code: '971', mobile_prefixes: ['5'], ip_first_octets: [5, 86, 94] },
};

function countryOf(code: string): Country {
  const country = COUNTRIES[code];
  if (country === undefined) throw new Error(`simulator: no country data for ${code} (bug)`);
  return country;
}

interface Category {
  readonly name: string;
  readonly median_major: number;
  readonly sigma: number;
  readonly weight: number;
  readonly big_ticket: boolean;
}

const CATEGORIES: readonly Category[] = [
  { name: 'grocery', median_major: 45, sigma: 0.7, weight: 25, big_ticket: false },
  { name: 'restaurant', median_major: 70, sigma: 0.6, weight: 20, big_ticket: false },
  { name: 'convenience', median_major: 20, sigma: 0.6, weight: 15, big_ticket: false },
  { name: 'transport', median_major: 18, sigma: 0.5, weight: 12, big_ticket: false },
  { name: 'online_retail', median_major: 160, sigma: 0.9, weight: 12, big_ticket: false },
  { name: 'utilities', median_major: 180, sigma: 0.4, weight: 5, big_ticket: false },
  { name: 'pharmacy', median_major: 60, sigma: 0.6, weight: 4, big_ticket: false },
  { name: 'electronics', median_major: 1_800, sigma: 0.8, weight: 4, big_ticket: true },
  { name: 'travel', median_major: 1_500, sigma: 0.7, weight: 3, big_ticket: true },
];

function weighted<T extends { readonly weight: number }>(r: Xoshiro128, items: readonly T[]): T {
  let total = 0;
  for (const item of items) total += item.weight;
  let u = r.float() * total;
  for (const item of items) {
    u -= item.weight;
    if (u < 0) return item;
  }
  return items[items.length - 1]!;
}

interface Merchant {
  readonly id: string;
  readonly category: Category;
}

interface Device {
  readonly id: string;
  readonly channel: 'app' | 'web';
}

interface Travel {
  readonly city: City;
  readonly ip_prefix: string;
  readonly until_day: number;
}

interface Customer {
  readonly index: number;
  readonly id: string;
  readonly account_id: string;
  readonly phone: string;
  readonly home: City;
  readonly lat: number;
  readonly lon: number;
  readonly ip_prefix: string;
  readonly ip_host: number;
  /** Current devices; [0] is the everyday phone, replaced when the customer upgrades. */
  devices: Device[];
  device_letters_used: number;
  readonly merchants: readonly number[];
  /** Known payees, oldest first; new beneficiaries push the oldest out. */
  counterparties: string[];
  readonly login_rate: number;
  readonly merchant_rate: number;
  readonly transfer_rate: number;
  readonly beneficiary_rate: number;
  readonly inbound_rate: number;
  readonly hour_shift: number;
  readonly spend_factor: number;
  readonly transfer_median_major: number;
  /** Day of month the salary arrives, 0 for none. */
  readonly payday: number;
  readonly salary_major: number;
  readonly employer_id: string;
  travel: Travel | null;
  readonly random: Xoshiro128;
  /** Local midnight (UTC ms) of the local day containing the simulation start. */
  readonly local_base_ms: number;
}

interface World {
  readonly seed: number;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly currency: string;
  readonly minor_per_major: number;
  readonly rates: Readonly<Record<FraudPattern, number>>;
  readonly merchants: readonly Merchant[];
  readonly big_ticket_merchants: readonly number[];
  readonly customers: readonly Customer[];
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const SECOND_MS = 1_000;
const COUNTERPARTIES_MAX = 8;
const UUID_TIME_MAX_MS = 2 ** 48 - 1;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const hex = (n: number, width: number): string => (n >>> 0).toString(16).padStart(width, '0');
const NIBBLE = '0123456789abcdef';
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => hex(b, 2));
/** Eight hex digits of a 32-bit word, without number formatting (this runs for every event id). */
const hex8 = (n: number): string => HEX_BYTE[(n >>> 24) & 255]! + HEX_BYTE[(n >>> 16) & 255]! + HEX_BYTE[(n >>> 8) & 255]! + HEX_BYTE[n & 255]!;
const customerId = (i: number): string => `c${pad(i, 6)}`;
const accountId = (i: number): string => `a${pad(i, 6)}`;
const merchantId = (j: number): string => `m${pad(j, 4)}`;
/** Accounts outside the bank (payees, payers, employers): `e` + 8 hex digits. */
const externalId = (r: Xoshiro128): string => `e${hex(r.u32(), 8)}`;
/** Devices never seen on any customer: `dx` + 6 hex digits. */
const foreignDeviceId = (r: Xoshiro128): string => `dx${hex(r.u32() & 0xffffff, 6)}`;
const ipPrefix = (r: Xoshiro128, country: string): string => `${r.pick(countryOf(country).ip_first_octets)}.${r.int(1, 254)}.${r.int(0, 255)}`;
const ipIn = (r: Xoshiro128, prefix: string): string => `${prefix}.${r.int(2, 254)}`;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function intOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`simulator: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

function buildWorld(options: SimulatorOptions): World {
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`simulator: seed must be a safe integer, got ${options.seed}`);
  const customers = intOption('customers', options.customers, 1, CUSTOMERS_MAX);
  const merchants = intOption('merchants', options.merchants, 1, MERCHANTS_MAX);
  const days = intOption('days', options.days, 1, DAYS_MAX);
  const start_ms = options.start instanceof Date ? options.start.getTime() : Number.NaN;
  if (!Number.isFinite(start_ms) || start_ms < 0) throw new RangeError('simulator: start must be a valid Date from 1970 on');
  const end_ms = start_ms + days * DAY_MS;
  if (end_ms > UUID_TIME_MAX_MS) throw new RangeError('simulator: the period must end within UUIDv7 time');
  const currency = options.currency ?? 'CNY';
  const scale = currencyScale(currency);
  if (scale === undefined) throw new RangeError(`simulator: unknown currency ${currency}`);
  const rates = { ...DEFAULT_FRAUD_RATE };
  for (const pattern of FRAUD_PATTERNS) {
    const rate = options.fraud_rate?.[pattern];
    if (rate === undefined) continue;
    if (!Number.isFinite(rate) || rate < 0 || rate > FRAUD_RATE_MAX) throw new RangeError(`simulator: fraud_rate.${pattern} must be in [0, ${FRAUD_RATE_MAX}], got ${rate}`);
    rates[pattern] = rate;
  }
  const merchantList = Array.from({ length: merchants }, (_, j) => buildMerchant(options.seed, j));
  const big = merchantList.flatMap((m, j) => (m.category.big_ticket ? [j] : []));
  const partial = { seed: options.seed, start_ms, end_ms, currency, minor_per_major: 10 ** scale, rates, merchants: merchantList, big_ticket_merchants: big };
  const population = Array.from({ length: customers }, (_, i) => buildCustomer(partial, customers, i));
  return { ...partial, customers: population };
}

function buildMerchant(seed: number, j: number): Merchant {
  const r = new Xoshiro128(seed, STREAM_MERCHANT, j);
  return { id: merchantId(j), category: weighted(r, CATEGORIES) };
}

function distinctIndices(r: Xoshiro128, bound: number, count: number, exclude = -1): number[] {
  const wanted = Math.min(count, bound - (exclude >= 0 && exclude < bound ? 1 : 0));
  const chosen = new Set<number>();
  while (chosen.size < wanted) {
    const k = r.int(0, bound - 1);
    if (k !== exclude) chosen.add(k);
  }
  return [...chosen];
}

/** A payee: another customer's account or an account at another bank. */
function newPayee(r: Xoshiro128, customers: number, self: number): string {
  if (customers > 1 && r.chance(0.55)) return accountId(distinctIndices(r, customers, 1, self)[0]!);
  return externalId(r);
}

function buildCustomer(world: Omit<World, 'customers'>, customers: number, i: number): Customer {
  const r = new Xoshiro128(world.seed, STREAM_CUSTOMER, i);
  const home = weighted(r, HOME_CITIES);
  const country = countryOf(home.country);
  // index × odd multiplier coprime with 10^8, offset by the seed: unique, seed-shaped numbers
  const suffix = (i * 48_271 + (world.seed >>> 0)) % 100_000_000;
  const devices: Device[] = [{ id: `d${pad(i, 6)}a`, channel: 'app' }];
  if (r.chance(0.35)) devices.push({ id: `d${pad(i, 6)}b`, channel: 'web' });
  const wealth = r.logNormal(1, 0.6);
  const offset_ms = home.utc_offset_min * MINUTE_MS;
  return {
    index: i,
    id: customerId(i),
    account_id: accountId(i),
    phone: `+${country.calling_code}${r.pick(country.mobile_prefixes)}${pad(suffix, 8)}`,
    home,
    lat: round2(home.lat + 0.06 * r.normal()),
    lon: round2(home.lon + 0.06 * r.normal()),
    ip_prefix: ipPrefix(r, home.country),
    ip_host: r.int(2, 254),
    devices,
    device_letters_used: devices.length,
    merchants: distinctIndices(r, world.merchants.length, r.int(3, 8)),
    counterparties: Array.from({ length: r.int(1, 4) }, () => newPayee(r, customers, i)),
    login_rate: Math.min(3, Math.max(0.1, r.logNormal(1.1, 0.5))),
    merchant_rate: Math.min(5, Math.max(0.05, r.logNormal(1.0, 0.6))),
    transfer_rate: Math.min(1, Math.max(0.01, r.logNormal(0.12, 0.7))),
    beneficiary_rate: Math.min(0.1, r.logNormal(0.02, 0.5)),
    inbound_rate: Math.min(0.3, r.logNormal(0.06, 0.6)),
    hour_shift: 0.8 * r.normal(),
    spend_factor: wealth ** 0.4,
    transfer_median_major: 300 * wealth,
    payday: r.chance(0.75) ? r.int(1, 28) : 0,
    salary_major: 8_000 * wealth * r.logNormal(1, 0.3),
    employer_id: externalId(new Xoshiro128(world.seed, STREAM_CUSTOMER, CUSTOMERS_MAX + 1 + r.int(0, Math.ceil(customers / 50)))),
    travel: null,
    random: r,
    local_base_ms: Math.floor((world.start_ms + offset_ms) / DAY_MS) * DAY_MS - offset_ms,
  };
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/**
 * A planned event: what was drawn, kept small because a day of them waits per customer.
 * The RiskEvent itself is built when the merge emits it, so it dies young.
 */
interface Draft {
  readonly at_ms: number;
  readonly type: string;
  readonly actor: Actor;
  readonly amount_minor: bigint | null;
  readonly counterparty_id: string | null;
  readonly merchant: Merchant | null;
  readonly label: Label;
}

/** Who acts and from where; no device or IP for money arriving from outside. */
interface Actor {
  readonly customer: Customer;
  readonly device: Device | null;
  readonly ip: string | null;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
}

interface Detail {
  amount_minor?: bigint;
  counterparty_id?: string;
  merchant?: Merchant;
}

interface Label {
  readonly pattern: FraudPattern | null;
  readonly incident_id: string | null;
}

const GENUINE: Label = { pattern: null, incident_id: null };
const NO_DETAIL: Detail = {};

function draft(at_ms: number, type: string, actor: Actor, detail: Detail, label: Label): Draft {
  if (detail.amount_minor !== undefined && detail.amount_minor <= 0n) throw new Error('simulator: non-positive amount (bug)');
  return {
    at_ms,
    type,
    actor,
    amount_minor: detail.amount_minor ?? null,
    counterparty_id: detail.counterparty_id ?? null,
    merchant: detail.merchant ?? null,
    label,
  };
}

function materialise(world: World, d: Draft, id: string): LabelledEvent {
  const { actor } = d;
  const c = actor.customer;
  const event: RiskEvent = { id, type: d.type, customer_id: c.id, occurred_at: new Date(d.at_ms) };
  if (d.amount_minor !== null) {
    event.amount = d.amount_minor;
    event.currency = world.currency;
  }
  if (d.counterparty_id !== null) event.counterparty_id = d.counterparty_id;
  if (d.merchant !== null) event.merchant_id = d.merchant.id;
  if (actor.device !== null) event.device_id = actor.device.id;
  if (actor.ip !== null) event.ip = actor.ip;
  event.phone = c.phone;
  event.account_id = c.account_id;
  event.channel = actor.device?.channel ?? 'inbound';
  event.geo = { country: actor.country, lat: actor.lat, lon: actor.lon };
  if (d.merchant !== null) event.attributes = { category: d.merchant.category.name };
  return { event, fraud: d.label.pattern !== null, pattern: d.label.pattern, incident_id: d.label.incident_id };
}

const AMOUNT_MAJOR_MAX = 10_000_000;

function minor(world: World, major: number): bigint {
  const clamped = Math.min(AMOUNT_MAJOR_MAX, major);
  return BigInt(Math.max(1, Math.round(clamped * world.minor_per_major)));
}

/** UUIDv7: the event's milliseconds, then 74 bits from the id stream. */
function eventId(at_ms: number, r: Xoshiro128): string {
  const high = Math.floor(at_ms / TWO_POW_32); // top 16 of the 48 time bits
  const low = at_ms % TWO_POW_32;
  const a = r.u32();
  const b = r.u32();
  const c = r.u32();
  const variant = 0x8000 | ((a >>> 12) & 0x3fff);
  return (
    HEX_BYTE[(high >>> 8) & 255]! + HEX_BYTE[high & 255]! + HEX_BYTE[(low >>> 24) & 255]! + HEX_BYTE[(low >>> 16) & 255]! + '-' +
    HEX_BYTE[(low >>> 8) & 255]! + HEX_BYTE[low & 255]! + '-7' + NIBBLE[(a >>> 8) & 15]! + HEX_BYTE[a & 255]! + '-' +
    HEX_BYTE[variant >>> 8]! + HEX_BYTE[variant & 255]! + '-' + hex8(b) + HEX_BYTE[(c >>> 8) & 255]! + HEX_BYTE[c & 255]!
  );
}

// ---------------------------------------------------------------------------------------
// Ordinary life, one local day at a time
// ---------------------------------------------------------------------------------------

/** Hour-of-day mixtures in local time: [mean hour, sd hours, weight]. */
type Hours = readonly (readonly [number, number, number])[];

interface DayKind {
  readonly login: number;
  readonly merchant: number;
  readonly transfer: number;
  readonly login_hours: Hours;
  readonly shop_hours: Hours;
}

const WEEKDAY: DayKind = {
  login: 1,
  merchant: 1,
  transfer: 1.1,
  login_hours: [[7.6, 0.8, 0.22], [12.4, 0.6, 0.18], [17.8, 0.7, 0.12], [21, 1.4, 0.43], [0.5, 0.8, 0.05]],
  shop_hours: [[8, 0.6, 0.15], [12.3, 0.6, 0.35], [18.8, 1.3, 0.4], [21.5, 1, 0.1]],
};

const WEEKEND: DayKind = {
  login: 0.8,
  merchant: 1.35,
  transfer: 0.7,
  login_hours: [[10, 1.5, 0.3], [15, 2, 0.35], [21, 1.5, 0.3], [1, 1, 0.05]],
  shop_hours: [[11, 1.5, 0.3], [15, 2, 0.4], [19.5, 1.5, 0.3]],
};

function minuteOfDay(r: Xoshiro128, hours: Hours, shift_h: number): number {
  let u = r.float();
  let component = hours[hours.length - 1]!;
  for (const h of hours) {
    u -= h[2];
    if (u < 0) {
      component = h;
      break;
    }
  }
  const minute = (component[0] + shift_h + component[1] * r.normal()) * 60;
  return ((minute % 1440) + 1440) % 1440;
}

interface Day {
  readonly start_ms: number;
  readonly kind: DayKind;
  readonly day_of_month: number;
  readonly out: Draft[];
}

function actorNow(c: Customer): Actor {
  const r = c.random;
  const device = c.devices.length > 1 && r.chance(0.2) ? c.devices[1]! : c.devices[0]!;
  if (c.travel !== null) {
    const { city: t } = c.travel;
    return { customer: c, device, ip: ipIn(r, c.travel.ip_prefix), country: t.country, lat: t.lat, lon: t.lon };
  }
  const ip = `${c.ip_prefix}.${r.chance(0.75) ? c.ip_host : r.int(2, 254)}`;
  return { customer: c, device, ip, country: c.home.country, lat: c.lat, lon: c.lon };
}

function inbound(c: Customer): Actor {
  return { customer: c, device: null, ip: null, country: c.home.country, lat: c.lat, lon: c.lon };
}

/** Rare life events: a trip abroad (2–7 days), a new phone. */
function lifeEvents(c: Customer, d: number): void {
  const r = c.random;
  if (c.travel !== null && d > c.travel.until_day) c.travel = null;
  if (c.travel === null && r.chance(1 / 300)) {
    const abroad = TRAVEL_CITIES.filter((t) => t.country !== c.home.country);
    const destination = r.pick(abroad);
    c.travel = { city: destination, ip_prefix: ipPrefix(r, destination.country), until_day: d + r.int(1, 6) };
  }
  if (c.device_letters_used < 26 && r.chance(1 / 365)) {
    const letter = String.fromCharCode(97 + c.device_letters_used);
    c.device_letters_used += 1;
    c.devices = [{ id: `d${pad(c.index, 6)}${letter}`, channel: 'app' }, ...c.devices.slice(1)];
  }
}

function customerDay(world: World, c: Customer, d: number): Draft[] {
  lifeEvents(c, d);
  const start_ms = c.local_base_ms + d * DAY_MS;
  const clock_day = Math.floor((start_ms + c.home.utc_offset_min * MINUTE_MS) / DAY_MS);
  const weekday = (((clock_day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const day: Day = {
    start_ms,
    kind: weekday === 0 || weekday === 6 ? WEEKEND : WEEKDAY,
    day_of_month: new Date(clock_day * DAY_MS).getUTCDate(),
    out: [],
  };
  const sessions = logins(c, day);
  merchantPayments(world, c, day, sessions);
  transfers(world, c, day, sessions);
  beneficiaries(world, c, day, sessions);
  moneyIn(world, c, day);
  // Times are clamped inside the local day, so a customer's days never overlap in the merge.
  const kept = day.out.filter((x) => x.at_ms >= world.start_ms && x.at_ms < world.end_ms);
  return kept.sort((x, y) => x.at_ms - y.at_ms);
}

interface Session {
  readonly at_ms: number;
  readonly actor: Actor;
}

function atMinute(r: Xoshiro128, day: Day, minute: number): number {
  return Math.min(day.start_ms + DAY_MS - 1, day.start_ms + Math.floor(minute * MINUTE_MS) + r.int(0, 999));
}

function logins(c: Customer, day: Day): Session[] {
  const r = c.random;
  const count = Math.min(3, r.poisson(c.login_rate * day.kind.login));
  const sessions: Session[] = [];
  for (let k = 0; k < count; k += 1) {
    const at_ms = atMinute(r, day, minuteOfDay(r, day.kind.login_hours, c.hour_shift));
    const actor = actorNow(c);
    sessions.push({ at_ms, actor });
    day.out.push(draft(at_ms, 'login', actor, NO_DETAIL, GENUINE));
  }
  return sessions;
}

/** Inside an open session (minutes after its login) or on its own at a plausible hour. */
function when(c: Customer, day: Day, sessions: readonly Session[], hours: Hours): Session {
  const r = c.random;
  if (sessions.length > 0 && r.chance(0.6)) {
    const s = r.pick(sessions);
    return { at_ms: Math.min(day.start_ms + DAY_MS - 1, s.at_ms + r.int(1, 20) * MINUTE_MS + r.int(0, 59_999)), actor: s.actor };
  }
  return { at_ms: atMinute(r, day, minuteOfDay(r, hours, c.hour_shift)), actor: actorNow(c) };
}

function merchantPayments(world: World, c: Customer, day: Day, sessions: readonly Session[]): void {
  const r = c.random;
  const count = Math.min(8, r.poisson(c.merchant_rate * day.kind.merchant));
  for (let k = 0; k < count; k += 1) {
    const regular = c.merchants.length > 0 && r.chance(0.88);
    const j = regular ? c.merchants[Math.floor(r.float() ** 2 * c.merchants.length)]! : r.int(0, world.merchants.length - 1);
    const m = world.merchants[j]!;
    const major = r.logNormal(m.category.median_major * c.spend_factor, m.category.sigma);
    const { at_ms, actor } = when(c, day, sessions, day.kind.shop_hours);
    day.out.push(draft(at_ms, 'payment', actor, { amount_minor: minor(world, major), merchant: m }, GENUINE));
  }
}

/** People send round sums more often than not. */
function transferMajor(r: Xoshiro128, median: number): number {
  const major = r.logNormal(median, 0.9);
  return major >= 50 && r.chance(0.6) ? Math.max(10, Math.round(major / 10) * 10) : major;
}

function transfers(world: World, c: Customer, day: Day, sessions: readonly Session[]): void {
  const r = c.random;
  const count = Math.min(4, r.poisson(c.transfer_rate * day.kind.transfer));
  for (let k = 0; k < count && c.counterparties.length > 0; k += 1) {
    const payee = c.counterparties[Math.floor(r.float() ** 1.5 * c.counterparties.length)]!;
    const { at_ms, actor } = when(c, day, sessions, day.kind.login_hours);
    day.out.push(draft(at_ms, 'payment', actor, { amount_minor: minor(world, transferMajor(r, c.transfer_median_major)), counterparty_id: payee }, GENUINE));
  }
}

function beneficiaries(world: World, c: Customer, day: Day, sessions: readonly Session[]): void {
  const r = c.random;
  if (!r.chance(c.beneficiary_rate)) return;
  const payee = newPayee(r, world.customers.length, c.index);
  const { at_ms, actor } = when(c, day, sessions, day.kind.login_hours);
  day.out.push(draft(at_ms, 'beneficiary_added', actor, { counterparty_id: payee }, GENUINE));
  if (r.chance(0.7)) {
    const paid_ms = Math.min(day.start_ms + DAY_MS - 1, at_ms + r.int(2, 90) * MINUTE_MS);
    day.out.push(draft(paid_ms, 'payment', actor, { amount_minor: minor(world, transferMajor(r, c.transfer_median_major)), counterparty_id: payee }, GENUINE));
  }
  c.counterparties.push(payee);
  if (c.counterparties.length > COUNTERPARTIES_MAX) c.counterparties.shift();
}

/** Money from outside the bank: salary on payday, now and then a transfer from someone. */
function moneyIn(world: World, c: Customer, day: Day): void {
  const r = c.random;
  if (c.payday === day.day_of_month) {
    const at_ms = atMinute(r, day, r.uniform(9 * 60, 11 * 60));
    day.out.push(draft(at_ms, 'custom.transfer_in', inbound(c), { amount_minor: minor(world, c.salary_major * r.uniform(0.97, 1.03)), counterparty_id: c.employer_id }, GENUINE));
  }
  if (r.chance(c.inbound_rate)) {
    const at_ms = atMinute(r, day, minuteOfDay(r, day.kind.login_hours, 0));
    day.out.push(draft(at_ms, 'custom.transfer_in', inbound(c), { amount_minor: minor(world, transferMajor(r, c.transfer_median_major * 0.8)), counterparty_id: externalId(r) }, GENUINE));
  }
}

// ---------------------------------------------------------------------------------------
// Fraud incidents
// ---------------------------------------------------------------------------------------

interface Incident {
  readonly pattern: FraudPattern;
  readonly id: string;
  readonly start_ms: number;
  readonly random: Xoshiro128;
  readonly label: Label;
}

const INCIDENT_PREFIX: Readonly<Record<FraudPattern, string>> = {
  account_takeover: 'ato',
  mule_ring: 'mule',
  card_testing: 'card',
  salami: 'salami',
};

/** How long an incident can run, so that it is scheduled to fit inside the period if it can. */
const INCIDENT_SPAN_MS: Readonly<Record<FraudPattern, number>> = {
  account_takeover: HOUR_MS,
  mule_ring: 4 * DAY_MS,
  card_testing: HOUR_MS,
  salami: 11 * DAY_MS,
};

const EXPAND: Readonly<Record<FraudPattern, (world: World, incident: Incident) => Draft[]>> = {
  account_takeover: accountTakeover,
  mule_ring: muleRing,
  card_testing: cardTesting,
  salami,
};

/** Incident counts are the expected value rounded by a coin: floor(E), plus one with p = frac(E). */
function scheduleIncidents(world: World): Source[] {
  const r = new Xoshiro128(world.seed, STREAM_SCHEDULE, 0);
  const sources: Source[] = [];
  let order = world.customers.length;
  FRAUD_PATTERNS.forEach((pattern, p) => {
    const expected = (world.rates[pattern] * world.customers.length) / 1_000;
    const count = Math.floor(expected) + (r.chance(expected - Math.floor(expected)) ? 1 : 0);
    const latest_ms = Math.max(world.start_ms, world.end_ms - INCIDENT_SPAN_MS[pattern]);
    for (let k = 0; k < count; k += 1) {
      const id = `${INCIDENT_PREFIX[pattern]}-${pad(k + 1, 4)}`;
      const start_ms = world.start_ms + Math.floor(r.float() * (latest_ms - world.start_ms + 1));
      const incident: Incident = { pattern, id, start_ms, random: new Xoshiro128(world.seed, STREAM_INCIDENT + p, k), label: { pattern, incident_id: id } };
      sources.push(incidentSource(world, incident, order));
      order += 1;
    }
  });
  return sources;
}

function foreignActor(r: Xoshiro128, victim: Customer, place: City, device: Device): Actor {
  return { customer: victim, device, ip: ipIn(r, ipPrefix(r, place.country)), country: place.country, lat: round2(place.lat + 0.05 * r.normal()), lon: round2(place.lon + 0.05 * r.normal()) };
}

const jitter = (r: Xoshiro128, lo_ms: number, hi_ms: number): number => lo_ms + Math.floor(r.float() * (hi_ms - lo_ms));

/** A login from a new device abroad, a new payee within minutes, then 1–3 large transfers to it. */
function accountTakeover(world: World, incident: Incident): Draft[] {
  const r = incident.random;
  const victim = r.pick(world.customers);
  const place = r.pick(ATTACKER_CITIES.filter((x) => x.country !== victim.home.country));
  const actor = foreignActor(r, victim, place, { id: foreignDeviceId(r), channel: r.chance(0.7) ? 'app' : 'web' });
  const out: Draft[] = [];
  let t = incident.start_ms;
  out.push(draft(t, 'login', actor, NO_DETAIL, incident.label));
  t += jitter(r, MINUTE_MS, 8 * MINUTE_MS);
  const payee = externalId(r);
  out.push(draft(t, 'beneficiary_added', actor, { counterparty_id: payee }, incident.label));
  for (let k = r.int(1, 3); k > 0; k -= 1) {
    t += jitter(r, MINUTE_MS, 6 * MINUTE_MS);
    const major = Math.max(3_000, victim.transfer_median_major * r.uniform(8, 40));
    out.push(draft(t, 'payment', actor, { amount_minor: minor(world, Math.round(major / 100) * 100), counterparty_id: payee }, incident.label));
  }
  return out;
}

/**
 * 3–8 customers on 1–2 shared devices behind one IP range. Setup: each logs in and adds the
 * ring's payees. Then 3–8 waves over 1–3 days: money arrives at one member from outside,
 * hops through 1–2 others minutes later (skimming a cut) and leaves to a shared payee.
 */
function muleRing(world: World, incident: Incident): Draft[] {
  const r = incident.random;
  const members = distinctIndices(r, world.customers.length, r.int(3, 8)).map((i) => world.customers[i]!);
  const base = members[0]!.home;
  const devices: Device[] = Array.from({ length: r.int(1, 2) }, () => ({ id: foreignDeviceId(r), channel: 'app' as const }));
  const prefix = ipPrefix(r, base.country);
  const payees = Array.from({ length: r.int(1, 3) }, () => externalId(r));
  const actor = (m: Customer): Actor => ({ customer: m, device: r.pick(devices), ip: ipIn(r, prefix), country: base.country, lat: base.lat, lon: base.lon });
  const out: Draft[] = [];
  const pay = (at_ms: number, from: Customer, to: string, amount: bigint): void => {
    const a = actor(from);
    out.push(draft(at_ms, 'login', a, NO_DETAIL, incident.label));
    out.push(draft(at_ms + jitter(r, 30 * SECOND_MS, 4 * MINUTE_MS), 'payment', a, { amount_minor: amount, counterparty_id: to }, incident.label));
  };
  let t = incident.start_ms;
  for (const m of members) {
    const a = actor(m);
    out.push(draft(t, 'login', a, NO_DETAIL, incident.label));
    for (const payee of payees) {
      t += jitter(r, 20 * SECOND_MS, 3 * MINUTE_MS);
      out.push(draft(t, 'beneficiary_added', a, { counterparty_id: payee }, incident.label));
    }
    t += jitter(r, 2 * MINUTE_MS, 20 * MINUTE_MS);
  }
  const span_ms = r.int(1, 3) * DAY_MS;
  for (let w = r.int(3, 8); w > 0; w -= 1) {
    let at_ms = t + jitter(r, 0, span_ms);
    let holder = r.pick(members);
    let amount = minor(world, Math.round(r.logNormal(20_000, 0.6)));
    out.push(draft(at_ms, 'custom.transfer_in', inbound(holder), { amount_minor: amount, counterparty_id: externalId(r) }, incident.label));
    for (let hop = members.length > 1 ? r.int(1, Math.min(2, members.length - 1)) : 0; hop > 0; hop -= 1) {
      const next = r.pick(members.filter((m) => m !== holder));
      at_ms += jitter(r, 5 * MINUTE_MS, 40 * MINUTE_MS);
      amount = (amount * BigInt(r.int(900, 980))) / 1000n;
      pay(at_ms, holder, next.account_id, amount);
      holder = next;
    }
    at_ms += jitter(r, 5 * MINUTE_MS, 40 * MINUTE_MS);
    pay(at_ms, holder, r.pick(payees), (amount * BigInt(r.int(950, 990))) / 1000n);
  }
  return out;
}

/**
 * A stolen card tried at 10–40 merchants with tiny amounts (1–300 minor units) a few seconds
 * apart from one device; four times in ten the fraudster then cashes out with one big buy.
 */
function cardTesting(world: World, incident: Incident): Draft[] {
  const r = incident.random;
  const victim = r.pick(world.customers);
  const device: Device = { id: foreignDeviceId(r), channel: 'web' };
  const place = r.chance(0.5) ? r.pick(ATTACKER_CITIES.filter((x) => x.country !== victim.home.country)) : victim.home;
  const actor = foreignActor(r, victim, place, device);
  const count = r.int(10, 40);
  const shops = distinctIndices(r, world.merchants.length, count);
  const out: Draft[] = [];
  let t = incident.start_ms;
  for (let k = 0; k < count; k += 1) {
    const m = world.merchants[shops[k % shops.length]!]!;
    out.push(draft(t, 'payment', actor, { amount_minor: BigInt(r.int(1, 300)), merchant: m }, incident.label));
    t += jitter(r, SECOND_MS, 12 * SECOND_MS);
  }
  if (r.chance(0.4)) {
    const pool = world.big_ticket_merchants.length > 0 ? world.big_ticket_merchants : [r.int(0, world.merchants.length - 1)];
    const m = world.merchants[r.pick(pool)]!;
    t += jitter(r, 2 * MINUTE_MS, 30 * MINUTE_MS);
    out.push(draft(t, 'payment', actor, { amount_minor: minor(world, r.uniform(2_000, 15_000)), merchant: m }, incident.label));
  }
  return out;
}

/**
 * Malware on the victim's own phone: one new payee, then 4–10 small transfers a day (30–200
 * major units, well under review thresholds) at waking hours for 4–10 days.
 */
function salami(world: World, incident: Incident): Draft[] {
  const r = incident.random;
  const victim = r.pick(world.customers);
  const actor: Actor = { customer: victim, device: victim.devices[0]!, ip: `${victim.ip_prefix}.${victim.ip_host}`, country: victim.home.country, lat: victim.lat, lon: victim.lon };
  const payee = externalId(r);
  const out: Draft[] = [draft(incident.start_ms, 'beneficiary_added', actor, { counterparty_id: payee }, incident.label)];
  const offset_ms = victim.home.utc_offset_min * MINUTE_MS;
  const first_day_ms = Math.floor((incident.start_ms + offset_ms) / DAY_MS) * DAY_MS - offset_ms;
  for (let d = 0, days = r.int(4, 10); d < days; d += 1) {
    const lo_ms = Math.max(incident.start_ms + MINUTE_MS, first_day_ms + d * DAY_MS + 8 * HOUR_MS);
    const hi_ms = first_day_ms + d * DAY_MS + 23 * HOUR_MS;
    for (let k = r.int(4, 10); k > 0 && lo_ms < hi_ms; k -= 1) {
      const major = Math.round(r.uniform(30, 200));
      out.push(draft(jitter(r, lo_ms, hi_ms), 'payment', actor, { amount_minor: minor(world, major), counterparty_id: payee }, incident.label));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The merge: a min-heap of sources keyed by a lower bound of their next event
// ---------------------------------------------------------------------------------------

interface Source {
  readonly order: number;
  /** No future event of this source is earlier than key. */
  key: number;
  /** The key once the buffer is spent: no later refill holds anything earlier. */
  floor_ms: number;
  buffer: Draft[];
  pos: number;
  /** Called when the buffer is spent: refills it (maybe with nothing) and resets key; false when finished. */
  advance(): boolean;
}

function customerSource(world: World): (c: Customer) => Source {
  return (c) => {
    let next_day = 0;
    const source: Source = {
      order: c.index,
      key: c.local_base_ms,
      floor_ms: c.local_base_ms,
      buffer: [],
      pos: 0,
      advance() {
        const day_start_ms = c.local_base_ms + next_day * DAY_MS;
        if (day_start_ms >= world.end_ms) return false;
        source.buffer = customerDay(world, c, next_day);
        source.pos = 0;
        next_day += 1;
        source.floor_ms = day_start_ms + DAY_MS;
        source.key = source.buffer[0]?.at_ms ?? source.floor_ms;
        return true;
      },
    };
    return source;
  };
}

function incidentSource(world: World, incident: Incident, order: number): Source {
  let expanded = false;
  const source: Source = {
    order,
    key: incident.start_ms,
    floor_ms: incident.start_ms,
    buffer: [],
    pos: 0,
    advance() {
      if (expanded) return false;
      expanded = true;
      const drafts = EXPAND[incident.pattern](world, incident);
      if (drafts.some((x) => x.at_ms < incident.start_ms)) throw new Error('simulator: incident event before its start (bug)');
      source.buffer = drafts.filter((x) => x.at_ms < world.end_ms).sort((x, y) => x.at_ms - y.at_ms);
      source.pos = 0;
      source.key = source.buffer[0]?.at_ms ?? incident.start_ms;
      return true;
    },
  };
  return source;
}

/**
 * Binary min-heap over (key, order) kept in typed arrays: the keys sit together in cache,
 * which matters because every event sifts the root down through ~log2(customers) levels.
 */
class SourceHeap {
  private readonly keys: Float64Array;
  private readonly orders: Int32Array;
  private size_ = 0;

  constructor(private readonly sources: readonly Source[]) {
    this.keys = new Float64Array(sources.length);
    this.orders = new Int32Array(sources.length);
    sources.forEach((source, k) => {
      if (source.order !== k) throw new Error('simulator: source order must be its position (bug)');
      this.keys[k] = source.key;
      this.orders[k] = k;
    });
    this.size_ = sources.length;
    for (let i = (this.size_ >> 1) - 1; i >= 0; i -= 1) this.siftDown(i);
  }

  get size(): number {
    return this.size_;
  }

  top(): Source {
    return this.sources[this.orders[0]!]!;
  }

  /** After the top source's key changed. */
  updateTop(): void {
    this.keys[0] = this.top().key;
    this.siftDown(0);
  }

  removeTop(): void {
    this.size_ -= 1;
    this.keys[0] = this.keys[this.size_]!;
    this.orders[0] = this.orders[this.size_]!;
    this.siftDown(0);
  }

  private siftDown(from: number): void {
    const { keys, orders } = this;
    const n = this.size_;
    const key = keys[from]!;
    const order = orders[from]!;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (keys[right]! < keys[child]! || (keys[right] === keys[child] && orders[right]! < orders[child]!))) child = right;
      const child_key = keys[child]!;
      if (child_key > key || (child_key === key && orders[child]! > order)) break;
      keys[i] = child_key;
      orders[i] = orders[child]!;
      i = child;
    }
    keys[i] = key;
    orders[i] = order;
  }
}

function* merge(world: World, sources: Source[]): Generator<LabelledEvent> {
  const heap = new SourceHeap(sources);
  const ids = new Xoshiro128(world.seed, STREAM_EVENT_IDS, 0);
  let last_ms = -Infinity;
  while (heap.size > 0) {
    const source = heap.top();
    if (source.pos >= source.buffer.length) {
      if (source.advance()) heap.updateTop();
      else heap.removeTop();
      continue;
    }
    const next = source.buffer[source.pos]!;
    source.pos += 1;
    source.key = source.pos < source.buffer.length ? source.buffer[source.pos]!.at_ms : source.floor_ms;
    heap.updateTop();
    if (next.at_ms < last_ms || next.at_ms < world.start_ms || next.at_ms >= world.end_ms) throw new Error('simulator: event out of order or period (bug)');
    last_ms = next.at_ms;
    yield materialise(world, next, eventId(next.at_ms, ids));
  }
}

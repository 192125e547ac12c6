/**
 * Tests of the transaction simulator: the PRNG against the reference C implementation, exact
 * replay (hash of the serialised stream) and seed sensitivity, stream invariants (order,
 * period, labels, id shapes, money) on the demo population and, property-based, on random
 * small options; the shape of ordinary behaviour and of each fraud pattern; the options and
 * summarise; and that a long stream is produced lazily without retaining what it emitted.
 */
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RiskEvent } from './types.js';
import {
  DEFAULT_FRAUD_RATE,
  DEFAULT_SIM,
  FRAUD_PATTERNS,
  Xoshiro128,
  simulate,
  summarise,
  type FraudPattern,
  type LabelledEvent,
  type SimulatorOptions,
} from './simulator.js';

const FC_SEED = Number(process.env.SIMULATOR_FC_SEED ?? 20260105);
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const SMALL: SimulatorOptions = { seed: 7, customers: 300, merchants: 60, days: 7, start: new Date('2026-02-02T00:00:00.000Z') };
const OTHER_SEED = 2024;

const streams = new Map<number, LabelledEvent[]>();
/** The demo population's stream (and the same shape with another seed), generated once per file. */
function demo(seed = DEFAULT_SIM.seed): LabelledEvent[] {
  let events = streams.get(seed);
  if (events === undefined) {
    events = [...simulate({ ...DEFAULT_SIM, seed })];
    streams.set(seed, events);
  }
  return events;
}

function serialise(events: Iterable<LabelledEvent>): string {
  const hash = createHash('sha256');
  for (const e of events) hash.update(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) + '\n');
  return hash.digest('hex');
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CUSTOMER = /^c\d{6}$/;
const MERCHANT = /^m\d{4}$/;
const COUNTERPARTY = /^(a\d{6}|e[0-9a-f]{8})$/;
const DEVICE = /^d(\d{6}[a-z]|x[0-9a-f]{6})$/;
const PHONE = /^\+\d{9,15}$/;
const INCIDENT = /^(ato|mule|card|salami)-\d{4,}$/;
const PREFIX: Record<FraudPattern, string> = { account_takeover: 'ato', mule_ring: 'mule', card_testing: 'card', salami: 'salami' };
const TYPES = new Set(['login', 'payment', 'beneficiary_added', 'custom.transfer_in']);

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Everything every stream must satisfy; returns a description of the first violation. */
function violation(events: readonly LabelledEvent[], options: SimulatorOptions): string | null {
  const start_ms = options.start.getTime();
  const end_ms = start_ms + options.days * DAY_MS;
  const currency = options.currency ?? 'CNY';
  const ids = new Set<string>();
  const phones = new Map<string, string>();
  const incidents = new Map<string, FraudPattern>();
  let last_ms = -Infinity;
  for (const [k, { event: e, fraud, pattern, incident_id }] of events.entries()) {
    const at = `event ${k} (${e.type} ${e.customer_id})`;
    const ms = e.occurred_at.getTime();
    if (ms < last_ms) return `${at}: out of order`;
    if (ms < start_ms || ms >= end_ms) return `${at}: outside the period`;
    last_ms = ms;
    if (fraud !== (pattern !== null) || fraud !== (incident_id !== null)) return `${at}: inconsistent label`;
    if (pattern !== null && incident_id !== null) {
      if (!INCIDENT.test(incident_id) || !incident_id.startsWith(`${PREFIX[pattern]}-`)) return `${at}: bad incident id ${incident_id}`;
      if ((incidents.get(incident_id) ?? pattern) !== pattern) return `${at}: incident with two patterns`;
      incidents.set(incident_id, pattern);
    }
    if (!UUID_V7.test(e.id) || ids.has(e.id)) return `${at}: bad or repeated id ${e.id}`;
    ids.add(e.id);
    if (parseInt(e.id.replace(/-/g, '').slice(0, 12), 16) !== ms) return `${at}: id time is not occurred_at`;
    if (!TYPES.has(e.type)) return `${at}: unknown type`;
    if (!CUSTOMER.test(e.customer_id) || Number(e.customer_id.slice(1)) >= options.customers) return `${at}: bad customer id`;
    if (e.account_id !== `a${e.customer_id.slice(1)}`) return `${at}: account is not the customer's own`;
    if (!PHONE.test(e.phone ?? '') || (phones.get(e.customer_id) ?? e.phone) !== e.phone) return `${at}: bad or changing phone`;
    phones.set(e.customer_id, e.phone!);
    const money = e.type === 'payment' || e.type === 'custom.transfer_in';
    if (money !== (e.amount !== undefined)) return `${at}: amount presence`;
    if (e.amount !== undefined && (typeof e.amount !== 'bigint' || e.amount <= 0n || e.currency !== currency)) return `${at}: bad amount`;
    if (e.type === 'payment' && (e.merchant_id === undefined) === (e.counterparty_id === undefined)) return `${at}: payment needs one payee`;
    if (e.merchant_id !== undefined && (!MERCHANT.test(e.merchant_id) || Number(e.merchant_id.slice(1)) >= options.merchants)) return `${at}: bad merchant`;
    if (e.counterparty_id !== undefined && !COUNTERPARTY.test(e.counterparty_id)) return `${at}: bad counterparty`;
    const inbound = e.type === 'custom.transfer_in';
    if (inbound !== (e.channel === 'inbound') || inbound !== (e.device_id === undefined) || inbound !== (e.ip === undefined)) return `${at}: channel/device/ip`;
    if (!inbound && (!DEVICE.test(e.device_id!) || !isIpv4(e.ip!) || !['app', 'web'].includes(e.channel!))) return `${at}: bad device, ip or channel`;
    const g = e.geo;
    if (g === undefined || !/^[A-Z]{2}$/.test(g.country ?? '') || !(Math.abs(g.lat ?? 99) <= 90) || !(Math.abs(g.lon ?? 999) <= 180)) return `${at}: bad geo`;
  }
  return null;
}

describe('Xoshiro128', () => {
  it('matches the reference C implementation of xoshiro128**', () => {
    // Printed by the authors' xoshiro128starstar.c, state {1, 2, 3, 4}.
    const r = Xoshiro128.fromState(1, 2, 3, 4);
    expect(Array.from({ length: 8 }, () => r.u32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
    // Words with the top bit set, after 1,000 draws: catches signed/unsigned slips.
    const s = Xoshiro128.fromState(0x9e3779b9, 0x7f4a7c15, 0xdeadbeef, 0x01234567);
    for (let k = 0; k < 1000; k += 1) s.u32();
    expect(Array.from({ length: 4 }, () => s.u32())).toEqual([1011553451, 783761104, 1056879273, 2410485982]);
  });

  it('gives independent streams per (seed, stream, index) and stays in range', () => {
    const first = (seed: number, stream: number, index: number): number => new Xoshiro128(seed, stream, index).u32();
    const draws = new Set([first(1, 1, 0), first(2, 1, 0), first(1, 2, 0), first(1, 1, 1), first(2 ** 40, 1, 0), first(0, 1, 0)]);
    expect(draws.size).toBe(6);
    const r = new Xoshiro128(5, 0, 0);
    let sum = 0;
    for (let k = 0; k < 20_000; k += 1) {
      const x = r.float();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      const n = r.int(3, 8);
      expect(Number.isInteger(n) && n >= 3 && n <= 8).toBe(true);
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('determinism', () => {
  it('replays the exact stream for the same options, and another seed gives another stream', () => {
    const hashes = [SMALL.seed, OTHER_SEED].map((seed) => {
      const options = { ...SMALL, seed };
      const once = serialise(simulate(options));
      expect(serialise(simulate(options))).toBe(once);
      return once;
    });
    expect(hashes[0]).not.toBe(hashes[1]);
  });

  it('keeps no shared state between generators: two interleaved runs agree event by event', () => {
    const a = simulate(SMALL);
    const b = simulate(SMALL);
    const other = simulate({ ...SMALL, seed: SMALL.seed + 1 });
    let count = 0;
    let differ = 0;
    for (;;) {
      const x = a.next();
      const o = other.next();
      const y = b.next();
      expect(y.done).toBe(x.done);
      if (x.done || y.done) break;
      expect(y.value).toEqual(x.value);
      if (!o.done && o.value.event.id !== x.value.event.id) differ += 1;
      count += 1;
    }
    expect(count).toBeGreaterThan(1_000);
    expect(differ).toBeGreaterThan(count * 0.9);
  });

  it('does not change the options it was given', () => {
    const options: SimulatorOptions = { ...SMALL, fraud_rate: { salami: 10 } };
    const copy = structuredClone(options);
    summarise(simulate(options));
    expect(options).toEqual(copy);
  });
});

describe('the demo population (DEFAULT_SIM)', () => {
  it('is two weeks of 2,000 customers and 200 merchants from seed 7', () => {
    expect(DEFAULT_SIM).toMatchObject({ seed: 7, customers: 2_000, merchants: 200, days: 14 });
  });

  it.each([DEFAULT_SIM.seed, OTHER_SEED])('seed %i: satisfies every stream invariant', (seed) => {
    expect(violation(demo(seed), { ...DEFAULT_SIM, seed })).toBeNull();
  });

  it.each([DEFAULT_SIM.seed, OTHER_SEED])('seed %i: every pattern appears, fraud is 0.1–3 % of events', (seed) => {
    const s = summarise(demo(seed));
    for (const pattern of FRAUD_PATTERNS) {
      expect(s.by_pattern[pattern].incidents, pattern).toBeGreaterThan(0);
      expect(s.by_pattern[pattern].events, pattern).toBeGreaterThanOrEqual(s.by_pattern[pattern].incidents);
    }
    expect(s.fraud_events / s.events).toBeGreaterThan(0.001);
    expect(s.fraud_events / s.events).toBeLessThan(0.03);
    expect(s.customers).toBe(2_000);
    expect(s.events).toBeGreaterThan(2_000 * 14); // more than one event per customer-day
  });
});

const OFFSET_H: Record<string, number> = { CN: 8, HK: 8, SG: 8, MY: 8, GB: 0, US: -5 };

interface Person {
  home: string;
  genuine: RiskEvent[];
}

const CALLING_CODES: [string, string][] = [['+852', 'HK'], ['+86', 'CN'], ['+65', 'SG'], ['+60', 'MY'], ['+44', 'GB'], ['+1', 'US']];

const peopleOf = new WeakMap<readonly LabelledEvent[], Map<string, Person>>();

/** Genuine events per customer, with the home country (where the phone number is from). */
function people(events: readonly LabelledEvent[]): Map<string, Person> {
  const known = peopleOf.get(events);
  if (known !== undefined) return known;
  const byCustomer = new Map<string, Person>();
  peopleOf.set(events, byCustomer);
  for (const { event, fraud } of events) {
    if (fraud) continue;
    let p = byCustomer.get(event.customer_id);
    if (p === undefined) {
      const home = CALLING_CODES.find(([code]) => event.phone!.startsWith(code));
      expect(home, event.phone).toBeDefined();
      byCustomer.set(event.customer_id, (p = { home: home![1], genuine: [] }));
    }
    p.genuine.push(event);
  }
  return byCustomer;
}

const localMs = (e: RiskEvent, home: string): number => e.occurred_at.getTime() + OFFSET_H[home]! * 3_600_000;
const median = (xs: readonly bigint[]): bigint => [...xs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))[xs.length >> 1]!;

describe('ordinary behaviour', () => {
  const everyone = (): Map<string, Person> => people(demo());

  it('uses only the customer’s own devices: one or two, now and then a new phone', () => {
    let more = 0;
    for (const [customer, p] of everyone()) {
      const devices = new Set(p.genuine.flatMap((e) => (e.device_id === undefined ? [] : [e.device_id])));
      for (const d of devices) expect(d.startsWith(`d${customer.slice(1)}`), `${customer} ${d}`).toBe(true);
      if (devices.size > 2) more += 1;
    }
    expect(more).toBeLessThan(2_000 * 0.05);
  });

  it('keeps a home country, with rare trips abroad', () => {
    let abroad = 0;
    let total = 0;
    const homes = new Map<string, number>();
    for (const p of everyone().values()) {
      homes.set(p.home, (homes.get(p.home) ?? 0) + 1);
      for (const e of p.genuine) {
        total += 1;
        if (e.geo!.country !== p.home) abroad += 1;
      }
    }
    expect(homes.get('CN')! / 2_000).toBeGreaterThan(0.85);
    expect(abroad).toBeGreaterThan(0);
    expect(abroad / total).toBeLessThan(0.05);
  });

  it('logs in 0–3 times a local day, rarely in the small hours, and pays at plausible hours', () => {
    let night = 0;
    let logins = 0;
    for (const p of everyone().values()) {
      const perDay = new Map<number, number>();
      for (const e of p.genuine) {
        if (e.type !== 'login') continue;
        const local = localMs(e, p.home);
        const day = Math.floor(local / DAY_MS);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
        const hour = Math.floor((local % DAY_MS) / 3_600_000);
        logins += 1;
        if (hour >= 2 && hour < 6) night += 1;
      }
      for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(3);
    }
    expect(logins).toBeGreaterThan(2_000 * 14 * 0.5);
    expect(night / logins).toBeLessThan(0.05);
  });

  it('shops more and logs in less at weekends', () => {
    const rate = { weekday: { shop: 0, login: 0 }, weekend: { shop: 0, login: 0 } };
    for (const p of everyone().values()) {
      for (const e of p.genuine) {
        const weekday = new Date(localMs(e, p.home)).getUTCDay();
        const kind = weekday === 0 || weekday === 6 ? rate.weekend : rate.weekday;
        if (e.merchant_id !== undefined) kind.shop += 1;
        if (e.type === 'login') kind.login += 1;
      }
    }
    // DEFAULT_SIM runs Monday 5 to Sunday 18 January 2026: ten weekdays, four weekend days.
    expect(rate.weekend.shop / 4 / (rate.weekday.shop / 10)).toBeGreaterThan(1.15);
    expect(rate.weekend.login / 4 / (rate.weekday.login / 10)).toBeLessThan(0.9);
  });

  it('pays a handful of regular merchants and payees, with log-normal amounts', () => {
    const shops: bigint[] = [];
    const sends: bigint[] = [];
    let regularShare = 0;
    let customers = 0;
    for (const p of everyone().values()) {
      const merchants = new Map<string, number>();
      for (const e of p.genuine) {
        if (e.merchant_id !== undefined) {
          shops.push(e.amount!);
          merchants.set(e.merchant_id, (merchants.get(e.merchant_id) ?? 0) + 1);
        } else if (e.type === 'payment') sends.push(e.amount!);
      }
      const counts = [...merchants.values()].sort((x, y) => y - x);
      const total = counts.reduce((x, y) => x + y, 0);
      if (total >= 15) {
        customers += 1;
        regularShare += counts.slice(0, 8).reduce((x, y) => x + y, 0) / total;
      }
    }
    expect(regularShare / customers).toBeGreaterThan(0.8); // most spending goes to their top eight shops
    expect(median(shops)).toBeGreaterThan(1_000n); // 10 CNY
    expect(median(shops)).toBeLessThan(20_000n); // 200 CNY
    expect(median(sends)).toBeGreaterThan(median(shops) * 3n);
    // log-normal: a long right tail, the 99th percentile far above the median
    const sorted = [...shops].sort((x, y) => (x < y ? -1 : 1));
    expect(sorted[Math.floor(sorted.length * 0.99)]! > median(shops) * 10n).toBe(true);
  });

  it('adds new beneficiaries now and then, and receives money from outside', () => {
    const genuine = demo().filter((l) => !l.fraud);
    const added = genuine.filter((l) => l.event.type === 'beneficiary_added');
    expect(added.length).toBeGreaterThan(100);
    expect(added.length).toBeLessThan(genuine.length * 0.02);
    expect(genuine.filter((l) => l.event.type === 'custom.transfer_in').length).toBeGreaterThan(500);
  });
});

/** Fraud events grouped by incident, each sorted by time, across the two demo streams. */
function incidents(pattern: FraudPattern): { events: RiskEvent[]; stream: LabelledEvent[] }[] {
  const out: { events: RiskEvent[]; stream: LabelledEvent[] }[] = [];
  for (const seed of [DEFAULT_SIM.seed, OTHER_SEED]) {
    const groups = new Map<string, RiskEvent[]>();
    for (const l of demo(seed)) {
      if (l.pattern !== pattern) continue;
      const g = groups.get(l.incident_id!) ?? [];
      g.push(l.event);
      groups.set(l.incident_id!, g);
    }
    for (const events of groups.values()) out.push({ events, stream: demo(seed) });
  }
  expect(out.length).toBeGreaterThan(0);
  return out;
}

const ms = (e: RiskEvent): number => e.occurred_at.getTime();

const p90Of = new WeakMap<readonly LabelledEvent[], bigint>();
function transferP90(stream: readonly LabelledEvent[]): bigint {
  let p90 = p90Of.get(stream);
  if (p90 === undefined) {
    const sends = stream.filter((l) => !l.fraud && l.event.type === 'payment' && l.event.counterparty_id !== undefined).map((l) => l.event.amount!);
    p90 = sends.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))[Math.floor(sends.length * 0.9)]!;
    p90Of.set(stream, p90);
  }
  return p90;
}

describe('fraud patterns', () => {
  it('account takeover: new device abroad, a new payee within minutes, then 1–3 large transfers to it', () => {
    for (const { events, stream } of incidents('account_takeover')) {
      const [login, added, ...payments] = events;
      const victim = login!.customer_id;
      const home = people(stream).get(victim)!;
      expect(login!.type).toBe('login');
      expect(login!.device_id).toMatch(/^dx/);
      expect(home.genuine.some((e) => e.device_id === login!.device_id)).toBe(false);
      expect(login!.geo!.country).not.toBe(home.home);
      expect(added!.type).toBe('beneficiary_added');
      expect(ms(added!) - ms(login!)).toBeLessThanOrEqual(10 * MINUTE_MS);
      expect(payments.length).toBeGreaterThanOrEqual(1);
      expect(payments.length).toBeLessThanOrEqual(3);
      for (const p of payments) {
        expect(p).toMatchObject({ type: 'payment', counterparty_id: added!.counterparty_id, device_id: login!.device_id, customer_id: victim });
        expect(p.amount! >= 300_000n).toBe(true); // 3,000 CNY and more
      }
      expect(ms(events.at(-1)!) - ms(login!)).toBeLessThanOrEqual(30 * MINUTE_MS);
      expect(home.genuine.some((e) => e.counterparty_id === added!.counterparty_id)).toBe(false);
    }
  });

  it('mule ring: 3–8 customers on 1–2 shared devices pass money along and out to a shared payee', () => {
    for (const { events } of incidents('mule_ring')) {
      const members = new Set(events.map((e) => e.customer_id));
      const accounts = new Set(events.map((e) => e.account_id!));
      const devices = new Set(events.flatMap((e) => (e.device_id === undefined ? [] : [e.device_id])));
      expect(members.size).toBeGreaterThanOrEqual(3);
      expect(members.size).toBeLessThanOrEqual(8);
      expect(devices.size).toBeGreaterThanOrEqual(1);
      expect(devices.size).toBeLessThanOrEqual(2);
      for (const d of devices) expect(d).toMatch(/^dx/);
      const payments = events.filter((e) => e.type === 'payment');
      expect(payments.some((p) => accounts.has(p.counterparty_id!))).toBe(true);
      const out = payments.filter((p) => !accounts.has(p.counterparty_id!));
      expect(out.length).toBeGreaterThan(0);
      for (const p of out) {
        const adders = new Set(events.filter((e) => e.type === 'beneficiary_added' && e.counterparty_id === p.counterparty_id).map((e) => e.customer_id));
        expect(adders.has(p.customer_id)).toBe(true);
      }
      const shared = new Set(events.filter((e) => e.type === 'beneficiary_added').map((e) => e.counterparty_id));
      expect(shared.size).toBeLessThanOrEqual(3);
      const arrivals = events.filter((e) => e.type === 'custom.transfer_in');
      expect(arrivals.length).toBeGreaterThanOrEqual(1);
      for (const a of arrivals) {
        const forwarded = payments.some((p) => p.customer_id === a.customer_id && ms(p) > ms(a) && ms(p) - ms(a) <= 60 * MINUTE_MS && p.amount! < a.amount! && p.amount! * 10n > a.amount! * 8n);
        expect(forwarded, `arrival at ${a.occurred_at.toISOString()} forwarded within the hour`).toBe(true);
      }
    }
  });

  it('card testing: 10–40 tiny payments at different merchants within minutes from one device, sometimes one big one', () => {
    let cashouts = 0;
    for (const { events } of incidents('card_testing')) {
      const tiny = events.filter((e) => e.amount! <= 300n);
      const big = events.filter((e) => e.amount! > 300n);
      expect(new Set(events.map((e) => e.device_id)).size).toBe(1);
      expect(new Set(events.map((e) => e.customer_id)).size).toBe(1);
      expect(tiny.length).toBeGreaterThanOrEqual(10);
      expect(tiny.length).toBeLessThanOrEqual(40);
      expect(new Set(tiny.map((e) => e.merchant_id)).size).toBe(tiny.length); // 200 merchants: all different
      expect(ms(tiny.at(-1)!) - ms(tiny[0]!)).toBeLessThanOrEqual(10 * MINUTE_MS);
      for (const e of events) expect(e.type === 'payment' && e.merchant_id !== undefined && e.amount! >= 1n).toBe(true);
      expect(big.length).toBeLessThanOrEqual(1);
      if (big.length === 1) {
        cashouts += 1;
        expect(ms(big[0]!)).toBeGreaterThan(ms(tiny.at(-1)!));
        expect(big[0]!.amount! >= 200_000n).toBe(true);
      }
    }
    expect(cashouts).toBeGreaterThan(0);
  });

  it('salami: many small payments from one customer’s own device to one new payee over days', () => {
    for (const { events, stream } of incidents('salami')) {
      const [added, ...payments] = events;
      const victim = added!.customer_id;
      const home = people(stream).get(victim)!.home;
      expect(added!.type).toBe('beneficiary_added');
      expect(added!.device_id!.startsWith(`d${victim.slice(1)}`)).toBe(true);
      expect(payments.length).toBeGreaterThanOrEqual(10);
      const days = new Set(payments.map((p) => Math.floor(localMs(p, home) / DAY_MS)));
      expect(days.size).toBeGreaterThanOrEqual(2);
      expect(payments.length / days.size).toBeGreaterThanOrEqual(3); // velocity: several a day
      for (const p of payments) {
        expect(p).toMatchObject({ type: 'payment', customer_id: victim, counterparty_id: added!.counterparty_id, device_id: added!.device_id });
        expect(p.amount! >= 3_000n && p.amount! <= 20_000n).toBe(true); // 30–200 CNY, under review thresholds
      }
      // each one is unremarkable: below what one genuine transfer in ten exceeds
      expect(payments.every((p) => p.amount! < transferP90(stream))).toBe(true);
    }
  });

  it('leaves the victims’ own events genuine', () => {
    for (const pattern of FRAUD_PATTERNS) {
      const victims = new Set(incidents(pattern).flatMap(({ events }) => events.map((e) => e.customer_id)));
      const genuine = demo().filter((l) => victims.has(l.event.customer_id) && !l.fraud);
      expect(genuine.length, pattern).toBeGreaterThan(0);
      for (const l of genuine) expect(l.event.device_id === undefined || !l.event.device_id.startsWith('dx')).toBe(true);
    }
  });
});

describe('options', () => {
  it('fraud_rate 0 switches a pattern off; the others keep their defaults', () => {
    const none = summarise(simulate({ ...SMALL, fraud_rate: { account_takeover: 0, mule_ring: 0, card_testing: 0, salami: 0 } }));
    expect(none.fraud_events).toBe(0);
    const only = summarise(simulate({ ...SMALL, fraud_rate: { account_takeover: 0, mule_ring: 0, salami: 0, card_testing: 50 } }));
    expect(only.by_pattern.card_testing.incidents).toBe(15); // 50 per 1,000 × 300 customers
    expect(only.fraud_events).toBe(only.by_pattern.card_testing.events);
    const defaults = summarise(simulate({ ...SMALL, fraud_rate: { salami: 0 } }));
    expect(defaults.by_pattern.salami.incidents).toBe(0);
    expect(defaults.by_pattern.account_takeover.incidents).toBeGreaterThanOrEqual(Math.floor((DEFAULT_FRAUD_RATE.account_takeover * 300) / 1_000));
  });

  it('scales incidents with customers: expected count, rounded', () => {
    const s = summarise(simulate({ ...SMALL, customers: 1_000, fraud_rate: { account_takeover: 12, mule_ring: 3, card_testing: 7, salami: 1 } }));
    expect(FRAUD_PATTERNS.map((p) => s.by_pattern[p].incidents)).toEqual([12, 3, 7, 1]);
  });

  it('prices in the chosen currency, scaled by its minor units', () => {
    const options = { ...SMALL, currency: 'JPY', fraud_rate: { card_testing: 0 } };
    const jpy = [...simulate(options)];
    expect(violation(jpy, options)).toBeNull();
    const cny = [...simulate({ ...SMALL, fraud_rate: { card_testing: 0 } })];
    const shops = (xs: LabelledEvent[]): bigint[] => xs.filter((l) => l.event.merchant_id !== undefined).map((l) => l.event.amount!);
    expect(median(shops(cny)) / median(shops(jpy))).toBeGreaterThan(50n); // scale 2 vs 0: ~100×
  });

  it.each<[string, Partial<SimulatorOptions>]>([
    ['seed', { seed: 1.5 }],
    ['customers', { customers: 0 }],
    ['customers', { customers: 1_000_000 }],
    ['merchants', { merchants: 0 }],
    ['days', { days: 0 }],
    ['days', { days: 2.5 }],
    ['start', { start: new Date(Number.NaN) }],
    ['currency', { currency: 'XXX' }],
    ['fraud_rate', { fraud_rate: { salami: -1 } }],
    ['fraud_rate', { fraud_rate: { mule_ring: Number.NaN } }],
  ])('refuses a bad %s at the call, not at the first event', (field, patch) => {
    expect(() => simulate({ ...SMALL, ...patch })).toThrow(new RegExp(field));
  });
});

describe('summarise', () => {
  const event = (id: string, type: string, customer_id: string, iso: string): RiskEvent => ({ id, type, customer_id, occurred_at: new Date(iso) });

  it('counts events, fraud, incidents, types and customers', () => {
    const s = summarise([
      { event: event('1', 'login', 'c1', '2026-01-02T00:00:00Z'), fraud: false, pattern: null, incident_id: null },
      { event: event('2', 'payment', 'c2', '2026-01-01T00:00:00Z'), fraud: true, pattern: 'salami', incident_id: 'salami-0001' },
      { event: event('3', 'payment', 'c2', '2026-01-03T00:00:00Z'), fraud: true, pattern: 'salami', incident_id: 'salami-0001' },
      { event: event('4', 'login', 'c3', '2026-01-02T12:00:00Z'), fraud: true, pattern: 'account_takeover', incident_id: 'ato-0001' },
      { event: event('5', 'payment', 'c3', '2026-01-02T12:05:00Z'), fraud: true, pattern: 'account_takeover', incident_id: 'ato-0002' },
    ]);
    expect(s).toEqual({
      events: 5,
      fraud_events: 4,
      by_pattern: {
        account_takeover: { incidents: 2, events: 2 },
        mule_ring: { incidents: 0, events: 0 },
        card_testing: { incidents: 0, events: 0 },
        salami: { incidents: 1, events: 2 },
      },
      by_type: { login: 2, payment: 3 },
      customers: 3,
      first: new Date('2026-01-01T00:00:00Z'),
      last: new Date('2026-01-03T00:00:00Z'),
    });
  });

  it('of nothing: zero counts and invalid dates', () => {
    const s = summarise([]);
    expect(s.events).toBe(0);
    expect(s.customers).toBe(0);
    expect(Number.isNaN(s.first.getTime()) && Number.isNaN(s.last.getTime())).toBe(true);
  });

  it('agrees with the stream it summarises', () => {
    const events = demo();
    const s = summarise(events);
    expect(s.events).toBe(events.length);
    expect(Object.values(s.by_type).reduce((x, y) => x + y, 0)).toBe(events.length);
    expect(FRAUD_PATTERNS.reduce((n, p) => n + s.by_pattern[p].events, 0)).toBe(s.fraud_events);
    expect(s.first).toEqual(events[0]!.event.occurred_at);
    expect(s.last).toEqual(events.at(-1)!.event.occurred_at);
  });
});

describe('properties', () => {
  it('any small world satisfies every stream invariant', () => {
    const rate = fc.double({ min: 0, max: 300, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          customers: fc.integer({ min: 1, max: 40 }),
          merchants: fc.integer({ min: 1, max: 30 }),
          days: fc.integer({ min: 1, max: 4 }),
          start: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
          currency: fc.constantFrom('CNY', 'JPY', 'USD', 'KWD'),
          fraud_rate: fc.record({ account_takeover: rate, mule_ring: rate, card_testing: rate, salami: rate }),
        }),
        (options) => {
          const events = [...simulate(options)];
          expect(violation(events, options)).toBeNull();
          const s = summarise(events);
          for (const p of FRAUD_PATTERNS) {
            const expected = (options.fraud_rate[p] * options.customers) / 1_000;
            expect(s.by_pattern[p].incidents).toBeLessThanOrEqual(Math.ceil(expected));
          }
        },
      ),
      { seed: FC_SEED, numRuns: 60 },
    );
  });
});

describe('streaming', () => {
  it('produces 1,000,000 events of 20,000 customers × 30 days lazily, retaining nothing it emitted', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const retained = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const options: SimulatorOptions = { seed: 11, customers: 20_000, merchants: 500, days: 30, start: new Date('2026-03-02T00:00:00Z') };
    const baseline = retained();
    const stream = simulate(options);
    let count = 0;
    let fraud = 0;
    const customers = new Uint8Array(options.customers);
    let at_200k = 0;
    for (const { event, fraud: isFraud } of stream) {
      count += 1;
      if (isFraud) fraud += 1;
      customers[Number(event.customer_id.slice(1))] = 1;
      if (count === 200_000) at_200k = retained();
      if (count === 1_000_000) break;
    }
    const growth_mb = (retained() - at_200k) / 1e6;
    const live_mb = (at_200k - baseline) / 1e6;
    expect(count).toBe(1_000_000);
    expect(customers.reduce((n, x) => n + x, 0)).toBe(options.customers);
    expect(fraud).toBeGreaterThan(1_000);
    expect(fraud).toBeLessThan(30_000);
    // The live set is the population and one day of plans per customer (~45 MB here); holding
    // the 800,000 emitted events, or planning the whole month up front, is hundreds of MB.
    expect(live_mb).toBeLessThan(120);
    expect(growth_mb).toBeLessThan(40);
  });
});

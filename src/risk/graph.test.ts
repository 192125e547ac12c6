import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RiskGraph, type GraphFeatures, type RiskGraphOptions } from './graph.js';
import type { RiskEvent } from './types.js';

const FC_OPTIONS = { numRuns: 200, seed: Number(process.env.GRAPH_FC_SEED ?? 20260115) };
const NOW = new Date(Date.UTC(2026, 0, 15, 10));

let seq = 0;
function ev(customer_id: string, fields: Partial<RiskEvent> = {}): RiskEvent {
  return { id: `e${++seq}`, type: 'payment', customer_id, occurred_at: NOW, ...fields };
}

/** Features asked before observing must equal those asked after (the event's links count either way). */
function observeChecked(graph: RiskGraph, event: RiskEvent): GraphFeatures {
  const before = graph.features(event);
  graph.observe(event);
  expect(graph.features(event)).toEqual(before);
  return before;
}

describe('RiskGraph structure and components', () => {
  it('links the customer to device, IP, phone, own account and counterparty account', () => {
    const g = new RiskGraph();
    g.observe(ev('c1', { device_id: 'd1', ip: '10.0.0.1', phone: '+441', account_id: 'a1', counterparty_id: 'a2', merchant_id: 'm1' }));
    expect(g.stats()).toMatchObject({ nodes: 6, edges: 5, components: 1 }); // merchants are not nodes
    expect(g.knows('c1', 'device', 'd1')).toBe(true);
    expect(g.knows('c1', 'ip', '10.0.0.1')).toBe(true);
    expect(g.knows('c1', 'phone', '+441')).toBe(true);
    expect(g.knows('c1', 'account', 'a1')).toBe(true);
    expect(g.knows('c1', 'account', 'a2')).toBe(true);
    expect(g.knows('c1', 'device', 'a1')).toBe(false); // kinds are apart even with equal ids
    expect(g.knows('c2', 'device', 'd1')).toBe(false);
    // Observing again adds nothing; an account that is both own and counterparty is one node.
    g.observe(ev('c1', { device_id: 'd1', account_id: 'a3', counterparty_id: 'a3' }));
    expect(g.stats()).toMatchObject({ nodes: 7, edges: 6, components: 1 });
  });

  it('merges components as links appear and reports their size', () => {
    const g = new RiskGraph();
    expect(observeChecked(g, ev('c1', { device_id: 'd1' })).component_size).toBe(2);
    expect(observeChecked(g, ev('c2', { ip: 'i1' })).component_size).toBe(2);
    expect(g.stats()).toMatchObject({ nodes: 4, components: 2 });
    expect(observeChecked(g, ev('c3', { device_id: 'd1', ip: 'i1' })).component_size).toBe(5); // c1 d1 c2 i1 c3
    expect(g.stats()).toMatchObject({ nodes: 5, edges: 4, components: 1 });
    // Paying into another customer's own account joins them too.
    g.observe(ev('c4', { account_id: 'acc4' }));
    expect(g.features(ev('c4')).component_size).toBe(2);
    expect(observeChecked(g, ev('c1', { counterparty_id: 'acc4' })).component_size).toBe(7);
    expect(g.features(ev('c4')).component_size).toBe(7);
    expect(g.stats().components).toBe(1);
  });

  it('reads an unseen customer with no links as a component of one', () => {
    const g = new RiskGraph();
    g.observe(ev('c1', { device_id: 'd1' }));
    expect(g.features(ev('nobody'))).toEqual({ component_size: 1, customers_sharing_device: 0, customers_sharing_ip: 0, distance_to_fraud: null });
  });
});

describe('RiskGraph sharing counts', () => {
  it('counts the other customers linked to the event device and IP', () => {
    const g = new RiskGraph();
    for (const c of ['c1', 'c2', 'c3']) g.observe(ev(c, { device_id: 'shared', ip: 'i1' }));
    g.observe(ev('c4', { ip: 'i1' }));
    expect(g.features(ev('c1', { device_id: 'shared', ip: 'i1' }))).toMatchObject({ customers_sharing_device: 2, customers_sharing_ip: 3 });
    // A customer not yet linked to them counts all of them.
    expect(g.features(ev('c9', { device_id: 'shared', ip: 'i1' }))).toMatchObject({ customers_sharing_device: 3, customers_sharing_ip: 4 });
    expect(g.features(ev('c1', { device_id: 'unknown' }))).toMatchObject({ customers_sharing_device: 0, customers_sharing_ip: 0 });
    expect(g.features(ev('c1'))).toMatchObject({ customers_sharing_device: 0, customers_sharing_ip: 0 });
  });
});

describe('RiskGraph distance to fraud', () => {
  // c0 —d1— c1 —i1— c2 —p1— c3, and c4 alone.
  function chain(options?: RiskGraphOptions): RiskGraph {
    const g = new RiskGraph(options);
    g.observe(ev('c0', { device_id: 'd1' }));
    g.observe(ev('c1', { device_id: 'd1', ip: 'i1' }));
    g.observe(ev('c2', { ip: 'i1', phone: 'p1' }));
    g.observe(ev('c3', { phone: 'p1' }));
    g.observe(ev('c4', { device_id: 'd4' }));
    return g;
  }

  it('counts edges: 0 for the flagged customer, 2 per shared entity, null past max_distance', () => {
    const g = chain();
    expect(g.features(ev('c0')).distance_to_fraud).toBeNull(); // nobody is flagged
    g.flagFraud('c0');
    expect(g.features(ev('c0')).distance_to_fraud).toBe(0);
    expect(g.features(ev('c1')).distance_to_fraud).toBe(2); // c1 — d1 — c0
    expect(g.features(ev('c2')).distance_to_fraud).toBe(4); // c2 — i1 — c1 — d1 — c0
    expect(g.features(ev('c3')).distance_to_fraud).toBeNull(); // 6 edges > max_distance 4
    expect(g.features(ev('c4')).distance_to_fraud).toBeNull(); // another component
    expect(g.features(ev('nobody')).distance_to_fraud).toBeNull();
  });

  it('goes as far as max_distance says', () => {
    const far = chain({ max_distance: 6 });
    far.flagFraud('c0');
    expect(far.features(ev('c3')).distance_to_fraud).toBe(6);
    const near = chain({ max_distance: 3 });
    near.flagFraud('c0');
    expect(near.features(ev('c1')).distance_to_fraud).toBe(2);
    expect(near.features(ev('c2')).distance_to_fraud).toBeNull();
    const none = chain({ max_distance: 0 });
    none.flagFraud('c0');
    expect(none.features(ev('c0')).distance_to_fraud).toBe(0);
    expect(none.features(ev('c1')).distance_to_fraud).toBeNull();
  });

  it('takes the shortest path', () => {
    const g = chain({ max_distance: 8 });
    g.flagFraud('c3');
    g.flagFraud('c0');
    expect(g.features(ev('c2')).distance_to_fraud).toBe(2); // via p1 to c3, not via i1, d1 to c0
    g.unflagFraud('c3');
    expect(g.features(ev('c2')).distance_to_fraud).toBe(4);
  });

  it('counts the links of the event being decided, before it is observed', () => {
    const g = chain();
    g.flagFraud('c0');
    // A new customer's first event from the fraudster's device: one shared device away.
    const first = ev('newcomer', { device_id: 'd1' });
    expect(g.features(first)).toEqual({ component_size: 8, customers_sharing_device: 2, customers_sharing_ip: 0, distance_to_fraud: 2 });
    // Paying into the fraudster's account, for an existing customer in another component.
    g.observe(ev('c0', { account_id: 'mule' }));
    expect(g.features(ev('c4', { counterparty_id: 'mule' }))).toMatchObject({ component_size: 2 + 8, distance_to_fraud: 2 });
    expect(g.features(ev('c4'))).toMatchObject({ component_size: 2, distance_to_fraud: null });
  });

  it('finds a fraudster at exactly max_distance whose links came after the flag', () => {
    for (const max_distance of [2, 4]) {
      const g = new RiskGraph({ max_distance });
      g.flagFraud('f');
      g.observe(ev('f', { device_id: 'd1' }));
      g.observe(ev('c1', { device_id: 'd1', phone: 'p1' }));
      g.observe(ev('c2', { phone: 'p1' }));
      expect(g.features(ev('c1')).distance_to_fraud).toBe(2);
      expect(g.features(ev('c2')).distance_to_fraud).toBe(max_distance === 4 ? 4 : null);
      const rebuilt = new RiskGraph({ max_distance });
      rebuilt.rebuild([ev('f', { device_id: 'd1' }), ev('c1', { device_id: 'd1', phone: 'p1' }), ev('c2', { phone: 'p1' })], ['f']);
      expect(rebuilt.features(ev('c1')).distance_to_fraud).toBe(2);
      expect(rebuilt.features(ev('c2')).distance_to_fraud).toBe(max_distance === 4 ? 4 : null);
    }
  });

  it('applies a flag given before the customer appears, and unflags', () => {
    const g = new RiskGraph();
    g.flagFraud('later');
    g.flagFraud('later'); // twice is once
    expect(g.stats().flagged).toBe(1);
    g.observe(ev('c1', { device_id: 'd1' }));
    expect(g.features(ev('c1')).distance_to_fraud).toBeNull();
    g.observe(ev('later', { device_id: 'd1' }));
    expect(g.features(ev('c1')).distance_to_fraud).toBe(2);
    expect(g.features(ev('later')).distance_to_fraud).toBe(0);
    g.unflagFraud('later');
    g.unflagFraud('never-flagged');
    expect(g.features(ev('c1')).distance_to_fraud).toBeNull();
    expect(g.features(ev('later')).distance_to_fraud).toBeNull();
    expect(g.stats().flagged).toBe(0);
    g.flagFraud('later');
    expect(g.features(ev('c1')).distance_to_fraud).toBe(2);
  });

  it('reads the distance from its labels, whatever bfs_nodes_max; the search (and its cap) is only the fallback', () => {
    // c0 shares device hub with 20 customers; the fraudster is behind one of them.
    const build = (bfs_nodes_max: number, ip_customers_max = 50): RiskGraph => {
      const g = new RiskGraph({ bfs_nodes_max, ip_customers_max });
      for (let i = 1; i <= 20; i++) g.observe(ev(`c${i}`, { device_id: 'hub', phone: `p${i}` }));
      g.observe(ev('c0', { device_id: 'hub' }));
      g.observe(ev('fraudster', { phone: 'p20' }));
      g.flagFraud('fraudster');
      return g;
    };
    expect(build(10_000).features(ev('c0')).distance_to_fraud).toBe(4);
    expect(build(1).features(ev('c0')).distance_to_fraud).toBe(4);
    expect(build(1).features(ev('fraudster')).distance_to_fraud).toBe(0);
    // A new link that pushes an IP past its cap changes the paths: the bounded search answers, and gives up at its cap.
    const g = build(1, 1);
    g.observe(ev('c0', { ip: 'nat' }));
    expect(g.features(ev('c0', { ip: 'nat' })).distance_to_fraud).toBe(4);
    expect(g.features(ev('c5', { ip: 'nat' })).distance_to_fraud).toBeNull();
    expect(build(10_000, 1).features(ev('c5', { ip: 'nat' })).distance_to_fraud).toBe(4);
  });
});

describe('RiskGraph carrier NAT rule', () => {
  it('stops an IP with more than ip_customers_max customers from joining components or carrying the search', () => {
    const g = new RiskGraph({ ip_customers_max: 3 });
    for (const c of ['c1', 'c2', 'c3']) observeChecked(g, ev(c, { ip: 'nat' }));
    expect(g.features(ev('c1')).component_size).toBe(4); // c1 c2 c3 and the IP
    g.flagFraud('c1');
    expect(g.features(ev('c2')).distance_to_fraud).toBe(2);
    // The 4th customer's link is stored but joins nothing — also when asked before observing.
    expect(observeChecked(g, ev('c4', { ip: 'nat', device_id: 'd4' }))).toEqual({
      component_size: 2, // c4 and d4
      customers_sharing_device: 0,
      customers_sharing_ip: 3,
      distance_to_fraud: null,
    });
    observeChecked(g, ev('c5', { ip: 'nat' }));
    expect(g.knows('c5', 'ip', 'nat')).toBe(true);
    expect(g.features(ev('c5', { ip: 'nat' }))).toMatchObject({ component_size: 1, customers_sharing_ip: 4 });
    expect(g.stats()).toMatchObject({ nodes: 7, edges: 6, components: 3 });
    // The merge made under the cap stays; the search no longer passes through the IP.
    expect(g.features(ev('c2')).component_size).toBe(4);
    expect(g.features(ev('c2')).distance_to_fraud).toBeNull();
  });

  it("counts the event's own link when judging the cap, for components and for the search", () => {
    const g = new RiskGraph({ ip_customers_max: 1, max_distance: 8 });
    g.observe(ev('c0', { ip: 'nat', device_id: 'd0' }));
    g.observe(ev('c2', { device_id: 'd0', phone: 'p0' }));
    g.observe(ev('c1', { phone: 'p0' }));
    g.flagFraud('c0');
    // c1 — nat — c0 would be 2 edges, but c1's link makes nat the link of 2 customers > 1.
    expect(observeChecked(g, ev('c1', { ip: 'nat' }))).toMatchObject({ component_size: 6, distance_to_fraud: 4 });
    expect(observeChecked(g, ev('c9', { ip: 'nat' }))).toMatchObject({ component_size: 1, distance_to_fraud: null });
  });

  it('applies the same cap to accounts paid by many customers (a utility, a marketplace)', () => {
    const g = new RiskGraph({ account_customers_max: 3 });
    for (const c of ['c1', 'c2', 'c3']) g.observe(ev(c, { counterparty_id: 'utility' }));
    g.flagFraud('c1');
    expect(g.features(ev('c2')).distance_to_fraud).toBe(2);
    g.observe(ev('c4', { counterparty_id: 'utility' }));
    // Past the cap the account joins nothing and the search does not pass through it.
    expect(g.features(ev('c4')).component_size).toBe(1);
    expect(g.features(ev('c2')).distance_to_fraud).toBeNull();
  });

  it('defaults to 50 customers', () => {
    const g = new RiskGraph();
    for (let i = 1; i <= 52; i++) g.observe(ev(`c${i}`, { ip: 'nat' }));
    expect(g.features(ev('c1')).component_size).toBe(51); // 50 customers and the IP
    expect(g.features(ev('c51')).component_size).toBe(1);
    expect(g.stats().components).toBe(3);
    const under = new RiskGraph();
    for (let i = 1; i <= 50; i++) under.observe(ev(`c${i}`, { ip: 'nat' }));
    expect(under.stats().components).toBe(1);
  });

  it('does not cap devices, phones or accounts', () => {
    const g = new RiskGraph({ ip_customers_max: 2 });
    for (let i = 1; i <= 5; i++) g.observe(ev(`c${i}`, { device_id: 'd', phone: 'p', counterparty_id: 'utility' }));
    expect(g.stats()).toMatchObject({ nodes: 8, components: 1 });
  });
});

describe('RiskGraph capacity', () => {
  it('stops adding nodes at nodes_max and reads new entities as isolated', () => {
    const g = new RiskGraph({ nodes_max: 4 });
    g.observe(ev('c1', { device_id: 'd1', ip: 'i1' }));
    expect(g.stats()).toMatchObject({ nodes: 3, full: false });
    // c2 takes the last node: its link to the known d1 is made, the new phone is refused.
    expect(observeChecked(g, ev('c2', { phone: 'p2', device_id: 'd1' }))).toMatchObject({ component_size: 4, customers_sharing_device: 1 });
    expect(g.stats()).toMatchObject({ nodes: 4, edges: 3, components: 1, full: true, nodes_refused: 1 });
    // A new customer is isolated, whatever it links to; known entities still count their customers.
    g.flagFraud('c1');
    expect(observeChecked(g, ev('c3', { device_id: 'd1' }))).toEqual({
      component_size: 1,
      customers_sharing_device: 2,
      customers_sharing_ip: 0,
      distance_to_fraud: null,
    });
    expect(g.stats()).toMatchObject({ nodes: 4, edges: 3, nodes_refused: 2 }); // p2 and c3
    // Links between known nodes are still made.
    expect(observeChecked(g, ev('c2', { ip: 'i1' })).component_size).toBe(4);
    expect(g.stats().edges).toBe(4);
  });

  it('stops adding edges at edges_max', () => {
    const g = new RiskGraph({ edges_max: 2 });
    g.observe(ev('c1', { device_id: 'd1', ip: 'i1', phone: 'p1' }));
    expect(g.stats()).toMatchObject({ nodes: 4, edges: 2, components: 2, edges_refused: 1 });
    expect(g.knows('c1', 'phone', 'p1')).toBe(false);
    expect(observeChecked(g, ev('c2', { device_id: 'd1' })).component_size).toBe(1);
  });

  it('rejects out-of-range options', () => {
    expect(() => new RiskGraph({ nodes_max: 0 })).toThrow(RangeError);
    expect(() => new RiskGraph({ max_distance: 17 })).toThrow(RangeError);
    expect(() => new RiskGraph({ ip_customers_max: 0 })).toThrow(RangeError);
    expect(() => new RiskGraph({ bfs_nodes_max: 2.5 })).toThrow(RangeError);
  });
});

describe('RiskGraph.rebuild', () => {
  it('forgets the previous graph and flags', () => {
    const g = new RiskGraph();
    g.observe(ev('old', { device_id: 'd' }));
    g.flagFraud('old');
    g.rebuild([ev('c1', { device_id: 'd' }), ev('c2', { device_id: 'd' })], ['c2']);
    expect(g.stats()).toEqual({ nodes: 3, edges: 2, components: 1, flagged: 1, nodes_refused: 0, edges_refused: 0, full: false });
    expect(g.features(ev('c1'))).toEqual({ component_size: 3, customers_sharing_device: 0, customers_sharing_ip: 0, distance_to_fraud: 2 });
    expect(g.features(ev('old')).distance_to_fraud).toBeNull();
  });
});

// ---- Property: the graph against a naive model, and rebuild against live observation ----

const PREFIX = { device: 'd:', ip: 'i:', phone: 'p:', account: 'a:' } as const;

/** A deliberately naive model: adjacency sets, component labels relabelled on merge, plain BFS. */
class NaiveGraph {
  /** The NAT rule for IPs and the hub rule for accounts. */
  overCap(key: string): boolean {
    const size = this.adj.get(key)?.size ?? 0;
    if (key.startsWith('i:')) return size > this.o.ip_customers_max;
    if (key.startsWith('a:')) return size > this.o.account_customers_max;
    return false;
  }

  readonly adj = new Map<string, Set<string>>();
  readonly label = new Map<string, number>();
  edges = 0;
  constructor(readonly o: Required<RiskGraphOptions>) {}

  clone(): NaiveGraph {
    const copy = new NaiveGraph(this.o);
    for (const [k, v] of this.adj) copy.adj.set(k, new Set(v));
    for (const [k, v] of this.label) copy.label.set(k, v);
    copy.edges = this.edges;
    return copy;
  }

  private node(key: string): boolean {
    if (this.adj.has(key)) return true;
    if (this.adj.size >= this.o.nodes_max) return false;
    this.adj.set(key, new Set());
    this.label.set(key, this.label.size);
    return true;
  }

  observe(e: RiskEvent): void {
    const c = `c:${e.customer_id}`;
    if (!this.node(c)) return;
    const links = [
      e.device_id && PREFIX.device + e.device_id,
      e.ip && PREFIX.ip + e.ip,
      e.phone && PREFIX.phone + e.phone,
      e.account_id && PREFIX.account + e.account_id,
      e.counterparty_id && PREFIX.account + e.counterparty_id,
    ].filter((k): k is string => !!k);
    for (const k of links) {
      if (!this.node(k) || this.adj.get(c)!.has(k) || this.edges >= this.o.edges_max) continue;
      this.adj.get(c)!.add(k);
      this.adj.get(k)!.add(c);
      this.edges++;
      if (this.overCap(k)) continue;
      const [from, to] = [this.label.get(k)!, this.label.get(c)!];
      for (const [n, l] of this.label) if (l === from) this.label.set(n, to);
    }
  }

  features(e: RiskEvent, flagged: ReadonlySet<string>): GraphFeatures {
    const c = `c:${e.customer_id}`;
    const sharing = (k: string | undefined): number => (k && this.adj.has(k) ? this.adj.get(k)!.size - (this.adj.get(k)!.has(c) ? 1 : 0) : 0);
    const after = this.clone();
    after.observe(e);
    const l = after.label.get(c);
    return {
      component_size: l === undefined ? 1 : [...after.label.values()].filter((x) => x === l).length,
      customers_sharing_device: sharing(e.device_id && PREFIX.device + e.device_id),
      customers_sharing_ip: sharing(e.ip && PREFIX.ip + e.ip),
      distance_to_fraud: after.distance(c, flagged),
    };
  }

  private distance(start: string, flagged: ReadonlySet<string>): number | null {
    if (flagged.has(start.slice(2))) return 0;
    const depth = new Map([[start, 0]]);
    const queue = [start];
    while (queue.length > 0) {
      const u = queue.shift()!;
      const d = depth.get(u)!;
      if (d >= this.o.max_distance || !this.adj.has(u)) continue;
      if (this.overCap(u)) continue;
      for (const v of this.adj.get(u)!) {
        if (depth.has(v)) continue;
        if (v.startsWith('c:') && flagged.has(v.slice(2))) return d + 1;
        depth.set(v, d + 1);
        queue.push(v);
      }
    }
    return null;
  }
}

const id = (prefix: string, n: number) => fc.option(fc.integer({ min: 0, max: n - 1 }).map((i) => `${prefix}${i}`), { nil: undefined, freq: 2 });
const graphEvent = fc
  .record({ c: fc.integer({ min: 0, max: 7 }), device_id: id('d', 3), ip: id('i', 3), phone: id('p', 3), account_id: id('a', 4), counterparty_id: id('a', 4) })
  .map(({ c, ...links }): RiskEvent => ({ id: 'x', type: 'payment', customer_id: `c${c}`, occurred_at: NOW, ...links }));
const op = fc.oneof(
  { weight: 6, arbitrary: graphEvent.map((event) => ({ kind: 'observe' as const, event })) },
  { weight: 3, arbitrary: graphEvent.map((event) => ({ kind: 'probe' as const, event })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 8 }).map((c) => ({ kind: 'flag' as const, customer: `c${c}` })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }).map((c) => ({ kind: 'unflag' as const, customer: `c${c}` })) },
);
const options = fc.record({
  nodes_max: fc.constantFrom(6, 12, 1000),
  edges_max: fc.constantFrom(5, 1000),
  max_distance: fc.constantFrom(0, 1, 2, 3, 4, 6, 8),
  bfs_nodes_max: fc.constant(10_000),
  ip_customers_max: fc.constantFrom(1, 2, 50),
  account_customers_max: fc.constantFrom(1, 2, 50),
});

describe('RiskGraph properties', () => {
  it('matches a naive model, answers the same before and after observe, and rebuilds to the same state', () => {
    fc.assert(
      fc.property(options, fc.array(op, { maxLength: 60 }), (o, ops) => {
        const live = new RiskGraph(o);
        const naive = new NaiveGraph(o);
        const flagged = new Set<string>();
        const observed: RiskEvent[] = [];
        for (const step of ops) {
          if (step.kind === 'flag') {
            live.flagFraud(step.customer);
            flagged.add(step.customer);
          } else if (step.kind === 'unflag') {
            live.unflagFraud(step.customer);
            flagged.delete(step.customer);
          } else {
            const want = naive.features(step.event, flagged);
            expect(live.features(step.event)).toEqual(want);
            if (step.kind === 'observe') {
              live.observe(step.event);
              naive.observe(step.event);
              observed.push(step.event);
              expect(live.features(step.event)).toEqual(want);
            }
          }
        }
        const rebuilt = new RiskGraph(o);
        rebuilt.observe({ id: 'stale', type: 'login', customer_id: 'stale', occurred_at: NOW, device_id: 'd0' }); // to be forgotten
        rebuilt.flagFraud('stale');
        rebuilt.rebuild(observed, flagged);
        expect(rebuilt.stats()).toEqual(live.stats());
        expect(live.stats()).toMatchObject({ nodes: naive.adj.size, edges: naive.edges, components: new Set(naive.label.values()).size });
        for (let c = 0; c <= 8; c++) {
          const probe: RiskEvent = { id: 'p', type: 'login', customer_id: `c${c}`, occurred_at: NOW, device_id: 'd0', ip: 'i0' };
          expect(rebuilt.features(probe)).toEqual(live.features(probe));
          expect(rebuilt.features({ ...probe, device_id: undefined, ip: undefined })).toEqual(live.features({ ...probe, device_id: undefined, ip: undefined }));
        }
      }),
      FC_OPTIONS,
    );
  });
});

// ---- Neighbourhood (the operator console's case view) ----

describe('RiskGraph.neighbourhood', () => {
  const ring = (): RiskGraph => {
    const g = new RiskGraph();
    g.observe(ev('c1', { device_id: 'd1', ip: '10.0.0.1', phone: '+4411' }));
    g.observe(ev('c2', { device_id: 'd1', counterparty_id: 'a9' }));
    g.observe(ev('c3', { counterparty_id: 'a9', phone: '+4433' }));
    g.observe(ev('c4', { phone: '+4433' }));
    g.flagFraud('c3');
    return g;
  };

  it('is undefined for a node that is not in the graph', () => {
    expect(ring().neighbourhood({ kind: 'customer', id: 'nobody' })).toBeUndefined();
    expect(ring().neighbourhood({ kind: 'account', id: 'd1' })).toBeUndefined(); // kinds are apart
  });

  it('returns the nodes within depth_max edges with their distance, kind and fraud flag, and the edges between them', () => {
    const n = ring().neighbourhood({ kind: 'customer', id: 'c1' }, { depth_max: 2 })!;
    expect(n.truncated).toBe(false);
    expect(n.nodes).toEqual([
      { key: 'c:c1', kind: 'customer', id: 'c1', flagged_fraud: false, distance: 0, degree: 3 },
      { key: 'd:d1', kind: 'device', id: 'd1', flagged_fraud: false, distance: 1, degree: 2 },
      { key: 'i:10.0.0.1', kind: 'ip', id: '10.0.0.1', flagged_fraud: false, distance: 1, degree: 1 },
      { key: 'p:+4411', kind: 'phone', id: '+4411', flagged_fraud: false, distance: 1, degree: 1 },
      { key: 'c:c2', kind: 'customer', id: 'c2', flagged_fraud: false, distance: 2, degree: 2 },
    ]);
    expect(n.edges).toEqual([
      { source: 'c:c1', target: 'd:d1', kind: 'device' },
      { source: 'c:c1', target: 'i:10.0.0.1', kind: 'ip' },
      { source: 'c:c1', target: 'p:+4411', kind: 'phone' },
      { source: 'c:c2', target: 'd:d1', kind: 'device' },
    ]);
    const deeper = ring().neighbourhood({ kind: 'customer', id: 'c1' }, { depth_max: 3 })!;
    expect(deeper.nodes.map((x) => [x.key, x.distance])).toContainEqual(['a:a9', 3]);
    expect(deeper.nodes.some((x) => x.key === 'c:c3')).toBe(false); // 4 edges away
    // From the fraudster's own account: the flag shows.
    const fromAccount = ring().neighbourhood({ kind: 'account', id: 'a9' }, { depth_max: 1 })!;
    expect(fromAccount.nodes.find((x) => x.id === 'c3')).toMatchObject({ flagged_fraud: true, distance: 1 });
    expect(fromAccount.nodes.find((x) => x.id === 'c2')).toMatchObject({ flagged_fraud: false, distance: 1 });
  });

  it('defaults to depth 2 and 200 nodes, and refuses out-of-range options', () => {
    const g = new RiskGraph();
    for (let i = 0; i < 300; i++) g.observe(ev(`c${i}`, { device_id: 'shared' }));
    const n = g.neighbourhood({ kind: 'customer', id: 'c0' })!;
    expect(n.nodes).toHaveLength(200);
    expect(n.truncated).toBe(true);
    expect(Math.max(...n.nodes.map((x) => x.distance))).toBe(2);
    // Every returned customer's link to the shared device is returned, though the search stopped.
    expect(n.edges).toHaveLength(199);
    expect(() => g.neighbourhood({ kind: 'customer', id: 'c0' }, { depth_max: 4 })).toThrow(RangeError);
    expect(() => g.neighbourhood({ kind: 'customer', id: 'c0' }, { depth_max: 0 })).toThrow(RangeError);
    expect(() => g.neighbourhood({ kind: 'customer', id: 'c0' }, { nodes_max: 501 })).toThrow(RangeError);
    expect(g.neighbourhood({ kind: 'customer', id: 'c0' }, { nodes_max: 1 })).toEqual({
      nodes: [{ key: 'c:c0', kind: 'customer', id: 'c0', flagged_fraud: false, distance: 0, degree: 1 }],
      edges: [],
      truncated: true,
    });
  });

  it('shows a NAT IP or a hub account but does not expand it, unless it is the start', () => {
    const g = new RiskGraph({ ip_customers_max: 3, account_customers_max: 3 });
    for (let i = 0; i < 10; i++) g.observe(ev(`c${i}`, { ip: 'nat', counterparty_id: 'utility' }));
    g.observe(ev('c0', { device_id: 'd0' }));
    g.observe(ev('friend', { device_id: 'd0' }));
    const n = g.neighbourhood({ kind: 'customer', id: 'c0' }, { depth_max: 3 })!;
    expect(n.truncated).toBe(false);
    expect(n.nodes.map((x) => x.key).sort()).toEqual(['a:utility', 'c:c0', 'c:friend', 'd:d0', 'i:nat']);
    expect(n.nodes.find((x) => x.key === 'i:nat')).toMatchObject({ hub: true, degree: 10, distance: 1 });
    expect(n.nodes.find((x) => x.key === 'a:utility')).toMatchObject({ hub: true, degree: 10 });
    expect(n.nodes.find((x) => x.key === 'd:d0')!.hub).toBeUndefined();
    // Asked for directly, the hub is expanded (within nodes_max).
    const hub = g.neighbourhood({ kind: 'ip', id: 'nat' }, { depth_max: 2, nodes_max: 5 })!;
    expect(hub.nodes).toHaveLength(5);
    expect(hub.nodes[0]).toMatchObject({ key: 'i:nat', hub: true, distance: 0 });
    expect(hub.truncated).toBe(true);
  });

  it('matches a plain breadth-first search that stops at hubs (property)', () => {
    fc.assert(
      fc.property(options, fc.array(graphEvent, { maxLength: 40 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 3 }), (o, events, c, depth_max) => {
        const live = new RiskGraph(o);
        const naive = new NaiveGraph(o);
        for (const e of events) {
          live.observe(e);
          naive.observe(e);
        }
        const start = `c:c${c}`;
        const got = live.neighbourhood({ kind: 'customer', id: `c${c}` }, { depth_max, nodes_max: 500 });
        if (!naive.adj.has(start)) {
          expect(got).toBeUndefined();
          return;
        }
        const want = new Map([[start, 0]]);
        const queue = [start];
        while (queue.length > 0) {
          const u = queue.shift()!;
          if (want.get(u)! >= depth_max || naive.overCap(u)) continue;
          for (const v of naive.adj.get(u)!) {
            if (want.has(v)) continue;
            want.set(v, want.get(u)! + 1);
            queue.push(v);
          }
        }
        expect(got!.truncated).toBe(false);
        expect(new Map(got!.nodes.map((x) => [x.key, x.distance]))).toEqual(want);
        for (const x of got!.nodes) expect(x.hub === true).toBe(naive.overCap(x.key));
        const wantEdges = [...want.keys()].filter((k) => k.startsWith('c:')).flatMap((k) => [...naive.adj.get(k)!].filter((v) => want.has(v)).map((v) => `${k}-${v}`));
        expect(got!.edges.map((e) => `${e.source}-${e.target}`).sort()).toEqual(wantEdges.sort());
      }),
      FC_OPTIONS,
    );
  });
});

/**
 * Graph features: a knowledge graph of who uses what, for spotting rings and the
 * neighbourhood of known fraud. Pure and synchronous, in memory, on graphology.
 *
 * Nodes are customers, devices, IPs, phones and accounts (keys `c:`, `d:`, `i:`, `p:`, `a:`
 * + id). An event links its customer to its device, IP, phone, own account (`account_id`)
 * and counterparty account (`counterparty_id`): both are account nodes, so paying into
 * another customer's own account links the two. Edges only join a customer to a
 * non-customer, so the graph is bipartite and paths between customers have even length.
 *
 * Features of an event read the graph as it will be once that event is observed: its
 * links count without being stored, so asking before or after `observe(event)` gives the
 * same answer and a new customer's first event from a known fraud device is already near
 * fraud. (Within the capacity and NAT rules below: the features reflect exactly what
 * `observe` would add.)
 *   - component_size: nodes (of every kind) in the customer's connected component, kept by
 *     a union-find (union by size, path halving) beside the graph: O(α) per edge, no
 *     traversal per decision. 1 for a customer with no links.
 *   - customers_sharing_device / _ip: customers other than this one linked to the event's
 *     device / IP (its degree, minus this customer's own link); 0 when the event has none or
 *     it is unknown. Not capped.
 *   - distance_to_fraud: edges on the shortest path from the event's customer to the
 *     nearest flagged customer, through nodes of any kind: 0 if the customer is flagged
 *     itself, 2 for a customer sharing a device, IP, phone or account with a flagged one,
 *     4 for two such hops; null when none is within `max_distance` edges (default 4). It is
 *     read from per-node distance labels kept incrementally (an O(1) read per link of the
 *     event), so it costs the same however large the graph. Only when the event's own new
 *     link would push a node past its cap (the paths change shape) does it fall back to a
 *     breadth-first search bounded by depth and by `bfs_nodes_max` discovered nodes
 *     (default 10,000; a search that reaches the cap reports null). It is skipped (null)
 *     when the union-find says the component holds no flagged customer.

 * Hub rule. The same applies to an account linked to more than `account_customers_max`
 * customers (default 50): a payee paid by everyone (a utility, a marketplace) would
 * otherwise put every payer two edges from any fraudster who paid it too.
 *
 * Carrier NAT rule. An IP linked to more than `ip_customers_max` customers (default 50)
 * stops joining components: the link that takes it past the cap and every later one are
 * stored (and counted by customers_sharing_ip) but do not merge components, and the search
 * for fraud does not pass through such an IP. Merges made while it was under the cap stay
 * (a union-find does not split), so at most the first ip_customers_max customers of an IP
 * are joined through it. Devices, phones and accounts have no such cap (a payee account
 * paid by thousands of customers — a utility — joins them all and puts all its payers 2
 * edges from any fraudster who paid it too).
 *
 * Bounded memory. At most `nodes_max` nodes (default 2,000,000) and `edges_max` edges
 * (default 8,000,000). Past them new nodes / edges are not added — an unseen entity then
 * reads as isolated (a new customer: component 1, distance null unless it is flagged) — and
 * `stats()` reports `full` and how many additions were refused. Flagged customer ids are kept
 * whether or not they are in the graph (a flag applies when the customer appears).
 *
 * Neighbourhood. `neighbourhood(start)` is the bounded breadth-first view the operator
 * console draws around a case: at most 3 edges deep and 500 nodes, hubs (IPs and accounts
 * past their cap) shown but not expanded, and at most NEIGHBOURHOOD_SCAN_MAX neighbours
 * looked at, so its cost does not depend on the size of the graph.
 */
import { UndirectedGraph } from 'graphology';
import type { RiskEvent } from './types.js';

export type GraphNodeKind = 'customer' | 'device' | 'ip' | 'phone' | 'account';
export type GraphLinkKind = Exclude<GraphNodeKind, 'customer'>;

export const NODES_MAX_DEFAULT = 2_000_000;
export const EDGES_MAX_DEFAULT = 8_000_000;
export const MAX_DISTANCE_DEFAULT = 4;
export const MAX_DISTANCE_LIMIT = 16;
export const BFS_NODES_MAX_DEFAULT = 10_000;
export const IP_CUSTOMERS_MAX_DEFAULT = 50;
export const ACCOUNT_CUSTOMERS_MAX_DEFAULT = 50;

const PREFIX: Record<GraphNodeKind, string> = { customer: 'c:', device: 'd:', ip: 'i:', phone: 'p:', account: 'a:' };
const CUSTOMER = PREFIX.customer.charCodeAt(0);
const IP = PREFIX.ip.charCodeAt(0);
const ACCOUNT = PREFIX.account.charCodeAt(0);
/** A distance label meaning: no flagged customer within max_distance. */
const UNREACHED = 255;
const INITIAL_CAPACITY = 1024;

export interface RiskGraphOptions {
  nodes_max?: number;
  edges_max?: number;
  /** Edges the search for a flagged customer goes out to. */
  max_distance?: number;
  /** Nodes the search for a flagged customer may discover before giving up. */
  bfs_nodes_max?: number;
  /** Customers an IP may link before it stops joining components (carrier NAT). */
  ip_customers_max?: number;
  /** The same rule for accounts: a payee paid by more customers than this (a utility, a marketplace) stops joining them. */
  account_customers_max?: number;
}

export interface GraphFeatures {
  component_size: number;
  customers_sharing_device: number;
  customers_sharing_ip: number;
  distance_to_fraud: number | null;
}

/** A bounded breadth-first neighbourhood of one node, for the operator console's case view. */
export interface NeighbourhoodOptions {
  /** Edges from the start (1..3, default 2). */
  depth_max?: number;
  /** Nodes returned, the start included (1..500, default 200). */
  nodes_max?: number;
}

export interface NeighbourhoodNode {
  /** The graph key: the kind's prefix (`c:`, `d:`, `i:`, `p:`, `a:`) and the id. */
  key: string;
  kind: GraphNodeKind;
  id: string;
  /** A customer flagged as a known fraudster (deny-listed). */
  flagged_fraud: boolean;
  /** Edges from the start. */
  distance: number;
  /** Links of this node in the whole graph (the result may show fewer). */
  degree: number;
  /** An IP or account past its cap (a carrier NAT, a utility): shown, not expanded. */
  hub?: true;
}

export interface NeighbourhoodEdge {
  /** Always the customer end. */
  source: string;
  target: string;
  /** The kind of the non-customer end: how the customer is linked. */
  kind: GraphLinkKind;
}

export interface Neighbourhood {
  nodes: NeighbourhoodNode[];
  edges: NeighbourhoodEdge[];
  /** Some nodes or edges within depth_max were left out (nodes_max, or the scan budget, was reached). */
  truncated: boolean;
}

export const NEIGHBOURHOOD_DEPTH_MAX = 3;
export const NEIGHBOURHOOD_NODES_MAX = 500;
/** Neighbours one neighbourhood call may look at in all: bounds the work whatever the degrees. */
export const NEIGHBOURHOOD_SCAN_MAX = 100_000;

const KIND_OF: Record<string, GraphNodeKind> = { c: 'customer', d: 'device', i: 'ip', p: 'phone', a: 'account' };

export interface GraphStats {
  nodes: number;
  edges: number;
  components: number;
  /** Flagged customer ids (in the graph or not). */
  flagged: number;
  /** Node / edge additions refused at capacity since construction or the last rebuild. */
  nodes_refused: number;
  edges_refused: number;
  /** The node cap is reached: new entities read as isolated. */
  full: boolean;
}

interface NodeAttributes {
  /** Index into the union-find arrays. */
  i: number;
}

function intOption(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** The event's non-customer node keys, without repeats, in the order observe adds them. */
function linkKeys(event: RiskEvent): string[] {
  const keys: string[] = [];
  const add = (kind: GraphLinkKind, id: string | undefined): void => {
    if (id === undefined) return;
    const key = PREFIX[kind] + id;
    if (!keys.includes(key)) keys.push(key);
  };
  add('device', event.device_id);
  add('ip', event.ip);
  add('phone', event.phone);
  add('account', event.account_id);
  add('account', event.counterparty_id);
  return keys;
}

export class RiskGraph {
  private readonly graph = new UndirectedGraph<NodeAttributes>({ allowSelfLoops: false });
  private readonly nodes_max: number;
  private readonly edges_max: number;
  private readonly max_distance: number;
  private readonly bfs_nodes_max: number;
  private readonly ip_customers_max: number;
  private readonly account_customers_max: number;
  private readonly flagged = new Set<string>();
  // Union-find and search state, indexed by the node's `i`.
  private parent = new Int32Array(INITIAL_CAPACITY);
  private size = new Int32Array(INITIAL_CAPACITY);
  /** Flagged customers in the component (meaningful at roots). */
  private flaggedIn = new Int32Array(INITIAL_CAPACITY);
  private isFlagged = new Uint8Array(INITIAL_CAPACITY);
  /** For a non-customer node: how many flagged customers it links. */
  private flaggedNear = new Int32Array(INITIAL_CAPACITY);
  /**
   * Each node's distance (in edges) to the nearest flagged customer, through nodes that are
   * not past their cap, up to max_distance (UNREACHED beyond). Kept incrementally: adding an
   * edge or a flag can only shorten distances, so it propagates a decrease from the changed
   * node; an unflag, or a node crossing its cap, can lengthen them and marks the labels for
   * a full recompute (rare), done at the next read.
   */
  private fd = new Uint8Array(INITIAL_CAPACITY);
  private labelsDirty = false;
  /** Search visit marks: a node is visited in the current search when its stamp equals `epoch`. */
  private stamp = new Uint32Array(INITIAL_CAPACITY);
  private epoch = 0;
  private components = 0;
  private nodes_refused = 0;
  private edges_refused = 0;

  constructor(options: RiskGraphOptions = {}) {
    this.nodes_max = intOption(options.nodes_max, NODES_MAX_DEFAULT, 1, 2 ** 31 - 1, 'nodes_max');
    this.edges_max = intOption(options.edges_max, EDGES_MAX_DEFAULT, 0, Number.MAX_SAFE_INTEGER, 'edges_max');
    this.max_distance = intOption(options.max_distance, MAX_DISTANCE_DEFAULT, 0, MAX_DISTANCE_LIMIT, 'max_distance');
    this.bfs_nodes_max = intOption(options.bfs_nodes_max, BFS_NODES_MAX_DEFAULT, 1, 2 ** 31 - 1, 'bfs_nodes_max');
    this.ip_customers_max = intOption(options.ip_customers_max, IP_CUSTOMERS_MAX_DEFAULT, 1, 2 ** 31 - 1, 'ip_customers_max');
    this.account_customers_max = intOption(options.account_customers_max, ACCOUNT_CUSTOMERS_MAX_DEFAULT, 1, 2 ** 31 - 1, 'account_customers_max');
  }

  /** Adds the event's customer, its linked entities and the links (as far as capacity allows). */
  observe(event: RiskEvent): void {
    const customer = PREFIX.customer + event.customer_id;
    const c = this.ensureNode(customer);
    if (c === undefined) return;
    for (const key of linkKeys(event)) {
      const n = this.ensureNode(key);
      if (n === undefined || this.graph.hasEdge(customer, key)) continue;
      if (this.graph.size >= this.edges_max) {
        this.edges_refused++;
        continue;
      }
      this.graph.addEdge(customer, key);
      this.flaggedNear[n]! += this.isFlagged[c]!;
      if (!this.overIpCap(key, 0)) {
        this.union(c, n);
        if (!this.labelsDirty) {
          this.relax(c, n, key);
          this.relax(n, c, customer);
        }
      } else if (!this.overIpCap(key, -1)) this.labelsDirty = true; // it just crossed its cap: paths through it are gone
    }
  }

  flagFraud(customerId: string): void {
    if (this.flagged.has(customerId)) return;
    this.flagged.add(customerId);
    const i = this.indexOf(PREFIX.customer + customerId);
    if (i === undefined) return;
    this.isFlagged[i] = 1;
    this.flaggedIn[this.find(i)]! += 1;
    if (!this.labelsDirty) {
      this.fd[i] = 0;
      this.propagate(PREFIX.customer + customerId);
    }
    this.graph.forEachNeighbor(PREFIX.customer + customerId, (_key, attributes) => void (this.flaggedNear[attributes.i]! += 1));
  }

  unflagFraud(customerId: string): void {
    if (!this.flagged.delete(customerId)) return;
    const i = this.indexOf(PREFIX.customer + customerId);
    if (i === undefined) return;
    this.isFlagged[i] = 0;
    this.flaggedIn[this.find(i)]! -= 1;
    this.labelsDirty = true;
    this.graph.forEachNeighbor(PREFIX.customer + customerId, (_key, attributes) => void (this.flaggedNear[attributes.i]! -= 1));
  }

  /** Whether the customer is already linked to that device / IP / phone / account. */
  knows(customerId: string, kind: GraphLinkKind, id: string): boolean {
    return this.graph.hasEdge(PREFIX.customer + customerId, PREFIX[kind] + id);
  }

  features(event: RiskEvent): GraphFeatures {
    const customer = PREFIX.customer + event.customer_id;
    const sharing_device = this.othersLinked(customer, event.device_id === undefined ? undefined : PREFIX.device + event.device_id);
    const sharing_ip = this.othersLinked(customer, event.ip === undefined ? undefined : PREFIX.ip + event.ip);
    const self_flagged = this.flagged.has(event.customer_id);
    const plan = this.plan(customer, linkKeys(event));
    const distance = self_flagged ? 0 : plan.flagged_in === 0 ? null : (this.labelDistance(customer, plan.new_links) ?? this.distanceToFraud(customer, plan.new_links));
    return { component_size: plan.component_size, customers_sharing_device: sharing_device, customers_sharing_ip: sharing_ip, distance_to_fraud: distance };
  }

  /** Forgets everything, flags `fraudsters` and replays `events` (in the order they were observed). */
  rebuild(events: Iterable<RiskEvent>, fraudsters: Iterable<string>): void {
    this.graph.clear();
    this.flagged.clear();
    this.parent = new Int32Array(INITIAL_CAPACITY);
    this.size = new Int32Array(INITIAL_CAPACITY);
    this.flaggedIn = new Int32Array(INITIAL_CAPACITY);
    this.isFlagged = new Uint8Array(INITIAL_CAPACITY);
    this.flaggedNear = new Int32Array(INITIAL_CAPACITY);
    this.stamp = new Uint32Array(INITIAL_CAPACITY);
    this.fd = new Uint8Array(INITIAL_CAPACITY);
    this.labelsDirty = false;
    this.epoch = 0;
    this.components = 0;
    this.nodes_refused = 0;
    this.edges_refused = 0;
    for (const id of fraudsters) this.flagFraud(id);
    for (const event of events) this.observe(event);
  }

  /**
   * The nodes within `depth_max` edges of the start, breadth first, at most `nodes_max` of
   * them, with every edge between two returned nodes. A hub (an IP or account past its cap)
   * is returned but not expanded — unless it is the start — so a carrier NAT does not pull
   * in thousands of unrelated customers. Undefined when the start is not in the graph.
   */
  neighbourhood(start: { kind: GraphNodeKind; id: string }, options: NeighbourhoodOptions = {}): Neighbourhood | undefined {
    const depth_max = intOption(options.depth_max, 2, 1, NEIGHBOURHOOD_DEPTH_MAX, 'depth_max');
    const nodes_max = intOption(options.nodes_max, 200, 1, NEIGHBOURHOOD_NODES_MAX, 'nodes_max');
    const startKey = PREFIX[start.kind] + start.id;
    if (!this.graph.hasNode(startKey)) return undefined;
    const distance = new Map<string, number>([[startKey, 0]]);
    let truncated = false; // a node within depth_max was left out
    let exhausted = false; // the scan budget ran out
    let budget = NEIGHBOURHOOD_SCAN_MAX;
    let frontier = [startKey];
    for (let depth = 1; depth <= depth_max && frontier.length > 0 && !truncated && !exhausted; depth++) {
      const next: string[] = [];
      for (const key of frontier) {
        if (key !== startKey && this.isHub(key)) continue;
        const stop = this.graph.findNeighbor(key, (neighbour) => {
          if (budget-- <= 0) return (exhausted = true);
          if (distance.has(neighbour)) return false;
          if (distance.size >= nodes_max) return (truncated = true);
          distance.set(neighbour, depth);
          next.push(neighbour);
          return false;
        });
        if (stop !== undefined) break;
      }
      frontier = next;
    }
    const nodes = [...distance].map(([key, d]): NeighbourhoodNode => {
      const node: NeighbourhoodNode = {
        key,
        kind: KIND_OF[key.charAt(0)]!,
        id: key.slice(2),
        flagged_fraud: key.charCodeAt(0) === CUSTOMER && this.isFlagged[this.graph.getNodeAttribute(key, 'i')] === 1,
        distance: d,
        degree: this.graph.degree(key),
      };
      if (this.isHub(key)) node.hub = true;
      return node;
    });
    // The graph is bipartite: every edge has one customer end, so scanning the customers' links finds each edge once.
    const edges: NeighbourhoodEdge[] = [];
    for (const [key] of distance) {
      if (key.charCodeAt(0) !== CUSTOMER || exhausted) continue;
      this.graph.findNeighbor(key, (neighbour) => {
        if (budget-- <= 0) return (exhausted = true);
        if (distance.has(neighbour)) edges.push({ source: key, target: neighbour, kind: KIND_OF[neighbour.charAt(0)] as GraphLinkKind });
        return false;
      });
    }
    return { nodes, edges, truncated: truncated || exhausted };
  }

  stats(): GraphStats {
    return {
      nodes: this.graph.order,
      edges: this.graph.size,
      components: this.components,
      flagged: this.flagged.size,
      nodes_refused: this.nodes_refused,
      edges_refused: this.edges_refused,
      full: this.graph.order >= this.nodes_max,
    };
  }

  private indexOf(key: string): number | undefined {
    return this.graph.hasNode(key) ? this.graph.getNodeAttribute(key, 'i') : undefined;
  }

  /** The node's index, adding the node if capacity allows; undefined when it cannot be added. */
  private ensureNode(key: string): number | undefined {
    const found = this.indexOf(key);
    if (found !== undefined) return found;
    if (this.graph.order >= this.nodes_max) {
      this.nodes_refused++;
      return undefined;
    }
    const i = this.graph.order; // nodes are only removed all at once (rebuild), so indices stay dense
    this.reserve(i + 1);
    this.parent[i] = i;
    this.size[i] = 1;
    const flagged = key.charCodeAt(0) === CUSTOMER && this.flagged.has(key.slice(PREFIX.customer.length)) ? 1 : 0;
    this.isFlagged[i] = flagged;
    this.flaggedIn[i] = flagged;
    this.flaggedNear[i] = 0;
    this.stamp[i] = 0;
    this.fd[i] = flagged ? 0 : UNREACHED;
    this.components++;
    this.graph.addNode(key, { i });
    return i;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.parent.length) return;
    const next = Math.min(Math.max(capacity, this.parent.length * 2), this.nodes_max);
    const grow = <T extends Int32Array | Uint8Array | Uint32Array>(old: T, made: T): T => {
      made.set(old);
      return made;
    };
    this.parent = grow(this.parent, new Int32Array(next));
    this.size = grow(this.size, new Int32Array(next));
    this.flaggedIn = grow(this.flaggedIn, new Int32Array(next));
    this.isFlagged = grow(this.isFlagged, new Uint8Array(next));
    this.flaggedNear = grow(this.flaggedNear, new Int32Array(next));
    this.stamp = grow(this.stamp, new Uint32Array(next));
    this.fd = grow(this.fd, new Uint8Array(next));
  }

  private find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      const grand = parent[parent[x]!]!;
      parent[x] = grand;
      x = grand;
    }
    return x;
  }

  private union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
    this.flaggedIn[ra]! += this.flaggedIn[rb]!;
    this.components--;
  }

  /** An IP past the NAT cap, or an account past the hub cap (counting `extra` links not stored yet), joins nothing. */
  private overIpCap(key: string, extra: number): boolean {
    const kind = key.charCodeAt(0);
    if (kind === IP) return this.graph.degree(key) + extra > this.ip_customers_max;
    if (kind === ACCOUNT) return this.graph.degree(key) + extra > this.account_customers_max;
    return false;
  }

  /** An IP or account past its cap, as it stands. */
  private isHub(key: string): boolean {
    return key.charCodeAt(0) !== CUSTOMER && this.overIpCap(key, 0);
  }

  private othersLinked(customer: string, key: string | undefined): number {
    if (key === undefined || !this.graph.hasNode(key)) return 0;
    return this.graph.degree(key) - (this.graph.hasEdge(customer, key) ? 1 : 0);
  }

  /**
   * What observe would do with these links, without doing it: the customer's component size
   * afterwards, the flagged customers in it, and the existing nodes it would newly link to.
   */
  private plan(customer: string, links: string[]): { component_size: number; flagged_in: number; new_links: string[] } {
    const new_links: string[] = [];
    const c = this.indexOf(customer);
    let free_nodes = this.nodes_max - this.graph.order;
    let free_edges = this.edges_max - this.graph.size;
    if (c === undefined && free_nodes-- <= 0) return { component_size: 1, flagged_in: 0, new_links };
    const roots: number[] = [];
    let component_size = c === undefined ? 1 : 0;
    let flagged_in = 0;
    const join = (i: number): void => {
      const r = this.find(i);
      if (roots.includes(r)) return;
      roots.push(r);
      component_size += this.size[r]!;
      flagged_in += this.flaggedIn[r]!;
    };
    if (c !== undefined) join(c);
    for (const key of links) {
      const n = this.indexOf(key);
      if (n === undefined) {
        // A new node: added if there is room, and joined (even a new IP: 1 customer ≤ cap) if its edge fits.
        if (free_nodes-- <= 0 || free_edges-- <= 0) continue;
        component_size += 1;
        continue;
      }
      if (c !== undefined && this.graph.hasEdge(customer, key)) continue;
      if (free_edges-- <= 0) continue;
      new_links.push(key);
      if (!this.overIpCap(key, 1)) join(n);
    }
    return { component_size, flagged_in, new_links };
  }

  /**
   * Breadth-first search from the customer (plus its not-yet-stored links) for a flagged
   * customer. A node adjacent to a flagged customer knows it (`flaggedNear`), so the search
   * stops one level short: it never expands the last, widest level.
   */
  private distanceToFraud(customer: string, new_links: string[]): number | null {
    if (this.max_distance < 2) return null; // distinct customers are at least 2 edges apart
    const epoch = this.nextEpoch();
    const stamp = this.stamp;
    const start = this.indexOf(customer);
    if (start !== undefined) stamp[start] = epoch;
    let discovered = 1; // the start
    let depth = 1; // of the nodes being discovered
    let found: number | null = null;
    let capped = false;
    let frontier: string[] = [];
    let next: string[] = [];
    // Returns true to stop the neighbour scan.
    const discover = (key: string, attributes: NodeAttributes): boolean => {
      const i = attributes.i;
      if (stamp[i] === epoch) return false;
      if (discovered >= this.bfs_nodes_max) return (capped = true);
      stamp[i] = epoch;
      discovered++;
      if (this.isFlagged[i] === 1) {
        found = depth;
        return true;
      }
      if (key.charCodeAt(0) !== CUSTOMER) {
        if (this.overIpCap(key, new_links.includes(key) ? 1 : 0)) return false; // no path through a NAT IP
        if (this.flaggedNear[i]! > 0) {
          found = depth + 1;
          return true;
        }
      }
      next.push(key);
      return false;
    };
    if (start !== undefined) this.graph.findNeighbor(customer, discover);
    for (const key of new_links) if (found === null && !capped) discover(key, this.graph.getNodeAttributes(key));
    for (;;) {
      if (found !== null) return found;
      // Discovering depth d can find distance d + 1 at most: go on while that is within reach.
      if (capped || depth + 2 > this.max_distance || next.length === 0) return null;
      depth++;
      [frontier, next] = [next, frontier];
      next.length = 0;
      for (const key of frontier) if (this.graph.findNeighbor(key, discover) !== undefined) break;
    }
  }

  /**
   * The distance from the labels, counting the event's new links; undefined when a new link
   * would push a node past its cap (paths change shape: the caller searches instead).
   */
  private labelDistance(customer: string, new_links: string[]): number | null | undefined {
    if (this.max_distance < 2) return null;
    for (const key of new_links) if (this.overIpCap(key, 1) && !this.overIpCap(key, 0)) return undefined;
    if (this.labelsDirty) this.recomputeLabels();
    const c = this.indexOf(customer);
    let best = c === undefined ? UNREACHED : this.fd[c]!;
    for (const key of new_links) {
      if (this.overIpCap(key, 1)) continue;
      best = Math.min(best, this.fd[this.graph.getNodeAttribute(key, 'i')]! + 1);
    }
    return best <= this.max_distance ? best : null;
  }

  /** Lowers `to`'s label through `from` if that is shorter, and spreads the decrease. */
  private relax(from: number, to: number, toKey: string): void {
    const through = this.fd[from]! + 1;
    if (through > this.max_distance || through >= this.fd[to]!) return;
    if (toKey.charCodeAt(0) !== CUSTOMER && this.overIpCap(toKey, 0)) return;
    this.fd[to] = through;
    this.propagate(toKey);
  }

  /** Breadth-first spread of a decreased label from `key`, never through a node past its cap. */
  private propagate(key: string): void {
    if (key.charCodeAt(0) !== CUSTOMER && this.overIpCap(key, 0)) return;
    const queue: string[] = [key];
    for (let head = 0; head < queue.length; head++) {
      const u = queue[head]!;
      const d = this.fd[this.graph.getNodeAttribute(u, 'i')]!;
      if (d + 1 > this.max_distance) continue;
      this.graph.forEachNeighbor(u, (v, attributes) => {
        const j = attributes.i;
        if (this.fd[j]! <= d + 1) return;
        if (v.charCodeAt(0) !== CUSTOMER && this.overIpCap(v, 0)) return;
        this.fd[j] = d + 1;
        queue.push(v);
      });
    }
  }

  /** Every label from scratch: a breadth-first search from all flagged customers at once. */
  private recomputeLabels(): void {
    this.fd.fill(UNREACHED);
    const queue: string[] = [];
    this.graph.forEachNode((key, attributes) => {
      if (this.isFlagged[attributes.i] === 1) {
        this.fd[attributes.i] = 0;
        queue.push(key);
      }
    });
    for (const key of queue) this.propagate(key);
    this.labelsDirty = false;
  }

  private nextEpoch(): number {
    if (this.epoch === 0xffff_ffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }
}

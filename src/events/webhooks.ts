/**
 * Webhook delivery rules, without I/O: the retry schedule, when to give up, what an attempt's
 * outcome does to a delivery, and which network addresses a webhook may never reach.
 */
import { BlockList, isIP } from 'node:net';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export interface RetryPolicy {
  /** Delay after the first failed attempt; doubles with each further failure. */
  first_delay_ms: number;
  /** No single wait is longer than this. */
  step_max_ms: number;
  /** A delivery still failing this long after it was queued is given up (`failed`). */
  give_up_after_ms: number;
  /** Each delay is drawn from [1 - jitter, 1 + jitter] × the nominal delay (then capped). */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  first_delay_ms: 30_000,
  step_max_ms: 3_600_000,
  give_up_after_ms: 72 * 3_600_000,
  jitter: 0.1,
};

/** The wait after the `failures`-th failed attempt (1-based). `random` returns [0, 1). */
export function retryDelayMs(failures: number, random: () => number, policy: RetryPolicy = DEFAULT_RETRY): number {
  if (!Number.isInteger(failures) || failures < 1) throw new Error(`failures must be a positive integer, got ${failures}`);
  const nominal = Math.min(policy.first_delay_ms * 2 ** Math.min(failures - 1, 40), policy.step_max_ms);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(Math.min(nominal * factor, policy.step_max_ms));
}

export type AfterFailure = { status: 'pending'; next_attempt_at: Date } | { status: 'failed' };

/**
 * What a failed attempt leads to: another try after the backoff, never later than the
 * give-up time (so the last try happens at it), or `failed` once that time has come.
 */
export function afterFailure(failures: number, give_up_at: Date, now: Date, random: () => number, policy: RetryPolicy = DEFAULT_RETRY): AfterFailure {
  if (now.getTime() >= give_up_at.getTime()) return { status: 'failed' };
  const next = Math.min(now.getTime() + retryDelayMs(failures, random, policy), give_up_at.getTime());
  return { status: 'pending', next_attempt_at: new Date(next) };
}

export const isSuccess = (status_code: number | null): boolean => status_code !== null && status_code >= 200 && status_code < 300;

// ---------------------------------------------------------------- where webhooks may go

/**
 * Addresses a webhook must not reach unless the operator allows private networks: the
 * server's own loopback, private and carrier-grade NAT ranges, link-local (cloud metadata
 * services live at 169.254.169.254), multicast, reserved and documentation ranges. A partner
 * who registers such a URL (or a name that resolves to one) could otherwise make the bank's
 * servers call its internal services (server-side request forgery).
 */
const BLOCKED_V4 = new BlockList();
const BLOCKED_V6 = new BlockList(); // kept apart: a v6 rule like ::ffff:0:0/96 would also match every IPv4 check
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) BLOCKED_V6.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d or ::ffff:xxxx:xxxx). */
function mappedV4(address: string): string | undefined {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True for an address a webhook may not reach (IPv4-mapped IPv6 is judged as its IPv4). */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED_V4.check(address, 'ipv4');
  if (family === 6) {
    const v4 = mappedV4(address);
    return v4 !== undefined ? BLOCKED_V4.check(v4, 'ipv4') : BLOCKED_V6.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** A webhook URL's shape: http(s), no credentials in it, a host. Where it resolves is checked when sending. */
export function checkWebhookUrl(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'only http and https URLs' };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  if (!url.hostname) return { ok: false, reason: 'no host' };
  return { ok: true, url };
}

// ---------------------------------------------------------------- which events go to which app

/**
 * Ledger topics sent to a partner when the transfer is one of its open-banking payments.
 * `ledger.transfer.created` is not among them: the payment's own event
 * (`openbanking.payment.completed`, written in the same transaction) already tells the
 * partner, with the payment's fields. An expiring pending transfer has no such event.
 */
export const LEDGER_TOPICS_FOR_PARTNERS = new Set(['ledger.pending.expired']);

export interface RoutableEvent {
  event_id: string;
  topic: string;
  entity_id: string;
  client_id: string | null;
}

/** (event, client) pairs: an event carries its client, or is a ledger event on that client's payment. */
export function routeToPartners<E extends RoutableEvent>(events: readonly E[], payment_clients: ReadonlyMap<string, string>): { event: E; client_id: string }[] {
  const out: { event: E; client_id: string }[] = [];
  for (const event of events) {
    if (event.client_id) out.push({ event, client_id: event.client_id });
    else if (LEDGER_TOPICS_FOR_PARTNERS.has(event.topic)) {
      const client_id = payment_clients.get(event.entity_id);
      if (client_id) out.push({ event, client_id });
    }
  }
  return out;
}

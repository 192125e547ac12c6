import { describe, expect, it } from 'vitest';
import { afterFailure, checkWebhookUrl, DEFAULT_RETRY, isBlockedAddress, retryDelayMs, routeToPartners } from './webhooks.js';

const mid = () => 0.5; // no jitter

describe('retry schedule', () => {
  it('doubles from 30 s and caps each step at 1 h', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((n) => retryDelayMs(n, mid) / 1000)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('jitters within ±10 % and never beyond the cap', () => {
    expect(retryDelayMs(1, () => 0)).toBe(27_000);
    expect(retryDelayMs(1, () => 0.999999)).toBeCloseTo(33_000, -1);
    expect(retryDelayMs(20, () => 0.999999)).toBe(3_600_000);
    expect(retryDelayMs(20, () => 0)).toBe(3_240_000);
  });

  it('retries until the give-up time, the last try at it, then fails', () => {
    const queued = new Date(Date.UTC(2026, 0, 1));
    const give_up_at = new Date(queued.getTime() + DEFAULT_RETRY.give_up_after_ms);
    let now = queued;
    let failures = 0;
    const times: Date[] = [];
    for (;;) {
      failures++;
      const next = afterFailure(failures, give_up_at, now, mid);
      if (next.status === 'failed') break;
      expect(next.next_attempt_at.getTime()).toBeGreaterThan(now.getTime());
      now = next.next_attempt_at;
      times.push(now);
    }
    expect(times[times.length - 1]).toEqual(give_up_at);
    // The first try; 7 growing waits (30 s … 32 min) reach 1:03:30; 70 hourly ones; a last, shorter one lands on 72 h.
    expect(failures).toBe(1 + 7 + 70 + 1);
  });
});

describe('addresses a webhook may not reach', () => {
  it('blocks loopback, private, link-local, CGNAT, multicast, unspecified and mapped forms', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:a9fe:a9fe', 'not-an-ip']) {
      expect(isBlockedAddress(a), a).toBe(true);
    }
  });
  it('lets public addresses through', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isBlockedAddress(a), a).toBe(false);
  });
  it('checks the URL shape', () => {
    expect(checkWebhookUrl('https://partner.example/hooks').ok).toBe(true);
    expect(checkWebhookUrl('ftp://partner.example/').ok).toBe(false);
    expect(checkWebhookUrl('https://user:pw@partner.example/').ok).toBe(false);
    expect(checkWebhookUrl('not a url').ok).toBe(false);
  });
});

describe('routing events to partner apps', () => {
  const ev = (topic: string, entity_id: string, client_id: string | null = null) => ({ event_id: `${topic}:${entity_id}`, topic, entity_id, client_id });
  it('sends client events to their client, expiries of payment transfers to the paying app, and nothing else', () => {
    const events = [
      ev('openbanking.payment.completed', 'p1', 'shop'),
      ev('ledger.transfer.created', 't1'), // covered by openbanking.payment.completed
      ev('ledger.pending.expired', 't1'),
      ev('ledger.pending.expired', 't2'), // not a payment
      ev('openbanking.consent.revoked', 'c1', 'travel'),
    ];
    const routed = routeToPartners(events, new Map([['t1', 'shop']]));
    expect(routed.map((r) => [r.event.event_id, r.client_id])).toEqual([
      ['openbanking.payment.completed:p1', 'shop'],
      ['ledger.pending.expired:t1', 'shop'],
      ['openbanking.consent.revoked:c1', 'travel'],
    ]);
  });
});

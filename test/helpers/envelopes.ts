/**
 * Red-envelope vocabulary for tests: create bodies, funded senders, recipients with
 * accounts, grabs, reads that walk every page, and the exact-money checks every envelope
 * test ends with (claimed + remaining + refunded = total, holding balance = remaining).
 */
import { expect } from 'vitest';
import { Client, mapPool, uuid7, type Res } from './http.js';
import { LIMITED, account, balances, createAccounts, mustTransfer, transfer } from './ledger.js';

export const ENVELOPE_CODES = { holding_account: 9100, fund: 9101, grab: 9102, refund: 9103 } as const;

export interface EnvelopeBody {
  id: string;
  sender_customer_id: string;
  funding_account_id: string;
  total_amount: string;
  share_count: number;
  mode: 'random' | 'equal';
  greeting?: string;
  expires_in_seconds?: number;
  audience?: { kind: 'link' } | { kind: 'customers'; customer_ids: string[] } | { kind: 'group'; group_id: string };
}

let customerSeq = 0;
/** A customer id unique within this test process (valid for the customer-id pattern). */
export const customerId = (prefix = 'c'): string => `${prefix}-${process.pid}-${++customerSeq}-${uuid7().slice(-6)}`;

export const envelopeBody = (funding_account_id: string, over: Partial<EnvelopeBody> = {}): EnvelopeBody => ({
  id: uuid7(),
  sender_customer_id: 'sender-1',
  funding_account_id,
  total_amount: '1000',
  share_count: 10,
  mode: 'random',
  ...over,
});

/** A customer's funding account (limited: it cannot go below zero) holding `amount`, paid from a bank account. */
export async function fundedAccount(api: Client, amount: bigint | number, currency = 'CNY'): Promise<{ bank: string; account: string }> {
  const [bank, acct] = await createAccounts(api, [account({ code: 1001, currency }), account({ currency, flags: LIMITED })]);
  if (BigInt(amount) > 0n) await mustTransfer(api, transfer(bank, acct, amount));
  return { bank, account: acct };
}

export interface Recipient {
  customer_id: string;
  account_id: string;
}

/** `n` customers, each with a new account in `currency` (created in batches of up to 5,000). */
export async function recipients(api: Client, n: number, currency = 'CNY', prefix = 'r'): Promise<Recipient[]> {
  const out: Recipient[] = Array.from({ length: n }, () => ({ customer_id: customerId(prefix), account_id: uuid7() }));
  for (let i = 0; i < n; i += 5000) {
    await createAccounts(api, out.slice(i, i + 5000).map((r) => account({ id: r.account_id, currency })));
  }
  return out;
}

/** Creates an envelope and fails the test unless it is new (201). Returns the envelope view. */
export async function mustCreateEnvelope(api: Client, body: EnvelopeBody): Promise<any> {
  const res = await api.post('/v1/envelopes', body);
  expect(res.status, res.text.slice(0, 400)).toBe(201);
  return res.body;
}

export function grab(api: Client, envelope: { id: string; link_token?: string }, who: Recipient, over: Record<string, unknown> = {}): Promise<Res> {
  return api.post(`/v1/envelopes/${envelope.id}/grabs`, { customer_id: who.customer_id, account_id: who.account_id, link_token: envelope.link_token, ...over });
}

/** Grabs and fails the test unless the grab is new (201). Returns the grab view. */
export async function mustGrab(api: Client, envelope: { id: string; link_token?: string }, who: Recipient): Promise<any> {
  const res = await grab(api, envelope, who);
  expect(res.status, res.text.slice(0, 400)).toBe(201);
  return res.body;
}

export async function getEnvelope(api: Client, id: string): Promise<any> {
  const res = await api.get(`/v1/envelopes/${id}`);
  expect(res.status, res.text.slice(0, 400)).toBe(200);
  return res.body;
}

/** Walks every page of an envelope's grabs. */
export async function allGrabs(api: Client, id: string, limit = 500): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const qs = new URLSearchParams({ limit: String(limit) });
    if (cursor) qs.set('cursor', cursor);
    const res = await api.get(`/v1/envelopes/${id}/grabs?${qs}`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** Walks every page of GET /v1/envelopes?<query>. */
export async function allListed(api: Client, query: Record<string, string>, limit = 500): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const qs = new URLSearchParams({ ...query, limit: String(limit) });
    if (cursor) qs.set('cursor', cursor);
    const res = await api.get(`/v1/envelopes?${qs}`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** credits_posted - debits_posted of an account (what a holding or recipient account holds). */
export async function postedBalance(api: Client, accountId: string): Promise<bigint> {
  const b = await balances(api, accountId);
  return b.credits_posted - b.debits_posted;
}

/**
 * The money checks every envelope must pass at any moment: claimed + remaining + refunded
 * = total, claimed_amount = the sum of the listed grabs, claimed_count = their number,
 * and the holding account's posted balance = remaining_amount. Returns the view and grabs.
 */
export async function expectEnvelopeExact(api: Client, id: string): Promise<{ view: any; grabs: any[] }> {
  const view = await getEnvelope(api, id);
  const grabs = await allGrabs(api, id);
  const claimed = grabs.reduce((s, g) => s + BigInt(g.amount), 0n);
  const summary = JSON.stringify(view);
  expect(BigInt(view.claimed_amount), summary).toBe(claimed);
  expect(view.claimed_count, summary).toBe(grabs.length);
  expect(BigInt(view.claimed_amount) + BigInt(view.remaining_amount) + BigInt(view.refunded_amount), summary).toBe(BigInt(view.total_amount));
  expect(grabs.map((g) => g.position), summary).toEqual(grabs.map((_, i) => i + 1));
  for (const g of grabs) expect(BigInt(g.amount), JSON.stringify(g)).toBeGreaterThanOrEqual(1n);
  expect(await postedBalance(api, view.holding_account_id), summary).toBe(BigInt(view.remaining_amount));
  return { view, grabs };
}

/** Counts responses by status (and problem code), e.g. { '201': 1000, '409 envelope_empty': 4000 }. */
export function tally(results: readonly Res[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status >= 400 ? `${r.status} ${r.body?.code ?? r.text.slice(0, 80)}` : String(r.status);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Checks every winner's account balance equals what they were told they got (in parallel, bounded). */
export async function expectBalancesEqualGrabs(api: Client, paid: ReadonlyMap<string, bigint>, concurrency = 32): Promise<void> {
  const entries = [...paid.entries()];
  const seen = await mapPool(entries, concurrency, async ([accountId]) => postedBalance(api, accountId));
  const wrong = entries.flatMap(([accountId, amount], i) => (seen[i] === amount ? [] : [`${accountId}: told ${amount}, holds ${seen[i]}`]));
  expect(wrong.slice(0, 10)).toEqual([]);
}

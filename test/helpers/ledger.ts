/** Small ledger vocabulary for tests: account and transfer bodies, balance reads. */
import { expect } from 'vitest';
import { Client, uuid7 } from './http.js';

export interface AccountBody {
  id: string;
  currency: string;
  code: number;
  flags?: Record<string, boolean>;
  metadata?: Record<string, unknown> | null;
}

export interface TransferBody {
  id: string;
  debit_account_id?: string;
  credit_account_id?: string;
  amount?: string;
  pending_id?: string;
  code?: number;
  flags?: Record<string, boolean>;
  timeout_seconds?: number;
  metadata?: Record<string, unknown> | null;
}

export const account = (over: Partial<AccountBody> = {}): AccountBody => ({ id: uuid7(), currency: 'USD', code: 2001, ...over });

export const LIMITED = { debits_must_not_exceed_credits: true };

/** Creates accounts in one batch call and fails the test unless every one is new. */
export async function createAccounts<const B extends readonly AccountBody[]>(api: Client, bodies: B): Promise<{ [K in keyof B]: string }> {
  const res = await api.post('/v1/accounts', bodies);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  for (const r of res.body.results) expect(r, JSON.stringify(r)).toMatchObject({ ok: true, replayed: false });
  return bodies.map((b) => b.id) as { [K in keyof B]: string };
}

export async function createAccount(api: Client, over: Partial<AccountBody> = {}): Promise<string> {
  const body = account(over);
  const res = await api.post('/v1/accounts', body);
  expect(res.status, res.text.slice(0, 300)).toBe(201);
  return body.id;
}

export const transfer = (debit: string, credit: string, amount: bigint | number | string, over: Partial<TransferBody> = {}): TransferBody => ({
  id: uuid7(),
  debit_account_id: debit,
  credit_account_id: credit,
  amount: String(amount),
  code: 1,
  ...over,
});

/** Sends one transfer and fails the test unless it is created (201). Returns the transfer view. */
export async function mustTransfer(api: Client, body: TransferBody): Promise<any> {
  const res = await api.post('/v1/transfers', body);
  expect(res.status, res.text.slice(0, 300)).toBe(201);
  return res.body;
}

export interface BalanceView {
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
  status: string;
}

export async function balances(api: Client, id: string): Promise<BalanceView> {
  const res = await api.get(`/v1/accounts/${id}`);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return {
    debits_pending: BigInt(res.body.debits_pending),
    debits_posted: BigInt(res.body.debits_posted),
    credits_pending: BigInt(res.body.credits_pending),
    credits_posted: BigInt(res.body.credits_posted),
    status: res.body.status,
  };
}

export const bal = (debits_posted: bigint | number, credits_posted: bigint | number, debits_pending: bigint | number = 0n, credits_pending: bigint | number = 0n) => ({
  debits_posted: BigInt(debits_posted),
  credits_posted: BigInt(credits_posted),
  debits_pending: BigInt(debits_pending),
  credits_pending: BigInt(credits_pending),
});

/** Fails the test unless GET /v1/ledger/invariants reports ok. Needs an admin client. */
export async function expectInvariantsOk(admin: Client): Promise<any> {
  const res = await admin.get('/v1/ledger/invariants');
  expect(res.status, res.text.slice(0, 500)).toBe(200);
  expect(res.body, JSON.stringify(res.body)).toMatchObject({ ok: true, accounts_over_limit: [], accounts_not_matching_transfers: [] });
  return res.body;
}

/** Walks every page of an account's transfers. */
export async function allTransfersOf(api: Client, accountId: string, query = '', limit = 500): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const qs = new URLSearchParams(query);
    qs.set('limit', String(limit));
    if (cursor) qs.set('cursor', cursor);
    const res = await api.get(`/v1/accounts/${accountId}/transfers?${qs}`);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

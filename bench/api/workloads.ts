/**
 * The workloads, each through two paths that end in the same ledger call:
 *  - read: GET /open-banking/v1/accounts/{id}/balances with the customer's access token
 *    (token, consent, rate limit, ledger read) vs GET /v1/accounts/{id} with an API key;
 *  - pay: POST /open-banking/v1/payments with the customer's payment token and a fresh
 *    Idempotency-Key (token, consent and its limit, rate limit, idempotency record, the
 *    payment's ledger transfer, which records it) vs POST /v1/transfers with an API key and
 *    its own fresh Idempotency-Key (the same transfer: same accounts and metadata shape,
 *    code 7000) — one customer under one payment consent;
 *  - pay-many: the same, spread over many customers, each paying under their own consent
 *    (request i is customer i mod N's), as a partner's traffic from many shoppers is.
 * Request i is built just before it is sent, with its own ids, and remembered so the money
 * can be checked afterwards.
 */
import { randomUUID } from 'node:crypto';
import { uuidv7 } from '../../src/db/uuid.js';
import { paymentTransferId } from '../../src/openbanking/payments.js';

export const WORKLOAD_KEYS = ['read', 'pay', 'pay-many'] as const;
export type WorkloadKey = (typeof WORKLOAD_KEYS)[number];
export type PathKind = 'ob' | 'plain';

export const WORKLOAD_NAMES: Record<WorkloadKey, string> = {
  read: 'authenticated read (balances)',
  pay: 'payment initiation, one consent',
  'pay-many': 'payment initiation, many consents',
};

export const PATH_NAMES: Record<PathKind, string> = { ob: 'open banking', plain: 'plain API key' };

/** A customer who pays: their account, their payment consent and its current access token. */
export interface Payer {
  customer_id: string;
  account: string;
  consent_id: string;
  token: () => string;
}

/** What the set-up made, and the tokens the paths send (access tokens change at every refresh). */
export interface Fixture {
  currency: string;
  merchant_account: string;
  /** The API key with ledger:read and ledger:write only. */
  plain_key: string;
  /** The customer whose balance is read, with the token under their account-access consent. */
  reader: { account: string; token: () => string };
  /** The payer of "pay" (one), and the payers of "pay-many". */
  one: readonly Payer[];
  many: readonly Payer[];
}

export interface BuiltRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request of a path that moves money: which ledger transfer it makes, and how much. */
export interface MoneyRequest {
  transfer_id: string;
  amount_minor: bigint;
}

export interface WorkloadPath {
  workload: WorkloadKey;
  kind: PathKind;
  /** The route, as the table names it. */
  route: string;
  /** The answer a request should get. */
  ok_status: number;
  /** The Authorization bearer every request carries unless it names its own. */
  token(): string;
  /** Request i; `money` records what it would move (payment paths only). */
  build(i: number, money: MoneyRequest[] | undefined): BuiltRequest;
  /** Payment paths: whose money moves (the money check sums their accounts and consents). */
  payers?: readonly Payer[];
}

/**
 * The plain path's transfer code: the payments' own code (7001) is reserved to the open-banking
 * layer (the ledger's API refuses it). The ledger writes a transfer alike whatever its code;
 * only a payment's transfer also enters the index that lists a consent's payments, a cost of
 * the layer.
 */
export const PLAIN_TRANSFER_CODE = 7000;

/** Small amounts, varied so a miscount cannot hide behind a constant (1–9 minor units; no sandbox magic amount). */
export const amountOf = (i: number): bigint => BigInt(1 + (i % 9));

function paymentPaths(workload: WorkloadKey, f: Fixture, payers: readonly Payer[]): Record<PathKind, WorkloadPath> {
  const payerOf = (i: number) => payers[i % payers.length]!;
  return {
    ob: {
      workload,
      kind: 'ob',
      route: 'POST /open-banking/v1/payments',
      ok_status: 201,
      token: () => payers[0]!.token(),
      payers,
      build: (i, money) => {
        const payer = payerOf(i);
        const id = uuidv7();
        const amount = amountOf(i);
        money?.push({ transfer_id: paymentTransferId(id), amount_minor: amount });
        return {
          method: 'POST',
          path: '/open-banking/v1/payments',
          headers: { authorization: `Bearer ${payer.token()}`, 'idempotency-key': randomUUID() },
          body: JSON.stringify({ id, creditor_account_id: f.merchant_account, amount_minor: amount.toString(), currency: f.currency, reference: `bench ${i}` }),
        };
      },
    },
    plain: {
      workload,
      kind: 'plain',
      route: 'POST /v1/transfers',
      ok_status: 201,
      token: () => f.plain_key,
      payers,
      build: (i, money) => {
        const payer = payerOf(i);
        const id = uuidv7();
        const amount = amountOf(i);
        money?.push({ transfer_id: id, amount_minor: amount });
        return {
          method: 'POST',
          path: '/v1/transfers',
          // The same Idempotency-Key as the open-banking path sends: a general API feature, so
          // the difference left is the layer's (token, consent and its limit, payment record).
          headers: { 'idempotency-key': randomUUID() },
          body: JSON.stringify({
            id,
            debit_account_id: payer.account,
            credit_account_id: f.merchant_account,
            amount: amount.toString(),
            code: PLAIN_TRANSFER_CODE,
            metadata: { customer_id: payer.customer_id, channel: 'api', currency: f.currency, reference: `bench ${i}` },
          }),
        };
      },
    },
  };
}

export function pathsFor(workload: WorkloadKey, f: Fixture): Record<PathKind, WorkloadPath> {
  if (workload === 'pay') return paymentPaths(workload, f, f.one);
  if (workload === 'pay-many') return paymentPaths(workload, f, f.many);
  const ob = `/open-banking/v1/accounts/${f.reader.account}/balances`;
  const plain = `/v1/accounts/${f.reader.account}`;
  return {
    ob: { workload, kind: 'ob', route: 'GET /open-banking/v1/accounts/{id}/balances', ok_status: 200, token: f.reader.token, build: () => ({ method: 'GET', path: ob }) },
    plain: { workload, kind: 'plain', route: 'GET /v1/accounts/{id}', ok_status: 200, token: () => f.plain_key, build: () => ({ method: 'GET', path: plain }) },
  };
}

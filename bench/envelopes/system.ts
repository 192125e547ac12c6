/**
 * What the benchmark needs from a red-envelope server under test — Capillary itself or
 * the naive baseline — so that both are set up, driven and checked the same way.
 */
import type { WriterCounters } from '../lib/metrics.js';

export type SystemKind = 'capillary' | 'naive';

export const CURRENCY = 'CNY';
export const RECIPIENT_ACCOUNT_CODE = 2001;
export const BANK_ACCOUNT_CODE = 1001;
export const SENDER_ACCOUNT_CODE = 2002;
export const FUNDING_TRANSFER_CODE = 1;
export const SENDER_CUSTOMER_ID = 'bench-sender';

export interface EnvelopeSpec {
  id: string;
  total_amount: bigint;
  share_count: number;
}

export interface CreatedEnvelope extends EnvelopeSpec {
  holding_account_id: string;
  link_token: string;
}

/** An envelope as stored, after a run. */
export interface EnvelopeState {
  status: string;
  total_amount: bigint;
  claimed_count: number;
  claimed_amount: bigint;
  remaining_amount: bigint;
  remaining_shares: number;
  refunded_amount: bigint;
  /** The holding account's posted credits minus posted debits, read from the ledger. */
  holding_balance: bigint;
}

export interface GrabSystem {
  readonly kind: SystemKind;
  /** Base URL of the server process. */
  readonly url: string;
  /** What the load generator sends (Capillary: an API key with envelopes:write only). */
  readonly grab_token: string;
  /** The server process, for its CPU time. */
  readonly pid: number | undefined;
  /** A bank (no limits), a sender funded from it with `funding_minor`, and one account per recipient. */
  setup(recipients: readonly string[], funding_minor: bigint): Promise<void>;
  createEnvelopes(specs: readonly EnvelopeSpec[]): Promise<CreatedEnvelope[]>;
  state(envelope: CreatedEnvelope): Promise<EnvelopeState>;
  /** The whole ledger's invariants (Capillary: GET /v1/ledger/invariants). */
  invariants(): Promise<{ ok: boolean; detail: string }>;
  /** The writer's batch counters (Capillary only). */
  writerCounters?(): Promise<WriterCounters>;
  stop(): Promise<void>;
}

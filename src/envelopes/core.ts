/**
 * Red envelopes, the pure part: input rules, the share split, and the state transitions of
 * grabbing and refunding. No I/O, no clock and no randomness of its own: `now` and the
 * random source are arguments, so tests can replay any sequence exactly.
 *
 * Money model (docs/envelopes.md): each envelope has its own ledger holding account.
 * Creating an envelope posts `total` from the sender to it at once; every grab posts one
 * share from it to the recipient; at expiry the remainder is posted back to the sender.
 * So claimed + remaining + refunded = total at every moment, and the holding account's
 * balance equals `remaining`.
 */
import { createHash } from 'node:crypto';
import { derivedUuid } from '../db/uuid.js';
import { MAX_AMOUNT } from '../ledger/types.js';

export const SHARES_MAX = 10_000;
export const GREETING_CHARS_MAX = 100;
export const AUDIENCE_CUSTOMERS_MAX = 10_000;
export const EXPIRY_SECONDS_MIN = 60;
export const EXPIRY_SECONDS_MAX = 7 * 24 * 3600;
export const EXPIRY_SECONDS_DEFAULT = 24 * 3600;
/** How long the refund sweep leaves an envelope alone after the sender's account refused its refund. */
export const REFUND_RETRY_MS = 60_000;
export const CUSTOMER_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$';
const CUSTOMER_ID = new RegExp(CUSTOMER_ID_PATTERN);

/** Chart-of-accounts codes the envelope domain uses in the ledger. */
export const LedgerCodes = {
  holding_account: 9100,
  fund_transfer: 9101,
  grab_transfer: 9102,
  refund_transfer: 9103,
} as const;

export type EnvelopeMode = 'random' | 'equal';
export type EnvelopeStatus = 'open' | 'empty' | 'expired';

export type Audience = { kind: 'link' } | { kind: 'customers'; customer_ids: readonly string[] } | { kind: 'group'; group_id: string };

export interface EnvelopeInput {
  id: string;
  sender_customer_id: string;
  funding_account_id: string;
  total_amount: bigint;
  share_count: number;
  mode: EnvelopeMode;
  greeting: string;
  expires_in_seconds: number;
  audience: Audience;
}

export interface Envelope {
  id: string;
  sender_customer_id: string;
  funding_account_id: string;
  holding_account_id: string;
  currency: string;
  total_amount: bigint;
  share_count: number;
  mode: EnvelopeMode;
  greeting: string;
  audience_kind: Audience['kind'];
  audience_group_id: string | null;
  link_token: string;
  remaining_amount: bigint;
  remaining_shares: number;
  claimed_amount: bigint;
  claimed_count: number;
  status: EnvelopeStatus;
  refunded_amount: bigint;
  refund_error: string | null;
  /** After a refused refund, the sweep tries this envelope again from then on. */
  refund_retry_at: Date | null;
  /** The largest share (earliest on a tie), once the envelope is finished. */
  luckiest_position: number | null;
  fingerprint: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** The part of an envelope a grab batch reads and changes (the row the writer locks). */
export type ShareState = Pick<
  Envelope,
  'status' | 'expires_at' | 'remaining_amount' | 'remaining_shares' | 'claimed_amount' | 'claimed_count' | 'mode'
>;

export interface Grab {
  envelope_id: string;
  customer_id: string;
  account_id: string;
  amount: bigint;
  transfer_id: string;
  position: number;
  grabbed_at: Date;
}

export const ENVELOPE_ERROR_CODES = [
  'envelope_not_found',
  'envelope_empty',
  'envelope_expired',
  'already_grabbed',
  'not_in_audience',
  'envelope_shares_out_of_range',
  'envelope_amount_too_small',
  'envelope_amount_not_divisible',
  'envelope_expiry_out_of_range',
  'envelope_audience_too_large',
  'customer_group_not_found',
] as const;
export type EnvelopeErrorCode = (typeof ENVELOPE_ERROR_CODES)[number];

export type Check = { ok: true } | { ok: false; code: string; field: string; detail: string };

/** Rules the schema cannot say. The schema has already checked shapes and patterns. */
export function checkEnvelopeInput(input: EnvelopeInput): Check {
  const fail = (code: string, field: string, detail: string): Check => ({ ok: false, code, field, detail });
  if (!Number.isInteger(input.share_count) || input.share_count < 1 || input.share_count > SHARES_MAX) {
    return fail('envelope_shares_out_of_range', 'share_count', `share_count must be 1..${SHARES_MAX}`);
  }
  if (input.total_amount <= 0n || input.total_amount > MAX_AMOUNT) return fail('amount_must_be_positive', 'total_amount', 'total_amount must be a positive integer of minor units');
  if (input.total_amount < BigInt(input.share_count)) {
    return fail('envelope_amount_too_small', 'total_amount', `every share needs at least 1 minor unit: total_amount must be at least ${input.share_count}`);
  }
  if (input.mode === 'equal' && input.total_amount % BigInt(input.share_count) !== 0n) {
    const below = (input.total_amount / BigInt(input.share_count)) * BigInt(input.share_count);
    return fail('envelope_amount_not_divisible', 'total_amount', `equal mode needs total_amount divisible by share_count (e.g. ${below} or ${below + BigInt(input.share_count)})`);
  }
  if (!Number.isInteger(input.expires_in_seconds) || input.expires_in_seconds < EXPIRY_SECONDS_MIN || input.expires_in_seconds > EXPIRY_SECONDS_MAX) {
    return fail('envelope_expiry_out_of_range', 'expires_in_seconds', `expires_in_seconds must be ${EXPIRY_SECONDS_MIN}..${EXPIRY_SECONDS_MAX}`);
  }
  if ([...input.greeting].length > GREETING_CHARS_MAX) return fail('invalid_request', 'greeting', `greeting is at most ${GREETING_CHARS_MAX} characters`);
  if (!CUSTOMER_ID.test(input.sender_customer_id)) return fail('invalid_request', 'sender_customer_id', 'not a valid customer id');
  if (input.audience.kind === 'customers') {
    const ids = input.audience.customer_ids;
    if (ids.length === 0) return fail('invalid_request', 'audience.customer_ids', 'name at least one customer');
    if (ids.length > AUDIENCE_CUSTOMERS_MAX) return fail('envelope_audience_too_large', 'audience.customer_ids', `at most ${AUDIENCE_CUSTOMERS_MAX} customers`);
    const bad = ids.findIndex((id) => !CUSTOMER_ID.test(id));
    if (bad >= 0) return fail('invalid_request', `audience.customer_ids/${bad}`, 'not a valid customer id');
  }
  return { ok: true };
}

/** A stable digest of what the client sent: the same id with other fields is a conflict. */
export function envelopeFingerprint(input: EnvelopeInput): string {
  const audience =
    input.audience.kind === 'customers'
      ? `customers:${[...new Set(input.audience.customer_ids)].sort().join(',')}`
      : input.audience.kind === 'group'
        ? `group:${input.audience.group_id}`
        : 'link';
  const fields = [
    input.sender_customer_id,
    input.funding_account_id,
    input.total_amount.toString(),
    String(input.share_count),
    input.mode,
    input.greeting,
    String(input.expires_in_seconds),
    audience,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/** Ids the envelope domain derives from the envelope id, so retries and other processes agree. */
export function derivedId(envelopeId: string, purpose: 'holding_account' | 'fund' | 'refund'): string {
  return derivedUuid(`capillary:envelope:${purpose}:${envelopeId.toLowerCase()}`);
}

/** Uniform integer in [0, bound). */
export type RandomSource = (bound: bigint) => bigint;

/**
 * The next share of an envelope with `remaining` minor units over `shares` shares.
 * Equal mode: remaining / shares (exact: equal envelopes are divisible at creation and
 * stay so). Random mode: the "double mean" draw, uniform in [1, 2 × remaining / shares],
 * capped so every later share can still get 1 minor unit; the last share takes the rest.
 */
export function drawShare(remaining: bigint, shares: number, mode: EnvelopeMode, random: RandomSource): bigint {
  if (shares < 1 || remaining < BigInt(shares)) throw new RangeError(`cannot split ${remaining} into ${shares} shares of at least 1`);
  if (shares === 1) return remaining;
  const n = BigInt(shares);
  if (mode === 'equal') return remaining / n;
  const upper = minBig((2n * remaining) / n, remaining - (n - 1n));
  return 1n + random(upper);
}

/** The double-mean bound for a draw (before the cap that keeps later shares fundable). */
export function doubleMeanBound(remaining: bigint, shares: number): bigint {
  return shares === 1 ? remaining : (2n * remaining) / BigInt(shares);
}

const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export interface GrabRequest {
  customer_id: string;
  account_id: string;
}

/** What a grab batch decides for each request before the ledger applies the transfers. */
export type GrabDecision =
  | { kind: 'draw'; amount: bigint }
  /** The customer grabbed before (in an earlier batch, or earlier in this one). */
  | { kind: 'replay'; of: Grab | number }
  | { kind: 'reject'; code: 'envelope_empty' | 'envelope_expired' | 'already_grabbed' };

/**
 * Decides a batch of grabs on one envelope, in arrival order. `earlier` holds the grabs
 * already committed for the customers in this batch. A customer appearing twice in the
 * batch is answered from their first request (`replay` points at its index).
 */
export function planGrabs(
  state: ShareState,
  requests: readonly GrabRequest[],
  earlier: ReadonlyMap<string, Grab>,
  now: Date,
  random: RandomSource,
): GrabDecision[] {
  let remaining = state.remaining_amount;
  let shares = state.remaining_shares;
  const firstIndex = new Map<string, number>();
  const open = state.status === 'open' && now.getTime() < state.expires_at.getTime();
  return requests.map((request, i): GrabDecision => {
    const before = earlier.get(request.customer_id);
    if (before) return before.account_id === request.account_id ? { kind: 'replay', of: before } : { kind: 'reject', code: 'already_grabbed' };
    // A repeat within the batch takes its answer from the first request, once the ledger has
    // said whether that one was paid (the caller compares the accounts then).
    const first = firstIndex.get(request.customer_id);
    if (first !== undefined) return { kind: 'replay', of: first };
    firstIndex.set(request.customer_id, i);
    // A refunded envelope also has no shares left, but they went back to the sender: expired, not empty.
    if (state.status === 'empty') return { kind: 'reject', code: 'envelope_empty' };
    if (!open) return { kind: 'reject', code: 'envelope_expired' };
    if (shares === 0) return { kind: 'reject', code: 'envelope_empty' };
    const amount = drawShare(remaining, shares, state.mode, random);
    remaining -= amount;
    shares -= 1;
    return { kind: 'draw', amount };
  });
}

/**
 * The share state after the ledger paid some of the draws. A draw the ledger refused (the
 * recipient's account is closed, in another currency, …) stays in the envelope: its
 * amount and share go back, so claimed + remaining + refunded = total still holds.
 */
export function settleGrabs(state: ShareState, paid: readonly bigint[], now: Date): ShareState & { finished_at: Date | null } {
  if (paid.some((amount) => amount < 1n)) throw new Error('every paid share must be at least 1 minor unit');
  const paidAmount = paid.reduce((sum, amount) => sum + amount, 0n);
  const remaining_amount = state.remaining_amount - paidAmount;
  const remaining_shares = state.remaining_shares - paid.length;
  if (remaining_amount < 0n || remaining_shares < 0 || remaining_amount < BigInt(remaining_shares)) {
    throw new Error(`envelope settlement would break its invariants: ${remaining_amount} over ${remaining_shares} shares`);
  }
  const empty = remaining_shares === 0;
  return {
    ...state,
    remaining_amount,
    remaining_shares,
    claimed_amount: state.claimed_amount + paidAmount,
    claimed_count: state.claimed_count + paid.length,
    status: empty ? 'empty' : state.status,
    finished_at: empty ? now : null,
  };
}

/** Whether the refund sweep should return this envelope's remainder now. */
export function refundDue(state: Pick<ShareState, 'status' | 'expires_at'>, now: Date): boolean {
  return state.status === 'open' && now.getTime() >= state.expires_at.getTime();
}

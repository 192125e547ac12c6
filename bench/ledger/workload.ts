/**
 * The traffic the ledger benchmark sends: account sets and transfer streams, drawn from a
 * seeded random source so every run (and every engine) sees the same shape of load.
 */
import { TransferFlags, type AccountId, type TransferId, type TransferInput } from '../../src/ledger/types.js';
import { randomInt } from '../lib/stats.js';
import { uuidv7 } from '../../src/db/uuid.js';

export type Traffic = 'uniform' | 'hot';

export const CURRENCY = 'USD';
export const TRANSFER_CODE = 1;
export const ACCOUNT_CODE = 2001;
export const AMOUNT_MAX_MINOR = 10_000;
/** Share of transfers that touch the hot account in `hot` traffic. */
export const HOT_SHARE = 0.5;
/** How far behind its reservation a post comes: about one batch (half a batch of each kind). */
export const POST_LAG_MAX = 4_096;

export function newAccountIds(count: number): AccountId[] {
  if (count < 3) throw new RangeError('the benchmark needs at least 3 accounts');
  return Array.from({ length: count }, () => uuidv7() as AccountId);
}

/**
 * A debit/credit pair. `hot` traffic: half the transfers have accounts[0] on one side
 * (either side, at random), the other half move between two other accounts.
 */
export function pickPair(random: () => number, accounts: readonly AccountId[], traffic: Traffic): [AccountId, AccountId] {
  const n = accounts.length;
  if (traffic === 'hot' && random() < HOT_SHARE) {
    const other = accounts[1 + randomInt(random, n - 1)]!;
    return random() < 0.5 ? [accounts[0]!, other] : [other, accounts[0]!];
  }
  const base = traffic === 'hot' ? 1 : 0; // hot traffic keeps the rest off the hot account
  const span = n - base;
  const i = randomInt(random, span);
  let j = randomInt(random, span - 1);
  if (j >= i) j++;
  return [accounts[base + i]!, accounts[base + j]!];
}

export const randomAmount = (random: () => number): bigint => BigInt(1 + randomInt(random, AMOUNT_MAX_MINOR));

export interface TransferStream {
  inputs: TransferInput[];
  /** What the accounts' posted debits (and credits) must grow by once every input commits. */
  posted_minor: bigint;
  /** What stays pending once every input commits. */
  pending_minor: bigint;
}

function plain(random: () => number, accounts: readonly AccountId[], traffic: Traffic, flags: number): TransferInput {
  const [debit, credit] = pickPair(random, accounts, traffic);
  return { id: uuidv7() as TransferId, debit_account_id: debit, credit_account_id: credit, amount: randomAmount(random), code: TRANSFER_CODE, flags };
}

/**
 * `count` transfers in submission order. With `pending`, half are pending reservations and
 * half post them (full amount), each post about one batch after its reservation, so every
 * batch both reserves and posts, and at the end nothing is left pending.
 */
export function transferStream(count: number, accounts: readonly AccountId[], traffic: Traffic, pending: boolean, random: () => number): TransferStream {
  const inputs: TransferInput[] = [];
  let posted = 0n;
  if (!pending) {
    for (let i = 0; i < count; i++) {
      const input = plain(random, accounts, traffic, 0);
      posted += input.amount!;
      inputs.push(input);
    }
    return { inputs, posted_minor: posted, pending_minor: 0n };
  }
  const pairs = Math.floor(count / 2);
  if (count % 2 === 1) {
    const extra = plain(random, accounts, traffic, 0);
    posted += extra.amount!;
    inputs.push(extra);
  }
  const lag = Math.min(POST_LAG_MAX, Math.max(1, Math.floor(pairs / 4)));
  const reservations: TransferInput[] = [];
  for (let i = 0; i < pairs + lag; i++) {
    if (i < pairs) {
      const reservation = plain(random, accounts, traffic, TransferFlags.pending);
      posted += reservation.amount!;
      reservations.push(reservation);
      inputs.push(reservation);
    }
    const due = reservations[i - lag];
    if (due) inputs.push({ id: uuidv7() as TransferId, pending_id: due.id, flags: TransferFlags.post_pending });
  }
  return { inputs, posted_minor: posted, pending_minor: 0n };
}

/** Splits a stream into requests of `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

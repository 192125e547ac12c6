/**
 * The oversell check after every run, from two independent sides: what the clients were
 * told (each 201 with its amount, each envelope_empty) and what the server stored (the
 * envelope's counters, its holding account in the ledger, the ledger's invariants).
 * Any difference fails the benchmark loudly.
 */
import { fmtInt } from '../lib/stats.js';
import type { CreatedEnvelope, GrabSystem } from './system.js';

export interface Tally {
  ok: number;
  empty: number;
  ok_by_envelope: number[];
  empty_by_envelope: number[];
  amount_by_envelope: bigint[];
  /** Anything else, by "status code": it must stay empty. */
  other: Map<string, number>;
}

export const newTally = (envelopes: number): Tally => ({
  ok: 0,
  empty: 0,
  ok_by_envelope: new Array<number>(envelopes).fill(0),
  empty_by_envelope: new Array<number>(envelopes).fill(0),
  amount_by_envelope: new Array<bigint>(envelopes).fill(0n),
  other: new Map(),
});

/** Counts one answer: 201 with the grab (for this customer), or 409 envelope_empty; anything else is noted. */
export function recordAnswer(tally: Tally, envelope: number, customer_id: string, status: number, body: string): void {
  let parsed: { code?: unknown; amount?: unknown; customer_id?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // counted as other below
  }
  if (status === 201 && typeof parsed.amount === 'string' && /^[1-9][0-9]*$/.test(parsed.amount) && parsed.customer_id === customer_id) {
    tally.ok += 1;
    tally.ok_by_envelope[envelope]! += 1;
    tally.amount_by_envelope[envelope]! += BigInt(parsed.amount);
    return;
  }
  if (status === 409 && parsed.code === 'envelope_empty') {
    tally.empty += 1;
    tally.empty_by_envelope[envelope]! += 1;
    return;
  }
  const key = `${status} ${typeof parsed.code === 'string' ? parsed.code : status === 201 ? '(grab for another customer, or no amount)' : body.slice(0, 80)}`;
  tally.other.set(key, (tally.other.get(key) ?? 0) + 1);
}

export interface OversellCheck {
  /** Shares paid beyond an envelope's share count, plus minor units paid beyond its total. Always 0 in a passing run. */
  oversell: number;
  /** One line saying what was checked. */
  summary: string;
}

export async function checkOversell(system: GrabSystem, envelopes: readonly CreatedEnvelope[], usersPer: readonly number[], tally: Tally): Promise<OversellCheck> {
  const problems: string[] = [];
  let oversoldShares = 0;
  let oversoldMinor = 0n;
  for (const [k, other] of tally.other) problems.push(`${other} answers ${k}`);
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const ok = tally.ok_by_envelope[i]!;
    const empty = tally.empty_by_envelope[i]!;
    const paid = tally.amount_by_envelope[i]!;
    const expected = Math.min(e.share_count, usersPer[i]!);
    const s = await system.state(e);
    const where = `envelope ${i + 1} of ${envelopes.length} (${e.id}, ${e.share_count} shares, ${usersPer[i]} users)`;
    oversoldShares += Math.max(0, ok - e.share_count, s.claimed_count - e.share_count);
    const overpaid = [paid + s.remaining_amount - e.total_amount, s.claimed_amount - e.total_amount].reduce((a, b) => (b > a ? b : a), 0n);
    oversoldMinor += overpaid;
    if (ok !== expected) problems.push(`${where}: ${ok} successes, expected min(shares, users) = ${expected}`);
    if (empty !== usersPer[i]! - ok) problems.push(`${where}: ${empty} envelope_empty answers, expected ${usersPer[i]! - ok}`);
    if (s.claimed_count !== ok) problems.push(`${where}: the server says ${s.claimed_count} claimed, clients got ${ok} successes`);
    if (s.remaining_shares !== e.share_count - ok) problems.push(`${where}: ${s.remaining_shares} shares remain, expected ${e.share_count - ok}`);
    if (s.claimed_amount !== paid) problems.push(`${where}: the server says ${s.claimed_amount} claimed, clients were paid ${paid}`);
    if (paid + s.remaining_amount !== e.total_amount) problems.push(`${where}: paid ${paid} + remaining ${s.remaining_amount} ≠ total ${e.total_amount}`);
    if (s.total_amount !== e.total_amount || s.refunded_amount !== 0n) problems.push(`${where}: total ${s.total_amount}, refunded ${s.refunded_amount} (expected ${e.total_amount}, 0)`);
    if (s.holding_balance !== s.remaining_amount) problems.push(`${where}: holding account balance ${s.holding_balance} ≠ remaining_amount ${s.remaining_amount}`);
    if (expected === e.share_count && s.status !== 'empty') problems.push(`${where}: status ${s.status}, expected empty`);
  }
  const invariants = await system.invariants();
  if (!invariants.ok) problems.push(`ledger invariants broken: ${invariants.detail}`);
  if (problems.length > 0) {
    throw new Error(
      `oversell check FAILED for ${system.kind} (oversold ${oversoldShares} shares, ${oversoldMinor} minor units):\n  - ${problems.slice(0, 20).join('\n  - ')}` +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''),
    );
  }
  const shares = envelopes.reduce((n, e) => n + e.share_count, 0);
  return {
    oversell: 0,
    summary:
      `oversell: 0 — ${fmtInt(tally.ok)} successes = Σ min(shares, users) over ${envelopes.length} envelope${envelopes.length === 1 ? '' : 's'} of ${fmtInt(shares)} shares, ` +
      `${fmtInt(tally.empty)} envelope_empty; paid + remaining = total; holding balance = remaining; ledger invariants ok`,
  };
}

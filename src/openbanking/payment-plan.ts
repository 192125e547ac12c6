/**
 * The pure decision for a group of payments the ledger writer is about to carry in one
 * transaction: which are replays, which are refused (creditor, consent status, limit), and
 * which reserve their amount on the consent. The consents' figures are as the group read them,
 * and the write checks they still allow what was decided (payments-store.ts,
 * consentTotalsUpdate); members are taken in arrival order, so an earlier payment may use up
 * the limit a later one needed, exactly as if they had come one by one.
 */
import { effectiveStatus, type Consent, type Refusal } from './consents.js';

export interface PlannedPayment {
  id: string;
  consent_id: string;
  creditor_account_id: string;
  amount_minor: bigint;
  currency: string;
  /** The mode of the partner app (sandbox or live): money never crosses between the two. */
  mode: 'sandbox' | 'live';
  /** False when the payment is stored as rejected without moving money (risk block, sandbox magic amount). */
  moves_money: boolean;
}

export type ConsentTotals = Pick<Consent, 'id' | 'status' | 'expires_at' | 'amount_limit_minor' | 'amount_used_minor'>;
export interface CreditorFacts {
  currency: string;
  mode: 'sandbox' | 'live';
}

export type PaymentPlan =
  /** The id exists (stored earlier, or earlier in this group): answered as a replay after the commit. */
  | { kind: 'exists' }
  | { kind: 'refused'; refusal: Refusal }
  /** Passes every check: moves money (its amount reserved) or is stored as rejected (nothing reserved). */
  | { kind: 'accepted' };

export interface GroupPlan {
  plans: PaymentPlan[];
  /** The new used total of every consent a member reserved on. */
  used_totals: Map<string, bigint>;
  /**
   * The consents on which a member was refused for the limit: that refusal holds only for the
   * used total plan read, so the write must find exactly that total (payments-store.ts,
   * consentTotalsUpdate). Elsewhere the plan only ever adds to a total.
   */
  limit_refused: Set<string>;
}

export function planPayments(
  members: readonly PlannedPayment[],
  facts: { existing: ReadonlySet<string>; consents: ReadonlyMap<string, ConsentTotals>; creditors: ReadonlyMap<string, CreditorFacts>; now: Date },
): GroupPlan {
  const seen = new Set<string>();
  const used = new Map<string, bigint>();
  const limitRefused = new Set<string>();
  const plans = members.map((m): PaymentPlan => {
    if (facts.existing.has(m.id) || seen.has(m.id)) return { kind: 'exists' };
    seen.add(m.id);
    const creditor = facts.creditors.get(m.creditor_account_id);
    if (!creditor || creditor.mode !== m.mode) {
      return { kind: 'refused', refusal: { ok: false, code: 'account_not_found', detail: `no account ${m.creditor_account_id}`, field: 'creditor_account_id' } };
    }
    if (creditor.currency !== m.currency) {
      return { kind: 'refused', refusal: { ok: false, code: 'currency_mismatch', detail: `the creditor account is in ${creditor.currency}`, field: 'creditor_account_id' } };
    }
    const consent = facts.consents.get(m.consent_id);
    const refusal = consentRefusal(consent, used.get(m.consent_id), m.amount_minor, facts.now);
    if (refusal) {
      if (refusal.code === 'consent_limit_exceeded') limitRefused.add(m.consent_id);
      return { kind: 'refused', refusal };
    }
    if (m.moves_money) used.set(m.consent_id, (used.get(m.consent_id) ?? consent!.amount_used_minor) + m.amount_minor);
    return { kind: 'accepted' };
  });
  return { plans, used_totals: used, limit_refused: limitRefused };
}

/** Why the consent cannot take this amount now, or undefined; `usedSoFar` is the total after earlier members of the group. */
function consentRefusal(consent: ConsentTotals | undefined, usedSoFar: bigint | undefined, amount_minor: bigint, now: Date): Refusal | undefined {
  const status = consent ? effectiveStatus(consent, now) : 'revoked';
  if (status === 'revoked') return { ok: false, code: 'consent_revoked', detail: 'the consent was revoked' };
  if (status === 'expired') return { ok: false, code: 'consent_expired', detail: 'the consent has expired' };
  if (status !== 'authorised') return { ok: false, code: 'consent_not_authorised', detail: `the consent is ${status}` };
  const limit = consent!.amount_limit_minor;
  const used = usedSoFar ?? consent!.amount_used_minor;
  if (limit === null || amount_minor <= 0n || used + amount_minor > limit) {
    return {
      ok: false,
      code: 'consent_limit_exceeded',
      detail: `${amount_minor} is more than the ${limit === null ? 0n : limit - used} left of the consent's limit of ${limit ?? 0n}`,
      field: 'amount_minor',
    };
  }
  return undefined;
}

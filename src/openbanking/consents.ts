/**
 * Consents, the pure core: what a partner may ask for, how a consent moves between states,
 * and the checks every open-banking call makes against it (kind, permission, account,
 * expiry, payment limits). No I/O, no clock: `now` is an argument. consents-store.ts
 * keeps the rows.
 */
import type { AppMode, PartnerScope } from './principal.js';

export const CONSENT_KINDS = ['account_access', 'payment_initiation', 'funds_confirmation'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

export const CONSENT_STATUSES = ['awaiting_authorisation', 'authorised', 'rejected', 'revoked', 'expired'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export type RevokedBy = 'customer' | 'partner' | 'operator';

/**
 * Permissions a consent can carry, by kind. A partner asks for a subset; every resource call
 * names the one it needs.
 *  - account_access: read accounts, balances, transactions; apply for a loan into a consented
 *    account; grab red envelopes into a consented account (money comes in, none goes out).
 *  - payment_initiation: pay from the one debtor account, and send red envelopes from it (both
 *    count against the amount limit); grabbing envelopes into it too.
 *  - funds_confirmation: ask whether an amount is available on a consented account (yes/no only).
 */
export const PERMISSIONS_BY_KIND = {
  account_access: ['accounts:read', 'balances:read', 'transactions:read', 'loans:apply', 'envelopes:grab'],
  payment_initiation: ['payments:create', 'envelopes:create', 'envelopes:grab'],
  funds_confirmation: ['funds:confirm'],
} as const satisfies Record<ConsentKind, readonly string[]>;

export type ConsentPermission = (typeof PERMISSIONS_BY_KIND)[ConsentKind][number];

export const ALL_PERMISSIONS: readonly ConsentPermission[] = [...new Set(Object.values(PERMISSIONS_BY_KIND).flat())] as ConsentPermission[];

/** The app scope a consent kind needs, and extra scopes some permissions need. */
export const SCOPE_FOR_KIND: Record<ConsentKind, PartnerScope> = {
  account_access: 'accounts',
  payment_initiation: 'payments',
  funds_confirmation: 'funds_confirmation',
};
export const SCOPE_FOR_PERMISSION: Partial<Record<ConsentPermission, PartnerScope>> = {
  'loans:apply': 'loans',
  'envelopes:grab': 'envelopes',
  'envelopes:create': 'envelopes',
};

/** The OAuth scopes a customer token under this consent may carry (the kind's plus permission extras). */
export function scopesForConsent(consent: Pick<Consent, 'kind' | 'permissions'>): PartnerScope[] {
  const scopes = new Set<PartnerScope>([SCOPE_FOR_KIND[consent.kind]]);
  for (const p of consent.permissions) {
    const extra = SCOPE_FOR_PERMISSION[p as ConsentPermission];
    if (extra) scopes.add(extra);
  }
  return [...scopes];
}

export const DAY_MS = 86_400_000;
/** Longest consent a partner may ask for: account access and funds confirmation. */
export const EXPIRY_MAX_MS = 180 * DAY_MS;
/** Payment consents are spending mandates with a running total: a shorter window bounds the exposure. */
export const PAYMENT_EXPIRY_MAX_MS = 30 * DAY_MS;
/** A consent must leave the customer time to approve it. */
export const EXPIRY_MIN_MS = 10 * 60_000;
/** Accounts one consent may name. */
export const CONSENT_ACCOUNTS_MAX = 50;

export interface Consent {
  id: string;
  client_id: string;
  kind: ConsentKind;
  /** As read: `expired` when stored as awaiting/authorised but past expires_at. */
  status: ConsentStatus;
  permissions: ConsentPermission[];
  customer_id: string | null;
  account_ids: string[];
  currency: string | null;
  amount_limit_minor: bigint | null;
  amount_used_minor: bigint;
  per_payment_max_minor: bigint | null;
  creditor_account_id: string | null;
  expires_at: Date;
  created_at: Date;
  authorised_at: Date | null;
  revoked_at: Date | null;
  revoked_by: RevokedBy | null;
}

export type Refusal = { ok: false; code: string; detail: string; field?: string };
const refuse = (code: string, detail: string, field?: string): Refusal => (field ? { ok: false, code, detail, field } : { ok: false, code, detail });

/** A consent past its expiry reads as expired, whatever the stored status (until it is rewritten). */
export function effectiveStatus(consent: Pick<Consent, 'status' | 'expires_at'>, now: Date): ConsentStatus {
  if ((consent.status === 'awaiting_authorisation' || consent.status === 'authorised') && now.getTime() >= consent.expires_at.getTime()) {
    return 'expired';
  }
  return consent.status;
}

export interface ConsentRequest {
  kind: ConsentKind;
  permissions: string[];
  expires_at: Date;
  payment?: {
    currency: string;
    amount_limit_minor: bigint;
    per_payment_max_minor?: bigint | undefined;
    creditor_account_id?: string | undefined;
  } | undefined;
}

export interface ValidConsentRequest {
  kind: ConsentKind;
  permissions: ConsentPermission[];
  expires_at: Date;
  currency: string | null;
  amount_limit_minor: bigint | null;
  per_payment_max_minor: bigint | null;
  creditor_account_id: string | null;
}

/** Checks a partner's consent request against its app's scopes and the expiry/limit rules. */
export function validateConsentRequest(
  req: ConsentRequest,
  app: { allowed_scopes: readonly PartnerScope[] },
  client_scopes: readonly PartnerScope[],
  now: Date,
): { ok: true; value: ValidConsentRequest } | Refusal {
  const kindScope = SCOPE_FOR_KIND[req.kind];
  if (!app.allowed_scopes.includes(kindScope) || !client_scopes.includes(kindScope)) {
    return refuse('insufficient_scope', `a ${req.kind} consent needs the ${kindScope} scope`);
  }
  const allowed = PERMISSIONS_BY_KIND[req.kind] as readonly string[];
  if (req.permissions.length === 0) return refuse('consent_permissions_invalid', 'permissions must name at least one permission', 'permissions');
  for (const p of req.permissions) {
    if (!allowed.includes(p)) {
      return refuse('consent_permissions_invalid', `${p} is not a permission of a ${req.kind} consent (allowed: ${allowed.join(', ')})`, 'permissions');
    }
    const extra = SCOPE_FOR_PERMISSION[p as ConsentPermission];
    if (extra && !app.allowed_scopes.includes(extra)) return refuse('insufficient_scope', `the ${p} permission needs the ${extra} scope`);
  }
  const permissions = [...new Set(req.permissions)] as ConsentPermission[];

  const ahead_ms = req.expires_at.getTime() - now.getTime();
  const max_ms = req.kind === 'payment_initiation' ? PAYMENT_EXPIRY_MAX_MS : EXPIRY_MAX_MS;
  if (!Number.isFinite(ahead_ms) || ahead_ms < EXPIRY_MIN_MS || ahead_ms > max_ms) {
    return refuse(
      'consent_expiry_out_of_range',
      `expires_at must be between 10 minutes and ${max_ms / DAY_MS} days from now for a ${req.kind} consent`,
      'expires_at',
    );
  }

  if (req.kind !== 'payment_initiation') {
    if (req.payment) return refuse('consent_payment_terms_invalid', 'payment terms belong only to a payment_initiation consent', 'payment');
    return { ok: true, value: { kind: req.kind, permissions, expires_at: req.expires_at, currency: null, amount_limit_minor: null, per_payment_max_minor: null, creditor_account_id: null } };
  }
  const pay = req.payment;
  if (!pay) return refuse('consent_payment_terms_invalid', 'a payment_initiation consent needs payment terms (currency, amount_limit_minor)', 'payment');
  if (pay.amount_limit_minor <= 0n) return refuse('consent_payment_terms_invalid', 'amount_limit_minor must be positive', 'payment.amount_limit_minor');
  if (pay.per_payment_max_minor !== undefined) {
    if (pay.per_payment_max_minor <= 0n) return refuse('consent_payment_terms_invalid', 'per_payment_max_minor must be positive', 'payment.per_payment_max_minor');
    if (pay.per_payment_max_minor > pay.amount_limit_minor) {
      return refuse('consent_payment_terms_invalid', 'per_payment_max_minor must not exceed amount_limit_minor', 'payment.per_payment_max_minor');
    }
  }
  return {
    ok: true,
    value: {
      kind: req.kind,
      permissions,
      expires_at: req.expires_at,
      currency: pay.currency,
      amount_limit_minor: pay.amount_limit_minor,
      per_payment_max_minor: pay.per_payment_max_minor ?? null,
      creditor_account_id: pay.creditor_account_id ?? null,
    },
  };
}

/** The accounts a customer may choose for a consent, with what authorisation checks. */
export interface OwnedAccount {
  account_id: string;
  currency: string;
  status: string;
}

/**
 * Can this customer authorise this consent for this app with these accounts?
 * `owned` is the customer's linked accounts; `app_mode`/`customer_mode` must agree.
 */
export function checkAuthorisation(
  consent: Consent,
  input: { client_id: string; customer_mode: AppMode; customer_status: string; app_mode: AppMode; account_ids: readonly string[]; owned: readonly OwnedAccount[] },
  now: Date,
): { ok: true; account_ids: string[] } | Refusal {
  if (consent.client_id !== input.client_id) return refuse('consent_not_found', 'no such consent for this client');
  const status = effectiveStatus(consent, now);
  if (status === 'expired') return refuse('consent_expired', 'the consent has expired');
  if (status !== 'awaiting_authorisation') return refuse('consent_not_awaiting_authorisation', `the consent is ${status}`);
  if (input.customer_status !== 'active') return refuse('customer_disabled', 'the customer is disabled');
  if (input.customer_mode !== input.app_mode) {
    return refuse('consent_mode_mismatch', `a ${input.app_mode} app can be authorised only by ${input.app_mode} customers`);
  }
  const ids = [...new Set(input.account_ids.map((a) => a.toLowerCase()))];
  if (ids.length === 0) return refuse('consent_accounts_invalid', 'choose at least one account', 'account_ids');
  if (ids.length > CONSENT_ACCOUNTS_MAX) return refuse('consent_accounts_invalid', `at most ${CONSENT_ACCOUNTS_MAX} accounts`, 'account_ids');
  const byId = new Map(input.owned.map((a) => [a.account_id.toLowerCase(), a]));
  for (const id of ids) {
    const acct = byId.get(id);
    if (!acct) return refuse('consent_account_not_owned', `account ${id} is not one of the customer's accounts`, 'account_ids');
    if (acct.status === 'closed') return refuse('consent_accounts_invalid', `account ${id} is closed`, 'account_ids');
  }
  if (consent.kind === 'payment_initiation') {
    if (ids.length !== 1) return refuse('consent_accounts_invalid', 'a payment consent names exactly one debtor account', 'account_ids');
    if (byId.get(ids[0]!)!.currency !== consent.currency) {
      return refuse('consent_accounts_invalid', `the debtor account must be in ${consent.currency}, the consent's currency`, 'account_ids');
    }
  }
  return { ok: true, account_ids: ids };
}

/** Who may revoke from which state. Revoking a revoked consent is a no-op (idempotent). */
export function checkRevocation(consent: Consent, now: Date): { ok: true; already: boolean } | Refusal {
  const status = effectiveStatus(consent, now);
  if (status === 'revoked') return { ok: true, already: true };
  if (status === 'authorised' || status === 'awaiting_authorisation') return { ok: true, already: false };
  return refuse('consent_not_revocable', `the consent is ${status}`);
}

export interface AccessNeed {
  /** The consent kinds that grant this call (several for envelope grabs). */
  kinds: readonly ConsentKind[];
  permission: ConsentPermission;
  /** The account the call touches, when it touches one. */
  account_id?: string | undefined;
}

/**
 * The check every resource call makes: the token's consent must be authorised, unexpired,
 * of a kind that grants the permission, carry it, and name the account.
 */
export function checkAccess(
  consent: Consent | undefined,
  principal: { client_id: string; customer_id?: string | undefined },
  need: AccessNeed,
  now: Date,
): { ok: true } | Refusal {
  if (!consent || consent.client_id !== principal.client_id || consent.customer_id !== (principal.customer_id ?? null)) {
    return refuse('consent_invalid', 'the token is not bound to a consent of this client and customer');
  }
  const status = effectiveStatus(consent, now);
  if (status === 'revoked') return refuse('consent_revoked', 'the customer or partner revoked this consent');
  if (status === 'expired') return refuse('consent_expired', 'the consent has expired');
  if (status !== 'authorised') return refuse('consent_not_authorised', `the consent is ${status}`);
  if (!need.kinds.includes(consent.kind)) {
    return refuse('consent_kind_mismatch', `this call needs a ${need.kinds.join(' or ')} consent; this one is ${consent.kind}`);
  }
  if (!consent.permissions.includes(need.permission)) {
    return refuse('consent_permission_missing', `the consent does not include ${need.permission}`);
  }
  if (need.account_id !== undefined && !consent.account_ids.includes(need.account_id.toLowerCase())) {
    return refuse('consent_account_not_included', `account ${need.account_id} is not in the consent`);
  }
  return { ok: true };
}

/**
 * Can a payment of `amount_minor` go under this (authorised, checked) consent now?
 * The store repeats the limit check atomically in SQL; this gives the precise reason.
 */
export function checkPaymentTerms(
  consent: Consent,
  payment: { amount_minor: bigint; currency: string; creditor_account_id: string },
): { ok: true } | Refusal {
  if (payment.amount_minor <= 0n) return refuse('amount_must_be_positive', 'amount_minor must be positive', 'amount_minor');
  if (payment.currency !== consent.currency) {
    return refuse('payment_currency_mismatch', `the consent is for ${consent.currency}; the payment is in ${payment.currency}`, 'currency');
  }
  if (consent.creditor_account_id && consent.creditor_account_id !== payment.creditor_account_id.toLowerCase()) {
    return refuse('payment_creditor_not_allowed', 'the consent allows payments only to its named creditor account', 'creditor_account_id');
  }
  if (consent.per_payment_max_minor !== null && payment.amount_minor > consent.per_payment_max_minor) {
    return refuse('payment_amount_above_consent', `the consent allows at most ${consent.per_payment_max_minor} per payment`, 'amount_minor');
  }
  if (!fitsLimit(consent, payment.amount_minor)) {
    return refuse('consent_limit_exceeded', `only ${remainingMinor(consent)} of the consent's ${consent.amount_limit_minor} remains`, 'amount_minor');
  }
  return { ok: true };
}

export function remainingMinor(consent: Pick<Consent, 'amount_limit_minor' | 'amount_used_minor'>): bigint {
  return consent.amount_limit_minor === null ? 0n : consent.amount_limit_minor - consent.amount_used_minor;
}

/** The limit rule, the same one the reserving UPDATE states in SQL. */
export function fitsLimit(consent: Pick<Consent, 'amount_limit_minor' | 'amount_used_minor'>, amount_minor: bigint): boolean {
  return consent.amount_limit_minor !== null && amount_minor > 0n && consent.amount_used_minor + amount_minor <= consent.amount_limit_minor;
}

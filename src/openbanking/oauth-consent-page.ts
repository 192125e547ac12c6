/**
 * The customer-facing pages, rendered on the server: sign in, approve or deny a consent,
 * manage consents, and errors. No scripts and no external assets; one inline stylesheet
 * allowed by its hash. Every response carries a strict CSP (form-action limited to this
 * server, plus the client's redirect origin on the consent page: browsers apply form-action
 * to the redirect after the post), X-Frame-Options DENY and no-store.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { currencyScale, formatMinor } from '../ledger/currencies.js';
import type { Consent, ConsentKind } from './consents.js';
import type { CustomerAccount } from './customers-store.js';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:10px;padding:1.5rem 2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #b8bfcc;border-radius:6px;font-size:1rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #2557d6;background:#2557d6;color:#fff;margin:1rem .5rem 0 0;cursor:pointer}
button.secondary{background:#fff;color:#2557d6}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:6px}
.notice{background:#e8f4fd;border:1px solid #a0c4e0;padding:.6rem;border-radius:6px}
.badge{display:inline-block;font-size:.75rem;padding:.1rem .45rem;border-radius:4px;background:#ffe9a8;margin-left:.4rem;vertical-align:middle}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}dt{font-weight:600}dd{margin:0}
ul{padding-left:1.2rem}.account{display:flex;gap:.5rem;align-items:center;margin:.35rem 0;font-weight:400}
table{width:100%;border-collapse:collapse;font-size:.92rem}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
small{color:#5b6475}
`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Security headers for every page; `form_origins` are extra origins a form may post (or redirect) to. */
export function pageHeaders(reply: FastifyReply, form_origins: readonly string[] = []): FastifyReply {
  const formAction = ["'self'", ...form_origins].join(' ');
  return reply
    .header('content-security-policy', `default-src 'none'; style-src ${STYLE_HASH}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('text/html; charset=utf-8');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

const hidden = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');

const errorBox = (message: string | undefined): string => (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '');
const modeBadge = (mode: string): string => (mode === 'sandbox' ? '<span class="badge">sandbox</span>' : '');

export function renderError(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="error">${escapeHtml(message)}</p><p><small>You can close this window.</small></p>`);
}

export interface SignInPage {
  heading: string;
  intro: string;
  action: string;
  fields: Record<string, string>;
  error?: string;
  customer_id?: string;
  mode?: string;
}

export function renderSignIn(page: SignInPage): string {
  return layout(
    page.heading,
    `<h1>${escapeHtml(page.heading)}${modeBadge(page.mode ?? 'live')}</h1>
<p>${escapeHtml(page.intro)}</p>${errorBox(page.error)}
<form method="post" action="${escapeHtml(page.action)}">${hidden(page.fields)}
<label for="customer_id">Customer id</label><input type="text" id="customer_id" name="customer_id" autocomplete="username" required value="${escapeHtml(page.customer_id ?? '')}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
  );
}

export const KIND_LABELS: Record<ConsentKind, string> = {
  account_access: 'Access to account information',
  payment_initiation: 'Payments from your account',
  funds_confirmation: 'Confirmation that funds are available',
};

const PERMISSION_LABELS: Record<string, string> = {
  'accounts:read': 'See your chosen accounts (name, currency, status)',
  'balances:read': 'See their balances',
  'transactions:read': 'See their transactions',
  'loans:apply': 'Apply for a loan paid into a chosen account',
  'envelopes:grab': 'Receive red envelopes into a chosen account',
  'payments:create': 'Make payments from the chosen account, within the limit below',
  'envelopes:create': 'Send red envelopes from the chosen account (counted against the limit)',
  'funds:confirm': 'Ask whether an amount is available (yes or no only; no balance is shown)',
};

export const money = (amount_minor: bigint, currency: string): string => `${formatMinor(amount_minor, currencyScale(currency) ?? 2)} ${currency}`;

const dateText = (d: Date): string => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function consentSummary(consent: Consent): string {
  const rows = [`<dt>What</dt><dd>${escapeHtml(KIND_LABELS[consent.kind])}</dd>`];
  if (consent.amount_limit_minor !== null && consent.currency) {
    rows.push(`<dt>Limit</dt><dd>${escapeHtml(money(consent.amount_limit_minor, consent.currency))} in total</dd>`);
    if (consent.per_payment_max_minor !== null) rows.push(`<dt>Per payment</dt><dd>at most ${escapeHtml(money(consent.per_payment_max_minor, consent.currency))}</dd>`);
    if (consent.creditor_account_id) rows.push(`<dt>Payee</dt><dd>only account ${escapeHtml(consent.creditor_account_id)}</dd>`);
  }
  rows.push(`<dt>Until</dt><dd>${escapeHtml(dateText(consent.expires_at))}</dd>`);
  const permissions = consent.permissions.map((p) => `<li>${escapeHtml(PERMISSION_LABELS[p] ?? p)}</li>`).join('');
  return `<dl>${rows.join('')}</dl><h2>It will be able to</h2><ul>${permissions}</ul>`;
}

export interface ConsentPage {
  app_name: string;
  mode: string;
  customer_name: string;
  consent: Consent;
  accounts: CustomerAccount[];
  action: string;
  fields: Record<string, string>;
  error?: string;
}

export function renderConsent(page: ConsentPage): string {
  const payment = page.consent.kind === 'payment_initiation';
  const usable = page.accounts.filter((a) => a.status !== 'closed' && (!payment || a.currency === page.consent.currency));
  const choices = usable
    .map((a, i) => {
      const label = `${a.nickname ?? 'Account'} · ${a.currency} · ${a.account_id}`;
      const input = payment
        ? `<input type="radio" name="account_id" value="${escapeHtml(a.account_id)}"${i === 0 ? ' checked' : ''} required>`
        : `<input type="checkbox" name="account_id" value="${escapeHtml(a.account_id)}">`;
      return `<label class="account">${input}<span>${escapeHtml(label)}</span></label>`;
    })
    .join('');
  const chooser = usable.length
    ? `<h2>${payment ? 'Pay from which account' : 'Which accounts'}</h2>${choices}`
    : `<p class="error">You have no account this consent can use${payment ? ` (it needs one in ${escapeHtml(page.consent.currency ?? '')})` : ''}. You can only deny it.</p>`;
  return layout(
    `Allow ${page.app_name}?`,
    `<h1>${escapeHtml(page.app_name)} asks for your consent${modeBadge(page.mode)}</h1>
<p>Signed in as <strong>${escapeHtml(page.customer_name)}</strong>.</p>${errorBox(page.error)}
${consentSummary(page.consent)}
<form method="post" action="${escapeHtml(page.action)}">${hidden(page.fields)}${chooser}
${usable.length ? '<button type="submit" name="decision" value="approve">Allow</button>' : ''}<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</form><p><small>You can revoke this consent at any time at /oauth/consents.</small></p>`,
  );
}

export interface ManagedConsent {
  consent: Consent;
  app_name: string;
}

export function renderConsentList(page: { customer_name: string; items: ManagedConsent[]; action: string; csrf: string; notice?: string; error?: string }): string {
  const rows = page.items
    .map(({ consent, app_name }) => {
      const revocable = consent.status === 'authorised';
      const form = revocable
        ? `<form method="post" action="${escapeHtml(page.action)}">${hidden({ csrf: page.csrf, action: 'revoke', consent_id: consent.id })}<button type="submit" class="secondary">Revoke</button></form>`
        : '';
      const accounts = consent.account_ids.length ? `<br><small>${consent.account_ids.map(escapeHtml).join('<br>')}</small>` : '';
      return `<tr><td><strong>${escapeHtml(app_name)}</strong><br><small>${escapeHtml(consent.id)}</small></td>
<td>${escapeHtml(KIND_LABELS[consent.kind])}${accounts}</td><td>${escapeHtml(consent.status)}<br><small>until ${escapeHtml(dateText(consent.expires_at))}</small></td><td>${form}</td></tr>`;
    })
    .join('');
  const table = page.items.length
    ? `<table><thead><tr><th>Partner</th><th>Consent</th><th>Status</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>You have not given any consents.</p>';
  return layout(
    'Your consents',
    `<h1>Your consents</h1><p>Signed in as <strong>${escapeHtml(page.customer_name)}</strong>.</p>
${page.notice ? `<p class="notice" role="status">${escapeHtml(page.notice)}</p>` : ''}${errorBox(page.error)}${table}
<form method="post" action="${escapeHtml(page.action)}">${hidden({ csrf: page.csrf, action: 'sign_out' })}<button type="submit" class="secondary">Sign out</button></form>`,
  );
}

/**
 * Open-banking test vocabulary: partner apps (private_key_jwt or client_secret_basic, with
 * their keys), sandbox customers with linked ledger accounts, consents, client assertions
 * and DPoP proofs, the whole authorization-code flow with PKCE over HTTP (PAR, sign in,
 * approve, code exchange), and quick token minting for tests of other routes:
 *
 *   const partner = await registerTestApp(t);
 *   const token = await clientToken(t, partner);                      // client credentials
 *   const token = await customerToken(t, { client: partner, consent_id }); // a consent's customer
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { expect } from 'vitest';
import type { App } from '../../src/server/app.js';
import type { Clock } from '../../src/server/clock.js';
import type { PartnerApp, TokenEndpointAuthMethod } from '../../src/openbanking/apps.js';
import { registerPartnerApp } from '../../src/openbanking/apps-admin.js';
import { createConsent, getConsent } from '../../src/openbanking/consents-store.js';
import { scopesForConsent, validateConsentRequest, type ConsentKind, type ConsentRequest } from '../../src/openbanking/consents.js';
import { hashPassword } from '../../src/openbanking/customers.js';
import { insertCustomer, linkAccount } from '../../src/openbanking/customers-store.js';
import type { AppMode, PartnerScope } from '../../src/openbanking/principal.js';
import { PARTNER_SCOPES } from '../../src/openbanking/principal.js';
import { CLIENT_ASSERTION_TYPE } from '../../src/openbanking/oauth-client-auth.js';
import type { TestApp } from './app.js';
import { createAccount } from './ledger.js';
import { Client, type Res } from './http.js';

type AnyApp = TestApp<Clock> | App;
const appOf = (t: AnyApp): App => ('oauth' in t ? t : t.app);
const dbOf = (t: AnyApp) => appOf(t).oauth.ctx.db;
const nowOf = (t: AnyApp) => appOf(t).oauth.ctx.now();

/** A registered partner app and what it needs to authenticate. */
export interface TestPartner {
  client_id: string;
  app: PartnerApp;
  auth: TokenEndpointAuthMethod;
  redirect_uri: string;
  /** private_key_jwt: the key its client assertions are signed with (its public half is registered). */
  private_key?: CryptoKey;
  public_jwk?: JWK;
  kid?: string;
  /** client_secret_basic: the secret. */
  client_secret?: string;
  /** Registered with dpop_bound_access_tokens. */
  dpop: boolean;
}

export interface TestAppOptions {
  name?: string;
  mode?: AppMode;
  scopes?: PartnerScope[];
  auth?: TokenEndpointAuthMethod;
  redirect_uris?: string[];
  /** Require DPoP-bound tokens (FAPI 2.0 sender-constrained). */
  dpop?: boolean;
  webhook_url?: string;
}

export const DEFAULT_REDIRECT_URI = 'https://shop.example/callback';

/** Registers a partner app through the operator's store function (the admin API's own path). */
export async function registerTestApp(t: AnyApp, options: TestAppOptions = {}): Promise<TestPartner> {
  const auth = options.auth ?? 'private_key_jwt';
  const redirect_uris = options.redirect_uris ?? [DEFAULT_REDIRECT_URI];
  let private_key: CryptoKey | undefined;
  let public_jwk: JWK | undefined;
  const kid = `k-${randomBytes(4).toString('hex')}`;
  if (auth === 'private_key_jwt') {
    const pair = await generateKeyPair('ES256', { extractable: true });
    private_key = pair.privateKey;
    public_jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  }
  const registered = await registerPartnerApp(
    dbOf(t),
    {
      name: options.name ?? 'Test Shop',
      mode: options.mode ?? 'sandbox',
      redirect_uris,
      allowed_scopes: options.scopes ?? [...PARTNER_SCOPES],
      token_endpoint_auth_method: auth,
      jwks: public_jwk ? { keys: [public_jwk] } : undefined,
      webhook_url: options.webhook_url ?? null,
      dpop_bound_access_tokens: options.dpop ?? false,
    },
    nowOf(t),
  );
  if (!registered.ok) throw new Error(`registerPartnerApp: ${registered.code} ${registered.detail}`);
  return {
    client_id: registered.app.id,
    app: registered.app,
    auth,
    redirect_uri: redirect_uris[0]!,
    dpop: options.dpop ?? false,
    ...(private_key ? { private_key, public_jwk, kid } : {}),
    ...(registered.secrets.client_secret ? { client_secret: registered.secrets.client_secret } : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Quick minting: tokens signed with the server's key, without the HTTP flows.

export interface MintOptions {
  scopes?: readonly PartnerScope[];
  /** Bind the token to this DPoP key (see `dpopKey`). */
  dpop?: DpopKey;
}

/** A client-credentials access token for the app (default: all its allowed scopes). */
export async function clientToken(t: AnyApp, client: TestPartner | PartnerApp | string, options: MintOptions = {}): Promise<string> {
  const app = await resolveApp(t, client);
  const issued = await appOf(t).oauth.ctx.tokens.issue({
    client_id: app.id,
    scopes: options.scopes ?? app.allowed_scopes,
    ...(options.dpop ? { jkt: options.dpop.jkt } : {}),
  });
  return issued.token;
}

export interface CustomerTokenOptions extends MintOptions {
  client: TestPartner | PartnerApp | string;
  consent_id: string;
  /** Default: the consent's customer (the consent must then be authorised). */
  customer_id?: string;
}

/** A customer's access token under a consent (default scopes: what the consent allows, as the token endpoint gives). */
export async function customerToken(t: AnyApp, options: CustomerTokenOptions): Promise<string> {
  const app = await resolveApp(t, options.client);
  const consent = await getConsent(dbOf(t), options.consent_id, nowOf(t));
  const customer_id = options.customer_id ?? consent?.customer_id ?? undefined;
  if (!customer_id) throw new Error(`customerToken: consent ${options.consent_id} has no customer; pass customer_id`);
  const scopes = options.scopes ?? (consent ? scopesForConsent(consent).filter((s) => app.allowed_scopes.includes(s)) : app.allowed_scopes);
  const issued = await appOf(t).oauth.ctx.tokens.issue({
    client_id: app.id,
    scopes,
    customer_id,
    consent_id: options.consent_id,
    ...(options.dpop ? { jkt: options.dpop.jkt } : {}),
  });
  return issued.token;
}

async function resolveApp(t: AnyApp, client: TestPartner | PartnerApp | string): Promise<PartnerApp> {
  if (typeof client === 'string') {
    const app = await appOf(t).oauth.ctx.findApp(client);
    if (!app) throw new Error(`no partner app ${client}`);
    return app;
  }
  return 'app' in client ? client.app : client;
}

// ---------------------------------------------------------------------------------------
// Customers and consents.

export interface TestCustomer {
  customer_id: string;
  password: string;
  account_ids: string[];
}

/** A customer with a password and `accounts` new ledger accounts (USD) linked to them. */
export async function makeCustomer(
  t: TestApp<Clock>,
  options: { mode?: AppMode; accounts?: number; currency?: string; password?: string; id?: string } = {},
): Promise<TestCustomer> {
  const customer_id = options.id ?? `cust-${randomBytes(5).toString('hex')}`;
  const password = options.password ?? `pw-${randomBytes(6).toString('hex')}`;
  const db = dbOf(t);
  await insertCustomer(db, { id: customer_id, display_name: `Customer ${customer_id}`, mode: options.mode ?? 'sandbox', password_hash: await hashPassword(password) }, nowOf(t));
  const account_ids: string[] = [];
  for (let i = 0; i < (options.accounts ?? 1); i++) {
    const id = await createAccount(t.api, { currency: options.currency ?? 'USD' });
    const linked = await linkAccount(db, { customer_id, account_id: id, nickname: `Account ${i + 1}`, now: nowOf(t) });
    if (!linked.ok) throw new Error(`linkAccount: already linked to ${linked.linked_to}`);
    account_ids.push(id);
  }
  return { customer_id, password, account_ids };
}

export interface ConsentOptions {
  kind?: ConsentKind;
  permissions?: string[];
  expires_in_ms?: number;
  payment?: ConsentRequest['payment'];
}

/** A consent awaiting authorisation, made through the store (as the partner's consent API does). */
export async function makeConsent(t: AnyApp, client: TestPartner, options: ConsentOptions = {}): Promise<string> {
  const kind = options.kind ?? 'account_access';
  const defaults: Record<ConsentKind, string[]> = {
    account_access: ['accounts:read', 'balances:read', 'transactions:read'],
    payment_initiation: ['payments:create'],
    funds_confirmation: ['funds:confirm'],
  };
  const now = nowOf(t);
  const request: ConsentRequest = {
    kind,
    permissions: options.permissions ?? defaults[kind],
    expires_at: new Date(now.getTime() + (options.expires_in_ms ?? 7 * 86_400_000)),
    payment: options.payment ?? (kind === 'payment_initiation' ? { currency: 'USD', amount_limit_minor: 100_000n } : undefined),
  };
  const checked = validateConsentRequest(request, client.app, client.app.allowed_scopes, now);
  if (!checked.ok) throw new Error(`consent: ${checked.code} ${checked.detail}`);
  const created = await createConsent(dbOf(t), { id: randomUUID(), client_id: client.client_id, value: checked.value, now });
  if (!created.ok) throw new Error(`consent: ${created.code}`);
  return created.consent.id;
}

// ---------------------------------------------------------------------------------------
// Client authentication, DPoP and PKCE, as a partner's code would do them.

/** A private_key_jwt client assertion (RFC 7523) for the app; override claims or sign with another key. */
export async function clientAssertion(
  t: AnyApp,
  client: TestPartner,
  over: { aud?: string | string[]; exp_in_s?: number; jti?: string; iss?: string; sub?: string; key?: CryptoKey; kid?: string } = {},
): Promise<string> {
  if (!client.private_key && !over.key) throw new Error('clientAssertion: the app is not a private_key_jwt app');
  const now_s = Math.floor(nowOf(t).getTime() / 1000);
  return new SignJWT({ jti: over.jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: over.kid ?? client.kid! })
    .setIssuer(over.iss ?? client.client_id)
    .setSubject(over.sub ?? client.client_id)
    .setAudience(over.aud ?? appOf(t).oauth.ctx.issuer())
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + (over.exp_in_s ?? 60))
    .sign(over.key ?? client.private_key!);
}

/** The form fields and headers that authenticate the app at an OAuth endpoint. */
export async function clientAuth(t: AnyApp, client: TestPartner): Promise<{ fields: Record<string, string>; headers: Record<string, string> }> {
  if (client.auth === 'client_secret_basic') {
    const credential = Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`).toString('base64');
    return { fields: {}, headers: { authorization: `Basic ${credential}` } };
  }
  return { fields: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion(t, client) }, headers: {} };
}

export interface DpopKey {
  private_key: CryptoKey;
  public_jwk: JWK;
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const public_jwk = await exportJWK(pair.publicKey);
  return { private_key: pair.privateKey, public_jwk, jkt: await calculateJwkThumbprint(public_jwk, 'sha256') };
}

/** A DPoP proof for one request (RFC 9449 §4.2); `over` breaks it on purpose. */
export async function dpopProof(
  t: AnyApp,
  key: DpopKey,
  method: string,
  path: string,
  over: { access_token?: string; htu?: string; htm?: string; iat_offset_s?: number; jti?: string; ath?: string; typ?: string; sign_with?: CryptoKey } = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: over.jti ?? randomUUID(),
    htm: over.htm ?? method,
    htu: over.htu ?? `${appOf(t).oauth.ctx.issuer()}${path.split('?')[0]}`,
    iat: Math.floor(nowOf(t).getTime() / 1000) + (over.iat_offset_s ?? 0),
  };
  if (over.ath !== undefined) payload.ath = over.ath;
  else if (over.access_token !== undefined) payload.ath = createHash('sha256').update(over.access_token).digest('base64url');
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: over.typ ?? 'dpop+jwt', jwk: key.public_jwk }).sign(over.sign_with ?? key.private_key);
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

// ---------------------------------------------------------------------------------------
// HTTP plumbing for form posts and the consent page (cookies kept by hand: fetch has no jar).

export async function postForm(t: TestApp<Clock>, path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Res> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return new Client(t.base).request('POST', path, {
    raw: body.toString(),
    token: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

/** A browser's cookie jar for one origin, enough for the consent page. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(res: Response | Res): void {
    const list = (res.headers as Headers).getSetCookie?.() ?? [];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** A page request as a browser makes it (no redirects followed: the test reads Location). */
export async function browse(
  t: TestApp<Clock>,
  jar: CookieJar,
  method: 'GET' | 'POST',
  path: string,
  form?: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; location: string | null }> {
  let body: string | undefined;
  const h: Record<string, string> = { ...headers };
  if (jar.cookies.size > 0) h.cookie = jar.header();
  if (form) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
    body = params.toString();
    h['content-type'] = 'application/x-www-form-urlencoded';
    h.origin ??= t.base;
  }
  const res = await fetch(`${t.base}${path}`, { method, headers: h, body, redirect: 'manual' });
  jar.take(res);
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
}

/** The value of a hidden form field in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in the page`);
  return match[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

// ---------------------------------------------------------------------------------------
// The whole authorization-code flow.

export interface FlowOptions {
  consent_id: string;
  customer: TestCustomer;
  /** Accounts to approve (default: the customer's first account). */
  account_ids?: string[];
  /** Bind the code and tokens to this DPoP key. */
  dpop?: DpopKey;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  decision?: 'approve' | 'deny';
}

export interface FlowResult {
  /** The authorization response: the redirect's query parameters. */
  callback: URLSearchParams;
  code?: string;
  pkce: Pkce;
  /** The token response (when approved and exchanged). */
  tokens?: { access_token: string; refresh_token: string; token_type: string; expires_in: number; scope: string; consent_id?: string };
}

/** Pushes the authorization request (RFC 9126) and returns the request_uri. */
export async function pushAuthorizationRequest(
  t: TestApp<Clock>,
  client: TestPartner,
  params: Record<string, string>,
  dpop?: DpopKey,
): Promise<Res> {
  const auth = await clientAuth(t, client);
  const headers = { ...auth.headers };
  if (dpop) headers.dpop = await dpopProof(t, dpop, 'POST', '/oauth/par');
  return postForm(t, '/oauth/par', { client_id: client.client_id, ...auth.fields, ...params }, headers);
}

/** Signs the customer in on the consent page and approves (or denies) the consent; returns the redirect. */
export async function approveOnConsentPage(
  t: TestApp<Clock>,
  client: TestPartner,
  request_uri: string,
  options: { customer: TestCustomer; account_ids?: string[]; decision?: 'approve' | 'deny' },
): Promise<URL> {
  const jar = new CookieJar();
  const authorize = `/oauth/authorize?client_id=${encodeURIComponent(client.client_id)}&request_uri=${encodeURIComponent(request_uri)}`;
  const signIn = await browse(t, jar, 'GET', authorize);
  expect(signIn.status, signIn.text.slice(0, 300)).toBe(200);
  const login = await browse(t, jar, 'POST', '/oauth/authorize/login', {
    request_uri,
    csrf: hiddenField(signIn.text, 'csrf'),
    customer_id: options.customer.customer_id,
    password: options.customer.password,
  });
  expect(login.status, login.text.slice(0, 300)).toBe(303);
  const page = await browse(t, jar, 'GET', authorize);
  expect(page.status, page.text.slice(0, 300)).toBe(200);
  const decision = await browse(t, jar, 'POST', '/oauth/authorize/decision', {
    request_uri,
    csrf: hiddenField(page.text, 'csrf'),
    decision: options.decision ?? 'approve',
    account_id: options.account_ids ?? [options.customer.account_ids[0]!],
  });
  expect(decision.status, decision.text.slice(0, 300)).toBe(303);
  return new URL(decision.location!);
}

/** Exchanges a code at the token endpoint. */
export async function exchangeCode(
  t: TestApp<Clock>,
  client: TestPartner,
  code: string,
  verifier: string,
  options: { redirect_uri?: string; dpop?: DpopKey } = {},
): Promise<Res> {
  const auth = await clientAuth(t, client);
  const headers = { ...auth.headers };
  if (options.dpop) headers.dpop = await dpopProof(t, options.dpop, 'POST', '/oauth/token');
  return postForm(
    t,
    '/oauth/token',
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: options.redirect_uri ?? client.redirect_uri, ...auth.fields },
    headers,
  );
}

/** PAR → consent page (sign in, choose accounts, approve) → code → tokens, all over HTTP. */
export async function authorizationCodeFlow(t: TestApp<Clock>, client: TestPartner, options: FlowOptions): Promise<FlowResult> {
  const challenge = pkce();
  const state = options.state ?? randomBytes(8).toString('hex');
  const par = await pushAuthorizationRequest(
    t,
    client,
    {
      response_type: 'code',
      redirect_uri: options.redirect_uri ?? client.redirect_uri,
      code_challenge: challenge.challenge,
      code_challenge_method: 'S256',
      consent_id: options.consent_id,
      state,
      ...(options.scope ? { scope: options.scope } : {}),
    },
    options.dpop,
  );
  expect(par.status, par.text.slice(0, 300)).toBe(201);
  const redirect = await approveOnConsentPage(t, client, par.body.request_uri, {
    customer: options.customer,
    ...(options.account_ids ? { account_ids: options.account_ids } : {}),
    ...(options.decision ? { decision: options.decision } : {}),
  });
  const callback = redirect.searchParams;
  expect(callback.get('state')).toBe(state);
  const code = callback.get('code') ?? undefined;
  if (!code) return { callback, pkce: challenge };
  const exchanged = await exchangeCode(t, client, code, challenge.verifier, { ...(options.dpop ? { dpop: options.dpop } : {}) });
  expect(exchanged.status, exchanged.text.slice(0, 300)).toBe(200);
  return { callback, code, pkce: challenge, tokens: exchanged.body };
}

/** A customer with an authorised consent and its tokens, in one call. */
export async function consentedCustomer(
  t: TestApp<Clock>,
  client: TestPartner,
  options: ConsentOptions & { customer?: TestCustomer; dpop?: DpopKey; accounts?: number } = {},
): Promise<{ customer: TestCustomer; consent_id: string; tokens: NonNullable<FlowResult['tokens']> }> {
  const customer = options.customer ?? (await makeCustomer(t, { mode: client.app.mode, accounts: options.accounts ?? 1 }));
  const consent_id = await makeConsent(t, client, options);
  const flow = await authorizationCodeFlow(t, client, { consent_id, customer, ...(options.dpop ? { dpop: options.dpop } : {}) });
  return { customer, consent_id, tokens: flow.tokens! };
}

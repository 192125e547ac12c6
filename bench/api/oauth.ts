/**
 * The partner's side of OAuth 2.0, over HTTP only, as a partner's server and a customer's
 * browser do it: client credentials (client_secret_basic), a consent asked for through the
 * consent API, then PAR → the consent page (sign in, choose the account, approve) → the
 * code → tokens (PKCE S256), and refresh-token rotation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Browser, hiddenField, json, oauthForm } from './http.js';

export interface Partner {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

export interface CustomerLogin {
  customer_id: string;
  password: string;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

const basic = (p: Partner) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(p.client_id)}:${encodeURIComponent(p.client_secret)}`).toString('base64')}` });

/** The app's own access token (client credentials) for the consent API. */
export async function clientCredentials(base: string, partner: Partner, scope: string): Promise<string> {
  const answer = await oauthForm<{ access_token: string }>(base, '/oauth/token', { grant_type: 'client_credentials', scope }, basic(partner), 200);
  return answer.access_token;
}

/** POST /open-banking/v1/consents with the app's token; the consent id (awaiting authorisation). */
export async function askConsent(base: string, client_token: string, body: Record<string, unknown>): Promise<string> {
  const consent = await json<{ id: string; status: string }>(base, client_token, 'POST', '/open-banking/v1/consents', 201, body);
  if (consent.status !== 'awaiting_authorisation') throw new Error(`a new consent is ${consent.status}, expected awaiting_authorisation`);
  return consent.id;
}

/**
 * PAR → consent page → code → tokens: the customer signs in and approves `account_ids`
 * (the first is a payment consent's debtor account). Throws on any step that answers
 * otherwise than a browser and a partner expect.
 */
export async function authorise(base: string, partner: Partner, consent_id: string, customer: CustomerLogin, account_ids: readonly string[]): Promise<Tokens> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  const { request_uri } = await oauthForm<{ request_uri: string }>(
    base,
    '/oauth/par',
    { response_type: 'code', redirect_uri: partner.redirect_uri, code_challenge: challenge, code_challenge_method: 'S256', consent_id, state },
    basic(partner),
    201,
  );

  const browser = new Browser(base);
  const authorize = `/oauth/authorize?client_id=${encodeURIComponent(partner.client_id)}&request_uri=${encodeURIComponent(request_uri)}`;
  const signIn = await browser.request('GET', authorize, 200);
  await browser.request('POST', '/oauth/authorize/login', 303, {
    request_uri,
    csrf: hiddenField(signIn.text, 'csrf'),
    customer_id: customer.customer_id,
    password: customer.password,
  });
  const page = await browser.request('GET', authorize, 200);
  const decision = await browser.request('POST', '/oauth/authorize/decision', 303, {
    request_uri,
    csrf: hiddenField(page.text, 'csrf'),
    decision: 'approve',
    account_id: account_ids,
  });
  const location = decision.headers.get('location');
  if (!location) throw new Error('the consent decision redirected nowhere');
  const callback = new URL(location).searchParams;
  if (callback.get('state') !== state) throw new Error(`the redirect carries state ${callback.get('state')}, expected ${state}`);
  const code = callback.get('code');
  if (!code) throw new Error(`no code in the redirect: ${callback.get('error')} ${callback.get('error_description')}`);

  return oauthForm<Tokens>(
    base,
    '/oauth/token',
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: partner.redirect_uri },
    basic(partner),
    200,
  );
}

/** A fresh access token and the next refresh token (the one presented is rotated out). */
export function refresh(base: string, partner: Partner, tokens: Tokens): Promise<Tokens> {
  return oauthForm<Tokens>(base, '/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(partner), 200);
}

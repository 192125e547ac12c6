/**
 * The OAuth 2.0 side of the SDK, against the bank's authorization server:
 *  - discovery (RFC 8414) for the endpoints and the issuer;
 *  - client credentials, cached until shortly before expiry (the app's own calls);
 *  - the authorization-code flow for a customer's consent: PKCE S256 (RFC 7636) and a pushed
 *    authorization request (PAR, RFC 9126) give the URL to send the customer's browser to;
 *    the callback is checked (state; `iss` per RFC 9207) before the code is exchanged;
 *  - refresh with rotation: each refresh answers a new refresh token, which replaces the old
 *    one (CustomerSession stores it and tells `onTokens`);
 *  - revocation (RFC 7009) and introspection (RFC 7662);
 *  - client authentication (client-auth.ts) and DPoP proofs (dpop.ts) on every request.
 * Only client_credentials, PAR, revocation and introspection are retried after a network
 * error: a code or a refresh token is single use, and sending it twice would revoke the grant.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientAuthenticator } from './client-auth.js';
import type { DpopSigner } from './dpop.js';
import { CapillaryError, CapillaryOAuthError, errorFromResponse } from './errors.js';
import type { RawResponse, Transport } from './transport.js';
import type { FormBody } from './types.js';

/** Authorization server metadata (RFC 8414), the fields the SDK uses. */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  pushed_authorization_request_endpoint: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  jwks_uri?: string;
  authorization_response_iss_parameter_supported?: boolean;
  scopes_supported?: string[];
  [field: string]: unknown;
}

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  consent_id?: string;
}

/** Tokens as the SDK keeps them: JSON-serialisable, so a partner can store a customer's session. */
export interface TokenSet {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  /** When the access token expires (ms since the epoch, the client's clock). */
  expires_at: number;
  scope: string;
  refresh_token?: string;
  consent_id?: string;
}

/** What the partner keeps between sending the customer to the bank and the callback. */
export interface PendingAuthorization {
  state: string;
  code_verifier: string;
  redirect_uri: string;
  consent_id: string;
}

export interface AuthorizationRequest extends PendingAuthorization {
  /** Send the customer's browser here. */
  url: string;
  request_uri: string;
  /** Seconds the browser has to get there. */
  expires_in: number;
}

export interface Pkce {
  code_verifier: string;
  code_challenge: string;
}

/** A PKCE pair: a 43-character random verifier and its S256 challenge. */
export function createPkce(): Pkce {
  const code_verifier = randomBytes(32).toString('base64url');
  return { code_verifier, code_challenge: createHash('sha256').update(code_verifier).digest('base64url') };
}

export const randomState = (): string => randomBytes(24).toString('base64url');

type TokenForm = FormBody<'POST /oauth/token'>;
type ParForm = FormBody<'POST /oauth/par'>;
type RevokeForm = FormBody<'POST /oauth/revoke'>;
type IntrospectForm = FormBody<'POST /oauth/introspect'>;

export interface OAuthDeps {
  transport: Transport;
  clientId: string;
  auth: ClientAuthenticator;
  dpop?: DpopSigner | undefined;
  /** The expected issuer (default: the base URL); discovery must name exactly this. */
  issuer?: string | undefined;
  /** Default redirect URI for authorize(). */
  redirectUri?: string | undefined;
  /** Scopes for client-credentials tokens (default: all the app is allowed). */
  clientScopes?: string[] | undefined;
  /** Access tokens are renewed this long before they expire (default 30 s). */
  expirySkewMs?: number | undefined;
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class OAuthClient {
  private metadataPromise: Promise<ServerMetadata> | undefined;
  private clientTokenValue: TokenSet | undefined;
  private clientTokenPromise: Promise<TokenSet> | undefined;
  readonly expirySkewMs: number;

  constructor(private readonly deps: OAuthDeps) {
    this.expirySkewMs = deps.expirySkewMs ?? 30_000;
  }

  get clientId(): string {
    return this.deps.clientId;
  }

  get dpop(): DpopSigner | undefined {
    return this.deps.dpop;
  }

  private get transport(): Transport {
    return this.deps.transport;
  }

  private nowS(): number {
    return Math.floor(this.transport.now() / 1000);
  }

  /** The authorization server's metadata (fetched once; the issuer is checked). */
  metadata(): Promise<ServerMetadata> {
    this.metadataPromise ??= (async () => {
      const res = await this.transport.send({ method: 'GET', path: '/.well-known/oauth-authorization-server', resendable: true, nonceSlot: 'as' });
      if (res.status !== 200) throw errorFromResponse({ status: res.status, content_type: res.headers.get('content-type') ?? '', body: res.body, method: 'GET', path: '/.well-known/oauth-authorization-server' });
      const metadata = res.body as ServerMetadata;
      const expected = (this.deps.issuer ?? this.transport.baseUrl).replace(/\/+$/, '');
      if (metadata.issuer !== expected) {
        throw new CapillaryError(`the authorization server says its issuer is ${metadata.issuer}, not ${expected} (RFC 8414 §3.3): check baseUrl/issuer`);
      }
      return metadata;
    })().catch((err: unknown) => {
      this.metadataPromise = undefined; // the next call asks again
      throw err;
    });
    return this.metadataPromise;
  }

  /** POSTs a form to an OAuth endpoint with client authentication (a fresh assertion and DPoP proof per attempt). */
  private async post(endpoint: string, fields: Record<string, string | undefined>, options: { resendable: boolean; dpop: boolean }): Promise<RawResponse> {
    const metadata = await this.metadata();
    const path = endpoint;
    const res = await this.transport.send({
      method: 'POST',
      path,
      resendable: options.resendable,
      nonceSlot: 'as',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      authorize: async (ctx) => {
        const creds = await this.deps.auth.credentials(metadata.issuer, this.nowS());
        const form = new URLSearchParams();
        for (const [name, value] of Object.entries({ ...fields, ...creds.fields })) if (value !== undefined) form.append(name, value);
        const headers = { ...creds.headers };
        if (options.dpop && this.deps.dpop) headers.dpop = await this.deps.dpop.proof({ method: 'POST', url: ctx.url, nonce: ctx.nonce, now_s: this.nowS() });
        return { headers, body: form.toString() };
      },
    });
    if (res.status < 200 || res.status >= 300) {
      throw errorFromResponse({ status: res.status, content_type: res.headers.get('content-type') ?? '', body: res.body, method: 'POST', path: new URL(path, this.transport.baseUrl).pathname });
    }
    return res;
  }

  private toTokenSet(body: TokenResponse): TokenSet {
    if (typeof body?.access_token !== 'string') throw new CapillaryError('the token endpoint answered without an access_token');
    return {
      access_token: body.access_token,
      token_type: body.token_type === 'DPoP' ? 'DPoP' : 'Bearer',
      expires_at: this.transport.now() + body.expires_in * 1000,
      scope: body.scope ?? '',
      ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
      ...(body.consent_id ? { consent_id: body.consent_id } : {}),
    };
  }

  private async token(fields: TokenForm, resendable: boolean): Promise<TokenSet> {
    const metadata = await this.metadata();
    const res = await this.post(metadata.token_endpoint, fields as Record<string, string | undefined>, { resendable, dpop: true });
    return this.toTokenSet(res.body as TokenResponse);
  }

  /** A new client-credentials token (the app's own calls: consents, risk checks). */
  clientCredentials(scopes: string[] | undefined = this.deps.clientScopes): Promise<TokenSet> {
    return this.token({ grant_type: 'client_credentials', client_id: this.deps.clientId, ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}) }, true);
  }

  /** The cached client-credentials token, renewed shortly before it expires. */
  async clientToken(): Promise<TokenSet> {
    const cached = this.clientTokenValue;
    if (cached && cached.expires_at - this.expirySkewMs > this.transport.now()) return cached;
    this.clientTokenPromise ??= this.clientCredentials()
      .then((t) => (this.clientTokenValue = t))
      .finally(() => (this.clientTokenPromise = undefined));
    return this.clientTokenPromise;
  }

  /** Forgets the cached client token (the server refused it). */
  invalidateClientToken(): void {
    this.clientTokenValue = undefined;
  }

  /** PAR: pushes the authorization request; answers the request_uri for the browser. */
  async pushAuthorizationRequest(fields: Omit<ParForm, 'client_assertion' | 'client_assertion_type'>): Promise<{ request_uri: string; expires_in: number }> {
    const metadata = await this.metadata();
    const res = await this.post(metadata.pushed_authorization_request_endpoint, { client_id: this.deps.clientId, ...fields } as Record<string, string | undefined>, {
      resendable: true,
      dpop: true,
    });
    const body = res.body as { request_uri?: unknown; expires_in?: unknown };
    if (typeof body?.request_uri !== 'string') throw new CapillaryError('the PAR endpoint answered without a request_uri');
    return { request_uri: body.request_uri, expires_in: typeof body.expires_in === 'number' ? body.expires_in : 60 };
  }

  /** The URL of the consent page for a pushed request. */
  async authorizationUrl(request_uri: string): Promise<string> {
    const metadata = await this.metadata();
    const url = new URL(metadata.authorization_endpoint);
    url.searchParams.set('client_id', this.deps.clientId);
    url.searchParams.set('request_uri', request_uri);
    return url.href;
  }

  /**
   * Starts a customer's consent: makes PKCE and state, pushes the request (bound to the DPoP
   * key when one is configured) and answers the URL to send the browser to, plus what to keep
   * for the callback (state, code_verifier, redirect_uri, consent_id).
   */
  async authorize(input: { consent_id: string; redirect_uri?: string; scope?: string[]; state?: string }): Promise<AuthorizationRequest> {
    const redirect_uri = input.redirect_uri ?? this.deps.redirectUri;
    if (!redirect_uri) throw new CapillaryError('authorize needs a redirect_uri (pass it, or set redirectUri on the client)');
    const pkce = createPkce();
    const state = input.state ?? randomState();
    const pushed = await this.pushAuthorizationRequest({
      response_type: 'code',
      redirect_uri,
      code_challenge: pkce.code_challenge,
      code_challenge_method: 'S256',
      consent_id: input.consent_id,
      state,
      ...(input.scope && input.scope.length > 0 ? { scope: input.scope.join(' ') } : {}),
    });
    return {
      url: await this.authorizationUrl(pushed.request_uri),
      request_uri: pushed.request_uri,
      expires_in: pushed.expires_in,
      state,
      code_verifier: pkce.code_verifier,
      redirect_uri,
      consent_id: input.consent_id,
    };
  }

  /**
   * Checks the authorization response the browser brought back to the redirect URI: the
   * issuer (RFC 9207: mix-up attacks), the state (CSRF), then an error or the code.
   */
  async parseCallback(input: string | URL | URLSearchParams, expected: { state: string }): Promise<{ code: string }> {
    const params = input instanceof URLSearchParams ? input : new URL(typeof input === 'string' ? input : input.href, 'http://callback.invalid').searchParams;
    const metadata = await this.metadata();
    const fail = (error: string, description: string) => new CapillaryOAuthError({ status: 0, error, error_description: description, endpoint: '' });
    const iss = params.get('iss');
    if (iss === null) {
      if (metadata.authorization_response_iss_parameter_supported) throw fail('missing_issuer', 'the authorization response has no iss parameter');
    } else if (iss !== metadata.issuer) {
      throw fail('issuer_mismatch', `the authorization response comes from ${iss}, not ${metadata.issuer}`);
    }
    const state = params.get('state');
    if (state === null || !sameText(state, expected.state)) throw fail('state_mismatch', 'the state does not match the one this authorization request was sent with');
    const error = params.get('error');
    if (error !== null) throw fail(error, params.get('error_description') ?? '');
    const code = params.get('code');
    if (!code) throw fail('missing_code', 'the authorization response has neither code nor error');
    return { code };
  }

  /** Exchanges an authorization code (single use: never retried after a network error). */
  exchangeCode(input: { code: string; code_verifier: string; redirect_uri: string }): Promise<TokenSet> {
    return this.token(
      { grant_type: 'authorization_code', client_id: this.deps.clientId, code: input.code, code_verifier: input.code_verifier, redirect_uri: input.redirect_uri },
      false,
    );
  }

  /** parseCallback + exchangeCode: the customer's tokens under the consent. */
  async callback(input: string | URL | URLSearchParams, pending: Pick<PendingAuthorization, 'state' | 'code_verifier' | 'redirect_uri'>): Promise<TokenSet> {
    const { code } = await this.parseCallback(input, pending);
    return this.exchangeCode({ code, code_verifier: pending.code_verifier, redirect_uri: pending.redirect_uri });
  }

  /**
   * Refresh (rotation): answers new tokens with a new refresh token; the old one is dead.
   * Never retried after a network error: the server may have rotated it already, and
   * presenting the old one again revokes the whole grant.
   */
  refresh(refresh_token: string, scopes?: string[]): Promise<TokenSet> {
    return this.token(
      { grant_type: 'refresh_token', client_id: this.deps.clientId, refresh_token, ...(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {}) },
      false,
    );
  }

  /** Revokes a token (a refresh token revokes its whole grant). 200 whether or not it was known. */
  async revoke(token: string, token_type_hint?: 'access_token' | 'refresh_token'): Promise<void> {
    const metadata = await this.metadata();
    if (!metadata.revocation_endpoint) throw new CapillaryError('the authorization server has no revocation endpoint');
    const fields: RevokeForm = { token, ...(token_type_hint ? { token_type_hint } : {}) } as RevokeForm;
    await this.post(metadata.revocation_endpoint, { client_id: this.deps.clientId, ...(fields as Record<string, string>) }, { resendable: true, dpop: false });
  }

  /** Introspects one of the app's own tokens: `{ active: false }` or what it carries. */
  async introspect(token: string, token_type_hint?: 'access_token' | 'refresh_token'): Promise<{ active: boolean; [claim: string]: unknown }> {
    const metadata = await this.metadata();
    if (!metadata.introspection_endpoint) throw new CapillaryError('the authorization server has no introspection endpoint');
    const fields: IntrospectForm = { token, ...(token_type_hint ? { token_type_hint } : {}) } as IntrospectForm;
    const res = await this.post(metadata.introspection_endpoint, { client_id: this.deps.clientId, ...(fields as Record<string, string>) }, { resendable: true, dpop: false });
    return res.body as { active: boolean };
  }
}

/**
 * A customer's tokens under one consent. Gives a valid access token, refreshing (once, even
 * when many calls ask at the same time) when it is about to expire; every refresh stores the
 * rotated refresh token and hands the new tokens to `onTokens`, so the partner can persist them.
 */
export class CustomerSession {
  private current: TokenSet;
  private refreshing: Promise<TokenSet> | undefined;

  constructor(
    private readonly oauth: OAuthClient,
    tokens: TokenSet,
    private readonly onTokens?: (tokens: TokenSet) => void | Promise<void>,
  ) {
    this.current = { ...tokens };
  }

  get tokens(): TokenSet {
    return { ...this.current };
  }

  get consentId(): string | undefined {
    return this.current.consent_id;
  }

  /** The access token to use now (refreshed first when it is about to expire and can be). */
  async token(now_ms: number): Promise<TokenSet> {
    if (this.current.expires_at - this.oauth.expirySkewMs <= now_ms && this.current.refresh_token) return this.refresh();
    return this.current;
  }

  /** Refreshes now (single flight) and stores the rotated refresh token. */
  refresh(): Promise<TokenSet> {
    this.refreshing ??= (async () => {
      const refresh_token = this.current.refresh_token;
      if (!refresh_token) throw new CapillaryError('this customer session has no refresh token: ask the customer for consent again');
      const next = await this.oauth.refresh(refresh_token);
      this.current = { ...next, ...(next.consent_id ? {} : this.current.consent_id ? { consent_id: this.current.consent_id } : {}) };
      await this.onTokens?.(this.tokens);
      return this.current;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Revokes the grant (the refresh token's family and its access tokens); the session is then unusable. */
  async revoke(): Promise<void> {
    if (this.current.refresh_token) await this.oauth.revoke(this.current.refresh_token, 'refresh_token');
    else await this.oauth.revoke(this.current.access_token, 'access_token');
  }
}

/**
 * Client authentication at the OAuth endpoints (token, PAR, revocation, introspection):
 *  - private_key_jwt (RFC 7523): a short JWT signed with the app's private key (its public
 *    half is registered with the bank), iss = sub = client_id, aud = the issuer, a fresh jti.
 *    Recommended (FAPI 2.0): no shared secret exists.
 *  - client_secret_basic (RFC 6749 §2.3.1): HTTP Basic with the form-encoded client_id and secret.
 */
import { SignJWT, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import { uuidv4 } from './ids.js';
import { isJwk } from './dpop.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** How long an assertion is valid (the server accepts at most 300 s). */
export const ASSERTION_LIFETIME_S = 60;

export type ClientAuthConfig =
  | {
      method: 'private_key_jwt';
      /** A CryptoKey, a private JWK, or a PKCS#8 PEM string. */
      privateKey: CryptoKey | JWK | string;
      /** The `kid` of the registered public key (sent in the JWT header). */
      kid?: string;
      /** Default: the JWK's alg, else ES256. */
      alg?: string;
    }
  | { method: 'client_secret_basic'; clientSecret: string };

/** What authenticates one OAuth request: form fields and/or headers. */
export interface ClientCredentials {
  fields: Record<string, string>;
  headers: Record<string, string>;
}

const formEncode = (text: string): string => encodeURIComponent(text).replace(/%20/g, '+');

export class ClientAuthenticator {
  private key: Promise<CryptoKey> | undefined;

  constructor(
    readonly clientId: string,
    private readonly config: ClientAuthConfig,
  ) {}

  get method(): ClientAuthConfig['method'] {
    return this.config.method;
  }

  /** Fields and headers for one request; `audience` is the authorization server's issuer. */
  async credentials(audience: string, now_s: number): Promise<ClientCredentials> {
    if (this.config.method === 'client_secret_basic') {
      const basic = Buffer.from(`${formEncode(this.clientId)}:${formEncode(this.config.clientSecret)}`).toString('base64');
      return { fields: {}, headers: { authorization: `Basic ${basic}` } };
    }
    return { fields: { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await this.assertion(audience, now_s) }, headers: {} };
  }

  /** A private_key_jwt client assertion. */
  async assertion(audience: string, now_s: number): Promise<string> {
    if (this.config.method !== 'private_key_jwt') throw new Error('this client authenticates with client_secret_basic');
    const alg = this.alg();
    const key = await (this.key ??= this.importKey(alg));
    const header: { alg: string; typ: string; kid?: string } = { alg, typ: 'JWT' };
    const kid = this.config.kid ?? (isJwk(this.config.privateKey) ? this.config.privateKey.kid : undefined);
    if (kid) header.kid = kid;
    return new SignJWT({ jti: uuidv4() })
      .setProtectedHeader(header)
      .setIssuer(this.clientId)
      .setSubject(this.clientId)
      .setAudience(audience)
      .setIssuedAt(now_s)
      .setExpirationTime(now_s + ASSERTION_LIFETIME_S)
      .sign(key);
  }

  private alg(): string {
    if (this.config.method !== 'private_key_jwt') return '';
    return this.config.alg ?? (isJwk(this.config.privateKey) && this.config.privateKey.alg ? this.config.privateKey.alg : 'ES256');
  }

  private async importKey(alg: string): Promise<CryptoKey> {
    if (this.config.method !== 'private_key_jwt') throw new Error('no private key');
    const k = this.config.privateKey;
    if (typeof k === 'string') return importPKCS8(k, alg);
    if (isJwk(k)) return (await importJWK(k, alg)) as CryptoKey;
    return k;
  }
}

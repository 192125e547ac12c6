/**
 * DPoP (RFC 9449): sender-constrained tokens. The client holds a key pair; every request to
 * the token endpoint and every API call with a DPoP-bound token carries a fresh proof — a
 * JWT signed by the key, naming the method and URL, with a unique jti, the hash of the access
 * token (`ath`) and the server's nonce when it asked for one. A stolen token is useless
 * without the private key.
 */
import { createHash } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { uuidv4 } from './ids.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export const publicJwkOf = (jwk: JWK): JWK => {
  const out: Record<string, unknown> = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete out[m];
  delete out.key_ops;
  delete out.ext;
  return out as JWK;
};

export interface DpopKeyInput {
  /** The private key: a CryptoKey (then give publicJwk, or make it extractable) or a private JWK. */
  privateKey: CryptoKey | JWK;
  publicJwk?: JWK;
  /** Default ES256. */
  alg?: string;
}

export class DpopSigner {
  private thumbprintValue: string | undefined;

  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly alg: string,
  ) {}

  /** A new key pair (ES256 unless told otherwise). Keep the same signer for a session's whole life: its tokens are bound to it. */
  static async generate(alg = 'ES256'): Promise<DpopSigner> {
    const pair = await generateKeyPair(alg, { extractable: true });
    return new DpopSigner(pair.privateKey, publicJwkOf(await exportJWK(pair.publicKey)), alg);
  }

  static async from(input: DpopKeyInput): Promise<DpopSigner> {
    const alg = input.alg ?? (typeof (input.privateKey as JWK).alg === 'string' ? (input.privateKey as JWK).alg! : 'ES256');
    if (isJwk(input.privateKey)) {
      const key = (await importJWK(input.privateKey, alg)) as CryptoKey;
      return new DpopSigner(key, publicJwkOf(input.publicJwk ?? input.privateKey), alg);
    }
    const publicJwk = input.publicJwk ?? publicJwkOf(await exportJWK(input.privateKey));
    return new DpopSigner(input.privateKey, publicJwkOf(publicJwk), alg);
  }

  /** The JWK SHA-256 thumbprint (RFC 7638) the server binds tokens to (`cnf.jkt`, `dpop_jkt`). */
  async thumbprint(): Promise<string> {
    this.thumbprintValue ??= await calculateJwkThumbprint(this.publicJwk, 'sha256');
    return this.thumbprintValue;
  }

  /** A proof for one request. `url` without query or fragment. */
  async proof(input: { method: string; url: string; accessToken?: string | undefined; nonce?: string | undefined; now_s: number }): Promise<string> {
    const payload: Record<string, unknown> = { jti: uuidv4(), htm: input.method, htu: input.url.split('?')[0]!.split('#')[0]!, iat: input.now_s };
    if (input.accessToken !== undefined) payload.ath = createHash('sha256').update(input.accessToken).digest('base64url');
    if (input.nonce !== undefined) payload.nonce = input.nonce;
    return new SignJWT(payload).setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.publicJwk }).sign(this.privateKey);
  }
}

export const isJwk = (key: unknown): key is JWK => typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string';

/**
 * A software passkey for tests without a browser: an ES256 key pair that answers WebAuthn
 * registration ('none' attestation) and authentication options the way a platform
 * authenticator would, with the origin, counter and challenge under the test's control.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64u = (b: Uint8Array | Buffer) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | Buffer | string) => createHash('sha256').update(b).digest();
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface CeremonyOptions {
  challenge: string;
  rp?: { id?: string };
  rpId?: string;
  user?: { id: string };
}

export class SoftPasskey {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;
  userHandle: string | undefined;

  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    this.publicJwk = { x: jwk.x, y: jwk.y };
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  /** A navigator.credentials.create() answer as PublicKeyCredential.toJSON() gives it. */
  register(options: CeremonyOptions, origin: string) {
    const rpId = options.rp?.id ?? new URL(origin).hostname;
    this.userHandle = options.user?.id;
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(this.publicJwk.x, 'base64url')],
      [-3, Buffer.from(this.publicJwk.y, 'base64url')],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      this.counterBytes(),
      Buffer.alloc(16), // aaguid
      idLength,
      this.credentialId,
      Buffer.from(isoCBOR.encode(cose)),
    ]);
    const attestation = new Map<string, Parameters<typeof isoCBOR.encode>[0]>();
    attestation.set('fmt', 'none');
    attestation.set('attStmt', new Map());
    attestation.set('authData', new Uint8Array(authData));
    const attestationObject = isoCBOR.encode(attestation);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * A navigator.credentials.get() answer; `counter` overrides the next counter value,
   * `user_verified: false` answers as an authenticator that only tested presence (no PIN or biometric).
   */
  authenticate(options: CeremonyOptions, origin: string, opts: { counter?: number; user_verified?: boolean } = {}) {
    const rpId = options.rpId ?? new URL(origin).hostname;
    this.counter = opts.counter ?? this.counter + 1;
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
    const flags = opts.user_verified === false ? FLAG_UP : FLAG_UP | FLAG_UV;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), this.counterBytes()]);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private counterBytes(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.counter);
    return b;
  }
}

import { Client } from './http.js';
import type { App } from '../../src/server/app.js';
import { type AccountId, type TransferId } from '../../src/ledger/types.js';
import { randomUUID } from 'node:crypto';

export interface SignedUp {
  customer: { id: string; display_name: string; phone_masked: string };
  token: string;
  passkey: SoftPasskey;
  device_id: string;
  /** A client holding the session token as Bearer. */
  me: Client;
}

let devices = 0;
export const newDeviceId = (): string => `device-${process.pid}-${++devices}-${randomUUID().slice(0, 8)}`;

/** Signs a new customer up with a software passkey, over HTTP; `base` is the test app's URL (its origin). */
export async function signUpCustomer(base: string, display_name: string, phone: string, device_id = newDeviceId()): Promise<SignedUp> {
  const anon = new Client(base, null);
  const options = await anon.post('/v1/identity/passkeys/registration/options', { display_name, phone });
  if (options.status !== 200) throw new Error(`registration options: ${options.status} ${options.text}`);
  const passkey = new SoftPasskey();
  const verify = await anon.post('/v1/identity/passkeys/registration/verify', {
    flow_id: options.body.flow_id,
    response: passkey.register(options.body.options, base),
    device_id,
  });
  if (verify.status !== 201) throw new Error(`registration verify: ${verify.status} ${verify.text}`);
  return { customer: verify.body.customer, token: verify.body.session.token, passkey, device_id, me: new Client(base, verify.body.session.token) };
}

/** Puts money into a customer account from a fresh bank cash account (through the ledger service). */
export async function fund(app: App, account_id: string, amount: bigint): Promise<void> {
  const cash = randomUUID() as AccountId;
  const [created] = await app.ledger.createAccounts([{ id: cash, currency: 'CNY', code: 1001, flags: 0 }]);
  if (!created?.ok) throw new Error('cash account refused');
  const [moved] = await app.ledger.submitTransfers([{ id: randomUUID() as TransferId, debit_account_id: cash, credit_account_id: account_id as AccountId, amount, code: 1, flags: 0, metadata: { memo: 'deposit' } }]);
  if (!moved?.ok) throw new Error(`deposit refused: ${JSON.stringify(moved)}`);
}

/**
 * The WebAuthn ceremonies (@simplewebauthn/server): each starts with options holding a
 * challenge we keep server-side under a flow id (5 minutes, single use) and ends by
 * verifying the browser's response against that challenge, the flow's origin and RP ID.
 * Passkeys are discoverable (residentKey required), so signing in needs no username.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/port.js';
import { uuidv7 } from '../db/uuid.js';
import type { Clock } from '../server/clock.js';
import { ProblemError } from '../server/problem.js';
import { FLOW_LIFETIME_MS, PROMPT_TIMEOUT_MS } from './core.js';
import type { RelyingParty } from './origins.js';
import * as store from './store.js';

/** ES256 and RS256: what every platform authenticator offers. */
const ALGORITHMS = [-7, -257];

export interface Registered {
  customer_id: string;
  display_name: string;
  phone: string;
  passkey: store.PasskeyRow & { device_type: string; backed_up: boolean };
}

export class Passkeys {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly rp_name: string) {}

  async registrationOptions(rp: RelyingParty, display_name: string, phone: string): Promise<{ flow_id: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    if (await store.phoneTaken(this.db, phone)) {
      throw new ProblemError('phone_already_registered', 'a customer with this phone number exists: sign in instead', { field: 'phone' });
    }
    const customer_id = uuidv7(this.clock.now().getTime());
    const options = await generateRegistrationOptions({
      rpName: this.rp_name,
      rpID: rp.rp_id,
      userName: phone,
      userDisplayName: display_name,
      userID: new TextEncoder().encode(customer_id),
      attestationType: 'none',
      // A bank's passkey is two factors: the device and its screen lock (biometric or PIN), so user verification is required.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: ALGORITHMS,
      timeout: PROMPT_TIMEOUT_MS,
    });
    const flow_id = await this.saveFlow({ kind: 'registration', challenge: options.challenge, ...rp, customer_id, display_name, phone });
    return { flow_id, options };
  }

  async verifyRegistration(flow_id: string, response: RegistrationResponseJSON): Promise<Registered> {
    const flow = await this.takeFlow(flow_id, 'registration');
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: flow.challenge,
        expectedOrigin: flow.origin,
        expectedRPID: flow.rp_id,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (err) {
      throw refused(err);
    }
    if (!verified.verified) throw refused(undefined);
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    return {
      customer_id: flow.customer_id!,
      display_name: flow.display_name!,
      phone: flow.phone!,
      passkey: {
        id: credential.id,
        customer_id: flow.customer_id!,
        public_key: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: (credential.transports ?? []).slice(0, 8),
        device_type: credentialDeviceType,
        backed_up: credentialBackedUp,
      },
    };
  }

  async authenticationOptions(rp: RelyingParty): Promise<{ flow_id: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const options = await generateAuthenticationOptions({ rpID: rp.rp_id, userVerification: 'required', timeout: PROMPT_TIMEOUT_MS });
    const flow_id = await this.saveFlow({ kind: 'authentication', challenge: options.challenge, ...rp, customer_id: null, display_name: null, phone: null });
    return { flow_id, options };
  }

  /** The customer whose passkey signed the challenge; the stored counter moves forward. */
  async verifyAuthentication(flow_id: string, response: AuthenticationResponseJSON): Promise<string> {
    const flow = await this.takeFlow(flow_id, 'authentication');
    const passkey = await store.findPasskey(this.db, response.id);
    if (!passkey) throw refused(new Error('unknown passkey'));
    // A discoverable credential names its user: it must be the passkey's owner.
    const handle = response.response.userHandle;
    if (handle !== undefined && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.customer_id) throw refused(new Error('user handle mismatch'));
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: flow.challenge,
        expectedOrigin: flow.origin,
        expectedRPID: flow.rp_id,
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.public_key, 'base64url'), counter: passkey.counter, transports: passkey.transports },
        requireUserVerification: true,
      });
    } catch (err) {
      throw refused(err);
    }
    if (!verified.verified) throw refused(undefined);
    const moved = await store.advancePasskey(this.db, passkey.id, passkey.counter, verified.authenticationInfo.newCounter, this.clock.now());
    if (!moved) throw refused(new Error('the passkey was used concurrently'));
    return passkey.customer_id;
  }

  private async saveFlow(f: Omit<store.FlowRow, 'id'>): Promise<string> {
    const now = this.clock.now();
    const id = randomUUID();
    await store.purgeExpired(this.db, now);
    await store.insertFlow(this.db, { id, ...f }, now, new Date(now.getTime() + FLOW_LIFETIME_MS));
    return id;
  }

  private async takeFlow(id: string, kind: store.FlowRow['kind']): Promise<store.FlowRow> {
    const flow = await store.consumeFlow(this.db, id, kind, this.clock.now());
    if (!flow) throw new ProblemError('webauthn_flow_invalid', 'the flow is unknown, expired or already used: start again', { field: 'flow_id' });
    return flow;
  }
}

/** Why verification failed goes in the detail (the library's message: origin, challenge, counter…), never a 500. */
function refused(err: unknown): ProblemError {
  const why = err instanceof Error ? err.message.slice(0, 200) : 'the response did not verify';
  return new ProblemError('webauthn_verification_failed', `the passkey response was refused: ${why}`, { field: 'response' });
}

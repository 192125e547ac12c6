/**
 * The mini-program bridge protocol, host side (docs/mini-programs.md, "Bridge"): version 1,
 * request/response by id over postMessage. This file only parses and checks messages; the
 * host (host.tsx) decides, shows the bank's sheets, and answers.
 *
 *   request  {capillary: 'bridge', v: 1, id, method, params}
 *   response {capillary: 'bridge', v: 1, id, ok: true, result} | {…, ok: false, error: {code, message}}
 */
export const BRIDGE_VERSION = 1;
export const METHODS = ['getContext', 'getAuthCode', 'requestPayment', 'getLocation'] as const;
export type Method = (typeof METHODS)[number];

/** The bridge scope each method needs (getContext needs none). */
export const SCOPE_OF: Record<Method, string | null> = { getContext: null, getAuthCode: 'auth_code', requestPayment: 'payment', getLocation: 'location' };

export type BridgeErrorCode =
  | 'unsupported_version'
  | 'unknown_method'
  | 'invalid_params'
  | 'scope_not_granted'
  | 'busy'
  | 'user_cancelled'
  | 'payment_failed'
  | 'auth_failed'
  | 'location_unavailable'
  | 'network_error';

export interface BridgeRequest {
  id: string;
  method: string;
  params: Record<string, unknown>;
}

export class BridgeFailure extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A bridge request, or undefined for anything else (other messages are ignored, not answered). Throws BridgeFailure for a bridge request of another version. */
export function parseRequest(data: unknown): BridgeRequest | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  if (d.capillary !== 'bridge' || typeof d.id !== 'string' || !ID.test(d.id) || 'ok' in d) return undefined;
  if (d.v !== BRIDGE_VERSION) throw new BridgeFailure('unsupported_version', `this host speaks bridge version ${BRIDGE_VERSION}`);
  const params = d.params === undefined ? {} : d.params;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return { id: d.id, method: '__invalid__', params: {} };
  return { id: d.id, method: typeof d.method === 'string' ? d.method : '', params: params as Record<string, unknown> };
}

export const isMethod = (m: string): m is Method => (METHODS as readonly string[]).includes(m);

export interface PaymentParams {
  amount_minor: string;
  currency: string;
  reference: string;
  payee: string | null;
}

const invalid = (message: string) => new BridgeFailure('invalid_params', message);

export function paymentParams(p: Record<string, unknown>): PaymentParams {
  const amount = p.amount_minor;
  if (typeof amount !== 'string' || !/^[1-9][0-9]{0,15}$/.test(amount)) throw invalid('amount_minor must be a positive integer of minor units, as a string (e.g. "1250")');
  if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency)) throw invalid('currency must be an ISO 4217 code such as CNY');
  if (typeof p.reference !== 'string' || p.reference.length === 0 || p.reference.length > 64 || /[\u0000-\u001f\u007f]/.test(p.reference)) {
    throw invalid('reference must be 1 to 64 printable characters');
  }
  if (p.payee !== undefined && (typeof p.payee !== 'string' || p.payee.length > 64)) throw invalid('payee, if sent, must be a string of at most 64 characters');
  return { amount_minor: amount, currency: p.currency, reference: p.reference, payee: typeof p.payee === 'string' && p.payee.trim() ? p.payee.trim() : null };
}

export interface AuthCodeParams {
  scope: 'accounts' | 'funds_confirmation';
  code_challenge: string;
  redirect_uri: string | undefined;
}

export function authCodeParams(p: Record<string, unknown>): AuthCodeParams {
  const scopes = p.scopes;
  if (!Array.isArray(scopes) || scopes.length !== 1 || (scopes[0] !== 'accounts' && scopes[0] !== 'funds_confirmation')) {
    throw invalid('scopes must be ["accounts"] or ["funds_confirmation"]');
  }
  if (typeof p.code_challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge)) {
    throw invalid('code_challenge must be BASE64URL(SHA-256(code_verifier)), 43 characters (PKCE S256)');
  }
  if (p.redirect_uri !== undefined && (typeof p.redirect_uri !== 'string' || p.redirect_uri.length > 2000)) throw invalid('redirect_uri, if sent, must be a string');
  return { scope: scopes[0], code_challenge: p.code_challenge, redirect_uri: p.redirect_uri as string | undefined };
}

/** Coarse position: two decimals (about 1 km), so a mini-program never gets a precise fix. */
export const coarse = (degrees: number): number => Math.round(degrees * 100) / 100;

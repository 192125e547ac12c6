/**
 * Idempotency-Key, pure: which requests it applies to, what a valid key is, the hash that
 * tells "the same request" from "another request under the same key", and what to do with
 * a repeat given the stored record. The store (idempotency-store.ts) and the Fastify hooks
 * (idempotency-hook.ts) carry it out.
 */
import { createHash } from 'node:crypto';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotency-replayed';
export const KEY_LENGTH_MAX = 255;
/** A stored response is replayed for this long after the first request started. */
export const RECORD_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-progress record older than this is taken to belong to a crashed request and may be taken over. */
export const IN_PROGRESS_TAKEOVER_MS = 60_000;
/** Seconds a client is told to wait (Retry-After) when the first request is still running. */
export const IN_PROGRESS_RETRY_AFTER_S = 1;
/** A response body larger than this is not kept (the key is released, see the hook). */
export const STORED_BODY_BYTES_MAX = 8 << 20;
/** The response headers a replay repeats; the others (dates, request id, rate limits) are the replay's own. */
export const STORED_HEADERS = ['content-type', 'location'] as const;

/** 1–255 printable ASCII characters (space to tilde). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export type KeyCheck = { ok: true; key: string } | { ok: false; detail: string };

/** Undefined when the request sent no Idempotency-Key (the hook then does nothing at all). */
export function checkIdempotencyKey(raw: string | string[] | undefined): KeyCheck | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return { ok: false, detail: 'send one Idempotency-Key header, not several' };
  if (raw.length === 0) return { ok: false, detail: 'Idempotency-Key is empty; send 1 to 255 printable ASCII characters' };
  if (raw.length > KEY_LENGTH_MAX) return { ok: false, detail: `Idempotency-Key is ${raw.length} characters long; at most ${KEY_LENGTH_MAX} are allowed` };
  if (!KEY_PATTERN.test(raw)) return { ok: false, detail: 'Idempotency-Key may hold only printable ASCII characters (space to ~)' };
  return { ok: true, key: raw };
}

/** Every POST except the OAuth endpoints (whose codes and tokens have one-time rules of their own). */
export function appliesTo(method: string, url: string): boolean {
  return method === 'POST' && !url.startsWith('/oauth/') && url !== '/oauth';
}

/**
 * JSON with object keys sorted at every level and no whitespace, so two bodies that parse
 * to the same value (keys in another order, other spacing) hash the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON body; a request without a body hashes as the empty string. */
export function bodyHash(body: unknown): string {
  return createHash('sha256')
    .update(body === undefined ? '' : canonicalJson(body))
    .digest('hex');
}

/** The request a key is used for: the same key must always come with the same three. */
export interface Attempt {
  method: string;
  /** The URL path with its query string, as sent. */
  path: string;
  body_hash: string;
}

export interface StoredResponse {
  status_code: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRecord extends Attempt {
  principal: string;
  key: string;
  state: 'in_progress' | 'done';
  /** Set when state is done. */
  response: StoredResponse | undefined;
  created_at: Date;
  expires_at: Date;
  /** A random id of the request that holds the record; only it may complete or release it. */
  owner: string;
}

export type Decision =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'reused'; detail: string }
  | { kind: 'in_progress'; retry_after_s: number }
  /** The record is expired, or in progress for too long: the new request may run in its place. */
  | { kind: 'take_over' };

/** What to do with a request whose key already has a record. */
export function decide(record: IdempotencyRecord, attempt: Attempt, now: Date): Decision {
  if (record.expires_at.getTime() <= now.getTime()) return { kind: 'take_over' };
  if (record.method !== attempt.method || record.path !== attempt.path) {
    return { kind: 'reused', detail: `this Idempotency-Key was used for ${record.method} ${record.path} in the last 24 hours; use a new key for another request` };
  }
  if (record.body_hash !== attempt.body_hash) {
    return { kind: 'reused', detail: 'this Idempotency-Key was used with a different body in the last 24 hours; use a new key for another request' };
  }
  if (record.state === 'done' && record.response) return { kind: 'replay', response: record.response };
  if (now.getTime() - record.created_at.getTime() >= IN_PROGRESS_TAKEOVER_MS) return { kind: 'take_over' };
  return { kind: 'in_progress', retry_after_s: IN_PROGRESS_RETRY_AFTER_S };
}

/**
 * Whether a response is kept for replay. 5xx and 429 are not: they say "not done, try
 * again", so the key is released and a retry with it runs the request afresh.
 */
export function isStorable(status_code: number): boolean {
  return status_code < 500 && status_code !== 429;
}

/** The headers a replay repeats, from the headers of the first response. */
export function pickStoredHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
    else if (typeof value === 'number') out[name] = String(value);
  }
  return out;
}

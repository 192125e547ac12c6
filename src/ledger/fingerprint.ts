import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and bigints as strings: equal data, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short stable digest of what a client sent, used to tell a replay from a conflicting reuse of an id. */
export function fingerprint(value: unknown): string {
  return digest(canonicalJson(value));
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Identifiers the SDK makes: UUID v7 for ids the client chooses, v4 for Idempotency-Keys and JWT ids. */
import { randomUUID, getRandomValues } from 'node:crypto';

export const uuidv4 = (): string => randomUUID();

/** A UUID v7 (RFC 9562): 48-bit unix milliseconds, then random bits; sorts by creation time. */
export function uuidv7(now_ms: number = Date.now()): string {
  const bytes = getRandomValues(new Uint8Array(16));
  let ms = Math.floor(now_ms);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

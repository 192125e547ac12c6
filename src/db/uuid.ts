import { randomUUID } from 'node:crypto';

/**
 * A UUID v7 (the id shape the ledger prefers): 48-bit Unix milliseconds, then random bits.
 * Built from randomUUID (which draws from a cached entropy pool) so millions are cheap.
 */
export function uuidv7(now_ms: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx
  const time = now_ms.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

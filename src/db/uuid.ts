import { createHash, randomUUID } from 'node:crypto';

/**
 * A UUID v7 (the id shape the ledger prefers): 48-bit Unix milliseconds, then random bits.
 * Built from randomUUID (which draws from a cached entropy pool) so millions are cheap.
 */
export function uuidv7(now_ms: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx
  const time = now_ms.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * A UUID derived from a name (RFC 9562 UUIDv8, vendor-specific: SHA-256 of the name, version
 * nibble 8, variant bits 10). Domains derive the ids of the records a command creates from
 * the command's own id (an envelope's holding account, a loan's accounts, a COB day's
 * accrual), so a retry, a crash recovery or another process arrives at the same ids and the
 * ledger's idempotency does the rest.
 */
export function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

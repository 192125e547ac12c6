/** What every CLI command shares: opening the database, printing, and user-mistake errors. */
import { loadConfig, type Config } from '../server/config.js';
import { openAndMigrate } from '../server/open-migrated.js';
import { systemClock } from '../server/clock.js';
import { Ledger } from '../ledger/service.js';
import { checkBody } from '../server/validate.js';
import type { Db } from '../db/port.js';

/** A user mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id argument, checked before it reaches SQL (where a malformed one is a database error, not a user mistake). */
export function uuidArg(value: string, name: string): string {
  if (!UUID.test(value)) throw new UsageError(`${name} must be a UUID, got "${value}"`);
  return value.toLowerCase();
}

export async function withLedger<T>(fn: (ledger: Ledger, db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openAndMigrate(config);
  const ledger = new Ledger(db, systemClock);
  try {
    return await fn(ledger, db, config);
  } finally {
    await ledger.stop();
    await db.close();
  }
}

export function flagList(value: string | undefined): Record<string, boolean> | undefined {
  if (!value) return undefined;
  return Object.fromEntries(value.split(',').map((f) => [f.trim(), true]));
}

export function parseJsonOption(value: string | undefined, name: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new UsageError(`--${name} must be JSON`);
  }
}

/**
 * Checks a body built from options against the API's schema. Errors name the option the
 * user typed: `optionOf` maps a body field (its first segment) to it, else `--<field>`.
 */
export function checked(schema: object, body: Record<string, unknown>, optionOf: Record<string, string> = {}): void {
  const errors = checkBody(schema, body);
  if (errors.length === 0) return;
  const name = (field: string) => {
    const path = field.replace(/^body\.?/, '');
    const first = path.split(/[.[]/)[0]!;
    return optionOf[first] ?? `--${path}`;
  };
  throw new UsageError([...new Set(errors.map((e) => `${name(e.field)}: ${e.message}`))].join('\n'));
}


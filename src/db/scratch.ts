/**
 * Throw-away PostgreSQL databases for tests and benchmarks: `<prefix>_<random hex>` on the
 * server at `adminUrl`, dropped with FORCE (ending any connection a crashed child or an
 * unclosed pool left open). Dropping twice is harmless.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'capillary-scratch-admin' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(adminUrl: string, prefix: string, template?: string): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`scratch database prefix must be a lower-case identifier: ${prefix}`);
  if (template !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(template)) throw new Error(`template database must be a lower-case identifier: ${template}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  // A template (nobody connected to it) is copied file by file: much faster than migrating and seeding again.
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () =>
      (dropped ??= withAdmin(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      })),
  };
}

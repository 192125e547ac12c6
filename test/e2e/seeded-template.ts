/**
 * One migrated and seeded database per e2e run, made by the e2e project's global setup
 * (vitest.config.ts) and copied for each test file's server: a PGlite folder copied file by
 * file, or a PostgreSQL database created from it as a template. Migrating and seeding (a week
 * of risk history, a model, a loan) takes many seconds; a copy takes a fraction of one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ENGINE } from '../helpers/env.js';
import { createPgDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/proc.js';

export interface SeededTemplate {
  /** PGlite: the seeded folder to copy. */
  data_dir?: string;
  /** PostgreSQL: the seeded database to create copies from. */
  database?: string;
  /** The demo API key, an admin key and the demo staff password, the same in every copy. */
  api_key: string;
  admin_key: string;
  demo_staff_password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e_template: SeededTemplate;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let dataDir: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  const env: Record<string, string> = {};
  let database: string | undefined;
  // PGlite keeps its database here; with PostgreSQL only the seed's key files land here (not in ./data).
  dataDir = mkdtempSync(join(tmpdir(), 'capillary-e2e-template-'));
  env.DATA_DIR = dataDir;
  if (ENGINE === 'postgres') {
    const created = await createPgDatabase();
    drop = created.drop;
    database = created.name;
    env.DATABASE_URL = created.url;
  }
  const teardown = async () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await drop?.();
  };
  try {
    const cli = async (args: string[]) => {
      const result = await runCli(args, env, 180_000);
      if (result.code !== 0) throw new Error(`capillary ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    };
    await cli(['migrate']);
    const seedOutput = await cli(['seed']);
    const apiKey = /demo API key: (\S+)/.exec(seedOutput);
    const staffPassword = /demo staff \(.*\) password: (\S+)/.exec(seedOutput);
    if (!apiKey || !staffPassword) throw new Error(`capillary seed did not print the demo API key and staff password:\n${seedOutput}`);
    const admin = JSON.parse(await cli(['keys', 'create', '--name', 'e2e-admin', '--scopes', 'admin'])) as { token: string };
    project.provide('e2e_template', {
      ...(database ? { database } : { data_dir: dataDir }),
      api_key: apiKey[1]!,
      admin_key: admin.token,
      demo_staff_password: staffPassword[1]!,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

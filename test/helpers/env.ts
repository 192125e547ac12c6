/** Which database engine the suite runs on, and where the local PostgreSQL is. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Engine = 'pglite' | 'postgres';

export const ENGINE: Engine = process.env.CAPILLARY_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';
export const PG_ADMIN_URL = process.env.CAPILLARY_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The project root (the folder holding package.json), found from this file. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('project root not found');
})();

/** The compiled CLI that `npm run build` produces (npm test builds first). */
export const CLI_JS = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run \`npm run build\` (npm test does it)`);
}

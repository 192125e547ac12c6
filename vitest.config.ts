import { defineConfig } from 'vitest/config';

// `npm test`: unit and property tests beside the code, and the HTTP integration suite on
// embedded PGlite. `npm run test:pg` runs the integration suite and the multi-process
// tests against the local PostgreSQL server (a fresh database per test file, dropped after),
// and the open-banking tests beside their code (they run through HTTP on either engine).
// `npm test` also runs the end-to-end browser tests (test/e2e: the built server and headless
// Chromium) as their own project with longer timeouts: a server start with the demo seed
// takes seconds. They run once, on PGlite: what they add is the screens, and the server's
// routes on PostgreSQL are the integration suite's job (running them twice cost CI minutes).
const postgres = process.env.CAPILLARY_TEST_ENGINE === 'postgres';

const e2e = {
  extends: true,
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.test.ts'],
    // One migrated and seeded database per run, copied for each file's server.
    globalSetup: ['test/e2e/seeded-template.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
} as const;

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: postgres
            ? ['test/integration/**/*.test.ts', 'test/postgres/**/*.test.ts', 'src/openbanking/**/*.test.ts', 'sdk/test/**/*.test.ts', 'examples/**/*.test.ts']
            : ['src/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'sdk/test/**/*.test.ts', 'examples/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      ...(postgres ? [] : [e2e]),
    ],
  },
});

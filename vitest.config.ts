import { defineConfig } from 'vitest/config';

// `npm test`: unit and property tests beside the code, and the HTTP integration suite on
// embedded PGlite. `npm run test:pg` runs the integration suite and the multi-process
// tests against the local PostgreSQL server (a fresh database per test file, dropped after),
// and the open-banking tests beside their code (they run through HTTP on either engine).
const postgres = process.env.CAPILLARY_TEST_ENGINE === 'postgres';

export default defineConfig({
  test: {
    include: postgres
      ? ['test/integration/**/*.test.ts', 'test/postgres/**/*.test.ts', 'src/openbanking/**/*.test.ts', 'sdk/test/**/*.test.ts', 'examples/**/*.test.ts']
      : ['src/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'sdk/test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, problemBody } from './problem.js';

/** docs/errors.md is the contract users read; it must list exactly the codes the API returns, with their statuses. */
describe('error catalog and docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]),
  );

  it('documents every code with its status', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(documented.get(code), `docs/errors.md: ${code}`).toBe(entry.status);
    }
  });

  it('documents no code the API does not have', () => {
    for (const code of documented.keys()) expect(ERROR_CATALOG[code], code).toBeDefined();
  });

  it('builds RFC 9457 bodies with the stable code', () => {
    const body = problemBody('exceeds_credits', 'no funds', { field: 'amount' });
    expect(body).toMatchObject({ type: '/errors#exceeds_credits', status: 422, code: 'exceeds_credits', detail: 'no funds', field: 'amount' });
  });
});

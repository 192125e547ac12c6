/**
 * The SDK cannot drift from the API: the committed sdk/src/generated/openapi.ts must be
 * exactly what the server's schemas generate now (npm run sdk:generate writes it).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPI3 } from 'openapi-typescript';
import { GENERATED_PATH, buildOpenApiDocument, generateOpenApiTypes, routesOf, sdkDocument } from '../scripts/generate-types.js';
import { ROUTES } from '../src/generated/openapi.js';

describe('generated OpenAPI types', () => {
  let full: OpenAPI3;
  beforeAll(async () => {
    full = await buildOpenApiDocument(); // the app on an in-memory PGlite, as npm run sdk:generate builds it
  });

  it('the committed file is what the server generates (run `npm run sdk:generate` after changing a schema)', async () => {
    const fresh = await generateOpenApiTypes(full);
    const committed = readFileSync(GENERATED_PATH(), 'utf8');
    if (fresh !== committed) {
      const a = fresh.split('\n');
      const b = committed.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(`sdk/src/generated/openapi.ts is stale: first difference at line ${line + 1}:\n  generated: ${a[line]}\n  committed: ${b[line]}\nRun npm run sdk:generate.`);
    }
  });

  it('covers every open-banking, OAuth and discovery route of the server, and nothing else', async () => {
    const served = routesOf(full)
      .map((r) => r.route)
      .filter((r) => /^[A-Z]+ \/(open-banking\/v1|oauth|\.well-known)\//.test(r));
    expect([...ROUTES].sort()).toEqual(served.sort());
    expect(routesOf(sdkDocument(full)).map((r) => r.route)).toEqual([...ROUTES]);
    // The resource routes the SDK has methods for are among them.
    for (const route of [
      'POST /open-banking/v1/consents',
      'GET /open-banking/v1/consents/{id}',
      'DELETE /open-banking/v1/consents/{id}',
      'GET /open-banking/v1/accounts',
      'GET /open-banking/v1/accounts/{id}',
      'GET /open-banking/v1/accounts/{id}/balances',
      'GET /open-banking/v1/accounts/{id}/transactions',
      'POST /open-banking/v1/payments',
      'GET /open-banking/v1/payments/{id}',
      'POST /open-banking/v1/funds-confirmations',
      'POST /open-banking/v1/envelopes',
      'POST /open-banking/v1/envelopes/{id}/grabs',
      'POST /open-banking/v1/loan-applications',
      'POST /open-banking/v1/risk-checks',
      'POST /oauth/par',
      'POST /oauth/token',
      'POST /oauth/revoke',
      'POST /oauth/introspect',
    ]) {
      expect(ROUTES as readonly string[]).toContain(route);
    }
  });
});

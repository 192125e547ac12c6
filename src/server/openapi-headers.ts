/**
 * What the OpenAPI document says about the headers every authenticated route shares, added
 * while @fastify/swagger builds it (the routes' own schemas stay as they are, so nothing of
 * this is validated twice at run time):
 * - the `Idempotency-Key` request header on each POST the idempotency hook covers (required
 *   where the route's config says `idempotency_key: 'required'`), and `Idempotency-Replayed`
 *   on its answers;
 * - the `RateLimit-*` headers on every answer of an authenticated route, and `Retry-After` on
 *   its 429 and 503 answers.
 */
import type { FastifySchema, RouteOptions } from 'fastify';
import { appliesTo, KEY_LENGTH_MAX } from './idempotency.js';

const IDEMPOTENCY_KEY_DESCRIPTION =
  `1–${KEY_LENGTH_MAX} printable ASCII characters (a UUID is a good key). The same key with the same request within 24 h answers the stored response ` +
  '(with Idempotency-Replayed: true); with another method, path or body it is 422 idempotency_key_reused; while the first request runs, 409 idempotency_request_in_progress.';

const isPublic = (route: RouteOptions): boolean => Boolean((route.config as { public?: boolean } | undefined)?.public);

/** @fastify/swagger `transform`: the route's schema with the Idempotency-Key header declared where the hook applies. */
export function declareIdempotencyKey({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  if (!schema || (schema as { hide?: boolean }).hide || isPublic(route) || !appliesTo(String(method), url)) return { schema, url };
  const required = (route.config as { idempotency_key?: string } | undefined)?.idempotency_key === 'required';
  const own = (schema.headers ?? { type: 'object', properties: {} }) as { type: string; properties?: Record<string, unknown>; required?: string[] };
  const headers = {
    ...own,
    properties: { ...own.properties, 'idempotency-key': { type: 'string', minLength: 1, maxLength: KEY_LENGTH_MAX, description: IDEMPOTENCY_KEY_DESCRIPTION } },
    ...(required ? { required: [...(own.required ?? []), 'idempotency-key'] } : {}),
  };
  return { schema: { ...schema, headers }, url };
}

interface Operation {
  security?: unknown[];
  responses?: Record<string, { headers?: Record<string, unknown> } & Record<string, unknown>>;
  parameters?: { in: string; name: string }[];
}
type Document = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, Record<string, unknown>> };

const HEADERS = {
  'RateLimit-Limit': { description: 'Requests the bucket closest to running out allows per window (its capacity)', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in that bucket now', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until that bucket is full again', schema: { type: 'integer' } },
  'RateLimit-Policy': { description: 'Every bucket the request took from, as `<capacity>;w=<window s>`, comma-separated', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying (429 rate_limited, 503 overloaded or unavailable, 409 idempotency_request_in_progress)', schema: { type: 'integer' } },
  'Idempotency-Replayed': { description: '`true` when the answer is the stored response of an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
};
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** @fastify/swagger `transformObject`: the shared response headers, on every authenticated operation. */
export function declareSharedHeaders({ openapiObject }: { openapiObject: Partial<Document> }): Partial<Document> {
  const doc = openapiObject;
  doc.components = { ...doc.components, headers: { ...doc.components?.headers, ...HEADERS } };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      // `security: []` marks a public operation (no credentials, so no bucket); absent means the document's default (an API key).
      if (!op?.responses || (Array.isArray(op.security) && op.security.length === 0)) continue;
      const keyed = (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'idempotency-key');
      for (const [status, response] of Object.entries(op.responses)) {
        const headers: Record<string, unknown> = { ...response.headers, 'RateLimit-Limit': ref('RateLimit-Limit'), 'RateLimit-Remaining': ref('RateLimit-Remaining'), 'RateLimit-Reset': ref('RateLimit-Reset'), 'RateLimit-Policy': ref('RateLimit-Policy') };
        if (status === '429' || status === '503' || (keyed && status === '409')) headers['Retry-After'] = ref('Retry-After');
        if (keyed && /^2/.test(status)) headers['Idempotency-Replayed'] = ref('Idempotency-Replayed');
        op.responses[status] = { ...response, headers };
      }
    }
  }
  return doc;
}

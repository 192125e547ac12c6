/**
 * Idempotency-Key on every POST (except /oauth/*), as Fastify hooks:
 * - preHandler (after authentication, body parsed and validated): without the header,
 *   nothing happens (no query), unless the route's config says `idempotency_key: 'required'`
 *   (400 idempotency_key_required). With it: a bad key is a 400; the first use of a key claims
 *   it and the handler runs; a repeat of the same request gets the stored response with
 *   `Idempotency-Replayed: true`; the key with another method, path or body is a 422; a
 *   repeat while the first still runs is a 409 with Retry-After.
 * - onSend: keeps the response of a request that claimed a key, or releases the key when
 *   the response is a 5xx or 429 (so a retry runs again).
 * A key belongs to the caller: an API key (`key:<id>`) or a partner app (`client:<client_id>`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from './clock.js';
import { ProblemError } from './problem.js';
import { appliesTo, bodyHash, checkIdempotencyKey, IDEMPOTENCY_KEY_HEADER, isStorable, pickStoredHeaders, REPLAYED_HEADER, STORED_BODY_BYTES_MAX } from './idempotency.js';
import type { BeginResult, IdempotencyStore } from './idempotency-store.js';

interface Claim {
  principal: string;
  key: string;
  owner: string;
}

const CLAIM = Symbol('idempotency claim');
type WithClaim = FastifyRequest & { [CLAIM]?: Claim };

/** The caller a key is scoped to; undefined on routes without one (public routes). */
export function principalOf(req: FastifyRequest): string | undefined {
  if (req.partner) return `client:${req.partner.client_id}`;
  if (req.apiKey) return `key:${req.apiKey.id}`;
  return undefined;
}

export function registerIdempotency(app: FastifyInstance, store: IdempotencyStore, clock: Clock): void {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.headers[IDEMPOTENCY_KEY_HEADER];
    if (!req.routeOptions.url || !appliesTo(req.method, req.url)) return;
    if (raw === undefined) {
      if (req.routeOptions.config.idempotency_key === 'required') {
        throw new ProblemError('idempotency_key_required', 'send an Idempotency-Key header with this request (a UUID is a good key)');
      }
      return;
    }
    const principal = principalOf(req);
    if (!principal) return; // a public POST: no caller to scope the key to, so the header is ignored
    const check = checkIdempotencyKey(raw);
    if (!check?.ok) throw new ProblemError('invalid_idempotency_key', check?.detail ?? 'bad Idempotency-Key');

    let result: BeginResult;
    try {
      result = await store.begin(principal, check.key, { method: req.method, path: req.url, body_hash: bodyHash(req.body) }, clock.now());
    } catch (err) {
      // Without the record, at-most-once cannot be promised: do nothing and say so.
      req.log.error({ err }, 'the Idempotency-Key store does not answer');
      throw new ProblemError('unavailable', 'the Idempotency-Key store does not answer; nothing was done, retry after the indicated delay', { retry_after_s: 1 });
    }
    switch (result.kind) {
      case 'started':
        (req as WithClaim)[CLAIM] = { principal, key: check.key, owner: result.owner };
        return;
      case 'replay':
        reply.code(result.response.status_code).headers(result.response.headers).header(REPLAYED_HEADER, 'true');
        return reply.send(result.response.body);
      case 'reused':
        throw new ProblemError('idempotency_key_reused', result.detail);
      case 'in_progress':
        throw new ProblemError('idempotency_request_in_progress', 'a request with this Idempotency-Key is still running; retry after the indicated delay', {
          retry_after_s: result.retry_after_s,
        });
    }
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = (req as WithClaim)[CLAIM];
    if (!claim) return payload;
    (req as WithClaim)[CLAIM] = undefined;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    try {
      if (isStorable(reply.statusCode) && body !== undefined && Buffer.byteLength(body) <= STORED_BODY_BYTES_MAX) {
        const headers = pickStoredHeaders(reply.getHeaders() as Record<string, unknown>);
        const kept = await store.complete(claim.principal, claim.key, claim.owner, { status_code: reply.statusCode, headers, body });
        if (!kept) req.log.warn({ idempotency_key_principal: claim.principal }, 'idempotency record was taken over before the first request finished; its response is not kept');
      } else {
        if (isStorable(reply.statusCode)) req.log.warn({ status: reply.statusCode }, 'response not kept for Idempotency-Key replay (not text, or too large); the key is released');
        await store.release(claim.principal, claim.key, claim.owner);
      }
    } catch (err) {
      // The record stays in progress: repeats get 409 until it may be taken over (idempotency.ts).
      req.log.error({ err }, 'could not save the Idempotency-Key record');
    }
    return payload;
  });
}

/**
 * Records every non-GET request made with a staff token, and every non-GET request made
 * with an API key except on the machine money path (`MACHINE_PATH_SCOPES`: transfers,
 * envelopes, risk decisions, loan applications and repayments), whose own records (the
 * ledger's transfers, the stored decisions) are the log of what a machine did; auditing
 * them too would add a write to every payment on the hottest path. It runs in onSend,
 * before the response leaves, so a client never sees the result of a write the log does
 * not hold. Only the route pattern and its path parameters (the target ids) are kept:
 * bodies and headers can carry secrets (passwords, tokens) and never reach the log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/port.js';
import type { Scope } from '../auth/core.js';
import type { Clock } from '../server/clock.js';
import { appendAudit, type AuditRecord } from './audit-store.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Route scopes whose API-key calls are not audited (staff calls on them are). */
export const MACHINE_PATH_SCOPES: ReadonlySet<Scope> = new Set(['ledger:write', 'envelopes:write', 'risk:decide', 'lending:apply', 'lending:repay']);
const PARAM_LENGTH_MAX = 200;

/** Path parameters as strings, bounded: the ids a write acted on. */
export function targetIds(params: unknown): Record<string, string> {
  if (!params || typeof params !== 'object') return {};
  return Object.fromEntries(Object.entries(params as Record<string, unknown>).map(([k, v]) => [k, String(v).slice(0, PARAM_LENGTH_MAX)]));
}

export function auditRecordOf(req: FastifyRequest, status_code: number, at: Date): AuditRecord | undefined {
  const key = req.apiKey;
  const route = req.routeOptions.url;
  if (!key || !route || READS.has(req.method)) return undefined;
  const scope = req.routeOptions.config.scope;
  if (!key.staff && scope && MACHINE_PATH_SCOPES.has(scope)) return undefined;
  return {
    at,
    actor_kind: key.staff ? 'staff' : 'api_key',
    actor_id: key.id,
    actor_email: key.staff?.email ?? null,
    role: key.staff?.role ?? null,
    action: 'http',
    method: req.method,
    route,
    target_ids: targetIds(req.params),
    status_code,
    request_id: String(req.id),
  };
}

export function registerAuditHook(app: FastifyInstance, db: Queryable, clock: Clock): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const record = auditRecordOf(req, reply.statusCode, clock.now());
    if (record) {
      try {
        await appendAudit(db, record);
      } catch (err) {
        // The write has happened; failing the response now would only hide its result.
        req.log.error({ err, route: record.route }, 'audit log write failed');
      }
    }
    return payload;
  });
}

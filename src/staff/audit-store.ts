/** SQL for `audit_log`: append a record, list newest first, count recent failed sign-ins. */
import type { Queryable } from '../db/port.js';

export interface AuditRecord {
  at: Date;
  actor_kind: 'staff' | 'api_key';
  actor_id: string | null;
  actor_email: string | null;
  role: string | null;
  action: 'http' | 'staff.sign_in';
  method: string;
  route: string;
  target_ids: Record<string, string>;
  status_code: number;
  request_id: string;
}

export interface AuditEntry extends AuditRecord {
  seq: bigint;
}

export const AUDIT_PAGE_MAX = 200;

export async function appendAudit(db: Queryable, r: AuditRecord): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor_kind, actor_id, actor_email, role, action, method, route, target_ids, status_code, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
    [r.at.toISOString(), r.actor_kind, r.actor_id, r.actor_email, r.role, r.action, r.method, r.route, JSON.stringify(r.target_ids), r.status_code, r.request_id],
  );
}

/** Newest first; `before` is the seq of the last entry of the previous page. */
export async function listAudit(db: Queryable, q: { actor_id?: string; before?: bigint; limit: number }): Promise<AuditEntry[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT seq, at, actor_kind, actor_id, actor_email, role, action, method, route, target_ids, status_code, request_id
       FROM audit_log
      WHERE ($1::text IS NULL OR actor_id = $1) AND ($2::bigint IS NULL OR seq < $2)
      ORDER BY seq DESC LIMIT $3`,
    [q.actor_id ?? null, q.before ?? null, q.limit],
  );
  return rows.map((r) => ({
    seq: BigInt(r.seq as bigint),
    at: new Date(r.at as string),
    actor_kind: r.actor_kind as AuditRecord['actor_kind'],
    actor_id: (r.actor_id as string | null) ?? null,
    actor_email: (r.actor_email as string | null) ?? null,
    role: (r.role as string | null) ?? null,
    action: r.action as AuditRecord['action'],
    method: r.method as string,
    route: r.route as string,
    target_ids: (typeof r.target_ids === 'string' ? JSON.parse(r.target_ids) : r.target_ids) as Record<string, string>,
    status_code: Number(r.status_code),
    request_id: r.request_id as string,
  }));
}

/** Failed sign-ins for an email since `since` (the limiter's window). */
export async function countFailedSignIns(db: Queryable, email: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ n: bigint | number }>(
    `SELECT count(*) AS n FROM audit_log WHERE action = 'staff.sign_in' AND actor_email = $1 AND at > $2 AND status_code = 401`,
    [email, since.toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}

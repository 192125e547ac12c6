/** SQL for `mini_programs` and `mini_program_payments`. Nothing else reads or writes them. */
import type { Queryable } from '../db/port.js';
import type { BridgeScope, CheckedMiniProgram, MiniProgram, MiniProgramStatus } from './core.js';

const COLUMNS = `client_id, slug, name, icon, entry_path, bridge_scopes, merchant_account_id::text AS merchant_account_id,
  connect_origins, status, created_at, updated_at`;

interface Row {
  client_id: string;
  slug: string;
  name: string;
  icon: string;
  entry_path: string;
  bridge_scopes: string[];
  merchant_account_id: string | null;
  connect_origins: string[];
  status: MiniProgramStatus;
  created_at: Date | string;
  updated_at: Date | string;
}

const toMiniProgram = (r: Row): MiniProgram => ({
  ...r,
  bridge_scopes: r.bridge_scopes as BridgeScope[],
  created_at: new Date(r.created_at),
  updated_at: new Date(r.updated_at),
});

export async function findMiniProgram(db: Queryable, client_id: string): Promise<MiniProgram | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM mini_programs WHERE client_id = $1`, [client_id]);
  return rows[0] ? toMiniProgram(rows[0]) : undefined;
}

export async function findMiniProgramBySlug(db: Queryable, slug: string): Promise<MiniProgram | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM mini_programs WHERE slug = $1`, [slug]);
  return rows[0] ? toMiniProgram(rows[0]) : undefined;
}

/** Creates or replaces the app's mini-program; 'slug_taken' when another app holds the slug. */
export async function upsertMiniProgram(db: Queryable, client_id: string, v: CheckedMiniProgram, now: Date): Promise<MiniProgram | 'slug_taken'> {
  const other = await findMiniProgramBySlug(db, v.slug);
  if (other && other.client_id !== client_id) return 'slug_taken';
  try {
    const { rows } = await db.query<Row>(
      `INSERT INTO mini_programs (client_id, slug, name, icon, entry_path, bridge_scopes, merchant_account_id, connect_origins, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7::uuid, $8::text[], $9, $10, $10)
       ON CONFLICT (client_id) DO UPDATE SET slug = EXCLUDED.slug, name = EXCLUDED.name, icon = EXCLUDED.icon, entry_path = EXCLUDED.entry_path,
         bridge_scopes = EXCLUDED.bridge_scopes, merchant_account_id = EXCLUDED.merchant_account_id, connect_origins = EXCLUDED.connect_origins,
         status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
       RETURNING ${COLUMNS}`,
      [client_id, v.slug, v.name, v.icon, v.entry_path, v.bridge_scopes, v.merchant_account_id, v.connect_origins, v.status, now],
    );
    return toMiniProgram(rows[0]!);
  } catch (err) {
    // Two apps claiming one slug at once: the unique index decides.
    if ((err as { code?: string }).code === '23505') return 'slug_taken';
    throw err;
  }
}

export interface LiveMiniProgram extends MiniProgram {
  partner_name: string;
}

/** Live mini-programs of active partner apps of the given mode (sandbox/live), by name. */
export async function listLiveMiniPrograms(db: Queryable, mode: string): Promise<LiveMiniProgram[]> {
  const { rows } = await db.query<Row & { partner_name: string }>(
    `SELECT m.client_id, m.slug, m.name, m.icon, m.entry_path, m.bridge_scopes, m.merchant_account_id::text AS merchant_account_id,
            m.connect_origins, m.status, m.created_at, m.updated_at, a.name AS partner_name
       FROM mini_programs m JOIN partner_apps a ON a.id = m.client_id
      WHERE m.status = 'live' AND a.status = 'active' AND a.mode = $1
      ORDER BY m.name, m.client_id
      LIMIT 200`,
    [mode],
  );
  return rows.map((r) => ({ ...toMiniProgram(r), partner_name: r.partner_name }));
}

export interface MiniProgramPayment {
  id: string;
  client_id: string;
  customer_id: string;
  reference: string;
  created_at: Date;
}

export async function findPayment(db: Queryable, id: string): Promise<MiniProgramPayment | undefined> {
  const { rows } = await db.query<MiniProgramPayment>('SELECT id::text AS id, client_id, customer_id, reference, created_at FROM mini_program_payments WHERE id = $1', [id]);
  return rows[0] ? { ...rows[0], created_at: new Date(rows[0].created_at) } : undefined;
}

/** Records the payment; false if the id is already recorded (a retry). */
export async function insertPayment(db: Queryable, p: MiniProgramPayment): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO mini_program_payments (id, client_id, customer_id, reference, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [p.id, p.client_id, p.customer_id, p.reference, p.created_at],
  );
  return rows.length > 0;
}

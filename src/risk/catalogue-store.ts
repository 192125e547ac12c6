/**
 * SQL for the velocity feature catalogue (risk_feature_catalogue): append-only versions,
 * the highest in force. Changes and publishes take a row lock on the version in force
 * (`lockCurrentCatalogue`), so a catalogue change and a rule set publish never pass each
 * other's checks: whichever locks second sees what the first committed.
 */
import type { Queryable } from '../db/port.js';
import type { VelocityFeature } from './velocity.js';

export interface CatalogueVersion {
  version: number;
  features: VelocityFeature[];
  comment: string;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'version, features, comment, created_by, created_at';
const fromRow = (r: Record<string, unknown>): CatalogueVersion => ({
  version: Number(r.version),
  features: r.features as VelocityFeature[],
  comment: r.comment as string,
  created_by: r.created_by as string,
  created_at: r.created_at as Date,
});

/** Stores `features` as version 1 unless some version exists (every process may call it at start). */
export async function seedCatalogue(db: Queryable, features: readonly VelocityFeature[], comment: string, actor: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO risk_feature_catalogue (version, features, comment, created_by, created_at)
     SELECT 1, $1::jsonb, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM risk_feature_catalogue)
     ON CONFLICT (version) DO NOTHING`,
    [JSON.stringify(features), comment, actor, now.toISOString()],
  );
}

/** The catalogue in force, or undefined before it was seeded. */
export async function currentCatalogue(db: Queryable): Promise<CatalogueVersion | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM risk_feature_catalogue ORDER BY version DESC LIMIT 1`);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** The version in force (0 before it was seeded): what other processes poll. */
export async function currentCatalogueVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM risk_feature_catalogue`);
  return rows[0]?.v === null || rows[0]?.v === undefined ? 0 : Number(rows[0].v);
}

/**
 * Locks the version in force (FOR UPDATE to change the catalogue, FOR SHARE to publish
 * against it) until the transaction ends, and returns it. Read again after the lock: a
 * change committed while we waited is a newer row, which the locking read does not see
 * (READ COMMITTED), so lock that one too until the two agree.
 */
export async function lockCurrentCatalogue(tx: Queryable, mode: 'update' | 'share'): Promise<CatalogueVersion | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { rows } = await tx.query<{ version: number }>(
      `SELECT version FROM risk_feature_catalogue ORDER BY version DESC LIMIT 1 ${mode === 'update' ? 'FOR UPDATE' : 'FOR SHARE'}`,
    );
    const latest = await currentCatalogue(tx);
    if (latest?.version === (rows[0] === undefined ? undefined : Number(rows[0].version))) return latest;
  }
  throw new Error('the feature catalogue changed 20 times while this transaction waited for it');
}

export async function insertCatalogue(tx: Queryable, version: number, features: readonly VelocityFeature[], comment: string, actor: string, now: Date): Promise<CatalogueVersion> {
  const { rows } = await tx.query(
    `INSERT INTO risk_feature_catalogue (version, features, comment, created_by, created_at) VALUES ($1, $2::jsonb, $3, $4, $5) RETURNING ${COLUMNS}`,
    [version, JSON.stringify(features), comment, actor, now.toISOString()],
  );
  return fromRow(rows[0]!);
}

/** Versions newest first, below `before` (a cursor), with their features. */
export async function listCatalogueVersions(db: Queryable, before: number | undefined, limit: number): Promise<CatalogueVersion[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM risk_feature_catalogue WHERE ($1::integer IS NULL OR version < $1) ORDER BY version DESC LIMIT $2`, [
    before ?? null,
    limit,
  ]);
  return rows.map(fromRow);
}

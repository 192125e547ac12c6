import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/port.js';
import { newKeyMaterial, type ApiKey, type Scope } from './core.js';

type Row = Record<string, unknown>;

const fromRow = (row: Row): ApiKey & { secret_hash: string } => ({
  id: row.id as string,
  name: row.name as string,
  prefix: row.prefix as string,
  scopes: row.scopes as Scope[],
  created_at: row.created_at as Date,
  revoked_at: (row.revoked_at as Date | null) ?? null,
  secret_hash: row.secret_hash as string,
});

/** Creates a key and returns it with its token; the token is shown once and never stored. */
export async function createKey(db: Queryable, name: string, scopes: Scope[], now: Date): Promise<{ key: ApiKey; token: string }> {
  const material = newKeyMaterial();
  const id = randomUUID();
  await db.query(
    'INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5::text[], $6)',
    [id, name, material.prefix, material.secret_hash, scopes, now.toISOString()],
  );
  return { key: { id, name, prefix: material.prefix, scopes, created_at: now, revoked_at: null }, token: material.token };
}

export async function findKeyByPrefix(db: Queryable, prefix: string) {
  const { rows } = await db.query('SELECT * FROM api_keys WHERE prefix = $1', [prefix]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listKeys(db: Queryable): Promise<ApiKey[]> {
  const { rows } = await db.query('SELECT * FROM api_keys ORDER BY created_at, id');
  return rows.map((r) => {
    const { secret_hash: _hidden, ...key } = fromRow(r);
    return key;
  });
}

/** Returns false when no such key exists. Revoking twice keeps the first time. */
export async function revokeKey(db: Queryable, id: string, now: Date): Promise<ApiKey | undefined> {
  const { rows } = await db.query(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *',
    [id, now.toISOString()],
  );
  if (!rows[0]) return undefined;
  const { secret_hash: _hidden, ...key } = fromRow(rows[0]);
  return key;
}

import pg from 'pg';
import { createHash } from 'node:crypto';
import type { Db, Queryable, SqlParam } from './port.js';

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

/** int8 → bigint, never through a float. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (v: string) => BigInt(v);
    if (oid === INT8_ARRAY_OID) {
      const parseArray = (pg.types.getTypeParser as (oid: number) => unknown)(1009 /* text[] */) as (v: string) => (string | null)[];
      return (v: string) => parseArray(v).map((x) => (x === null ? null : BigInt(x)));
    }
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** pg serialises bigint only inside arrays inconsistently across versions; make it explicit. */
function toPgParam(value: SqlParam): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v) => toPgParam(v as SqlParam));
  return value;
}

/**
 * Statements with parameters run as named prepared statements: each connection parses and
 * plans a statement once instead of on every call, which is most of the cost of the
 * write path's statements on small batches. Names come from the text, so the set is
 * bounded by the SQL in the codebase (statements are never built from user input).
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `cap_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly SqlParam[] = []) {
      const result =
        params.length === 0
          ? await client.query(sql)
          : await client.query({ name: statementName(sql), text: sql, values: params.map(toPgParam) });
      return { rows: result.rows as Row[] };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export interface PostgresOptions {
  connectionString: string;
  pool_size_max?: number;
}

export function openPostgres(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.pool_size_max ?? 20,
    types,
    application_name: 'capillary',
  });
  // An idle client error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const plain = wrap(pool);
  return {
    engine: 'postgres',
    query: plain.query,
    exec: plain.exec,
    async transaction(fn, options = {}) {
      const client = await pool.connect();
      try {
        // A simple query may carry several statements: the setting costs no round trip of its own.
        await client.query(options.generic_plans ? 'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan' : 'BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/**
 * The database port: the one interface every store talks to, with two adapters
 * (embedded PGlite and PostgreSQL through `pg`). Both return int8 columns as `bigint`
 * so money never passes through a JavaScript number.
 */
export type SqlParam = string | number | bigint | boolean | null | Date | readonly SqlParam[] | Record<string, unknown>;

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<{ rows: Row[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (READ COMMITTED); commits on return, rolls back on throw. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Error codes from PostgreSQL that mean "run the whole transaction again". */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505']);

export function sqlState(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

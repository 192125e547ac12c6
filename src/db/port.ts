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

export interface TransactionOptions {
  /**
   * Plan the transaction's prepared statements once, whatever their parameters
   * (`plan_cache_mode = force_generic_plan`). For fixed-shape bulk statements over id
   * arrays, whose best plan does not depend on the values: otherwise PostgreSQL may plan
   * such a statement again on every execution, which cost the ledger writer's batch more
   * than running it (db/postgres.ts).
   */
  generic_plans?: boolean;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (READ COMMITTED); commits on return, rolls back on throw. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
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

/**
 * Writes that ride another statement as data-modifying WITH clauses. PostgreSQL allows
 * those only at the top level of a statement, so a part is a list of single statements
 * (INSERT/UPDATE/DELETE without RETURNING), each becoming one clause of the host's WITH.
 * They all see one snapshot: a part cannot see the rows the rest of the statement writes,
 * and must not need to.
 */
import type { Queryable, SqlParam } from './port.js';

export interface StatementPart {
  /** The part's statements, numbering their parameters from `first`. */
  statements(first: number): string[];
  params: readonly SqlParam[];
}

/**
 * WITH clauses `<prefix>_<n> AS (…)` for `parts`, numbering their parameters after the
 * host's own (`params`, to which theirs are appended).
 */
export function withClauses(parts: readonly StatementPart[], params: SqlParam[], prefix: string): string[] {
  return parts.flatMap((part, i) => {
    const clauses = part.statements(params.length + 1).map((sql, j) => `${prefix}_${i}_${j} AS (${sql})`);
    params.push(...part.params);
    return clauses;
  });
}

/** Runs parts on their own, as one statement (a lone statement as it is). */
export async function runParts(db: Queryable, parts: readonly StatementPart[]): Promise<void> {
  const lone = parts.length === 1 ? parts[0]!.statements(1) : [];
  if (lone.length === 1) return void (await db.query(lone[0]!, parts[0]!.params));
  const params: SqlParam[] = [];
  const clauses = withClauses(parts, params, 'part');
  if (clauses.length > 0) await db.query(`WITH ${clauses.join(',\n')}\nSELECT 1`, params);
}

/**
 * Static type check of an expression AST against a ContextSchema. Types are the schema's
 * value types plus `null`, the type of the `null` literal (and of `coalesce(null, null)`).
 * Nullability is not tracked: any context value may be null at run time and the run-time
 * null rules (compile.ts) cover it, so the checker only refuses what can never make sense,
 * such as comparing a number with a string or adding booleans.
 */
import type { ContextSchema, ValueType } from '../types.js';
import { ExprFailure } from './lexer.js';
import type { Node } from './parser.js';

export type ExprType = ValueType | 'null';

/** Every argument of a function has the same requirement: a type, `any`, or `same` (one common type, nulls aside). */
interface FunctionSpec {
  arity_min: number;
  arity_max: number;
  args: ValueType | 'any' | 'same';
  returns: ExprType | 'same';
}

const unary = (args: ValueType, returns: ValueType): FunctionSpec => ({ arity_min: 1, arity_max: 1, args, returns });
const VARIADIC_MAX = Number.POSITIVE_INFINITY; // bounded in practice by EXPRESSION_CHARS_MAX

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  abs: unary('number', 'number'),
  round: unary('number', 'number'),
  floor: unary('number', 'number'),
  ceil: unary('number', 'number'),
  min: { arity_min: 2, arity_max: VARIADIC_MAX, args: 'number', returns: 'number' },
  max: { arity_min: 2, arity_max: VARIADIC_MAX, args: 'number', returns: 'number' },
  len: unary('string', 'number'),
  lower: unary('string', 'string'),
  upper: unary('string', 'string'),
  starts_with: { arity_min: 2, arity_max: 2, args: 'string', returns: 'boolean' },
  ends_with: { arity_min: 2, arity_max: 2, args: 'string', returns: 'boolean' },
  contains: { arity_min: 2, arity_max: 2, args: 'string', returns: 'boolean' },
  coalesce: { arity_min: 2, arity_max: VARIADIC_MAX, args: 'same', returns: 'same' },
  is_null: { arity_min: 1, arity_max: 1, args: 'any', returns: 'boolean' },
};

export type CheckResult =
  | { ok: true; type: ExprType; types: ReadonlyMap<Node, ExprType>; references: string[] }
  | { ok: false; error: { message: string; position: number } };

export function check(ast: Node, schema: ContextSchema): CheckResult {
  const checker = new Checker(schema);
  try {
    const type = checker.typeOf(ast);
    const references = [...checker.references].sort();
    return { ok: true, type, types: checker.types, references };
  } catch (err) {
    if (err instanceof ExprFailure) return { ok: false, error: { message: err.message, position: err.position } };
    throw err;
  }
}

const VALUE_TYPES: ReadonlySet<unknown> = new Set<ValueType>(['number', 'string', 'boolean']);

class Checker {
  readonly types = new Map<Node, ExprType>();
  readonly references = new Set<string>();

  constructor(private readonly schema: ContextSchema) {}

  typeOf(node: Node): ExprType {
    const type = this.infer(node);
    this.types.set(node, type);
    return type;
  }

  private infer(node: Node): ExprType {
    switch (node.kind) {
      case 'literal':
        return node.value === null ? 'null' : (typeof node.value as ValueType);
      case 'name':
        return this.name(node.name, node.pos);
      case 'negate':
        return this.expect(node.operand, 'number', "unary '-'", node.pos);
      case 'not':
        return this.expect(node.operand, 'boolean', "'not'", node.pos);
      case 'logical': {
        const left = this.typeOf(node.left);
        const right = this.typeOf(node.right);
        if (left !== 'boolean' || right !== 'boolean') {
          throw new ExprFailure(`'${node.op}' needs two booleans, got ${left} and ${right}`, node.pos);
        }
        return 'boolean';
      }
      case 'arithmetic': {
        const left = this.typeOf(node.left);
        const right = this.typeOf(node.right);
        if (left !== 'number' || right !== 'number') {
          throw new ExprFailure(`'${node.op}' needs two numbers, got ${left} and ${right}`, node.pos);
        }
        return 'number';
      }
      case 'compare':
        return this.compare(node);
      case 'in':
        return this.membership(node);
      case 'call':
        return this.call(node);
    }
  }

  private name(name: string, pos: number): ExprType {
    if (!Object.hasOwn(this.schema, name)) {
      const suggestion = suggest(name, Object.keys(this.schema));
      throw new ExprFailure(`unknown name '${name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`, pos);
    }
    const type = this.schema[name];
    if (!VALUE_TYPES.has(type)) throw new ExprFailure(`the schema gives '${name}' an unknown type ${JSON.stringify(type)}`, pos);
    this.references.add(name);
    return type as ValueType;
  }

  private expect(operand: Node, wanted: ValueType, what: string, pos: number): ExprType {
    const type = this.typeOf(operand);
    if (type !== wanted) throw new ExprFailure(`${what} needs a ${wanted}, got ${type}`, pos);
    return type;
  }

  private compare(node: Node & { kind: 'compare' }): ExprType {
    const left = this.typeOf(node.left);
    const right = this.typeOf(node.right);
    if (node.op === '==' || node.op === '!=') {
      if (left !== right && left !== 'null' && right !== 'null') {
        throw new ExprFailure(`cannot compare ${left} with ${right} using '${node.op}'`, node.pos);
      }
      return 'boolean';
    }
    if (left !== right || (left !== 'number' && left !== 'string')) {
      throw new ExprFailure(`'${node.op}' needs two numbers or two strings, got ${left} and ${right}`, node.pos);
    }
    return 'boolean';
  }

  private membership(node: Node & { kind: 'in' }): ExprType {
    const operand = this.typeOf(node.operand);
    const op = node.negated ? 'not in' : 'in';
    const first = node.items[0];
    if (operand === 'null') throw new ExprFailure(`the left side of '${op}' cannot be null`, node.pos);
    if (first === undefined) return 'boolean';
    const itemType = typeof first.value;
    for (const item of node.items) {
      if (typeof item.value !== itemType) {
        throw new ExprFailure(`list items must all be of one type: found ${itemType} and ${typeof item.value}`, item.pos);
      }
    }
    if (itemType !== operand) throw new ExprFailure(`'${op}' cannot look for a ${operand} in a list of ${itemType}s`, node.pos);
    return 'boolean';
  }

  private call(node: Node & { kind: 'call' }): ExprType {
    if (!Object.hasOwn(FUNCTIONS, node.name)) {
      const suggestion = suggest(node.name, Object.keys(FUNCTIONS));
      throw new ExprFailure(`unknown function '${node.name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`, node.pos);
    }
    const spec = FUNCTIONS[node.name]!;
    const count = node.args.length;
    if (count < spec.arity_min || count > spec.arity_max) {
      throw new ExprFailure(`${node.name} takes ${arityText(spec)}, got ${count}`, node.pos);
    }
    const types = node.args.map((arg) => this.typeOf(arg));
    let common: ExprType = 'null';
    for (const [i, type] of types.entries()) {
      if (spec.args === 'any') continue;
      if (spec.args !== 'same') {
        if (type !== spec.args) throw new ExprFailure(`argument ${i + 1} of ${node.name} must be a ${spec.args}, got ${type}`, node.pos);
        continue;
      }
      if (type === 'null') continue;
      if (common !== 'null' && type !== common) {
        throw new ExprFailure(`${node.name} needs arguments of one type, got ${common} and ${type}`, node.pos);
      }
      common = type;
    }
    return spec.returns === 'same' ? common : spec.returns;
  }
}

function arityText(spec: FunctionSpec): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (spec.arity_min === spec.arity_max) return plural(spec.arity_min);
  return `at least ${plural(spec.arity_min)}`;
}

/** The closest candidate within edit distance 2 (ties: the first in sort order), for "did you mean". */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...candidates].sort()) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(word, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once every path costs `limit` or more. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}

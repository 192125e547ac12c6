/**
 * The risk engine's rule expression language: what analysts write rule conditions in,
 *
 *   event.amount > 500000 and velocity.customer_count_1h >= 5
 *   event.type == 'payment' and not (event.geo_country in ['CN', 'HK'])
 *   lower(event.channel) starts_with 'web'
 *
 * compiled once (parse → type check against the ContextSchema → closures) and evaluated
 * per decision without walking a tree. Nothing is ever evaluated with eval or Function.
 * Bad input never throws: it is an ExprError with the exact position of the offending
 * token; an exception from here is a bug.
 *
 * Null at run time (any context value may be null; a missing key or a value of another
 * type than the schema's reads as null): arithmetic and functions give null (coalesce and
 * is_null excepted), comparisons with a null operand are false except `== null` and
 * `!= null`, `not null` is null, and/or treat null as false, and division by zero gives
 * null (compile.ts says why).
 *
 * A condition whose value is null counts as false: compileCondition's evaluate returns
 * exactly true or false, so a condition such as `event.amount + fee.amount > 100` or
 * `not list.device_denied` does not fire when a value it needs is missing. Comparisons are
 * false rather than null on a null operand, so `not (event.amount > 100)` does fire
 * without an amount; write `event.amount != null and …` where that matters.
 */
import type { Context, ContextSchema, Value, ValueType } from '../types.js';
import { check } from './check.js';
import { compile } from './compile.js';
import { lineColumn } from './lexer.js';
import { parse } from './parser.js';

export { EXPRESSION_CHARS_MAX, EXPRESSION_DEPTH_MAX } from './parser.js';

export interface ExprError {
  message: string;
  /** 0-based offset of the offending token, in UTF-16 code units (a JavaScript string index). */
  position: number;
  /** 1-based. */
  line: number;
  /** 1-based, counted in UTF-16 code units from the start of the line. */
  column: number;
}

export type CompileResult =
  | { ok: true; evaluate: (ctx: Context) => Value; type: ValueType | 'null'; references: string[] }
  | { ok: false; error: ExprError };

export function compileExpression(source: string, schema: ContextSchema): CompileResult {
  return build(source, schema, false);
}

/** Like compileExpression, but the expression must be boolean, and null evaluates to false. */
export function compileCondition(source: string, schema: ContextSchema): CompileResult {
  return build(source, schema, true);
}

function build(source: string, schema: ContextSchema, condition: boolean): CompileResult {
  // Callers from JSON may pass anything; refuse rather than throw.
  if (typeof source !== 'string') return failure('', 'expression must be a string', 0);
  if (typeof schema !== 'object' || schema === null) return failure(source, 'schema must be an object', 0);
  const parsed = parse(source);
  if (!parsed.ok) return failure(source, parsed.error.message, parsed.error.position);
  const checked = check(parsed.ast, schema);
  if (!checked.ok) return failure(source, checked.error.message, checked.error.position);
  const { type, references } = checked;
  const evaluate = compile(parsed.ast, checked.types);
  if (!condition) return { ok: true, evaluate, type, references };
  if (type !== 'boolean') return failure(source, `a condition must be boolean, this expression is ${type}`, parsed.ast.start);
  return { ok: true, evaluate: (ctx) => evaluate(ctx) === true, type, references };
}

function failure(source: string, message: string, position: number): CompileResult {
  const { line, column } = lineColumn(source, position);
  return { ok: false, error: { message, position, line, column } };
}

/**
 * Property-based tests of the rule expression language. fast-check draws well-typed
 * expression trees (this file's own tree type, not the parser's), prints them to source
 * twice (with the fewest parentheses precedence allows, and with every subexpression
 * parenthesised), compiles the source and compares each evaluation with a deliberately
 * naive reference interpreter written below from the language's rules. Other properties
 * feed garbage, token soup and mutated valid sources to the compiler: it never throws,
 * and every error points inside the source with a consistent line and column.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Context, ContextSchema, Value, ValueType } from '../types.js';
import { compileCondition, compileExpression, type CompileResult } from './index.js';

// A fixed seed keeps CI reproducible; set EXPR_FC_SEED to explore other corners locally.
const FC_OPTIONS = { numRuns: 400, seed: Number(process.env.EXPR_FC_SEED ?? 20260101) };
const PROPERTY_TIMEOUT_MS = 60_000; // only reached while shrinking a failure

const SCHEMA: ContextSchema = {
  'n.a': 'number',
  'n.b': 'number',
  'n.c': 'number',
  's.a': 'string',
  's.b': 'string',
  'b.a': 'boolean',
  'b.b': 'boolean',
};
const NAMES_BY_TYPE: Record<ValueType, string[]> = { number: ['n.a', 'n.b', 'n.c'], string: ['s.a', 's.b'], boolean: ['b.a', 'b.b'] };
const TYPES: ValueType[] = ['number', 'string', 'boolean'];

// ---------------------------------------------------------------------------------------
// The test's own expression tree, generator, printer and reference interpreter
// ---------------------------------------------------------------------------------------

type ArithOp = '+' | '-' | '*' | '/' | '%';
type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
type Item = number | string | boolean;
type E =
  | { k: 'lit'; v: Value }
  | { k: 'var'; name: string; ty: ValueType }
  | { k: 'neg'; e: E }
  | { k: 'not'; e: E }
  | { k: 'arith'; op: ArithOp; l: E; r: E }
  | { k: 'cmp'; op: CmpOp; l: E; r: E }
  | { k: 'logic'; op: 'and' | 'or'; l: E; r: E }
  | { k: 'in'; neg: boolean; e: E; items: Item[] }
  | { k: 'call'; f: string; args: E[]; infix: boolean };

const numberValue = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 4 },
  { arbitrary: fc.constantFrom(0.5, 2.5, -2.5, 1e21, 1e-7, 1e308, -1e308), weight: 1 },
  { arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), weight: 1 },
);
const stringValue = fc.string({ unit: fc.constantFrom('a', 'b', 'A', "'", '"', '\\', '\n', '\t', 'é', '😀', ' '), maxLength: 4 });
const booleanValue = fc.boolean();
const VALUE_OF: Record<ValueType, fc.Arbitrary<Item>> = { number: numberValue, string: stringValue, boolean: booleanValue };

const lit = (v: Value): E => ({ k: 'lit', v });
const call = (f: string, args: E[], infix = false): E => ({ k: 'call', f, args, infix });
const memo = new Map<string, fc.Arbitrary<E>>();

/** Expressions of type `ty` at most `depth` operators deep. Memoised: the tree of arbitraries is built once. */
function exprOf(ty: ValueType, depth: number): fc.Arbitrary<E> {
  const key = `${ty}:${depth}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const leaf = fc.oneof(
    VALUE_OF[ty].map(lit),
    fc.constantFrom(...NAMES_BY_TYPE[ty]).map((name): E => ({ k: 'var', name, ty })),
  );
  const arbitrary = depth === 0 ? leaf : fc.oneof({ arbitrary: leaf, weight: 2 }, { arbitrary: compound(ty, depth - 1), weight: 3 });
  memo.set(key, arbitrary);
  return arbitrary;
}

function compound(ty: ValueType, d: number): fc.Arbitrary<E> {
  const num = exprOf('number', d);
  const str = exprOf('string', d);
  const bool = exprOf('boolean', d);
  const orNull = (a: fc.Arbitrary<E>): fc.Arbitrary<E> => fc.oneof(a, fc.constant(lit(null)));
  if (ty === 'number') {
    return fc.oneof(
      num.map((e): E => ({ k: 'neg', e })),
      fc.tuple(fc.constantFrom<ArithOp>('+', '-', '*', '/', '%'), num, num).map(([op, l, r]): E => ({ k: 'arith', op, l, r })),
      fc.tuple(fc.constantFrom('abs', 'round', 'floor', 'ceil'), num).map(([f, a]) => call(f, [a])),
      fc.tuple(fc.constantFrom('min', 'max'), fc.array(num, { minLength: 2, maxLength: 3 })).map(([f, args]) => call(f, args)),
      str.map((a) => call('len', [a])),
      fc.tuple(num, orNull(num)).map(([a, b]) => call('coalesce', [a, b])),
    );
  }
  if (ty === 'string') {
    return fc.oneof(
      fc.tuple(fc.constantFrom('lower', 'upper'), str).map(([f, a]) => call(f, [a])),
      fc.tuple(orNull(str), str).map(([a, b]) => call('coalesce', [a, b])),
    );
  }
  const sameTyped = (make: (l: E, r: E) => E, types: ValueType[]): fc.Arbitrary<E> =>
    fc.oneof(...types.map((t) => fc.tuple(exprOf(t, d), exprOf(t, d)).map(([l, r]) => make(l, r))));
  // The commonest rule shape, `name <op> literal` (either way round), has its own
  // compiled fast path; draw it often rather than by the chance of two leaves meeting.
  const leafComparison = fc.oneof(
    ...TYPES.map((t) =>
      fc
        .tuple(fc.constantFrom<CmpOp>(...(t === 'boolean' ? (['==', '!='] as const) : (['==', '!=', '<', '<=', '>', '>='] as const))), exprOf(t, 0), exprOf(t, 0))
        .map(([op, l, r]): E => ({ k: 'cmp', op, l, r })),
    ),
  );
  return fc.oneof(
    { arbitrary: leafComparison, weight: 4 },
    bool.map((e): E => ({ k: 'not', e })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), bool, bool).map(([op, l, r]): E => ({ k: 'logic', op, l, r })),
    fc.constantFrom<CmpOp>('==', '!=').chain((op) => sameTyped((l, r) => ({ k: 'cmp', op, l, r }), TYPES)),
    fc.constantFrom<CmpOp>('<', '<=', '>', '>=').chain((op) => sameTyped((l, r) => ({ k: 'cmp', op, l, r }), ['number', 'string'])),
    fc
      .tuple(fc.constantFrom<CmpOp>('==', '!='), fc.constantFrom(...TYPES), fc.boolean())
      .chain(([op, t, nullLeft]) => exprOf(t, d).map((e): E => (nullLeft ? { k: 'cmp', op, l: lit(null), r: e } : { k: 'cmp', op, l: e, r: lit(null) }))),
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...TYPES), fc.boolean())
        .chain(([t, neg]) => fc.tuple(exprOf(t, d), fc.array(VALUE_OF[t], { maxLength: 4 })).map(([e, items]): E => ({ k: 'in', neg, e, items }))),
      weight: 2,
    },
    fc.tuple(fc.constantFrom('starts_with', 'ends_with', 'contains'), str, str, fc.boolean()).map(([f, a, b, infix]) => call(f, [a, b], infix)),
    fc.constantFrom(...TYPES).chain((t) => exprOf(t, d).map((a) => call('is_null', [a]))),
  );
}

/** A drawn expression with its type. */
const typedExpr = fc.constantFrom(...TYPES).chain((ty) => exprOf(ty, 4).map((e) => ({ e, ty })));

// Precedence levels of the printed forms, loosest first (see parser.ts).
const OR = 1, AND = 2, NOT = 3, CMP = 4, ADD = 5, MUL = 6, UNARY = 7, ATOM = 8;
type Printed = { text: string; prec: number };

function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').split(q).join(`\\${q}`);
  return q + body + q;
}

function printLiteral(v: Value): Printed {
  if (typeof v === 'number') return { text: String(v), prec: v < 0 ? UNARY : ATOM };
  if (typeof v === 'string') return { text: quote(v), prec: ATOM };
  return { text: String(v), prec: ATOM };
}

/** Source for `e`: with `full`, every compound subexpression is parenthesised. */
function print(e: E, full: boolean): Printed {
  const at = (p: Printed, min: number): string => (p.prec >= min && !(full && p.prec < ATOM) ? p.text : `(${p.text})`);
  const sub = (x: E, min: number): string => at(print(x, full), min);
  switch (e.k) {
    case 'lit':
      return printLiteral(e.v);
    case 'var':
      return { text: e.name, prec: ATOM };
    case 'neg': {
      const operand = sub(e.e, UNARY);
      return { text: `-${operand.startsWith('-') ? ' ' : ''}${operand}`, prec: UNARY };
    }
    case 'not':
      return { text: `not ${sub(e.e, NOT)}`, prec: NOT };
    case 'arith': {
      const prec = e.op === '+' || e.op === '-' ? ADD : MUL;
      return { text: `${sub(e.l, prec)} ${e.op} ${sub(e.r, prec + 1)}`, prec };
    }
    case 'cmp':
      return { text: `${sub(e.l, ADD)} ${e.op} ${sub(e.r, ADD)}`, prec: CMP };
    case 'logic': {
      const prec = e.op === 'and' ? AND : OR;
      return { text: `${sub(e.l, prec)} ${e.op} ${sub(e.r, prec + 1)}`, prec };
    }
    case 'in': {
      const items = e.items.map((v) => printLiteral(v).text).join(', ');
      return { text: `${sub(e.e, ADD)} ${e.neg ? 'not in' : 'in'} [${items}]`, prec: CMP };
    }
    case 'call':
      if (e.infix) return { text: `${sub(e.args[0]!, ADD)} ${e.f} ${sub(e.args[1]!, ADD)}`, prec: CMP };
      return { text: `${e.f}(${e.args.map((a) => print(a, full).text).join(', ')})`, prec: ATOM };
  }
}

const isNullLiteral = (e: E): boolean => e.k === 'lit' && e.v === null;

/** The language's rules, read straight off the spec, walking the tree on every call. */
function reference(e: E, ctx: Context): Value {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'var': {
      const v = ctx[e.name];
      return typeof v === e.ty ? (v as Value) : null;
    }
    case 'neg': {
      const v = reference(e.e, ctx);
      return v === null ? null : -(v as number);
    }
    case 'not': {
      const v = reference(e.e, ctx);
      return v === null ? null : !v;
    }
    case 'logic': {
      const l = reference(e.l, ctx) === true;
      if (e.op === 'and') return l ? reference(e.r, ctx) === true : false;
      return l ? true : reference(e.r, ctx) === true;
    }
    case 'arith': {
      const l = reference(e.l, ctx) as number | null;
      const r = reference(e.r, ctx) as number | null;
      if (l === null || r === null) return null;
      if ((e.op === '/' || e.op === '%') && r === 0) return null;
      const x = e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : e.op === '/' ? l / r : l % r;
      return Number.isFinite(x) ? x : null;
    }
    case 'cmp': {
      const l = reference(e.l, ctx);
      const r = reference(e.r, ctx);
      if (isNullLiteral(e.l) || isNullLiteral(e.r)) {
        const other = isNullLiteral(e.l) ? r : l;
        return e.op === '==' ? other === null : other !== null;
      }
      if (l === null || r === null) return false;
      const [a, b] = [l as number, r as number]; // or two strings: JavaScript orders them alike
      return { '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[e.op];
    }
    case 'in': {
      const v = reference(e.e, ctx);
      if (v === null) return false;
      return e.neg !== e.items.includes(v);
    }
    case 'call':
      return referenceCall(e.f, e.args.map((a) => reference(a, ctx)));
  }
}

function referenceCall(f: string, args: Value[]): Value {
  if (f === 'coalesce') return args.find((a) => a !== null) ?? null;
  if (f === 'is_null') return args[0] === null;
  if (args.includes(null)) return null;
  const [x, y] = args as [never, never];
  switch (f) {
    case 'abs':
      return Math.abs(x);
    case 'round':
      return Math.sign(x) * Math.round(Math.abs(x));
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'min':
      return Math.min(...(args as number[]));
    case 'max':
      return Math.max(...(args as number[]));
    case 'len':
      return Array.from(x as string).length;
    case 'lower':
      return (x as string).toLowerCase();
    case 'upper':
      return (x as string).toUpperCase();
    case 'starts_with':
      return (x as string).startsWith(y);
    case 'ends_with':
      return (x as string).endsWith(y);
    case 'contains':
      return (x as string).includes(y);
  }
  throw new Error(`reference has no function ${f}`);
}

function namesIn(e: E, into = new Set<string>()): Set<string> {
  if (e.k === 'var') into.add(e.name);
  if (e.k === 'neg' || e.k === 'not' || e.k === 'in') namesIn(e.e, into);
  if (e.k === 'arith' || e.k === 'cmp' || e.k === 'logic') (namesIn(e.l, into), namesIn(e.r, into));
  if (e.k === 'call') e.args.forEach((a) => namesIn(a, into));
  return into;
}

/** Contexts where each key holds a value of its type, null, nothing, or (rarely) a value of another type. */
const contextArb: fc.Arbitrary<Context> = fc
  .tuple(
    ...Object.entries(SCHEMA).map(([name, ty]) =>
      fc.oneof(
        { arbitrary: VALUE_OF[ty].map((v) => [name, v] as const), weight: 6 },
        { arbitrary: fc.constant([name, null] as const), weight: 2 },
        { arbitrary: fc.constant([name, undefined] as const), weight: 1 },
        { arbitrary: fc.constantFrom<Value>(7, 'x', true).map((v) => [name, v] as const), weight: 1 },
      ),
    ),
  )
  .map((entries) => {
    const ctx: Context = {};
    for (const [name, v] of entries) if (v !== undefined) ctx[name] = v;
    return ctx;
  });

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

function accepted(source: string, result: CompileResult): asserts result is CompileResult & { ok: true } {
  if (!result.ok) throw new Error(`${JSON.stringify(source)} was refused: ${result.error.message} at ${result.error.position}`);
}

/** 0 and -0 are one value in the language (nothing turns a number into text). */
const sameValue = (a: Value, b: Value): boolean => a === b;

describe('compiled expressions agree with the reference interpreter', () => {
  it(
    'random well-typed expressions, printed minimally and fully parenthesised',
    () => {
      fc.assert(
        fc.property(typedExpr, fc.array(contextArb, { minLength: 1, maxLength: 3 }), ({ e, ty }, contexts) => {
          for (const full of [false, true]) {
            const source = print(e, full).text;
            const result = compileExpression(source, SCHEMA);
            accepted(source, result);
            expect(result.type).toBe(ty);
            expect(result.references).toEqual([...namesIn(e)].sort());
            for (const ctx of contexts) {
              const actual = result.evaluate(ctx);
              const expected = reference(e, ctx);
              if (!sameValue(actual, expected)) {
                throw new Error(`${source} with ${JSON.stringify(ctx)}: compiled ${String(actual)}, reference ${String(expected)}`);
              }
              expect(actual === null || typeof actual === ty).toBe(true);
              if (typeof actual === 'number') expect(Number.isFinite(actual)).toBe(true);
            }
          }
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'conditions evaluate to exactly the reference value, with null as false',
    () => {
      fc.assert(
        fc.property(exprOf('boolean', 4), contextArb, (e, ctx) => {
          const source = print(e, false).text;
          const result = compileCondition(source, SCHEMA);
          accepted(source, result);
          expect(result.evaluate(ctx)).toBe(reference(e, ctx) === true);
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------
// Garbage never throws
// ---------------------------------------------------------------------------------------

const FRAGMENTS = [
  'n.a', 's.b', 'b.a', 'zz', 'n.', '.', '(', ')', '[', ']', ',', 'and', 'or', 'not', 'in', 'not in', '==', '!=', '<', '<=', '>', '>=', '=', '!',
  '+', '-', '*', '/', '%', '0', '1', '2.5', '1e3', '1e', '1.', "'x'", '"y"', "'", '"', '\\', 'abs', 'min', 'coalesce', 'is_null', 'len',
  'starts_with', 'contains', 'null', 'true', 'false', 'AND', '#', '\n', ' ', '\t', '😀',
];
const tokenSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }).chain((parts) =>
  fc.array(fc.constantFrom('', ' ', '\n'), { minLength: parts.length, maxLength: parts.length }).map((gaps) => parts.map((p, i) => p + gaps[i]).join('')),
);
const deepOrLong = fc
  .tuple(fc.constantFrom('(', 'not ', '- ', 'abs(', '1+', 'x', ' '), fc.integer({ min: 0, max: 1100 }))
  .map(([fragment, count]) => fragment.repeat(count) + 'n.a');
const garbage = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...'n.ab()[],\'"\\ <>=!+-*/%0123456789e'.split('')), maxLength: 40 }),
  tokenSoup,
  deepOrLong,
);

/** What an error must look like for `source`, with line and column worked out independently. */
function checkOutcome(source: string, result: CompileResult, condition: boolean, ctx: Context): void {
  if (!result.ok) {
    const { message, position, line, column } = result.error;
    expect(typeof message === 'string' && message.length > 0).toBe(true);
    expect(Number.isInteger(position) && position >= 0 && position <= source.length).toBe(true);
    const before = source.slice(0, position);
    expect(line).toBe(before.split('\n').length);
    expect(column).toBe(position - (before.lastIndexOf('\n') + 1) + 1);
    return;
  }
  expect(result.references).toEqual([...new Set(result.references)].sort());
  for (const name of result.references) expect(Object.hasOwn(SCHEMA, name)).toBe(true);
  const value = result.evaluate(ctx);
  if (condition) expect(typeof value).toBe('boolean');
  else expect(value === null || typeof value === result.type).toBe(true);
}

describe('bad input never throws', () => {
  it(
    'garbage strings compile to a result or an error inside the source',
    () => {
      fc.assert(
        fc.property(garbage, contextArb, (source, ctx) => {
          checkOutcome(source, compileExpression(source, SCHEMA), false, ctx);
          checkOutcome(source, compileCondition(source, SCHEMA), true, ctx);
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'valid sources with one character deleted, inserted or replaced',
    () => {
      const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'replace'), fc.nat(), fc.constantFrom(...FRAGMENTS));
      fc.assert(
        fc.property(typedExpr, edit, contextArb, ({ e }, [kind, at, text], ctx) => {
          const source = print(e, false).text;
          const i = at % (source.length + 1);
          const mutated =
            kind === 'delete' ? source.slice(0, i) + source.slice(i + 1) : kind === 'insert' ? source.slice(0, i) + text + source.slice(i) : source.slice(0, i) + text + source.slice(i + 1);
          checkOutcome(mutated, compileExpression(mutated, SCHEMA), false, ctx);
          checkOutcome(mutated, compileCondition(mutated, SCHEMA), true, ctx);
        }),
        FC_OPTIONS,
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

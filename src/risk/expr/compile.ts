/**
 * Compiles a type-checked AST into nested closures, once, when a rule is saved or loaded:
 * evaluation calls closures only (no AST walk, no dispatch on node kinds), and the common
 * shape `name <op> literal` reads the context and compares inline without allocating.
 * Subtrees without context reads are folded to constants at compile time.
 *
 * Run-time null rules (any context value may be null, missing, or of the wrong type; all
 * three read as null):
 * - arithmetic and functions with a null argument give null (except coalesce, is_null);
 * - a comparison (including in / not in) with a null operand is false, except `x == null`
 *   and `x != null`, which test for null;
 * - `not null` is null; `and` / `or` treat null as false and always give a boolean.
 * Arithmetic never yields Infinity or NaN: division or remainder by zero, and overflow,
 * give null (see `finite`).
 */
import type { Context, Value, ValueType } from '../types.js';
import type { ExprType } from './check.js';
import type { ArithmeticOp, ComparisonOp, ListItem, Node } from './parser.js';

export type Evaluate = (ctx: Context) => Value;
type NumberFn = (ctx: Context) => number | null;
type StringFn = (ctx: Context) => string | null;

type Compiled =
  | { kind: 'constant'; value: Value; fn: Evaluate }
  | { kind: 'read'; key: string; type: ValueType; fn: Evaluate }
  | { kind: 'dynamic'; fn: Evaluate };

export function compile(ast: Node, types: ReadonlyMap<Node, ExprType>): Evaluate {
  return new Compiler(types).node(ast).fn;
}

const EMPTY_CONTEXT: Context = Object.freeze({});

/**
 * Infinity and NaN are not values of the language: a ratio over a zero count (amount /
 * count_1h with no transactions) has no meaning, and null makes every comparison on it
 * false, so the rule does not fire, where Infinity would quietly pass every `> threshold`
 * test and NaN would make `!=` true. The same goes for the rare overflow past 1.8e308.
 */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

const constant = (value: Value): Compiled => ({ kind: 'constant', value, fn: () => value });

class Compiler {
  constructor(private readonly types: ReadonlyMap<Node, ExprType>) {}

  node(node: Node): Compiled {
    switch (node.kind) {
      case 'literal':
        return constant(node.value);
      case 'name':
        return this.read(node);
      case 'negate': {
        const operand = this.node(node.operand);
        return fold(negate(operand.fn as NumberFn), [operand]);
      }
      case 'not': {
        const operand = this.node(node.operand);
        const o = operand.fn;
        return fold((ctx) => {
          const v = o(ctx);
          return v === null ? null : !v;
        }, [operand]);
      }
      case 'logical': {
        const left = this.node(node.left);
        const right = this.node(node.right);
        const l = left.fn;
        const r = right.fn;
        const fn: Evaluate = node.op === 'and' ? (ctx) => l(ctx) === true && r(ctx) === true : (ctx) => l(ctx) === true || r(ctx) === true;
        return fold(fn, [left, right]);
      }
      case 'arithmetic': {
        const left = this.node(node.left);
        const right = this.node(node.right);
        return fold(arithmetic(node.op, left.fn as NumberFn, right.fn as NumberFn), [left, right]);
      }
      case 'compare':
        return this.compare(node);
      case 'in': {
        const operand = this.node(node.operand);
        return fold(membership(operand.fn, node.items, node.negated), [operand]);
      }
      case 'call': {
        const args = node.args.map((arg) => this.node(arg));
        return fold(call(node.name, args), args);
      }
    }
  }

  private typeOf(node: Node): ExprType {
    const type = this.types.get(node);
    if (type === undefined) throw new Error(`bug: node at ${node.pos} was not type-checked`);
    return type;
  }

  /** A value of another type than the schema says (or a missing key) reads as null. */
  private read(node: Node & { kind: 'name' }): Compiled {
    const key = node.name;
    const type = this.typeOf(node);
    let fn: Evaluate;
    switch (type) {
      case 'number':
        fn = (ctx) => {
          const v = ctx[key];
          return typeof v === 'number' ? v : null;
        };
        break;
      case 'string':
        fn = (ctx) => {
          const v = ctx[key];
          return typeof v === 'string' ? v : null;
        };
        break;
      case 'boolean':
        fn = (ctx) => {
          const v = ctx[key];
          return typeof v === 'boolean' ? v : null;
        };
        break;
      case 'null':
        throw new Error(`bug: name ${key} checked as null`);
    }
    return { kind: 'read', key, type, fn };
  }

  private compare(node: Node & { kind: 'compare' }): Compiled {
    const left = this.node(node.left);
    const right = this.node(node.right);
    const op = node.op;
    const leftType = this.typeOf(node.left);
    const rightType = this.typeOf(node.right);
    if ((op === '==' || op === '!=') && (leftType === 'null' || rightType === 'null')) {
      const other = (leftType === 'null' ? right : left).fn;
      return fold(op === '==' ? (ctx) => other(ctx) === null : (ctx) => other(ctx) !== null, [left, right]);
    }
    if (left.kind === 'read' && right.kind === 'constant' && right.value !== null) {
      return { kind: 'dynamic', fn: compareRead(left.key, left.type, op, right.value) };
    }
    if (right.kind === 'read' && left.kind === 'constant' && left.value !== null) {
      return { kind: 'dynamic', fn: compareRead(right.key, right.type, FLIPPED[op], left.value) };
    }
    return fold(compareGeneric(op, left.fn, right.fn), [left, right]);
  }
}

/** The node as compiled, or its value when none of its parts reads the context. */
function fold(fn: Evaluate, parts: readonly Compiled[]): Compiled {
  if (parts.every((p) => p.kind === 'constant')) return constant(fn(EMPTY_CONTEXT));
  return { kind: 'dynamic', fn };
}

function negate(o: NumberFn): Evaluate {
  return (ctx) => {
    const a = o(ctx);
    return a === null ? null : -a;
  };
}

function arithmetic(op: ArithmeticOp, l: NumberFn, r: NumberFn): Evaluate {
  switch (op) {
    case '+':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return null;
        const b = r(ctx);
        return b === null ? null : finite(a + b);
      };
    case '-':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return null;
        const b = r(ctx);
        return b === null ? null : finite(a - b);
      };
    case '*':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return null;
        const b = r(ctx);
        return b === null ? null : finite(a * b);
      };
    case '/':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return null;
        const b = r(ctx);
        return b === null || b === 0 ? null : finite(a / b);
      };
    case '%':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return null;
        const b = r(ctx);
        return b === null || b === 0 ? null : finite(a % b);
      };
  }
}

const FLIPPED: Readonly<Record<ComparisonOp, ComparisonOp>> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

// Ordering operands are two numbers or two strings (the checker guarantees it); the
// `as number` casts only quiet TypeScript, `<` compares strings by UTF-16 code units.

/** `key <op> c` with c a non-null literal of the key's type: one property read, no call. */
function compareRead(key: string, type: ValueType, op: ComparisonOp, c: number | string | boolean): Evaluate {
  switch (op) {
    case '==':
      return (ctx) => ctx[key] === c;
    case '!=':
      return (ctx) => {
        const v = ctx[key];
        return typeof v === type && v !== c;
      };
    case '<':
      return (ctx) => {
        const v = ctx[key];
        return typeof v === type && (v as number) < (c as number);
      };
    case '<=':
      return (ctx) => {
        const v = ctx[key];
        return typeof v === type && (v as number) <= (c as number);
      };
    case '>':
      return (ctx) => {
        const v = ctx[key];
        return typeof v === type && (v as number) > (c as number);
      };
    case '>=':
      return (ctx) => {
        const v = ctx[key];
        return typeof v === type && (v as number) >= (c as number);
      };
  }
}

function compareGeneric(op: ComparisonOp, l: Evaluate, r: Evaluate): Evaluate {
  switch (op) {
    case '==':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && a === b;
      };
    case '!=':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && a !== b;
      };
    case '<':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && (a as number) < (b as number);
      };
    case '<=':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && (a as number) <= (b as number);
      };
    case '>':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && (a as number) > (b as number);
      };
    case '>=':
      return (ctx) => {
        const a = l(ctx);
        if (a === null) return false;
        const b = r(ctx);
        return b !== null && (a as number) >= (b as number);
      };
  }
}

function membership(o: Evaluate, items: readonly ListItem[], negated: boolean): Evaluate {
  const set = new Set<Value>(items.map((item) => item.value));
  if (negated) {
    return (ctx) => {
      const v = o(ctx);
      return v !== null && !set.has(v);
    };
  }
  return (ctx) => {
    const v = o(ctx);
    return v !== null && set.has(v);
  };
}

function call(name: string, args: readonly Compiled[]): Evaluate {
  const fns = args.map((a) => a.fn);
  switch (name) {
    case 'abs':
      return numberFunction(fns, Math.abs);
    case 'round':
      return numberFunction(fns, roundHalfAwayFromZero);
    case 'floor':
      return numberFunction(fns, Math.floor);
    case 'ceil':
      return numberFunction(fns, Math.ceil);
    case 'min':
      return extremum(fns as NumberFn[], (v, best) => v < best);
    case 'max':
      return extremum(fns as NumberFn[], (v, best) => v > best);
    case 'len':
      return stringFunction(fns, codePointCount);
    case 'lower':
      return stringFunction(fns, (s) => s.toLowerCase());
    case 'upper':
      return stringFunction(fns, (s) => s.toUpperCase());
    case 'starts_with':
      return stringTest(fns, (s, t) => s.startsWith(t));
    case 'ends_with':
      return stringTest(fns, (s, t) => s.endsWith(t));
    case 'contains':
      return stringTest(fns, (s, t) => s.includes(t));
    case 'coalesce':
      return (ctx) => {
        for (let i = 0; i < fns.length; i++) {
          const v = fns[i]!(ctx);
          if (v !== null) return v;
        }
        return null;
      };
    case 'is_null': {
      const a0 = fns[0]!;
      return (ctx) => a0(ctx) === null;
    }
    default:
      throw new Error(`bug: function ${name} passed the checker but has no implementation`);
  }
}

/** Banking convention: 2.5 → 3 and -2.5 → -3 (Math.round alone gives -2). */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Characters as people count them (code points), not UTF-16 units: len('😀') is 1. Allocates nothing. */
function codePointCount(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

function numberFunction(fns: readonly Evaluate[], f: (x: number) => number): Evaluate {
  const a0 = fns[0] as NumberFn;
  return (ctx) => {
    const a = a0(ctx);
    return a === null ? null : f(a);
  };
}

function extremum(fns: readonly NumberFn[], better: (v: number, best: number) => boolean): Evaluate {
  return (ctx) => {
    let best = fns[0]!(ctx);
    if (best === null) return null;
    for (let i = 1; i < fns.length; i++) {
      const v = fns[i]!(ctx);
      if (v === null) return null;
      if (better(v, best)) best = v;
    }
    return best;
  };
}

function stringFunction(fns: readonly Evaluate[], f: (s: string) => Value): Evaluate {
  const a0 = fns[0] as StringFn;
  return (ctx) => {
    const a = a0(ctx);
    return a === null ? null : f(a);
  };
}

function stringTest(fns: readonly Evaluate[], f: (s: string, t: string) => boolean): Evaluate {
  const a0 = fns[0] as StringFn;
  const a1 = fns[1] as StringFn;
  return (ctx) => {
    const a = a0(ctx);
    if (a === null) return null;
    const b = a1(ctx);
    return b === null ? null : f(a, b);
  };
}

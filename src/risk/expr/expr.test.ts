/**
 * Example-based tests of the rule expression language through its public API: every
 * operator and function, precedence and associativity, short-circuiting, the run-time null
 * rules, every error kind with its exact position, line and column, suggestions, reference
 * extraction and the limits. expr.property.test.ts checks the same against a reference
 * interpreter on random expressions, and that garbage input never throws.
 */
import { describe, expect, it } from 'vitest';
import type { Context, ContextSchema, Value } from '../types.js';
import { EXPRESSION_CHARS_MAX, EXPRESSION_DEPTH_MAX, compileCondition, compileExpression, type CompileResult, type ExprError } from './index.js';

const SCHEMA: ContextSchema = {
  'event.amount': 'number',
  'event.type': 'string',
  'event.channel': 'string',
  'event.geo_country': 'string',
  'velocity.customer_count_1h': 'number',
  'model.score': 'number',
  'list.device_denied': 'boolean',
  'graph.distance_to_fraud': 'number',
  'graph.component_size': 'number',
  n: 'number',
  m: 'number',
  s: 'string',
  t: 'string',
  b: 'boolean',
  c: 'boolean',
};

type Compiled = CompileResult & { ok: true };

function compiled(source: string, schema: ContextSchema = SCHEMA): Compiled {
  const result = compileExpression(source, schema);
  if (!result.ok) throw new Error(`${JSON.stringify(source)} was refused: ${result.error.message} at ${result.error.position}`);
  return result;
}

function run(source: string, ctx: Context = {}): Value {
  return compiled(source).evaluate(ctx);
}

function refused(source: string, schema: ContextSchema = SCHEMA, compileFn = compileExpression): ExprError {
  const result = compileFn(source, schema);
  if (result.ok) throw new Error(`${JSON.stringify(source)} was accepted, expected an error`);
  return result.error;
}

/** The error's position, line and column, and that its message matches. */
function errorAt(source: string, message: RegExp, position: number, line = 1, column = position + 1): void {
  const error = refused(source);
  expect({ ...error, message: error.message }).toEqual({ message: expect.stringMatching(message), position, line, column });
}

describe('literals', () => {
  it('reads integers, decimals and exponents', () => {
    expect(run('42')).toBe(42);
    expect(run('0')).toBe(0);
    expect(run('3.25')).toBe(3.25);
    expect(run('1e3')).toBe(1000);
    expect(run('2.5E-2')).toBe(0.025);
    expect(run('2e+2')).toBe(200);
    expect(run('007')).toBe(7);
    expect(compiled('1.5').type).toBe('number');
  });

  it('reads strings in either quote with escapes', () => {
    expect(run("'payment'")).toBe('payment');
    expect(run('"payment"')).toBe('payment');
    expect(run("'it\\'s'")).toBe("it's");
    expect(run('"say \\"hi\\""')).toBe('say "hi"');
    expect(run("'a\\\\b'")).toBe('a\\b');
    expect(run("'\\n\\r\\t'")).toBe('\n\r\t');
    expect(run("'\\u0041\\u00e9'")).toBe('Aé');
    expect(run(`"it's"`)).toBe("it's");
    expect(run("''")).toBe('');
    expect(compiled("'x'").type).toBe('string');
  });

  it('reads true, false and null', () => {
    expect(run('true')).toBe(true);
    expect(run('false')).toBe(false);
    expect(run('null')).toBe(null);
    expect(compiled('true').type).toBe('boolean');
    expect(compiled('null').type).toBe('null');
  });
});

describe('names', () => {
  it('reads dotted context keys', () => {
    expect(run('event.amount', { 'event.amount': 1200 })).toBe(1200);
    expect(run('event.type', { 'event.type': 'payment' })).toBe('payment');
    expect(run('list.device_denied', { 'list.device_denied': true })).toBe(true);
    expect(compiled('velocity.customer_count_1h').type).toBe('number');
  });

  it('reads a missing key, or a value of another type than the schema says, as null', () => {
    expect(run('n', {})).toBe(null);
    expect(run('n', { n: '5' })).toBe(null);
    expect(run('s', { s: 5 })).toBe(null);
    expect(run('b', { b: 'true' })).toBe(null);
    expect(run('n + 1', { n: '5' })).toBe(null);
    expect(run("s == '5'", { s: 5 })).toBe(false);
    expect(run('n == 5', { n: '5' })).toBe(false);
    expect(run('n != 5', { n: '5' })).toBe(false);
  });

  it('does not reach Object.prototype through names or functions', () => {
    expect(refused('constructor', {}).message).toMatch(/unknown name 'constructor'/);
    expect(refused('__proto__', {}).message).toMatch(/unknown name '__proto__'/);
    expect(refused('constructor(1)', {}).message).toMatch(/unknown function 'constructor'/);
    // JSON.parse makes __proto__ an own key, as a schema loaded from storage would have it.
    const schema = JSON.parse('{"constructor": "number", "__proto__": "string"}') as ContextSchema;
    expect(compiled('constructor', schema).evaluate({})).toBe(null);
    expect(compiled('__proto__', schema).evaluate({})).toBe(null);
    expect(compiled('is_null(__proto__)', schema).evaluate({})).toBe(true);
    expect(compiled('constructor > 1', schema).evaluate({})).toBe(false);
    expect(compiled('constructor', schema).evaluate({ constructor: 3 })).toBe(3);
  });

  it('refuses a schema type it does not know, rather than throwing', () => {
    const schema = { n: 'bigint' } as unknown as ContextSchema;
    expect(refused('n + 1', schema)).toEqual({ message: expect.stringMatching(/unknown type "bigint"/), position: 0, line: 1, column: 1 });
  });
});

describe('arithmetic', () => {
  it('computes + - * / % and unary -', () => {
    const ctx = { n: 7, m: 2 };
    expect(run('n + m', ctx)).toBe(9);
    expect(run('n - m', ctx)).toBe(5);
    expect(run('n * m', ctx)).toBe(14);
    expect(run('n / m', ctx)).toBe(3.5);
    expect(run('n % m', ctx)).toBe(1);
    expect(run('-n % m', ctx)).toBe(-1); // remainder keeps the dividend's sign
    expect(run('-n', ctx)).toBe(-7);
    expect(run('- -n', ctx)).toBe(7);
    expect(run('-(n + m)', ctx)).toBe(-9);
    expect(run('n - -m', ctx)).toBe(9);
    expect(compiled('n + 1').type).toBe('number');
  });

  it('binds * / % tighter than + -, and both to the left', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('10 - 4 - 3')).toBe(3);
    expect(run('10 - (4 - 3)')).toBe(9);
    expect(run('100 / 10 / 5')).toBe(2);
    expect(run('2 * 7 % 4')).toBe(2);
    expect(run('7 % 4 * 2')).toBe(6);
    expect(run('1 - 2 + 3')).toBe(2);
  });

  it('binds unary - tighter than binary operators', () => {
    expect(run('-2 * 3 + 1')).toBe(-5);
    expect(run('-n * m', { n: 2, m: 3 })).toBe(-6);
    expect(run('2 - -2')).toBe(4);
    expect(run('-abs(n)', { n: -4 })).toBe(-4);
  });
});

describe('comparisons', () => {
  it('compares numbers with each operator', () => {
    const at = (source: string, n: number): Value => run(source, { n });
    expect([at('n == 5', 5), at('n == 5', 6)]).toEqual([true, false]);
    expect([at('n != 5', 5), at('n != 5', 6)]).toEqual([false, true]);
    expect([at('n < 5', 4), at('n < 5', 5)]).toEqual([true, false]);
    expect([at('n <= 5', 5), at('n <= 5', 6)]).toEqual([true, false]);
    expect([at('n > 5', 6), at('n > 5', 5)]).toEqual([true, false]);
    expect([at('n >= 5', 5), at('n >= 5', 4)]).toEqual([true, false]);
  });

  it('compares with the literal on the left the same way', () => {
    const at = (source: string, n: number): Value => run(source, { n });
    expect([at('5 > n', 4), at('5 > n', 5)]).toEqual([true, false]);
    expect([at('5 >= n', 5), at('5 >= n', 6)]).toEqual([true, false]);
    expect([at('5 < n', 6), at('5 < n', 5)]).toEqual([true, false]);
    expect([at('5 <= n', 5), at('5 <= n', 4)]).toEqual([true, false]);
    expect([at('5 == n', 5), at('5 != n', 5)]).toEqual([true, false]);
  });

  it('compares two computed operands', () => {
    expect(run('n * 2 > m + 1', { n: 3, m: 4 })).toBe(true);
    expect(run('n * 2 > m + 1', { n: 2, m: 4 })).toBe(false);
    expect(run('n == m', { n: 3, m: 3 })).toBe(true);
    expect(run('n != m', { n: 3, m: 3 })).toBe(false);
    expect(run('n <= m', { n: 3, m: 3 })).toBe(true);
    expect(run('n < m', { n: 3, m: 3 })).toBe(false);
    expect(run('n >= m', { n: 2, m: 3 })).toBe(false);
  });

  it('compares strings by code unit and booleans by equality', () => {
    expect(run("s < 'b'", { s: 'a' })).toBe(true);
    expect(run("s < 'B'", { s: 'a' })).toBe(false);
    expect(run('s >= t', { s: 'web', t: 'web' })).toBe(true);
    expect(run("s == 'payment'", { s: 'payment' })).toBe(true);
    expect(run("s == 'Payment'", { s: 'payment' })).toBe(false);
    expect(run('b == c', { b: true, c: true })).toBe(true);
    expect(run('b != true', { b: false })).toBe(true);
  });

  it('tests membership with in and not in', () => {
    expect(run("s in ['CN', 'HK']", { s: 'HK' })).toBe(true);
    expect(run("s in ['CN', 'HK']", { s: 'US' })).toBe(false);
    expect(run("s not in ['CN', 'HK']", { s: 'US' })).toBe(true);
    expect(run("s not in ['CN', 'HK']", { s: 'CN' })).toBe(false);
    expect(run('n in [1, -2, 3.5]', { n: -2 })).toBe(true);
    expect(run('n in [1, - 2, 3.5]', { n: 2 })).toBe(false);
    expect(run('b in [true]', { b: true })).toBe(true);
    expect(run('n + 1 in [3]', { n: 2 })).toBe(true);
    expect(run('n in []', { n: 2 })).toBe(false);
    expect(run('n not in []', { n: 2 })).toBe(true);
  });

  it('binds comparisons looser than arithmetic and tighter than not', () => {
    expect(run('n + 1 > 2 * m', { n: 4, m: 2 })).toBe(true);
    expect(run('not n > 5', { n: 10 })).toBe(false);
    expect(run('not n > 5', { n: 1 })).toBe(true);
    expect(run("not s in ['a']", { s: 'a' })).toBe(false);
  });
});

describe('logic', () => {
  it('computes and, or, not', () => {
    const truth = (source: string): Value[] =>
      [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ].map(([b, c]) => run(source, { b: b!, c: c! }));
    expect(truth('b and c')).toEqual([false, false, false, true]);
    expect(truth('b or c')).toEqual([false, true, true, true]);
    expect(truth('not b')).toEqual([true, true, false, false]);
    expect(truth('not not b')).toEqual([false, false, true, true]);
  });

  it('binds not tighter than and, and tighter than or', () => {
    expect(run('not true and false')).toBe(false); // (not true) and false
    expect(run('not (true and false)')).toBe(true);
    expect(run('true or false and false')).toBe(true); // true or (false and false)
    expect(run('(true or false) and false')).toBe(false);
    expect(run('false and true or true')).toBe(true); // (false and true) or true
    expect(run('not false or false')).toBe(true);
  });

  it('runs the examples analysts write', () => {
    const ctx: Context = {
      'event.amount': 600_000,
      'velocity.customer_count_1h': 5,
      'event.type': 'payment',
      'event.geo_country': 'US',
      'model.score': 0.5,
      'list.device_denied': false,
      'graph.distance_to_fraud': 2,
      'graph.component_size': 11,
      'event.channel': 'WEB-mobile',
    };
    expect(run('event.amount > 500000 and velocity.customer_count_1h >= 5', ctx)).toBe(true);
    expect(run("event.type == 'payment' and not (event.geo_country in ['CN', 'HK'])", ctx)).toBe(true);
    expect(run("event.type == 'payment' and not (event.geo_country in ['CN', 'HK'])", { ...ctx, 'event.geo_country': 'HK' })).toBe(false);
    expect(run('model.score > 0.8 or list.device_denied', ctx)).toBe(false);
    expect(run('model.score > 0.8 or list.device_denied', { ...ctx, 'list.device_denied': true })).toBe(true);
    expect(run('graph.distance_to_fraud <= 2 and graph.component_size > 10', ctx)).toBe(true);
    expect(run("lower(event.channel) starts_with 'web'", ctx)).toBe(true);
  });

  it('short-circuits and / or: the right side is not evaluated when the left decides', () => {
    const reads: string[] = [];
    const counting = (values: Record<string, Value>): Context => {
      const ctx: Context = {};
      for (const [key, value] of Object.entries(values)) {
        Object.defineProperty(ctx, key, { enumerable: true, get: () => (reads.push(key), value) });
      }
      return ctx;
    };
    const and = compiled('b and n > 5').evaluate;
    const or = compiled('b or n > 5').evaluate;
    expect(and(counting({ b: false, n: 10 }))).toBe(false);
    expect(reads).toEqual(['b']);
    reads.length = 0;
    expect(and(counting({ b: true, n: 10 }))).toBe(true);
    expect(reads).toEqual(['b', 'n']);
    reads.length = 0;
    expect(or(counting({ b: true, n: 1 }))).toBe(true);
    expect(reads).toEqual(['b']);
    reads.length = 0;
    expect(or(counting({ b: false, n: 10 }))).toBe(true);
    expect(reads).toEqual(['b', 'n']);
    reads.length = 0;
    expect(and(counting({ b: null, n: 10 }))).toBe(false); // null counts as false, so it decides too
    expect(reads).toEqual(['b']);
  });
});

describe('functions', () => {
  it('abs, round, floor, ceil', () => {
    expect(run('abs(n)', { n: -3.5 })).toBe(3.5);
    expect(run('abs(n)', { n: 2 })).toBe(2);
    expect(run('round(2.5)')).toBe(3);
    expect(run('round(-2.5)')).toBe(-3); // half away from zero
    expect(run('round(2.4)')).toBe(2);
    expect(run('round(-2.6)')).toBe(-3);
    expect(run('floor(-2.5)')).toBe(-3);
    expect(run('floor(2.9)')).toBe(2);
    expect(run('ceil(2.1)')).toBe(3);
    expect(run('ceil(-2.9)')).toBe(-2);
  });

  it('min and max over two or more numbers', () => {
    expect(run('min(n, m)', { n: 3, m: 2 })).toBe(2);
    expect(run('max(n, m)', { n: 3, m: 2 })).toBe(3);
    expect(run('min(5, n, 1, m)', { n: 3, m: 2 })).toBe(1);
    expect(run('max(5, n, 1, m)', { n: 9, m: 2 })).toBe(9);
    expect(run('min(n, m)', { n: 3, m: null })).toBe(null);
    expect(run('max(n, m)', { n: null, m: 2 })).toBe(null);
  });

  it('len counts characters, lower and upper change case', () => {
    expect(run('len(s)', { s: 'payment' })).toBe(7);
    expect(run('len(s)', { s: '' })).toBe(0);
    expect(run('len(s)', { s: '😀é' })).toBe(2);
    expect(run('lower(s)', { s: 'WeB' })).toBe('web');
    expect(run('upper(s)', { s: 'WeB' })).toBe('WEB');
    expect(compiled('len(s)').type).toBe('number');
    expect(compiled('lower(s)').type).toBe('string');
  });

  it('starts_with, ends_with, contains as calls and infix', () => {
    const ctx = { s: 'web-mobile' };
    expect(run("starts_with(s, 'web')", ctx)).toBe(true);
    expect(run("starts_with(s, 'mob')", ctx)).toBe(false);
    expect(run("ends_with(s, 'mobile')", ctx)).toBe(true);
    expect(run("ends_with(s, 'web')", ctx)).toBe(false);
    expect(run("contains(s, 'b-m')", ctx)).toBe(true);
    expect(run("contains(s, 'x')", ctx)).toBe(false);
    expect(run("s starts_with 'web'", ctx)).toBe(true);
    expect(run("s ends_with 'web'", ctx)).toBe(false);
    expect(run("s contains 'mob'", ctx)).toBe(true);
    expect(run("upper(s) contains 'MOB' and true", ctx)).toBe(true);
    expect(run("not s starts_with 'web'", ctx)).toBe(false);
    expect(compiled("s contains 'x'").type).toBe('boolean');
  });

  it('coalesce takes the first non-null, is_null tests for null', () => {
    expect(run('coalesce(n, m)', { n: null, m: 4 })).toBe(4);
    expect(run('coalesce(n, m)', { n: 0, m: 4 })).toBe(0);
    expect(run('coalesce(n, m, 9)', {})).toBe(9);
    expect(run("coalesce(s, 'none')", {})).toBe('none');
    expect(run('coalesce(n, m)', {})).toBe(null);
    expect(run('coalesce(null, n)', { n: 1 })).toBe(1);
    expect(compiled('coalesce(null, n)').type).toBe('number');
    expect(compiled('coalesce(null, null)').type).toBe('null');
    expect(run('is_null(n)', {})).toBe(true);
    expect(run('is_null(n)', { n: 0 })).toBe(false);
    expect(run('is_null(s)', { s: '' })).toBe(false);
    expect(run('is_null(null)')).toBe(true);
    expect(run('is_null(n + 1)', {})).toBe(true);
  });
});

describe('null at run time', () => {
  it('arithmetic with null is null', () => {
    for (const op of ['+', '-', '*', '/', '%']) {
      expect(run(`n ${op} 2`, {})).toBe(null);
      expect(run(`2 ${op} n`, {})).toBe(null);
    }
    expect(run('-n', {})).toBe(null);
  });

  it('division and remainder by zero, and overflow, are null, never Infinity or NaN', () => {
    expect(run('n / 0', { n: 5 })).toBe(null);
    expect(run('n / m', { n: 0, m: 0 })).toBe(null);
    expect(run('n % 0', { n: 5 })).toBe(null);
    expect(run('1e308 * 10')).toBe(null);
    expect(run('n - m', { n: -1e308, m: 1e308 })).toBe(null);
    expect(run('n / m > 1000', { n: 5, m: 0 })).toBe(false);
    expect(run('n / m < 1000', { n: 5, m: 0 })).toBe(false);
  });

  it('a comparison with a null operand is false, except == null and != null', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
      expect(run(`n ${op} 1`, {})).toBe(false);
      expect(run(`1 ${op} n`, {})).toBe(false);
      expect(run(`n ${op} m`, { m: 1 })).toBe(false);
      expect(run(`m ${op} n`, { m: 1 })).toBe(false);
    }
    expect(run('n == m', {})).toBe(false); // two nulls are not equal values
    expect(run("s in ['a']", {})).toBe(false);
    expect(run("s not in ['a']", {})).toBe(false);
    expect(run('n == null', {})).toBe(true);
    expect(run('n == null', { n: 0 })).toBe(false);
    expect(run('null == n', {})).toBe(true);
    expect(run('n != null', { n: 0 })).toBe(true);
    expect(run('n != null', {})).toBe(false);
    expect(run('null != s', { s: '' })).toBe(true);
    expect(run('null == null')).toBe(true);
    expect(run('coalesce(null, null) == n', {})).toBe(true);
  });

  it('not null is null; and / or treat null as false', () => {
    expect(run('not b', {})).toBe(null);
    expect(run('b and true', {})).toBe(false);
    expect(run('true and b', {})).toBe(false);
    expect(run('b or true', {})).toBe(true);
    expect(run('b or c', {})).toBe(false);
    expect(run('not b or true', {})).toBe(true);
    expect(run('not (b and true)', {})).toBe(true);
  });

  it('functions with a null argument are null', () => {
    for (const source of ['abs(n)', 'round(n)', 'floor(n)', 'ceil(n)', 'len(s)', 'lower(s)', 'upper(s)', "starts_with(s, 'a')", "ends_with('a', s)", "contains(s, t)"]) {
      expect(run(source, { t: 'x' })).toBe(null);
    }
  });

  it('a condition whose value is null is false', () => {
    const condition = compileCondition('not b', SCHEMA);
    expect(condition.ok && condition.evaluate({})).toBe(false);
    expect(condition.ok && condition.evaluate({ b: false })).toBe(true);
    const starts = compileCondition("s starts_with 'w'", SCHEMA);
    expect(starts.ok && starts.evaluate({})).toBe(false);
    expect(starts.ok && starts.evaluate({ s: 'web' })).toBe(true);
  });
});

describe('compileCondition', () => {
  it('accepts a boolean expression and evaluates to exactly true or false', () => {
    const result = compileCondition('n > 1', SCHEMA);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.type).toBe('boolean');
    expect(result.references).toEqual(['n']);
    expect(result.evaluate({ n: 2 })).toBe(true);
    expect(result.evaluate({ n: 0 })).toBe(false);
    expect(result.evaluate({})).toBe(false);
  });

  it('refuses a non-boolean expression at its first character', () => {
    expect(refused('n + 1', SCHEMA, compileCondition)).toEqual({ message: expect.stringMatching(/must be boolean.*number/), position: 0, line: 1, column: 1 });
    expect(refused('  (s)', SCHEMA, compileCondition)).toEqual({ message: expect.stringMatching(/must be boolean.*string/), position: 2, line: 1, column: 3 });
    expect(refused('null', SCHEMA, compileCondition).message).toMatch(/must be boolean.*null/);
    expect(refused('n >', SCHEMA, compileCondition).message).toMatch(/expected an expression/);
  });
});

describe('references', () => {
  it('lists the context keys used, sorted and unique', () => {
    expect(compiled("n + n > m and s == 'x' or not b").references).toEqual(['b', 'm', 'n', 's']);
    expect(compiled('velocity.customer_count_1h > 1 and event.amount > 2').references).toEqual(['event.amount', 'velocity.customer_count_1h']);
    expect(compiled('coalesce(t, s) starts_with lower(t)').references).toEqual(['s', 't']);
    expect(compiled("s in ['n', 'm']").references).toEqual(['s']);
    expect(compiled('1 + 2 > 2').references).toEqual([]);
  });
});

describe('syntax errors', () => {
  it('unexpected characters, with hints for = ! & |', () => {
    errorAt('n # 1', /unexpected character '#'/, 2);
    errorAt('n = 1', /unexpected character '='; use '=='/, 2);
    errorAt('!b', /use 'not'/, 0);
    errorAt('b && c', /use 'and'/, 2);
    errorAt('b || c', /use 'or'/, 2);
    errorAt('n > .5', /digit before '\.'/, 4);
    errorAt('s == é', /unexpected character 'é'/, 5);
    errorAt('n >\u0000', /U\+0000/, 3);
  });

  it('malformed numbers', () => {
    errorAt('1.', /digit after '\.'/, 2);
    errorAt('1.x', /digit after '\.'/, 2);
    errorAt('1e', /exponent/, 2);
    errorAt('1e+', /exponent/, 3);
    errorAt('12abc', /unexpected character 'a' after a number/, 2);
    errorAt('1.5.2', /unexpected character '\.' after a number/, 3);
    errorAt('n > 1e999', /too large/, 4);
  });

  it('malformed names', () => {
    errorAt('Event.amount > 1', /invalid name 'Event\.amount'.*did you mean 'event\.amount'/, 0);
    errorAt('b AND c', /invalid name 'AND'.*did you mean 'and'/, 2);
    errorAt('event. > 1', /name segment after '\.'/, 6);
    errorAt('event..x', /name segment after '\.'/, 6);
    errorAt('event.1x', /name segment after '\.'/, 6);
  });

  it('unterminated strings point at the opening quote; bad escapes at the backslash', () => {
    errorAt("s == 'abc", /unterminated string/, 5);
    errorAt('s == "abc\'', /unterminated string/, 5);
    errorAt("s == 'ab\ncd'", /unterminated string/, 5);
    errorAt("s == 'ab\\", /unterminated string/, 5);
    errorAt("s == 'a\\qb'", /unknown escape '\\q'/, 7);
    errorAt("s == 'a\\u12'", /unknown escape '\\u'/, 7);
  });

  it('a missing ) points at what came instead', () => {
    errorAt('(n + 1', /expected '\)' to close the '\(' at 1:1, found end of input/, 6);
    errorAt('(n + 1 ]', /expected '\)'.*found '\]'/, 7);
    errorAt('abs(n', /expected ',' or '\)' in the call to abs, found end of input/, 5);
    errorAt('abs(n 2)', /expected ',' or '\)' in the call to abs, found number 2/, 6);
    errorAt('abs(n,)', /expected an expression, found '\)'/, 6);
  });

  it('trailing input after a complete expression', () => {
    errorAt('n n', /unexpected name 'n': expected an operator or the end/, 2);
    errorAt('n > 1 )', /unexpected '\)'/, 6);
    errorAt("s 'x'", /unexpected string "x"/, 2);
    errorAt('n not m', /unexpected 'not'.*did you mean 'not in'/, 2);
  });

  it('an empty expression points at the end of input', () => {
    errorAt('', /empty expression/, 0);
    errorAt('   ', /empty expression/, 3);
    errorAt('\n  ', /empty expression/, 3, 2, 3);
  });

  it('incomplete expressions point at the end of input or the odd token', () => {
    errorAt('n +', /expected an expression, found end of input/, 3);
    errorAt('n > 1 and', /expected an expression, found end of input/, 9);
    errorAt('not', /expected an expression, found end of input/, 3);
    errorAt('n * * 2', /expected an expression, found '\*'/, 4);
    errorAt(')', /expected an expression, found '\)'/, 0);
  });

  it('lists only after in / not in, of literals, closed by ]', () => {
    errorAt('[1] == n', /list \[\.\.\.\] can only follow 'in'/, 0);
    errorAt("s in ('a')", /expected '\[' after 'in', found '\('/, 5);
    errorAt("s not in 'a'", /expected '\[' after 'not in'/, 9);
    errorAt("s in ['a', t]", /list items must be .* literals, found name 't'/, 11);
    errorAt("s in ['a',]", /list items must be .* literals, found '\]'/, 10);
    errorAt("s in ['a' 'b']", /expected ',' or '\]' in a list, found string "b"/, 10);
    errorAt('n in [null]', /null cannot be a list item/, 6);
    errorAt('n in [1', /expected ',' or '\]' in a list, found end of input/, 7);
  });

  it('comparisons do not chain', () => {
    errorAt('n < m < 3', /comparisons do not chain: unexpected '<'/, 6);
    errorAt('n == 1 in [1]', /comparisons do not chain: unexpected 'in'/, 7);
    errorAt("s == t starts_with 'a'", /comparisons do not chain/, 7);
    errorAt('n == 1 not in [1]', /comparisons do not chain/, 7);
    expect(run('(n < m) == true', { n: 1, m: 2 })).toBe(true);
  });

  it('reports line and column on later lines', () => {
    const source = "event.amount > 5\n  and event.typ == 'x'";
    expect(refused(source)).toEqual({ message: expect.stringMatching(/unknown name 'event\.typ'/), position: 23, line: 2, column: 7 });
    expect(refused('n > 1 and\n\n    (m + #)')).toEqual({ message: expect.stringMatching(/'#'/), position: 20, line: 3, column: 10 });
    expect(refused('n > 1 and\r\n  s')).toEqual({ message: expect.stringMatching(/'and' needs two booleans, got boolean and string/), position: 6, line: 1, column: 7 });
    expect(refused('(n\n+ 1')).toEqual({ message: expect.stringMatching(/expected '\)' to close the '\(' at 1:1/), position: 6, line: 2, column: 4 });
  });
});

describe('type errors name both types at the operator', () => {
  it('comparisons need operands of one type', () => {
    errorAt("n == 'x'", /cannot compare number with string using '=='/, 2);
    errorAt('s != b', /cannot compare string with boolean using '!='/, 2);
    errorAt("n > 'x'", /'>' needs two numbers or two strings, got number and string/, 2);
    errorAt('b < c', /'<' needs two numbers or two strings, got boolean and boolean/, 2);
    errorAt('n <= null', /got number and null/, 2);
  });

  it('arithmetic needs numbers', () => {
    errorAt("n + 's'", /'\+' needs two numbers, got number and string/, 2);
    errorAt('b * n', /'\*' needs two numbers, got boolean and number/, 2);
    errorAt('null - 1', /'-' needs two numbers, got null and number/, 5);
    errorAt('-s', /unary '-' needs a number, got string/, 0);
  });

  it('and / or / not need booleans', () => {
    errorAt('n and b', /'and' needs two booleans, got number and boolean/, 2);
    errorAt('b or s', /'or' needs two booleans, got boolean and string/, 2);
    errorAt('not n', /'not' needs a boolean, got number/, 0);
    errorAt('not null', /'not' needs a boolean, got null/, 0);
  });

  it('membership needs a list of the operand type', () => {
    errorAt("n in ['a']", /'in' cannot look for a number in a list of strings/, 2);
    errorAt('s not in [1]', /'not in' cannot look for a string in a list of numbers/, 2);
    errorAt("n in [1, 'a']", /list items must all be of one type: found number and string/, 9);
    errorAt('null in [1]', /left side of 'in' cannot be null/, 5);
  });

  it('an error in an operand is reported before the operator that uses it', () => {
    errorAt("(n + 's') == b", /'\+' needs two numbers/, 3);
    errorAt('zz + 1 == b', /unknown name 'zz'/, 0);
  });
});

describe('function errors point at the call', () => {
  it('unknown functions, with a suggestion when one is close', () => {
    errorAt('lowr(s)', /unknown function 'lowr' \(did you mean 'lower'\?\)/, 0);
    errorAt("n > 1 and startswith(s, 'a')", /unknown function 'startswith' \(did you mean 'starts_with'\?\)/, 10);
    errorAt('sqrt(n)', /^unknown function 'sqrt'$/, 0);
    errorAt('event.amount(1)', /^unknown function 'event\.amount'$/, 0);
  });

  it('wrong arity', () => {
    errorAt('abs(1, 2)', /abs takes 1 argument, got 2/, 0);
    errorAt('n + min(1)', /min takes at least 2 arguments, got 1/, 4);
    errorAt("starts_with('a')", /starts_with takes 2 arguments, got 1/, 0);
    errorAt('is_null()', /is_null takes 1 argument, got 0/, 0);
    errorAt('coalesce(n)', /coalesce takes at least 2 arguments, got 1/, 0);
  });

  it('wrong argument types', () => {
    errorAt("abs('x')", /argument 1 of abs must be a number, got string/, 0);
    errorAt('len(n)', /argument 1 of len must be a string, got number/, 0);
    errorAt('max(1, b)', /argument 2 of max must be a number, got boolean/, 0);
    errorAt('ends_with(s, 1)', /argument 2 of ends_with must be a string, got number/, 0);
    errorAt('lower(null)', /argument 1 of lower must be a string, got null/, 0);
    errorAt('coalesce(n, s)', /coalesce needs arguments of one type, got number and string/, 0);
    errorAt("n starts_with 'a'", /argument 1 of starts_with must be a string, got number/, 2);
  });
});

describe('did you mean', () => {
  it('suggests the closest key within edit distance 2', () => {
    expect(refused('evnet.amount > 1').message).toBe("unknown name 'evnet.amount' (did you mean 'event.amount'?)");
    expect(refused('model.scor > 1').message).toBe("unknown name 'model.scor' (did you mean 'model.score'?)");
    expect(refused('velocity.customer_count_2h > 1').message).toMatch(/did you mean 'velocity\.customer_count_1h'/);
    expect(refused('graph.component_sizes').message).toMatch(/did you mean 'graph\.component_size'/);
  });

  it('prefers the nearer key and stays silent beyond distance 2', () => {
    const schema: ContextSchema = { 'event.amount': 'number', 'event.amounts': 'number', 'event.count': 'number' };
    expect(refused('event.amounts_', schema).message).toMatch(/did you mean 'event\.amounts'/);
    expect(refused('event.amoun', schema).message).toMatch(/did you mean 'event\.amount'/);
    expect(refused('model.sc > 1').message).toBe("unknown name 'model.sc'");
    expect(refused('zzz').message).toBe("unknown name 'zzz'");
  });
});

describe('limits', () => {
  it(`accepts ${EXPRESSION_CHARS_MAX} characters and refuses one more at position ${EXPRESSION_CHARS_MAX}`, () => {
    expect(EXPRESSION_CHARS_MAX).toBe(2000);
    const longest = 'n' + ' '.repeat(EXPRESSION_CHARS_MAX - 1);
    expect(compiled(longest).evaluate({ n: 1 })).toBe(1);
    errorAt(longest + ' ', /longer than 2000 characters/, 2000);
    const lines = 'n +\n'.repeat(600) + '1';
    expect(refused(lines)).toEqual({ message: expect.stringMatching(/longer than 2000/), position: 2000, line: 501, column: 1 });
  });

  it(`accepts ${EXPRESSION_DEPTH_MAX} levels of nesting and refuses the next at its opening token`, () => {
    expect(EXPRESSION_DEPTH_MAX).toBe(64);
    const parens = (depth: number): string => '('.repeat(depth) + 'n' + ')'.repeat(depth);
    expect(compiled(parens(64)).evaluate({ n: 3 })).toBe(3);
    errorAt(parens(65), /nested too deeply \(more than 64 levels\)/, 64);
    const nots = (depth: number): string => 'not '.repeat(depth) + 'b';
    expect(compiled(nots(64)).evaluate({ b: true })).toBe(true);
    errorAt(nots(65), /nested too deeply/, 256);
    const calls = (depth: number): string => 'abs('.repeat(depth) + 'n' + ')'.repeat(depth);
    expect(compiled(calls(64)).evaluate({ n: -3 })).toBe(3);
    errorAt(calls(65), /nested too deeply/, 256);
    const negations = (depth: number): string => '- '.repeat(depth) + 'n';
    expect(compiled(negations(64)).evaluate({ n: 3 })).toBe(3);
    errorAt(negations(65), /nested too deeply/, 128);
    errorAt('('.repeat(1000), /nested too deeply/, 64);
  });

  it('long flat chains are not nesting', () => {
    const sum = Array.from({ length: 500 }, () => '1').join('+');
    expect(run(sum)).toBe(500);
    const ors = Array.from({ length: 300 }, () => 'b').join(' or ');
    expect(run(ors, { b: true })).toBe(true);
  });
});

describe('never throws on bad input', () => {
  it('refuses a non-string source or a missing schema', () => {
    expect(compileExpression(42 as unknown as string, SCHEMA)).toEqual({ ok: false, error: { message: 'expression must be a string', position: 0, line: 1, column: 1 } });
    expect(compileExpression('n', null as unknown as ContextSchema)).toEqual({ ok: false, error: { message: 'schema must be an object', position: 0, line: 1, column: 1 } });
  });
});

describe('evaluation speed (a micro-check, not a timing)', () => {
  it('10 conditions over a 30-key context evaluate 100,000 times without error', () => {
    const schema: ContextSchema = {};
    for (let i = 0; i < 10; i++) {
      schema[`num.k${i}`] = 'number';
      schema[`str.k${i}`] = 'string';
      schema[`bool.k${i}`] = 'boolean';
    }
    // Each condition beside a plain-JavaScript twin, so the count of firings can be checked.
    type Ctx = Record<string, number | string | boolean>;
    const rules: Array<[string, (c: Ctx) => boolean]> = [
      ['num.k0 > 500', (c) => (c['num.k0'] as number) > 500],
      ["str.k1 == 'payment' and num.k1 >= 3", (c) => c['str.k1'] === 'payment' && (c['num.k1'] as number) >= 3],
      ["str.k2 in ['CN', 'HK', 'RU']", (c) => ['CN', 'HK', 'RU'].includes(c['str.k2'] as string)],
      ['bool.k3 or num.k3 < 10', (c) => c['bool.k3'] === true || (c['num.k3'] as number) < 10],
      ['not bool.k4', (c) => !c['bool.k4']],
      ['num.k5 / (num.k6 + 1) > 2', (c) => (c['num.k5'] as number) / ((c['num.k6'] as number) + 1) > 2],
      ["lower(str.k7) starts_with 'web'", (c) => (c['str.k7'] as string).toLowerCase().startsWith('web')],
      ['abs(num.k8 - num.k9) <= 100', (c) => Math.abs((c['num.k8'] as number) - (c['num.k9'] as number)) <= 100],
      ['max(num.k0, num.k1, num.k2) != 7 and bool.k9', (c) => Math.max(c['num.k0'] as number, c['num.k1'] as number, c['num.k2'] as number) !== 7 && c['bool.k9'] === true],
      ['coalesce(num.k4, 0) % 2 == 0', (c) => (c['num.k4'] as number) % 2 === 0],
    ];
    const conditions = rules.map(([source]) => {
      const result = compileCondition(source, schema);
      if (!result.ok) throw new Error(`${source}: ${result.error.message}`);
      return result.evaluate;
    });
    const countries = ['CN', 'US', 'HK', 'DE', 'RU'];
    const channels = ['WEB', 'app', 'web-mobile', 'branch'];
    const ctx: Ctx = {};
    let fired = 0;
    let expected = 0;
    for (let i = 0; i < 100_000; i++) {
      for (let k = 0; k < 10; k++) {
        ctx[`num.k${k}`] = (i * (k + 1)) % 1000;
        ctx[`str.k${k}`] = k === 1 ? (i % 3 === 0 ? 'payment' : 'login') : k === 7 ? channels[i % 4]! : countries[(i + k) % 5]!;
        ctx[`bool.k${k}`] = (i + k) % 3 === 0;
      }
      for (const evaluate of conditions) if (evaluate(ctx) === true) fired++;
      for (const [, twin] of rules) if (twin(ctx)) expected++;
    }
    expect(Object.keys(ctx)).toHaveLength(30);
    expect(fired).toBe(expected);
    expect(fired).toBeGreaterThan(0);
  });
});

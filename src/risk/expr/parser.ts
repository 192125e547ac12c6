/**
 * Recursive-descent parser of the rule expression language: source → AST. Precedence,
 * lowest first:
 *
 *   or  →  and  →  not (prefix)  →  comparison  →  + -  →  * / %  →  unary -  →  call, ( )
 *
 * `or`, `and`, `+ -` and `* / %` associate to the left. Comparisons (== != < <= > >=,
 * in, not in and the infix string tests starts_with, ends_with, contains) do not chain:
 * `a < b < c` is a syntax error rather than a silent `(a < b) < c`.
 *
 * Every node records `pos`, the offset of the token an error about it points at (the
 * operator of a binary node, the name of a call), and `start`, its first character.
 */
import type { Value } from '../types.js';
import { ExprFailure, Lexer, describeToken, lineColumn, type Token } from './lexer.js';

export const EXPRESSION_CHARS_MAX = 2000;
/** Parentheses, calls, `not` and unary `-` each open a level; the limit bounds the parser's recursion. */
export const EXPRESSION_DEPTH_MAX = 64;

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ListItem = { value: number | string | boolean; pos: number };
/** Functions that may also be written between their two arguments: `s starts_with 'web'`. */
export const INFIX_FUNCTIONS = ['starts_with', 'ends_with', 'contains'] as const;

interface At {
  start: number;
  pos: number;
}
export type Node =
  | (At & { kind: 'literal'; value: Value })
  | (At & { kind: 'name'; name: string })
  | (At & { kind: 'not'; operand: Node })
  | (At & { kind: 'negate'; operand: Node })
  | (At & { kind: 'arithmetic'; op: ArithmeticOp; left: Node; right: Node })
  | (At & { kind: 'compare'; op: ComparisonOp; left: Node; right: Node })
  | (At & { kind: 'logical'; op: 'and' | 'or'; left: Node; right: Node })
  | (At & { kind: 'in'; negated: boolean; operand: Node; items: ListItem[] })
  | (At & { kind: 'call'; name: string; args: Node[] });

export type ParseResult = { ok: true; ast: Node } | { ok: false; error: { message: string; position: number } };

export function parse(source: string): ParseResult {
  if (source.length > EXPRESSION_CHARS_MAX) {
    return { ok: false, error: { message: `expression is longer than ${EXPRESSION_CHARS_MAX} characters`, position: EXPRESSION_CHARS_MAX } };
  }
  try {
    return { ok: true, ast: new Parser(source).parseAll() };
  } catch (err) {
    if (err instanceof ExprFailure) return { ok: false, error: { message: err.message, position: err.position } };
    throw err;
  }
}

const COMPARISON_OPS: ReadonlySet<string> = new Set<ComparisonOp>(['==', '!=', '<', '<=', '>', '>=']);
const isComparison = (t: Token): t is Token & { kind: 'punct'; punct: ComparisonOp } => t.kind === 'punct' && COMPARISON_OPS.has(t.punct);
const isPunct = (t: Token, p: string): boolean => t.kind === 'punct' && t.punct === p;
const isKeyword = (t: Token, k: string): boolean => t.kind === 'keyword' && t.keyword === k;
const isInfixFunction = (t: Token): t is Token & { kind: 'name' } =>
  t.kind === 'name' && (INFIX_FUNCTIONS as readonly string[]).includes(t.name);

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(private readonly source: string) {
    this.lexer = new Lexer(source);
  }

  parseAll(): Node {
    const first = this.lexer.peek();
    if (first.kind === 'eof') throw new ExprFailure('empty expression', first.pos);
    const ast = this.parseOr();
    const rest = this.lexer.peek();
    if (rest.kind !== 'eof') {
      throw new ExprFailure(`unexpected ${describeToken(rest)}: expected an operator or the end of the expression`, rest.pos);
    }
    return ast;
  }

  /** Enters one nesting level for the construct starting at `token`; the caller leaves it. */
  private enter(token: Token): void {
    this.depth++;
    if (this.depth > EXPRESSION_DEPTH_MAX) {
      throw new ExprFailure(`expression is nested too deeply (more than ${EXPRESSION_DEPTH_MAX} levels)`, token.pos);
    }
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    while (isKeyword(this.lexer.peek(), 'or')) {
      const op = this.lexer.next();
      const right = this.parseAnd();
      left = { kind: 'logical', op: 'or', left, right, start: left.start, pos: op.pos };
    }
    return left;
  }

  private parseAnd(): Node {
    let left = this.parseNot();
    while (isKeyword(this.lexer.peek(), 'and')) {
      const op = this.lexer.next();
      const right = this.parseNot();
      left = { kind: 'logical', op: 'and', left, right, start: left.start, pos: op.pos };
    }
    return left;
  }

  private parseNot(): Node {
    const token = this.lexer.peek();
    if (!isKeyword(token, 'not')) return this.parseComparison();
    this.lexer.next();
    this.enter(token);
    const operand = this.parseNot();
    this.depth--;
    return { kind: 'not', operand, start: token.pos, pos: token.pos };
  }

  private parseComparison(): Node {
    const left = this.parseAdditive();
    const node = this.comparisonTail(left);
    if (node === left) return left;
    const after = this.lexer.peek();
    if (isComparison(after) || isKeyword(after, 'in') || isKeyword(after, 'not') || isInfixFunction(after)) {
      throw new ExprFailure(`comparisons do not chain: unexpected ${describeToken(after)}; use parentheses and 'and'`, after.pos);
    }
    return node;
  }

  /** The comparison that follows `left`, or `left` itself when none does. */
  private comparisonTail(left: Node): Node {
    const op = this.lexer.peek();
    const at = { start: left.start, pos: op.pos };
    if (isComparison(op)) {
      this.lexer.next();
      return { kind: 'compare', op: op.punct, left, right: this.parseAdditive(), ...at };
    }
    if (isKeyword(op, 'in')) {
      this.lexer.next();
      return { kind: 'in', negated: false, operand: left, items: this.parseList('in'), ...at };
    }
    if (isKeyword(op, 'not')) {
      if (!isKeyword(this.lexer.peek(1), 'in')) {
        throw new ExprFailure("unexpected 'not' after an expression (did you mean 'not in'?)", op.pos);
      }
      this.lexer.next();
      this.lexer.next();
      return { kind: 'in', negated: true, operand: left, items: this.parseList('not in'), ...at };
    }
    if (isInfixFunction(op)) {
      this.lexer.next();
      return { kind: 'call', name: op.name, args: [left, this.parseAdditive()], ...at };
    }
    return left;
  }

  private parseList(op: 'in' | 'not in'): ListItem[] {
    const open = this.lexer.next();
    if (!isPunct(open, '[')) {
      throw new ExprFailure(`expected '[' after '${op}', found ${describeToken(open)}`, open.pos);
    }
    const items: ListItem[] = [];
    if (isPunct(this.lexer.peek(), ']')) {
      this.lexer.next();
      return items;
    }
    for (;;) {
      items.push(this.parseListItem());
      const sep = this.lexer.next();
      if (isPunct(sep, ']')) return items;
      if (!isPunct(sep, ',')) throw new ExprFailure(`expected ',' or ']' in a list, found ${describeToken(sep)}`, sep.pos);
    }
  }

  private parseListItem(): ListItem {
    const token = this.lexer.next();
    if (token.kind === 'number' || token.kind === 'string') return { value: token.value, pos: token.pos };
    if (isKeyword(token, 'true') || isKeyword(token, 'false')) return { value: isKeyword(token, 'true'), pos: token.pos };
    if (isPunct(token, '-') && this.lexer.peek().kind === 'number') {
      const number = this.lexer.next() as Token & { kind: 'number' };
      return { value: -number.value, pos: token.pos };
    }
    if (isKeyword(token, 'null')) throw new ExprFailure("null cannot be a list item; test with is_null(x) or '== null'", token.pos);
    throw new ExprFailure(`list items must be number, string or boolean literals, found ${describeToken(token)}`, token.pos);
  }

  private parseAdditive(): Node {
    let left = this.parseMultiplicative();
    for (;;) {
      const op = this.lexer.peek();
      if (op.kind !== 'punct' || (op.punct !== '+' && op.punct !== '-')) return left;
      this.lexer.next();
      const right = this.parseMultiplicative();
      left = { kind: 'arithmetic', op: op.punct, left, right, start: left.start, pos: op.pos };
    }
  }

  private parseMultiplicative(): Node {
    let left = this.parseUnary();
    for (;;) {
      const op = this.lexer.peek();
      if (op.kind !== 'punct' || (op.punct !== '*' && op.punct !== '/' && op.punct !== '%')) return left;
      this.lexer.next();
      const right = this.parseUnary();
      left = { kind: 'arithmetic', op: op.punct, left, right, start: left.start, pos: op.pos };
    }
  }

  private parseUnary(): Node {
    const token = this.lexer.peek();
    if (!isPunct(token, '-')) return this.parsePrimary();
    this.lexer.next();
    const next = this.lexer.peek();
    // `-5` is a literal, not a negation: unary minus binds tighter than every binary
    // operator, so folding it changes no meaning and keeps `x == -1` a constant test.
    if (next.kind === 'number') {
      this.lexer.next();
      return { kind: 'literal', value: -next.value, start: token.pos, pos: token.pos };
    }
    this.enter(token);
    const operand = this.parseUnary();
    this.depth--;
    return { kind: 'negate', operand, start: token.pos, pos: token.pos };
  }

  private parsePrimary(): Node {
    const token = this.lexer.next();
    const at = { start: token.pos, pos: token.pos };
    switch (token.kind) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: token.value, ...at };
      case 'keyword':
        if (token.keyword === 'true' || token.keyword === 'false') return { kind: 'literal', value: token.keyword === 'true', ...at };
        if (token.keyword === 'null') return { kind: 'literal', value: null, ...at };
        break;
      case 'name':
        return isPunct(this.lexer.peek(), '(') ? this.parseCall(token) : { kind: 'name', name: token.name, ...at };
      case 'punct':
        if (token.punct === '(') return this.parseParenthesised(token);
        if (token.punct === '[') throw new ExprFailure("a list [...] can only follow 'in' or 'not in'", token.pos);
        break;
      case 'eof':
        break;
    }
    throw new ExprFailure(`expected an expression, found ${describeToken(token)}`, token.pos);
  }

  private parseParenthesised(open: Token): Node {
    this.enter(open);
    const inner = this.parseOr();
    const close = this.lexer.next();
    if (!isPunct(close, ')')) {
      const { line, column } = lineColumn(this.source, open.pos);
      throw new ExprFailure(`expected ')' to close the '(' at ${line}:${column}, found ${describeToken(close)}`, close.pos);
    }
    this.depth--;
    return { ...inner, start: open.pos };
  }

  private parseCall(name: Token & { kind: 'name' }): Node {
    this.lexer.next(); // '('
    this.enter(name);
    const args: Node[] = [];
    if (isPunct(this.lexer.peek(), ')')) {
      this.lexer.next();
    } else {
      for (;;) {
        args.push(this.parseOr());
        const sep = this.lexer.next();
        if (isPunct(sep, ')')) break;
        if (!isPunct(sep, ',')) throw new ExprFailure(`expected ',' or ')' in the call to ${name.name}, found ${describeToken(sep)}`, sep.pos);
      }
    }
    this.depth--;
    return { kind: 'call', name: name.name, args, start: name.pos, pos: name.pos };
  }
}

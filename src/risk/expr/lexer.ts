/**
 * Lexer of the rule expression language. Tokens are produced on demand (the parser pulls
 * them) so the error reported for a bad expression is always the first one in source
 * order, whether it is lexical or syntactic.
 *
 * Positions are 0-based offsets into the source in UTF-16 code units (JavaScript string
 * indices); `lineColumn` turns them into the 1-based line and column shown to analysts.
 */

export const KEYWORDS = ['and', 'or', 'not', 'in', 'true', 'false', 'null'] as const;
export type Keyword = (typeof KEYWORDS)[number];

export type Punct = '(' | ')' | '[' | ']' | ',' | '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Token =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'name'; name: string; pos: number }
  | { kind: 'keyword'; keyword: Keyword; pos: number }
  | { kind: 'punct'; punct: Punct; pos: number }
  | { kind: 'eof'; pos: number };

/**
 * An expected failure (bad input) on its way out of the lexer, parser or checker. It is
 * thrown internally to unwind the recursive descent and always caught at that module's
 * entry point, which turns it into a result value; it never reaches a caller.
 */
export class ExprFailure extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'ExprFailure';
  }
}

export function lineColumn(source: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** How a token is named in messages: `name 'event.amount'`, `')'`, `end of input`. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'number':
      return `number ${token.value}`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'name':
      return `name '${token.name}'`;
    case 'keyword':
      return `'${token.keyword}'`;
    case 'punct':
      return `'${token.punct}'`;
    case 'eof':
      return 'end of input';
  }
}

function describeChar(source: string, pos: number): string {
  const code = source.codePointAt(pos) ?? 0;
  if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) {
    return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `character '${String.fromCodePoint(code)}'`;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNamePart = (c: number): boolean => isNameStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

const SINGLE: Readonly<Record<string, Punct>> = {
  '(': '(',
  ')': ')',
  '[': '[',
  ']': ']',
  ',': ',',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
};

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t' };

/** Characters people type from other languages, with what to write instead. */
const HINTS: Readonly<Record<string, string>> = {
  '=': "use '==' to compare",
  '!': "use 'not' to negate, '!=' to compare",
  '&': "use 'and'",
  '|': "use 'or'",
};

export class Lexer {
  private readonly lookahead: Token[] = [];
  private offset = 0;

  constructor(private readonly source: string) {}

  peek(ahead = 0): Token {
    while (this.lookahead.length <= ahead) this.lookahead.push(this.scan());
    return this.lookahead[ahead]!;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead.shift();
    return token;
  }

  private scan(): Token {
    const src = this.source;
    while (this.offset < src.length && isSpace(src.charCodeAt(this.offset))) this.offset++;
    const pos = this.offset;
    if (pos >= src.length) return { kind: 'eof', pos };
    const c = src.charCodeAt(pos);
    if (isDigit(c)) return this.number();
    if (c === 39 || c === 34) return this.string();
    if (isNameStart(c)) return this.name();
    const ch = src[pos]!;
    const two = src.slice(pos, pos + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      this.offset += 2;
      return { kind: 'punct', punct: two, pos };
    }
    if (ch === '<' || ch === '>') {
      this.offset += 1;
      return { kind: 'punct', punct: ch, pos };
    }
    const single = SINGLE[ch];
    if (single !== undefined) {
      this.offset += 1;
      return { kind: 'punct', punct: single, pos };
    }
    if (ch === '.' && isDigit(src.charCodeAt(pos + 1))) {
      throw new ExprFailure("a number needs a digit before '.' (write 0.5, not .5)", pos);
    }
    const hint = HINTS[ch];
    throw new ExprFailure(`unexpected ${describeChar(src, pos)}${hint === undefined ? '' : `; ${hint}`}`, pos);
  }

  private digits(): void {
    while (isDigit(this.source.charCodeAt(this.offset))) this.offset++;
  }

  private number(): Token {
    const src = this.source;
    const pos = this.offset;
    this.digits();
    if (src[this.offset] === '.') {
      this.offset++;
      if (!isDigit(src.charCodeAt(this.offset))) throw new ExprFailure("expected a digit after '.' in a number", this.offset);
      this.digits();
    }
    if (src[this.offset] === 'e' || src[this.offset] === 'E') {
      this.offset++;
      if (src[this.offset] === '+' || src[this.offset] === '-') this.offset++;
      if (!isDigit(src.charCodeAt(this.offset))) throw new ExprFailure('expected a digit in the exponent of a number', this.offset);
      this.digits();
    }
    const after = src.charCodeAt(this.offset);
    if (isNamePart(after) || after === 46) {
      throw new ExprFailure(`unexpected ${describeChar(src, this.offset)} after a number`, this.offset);
    }
    const value = Number(src.slice(pos, this.offset));
    // Literals are finite so that no expression starts from Infinity (see compile.ts).
    if (!Number.isFinite(value)) throw new ExprFailure('number is too large', pos);
    return { kind: 'number', value, pos };
  }

  private string(): Token {
    const src = this.source;
    const pos = this.offset;
    const quote = src[pos]!;
    let value = '';
    let i = pos + 1;
    for (;;) {
      if (i >= src.length || src[i] === '\n') throw new ExprFailure(`unterminated string (no closing ${quote} on this line)`, pos);
      const ch = src[i]!;
      if (ch === quote) break;
      if (ch !== '\\') {
        value += ch;
        i++;
        continue;
      }
      const esc = src[i + 1];
      if (esc === undefined) throw new ExprFailure(`unterminated string (no closing ${quote} on this line)`, pos);
      const simple = ESCAPES[esc];
      if (simple !== undefined) {
        value += simple;
        i += 2;
      } else if (esc === 'u' && [2, 3, 4, 5].every((k) => isHex(src.charCodeAt(i + k)))) {
        value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        throw new ExprFailure(`unknown escape '\\${esc}' (known: \\\\ \\' \\" \\n \\r \\t \\uXXXX)`, i);
      }
    }
    this.offset = i + 1;
    return { kind: 'string', value, pos };
  }

  private name(): Token {
    const src = this.source;
    const pos = this.offset;
    for (;;) {
      while (isNamePart(src.charCodeAt(this.offset))) this.offset++;
      if (src[this.offset] !== '.') break;
      if (!isNameStart(src.charCodeAt(this.offset + 1))) {
        throw new ExprFailure("expected a name segment after '.'", this.offset + 1);
      }
      this.offset++;
    }
    const text = src.slice(pos, this.offset);
    if (/[A-Z]/.test(text)) {
      throw new ExprFailure(`invalid name '${text}': names are lowercase letters, digits and '_' (did you mean '${text.toLowerCase()}'?)`, pos);
    }
    const keyword = KEYWORDS.find((k) => k === text);
    if (keyword !== undefined) return { kind: 'keyword', keyword, pos };
    return { kind: 'name', name: text, pos };
  }
}

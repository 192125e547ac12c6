/**
 * RFC 4180 CSV: a header row, then records of the same width. Quoted fields may hold
 * commas, quotes (doubled) and line breaks; records end in CRLF or LF (the final one
 * optionally). Strict on purpose: a stray quote or a ragged row is an error naming its
 * line and column, never a silently shifted column that would feed a model wrong data.
 * Limits bound the work any input can cause.
 */

export interface CsvLimits {
  /** UTF-8 size of the whole text. */
  max_bytes: number;
  /** Data records, not counting the header. */
  max_rows: number;
  max_columns: number;
}

export const DEFAULT_CSV_LIMITS: Readonly<CsvLimits> = {
  max_bytes: 64 * 1024 * 1024,
  max_rows: 1_000_000,
  max_columns: 1_000,
};

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** `line` and `column` are 1-based; the column counts characters within the physical line. */
export type CsvParseResult =
  | ({ ok: true } & CsvTable)
  | { ok: false; message: string; line: number; column: number };

class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

export function parseCsv(text: string, limits: Partial<CsvLimits> = {}): CsvParseResult {
  const lim: CsvLimits = { ...DEFAULT_CSV_LIMITS, ...limits };
  const bytes = utf8Length(text, lim.max_bytes);
  if (bytes > lim.max_bytes) {
    return { ok: false, message: `input is larger than max_bytes (${lim.max_bytes})`, line: 1, column: 1 };
  }
  try {
    return { ok: true, ...new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, lim).parse() };
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    return { ok: false, message: `line ${e.line}, column ${e.column}: ${e.message}`, line: e.line, column: e.column };
  }
}

/** UTF-8 byte count, stopping early once past `stop_after` so a huge input costs little. */
function utf8Length(text: string, stop_after: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n <= stop_after; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) n += 2; // high surrogate: half of a 4-byte sequence
    else if (c >= 0xdc00 && c <= 0xdfff) n += 2;
    else n += 3;
  }
  return n;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

class Parser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    private readonly lim: CsvLimits,
  ) {}

  parse(): CsvTable {
    if (this.text.length === 0) throw new CsvSyntaxError('empty input: a header row is required', 1, 1);
    const header = this.record(null);
    checkHeader(header.fields, header.starts, 1);
    const rows: string[][] = [];
    while (this.pos < this.text.length) {
      if (rows.length >= this.lim.max_rows) {
        throw new CsvSyntaxError(`more than max_rows (${this.lim.max_rows}) data rows`, this.line, 1);
      }
      const rec = this.record(header.fields.length);
      if (rec.fields.length < header.fields.length) {
        const n = rec.fields.length;
        throw new CsvSyntaxError(`${n} field${n === 1 ? '' : 's'} where the header has ${header.fields.length}`, rec.end.line, rec.end.column);
      }
      rows.push(rec.fields);
    }
    return { header: header.fields, rows };
  }

  private col(pos = this.pos): number {
    return pos - this.lineStart + 1;
  }

  /** Reads one record and its terminator; `width` is the header's (null while reading the header). */
  private record(width: number | null): { fields: string[]; starts: number[]; end: { line: number; column: number } } {
    const fields: string[] = [];
    const starts: number[] = [];
    for (;;) {
      if (width === null && fields.length >= this.lim.max_columns) {
        throw new CsvSyntaxError(`more than max_columns (${this.lim.max_columns}) columns`, this.line, this.col());
      }
      if (width !== null && fields.length >= width) {
        throw new CsvSyntaxError(`more fields than the header's ${width}`, this.line, this.col());
      }
      starts.push(this.col());
      fields.push(this.text.charCodeAt(this.pos) === QUOTE ? this.quoted() : this.unquoted());
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        continue;
      }
      const end = { line: this.line, column: this.col() };
      this.endOfRecord();
      return { fields, starts, end };
    }
  }

  private endOfRecord(): void {
    const c = this.text.charCodeAt(this.pos);
    if (Number.isNaN(c)) return;
    if (c === CR && this.text.charCodeAt(this.pos + 1) === LF) this.pos += 2;
    else if (c === LF) this.pos += 1;
    else throw new CsvSyntaxError('bare carriage return (expected CRLF or LF)', this.line, this.col());
    this.line++;
    this.lineStart = this.pos;
  }

  private unquoted(): string {
    const start = this.pos;
    for (; this.pos < this.text.length; this.pos++) {
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA || c === LF || c === CR) break;
      if (c === QUOTE) throw new CsvSyntaxError('quote inside an unquoted field (quote the whole field and double the quote)', this.line, this.col());
    }
    return this.text.slice(start, this.pos);
  }

  private quoted(): string {
    const openLine = this.line;
    const openCol = this.col();
    this.pos++;
    let out = '';
    let chunk = this.pos;
    for (;;) {
      const q = this.text.indexOf('"', this.pos);
      if (q < 0) throw new CsvSyntaxError('quoted field is never closed', openLine, openCol);
      this.countLines(this.pos, q);
      if (this.text.charCodeAt(q + 1) === QUOTE) {
        out += this.text.slice(chunk, q + 1);
        this.pos = chunk = q + 2;
        continue;
      }
      out += this.text.slice(chunk, q);
      this.pos = q + 1;
      const c = this.text.charCodeAt(this.pos);
      if (!(Number.isNaN(c) || c === COMMA || c === LF || c === CR)) {
        throw new CsvSyntaxError('text after a closing quote (expected a comma or the end of the line)', this.line, this.col());
      }
      return out;
    }
  }

  /** Keeps line/column right across line breaks inside a quoted field. */
  private countLines(from: number, to: number): void {
    for (let i = this.text.indexOf('\n', from); i >= 0 && i < to; i = this.text.indexOf('\n', i + 1)) {
      this.line++;
      this.lineStart = i + 1;
    }
  }
}

function checkHeader(header: string[], starts: number[], line: number): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new CsvSyntaxError(`header column ${i + 1} has no name`, line, starts[i]!);
    if (seen.has(name)) throw new CsvSyntaxError(`duplicate column name "${name}" in the header`, line, starts[i]!);
    seen.add(name);
  });
}

/** The kind a column was read as by {@link typedRecords}. */
export type ColumnKind = 'numeric' | 'categorical';

export interface TypedRecords {
  columns: { name: string; kind: ColumnKind }[];
  records: Record<string, string | number | null>[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Turns a parsed table into records for a model: a column whose every present value is a
 * plain decimal number becomes numeric, any other column categorical (its text kept as is).
 * Values in `missing` (default: empty and "NA") become null.
 */
export function typedRecords(table: CsvTable, missing: readonly string[] = ['', 'NA']): TypedRecords {
  const isMissing = new Set(missing);
  const columns = table.header.map((name, c) => {
    const numeric = table.rows.every((r) => isMissing.has(r[c]!) || NUMBER.test(r[c]!.trim()));
    return { name, kind: (numeric ? 'numeric' : 'categorical') as ColumnKind };
  });
  const records = table.rows.map((r) => {
    const rec: Record<string, string | number | null> = {};
    columns.forEach(({ name, kind }, c) => {
      const v = r[c]!;
      rec[name] = isMissing.has(v) ? null : kind === 'numeric' ? Number(v.trim()) : v;
    });
    return rec;
  });
  return { columns, records };
}

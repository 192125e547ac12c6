import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv, typedRecords, type CsvParseResult } from './csv.js';

const FIXTURE = new URL('../../test/fixtures/german-credit.csv', import.meta.url);

function ok(r: CsvParseResult): { header: string[]; rows: string[][] } {
  if (!r.ok) throw new Error(`expected a parse, got: ${r.message}`);
  return { header: r.header, rows: r.rows };
}

function err(r: CsvParseResult): { message: string; line: number; column: number } {
  if (r.ok) throw new Error('expected an error, got a parse');
  return r;
}

describe('parseCsv', () => {
  it('reads a header and rows, with or without a final line break', () => {
    expect(ok(parseCsv('a,b\n1,2\n3,4\n'))).toEqual({ header: ['a', 'b'], rows: [['1', '2'], ['3', '4']] });
    expect(ok(parseCsv('a,b\n1,2\n3,4'))).toEqual({ header: ['a', 'b'], rows: [['1', '2'], ['3', '4']] });
    expect(ok(parseCsv('a,b'))).toEqual({ header: ['a', 'b'], rows: [] });
  });

  it('accepts CRLF and LF, mixed', () => {
    expect(ok(parseCsv('a,b\r\n1,2\n3,4\r\n')).rows).toEqual([['1', '2'], ['3', '4']]);
  });

  it('reads quoted fields: commas, doubled quotes, line breaks, empty', () => {
    const text = 'name,note\r\n"Smith, J","said ""hi"""\r\n"multi\r\nline","a\nb"\r\n"",x\r\n';
    expect(ok(parseCsv(text)).rows).toEqual([
      ['Smith, J', 'said "hi"'],
      ['multi\r\nline', 'a\nb'],
      ['', 'x'],
    ]);
  });

  it('keeps empty unquoted fields and surrounding spaces', () => {
    expect(ok(parseCsv('a,b,c\n, x ,\n')).rows).toEqual([['', ' x ', '']]);
  });

  it('drops a leading byte-order mark', () => {
    expect(ok(parseCsv('\ufeffa,b\n1,2')).header).toEqual(['a', 'b']);
  });

  it('names the line and column of an unclosed quote (where it opened)', () => {
    const e = err(parseCsv('a,b\n1,"open\nstill open'));
    expect([e.line, e.column]).toEqual([2, 3]);
    expect(e.message).toBe('line 2, column 3: quoted field is never closed');
  });

  it('rejects a quote inside an unquoted field', () => {
    const e = err(parseCsv('a,b\n1,ab"c\n'));
    expect([e.line, e.column]).toEqual([2, 5]);
    expect(e.message).toMatch(/quote inside an unquoted field/);
  });

  it('rejects text after a closing quote', () => {
    const e = err(parseCsv('a,b\n"x"y,2\n'));
    expect([e.line, e.column]).toEqual([2, 4]);
    expect(e.message).toMatch(/text after a closing quote/);
  });

  it('rejects a row with too few fields at the end of the row', () => {
    const e = err(parseCsv('a,b,c\n1,2,3\n4,5\n'));
    expect([e.line, e.column]).toEqual([3, 4]);
    expect(e.message).toBe('line 3, column 4: 2 fields where the header has 3');
  });

  it('rejects a row with too many fields at the first extra one', () => {
    const e = err(parseCsv('a,b\n1,2,3,4\n'));
    expect([e.line, e.column]).toEqual([2, 5]);
    expect(e.message).toMatch(/more fields than the header's 2/);
  });

  it('counts lines inside quoted fields when naming a later error', () => {
    const e = err(parseCsv('a,b\n"x\ny\nz",1\n2\n'));
    expect(e.line).toBe(5);
    expect(e.message).toMatch(/1 field where the header has 2/);
  });

  it('rejects an empty line inside the data when the header is wider than one column', () => {
    expect(err(parseCsv('a,b\n1,2\n\n3,4\n')).line).toBe(3);
  });

  it('rejects a bare carriage return', () => {
    const e = err(parseCsv('a,b\r1,2\n'));
    expect([e.line, e.column]).toEqual([1, 4]);
    expect(e.message).toMatch(/bare carriage return/);
  });

  it('rejects empty input, duplicate and empty column names', () => {
    expect(err(parseCsv('')).message).toMatch(/header row is required/);
    const dup = err(parseCsv('a,b,a\n1,2,3'));
    expect([dup.line, dup.column]).toEqual([1, 5]);
    expect(dup.message).toMatch(/duplicate column name "a"/);
    expect(err(parseCsv('a,,c\n')).message).toMatch(/header column 2 has no name/);
  });

  it('enforces max_bytes in UTF-8 bytes, not characters', () => {
    const text = 'é,b\n1,2'; // 8 bytes, 7 characters
    expect(parseCsv(text, { max_bytes: 8 }).ok).toBe(true);
    expect(err(parseCsv(text, { max_bytes: 7 })).message).toMatch(/max_bytes \(7\)/);
  });

  it('enforces max_rows (data rows, not the header) and names the first row over', () => {
    expect(parseCsv('a\n1\n2\n', { max_rows: 2 }).ok).toBe(true);
    const e = err(parseCsv('a\n1\n2\n3\n', { max_rows: 2 }));
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/max_rows \(2\)/);
  });

  it('enforces max_columns on the header', () => {
    expect(parseCsv('a,b,c\n1,2,3', { max_columns: 3 }).ok).toBe(true);
    const e = err(parseCsv('a,b,c,d\n1,2,3,4', { max_columns: 3 }));
    expect([e.line, e.column]).toEqual([1, 7]);
  });

  it('round-trips any table written with RFC 4180 quoting', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ',', '"', '\r', '\n', ' ', 'é', '😀'), maxLength: 6 });
    const table = fc.integer({ min: 1, max: 4 }).chain((width) =>
      fc.record({
        header: fc.uniqueArray(cell.filter((s) => s !== ''), { minLength: width, maxLength: width }),
        rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 6 }),
        crlf: fc.boolean(),
        final_break: fc.boolean(),
      }),
    );
    const quote = (s: string): string => (s === '' || /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    fc.assert(
      fc.property(table, ({ header, rows, crlf, final_break }) => {
        const eol = crlf ? '\r\n' : '\n';
        const text = [header, ...rows].map((r) => r.map(quote).join(',')).join(eol) + (final_break ? eol : '');
        expect(ok(parseCsv(text))).toEqual({ header, rows });
      }),
      { numRuns: 300 },
    );
  });

  it('parses the German credit fixture: 1,000 rows of 21 columns', () => {
    const t = ok(parseCsv(readFileSync(FIXTURE, 'utf8')));
    expect(t.header).toHaveLength(21);
    expect(t.header.at(-1)).toBe('class');
    expect(t.rows).toHaveLength(1000);
    expect(t.rows.filter((r) => r[20] === 'bad')).toHaveLength(300);
  });
});

describe('typedRecords', () => {
  it('makes all-number columns numeric and keeps the rest as text, missing as null', () => {
    const t = ok(parseCsv('n,c,m\n1.5,x,NA\n-2e3,7,\n,y,3\n'));
    const { columns, records } = typedRecords(t);
    expect(columns).toEqual([
      { name: 'n', kind: 'numeric' },
      { name: 'c', kind: 'categorical' },
      { name: 'm', kind: 'numeric' },
    ]);
    expect(records).toEqual([
      { n: 1.5, c: 'x', m: null },
      { n: -2000, c: '7', m: null },
      { n: null, c: 'y', m: 3 },
    ]);
  });

  it('treats only the given markers as missing', () => {
    const t = ok(parseCsv('a\n?\n1\n'));
    expect(typedRecords(t).columns[0]!.kind).toBe('categorical');
    expect(typedRecords(t, ['?']).records).toEqual([{ a: null }, { a: 1 }]);
  });
});

/** Statements and amount formatting: exact minor units in, exact text out. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyScale, formatMinor, isKnownCurrency } from './currencies.js';
import { buildStatement, statementCsv, type Statement } from './statement.js';
import { MAX_AMOUNT, type AccountId, type Transfer, type TransferId } from './types.js';

const FROM = new Date('2026-03-01T00:00:00.000Z');
const TO = new Date('2026-04-01T00:00:00.000Z');
const ME = 'acc-me';

let seq = 0;
/** A posted line; only the fields a statement reads matter, the rest are plausible filler. */
function line(debit: string, credit: string, amount: bigint, extra: Partial<Transfer> = {}): Transfer {
  seq += 1;
  return {
    id: `tr-${seq}` as TransferId,
    debit_account_id: debit as AccountId,
    credit_account_id: credit as AccountId,
    amount,
    currency: 'USD',
    pending_id: null,
    code: 1,
    flags: 0,
    timeout_seconds: null,
    expires_at: null,
    metadata: null,
    fingerprint: 'fp',
    created_at: new Date(FROM.getTime() + seq * 60_000),
    ...extra,
  };
}

function statementOf(lines: Transfer[], opening = { debits: 0n, credits: 0n }, truncated = false): Statement {
  return buildStatement({ account_id: ME, currency: 'USD', from: FROM, to: TO, opening, lines, truncated });
}

describe('buildStatement', () => {
  it('runs a balance of credits minus debits from the opening position', () => {
    const salary = line('employer', ME, 5000n, { code: 7, metadata: { ref: 'march' } });
    const rent = line(ME, 'landlord', 1200n);
    const statement = statementOf([salary, rent], { debits: 300n, credits: 1000n });

    expect(statement.opening_balance_minor).toBe(700n);
    expect(statement.lines).toEqual([
      {
        transfer_id: salary.id,
        created_at: salary.created_at,
        code: 7,
        counterparty_account_id: 'employer',
        debit_minor: 0n,
        credit_minor: 5000n,
        balance_minor: 5700n,
        metadata: { ref: 'march' },
      },
      {
        transfer_id: rent.id,
        created_at: rent.created_at,
        code: 1,
        counterparty_account_id: 'landlord',
        debit_minor: 1200n,
        credit_minor: 0n,
        balance_minor: 4500n,
        metadata: null,
      },
    ]);
    expect(statement.closing_balance_minor).toBe(4500n);
    expect(statement.total_debits_minor).toBe(1200n);
    expect(statement.total_credits_minor).toBe(5000n);
    expect(statement).toMatchObject({ account_id: ME, currency: 'USD', from: FROM, to: TO, truncated: false });
  });

  it('goes negative for an asset account such as a loan', () => {
    const statement = statementOf([line(ME, 'borrower', 10_000n)]);
    expect(statement.closing_balance_minor).toBe(-10_000n);
  });

  it('closes at the opening balance when the period is empty, and passes truncation through', () => {
    const statement = statementOf([], { debits: 5n, credits: 2n }, true);
    expect(statement.lines).toEqual([]);
    expect(statement.closing_balance_minor).toBe(-3n);
    expect(statement.total_debits_minor).toBe(0n);
    expect(statement.total_credits_minor).toBe(0n);
    expect(statement.truncated).toBe(true);
  });

  it('stays exact beyond the range of a double', () => {
    const statement = statementOf([line('bank', ME, MAX_AMOUNT), line('bank', ME, MAX_AMOUNT)]);
    expect(statement.closing_balance_minor).toBe(2n * MAX_AMOUNT);
  });

  it('closes at opening + credits − debits, with the last line carrying the closing balance', () => {
    const lineArb = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 1n, max: MAX_AMOUNT }))
      .map(([outgoing, amount]) => (outgoing ? line(ME, 'other', amount) : line('other', ME, amount)));
    const openingArb = fc.record({ debits: fc.bigInt({ min: 0n, max: MAX_AMOUNT }), credits: fc.bigInt({ min: 0n, max: MAX_AMOUNT }) });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 20 }), openingArb, (lines, opening) => {
        // Expected totals straight from the transfers, not from the statement under test.
        const sum = (ts: Transfer[]): bigint => ts.reduce((n, t) => n + t.amount, 0n);
        const debits = sum(lines.filter((t) => t.debit_account_id === ME));
        const credits = sum(lines.filter((t) => t.credit_account_id === ME));
        const s = statementOf(lines, opening);
        expect([s.total_debits_minor, s.total_credits_minor]).toEqual([debits, credits]);
        expect(s.closing_balance_minor).toBe(opening.credits - opening.debits + credits - debits);
        expect(s.lines.at(-1)?.balance_minor ?? s.opening_balance_minor).toBe(s.closing_balance_minor);
        s.lines.forEach((l, k) => {
          const t = lines[k]!;
          expect(t.debit_account_id === ME ? [l.debit_minor, l.credit_minor] : [l.credit_minor, l.debit_minor]).toEqual([t.amount, 0n]);
        });
      }),
      { numRuns: 200, seed: 20260301 },
    );
  });
});

describe('statementCsv', () => {
  it('writes a header, the opening row, one row per line and the closing row', () => {
    const salary = line('employer', ME, 5000n, { code: 7 });
    const rent = line(ME, 'landlord', 1234n);
    const csv = statementCsv(statementOf([salary, rent], { debits: 0n, credits: 5n }), 2);

    expect(csv.split('\n')).toEqual([
      'date,transfer_id,code,counterparty_account_id,debit_minor,credit_minor,balance_minor,debit,credit,balance',
      '2026-03-01T00:00:00.000Z,,,opening balance,,,5,,,0.05',
      `${salary.created_at.toISOString()},${salary.id},7,employer,0,5000,5005,0.00,50.00,50.05`,
      `${rent.created_at.toISOString()},${rent.id},1,landlord,1234,0,3771,12.34,0.00,37.71`,
      '2026-04-01T00:00:00.000Z,,,closing balance,,,3771,,,37.71',
      '', // the file ends with a newline
    ]);
  });

  it('keeps every row at the header’s ten columns', () => {
    const csv = statementCsv(statementOf([line(ME, 'x', 1n), line('y', ME, 2n)]), 0);
    for (const row of csv.trimEnd().split('\n')) expect(row.split(',')).toHaveLength(10);
  });

  it('quotes fields holding commas, quotes or line breaks', () => {
    const odd = line('acme, "inc"\nbranch', ME, 1n, { id: 'id,1' as TransferId });
    const rows = statementCsv(statementOf([odd]), 2).split('\n');
    expect(rows[2]).toBe(`${odd.created_at.toISOString()},"id,1",1,"acme, ""inc""`);
    expect(rows[3]).toBe('branch",0,1,1,0.00,0.01,0.01');
  });

  it('formats negative balances with the currency’s scale', () => {
    const csv = statementCsv(statementOf([line(ME, 'x', 1500n)]), 3);
    expect(csv).toContain(',1500,0,-1500,1.500,0.000,-1.500\n');
    expect(csv.trimEnd().split('\n').at(-1)).toBe('2026-04-01T00:00:00.000Z,,,closing balance,,,-1500,,,-1.500');
  });
});

describe('formatMinor', () => {
  it.each<[bigint, number, string]>([
    [1050n, 2, '10.50'],
    [5n, 2, '0.05'],
    [0n, 2, '0.00'],
    [-5n, 2, '-0.05'],
    [-1050n, 2, '-10.50'],
    [100n, 2, '1.00'],
    [1234n, 0, '1234'],
    [-7n, 0, '-7'],
    [0n, 0, '0'],
    [1n, 3, '0.001'],
    [123456n, 3, '123.456'],
    [MAX_AMOUNT, 2, '92233720368547758.07'],
    [-MAX_AMOUNT, 3, '-9223372036854775.807'],
  ])('formats %s at scale %i as %s', (amount, scale, text) => {
    expect(formatMinor(amount, scale)).toBe(text);
  });

  it('round-trips through the digits exactly for any amount and scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_AMOUNT, max: MAX_AMOUNT }), fc.integer({ min: 0, max: 4 }), (amount, scale) => {
        const text = formatMinor(amount, scale);
        expect(text).toMatch(scale === 0 ? /^-?(0|[1-9][0-9]*)$/ : new RegExp(`^-?(0|[1-9][0-9]*)\\.[0-9]{${scale}}$`));
        expect(BigInt(text.replace('.', ''))).toBe(amount);
      }),
      { numRuns: 300, seed: 20260302 },
    );
  });
});

describe('currency scales', () => {
  it('knows the minor units of listed currencies', () => {
    expect(currencyScale('USD')).toBe(2);
    expect(currencyScale('JPY')).toBe(0);
    expect(currencyScale('KWD')).toBe(3);
  });

  it('rejects unlisted codes, including names inherited from Object.prototype', () => {
    for (const code of ['XXX', 'usd', '', 'toString', 'constructor', '__proto__']) {
      expect(currencyScale(code), code).toBeUndefined();
      expect(isKnownCurrency(code), code).toBe(false);
    }
  });
});

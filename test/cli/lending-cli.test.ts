/**
 * `capillary loan-products …` and `capillary loans …` on PGlite file mode, run as the user
 * runs them: a product, an application decided at once, the offer accepted (the loan paid
 * out), a repayment, the schedule — and user mistakes as exit 2 with one clear message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/db.js';
import { uuid7 } from '../helpers/http.js';
import { runCli, type CliResult } from '../helpers/proc.js';

let dir: TempDir;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env, 120_000);

function json(res: CliResult): any {
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  return JSON.parse(res.stdout);
}

function usageError(res: CliResult, message: RegExp): void {
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(2);
  expect(res.stderr).toMatch(/^capillary: /);
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  dir = tempDir('capillary-lending-cli-');
  env = { DATA_DIR: dir.path };
});
afterAll(() => {
  dir?.remove();
});

describe('capillary loans (PGlite file mode)', { timeout: 300_000 }, () => {
  const cash = uuid7();
  const shop = uuid7();
  let applicationId: string;
  let loanId: string;

  it('loan-products save, with every rule the core checks named by its option', async () => {
    const saved = json(await cli('loan-products', 'save', 'sme', '--name', 'SME', '--amount-min', '1000000', '--amount-max', '50000000', '--term-min', '3', '--term-max', '36', '--rate', '12'));
    expect(saved).toMatchObject({ created: true, product: { id: 'sme', version: 1, annual_rate_percent: '12', day_count: '30/360', repayment_method: 'annuity', grace_days: 3 } });
    usageError(await cli('loan-products', 'save', 'bad', '--name', 'X', '--amount-min', '500', '--amount-max', '100', '--term-min', '3', '--term-max', '36', '--rate', '12'), /invalid_loan_product \(--amount-max\): range_inverted/);
    usageError(await cli('loan-products', 'save', 'bad', '--name', 'X', '--amount-min', '100', '--amount-max', '500', '--term-min', 'x', '--term-max', '36', '--rate', '12'), /--term-min must be an integer/);
  });

  it('loans apply decides at once; accept pays out; repay and schedule', async () => {
    json(await cli('accounts', 'create', '--id', cash, '--currency', 'CNY', '--code', '1001'));
    json(await cli('accounts', 'create', '--id', shop, '--currency', 'CNY', '--code', '2001', '--flags', 'debits_must_not_exceed_credits'));
    json(await cli('transfer', '--debit', cash, '--credit', shop, '--amount', '5000000', '--code', '1'));
    const applied = json(
      await cli('loans', 'apply', '--customer', 'noodles', '--account', shop, '--product', 'sme', '--amount', '10000000', '--term', '12',
        '--industry', 'restaurants', '--months-trading', '96', '--revenue', '600000000', '--owner-age', '45', '--purpose', 'equipment'),
    );
    expect(applied.application).toMatchObject({ status: 'approved', offer: { band: 'A', annual_rate_percent: '12', schedule: { level_payment: '888488' } } });
    applicationId = applied.application.id;
    const accepted = json(await cli('loans', 'accept', applicationId));
    expect(accepted.loan).toMatchObject({ principal: '10000000', status: 'active', reconciled: true, ledger: { principal: '10000000' } });
    loanId = accepted.loan.id;
    const repaid = json(await cli('loans', 'repay', loanId, '--amount', '1000000'));
    expect(repaid.operation).toMatchObject({ kind: 'repayment', prepaid_principal: '1000000', loan: { balances: { principal: '9000000' }, reconciled: true } });
    const schedule = json(await cli('loans', 'schedule', loanId));
    expect(schedule.totals.principal).toBe('10000000');
  });

  it('mistakes are exit 2 with the code and the option', async () => {
    usageError(await cli('loans', 'repay', loanId, '--amount', '99999999999'), /repayment_exceeds_payoff \(--amount\)/);
    usageError(await cli('loans', 'accept', applicationId, '--amount', '20000000'), /application_already_accepted/);
    usageError(await cli('loans', 'show', 'nope'), /loan must be a UUID/);
    usageError(await cli('loans', 'apply', '--customer', 'x', '--account', shop, '--product', 'none', '--amount', '100', '--term', '3', '--industry', 'retail', '--months-trading', '1', '--revenue', '1'), /loan_product_not_found \(--product\)/);
  });

  it('a revolving line: save the product, apply, accept with a first draw, draw again; a draw above the limit names --amount', async () => {
    json(await cli('loan-products', 'save', 'line', '--name', 'Working-capital line', '--amount-min', '1000000', '--amount-max', '50000000', '--term-min', '6', '--term-max', '24',
      '--rate', '18.25', '--method', 'revolving', '--day-count', 'actual/365', '--min-payment-bps', '1000', '--min-payment-floor', '10000'));
    const applied = json(
      await cli('loans', 'apply', '--customer', 'noodles-line', '--account', shop, '--product', 'line', '--amount', '5000000', '--term', '12',
        '--industry', 'restaurants', '--months-trading', '96', '--revenue', '600000000', '--owner-age', '45', '--purpose', 'working_capital'),
    );
    expect(applied.application.status, JSON.stringify(applied.application.reasons)).toBe('approved');
    const accepted = json(await cli('loans', 'accept', applied.application.id, '--draw', '1000000'));
    expect(accepted.loan).toMatchObject({ principal: '1000000', reconciled: true, credit_line: { credit_limit: '5000000', drawn: '1000000', available: '4000000' } });
    const drawn = json(await cli('loans', 'draw', accepted.loan.id, '--amount', '1500000'));
    expect(drawn.operation).toMatchObject({ kind: 'drawdown', amount: '1500000', loan: { credit_line: { drawn: '2500000', available: '2500000' }, reconciled: true } });
    usageError(await cli('loans', 'draw', accepted.loan.id, '--amount', '2500001'), /credit_limit_exceeded \(--amount\)/);
  });

  it('write-off, then recover: from the customer\'s account, capped at what was written off', async () => {
    usageError(await cli('loans', 'recover', loanId, '--amount', '100'), /loan_not_written_off/);
    const off = json(await cli('loans', 'write-off', loanId, '--reason', 'the business closed'));
    expect(off.operation).toMatchObject({ kind: 'write_off', loan: { status: 'written_off' } });
    const recovered = json(await cli('loans', 'recover', loanId, '--amount', '250000'));
    expect(recovered.operation).toMatchObject({ kind: 'recovery', amount: '250000', details: { recovered_total_minor: '250000', from_account_id: shop } });
    usageError(await cli('loans', 'recover', loanId, '--amount', '999999999999'), /recovery_exceeds_written_off \(--amount\)/);
    usageError(await cli('loans', 'recover', loanId, '--amount', '1', '--from', 'nope'), /--from/);
  });
});

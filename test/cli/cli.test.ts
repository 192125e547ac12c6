/**
 * The `capillary` command on PGlite file mode in a temp DATA_DIR, run as the user runs it
 * (`node dist/src/cli/main.js …`). One process at a time opens the folder, so the steps run
 * in order; a server started at the end checks that CLI-made keys work over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/db.js';
import { Client, uuid7 } from '../helpers/http.js';
import { killAll, runCli, spawnServer, type CliResult } from '../helpers/proc.js';

let dir: TempDir;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

/** Exit 0 and JSON on stdout. */
function json(res: CliResult): any {
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  return JSON.parse(res.stdout);
}

/** Exit 2 with one clear `capillary: …` message and no stack trace. */
function usageError(res: CliResult, message: RegExp): void {
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(2);
  expect(res.stderr).toMatch(/^capillary: /);
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stdout).toBe('');
}

beforeAll(() => {
  dir = tempDir('capillary-cli-');
  env = { DATA_DIR: dir.path };
});
afterAll(async () => {
  await killAll();
  dir?.remove();
});

const bank = uuid7();
const alice = uuid7();
const deposit = uuid7();
let adminKey: { id: string; token: string };
let tempKey: { id: string; token: string };

// Each command is a process that opens PGlite (~1.5 s idle, several seconds on a busy machine).
describe('capillary CLI (PGlite file mode)', { timeout: 180_000 }, () => {
  it('migrate applies the migrations', async () => {
    const first = await cli('migrate');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^applied: 0001_ledger/);
    // Every later command runs the migrations too (a no-op now) before its work.
  });

  it('keys create prints the token once', async () => {
    adminKey = json(await cli('keys', 'create', '--name', 'ops', '--scopes', 'admin'));
    expect(adminKey).toMatchObject({ name: 'ops', scopes: ['admin'] });
    expect(adminKey.token).toMatch(/^cap_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    tempKey = json(await cli('keys', 'create', '--name', 'temp', '--scopes', 'ledger:read, ledger:read'));
    expect(tempKey).toMatchObject({ name: 'temp', scopes: ['ledger:read'] });
  });

  it('keys list shows the keys and never a secret; keys revoke revokes', async () => {
    const listed = json(await cli('keys', 'list'));
    expect(listed.map((k: any) => k.name)).toEqual(['ops', 'temp']);
    const text = JSON.stringify(listed);
    for (const key of [adminKey, tempKey]) expect(text).not.toContain(key.token.slice(17));
    expect(text).not.toContain('secret_hash');
    const revoked = json(await cli('keys', 'revoke', tempKey.id));
    expect(revoked).toMatchObject({ id: tempKey.id, name: 'temp' });
    expect(revoked.revoked_at).toBeTruthy();
    usageError(await cli('keys', 'revoke', 'not-a-uuid'), /must be a UUID/);
  });

  it('accounts create and show', async () => {
    expect(json(await cli('accounts', 'create', '--id', bank, '--currency', 'CNY', '--code', '1001'))).toMatchObject({ id: bank, currency: 'CNY', currency_scale: 2, code: 1001, status: 'open' });
    const created = json(await cli('accounts', 'create', '--id', alice, '--currency', 'CNY', '--code', '2001', '--flags', 'debits_must_not_exceed_credits,history', '--metadata', '{"name":"Alice"}'));
    expect(created).toMatchObject({ id: alice, flags: { debits_must_not_exceed_credits: true, history: true, credits_must_not_exceed_debits: false }, metadata: { name: 'Alice' } });
  });

  it('transfer moves money, replays by id, and exits 2 with a clear message on an error', async () => {
    const first = json(await cli('transfer', '--id', deposit, '--debit', bank, '--credit', alice, '--amount', '10050', '--code', '1', '--metadata', '{"memo":"cash"}'));
    expect(first).toMatchObject({ replayed: false, transfer: { id: deposit, amount: '10050', currency: 'CNY', metadata: { memo: 'cash' } } });
    const again = json(await cli('transfer', '--id', deposit, '--debit', bank, '--credit', alice, '--amount', '10050', '--code', '1', '--metadata', '{"memo":"cash"}'));
    expect(again).toMatchObject({ replayed: true, transfer: { id: deposit, created_at: first.transfer.created_at } });
    usageError(await cli('transfer', '--debit', alice, '--credit', bank, '--amount', '10051', '--code', '2'), /^capillary: exceeds_credits \(amount\)\n$/);
    const spent = json(await cli('transfer', '--debit', alice, '--credit', bank, '--amount', '2550', '--code', '2'));
    expect(spent.transfer.amount).toBe('2550');
    const shown = json(await cli('accounts', 'show', alice));
    expect(shown).toMatchObject({ debits_posted: '2550', credits_posted: '10050', debits_pending: '0', credits_pending: '0' });
  });

  it('statement prints CSV with opening and closing balances', async () => {
    const res = await cli('statement', alice, '--from', '2000-01-01T00:00:00Z');
    expect(res.code, res.stderr).toBe(0);
    const rows = res.stdout.trim().split('\n').map((l) => l.split(','));
    expect(rows[0]![0]).toBe('date');
    expect(rows[1]!.slice(3, 7)).toEqual(['opening balance', '', '', '0']);
    expect(rows.slice(2, -1).map((r) => [r[4], r[5], r[6]])).toEqual([
      ['0', '10050', '10050'],
      ['2550', '0', '7500'],
    ]);
    expect(rows.at(-1)!.slice(3, 10)).toEqual(['closing balance', '', '', '7500', '', '', '75.00']);
  });

  it('invariants reports ok and exits 0', async () => {
    const report = json(await cli('invariants'));
    expect(report).toMatchObject({ ok: true, accounts_over_limit: [], accounts_not_matching_transfers: [] });
    expect(report.currencies).toEqual([{ currency: 'CNY', debits_posted: '12600', credits_posted: '12600', debits_pending: '0', credits_pending: '0' }]);
  });

  it('a server on the same folder honours the CLI’s keys and data', async () => {
    const server = await spawnServer({ data_dir: dir.path });
    try {
      const admin = new Client(server.base, adminKey.token);
      const account = await admin.get(`/v1/accounts/${alice}`);
      expect(account.status).toBe(200);
      expect(account.body).toMatchObject({ credits_posted: '10050', debits_posted: '2550' });
      expect((await admin.get(`/v1/accounts/${alice}`, { token: tempKey.token })).status).toBe(401);
      expect((await admin.get('/v1/ledger/invariants')).body.ok).toBe(true);
    } finally {
      await server.stop();
    }
    expect((await server.exited).code).toBe(0);
  });
});

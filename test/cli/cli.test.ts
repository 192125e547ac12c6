/**
 * The `capillary` command on PGlite file mode in a temp DATA_DIR, run as the user runs it
 * (`node dist/src/cli/main.js …`). One process at a time opens the folder, so the steps run
 * in order; a server started at the end checks that CLI-made keys work over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/db.js';
import { Client, uuid7 } from '../helpers/http.js';
import { killAll, runCli, spawnServer, type CliResult } from '../helpers/proc.js';
import { openDb } from '../../src/db/open.js';

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

// ---------------------------------------------------------------- red envelopes
// Alice (CNY, 75.00 left after the steps above) sends envelopes; Bob grabs into a new
// account, Carol into the bank's. Each command opens the folder (~1-2 s), so the steps
// are few and each checks several things.
describe('capillary envelopes and customer-groups (PGlite file mode)', { timeout: 180_000 }, () => {
  const bobAccount = uuid7();
  const family = uuid7(); // an equal envelope to the "fam" group
  const linked = uuid7(); // a link envelope that expires and is refunded
  let bobGrab: any;

  it('customer-groups save and show; an unknown group exits 2', async () => {
    expect(json(await cli('accounts', 'create', '--id', bobAccount, '--currency', 'CNY', '--code', '2001'))).toMatchObject({ id: bobAccount });
    const saved = json(await cli('customer-groups', 'save', 'fam', '--name', 'Family', '--members', 'carol-c, bob-c,bob-c'));
    expect(saved).toMatchObject({ id: 'fam', name: 'Family', member_customer_ids: ['bob-c', 'carol-c'] });
    expect(json(await cli('customer-groups', 'show', 'fam'))).toEqual(saved);
    usageError(await cli('customer-groups', 'show', 'nope'), /^capillary: customer_group_not_found: no customer group nope\n$/);
  });

  it('envelopes create funds an envelope and replays by id; refusals exit 2 with the code and change nothing', async () => {
    const args = ['envelopes', 'create', '--id', family, '--from', alice, '--sender', 'alice-c', '--amount', '1000', '--shares', '4', '--mode', 'equal', '--group', 'fam', '--greeting', '恭喜发财'];
    const created = json(await cli(...args));
    expect(created).toMatchObject({
      replayed: false,
      envelope: { id: family, funding_account_id: alice, currency: 'CNY', total_amount: '1000', share_count: 4, mode: 'equal', greeting: '恭喜发财', audience: { kind: 'group', group_id: 'fam' }, status: 'open', remaining_amount: '1000' },
    });
    expect(json(await cli(...args))).toEqual({ ...created, replayed: true });
    const base = ['envelopes', 'create', '--from', alice, '--sender', 'alice-c'];
    usageError(await cli(...base, '--amount', '1000', '--shares', '0'), /^capillary: envelope_shares_out_of_range \(--shares\): share_count must be 1\.\.10000\n$/);
    usageError(await cli(...base, '--amount', '100000', '--shares', '2'), /^capillary: exceeds_credits \(--from\): .*\n$/);
  });

  it('envelopes grab pays a share and replays; a customer outside the group exits 2 not_in_audience', async () => {
    const first = json(await cli('envelopes', 'grab', family, '--customer', 'bob-c', '--account', bobAccount));
    expect(first).toMatchObject({ replayed: false, grab: { envelope_id: family, customer_id: 'bob-c', account_id: bobAccount, amount: '250', position: 1 } });
    bobGrab = first.grab;
    expect(json(await cli('envelopes', 'grab', family, '--customer', 'bob-c', '--account', bobAccount))).toEqual({ replayed: true, grab: bobGrab });
    usageError(await cli('envelopes', 'grab', family, '--customer', 'dave-c', '--account', bank), /^capillary: not_in_audience: /);
  });

  it('envelopes show and list; list needs exactly one of --sent-by and --received-by', async () => {
    const shown = json(await cli('envelopes', 'show', family));
    expect(shown.envelope).toMatchObject({ id: family, status: 'open', claimed_count: 1, claimed_amount: '250', remaining_amount: '750', luckiest_position: null });
    expect(shown.grabs).toEqual([{ ...bobGrab, luckiest: false }]);
    const sent = json(await cli('envelopes', 'list', '--sent-by', 'alice-c'));
    expect(sent.map((e: any) => e.id)).toEqual([family]);
    const received = json(await cli('envelopes', 'list', '--received-by', 'bob-c', '--limit', '10'));
    expect(received).toEqual([{ envelope: expect.objectContaining({ id: family, claimed_count: 1 }), grab: bobGrab }]);
    usageError(await cli('envelopes', 'list'), /exactly one of --sent-by and --received-by/);
  });

  it('envelopes refund-expired returns what is left of an expired envelope, once', async () => {
    const created = json(await cli('envelopes', 'create', '--id', linked, '--from', alice, '--sender', 'alice-c', '--amount', '500', '--shares', '5', '--expires-in', '60'));
    expect(created.envelope.audience).toEqual({ kind: 'link' });
    const got = json(await cli('envelopes', 'grab', linked, '--customer', 'carol-c', '--account', bank, '--link-token', created.envelope.link_token));
    const left = 500n - BigInt(got.grab.amount);

    // Test fixture: move the envelope's expiry into the past in the database directly
    // (the shortest expiry the CLI accepts is 60 s); no CLI process has the folder open now.
    const db = await openDb({ data_dir: dir.path });
    try {
      await db.query(`UPDATE envelopes SET expires_at = now() - interval '1 minute' WHERE id = $1`, [linked]);
    } finally {
      await db.close();
    }
    expect(json(await cli('envelopes', 'refund-expired'))).toEqual({ refunded: 1, failed: 0 });
    expect(json(await cli('envelopes', 'refund-expired'))).toEqual({ refunded: 0, failed: 0 });
    const shown = json(await cli('envelopes', 'show', linked));
    expect(shown.envelope).toMatchObject({ status: 'expired', claimed_amount: got.grab.amount, refunded_amount: String(left), remaining_amount: '0', luckiest_position: 1 });
    // Alice paid 1000 + 500 and got `left` back; the family envelope still holds 750.
    expect(json(await cli('accounts', 'show', alice))).toMatchObject({ debits_posted: String(2550 + 1500), credits_posted: String(10050n + left) });
  });

  it('mistakes the option parser catches (a missing required option, a --mode outside its choices) also exit 2', async () => {
    // src/cli/common.ts: "A user mistake: printed without a stack trace, exit code 2."
    const missing = await cli('envelopes', 'create', '--sender', 'alice-c', '--amount', '100', '--shares', '2');
    expect(missing.stderr).toMatch(/--from/);
    expect(missing.code, missing.stderr).toBe(2);
    const mode = await cli('envelopes', 'create', '--from', alice, '--sender', 'alice-c', '--amount', '100', '--shares', '2', '--mode', 'lucky');
    expect(mode.stderr).toMatch(/lucky/);
    expect(mode.code, mode.stderr).toBe(2);
  });

  it('a malformed value is reported under the option the user typed (--from, --amount), not the API field name', async () => {
    const res = await cli('envelopes', 'create', '--from', 'not-a-uuid', '--sender', 'alice-c', '--amount', 'abc', '--shares', '2');
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/--from/);
    expect(res.stderr).toMatch(/--amount/);
  });
});

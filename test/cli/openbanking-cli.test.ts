/**
 * `capillary partners …` and `capillary customers …` on PGlite file mode, run as the user
 * runs them (`node dist/src/cli/main.js …`), one process at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/db.js';
import { uuid7 } from '../helpers/http.js';
import { killAll, runCli, type CliResult } from '../helpers/proc.js';

let dir: TempDir;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

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
  dir = tempDir('capillary-ob-cli-');
  env = { DATA_DIR: dir.path, OB_TEST_PASSWORD: 'a strong password' };
});
afterAll(async () => {
  await killAll();
  dir?.remove();
});

describe('capillary partners and customers', { timeout: 180_000 }, () => {
  let client_id: string;
  let secret: string;

  it('partners create prints the client_id and the secret once; a bad redirect URI is a usage error', async () => {
    const created = json(await cli('partners', 'create', '--name', 'Corner Shop', '--mode', 'sandbox', '--redirect-uris', 'https://shop.example/cb,http://localhost:3000/cb', '--scopes', 'accounts,payments'));
    expect(created).toMatchObject({ name: 'Corner Shop', mode: 'sandbox', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://shop.example/cb', 'http://localhost:3000/cb'], allowed_scopes: ['accounts', 'payments'] });
    expect(created.client_secret).toMatch(/^cs_/);
    client_id = created.client_id;
    secret = created.client_secret;
    usageError(await cli('partners', 'create', '--name', 'Bad', '--redirect-uris', 'http://shop.example/cb', '--scopes', 'accounts'), /invalid_redirect_uri/);
    usageError(await cli('partners', 'create', '--name', 'Bad', '--redirect-uris', 'https://shop.example/cb', '--scopes', 'ledger:write'), /unknown_partner_scope/);
  });

  it('partners list and show never print a secret; disable and rotate-secret work', async () => {
    const list = await cli('partners', 'list');
    expect(list.stdout).not.toContain(secret);
    expect(json(list).map((a: { client_id: string }) => a.client_id)).toContain(client_id);
    const shown = json(await cli('partners', 'show', client_id));
    expect(shown.has_client_secret).toBe(true);
    expect(JSON.stringify(shown)).not.toContain(secret);
    const rotated = json(await cli('partners', 'rotate-secret', client_id));
    expect(rotated.client_secret).toMatch(/^cs_/);
    expect(rotated.client_secret).not.toBe(secret);
    expect(json(await cli('partners', 'disable', client_id)).status).toBe('disabled');
    usageError(await cli('partners', 'show', 'app_nope'), /partner_app_not_found/);
  });

  it('customers create (password from the environment), link-account and list', async () => {
    const created = json(await cli('customers', 'create', '--id', 'cli-cust', '--name', 'CLI Customer', '--mode', 'sandbox', '--password-env', 'OB_TEST_PASSWORD'));
    expect(created).toMatchObject({ created: true, customer: { id: 'cli-cust', mode: 'sandbox' } });
    const account = uuid7();
    json(await cli('accounts', 'create', '--id', account, '--currency', 'CNY', '--code', '2001'));
    const linked = json(await cli('customers', 'link-account', 'cli-cust', account, '--nickname', 'Main'));
    expect(linked).toMatchObject({ created: true, account: { account_id: account, currency: 'CNY', nickname: 'Main' } });
    const list = json(await cli('customers', 'list', '--mode', 'sandbox'));
    expect(list).toEqual([expect.objectContaining({ id: 'cli-cust', accounts: [expect.objectContaining({ account_id: account })] })]);
    usageError(await cli('customers', 'link-account', 'nobody', account), /customer_not_found/);
    usageError(await cli('customers', 'create', '--id', 'x', '--name', 'X', '--password-env', 'NOT_SET_ANYWHERE'), /NOT_SET_ANYWHERE/);
  });
});

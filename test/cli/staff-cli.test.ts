/**
 * `capillary staff …` on PGlite file mode, run as the user runs it (`node dist/src/cli/main.js`):
 * add prints a one-time password once, list never prints passwords, reset-password gives a
 * new one, and mistakes are usage errors (exit 2, no stack).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/db.js';
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
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  dir = tempDir('capillary-staff-cli-');
  env = { DATA_DIR: dir.path };
});
afterAll(async () => {
  await killAll();
  dir?.remove();
});

describe('capillary staff', { timeout: 180_000 }, () => {
  it('add prints the member and a one-time password; list never shows it; reset-password makes a new one', async () => {
    const added = json(await cli('staff', 'add', '--email', 'First.Admin@Bank.test', '--name', 'First Admin', '--role', 'admin'));
    expect(added.member).toMatchObject({ email: 'first.admin@bank.test', display_name: 'First Admin', role: 'admin', status: 'active' });
    expect(added.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const listed = await cli('staff', 'list');
    expect(json(listed).map((m: any) => m.email)).toEqual(['first.admin@bank.test']);
    expect(listed.stdout).not.toContain(added.password);
    const reset = json(await cli('staff', 'reset-password', 'first.admin@bank.test'));
    expect(reset.password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(reset.password).not.toBe(added.password);
  });

  it('refuses a taken email, an unknown role, a bad email and an unknown member as usage errors', async () => {
    usageError(await cli('staff', 'add', '--email', 'first.admin@bank.test', '--name', 'Again', '--role', 'viewer'), /staff_email_taken/);
    usageError(await cli('staff', 'add', '--email', 'x@bank.test', '--name', 'X', '--role', 'superuser'), /superuser/);
    usageError(await cli('staff', 'add', '--email', 'not-an-email', '--name', 'X', '--role', 'viewer'), /email/);
    usageError(await cli('staff', 'reset-password', 'ghost@bank.test'), /staff_not_found/);
  });
});

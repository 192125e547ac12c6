/**
 * `capillary staff …`: add console staff from the command line (the first admin of a new
 * installation has no one to add them through the API), list them, and reset a password.
 * Passwords are generated and printed once; only their scrypt hash is stored.
 */
import { Option, type Command } from 'commander';
import { hashPassword } from '../openbanking/customers.js';
import { newPassword, normaliseEmail, staffJson } from '../staff/core.js';
import { addStaff } from '../staff/members.js';
import { ROLES, type Role } from '../staff/roles.js';
import { STAFF_PAGE_MAX, listStaff, setStaffPassword } from '../staff/store.js';
import { UsageError, print, withLedger } from './common.js';

export function registerStaffCommands(program: Command): void {
  const staff = program.command('staff').description('console staff members and their roles (docs/console.md)');

  staff
    .command('add')
    .description('add a staff member; prints a one-time password (shown once)')
    .requiredOption('--email <email>', 'sign-in email (case-insensitive, unique)')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--role <role>', 'what the member may do').choices([...ROLES]).makeOptionMandatory())
    .action((opts: { email: string; name: string; role: Role }) =>
      withLedger(async (_ledger, db) => {
        const result = await addStaff(db, { email: opts.email, display_name: opts.name, role: opts.role }, new Date());
        if (!result.ok) throw new UsageError(`${result.code} (${result.field}): ${result.detail}`);
        print({ member: staffJson(result.member), password: result.password });
      }),
    );

  staff
    .command('list')
    .description('staff members by email (never their passwords)')
    .action(() => withLedger(async (_ledger, db) => print((await listStaff(db, undefined, STAFF_PAGE_MAX)).map(staffJson))));

  staff
    .command('reset-password <email>')
    .description("set a new generated password (printed once) and end the member's sessions")
    .action((email: string) =>
      withLedger(async (_ledger, db) => {
        const normalised = normaliseEmail(email);
        if (!normalised) throw new UsageError(`not an email address: "${email}"`);
        const password = newPassword();
        if (!(await setStaffPassword(db, normalised, await hashPassword(password), new Date()))) throw new UsageError(`staff_not_found: no staff member ${normalised}`);
        print({ email: normalised, password });
      }),
    );
}

/**
 * `capillary` command line. Every command reads the same environment as the server
 * (DATABASE_URL, DATA_DIR, …). With embedded PGlite only one process may open the data
 * folder at a time: stop the server before running data commands, or use the HTTP API.
 */
import { Command, CommanderError, Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../server/config.js';
import { openAndMigrate } from '../server/open-migrated.js';
import { systemClock } from '../server/clock.js';
import { Ledger } from '../ledger/service.js';
import { AccountCreate, TransferCreate, accountJson, toAccountInput, toTransferInput, transferJson } from '../ledger/schemas.js';
import { statementCsv } from '../ledger/statement.js';
import { createKey, listKeys, revokeKey } from '../auth/store.js';
import { SCOPES, isScope, type Scope } from '../auth/core.js';
import { checkBody } from '../server/validate.js';
import { ProblemError } from '../server/problem.js';
import { DEMO_ENVELOPE_ID, DEMO_SCOPES, DEMO_STAFF_PASSWORD_FILE, seedDemo } from './seed.js';
import { Envelopes } from '../envelopes/service.js';
import { Risk } from '../risk/service.js';
import { UsageError, checked, flagList, parseJsonOption, print, uuidArg, withLedger } from './common.js';
import { registerEnvelopeCommands } from './envelopes.js';
import { registerLendingCommands } from './lending.js';
import { Lending } from '../lending/service.js';
import { registerCobCommands } from './cob.js';
import { registerOpenBankingCommands } from './openbanking.js';
import { registerStaffCommands } from './staff.js';
import { migrate } from '../db/migrate.js';
import type { Db } from '../db/port.js';

const program = new Command()
  .name('capillary')
  .description('Capillary digital-banking platform: server, migrations, keys and ledger operations')
  .showHelpAfterError()
  // Parser mistakes (a missing option, a bad choice) are user mistakes too: exit 2, not commander's 1.
  .exitOverride();

/** The HTTP stack, loaded only by the commands that serve (the others start a second sooner without it). */
const loadServe = async () => (await import('../server/serve.js')).serve;

program
  .command('start')
  .description('migrate, seed the demo data once, and serve (what `npm start` runs)')
  .action(async () => {
    const config = loadConfig();
    const db = await openAndMigrate(config);
    const running = await (await loadServe())(config, db);
    const seed = await seedDemo(db, running.app.ledger, running.app.envelopes, running.app.risk, running.app.lending, config.data_dir);
    const base = running.url.replace('127.0.0.1', 'localhost');
    const engine = config.database_url ? 'PostgreSQL' : `embedded PGlite in ${config.data_dir}`;
    console.log(`\nCapillary is serving on ${base} (${engine})`);
    console.log(`API docs: ${base}/docs`);
    if (seed.seeded) {
      console.log(`Demo data seeded. Demo API key (scopes ${DEMO_SCOPES.join(', ')}), shown once and saved to ${seed.token_file}:`);
      console.log(`  ${seed.token}`);
      console.log(`Try: curl -H "Authorization: Bearer ${seed.token}" ${base}/v1/accounts/0193a000-0000-7000-8000-000000000002`);
      console.log(`     curl -H "Authorization: Bearer ${seed.token}" ${base}/v1/envelopes/${DEMO_ENVELOPE_ID}`);
    }
    if (seed.staff_password) {
      console.log(`Console: ${base}/console/ — sign in as <role>@demo.capillary.invalid (viewer, operator, risk_analyst, credit_officer, admin) with password ${seed.staff_password} (also in ${seed.staff_password_file})`);
    }
    if (!seed.seeded) {
      console.log(`Demo data already present; the demo API key is in ${config.data_dir}/demo-api-key.txt, the demo staff password in ${config.data_dir}/${DEMO_STAFF_PASSWORD_FILE}`);
    }
    console.log(`Customer app: ${base}/app/ — sign up with a passkey, or sign in as the demo customer Alice (+8613800000001) with a one-time code (docs/app.md)`);
  });

program
  .command('serve')
  .description('migrate and serve, without demo data (production)')
  .action(async () => {
    const config = loadConfig();
    const db = await openAndMigrate(config);
    const running = await (await loadServe())(config, db);
    console.log(`Capillary is serving on ${running.url} — API docs at ${running.url}/docs`);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const { openDb } = await import('../db/open.js');
    const db = await openDb({ database_url: config.database_url, data_dir: config.data_dir });
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.close();
    }
  });

program
  .command('seed')
  .description('seed the demo data set (once per database)')
  .action(() =>
    withLedger(async (ledger, db, config) => {
      const risk = new Risk(db, systemClock, ledger);
      await risk.seedDefaults();
      const result = await seedDemo(db, ledger, new Envelopes(db, ledger, systemClock), risk, new Lending(db, ledger, risk, systemClock), config.data_dir);
      console.log(result.seeded ? `seeded; demo API key: ${result.token}` : 'demo data already present');
      if (result.staff_password) console.log(`demo staff (<role>@demo.capillary.invalid, one per role) password: ${result.staff_password}`);
    }),
  );

const keys = program.command('keys').description('API keys');
keys
  .command('create')
  .description('create an API key and print its token (shown once)')
  .requiredOption('--name <name>', 'who or what the key is for')
  .requiredOption('--scopes <list>', `comma-separated: ${SCOPES.join(', ')}`)
  .action((opts: { name: string; scopes: string }) =>
    withLedger(async (ledger, db) => {
      const scopes = [...new Set(opts.scopes.split(',').map((s) => s.trim()))];
      const unknown = scopes.filter((s) => !isScope(s));
      if (unknown.length) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
      const { key, token } = await createKey(db, opts.name, scopes as Scope[], ledger.clock.now());
      print({ id: key.id, name: key.name, scopes: key.scopes, token });
    }),
  );
keys
  .command('list')
  .description('list API keys (never their secrets)')
  .action(() => withLedger(async (_ledger, db) => print(await listKeys(db))));
keys
  .command('revoke <id>')
  .description('revoke an API key')
  .action((id: string) =>
    withLedger(async (ledger, db) => {
      const key = await revokeKey(db, uuidArg(id, 'id'), ledger.clock.now());
      if (!key) throw new UsageError(`no API key ${id}`);
      print(key);
    }),
  );

const accounts = program.command('accounts').description('ledger accounts');
accounts
  .command('create')
  .description('create an account')
  .option('--id <uuid>', 'account id (default: a new UUID)')
  .requiredOption('--currency <code>', 'ISO 4217 code, e.g. CNY')
  .requiredOption('--code <n>', 'chart-of-accounts code, 1..65535')
  .option('--flags <list>', 'comma-separated: debits_must_not_exceed_credits, credits_must_not_exceed_debits, history')
  .option('--metadata <json>', 'JSON object')
  .action((opts: { id?: string; currency: string; code: string; flags?: string; metadata?: string }) =>
    withLedger(async (ledger) => {
      const body = {
        id: opts.id ?? randomUUID(),
        currency: opts.currency,
        code: Number(opts.code),
        ...(opts.flags ? { flags: flagList(opts.flags) } : {}),
        ...(opts.metadata ? { metadata: parseJsonOption(opts.metadata, 'metadata') } : {}),
      };
      checked(AccountCreate, body);
      const [result] = await ledger.createAccounts([toAccountInput(body as AccountCreate, 'account')]);
      if (!result!.ok) throw new UsageError(`${result!.code}${result!.field ? ` (${result!.field})` : ''}`);
      print(accountJson(result!.account));
    }),
  );
accounts
  .command('show <id>')
  .description('show an account and its balances')
  .action((id: string) =>
    withLedger(async (ledger) => {
      const account = await ledger.getAccount(uuidArg(id, 'id'));
      if (!account) throw new UsageError(`account_not_found: ${id}`);
      print(accountJson(account));
    }),
  );

program
  .command('transfer')
  .description('submit one transfer through the write path')
  .option('--id <uuid>', 'transfer id (default: a new UUID); repeat it to retry safely')
  .option('--debit <account>', 'debit account id')
  .option('--credit <account>', 'credit account id')
  .option('--amount <minor>', 'amount in minor units, e.g. 1050 for 10.50')
  .option('--code <n>', 'transfer code, 1..65535')
  .option('--flags <list>', 'comma-separated: linked, pending, post_pending, void_pending, balancing_debit, balancing_credit')
  .option('--pending-id <uuid>', 'the pending transfer to post or void')
  .option('--timeout <seconds>', 'pending only: expire after this many seconds')
  .option('--metadata <json>', 'JSON object')
  .action((opts: Record<string, string | undefined>) =>
    withLedger(async (ledger) => {
      const body: Record<string, unknown> = { id: opts.id ?? randomUUID() };
      if (opts.debit) body.debit_account_id = opts.debit;
      if (opts.credit) body.credit_account_id = opts.credit;
      if (opts.amount) body.amount = opts.amount;
      if (opts.code) body.code = Number(opts.code);
      if (opts.flags) body.flags = flagList(opts.flags);
      if (opts.pendingId) body.pending_id = opts.pendingId;
      if (opts.timeout) body.timeout_seconds = Number(opts.timeout);
      if (opts.metadata) body.metadata = parseJsonOption(opts.metadata, 'metadata');
      checked(TransferCreate, body);
      const [result] = await ledger.submitTransfers([toTransferInput(body as TransferCreate, 'transfer')]);
      if (!result!.ok) throw new UsageError(`${result!.code}${result!.field ? ` (${result!.field})` : ''}`);
      print({ replayed: result!.replayed, transfer: transferJson(result!.transfer) });
    }),
  );

program
  .command('statement <account>')
  .description('statement of an account for [from, to)')
  .requiredOption('--from <iso>', 'period start, ISO 8601')
  .option('--to <iso>', 'period end, ISO 8601 (default: now)')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
  .action((accountId: string, opts: { from: string; to?: string; format: 'csv' | 'json' }) =>
    withLedger(async (ledger) => {
      const account = await ledger.getAccount(uuidArg(accountId, 'account'));
      if (!account) throw new UsageError(`account_not_found: ${accountId}`);
      const from = new Date(opts.from);
      const to = opts.to ? new Date(opts.to) : ledger.clock.now();
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new UsageError('--from and --to must be ISO 8601 timestamps');
      if (to <= from) throw new UsageError('--to must be after --from');
      const statement = await ledger.statement(account, from, to);
      if (opts.format === 'csv') process.stdout.write(statementCsv(statement, ledger.scaleOf(account.currency)));
      else print(statement);
    }),
  );

program
  .command('invariants')
  .description('check the ledger invariants against the stored data; exit 1 if any is broken')
  .action(() =>
    withLedger(async (ledger) => {
      const report = await ledger.checkInvariants();
      print(report);
      if (!report.ok) process.exitCode = 1;
    }),
  );

registerEnvelopeCommands(program);
registerLendingCommands(program);
registerCobCommands(program);
registerOpenBankingCommands(program);
registerStaffCommands(program);

// bigint in JSON output: as strings, like the API.
Object.defineProperty(BigInt.prototype, 'toJSON', { value: function (this: bigint) { return this.toString(); }, configurable: true });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2); // commander printed the message
  if (err instanceof UsageError || err instanceof ProblemError) {
    console.error(`capillary: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});

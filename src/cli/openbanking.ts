/**
 * `capillary partners …` and `capillary customers …`: register and manage partner apps
 * (OAuth clients) and open-banking customers from the command line, through the same
 * functions as the operator API (/v1/partner-apps, /v1/customers).
 */
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { appJson, patchPartnerApp, registerPartnerApp, rotatePartnerSecret } from '../openbanking/apps-admin.js';
import { WEBHOOK_SECRET_OVERLAP_MS } from '../openbanking/apps.js';
import { APP_PAGE_MAX, findApp, listApps } from '../openbanking/apps-store.js';
import { createCustomer, customerJson, linkCustomerAccount } from '../openbanking/customers-admin.js';
import { CUSTOMER_PAGE_MAX, listCustomerAccounts, listCustomers } from '../openbanking/customers-store.js';
import { PARTNER_SCOPES } from '../openbanking/principal.js';
import { UsageError, print, uuidArg, withLedger } from './common.js';
import { BRIDGE_SCOPES } from '../mini-programs/core.js';
import { miniProgramJson, setMiniProgram } from '../mini-programs/admin.js';

const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter((v) => v.length > 0);

function refused(r: { code: string; detail: string; field?: string }): never {
  throw new UsageError(`${r.code}${r.field ? ` (${r.field})` : ''}: ${r.detail}`);
}

/** --jwks takes a JSON document or @path to a file holding one. */
function jwksOption(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError('--jwks must be a JSON Web Key Set, or @file holding one');
  }
}

export function registerOpenBankingCommands(program: Command): void {
  const partners = program.command('partners').description('open-banking partner apps (OAuth 2.0 clients)');

  partners
    .command('create')
    .description('register a partner app; prints its client_id and, once, its client secret and webhook secret')
    .requiredOption('--name <name>', 'what the app is called on the consent page')
    .addOption(new Option('--mode <mode>', 'sandbox apps see only sandbox customers').choices(['sandbox', 'live']).default('sandbox'))
    .requiredOption('--redirect-uris <list>', 'comma-separated absolute https URLs (http only for localhost)')
    .requiredOption('--scopes <list>', `comma-separated: ${PARTNER_SCOPES.join(', ')}`)
    .addOption(new Option('--auth <method>', 'token endpoint authentication').choices(['private_key_jwt', 'client_secret_basic']).default('client_secret_basic'))
    .option('--jwks <json|@file>', 'public keys for private_key_jwt')
    .option('--webhook-url <url>', 'where events are delivered (a webhook secret is issued)')
    .option('--dpop', 'require DPoP-bound (sender-constrained) access tokens')
    .action((opts: { name: string; mode: 'sandbox' | 'live'; redirectUris: string; scopes: string; auth: 'private_key_jwt' | 'client_secret_basic'; jwks?: string; webhookUrl?: string; dpop?: boolean }) =>
      withLedger(async (ledger, db) => {
        const result = await registerPartnerApp(
          db,
          {
            name: opts.name,
            mode: opts.mode,
            redirect_uris: list(opts.redirectUris),
            allowed_scopes: list(opts.scopes),
            token_endpoint_auth_method: opts.auth,
            jwks: jwksOption(opts.jwks),
            webhook_url: opts.webhookUrl ?? null,
            dpop_bound_access_tokens: opts.dpop ?? false,
          },
          ledger.clock.now(),
        );
        if (!result.ok) refused(result);
        print({ ...appJson(result.app), ...result.secrets });
      }),
    );

  partners
    .command('list')
    .description('list partner apps (never their secrets)')
    .action(() =>
      withLedger(async (_ledger, db) => {
        const out = [];
        for (let after: string | undefined; ; ) {
          const page = await listApps(db, after, APP_PAGE_MAX);
          out.push(...page.map(appJson));
          if (page.length < APP_PAGE_MAX) break;
          after = page[page.length - 1]!.id;
        }
        print(out);
      }),
    );

  partners
    .command('show <client_id>')
    .description('show a partner app')
    .action((id: string) =>
      withLedger(async (_ledger, db) => {
        const app = await findApp(db, id);
        if (!app) throw new UsageError(`partner_app_not_found: ${id}`);
        print(appJson(app));
      }),
    );

  for (const [name, status, description] of [
    ['disable', 'disabled', 'disable a partner app: no new tokens, and its tokens stop working'],
    ['enable', 'active', 'enable a disabled partner app again'],
  ] as const) {
    partners
      .command(`${name} <client_id>`)
      .description(description)
      .action((id: string) =>
        withLedger(async (ledger, db) => {
          const result = await patchPartnerApp(db, id, { status }, ledger.clock.now());
          if (!result.ok) refused(result);
          print(appJson(result.app));
        }),
      );
  }

  partners
    .command('rotate-secret <client_id>')
    .description(
      'replace the client secret (or the webhook secret); the new one is printed once. An old client secret stops working at once; ' +
        `an old webhook secret keeps signing deliveries, beside the new one, for ${WEBHOOK_SECRET_OVERLAP_MS / 3_600_000} h (until the printed webhook_secret_previous_expires_at)`,
    )
    .addOption(new Option('--kind <kind>', 'which secret').choices(['client_secret', 'webhook_secret']).default('client_secret'))
    .action((id: string, opts: { kind: 'client_secret' | 'webhook_secret' }) =>
      withLedger(async (ledger, db) => {
        const result = await rotatePartnerSecret(db, id, opts.kind, ledger.clock.now());
        if (!result.ok) refused(result);
        const overlap = opts.kind === 'webhook_secret' ? { webhook_secret_previous_expires_at: appJson(result.app).webhook_secret_previous_expires_at } : {};
        print({ client_id: result.app.id, ...result.secrets, ...overlap });
      }),
    );

  partners
    .command('mini-program <client_id>')
    .description("set the app's mini-program (create or replace; docs/mini-programs.md) and print it")
    .requiredOption('--slug <slug>', 'its folder under /mini-programs/')
    .requiredOption('--name <name>', 'its name in the app')
    .option('--icon <file>', 'an image in its folder', 'icon.svg')
    .option('--entry <file>', 'the page the app frames', 'index.html')
    .option('--scopes <list>', `comma-separated bridge scopes: ${BRIDGE_SCOPES.join(', ')}`, '')
    .option('--merchant-account <uuid>', 'the ledger account requestPayment pays into (needed with the payment scope)')
    .option('--connect-origins <list>', "comma-separated https origins of the partner's backend its pages may fetch", '')
    .addOption(new Option('--status <status>', 'live: listed in the app').choices(['live', 'hidden']).default('live'))
    .action((id: string, opts: { slug: string; name: string; icon: string; entry: string; scopes: string; merchantAccount?: string; connectOrigins: string; status: 'live' | 'hidden' }) =>
      withLedger(async (ledger, db) => {
        const result = await setMiniProgram(
          db,
          id,
          { slug: opts.slug, name: opts.name, icon: opts.icon, entry_path: opts.entry, bridge_scopes: list(opts.scopes), merchant_account_id: opts.merchantAccount ? uuidArg(opts.merchantAccount, '--merchant-account') : null, connect_origins: list(opts.connectOrigins), status: opts.status },
          ledger.clock.now(),
        );
        if (!result.ok) refused(result);
        print(miniProgramJson(result.mini_program));
      }),
    );

  const customers = program.command('customers').description('open-banking customers (who approve consents)');

  customers
    .command('create')
    .description('create a customer who can sign in on the consent page')
    .requiredOption('--id <id>', "the bank's customer id (1–64 of letters, digits, . _ : @ -)")
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--mode <mode>', 'sandbox customers are seen only by sandbox apps').choices(['sandbox', 'live']).default('live'))
    .option('--password-env <var>', 'read the password from this environment variable (keeps it out of the shell history)')
    .action((opts: { id: string; name: string; mode: 'sandbox' | 'live'; passwordEnv?: string }) =>
      withLedger(async (ledger, db) => {
        let password: string | undefined;
        if (opts.passwordEnv) {
          password = process.env[opts.passwordEnv];
          if (!password) throw new UsageError(`--password-env: the environment variable ${opts.passwordEnv} is not set`);
        }
        const result = await createCustomer(db, { id: opts.id, display_name: opts.name, mode: opts.mode, password }, ledger.clock.now());
        if (!result.ok) refused(result);
        print({ created: result.created, customer: customerJson(result.customer) });
      }),
    );

  customers
    .command('link-account <customer_id> <account_id>')
    .description("link an existing ledger account to the customer (consents may name only the customer's accounts)")
    .option('--nickname <text>', 'shown on the consent page')
    .action((customerId: string, accountId: string, opts: { nickname?: string }) =>
      withLedger(async (ledger, db) => {
        const result = await linkCustomerAccount(db, { customer_id: customerId, account_id: uuidArg(accountId, 'account_id'), nickname: opts.nickname, now: ledger.clock.now() });
        if (!result.ok) refused(result);
        print({ created: result.created, account: result.account });
      }),
    );

  customers
    .command('list')
    .description('list customers with their linked accounts')
    .addOption(new Option('--mode <mode>', 'only this mode').choices(['sandbox', 'live']))
    .action((opts: { mode?: 'sandbox' | 'live' }) =>
      withLedger(async (_ledger, db) => {
        const out = [];
        for (let after: string | undefined; ; ) {
          const page = await listCustomers(db, { mode: opts.mode, after, limit: CUSTOMER_PAGE_MAX });
          for (const c of page) out.push(customerJson(c, await listCustomerAccounts(db, c.id)));
          if (page.length < CUSTOMER_PAGE_MAX) break;
          after = page[page.length - 1]!.id;
        }
        print(out);
      }),
    );
}

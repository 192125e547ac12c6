/**
 * `capillary envelopes …` and `capillary customer-groups …`: create, grab, inspect and
 * refund red envelopes from the command line, through the same service as the HTTP API.
 */
import { Option, type Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { systemClock } from '../server/clock.js';
import { describeCode } from '../server/batch.js';
import { Envelopes } from '../envelopes/service.js';
import { CUSTOMER_ID_PATTERN, SHARES_MAX } from '../envelopes/core.js';
import { EnvelopeCreate, GrabCreate, GroupSave, envelopeJson, grabJson, groupJson, toEnvelopeInput } from '../envelopes/schemas.js';
import { UsageError, checked, print, uuidArg, withLedger } from './common.js';

const withEnvelopes = <T>(fn: (envelopes: Envelopes) => Promise<T>): Promise<T> =>
  withLedger((ledger, db) => fn(new Envelopes(db, ledger, systemClock)));

const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter((v) => v.length > 0);

function integerOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  return Number(value);
}

/** The option a create-body field comes from, for messages that name what the user typed. */
const CREATE_OPTIONS: Record<string, string> = {
  id: '--id',
  sender_customer_id: '--sender',
  funding_account_id: '--from',
  total_amount: '--amount',
  share_count: '--shares',
  mode: '--mode',
  greeting: '--greeting',
  expires_in_seconds: '--expires-in',
  audience: '--customers/--group',
};
const GRAB_OPTIONS: Record<string, string> = { customer_id: '--customer', account_id: '--account', link_token: '--link-token' };
const GROUP_OPTIONS: Record<string, string> = { name: '--name', member_customer_ids: '--members' };

function refused(code: string, field?: string, detail?: string, optionOf: Record<string, string> = {}): never {
  const option = field ? optionOf[field.split(/[.[/]/)[0]!] : undefined;
  throw new UsageError(`${code}${option ? ` (${option})` : ''}: ${detail ?? describeCode(code, field)}`);
}

export function registerEnvelopeCommands(program: Command): void {
  const envelopes = program.command('envelopes').description('red envelopes (lucky money)');

  envelopes
    .command('create')
    .description('create and fund a red envelope from an account')
    .option('--id <uuid>', 'envelope id (default: a new UUID); repeat it to retry safely')
    .requiredOption('--from <account>', 'funding account id (the sender\'s)')
    .requiredOption('--sender <customer>', 'the sender\'s customer id')
    .requiredOption('--amount <minor>', 'total in minor units, e.g. 8888 for 88.88')
    .requiredOption('--shares <n>', `number of shares, 1..${SHARES_MAX}`)
    .addOption(new Option('--mode <mode>', 'random (lucky) or equal').choices(['random', 'equal']).default('random'))
    .option('--greeting <text>', 'message shown to grabbers', '')
    .option('--expires-in <seconds>', 'seconds until the remainder is refunded (60..604800)', '86400')
    .option('--customers <list>', 'audience: only these comma-separated customer ids')
    .option('--group <id>', 'audience: the members of this customer group')
    .action((opts: Record<string, string | undefined>) =>
      withEnvelopes(async (service) => {
        if (opts.customers && opts.group) throw new UsageError('give at most one of --customers and --group');
        const audience = opts.customers ? { kind: 'customers', customer_ids: list(opts.customers) } : opts.group ? { kind: 'group', group_id: opts.group } : { kind: 'link' };
        const body = {
          id: opts.id ?? randomUUID(),
          sender_customer_id: opts.sender,
          funding_account_id: opts.from,
          total_amount: opts.amount,
          share_count: integerOption(opts.shares, 'shares'),
          mode: opts.mode,
          greeting: opts.greeting,
          expires_in_seconds: integerOption(opts.expiresIn, 'expires-in'),
          audience,
        };
        checked(EnvelopeCreate, body, CREATE_OPTIONS);
        const result = await service.create(toEnvelopeInput(body as EnvelopeCreate));
        if (!result.ok) refused(result.code, result.field, 'detail' in result ? result.detail : undefined, CREATE_OPTIONS);
        print({ replayed: result.replayed, envelope: envelopeJson(result.envelope) });
      }),
    );

  envelopes
    .command('grab <envelope>')
    .description('grab one share for a customer into their account')
    .requiredOption('--customer <id>', 'the grabbing customer\'s id')
    .requiredOption('--account <uuid>', 'the account to credit')
    .option('--link-token <token>', 'the link token (envelopes sent to anyone with the link)')
    .action((envelopeId: string, opts: { customer: string; account: string; linkToken?: string }) =>
      withEnvelopes(async (service) => {
        const body = { customer_id: opts.customer, account_id: opts.account, ...(opts.linkToken ? { link_token: opts.linkToken } : {}) };
        checked(GrabCreate, body, GRAB_OPTIONS);
        const outcome = await service.grab(uuidArg(envelopeId, 'envelope'), { ...body, account_id: body.account_id.toLowerCase() });
        if (!outcome.ok) refused(outcome.code);
        print({ replayed: outcome.replayed, grab: grabJson(outcome.grab) });
      }),
    );

  envelopes
    .command('show <envelope>')
    .description('show an envelope and every grab (the luckiest marked once it is finished)')
    .action((envelopeId: string) =>
      withEnvelopes(async (service) => {
        const id = uuidArg(envelopeId, 'envelope');
        const envelope = await service.get(id);
        if (!envelope) refused('envelope_not_found', undefined, `no envelope ${envelopeId}`);
        const grabs = await service.listGrabs(id, 0, SHARES_MAX);
        print({ envelope: envelopeJson(envelope), grabs: grabs.map((g) => grabJson(g, envelope.luckiest_position)) });
      }),
    );

  envelopes
    .command('list')
    .description("a customer's sent envelopes or received grabs, newest first")
    .option('--sent-by <customer>', 'envelopes this customer sent')
    .option('--received-by <customer>', 'envelopes this customer grabbed from')
    .option('--limit <n>', 'at most this many (1..500)', '50')
    .action((opts: { sentBy?: string; receivedBy?: string; limit: string }) =>
      withEnvelopes(async (service) => {
        if ((opts.sentBy === undefined) === (opts.receivedBy === undefined)) throw new UsageError('give exactly one of --sent-by and --received-by');
        const limit = integerOption(opts.limit, 'limit')!;
        if (limit < 1 || limit > 500) throw new UsageError('--limit must be 1..500');
        if (opts.sentBy !== undefined) print((await service.listSent(opts.sentBy, undefined, limit)).map((e) => envelopeJson(e)));
        else print((await service.listReceived(opts.receivedBy!, undefined, limit)).map(({ envelope, grab }) => ({ envelope: envelopeJson(envelope), grab: grabJson(grab) })));
      }),
    );

  envelopes
    .command('refund-expired')
    .description('run the refund sweep once: return the remainder of every expired envelope to its sender (the server does this in the background)')
    .action(() =>
      withEnvelopes(async (service) => {
        let total = { refunded: 0, failed: 0 };
        for (;;) {
          const pass = await service.refundExpired();
          total = { refunded: total.refunded + pass.refunded, failed: total.failed + pass.failed };
          if (pass.refunded + pass.failed === 0) break; // refused refunds wait REFUND_RETRY_MS, so this ends
        }
        print(total);
      }),
    );

  const groups = program.command('customer-groups').description('customer groups (audiences for red envelopes)');
  groups
    .command('save <id>')
    .description('create a group or replace its name and members')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--members <list>', 'comma-separated customer ids')
    .action((id: string, opts: { name: string; members: string }) =>
      withEnvelopes(async (service) => {
        if (!new RegExp(CUSTOMER_ID_PATTERN).test(id)) throw new UsageError(`group id "${id}" may use 1–64 letters, digits and . _ : @ -`);
        const body = { name: opts.name, member_customer_ids: list(opts.members) };
        checked(GroupSave, body, GROUP_OPTIONS);
        print(groupJson(await service.saveGroup(id, body.name, body.member_customer_ids)));
      }),
    );
  groups
    .command('show <id>')
    .description('show a group and its members')
    .action((id: string) =>
      withEnvelopes(async (service) => {
        const group = await service.getGroup(id);
        if (!group) refused('customer_group_not_found', undefined, `no customer group ${id}`);
        print(groupJson(group));
      }),
    );
}

/**
 * Ledger routes under /v1. Translates HTTP ↔ core; the rules live in core.ts.
 * POST /v1/accounts and /v1/transfers take one object (normal REST status codes) or an
 * array of up to 8,189 (200 with one result per item, in order).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProblemError } from '../server/problem.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { answerOneOrMany, describeCode, oneOrManyResponses } from '../server/batch.js';
import type { Ledger } from './service.js';
import { statementCsv } from './statement.js';
import { registerPendingRoutes } from './http-pending.js';
import {
  AccountCreate,
  AccountView,
  Problem,
  TransferCreate,
  TransferView,
  Uuid,
  accountJson,
  batchOf,
  toAccountInput,
  toTransferInput,
  transferJson,
} from './schemas.js';
import { AccountFlags, TransferFlags, hasFlag, type TransferInput } from './types.js';

/** A full batch of 8,189 transfers with modest metadata fits; larger metadata needs smaller batches. */
export const BATCH_BODY_BYTES_MAX = 8 << 20;
export const LIST_LIMIT_MAX = 500;


/** For each linked_event_failed item, the index of the chain item that actually failed. */
function chainFailures(inputs: readonly TransferInput[], results: readonly { ok: boolean; code?: string }[]): Map<number, number> {
  const out = new Map<number, number>();
  let start = 0;
  for (let i = 0; i < inputs.length; i++) {
    const endsChain = !hasFlag(inputs[i]!.flags, TransferFlags.linked) || i === inputs.length - 1;
    if (!endsChain) continue;
    const failing = results.slice(start, i + 1).findIndex((r) => !r.ok && r.code !== 'linked_event_failed');
    if (failing >= 0) for (let j = start; j <= i; j++) if (j !== start + failing) out.set(j, start + failing);
    start = i + 1;
  }
  return out;
}

const SEQ_CURSOR = /^([1-9][0-9]{0,18})$/;
const seqOfCursor = (cursor: string | undefined): bigint | undefined => {
  const parts = decodeCursor(cursor, SEQ_CURSOR);
  return parts ? BigInt(parts[0]!) : undefined;
};

function parseTime(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ProblemError('invalid_request', `${field} is not an ISO 8601 timestamp`, { errors: [{ field, message: 'not a timestamp' }] });
  }
  return date;
}

const AccountParams = Type.Object({ id: Uuid });
const errorResponses = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 503: Problem };

export function registerLedgerRoutes(root: FastifyInstance, ledger: Ledger): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  // ------------------------------------------------------------ accounts

  app.post(
    '/v1/accounts',
    {
      config: { scope: 'ledger:write' },
      bodyLimit: BATCH_BODY_BYTES_MAX,
      schema: {
        tags: ['ledger'],
        summary: 'Create one account, or up to 8,189 in one call',
        description: 'Repeating an id with the same fields returns the account (200); with other fields, exists_with_different_fields.',
        body: batchOf(AccountCreate),
        response: { ...oneOrManyResponses('account', AccountView), ...errorResponses },
      },
    },
    async (req, reply) =>
      answerOneOrMany(req.body, reply, {
        name: 'account',
        toInput: toAccountInput,
        run: async (inputs) => (await ledger.createAccounts(inputs)).map((r) => (r.ok ? { ok: true, replayed: r.replayed, value: r.account } : r)),
        toJson: accountJson,
      }),
  );

  app.get(
    '/v1/accounts/:id',
    { config: { scope: 'ledger:read' }, schema: { tags: ['ledger'], summary: 'An account with its balances', params: AccountParams, response: { 200: AccountView, ...errorResponses } } },
    async (req) => {
      const account = await ledger.getAccount(req.params.id.toLowerCase());
      if (!account) throw new ProblemError('account_not_found', `no account ${req.params.id}`);
      return accountJson(account);
    },
  );

  for (const change of ['freeze', 'unfreeze', 'close'] as const) {
    app.post(
      `/v1/accounts/:id/${change}`,
      {
        // Operators freeze and unfreeze (ledger:freeze); closing for good stays with admin.
        config: { scope: change === 'close' ? 'admin' : 'ledger:freeze' },
        schema: {
          tags: ['ledger'],
          summary: {
            freeze: 'Freeze: no new transfers in or out; pending ones may still be voided',
            unfreeze: 'Unfreeze a frozen account',
            close: 'Close for good (needs a zero posted balance); pending ones may still be voided',
          }[change],
          params: AccountParams,
          response: { 200: AccountView, ...errorResponses },
        },
      },
      async (req) => {
        const result = await ledger.changeStatus(req.params.id.toLowerCase(), change);
        if (!result.ok) throw new ProblemError(result.code, describeCode(result.code));
        req.log.info({ account_id: req.params.id, change, key_id: req.apiKey?.id }, 'account status changed');
        return accountJson(result.account);
      },
    );
  }

  app.get(
    '/v1/accounts/:id/transfers',
    {
      config: { scope: 'ledger:read' },
      schema: {
        tags: ['ledger'],
        summary: "An account's transfers, newest first, cursor-paginated",
        params: AccountParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'created before' })),
            code: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(TransferView), next_cursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (req) => {
      const id = req.params.id.toLowerCase();
      if (!(await ledger.getAccount(id))) throw new ProblemError('account_not_found', `no account ${req.params.id}`);
      const limit = req.query.limit ?? 50;
      const rows = await ledger.listAccountTransfers({
        account_id: id,
        limit: limit + 1,
        before_seq: seqOfCursor(req.query.cursor),
        from: parseTime(req.query.from, 'from'),
        to: parseTime(req.query.to, 'to'),
        code: req.query.code,
      });
      const page = rows.slice(0, limit);
      return { data: page.map(transferJson), next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.seq!.toString()) : null };
    },
  );

  app.get(
    '/v1/accounts/:id/balances',
    {
      config: { scope: 'ledger:read' },
      schema: {
        tags: ['ledger'],
        summary: 'Balances of a history account as they stood at a past timestamp',
        params: AccountParams,
        querystring: Type.Object({ at: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ account_id: Uuid, at: Type.String(), debits_pending: Type.String(), debits_posted: Type.String(), credits_pending: Type.String(), credits_posted: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const account = await ledger.getAccount(req.params.id.toLowerCase());
      if (!account) throw new ProblemError('account_not_found', `no account ${req.params.id}`);
      if (!hasFlag(account.flags, AccountFlags.history)) throw new ProblemError('history_not_enabled', 'create the account with flags.history to read past balances');
      const at = parseTime(req.query.at, 'at')!;
      const b = await ledger.balancesAt(account.id, at);
      return {
        account_id: account.id,
        at: at.toISOString(),
        debits_pending: b.debits_pending.toString(),
        debits_posted: b.debits_posted.toString(),
        credits_pending: b.credits_pending.toString(),
        credits_posted: b.credits_posted.toString(),
      };
    },
  );

  app.get(
    '/v1/accounts/:id/statement',
    {
      config: { scope: 'ledger:read' },
      schema: {
        tags: ['ledger'],
        summary: 'Statement for [from, to): opening balance, posted lines, closing balance (JSON or CSV)',
        description: 'Balance = credits − debits (positive for a deposit account). At most 10,000 lines; `truncated` says when the period held more.',
        params: AccountParams,
        querystring: Type.Object(
          {
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const account = await ledger.getAccount(req.params.id.toLowerCase());
      if (!account) throw new ProblemError('account_not_found', `no account ${req.params.id}`);
      const from = parseTime(req.query.from, 'from')!;
      const to = parseTime(req.query.to, 'to')!;
      if (to <= from) throw new ProblemError('invalid_request', 'to must be after from', { errors: [{ field: 'to', message: 'must be after from' }] });
      const statement = await ledger.statement(account, from, to);
      if (req.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="statement-${account.id}.csv"`)
          .send(statementCsv(statement, ledger.scaleOf(account.currency)));
      }
      return {
        account_id: statement.account_id,
        currency: statement.currency,
        currency_scale: ledger.scaleOf(account.currency),
        from: statement.from.toISOString(),
        to: statement.to.toISOString(),
        opening_balance: statement.opening_balance_minor.toString(),
        closing_balance: statement.closing_balance_minor.toString(),
        total_debits: statement.total_debits_minor.toString(),
        total_credits: statement.total_credits_minor.toString(),
        truncated: statement.truncated,
        lines: statement.lines.map((l) => ({
          transfer_id: l.transfer_id,
          created_at: l.created_at.toISOString(),
          code: l.code,
          counterparty_account_id: l.counterparty_account_id,
          debit: l.debit_minor.toString(),
          credit: l.credit_minor.toString(),
          balance: l.balance_minor.toString(),
          metadata: l.metadata,
        })),
      };
    },
  );

  // ------------------------------------------------------------ transfers

  app.post(
    '/v1/transfers',
    {
      config: { scope: 'ledger:write' },
      bodyLimit: BATCH_BODY_BYTES_MAX,
      schema: {
        tags: ['ledger'],
        summary: 'Create one transfer, or up to 8,189 in one call (linked chains, pending, post/void, balancing)',
        description:
          'One object: 201 with the transfer (200 when the id was already committed with the same fields), or problem+json. ' +
          'An array: 200 with one result per item, in order; linked_event_failed items carry failed_index.',
        body: batchOf(TransferCreate),
        response: { ...oneOrManyResponses('transfer', TransferView), ...errorResponses },
      },
    },
    async (req, reply) =>
      answerOneOrMany(req.body, reply, {
        name: 'transfer',
        toInput: toTransferInput,
        run: async (inputs) => (await ledger.submitTransfers(inputs)).map((r) => (r.ok ? { ok: true, replayed: r.replayed, value: r.transfer } : r)),
        toJson: transferJson,
        annotate: (inputs, results) => new Map([...chainFailures(inputs, results)].map(([i, failed]) => [i, { failed_index: failed }])),
      }),
  );

  app.get(
    '/v1/transfers/:id',
    { config: { scope: 'ledger:read' }, schema: { tags: ['ledger'], summary: 'A transfer (with its state, if pending)', params: AccountParams, response: { 200: TransferView, ...errorResponses } } },
    async (req) => {
      const transfer = await ledger.getTransfer(req.params.id.toLowerCase());
      if (!transfer) throw new ProblemError('transfer_not_found', `no transfer ${req.params.id}`);
      return transferJson(transfer);
    },
  );

  app.get(
    '/v1/ledger/invariants',
    { config: { scope: 'admin' }, schema: { tags: ['ledger'], summary: 'Check the ledger invariants against the stored data (full scan)' } },
    async () => {
      const report = await ledger.checkInvariants();
      return {
        ok: report.ok,
        currencies: report.currencies.map((c) => ({
          currency: c.currency,
          debits_posted: c.debits_posted.toString(),
          credits_posted: c.credits_posted.toString(),
          debits_pending: c.debits_pending.toString(),
          credits_pending: c.credits_pending.toString(),
        })),
        accounts_over_limit: report.accounts_over_limit,
        accounts_not_matching_transfers: report.accounts_not_matching_transfers,
      };
    },
  );

  registerPendingRoutes(root, ledger);
}

/**
 * Account information under an account_access consent (customer token, scope `accounts`):
 * GET /open-banking/v1/accounts, /accounts/{id}, /accounts/{id}/balances,
 * /accounts/{id}/transactions (the ledger's own transfer listing, cursor-paginated).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Db } from '../db/port.js';
import type { Ledger } from '../ledger/service.js';
import { Uuid } from '../ledger/schemas.js';
import { TransferFlags, hasFlag, type Account, type Transfer } from '../ledger/types.js';
import type { Clock } from '../server/clock.js';
import { decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import type { ConsentPermission } from './consents.js';
import { listCustomerAccounts } from './customers-store.js';
import { MinorUnits, NextCursor, PARTNER_TAG, Timestamp, errorResponses } from './http-common.js';
import { requireConsent } from './resource-access.js';

const tags = [PARTNER_TAG];
const partner = { scope: 'accounts' as const, token: 'customer' as const };
export const TRANSACTIONS_PAGE_MAX = 200;

const AccountSummary = Type.Object({
  account_id: Type.String(),
  currency: Type.String(),
  currency_scale: Type.Integer(),
  nickname: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'open | frozen | closed' }),
});
const Balances = Type.Object({
  account_id: Type.String(),
  currency: Type.String(),
  booked_minor: { ...MinorUnits, description: 'Posted credits − posted debits' },
  available_minor: { ...MinorUnits, description: 'Booked less holds (pending debits): what can be spent now' },
  pending_debits_minor: MinorUnits,
  pending_credits_minor: MinorUnits,
  as_of: Timestamp,
});
const Transaction = Type.Object({
  transaction_id: Type.String({ description: 'The ledger transfer id' }),
  booked_at: Timestamp,
  direction: Type.String({ description: 'debit (money out of the account) | credit (money in)' }),
  amount_minor: MinorUnits,
  currency: Type.String(),
  status: Type.String({ description: 'booked | pending (a hold) | released (a hold voided or expired)' }),
  pending_id: Type.Union([Type.String(), Type.Null()], { description: 'For the settlement or release of a hold: the hold it settles' }),
  counterparty_account_id: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
});
const Params = Type.Object({ id: Uuid });

function balancesJson(a: Account, now: Date) {
  const booked = a.credits_posted - a.debits_posted;
  return {
    account_id: a.id,
    currency: a.currency,
    booked_minor: booked.toString(),
    available_minor: (booked - a.debits_pending).toString(),
    pending_debits_minor: a.debits_pending.toString(),
    pending_credits_minor: a.credits_pending.toString(),
    as_of: now.toISOString(),
  };
}

function transactionJson(t: Transfer, account_id: string) {
  const debit = t.debit_account_id === account_id;
  const reference = [t.metadata?.reference, t.metadata?.memo].find((v): v is string => typeof v === 'string' && v.length <= 140) ?? null;
  const status = hasFlag(t.flags, TransferFlags.pending) ? 'pending' : hasFlag(t.flags, TransferFlags.void_pending) ? 'released' : 'booked';
  return {
    transaction_id: t.id,
    booked_at: t.created_at.toISOString(),
    direction: debit ? 'debit' : 'credit',
    amount_minor: t.amount.toString(),
    currency: t.currency,
    status,
    pending_id: t.pending_id,
    counterparty_account_id: debit ? t.credit_account_id : t.debit_account_id,
    reference,
  };
}

const SEQ_CURSOR = /^([1-9][0-9]{0,18})$/;

export function registerAccountResources(root: FastifyInstance, db: Db, ledger: Ledger, clock: Clock): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  /**
   * The consent check for one account, then the account from the ledger. The consent's
   * accounts were checked to be the customer's when it was authorised, and links are never
   * removed, so balances and transactions need no second look-up (a hot path).
   */
  const consentedAccount = async (req: Parameters<typeof requireConsent>[1], id: string, permission: ConsentPermission) => {
    const now = clock.now();
    const account_id = id.toLowerCase();
    const access = await requireConsent(db, req, { kinds: ['account_access'], permission, account_id }, now);
    const account = await ledger.getAccount(account_id);
    if (!account) throw new ProblemError('account_not_found', `no account ${id}`);
    return { access, account, now };
  };

  app.get(
    '/open-banking/v1/accounts',
    {
      config: { partner },
      schema: {
        tags,
        summary: 'The accounts the customer shared under the consent (permission accounts:read)',
        response: { 200: Type.Object({ data: Type.Array(AccountSummary) }), ...errorResponses },
      },
    },
    async (req) => {
      const access = await requireConsent(db, req, { kinds: ['account_access'], permission: 'accounts:read' }, clock.now());
      const shared = new Set(access.consent.account_ids);
      const linked = await listCustomerAccounts(db, access.principal.customer_id);
      return {
        data: linked
          .filter((a) => shared.has(a.account_id))
          .map((a) => ({ account_id: a.account_id, currency: a.currency, currency_scale: ledger.scaleOf(a.currency), nickname: a.nickname, status: a.status })),
      };
    },
  );

  app.get(
    '/open-banking/v1/accounts/:id',
    { config: { partner }, schema: { tags, summary: 'One shared account (permission accounts:read)', params: Params, response: { 200: AccountSummary, ...errorResponses } } },
    async (req) => {
      const { access, account } = await consentedAccount(req, req.params.id, 'accounts:read');
      const link = (await listCustomerAccounts(db, access.principal.customer_id)).find((l) => l.account_id === account.id);
      if (!link) throw new ProblemError('account_not_found', `no account ${req.params.id} for this customer`);
      return { account_id: account.id, currency: account.currency, currency_scale: ledger.scaleOf(account.currency), nickname: link.nickname, status: account.status };
    },
  );

  app.get(
    '/open-banking/v1/accounts/:id/balances',
    { config: { partner }, schema: { tags, summary: "A shared account's balances now (permission balances:read)", params: Params, response: { 200: Balances, ...errorResponses } } },
    async (req) => {
      const { account, now } = await consentedAccount(req, req.params.id, 'balances:read');
      return balancesJson(account, now);
    },
  );

  app.get(
    '/open-banking/v1/accounts/:id/transactions',
    {
      config: { partner },
      schema: {
        tags,
        summary: "A shared account's transactions, newest first, cursor-paginated (permission transactions:read)",
        params: Params,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: TRANSACTIONS_PAGE_MAX, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'booked at or after' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'booked before' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(Transaction), next_cursor: NextCursor }), ...errorResponses },
      },
    },
    async (req) => {
      const { account } = await consentedAccount(req, req.params.id, 'transactions:read');
      const limit = req.query.limit ?? 50;
      const before = decodeCursor(req.query.cursor, SEQ_CURSOR)?.[0];
      const rows = await ledger.listAccountTransfers({
        account_id: account.id,
        limit: limit + 1,
        before_seq: before === undefined ? undefined : BigInt(before),
        from: req.query.from ? new Date(req.query.from) : undefined,
        to: req.query.to ? new Date(req.query.to) : undefined,
      });
      const page = rows.slice(0, limit);
      return {
        data: page.map((t) => transactionJson(t, account.id)),
        next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.seq!.toString()) : null,
      };
    },
  );
}

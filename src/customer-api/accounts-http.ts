/**
 * /v1/me, the customer's accounts, their transactions and statements, and the pay code.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Ledger } from '../ledger/service.js';
import { getAccounts } from '../ledger/store.js';
import { TransferFlags, hasFlag, type Transfer } from '../ledger/types.js';
import { findCustomer, listCustomerAccounts } from '../openbanking/customers-store.js';
import { PageCursor, PageLimit, decodeCursor, encodeCursor } from '../server/cursor.js';
import { ProblemError } from '../server/problem.js';
import { customerPhone } from '../identity/store.js';
import { customerView } from '../identity/views.js';
import { balancesOf, ownedAccount } from './ownership.js';
import * as store from './store.js';

export const TRANSACTIONS_PAGE_MAX = 100;
const STATEMENT_DAYS_MAX = 366;
const me = { customer: true } as const;
const tags = ['customer app'];
const AccountParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export function registerAccountRoutes(root: FastifyInstance, ledger: Ledger): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const db = ledger.db;

  app.get('/v1/me', { config: me, schema: { tags, summary: 'The signed-in customer' } }, async (req) => {
    const customer = await findCustomer(db, req.customer!.id);
    if (!customer) throw new ProblemError('unauthorized', 'the customer no longer exists');
    return customerView(customer, await customerPhone(db, customer.id));
  });

  app.get('/v1/me/accounts', { config: me, schema: { tags, summary: "The customer's accounts with balances (minor units)" } }, async (req) => {
    const links = await listCustomerAccounts(db, req.customer!.id);
    const accounts = await getAccounts(db, links.map((l) => l.account_id));
    return {
      items: links.flatMap((l) => {
        const a = accounts.get(l.account_id);
        return a ? [{ id: a.id, nickname: l.nickname, currency: a.currency, status: a.status, ...balancesOf(a) }] : [];
      }),
    };
  });

  app.get(
    '/v1/me/accounts/:id/transactions',
    { config: me, schema: { tags, summary: 'Transactions of one of my accounts, newest first', params: AccountParams, querystring: Type.Object({ limit: PageLimit(TRANSACTIONS_PAGE_MAX), cursor: PageCursor }, { additionalProperties: false }) } },
    async (req) => {
      const account = await ownedAccount(ledger, req.customer!.id, req.params.id);
      const before = decodeCursor(req.query.cursor, /^(\d{1,19})$/);
      const limit = req.query.limit ?? 50;
      const page = await ledger.listAccountTransfers({ account_id: account.id, limit: limit + 1, before_seq: before ? BigInt(before[0]!) : undefined });
      const shown = page.slice(0, limit);
      const items = await describe(ledger, account.id, shown);
      const last = shown[shown.length - 1];
      return { items, next_cursor: page.length > limit && last?.seq !== undefined ? encodeCursor(last.seq.toString()) : null };
    },
  );

  app.get(
    '/v1/me/accounts/:id/statement',
    {
      config: me,
      schema: { tags, summary: 'Statement of one of my accounts for [from, to)', params: AccountParams, querystring: Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }, { additionalProperties: false }) },
    },
    async (req) => {
      const account = await ownedAccount(ledger, req.customer!.id, req.params.id);
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(to > from)) throw new ProblemError('invalid_request', 'to must be after from', { errors: [{ field: 'querystring.to', message: 'must be after from' }] });
      if (to.getTime() - from.getTime() > STATEMENT_DAYS_MAX * 86_400_000) {
        throw new ProblemError('invalid_request', `a statement covers at most ${STATEMENT_DAYS_MAX} days`, { errors: [{ field: 'querystring.to', message: `at most ${STATEMENT_DAYS_MAX} days after from` }] });
      }
      const s = await ledger.statement(account, from, to);
      return {
        account_id: s.account_id,
        currency: s.currency,
        currency_scale: ledger.scaleOf(s.currency),
        from: s.from.toISOString(),
        to: s.to.toISOString(),
        opening_balance_minor: s.opening_balance_minor.toString(),
        closing_balance_minor: s.closing_balance_minor.toString(),
        total_debits_minor: s.total_debits_minor.toString(),
        total_credits_minor: s.total_credits_minor.toString(),
        lines: s.lines.map((l) => ({
          transfer_id: l.transfer_id,
          created_at: l.created_at.toISOString(),
          counterparty_account_id: l.counterparty_account_id,
          debit_minor: l.debit_minor.toString(),
          credit_minor: l.credit_minor.toString(),
          balance_minor: l.balance_minor.toString(),
          note: noteOf(l.metadata),
        })),
        truncated: s.truncated,
      };
    },
  );

  app.get('/v1/me/pay-code', { config: me, schema: { tags, summary: 'What my "receive money" QR code encodes' } }, async (req) => {
    const customer = await findCustomer(db, req.customer!.id);
    const account = (await listCustomerAccounts(db, req.customer!.id)).find((a) => a.status === 'open');
    if (!customer || !account) throw new ProblemError('account_not_found', 'you have no open account to be paid into');
    return { payload: `capillary:pay?to=${account.account_id}&name=${encodeURIComponent(customer.display_name)}`, account_id: account.account_id };
  });
}

const noteOf = (metadata: Record<string, unknown> | null): string | null => {
  const memo = metadata?.memo;
  return typeof memo === 'string' ? memo : null;
};

/** A hold shows its life (pending → settled or released); a void line is a release. */
function statusOf(t: Transfer, holds: Map<string, string>): string {
  if (hasFlag(t.flags, TransferFlags.pending)) {
    const state = holds.get(t.id) ?? 'pending';
    return state === 'pending' ? 'pending' : state === 'posted' ? 'settled' : 'released';
  }
  if (hasFlag(t.flags, TransferFlags.void_pending)) return 'released';
  return 'completed';
}

async function describe(ledger: Ledger, account_id: string, page: readonly Transfer[]) {
  const ids = page.map((t) => t.id);
  const counterparties = [...new Set(page.map((t) => (t.debit_account_id === account_id ? t.credit_account_id : t.debit_account_id)))];
  const [details, owners, accounts, holds] = await Promise.all([
    store.appTransferDetails(ledger.db, ids),
    store.ownerNames(ledger.db, counterparties),
    getAccounts(ledger.db, counterparties),
    store.holdStates(ledger.db, page.filter((t) => hasFlag(t.flags, TransferFlags.pending)).map((t) => t.id)),
  ]);
  return page.map((t) => {
    const out = t.debit_account_id === account_id;
    const other = out ? t.credit_account_id : t.debit_account_id;
    const app = details.get(t.id);
    const accountName = accounts.get(other)?.metadata?.name;
    const name = (out ? app?.to_name : app?.from_name) ?? owners.get(other) ?? (typeof accountName === 'string' ? accountName : undefined);
    return {
      transfer_id: t.id,
      direction: out ? 'out' : 'in',
      amount_minor: t.amount.toString(),
      currency: t.currency,
      counterparty_name: name ?? null,
      note: app ? app.note : noteOf(t.metadata),
      status: statusOf(t, holds),
      created_at: t.created_at.toISOString(),
    };
  });
}

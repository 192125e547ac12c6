/** Customers (search, a customer's linked accounts) and accounts (balances, transfers, holds, freeze, statement). */
import { useState } from 'preact/hooks';
import { api, ApiError, get, grants, loadSession, qs } from '../api';
import { money, short, when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, ErrorBox, Field, KeyValues, Load, PagedTable, SearchForm, Section, Table, asApiError, useAsync, usePaged } from '../ui';

/** Freezing is a ledger status change; the API decides who may (this only hides the buttons). */
export const FREEZE_SCOPES = ['ledger:freeze', 'admin'];

interface Customer {
  id: string;
  display_name: string;
  mode: string;
  status: string;
  created_at: string;
  phone_masked?: string;
  accounts?: { account_id: string; currency: string; nickname: string | null; status: string }[];
}

export interface Account {
  id: string;
  currency: string;
  currency_scale: number;
  code: number;
  status: string;
  metadata: Record<string, unknown> | null;
  debits_pending: string;
  debits_posted: string;
  credits_pending: string;
  credits_posted: string;
  created_at: string;
  updated_at: string;
}

export interface Transfer {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  currency: string;
  pending_id: string | null;
  code: number;
  flags: Record<string, boolean | undefined>;
  metadata: Record<string, unknown> | null;
  created_at: string;
  expires_at: string | null;
  pending_state?: string | null;
}

export default function Customers({ path, scopes }: ScreenProps) {
  if (path[0] === 'accounts' && path[1]) return <AccountView id={path[1]} scopes={scopes} />;
  if (path[0]) return <CustomerView id={path[0]} />;
  return <CustomerSearch scopes={scopes} />;
}

function CustomerSearch({ scopes }: { scopes: string[] }) {
  const [accountId, setAccountId] = useState('');
  return (
    <>
      <h1>{t('nav_customers')}</h1>
      <Section title={t('open_account')}>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (accountId.trim()) location.hash = `#/accounts/${encodeURIComponent(accountId.trim())}`;
          }}
        >
          <Field label={t('account_id')}>
            <input name="account_id" value={accountId} onInput={(e) => setAccountId(e.currentTarget.value)} spellcheck={false} pattern="[0-9a-fA-F-]{36}" />
          </Field>
          <button type="submit">{t('open')}</button>
        </form>
      </Section>
      {/* GET /v1/customers needs openbanking:admin: roles without it look accounts up by id. */}
      {grants(scopes, 'openbanking:admin') && <CustomerList />}
    </>
  );
}

function CustomerList() {
  const [query, setQuery] = useState('');
  const list = usePaged<Customer>((cursor) => `/v1/customers${qs({ q: query, limit: 25, cursor })}`, [query]);
  return (
    <Section title={t('search_customers')}>
      <SearchForm label={t('search')} name="q" onSearch={setQuery} />
      <PagedTable list={list}
          caption={t('nav_customers')}
          rowKey={(c) => c.id}
          columns={[
            { label: t('id'), cell: (c) => <a href={`#/customers/${encodeURIComponent(c.id)}`}>{c.id}</a> },
            { label: t('name'), cell: (c) => c.display_name },
            { label: t('mode'), cell: (c) => c.mode },
            { label: t('status'), cell: (c) => <Badge value={c.status} /> },
            { label: t('created'), cell: (c) => when(c.created_at) },
          ]}
        />
    </Section>
  );
}

function CustomerView({ id }: { id: string }) {
  const customer = useAsync(() => get<Customer>(`/v1/customers/${encodeURIComponent(id)}`), [id]);
  return (
    <>
      <p>
        <a href="#/customers">← {t('back')}</a>
      </p>
      <Load state={customer}>
        {(c) => (
          <>
            <h1>{c.display_name}</h1>
            <Section title={t('details')}>
              <KeyValues
                items={[
                  [t('id'), <code>{c.id}</code>],
                  [t('mode'), c.mode],
                  [t('status'), <Badge value={c.status} />],
                  [t('created'), when(c.created_at)],
                ]}
              />
            </Section>
            <Section title={t('accounts')}>
              <Table
                caption={t('accounts')}
                rows={c.accounts ?? []}
                rowKey={(a) => a.account_id}
                columns={[
                  { label: t('account_id'), cell: (a) => <a href={`#/accounts/${a.account_id}`}>{a.account_id}</a> },
                  { label: t('name'), cell: (a) => a.nickname ?? '—' },
                  { label: t('currency'), cell: (a) => a.currency },
                  { label: t('status'), cell: (a) => <Badge value={a.status} /> },
                ]}
              />
            </Section>
          </>
        )}
      </Load>
    </>
  );
}

function AccountView({ id, scopes }: { id: string; scopes: string[] }) {
  const account = useAsync(() => get<Account>(`/v1/accounts/${encodeURIComponent(id)}`), [id]);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const canFreeze = FREEZE_SCOPES.some((s) => grants(scopes, s));

  const change = async (what: 'freeze' | 'unfreeze') => {
    if (!confirm(what === 'freeze' ? t('confirm_freeze') : t('confirm_unfreeze'))) return;
    setBusy(true);
    setActionError(null);
    try {
      await api('POST', `/v1/accounts/${encodeURIComponent(id)}/${what}`, {});
      account.reload();
    } catch (err) {
      setActionError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        <a href="#/customers">← {t('back')}</a>
      </p>
      <Load state={account}>
        {(a) => {
          const posted = (BigInt(a.credits_posted) - BigInt(a.debits_posted)).toString();
          const available = (BigInt(a.credits_posted) - BigInt(a.debits_posted) - BigInt(a.debits_pending)).toString();
          const name = typeof a.metadata?.name === 'string' ? a.metadata.name : a.id;
          return (
            <>
              <h1>{name}</h1>
              <Section
                title={t('account')}
                actions={
                  canFreeze && a.status !== 'closed' ? (
                    a.status === 'frozen' ? (
                      <button type="button" disabled={busy} onClick={() => change('unfreeze')}>
                        {t('unfreeze')}
                      </button>
                    ) : (
                      <button type="button" class="danger" disabled={busy} onClick={() => change('freeze')}>
                        {t('freeze')}
                      </button>
                    )
                  ) : undefined
                }
              >
                {actionError && <ErrorBox error={actionError} />}
                <KeyValues
                  items={[
                    [t('account_id'), <code>{a.id}</code>],
                    [t('status'), <Badge value={a.status} />],
                    [t('code'), String(a.code)],
                    [t('balance'), money(posted, a.currency, a.currency_scale)],
                    [t('available'), money(available, a.currency, a.currency_scale)],
                    [t('pending_out'), money(a.debits_pending, a.currency, a.currency_scale)],
                    [t('pending_in'), money(a.credits_pending, a.currency, a.currency_scale)],
                    [t('created'), when(a.created_at)],
                  ]}
                />
              </Section>
              <AccountTransfers account={a} />
              <Statement account={a} />
            </>
          );
        }}
      </Load>
    </>
  );
}

function AccountTransfers({ account }: { account: Account }) {
  const list = usePaged<Transfer>((cursor) => `/v1/accounts/${account.id}/transfers${qs({ limit: 50, cursor })}`, [account.id, account.updated_at]);
  // The list does not carry a hold's state; each pending transfer is read on its own (GET /v1/transfers/:id).
  const pendingIds = list.items.filter((x) => x.flags.pending).map((x) => x.id);
  const holdStates = useAsync(async () => Promise.all(pendingIds.map((id) => get<Transfer>(`/v1/transfers/${id}`))), [pendingIds.join(',')]);
  const stateOf = new Map((holdStates.data ?? []).map((x) => [x.id, x.pending_state ?? null]));
  const holds = (holdStates.data ?? []).filter((x) => x.pending_state === 'pending');
  const columns = [
    { label: t('transfer_id'), cell: (x: Transfer) => <a href={`#/ledger/transfers/${x.id}`}>{short(x.id)}</a> },
    { label: t('direction'), cell: (x: Transfer) => (x.debit_account_id === account.id ? `↑ ${t('out')}` : `↓ ${t('in')}`) },
    { label: t('counterparty'), cell: (x: Transfer) => <a href={`#/accounts/${x.debit_account_id === account.id ? x.credit_account_id : x.debit_account_id}`}>{short(x.debit_account_id === account.id ? x.credit_account_id : x.debit_account_id)}</a> },
    { label: t('amount'), num: true, cell: (x: Transfer) => money(x.amount, x.currency, account.currency_scale) },
    { label: t('memo'), cell: (x: Transfer) => (typeof x.metadata?.memo === 'string' ? x.metadata.memo : '') },
    { label: t('pending_state'), cell: (x: Transfer) => (x.flags.pending ? <Badge value={x.pending_state ?? stateOf.get(x.id) ?? 'pending'} /> : x.flags.post_pending ? 'post' : x.flags.void_pending ? 'void' : '') },
    { label: t('created'), cell: (x: Transfer) => when(x.created_at) },
  ];
  return (
    <>
      <Section title={t('pending_holds')}>
        <Load state={holdStates}>{() => <Table caption={t('pending_holds')} rows={holds} rowKey={(x) => x.id} columns={columns} />}</Load>
      </Section>
      <Section title={t('transfers')}>
        <PagedTable list={list} caption={t('transfers')} rowKey={(x) => x.id} columns={columns} />
      </Section>
    </>
  );
}

interface StatementJson {
  currency: string;
  currency_scale: number;
  opening_balance: string;
  closing_balance: string;
  total_debits: string;
  total_credits: string;
  truncated: boolean;
  lines: { transfer_id: string; created_at: string; code: number; counterparty_account_id: string; debit: string; credit: string; balance: string; metadata: Record<string, unknown> | null }[];
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function Statement({ account }: { account: Account }) {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 30 * 86_400_000)));
  const [to, setTo] = useState(isoDay(new Date(today.getTime() + 86_400_000)));
  const [statement, setStatement] = useState<StatementJson | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const range = () => qs({ from: new Date(`${from}T00:00:00Z`).toISOString(), to: new Date(`${to}T00:00:00Z`).toISOString() });

  const show = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setStatement(await get<StatementJson>(`/v1/accounts/${account.id}/statement${range()}`));
    } catch (err) {
      setError(asApiError(err));
    }
  };
  // The CSV needs the Bearer token, so it is fetched here and handed over as a blob.
  const csv = async () => {
    const session = loadSession();
    const res = await fetch(`/v1/accounts/${account.id}/statement${range()}&format=csv`, { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
    if (!res.ok) return setError(new ApiError({ status: res.status, code: `http_${res.status}`, detail: res.statusText }));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `statement-${account.id}-${from}-${to}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <Section title={t('statement')}>
      <form class="inline" onSubmit={show}>
        <Field label={t('from')}>
          <input type="date" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} required />
        </Field>
        <Field label={t('to')}>
          <input type="date" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
        </Field>
        <button type="submit">{t('show_statement')}</button>
        <button type="button" class="secondary" onClick={csv}>
          {t('download_csv')}
        </button>
      </form>
      {error && <ErrorBox error={error} />}
      {statement && (
        <>
          <KeyValues
            items={[
              [t('opening'), money(statement.opening_balance, statement.currency, statement.currency_scale)],
              [t('debit'), money(statement.total_debits, statement.currency, statement.currency_scale)],
              [t('credit'), money(statement.total_credits, statement.currency, statement.currency_scale)],
              [t('closing'), money(statement.closing_balance, statement.currency, statement.currency_scale)],
            ]}
          />
          <Table
            caption={t('statement')}
            rows={statement.lines}
            rowKey={(l) => l.transfer_id}
            columns={[
              { label: t('created'), cell: (l) => when(l.created_at) },
              { label: t('transfer_id'), cell: (l) => <a href={`#/ledger/transfers/${l.transfer_id}`}>{short(l.transfer_id)}</a> },
              { label: t('memo'), cell: (l) => (typeof l.metadata?.memo === 'string' ? l.metadata.memo : '') },
              { label: t('debit'), num: true, cell: (l) => (l.debit === '0' ? '' : money(l.debit, undefined, statement.currency_scale)) },
              { label: t('credit'), num: true, cell: (l) => (l.credit === '0' ? '' : money(l.credit, undefined, statement.currency_scale)) },
              { label: t('balance'), num: true, cell: (l) => money(l.balance, undefined, statement.currency_scale) },
            ]}
          />
        </>
      )}
    </Section>
  );
}

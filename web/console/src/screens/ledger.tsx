/** Ledger explorer: a transfer by id (with its hold state), and the invariant check. */
import { useState } from 'preact/hooks';
import { get, grants } from '../api';
import { money, when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, Field, KeyValues, Load, Section, Table, useAsync } from '../ui';
import type { Transfer } from './customers';
import { PendingHolds } from './ledger-pending';

interface Invariants {
  ok: boolean;
  currencies: { currency: string; debits_posted: string; credits_posted: string; debits_pending: string; credits_pending: string }[];
  accounts_over_limit: string[];
  accounts_not_matching_transfers: string[];
}

export default function Ledger({ path, scopes }: ScreenProps) {
  const [id, setId] = useState(path[0] === 'transfers' ? (path[1] ?? '') : '');
  const shown = path[0] === 'transfers' ? path[1] : undefined;
  return (
    <>
      <h1>{t('nav_ledger')}</h1>
      <Section title={t('find_transfer')}>
        <form
          class="inline"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (id.trim()) location.hash = `#/ledger/transfers/${encodeURIComponent(id.trim())}`;
          }}
        >
          <Field label={t('transfer_id')}>
            <input name="transfer_id" value={id} onInput={(e) => setId(e.currentTarget.value)} spellcheck={false} />
          </Field>
          <button type="submit">{t('open')}</button>
        </form>
        {shown && <TransferView id={shown} />}
      </Section>
      <PendingHolds />
      <InvariantCheck allowed={grants(scopes, 'admin')} />
    </>
  );
}

function TransferView({ id }: { id: string }) {
  const transfer = useAsync(() => get<Transfer>(`/v1/transfers/${encodeURIComponent(id)}`), [id]);
  return (
    <Load state={transfer}>
      {(x) => (
        <KeyValues
          items={[
            [t('transfer_id'), <code>{x.id}</code>],
            [t('amount'), money(x.amount, x.currency)],
            [t('debit'), <a href={`#/accounts/${x.debit_account_id}`}>{x.debit_account_id}</a>],
            [t('credit'), <a href={`#/accounts/${x.credit_account_id}`}>{x.credit_account_id}</a>],
            [t('code'), String(x.code)],
            [
              'flags',
              Object.entries(x.flags)
                .filter(([, v]) => v)
                .map(([k]) => k)
                .join(', ') || '—',
            ],
            [t('pending_state'), x.pending_state ? <Badge value={x.pending_state} /> : '—'],
            ['pending_id', x.pending_id ? <a href={`#/ledger/transfers/${x.pending_id}`}>{x.pending_id}</a> : '—'],
            [t('expires'), when(x.expires_at)],
            [t('memo'), x.metadata ? <code>{JSON.stringify(x.metadata)}</code> : '—'],
            [t('created'), when(x.created_at)],
          ]}
        />
      )}
    </Load>
  );
}

function InvariantCheck({ allowed }: { allowed: boolean }) {
  const [run, setRun] = useState(0);
  const result = useAsync(() => (run > 0 ? get<Invariants>('/v1/ledger/invariants') : Promise.resolve(null)), [run]);
  return (
    <Section
      title={t('invariants')}
      actions={
        allowed ? (
          <button type="button" onClick={() => setRun((n) => n + 1)} disabled={result.loading && run > 0}>
            {t('run_check')}
          </button>
        ) : undefined
      }
    >
      {!allowed && <p class="muted">{t('invariants_admin')}</p>}
      {allowed && (
        <Load state={result}>
          {(r) =>
            r && (
              <>
                <p class={r.ok ? 'ok' : 'error'} role="status" data-testid="invariants-status">
                  {r.ok ? `✓ ${t('invariants_ok')}` : `✗ ${t('invariants_bad')}`}
                </p>
                <Table
                  caption={t('invariants')}
                  rows={r.currencies}
                  rowKey={(c) => c.currency}
                  columns={[
                    { label: t('currency'), cell: (c) => c.currency },
                    { label: 'debits posted', num: true, cell: (c) => money(c.debits_posted, undefined) },
                    { label: 'credits posted', num: true, cell: (c) => money(c.credits_posted, undefined) },
                    { label: 'debits pending', num: true, cell: (c) => money(c.debits_pending, undefined) },
                    { label: 'credits pending', num: true, cell: (c) => money(c.credits_pending, undefined) },
                  ]}
                />
                <KeyValues
                  items={[
                    [t('over_limit'), r.accounts_over_limit.length ? r.accounts_over_limit.join(', ') : '0'],
                    [t('not_matching'), r.accounts_not_matching_transfers.length ? r.accounts_not_matching_transfers.join(', ') : '0'],
                  ]}
                />
              </>
            )
          }
        </Load>
      )}
    </Section>
  );
}

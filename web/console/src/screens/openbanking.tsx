/** Open banking: partner apps, consents as staff see them, webhook deliveries with replay. */
import { useState } from 'preact/hooks';
import { ApiError, get, post, qs, rows, type Page } from '../api';
import { money, short, when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, ErrorBox, Load, Section, Table, asApiError, useAsync } from '../ui';

interface PartnerApp {
  client_id: string;
  name: string;
  mode: string;
  status: string;
  allowed_scopes: string[];
  webhook_url: string | null;
  created_at: string;
}
interface Consent {
  id: string;
  client_id: string;
  kind: string;
  status: string;
  customer_id: string | null;
  account_ids: string[];
  payment: { currency: string; amount_limit_minor: string; amount_remaining_minor: string } | null;
  expires_at: string;
  created_at: string;
}
interface Delivery {
  id: string;
  event_id: string;
  client_id: string;
  topic: string;
  url: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
}

export default function OpenBanking(_: ScreenProps) {
  return (
    <>
      <h1>{t('nav_openbanking')}</h1>
      <Apps />
      <Consents />
      <Deliveries />
    </>
  );
}

function Apps() {
  const list = useAsync(() => get<Page<PartnerApp>>('/v1/partner-apps?limit=100'), []);
  return (
    <Section title={t('partner_apps')}>
      <Load state={list}>
        {(page) => (
          <Table
            caption={t('partner_apps')}
            rows={rows(page)}
            rowKey={(a) => a.client_id}
            columns={[
              { label: t('client_id'), cell: (a) => <code>{a.client_id}</code> },
              { label: t('name'), cell: (a) => a.name },
              { label: t('mode'), cell: (a) => a.mode },
              { label: t('status'), cell: (a) => <Badge value={a.status} /> },
              { label: t('scopes'), cell: (a) => a.allowed_scopes.join(', ') },
              { label: 'webhook', cell: (a) => a.webhook_url ?? '—' },
              { label: t('created'), cell: (a) => when(a.created_at) },
            ]}
          />
        )}
      </Load>
    </Section>
  );
}

function Consents() {
  const list = useAsync(() => get<Page<Consent>>('/v1/consents?limit=50'), []);
  return (
    <Section title={t('consents')}>
      <Load state={list}>
        {(page) => (
          <Table
            caption={t('consents')}
            rows={rows(page)}
            rowKey={(c) => c.id}
            columns={[
              { label: t('id'), cell: (c) => short(c.id) },
              { label: t('client_id'), cell: (c) => c.client_id },
              { label: 'kind', cell: (c) => c.kind },
              { label: t('status'), cell: (c) => <Badge value={c.status} /> },
              { label: t('customer'), cell: (c) => (c.customer_id ? <a href={`#/customers/${encodeURIComponent(c.customer_id)}`}>{c.customer_id}</a> : '—') },
              { label: t('accounts'), cell: (c) => c.account_ids.map(short).join(', ') || '—' },
              { label: t('amount'), cell: (c) => (c.payment ? `${money(c.payment.amount_remaining_minor, c.payment.currency)} / ${money(c.payment.amount_limit_minor, c.payment.currency)}` : '—') },
              { label: t('expires'), cell: (c) => when(c.expires_at) },
            ]}
          />
        )}
      </Load>
    </Section>
  );
}

function Deliveries() {
  const [status, setStatus] = useState('');
  const list = useAsync(() => get<Page<Delivery>>(`/v1/webhook-deliveries${qs({ status, limit: 50 })}`), [status]);
  const [result, setResult] = useState<{ id: string; text: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const replay = async (id: string) => {
    setError(null);
    try {
      const r = await post<{ attempt: { status_code: number | null; error: string | null } }>(`/v1/webhook-deliveries/${id}/replay`, {});
      setResult({ id, text: `${t('replayed')}: ${r.attempt.status_code ?? r.attempt.error ?? '—'}` });
      list.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <Section
      title={t('deliveries')}
      actions={
        <label class="field">
          <span>{t('status')}</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">—</option>
            <option value="pending">pending</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
          </select>
        </label>
      }
    >
      {error && <ErrorBox error={error} />}
      {result && (
        <p role="status" class="ok">
          {short(result.id)} — {result.text}
        </p>
      )}
      <Load state={list}>
        {(page) => (
          <Table
            caption={t('deliveries')}
            rows={rows(page)}
            rowKey={(d) => d.id}
            columns={[
              { label: t('id'), cell: (d) => short(d.id) },
              { label: t('client_id'), cell: (d) => d.client_id },
              { label: t('topic'), cell: (d) => d.topic },
              { label: t('status'), cell: (d) => <Badge value={d.status} /> },
              { label: t('attempts'), num: true, cell: (d) => String(d.attempts) },
              { label: 'HTTP', num: true, cell: (d) => (d.last_status_code === null ? (d.last_error ?? '—') : String(d.last_status_code)) },
              { label: t('created'), cell: (d) => when(d.created_at) },
              {
                label: t('replay'),
                cell: (d) => (
                  <button type="button" class="small" onClick={() => replay(d.id)} aria-label={`${t('replay')} ${d.id}`}>
                    {t('replay')}
                  </button>
                ),
              },
            ]}
          />
        )}
      </Load>
    </Section>
  );
}

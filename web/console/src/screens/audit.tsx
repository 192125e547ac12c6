/** The audit log (administrators): every write by a staff token or API key, and every staff sign-in attempt. */
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, Field, PagedTable, Section, usePaged } from '../ui';

interface AuditEntry {
  at: string;
  actor_kind: 'staff' | 'api_key';
  actor_id: string | null;
  actor_email: string | null;
  role: string | null;
  action: string;
  method: string;
  route: string;
  target_ids: Record<string, string>;
  status_code: number;
  request_id: string;
}

export default function Audit(_: ScreenProps) {
  const [actor, setActor] = useState('');
  const [filter, setFilter] = useState('');
  const list = usePaged<AuditEntry>((cursor) => `/v1/audit-log${qs({ actor_id: filter, limit: 100, cursor })}`, [filter]);
  return (
    <>
      <h1>{t('audit_log')}</h1>
      <Section title={t('audit_log')}>
        <form
          class="inline"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(actor.trim());
          }}
        >
          <Field label={t('filter_actor')}>
            <input name="actor_id" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
          </Field>
          <button type="submit">{t('search')}</button>
        </form>
        <PagedTable
          list={list}
          caption={t('audit_log')}
          rowKey={(r) => `${r.request_id}-${r.at}`}
          columns={[
            { label: t('when'), cell: (r) => when(r.at) },
            { label: t('actor'), cell: (r) => (
                <button type="button" class="link" onClick={() => (setActor(r.actor_id ?? ''), setFilter(r.actor_id ?? ''))} title={r.actor_id ?? ''}>
                  {r.actor_email ?? r.actor_id ?? '—'}
                </button>
              ) },
            { label: t('role'), cell: (r) => r.role ?? r.actor_kind },
            { label: t('action'), cell: (r) => (r.action === 'http' ? `${r.method} ${r.route}` : r.action) },
            { label: t('target'), cell: (r) => Object.entries(r.target_ids).map(([k, v]) => `${k}=${v}`).join(', ') || '—' },
            { label: t('status'), num: true, cell: (r) => <Badge value={r.status_code < 400 ? 'ok' : 'refused'} /> },
            { label: 'HTTP', num: true, cell: (r) => String(r.status_code) },
          ]}
        />
      </Section>
    </>
  );
}

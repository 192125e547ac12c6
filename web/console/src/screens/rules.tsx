/**
 * Risk rule sets: the list (latest and published versions, what runs live and in shadow),
 * one version's rules, editing as a new version (the server checks every condition and
 * names the rule and field; the error is shown beside that field), publishing (risk:admin
 * only) and a backtest of a version over a period (rules-backtest.tsx).
 *
 * Routes: #/rules, #/rules/<id>, #/rules/<id>/v/<n>, #/rules/<id>/v/<n>/edit, #/rules/new.
 */
import { useState } from 'preact/hooks';
import { ApiError, get, grants, post } from '../api';
import { when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, ErrorBox, Field, KeyValues, Load, Section, Table, asApiError, useAsync } from '../ui';
import { Backtest } from './rules-backtest';
import { RuleEditor } from './rules-editor';

export type Outcome = 'allow' | 'step_up' | 'review' | 'block';
export const OUTCOMES: Outcome[] = ['allow', 'step_up', 'review', 'block'];

export interface Rule {
  id: string;
  name?: string;
  when: string;
  outcome: Outcome;
  priority?: number;
  reason?: string;
  enabled?: boolean;
}
export interface RuleSetVersion {
  id: string;
  version: number;
  status: 'draft' | 'published';
  body: { rules: Rule[]; attributes?: Record<string, 'number' | 'string' | 'boolean'> };
  comment: string;
  created_by: string;
  created_at: string;
  published_by: string | null;
  published_at: string | null;
}
interface RuleSetSummary {
  id: string;
  latest_version: number;
  published_version: number | null;
}
interface RuleSetDetail {
  id: string;
  versions: RuleSetVersion[];
}
interface Deployment {
  slot: 'live' | 'shadow';
  rule_set_id: string | null;
  rule_set_version: number | null;
}
export interface Deployments {
  live: Deployment | null;
  shadow: Deployment | null;
}

export const deploymentsOf = () => get<Deployments>('/v1/risk/deployments');
const slotsOf = (d: Deployments, id: string, version: number): string[] =>
  (['live', 'shadow'] as const).filter((s) => d[s]?.rule_set_id === id && d[s]?.rule_set_version === version);

export default function Rules({ path, scopes }: ScreenProps) {
  const canAdmin = grants(scopes, 'risk:admin');
  if (path[0] === 'new') return canAdmin ? <RuleEditor /> : <p class="error">{t('not_allowed')}</p>;
  if (path[0] && path[1] === 'v' && path[2]) {
    const version = Number(path[2]);
    if (path[3] === 'edit') return canAdmin ? <RuleEditor id={path[0]} from={version} /> : <p class="error">{t('not_allowed')}</p>;
    return <VersionView id={path[0]} version={version} canAdmin={canAdmin} />;
  }
  if (path[0]) return <Versions id={path[0]} canAdmin={canAdmin} />;
  return <List canAdmin={canAdmin} />;
}

function List({ canAdmin }: { canAdmin: boolean }) {
  const data = useAsync(async () => {
    const [sets, deployments] = await Promise.all([get<{ data: RuleSetSummary[] }>('/v1/risk/rule-sets'), deploymentsOf()]);
    return { sets: sets.data, deployments };
  }, []);
  return (
    <>
      <h1>{t('rule_sets')}</h1>
      <Section
        title={t('rule_sets')}
        actions={
          canAdmin ? (
            <a class="button-link" href="#/rules/new" data-testid="new-rule-set">
              {t('new_rule_set')}
            </a>
          ) : undefined
        }
      >
        <Load state={data}>
          {({ sets, deployments }) => (
            <Table
              caption={t('rule_sets')}
              rows={sets}
              rowKey={(s) => s.id}
              columns={[
                { label: t('rule_set'), cell: (s) => <a href={`#/rules/${encodeURIComponent(s.id)}`} data-rule-set={s.id}>{s.id}</a> },
                { label: t('latest_version'), num: true, cell: (s) => <a href={`#/rules/${encodeURIComponent(s.id)}/v/${s.latest_version}`}>v{s.latest_version}</a> },
                { label: t('published_version'), num: true, cell: (s) => (s.published_version === null ? '—' : `v${s.published_version}`) },
                {
                  label: t('deployed'),
                  cell: (s) =>
                    (['live', 'shadow'] as const)
                      .filter((slot) => deployments[slot]?.rule_set_id === s.id)
                      .map((slot) => `${slot} v${deployments[slot]!.rule_set_version}`)
                      .join(', ') || '—',
                },
              ]}
            />
          )}
        </Load>
      </Section>
    </>
  );
}

function Versions({ id, canAdmin }: { id: string; canAdmin: boolean }) {
  const data = useAsync(async () => {
    const [detail, deployments] = await Promise.all([get<RuleSetDetail>(`/v1/risk/rule-sets/${encodeURIComponent(id)}`), deploymentsOf()]);
    return { detail, deployments };
  }, [id]);
  return (
    <>
      <p>
        <a href="#/rules">← {t('rule_sets')}</a>
      </p>
      <h1>
        {t('rule_set')} {id}
      </h1>
      <Section
        title={t('versions')}
        actions={
          canAdmin && data.data ? (
            <a class="button-link" href={`#/rules/${encodeURIComponent(id)}/v/${data.data.detail.versions[0]!.version}/edit`}>
              {t('edit_new_version')}
            </a>
          ) : undefined
        }
      >
        <Load state={data}>
          {({ detail, deployments }) => (
            <Table
              caption={t('versions')}
              rows={detail.versions}
              rowKey={(v) => String(v.version)}
              columns={[
                { label: t('version'), cell: (v) => <a href={`#/rules/${encodeURIComponent(id)}/v/${v.version}`} data-version={v.version}>v{v.version}</a> },
                { label: t('status'), cell: (v) => <Badge value={v.status} /> },
                { label: t('deployed'), cell: (v) => slotsOf(deployments, id, v.version).join(', ') || '—' },
                { label: t('rules_count'), num: true, cell: (v) => String(v.body.rules.length) },
                { label: t('comment'), cell: (v) => v.comment || '—' },
                { label: t('created'), cell: (v) => `${when(v.created_at)} · ${v.created_by}` },
              ]}
            />
          )}
        </Load>
      </Section>
    </>
  );
}

function VersionView({ id, version, canAdmin }: { id: string; version: number; canAdmin: boolean }) {
  const data = useAsync(async () => {
    const [detail, deployments] = await Promise.all([get<RuleSetDetail>(`/v1/risk/rule-sets/${encodeURIComponent(id)}`), deploymentsOf()]);
    const v = detail.versions.find((x) => x.version === version);
    if (!v) throw new ApiError({ status: 404, code: 'rule_set_not_found', detail: `no rule set ${id} v${version}` });
    return { v, deployments, latest: detail.versions[0]!.version };
  }, [id, version]);
  return (
    <>
      <p>
        <a href={`#/rules/${encodeURIComponent(id)}`}>← {t('versions')}</a>
      </p>
      <Load state={data}>
        {({ v, deployments, latest }) => (
          <>
            <h1>
              {id} v{v.version} <Badge value={v.status} />
            </h1>
            <Section
              title={t('rules')}
              actions={
                canAdmin ? (
                  <a class="button-link" href={`#/rules/${encodeURIComponent(id)}/v/${v.version}/edit`} data-testid="edit-version">
                    {t('edit_new_version')}
                  </a>
                ) : undefined
              }
            >
              <KeyValues
                items={[
                  [t('deployed'), <span data-testid="deployed-slots">{slotsOf(deployments, id, v.version).join(', ') || '—'}</span>],
                  [t('comment'), v.comment || '—'],
                  [t('created'), `${when(v.created_at)} · ${v.created_by}`],
                  [t('published'), v.published_at ? `${when(v.published_at)} · ${v.published_by ?? ''}` : '—'],
                  [t('latest_version'), `v${latest}`],
                ]}
              />
              <Table
                caption={t('rules')}
                rows={[...v.body.rules].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0))}
                rowKey={(r) => r.id}
                columns={[
                  { label: t('rule_id'), cell: (r) => <code>{r.id}</code> },
                  { label: t('rule_when'), cell: (r) => <code>{r.when}</code> },
                  { label: t('outcome'), cell: (r) => <Badge value={r.outcome} /> },
                  { label: t('priority'), num: true, cell: (r) => String(r.priority ?? 0) },
                  { label: t('rule_reason'), cell: (r) => r.reason ?? '—' },
                  { label: t('enabled'), cell: (r) => (r.enabled === false ? t('no') : t('yes')) },
                ]}
              />
            </Section>
            {canAdmin && <Publish id={id} version={v.version} deployments={deployments} onDone={data.reload} />}
            <Backtest id={id} version={v.version} canRun={canAdmin} deployments={deployments} />
          </>
        )}
      </Load>
    </>
  );
}

function Publish({ id, version, deployments, onDone }: { id: string; version: number; deployments: Deployments; onDone: () => void }) {
  const [slot, setSlot] = useState<'live' | 'shadow'>('live');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const running = slotsOf(deployments, id, version);
  const publish = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await post(`/v1/risk/rule-sets/${encodeURIComponent(id)}/versions/${version}/publish`, { slot });
      setDone(`${t('published_to')} ${slot}`);
      onDone();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('publish')}>
      <p class="muted">{t('publish_hint')}</p>
      <div class="decide">
        <Field label={t('slot')}>
          <select name="slot" value={slot} onChange={(e) => setSlot(e.currentTarget.value as 'live' | 'shadow')}>
            <option value="live">live</option>
            <option value="shadow">shadow</option>
          </select>
        </Field>
        <button type="button" class="primary" disabled={busy || running.includes(slot)} onClick={publish} data-testid="publish">
          {t('publish')}
        </button>
      </div>
      {done && (
        <p class="ok" role="status" data-testid="publish-status">
          ✓ {done}
        </p>
      )}
      {error && <ErrorBox error={error} />}
    </Section>
  );
}

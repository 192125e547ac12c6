/** Risk case queue and a case: its event, features, reasons, graph neighbourhood; approve or reject. */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, get, grants, post, qs } from '../api';
import { Chart, type ChartOption } from '../chart';
import { money, short, when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, ErrorBox, Field, KeyValues, Load, PagedTable, Section, Table, asApiError, useAsync, usePaged } from '../ui';

interface RiskCase {
  id: string;
  decision_id: string;
  status: 'open' | 'approved' | 'rejected';
  assignee: string | null;
  transfer_id: string | null;
  created_at: string;
  updated_at: string;
}
interface Fired {
  rule_id: string;
  outcome: string;
  reason: string;
}
interface CaseDetail {
  case: RiskCase;
  decision: {
    decision_id: string;
    outcome: string;
    score: number | null;
    reasons: Fired[];
    model_reasons: { feature: string; detail: string }[];
    rule_set: { id: string; version: number } | null;
    decided_at: string;
    event: Record<string, unknown>;
    context: Record<string, unknown>;
  };
  events: { at: string; actor: string; action: string; comment: string | null }[];
}
interface Neighbourhood {
  start: { kind: string; id: string; key: string };
  nodes: { key: string; kind: string; id: string; flagged_fraud: boolean; distance: number; degree: number; hub?: true }[];
  edges: { source: string; target: string; kind: string }[];
  truncated: boolean;
}

export default function Risk({ path, scopes }: ScreenProps) {
  if (path[0] === 'cases' && path[1]) return <CaseView id={path[1]} canAct={grants(scopes, 'risk:cases')} />;
  return <Queue />;
}

function Queue() {
  const [status, setStatus] = useState<'open' | 'approved' | 'rejected'>('open');
  const list = usePaged<RiskCase>((cursor) => `/v1/risk/cases${qs({ status, limit: 50, cursor })}`, [status]);
  return (
    <>
      <h1>{t('case_queue')}</h1>
      <Section
        title={t('case_queue')}
        actions={
          <Field label={t('status')}>
            <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as typeof status)}>
              <option value="open">open</option>
              <option value="approved">approved</option>
              <option value="rejected">rejected</option>
            </select>
          </Field>
        }
      >
        <PagedTable list={list}
            caption={t('case_queue')}
            rowKey={(c) => c.id}
            columns={[
              { label: t('case'), cell: (c) => <a href={`#/risk/cases/${c.id}`} data-case={c.id}>{short(c.id)}</a> },
              { label: t('status'), cell: (c) => <Badge value={c.status} /> },
              { label: t('held_transfer'), cell: (c) => (c.transfer_id ? <a href={`#/ledger/transfers/${c.transfer_id}`}>{short(c.transfer_id)}</a> : '—') },
              { label: 'assignee', cell: (c) => c.assignee ?? '—' },
              { label: t('created'), cell: (c) => when(c.created_at) },
            ]}
          />
      </Section>
    </>
  );
}

/** The context as flat key → value pairs (numbers, strings, booleans), for a features table. */
function flatten(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (value === null || value === undefined) return out;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out.push([prefix, value.map(String).join(', ')]);
  } else {
    out.push([prefix, typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(4) : String(value)]);
  }
  return out;
}

function CaseView({ id, canAct }: { id: string; canAct: boolean }) {
  const detail = useAsync(() => get<CaseDetail>(`/v1/risk/cases/${encodeURIComponent(id)}`), [id]);
  return (
    <>
      <p>
        <a href="#/risk">← {t('case_queue')}</a>
      </p>
      <Load state={detail}>
        {(d) => {
          const e = d.decision.event;
          const amount = typeof e.amount === 'string' ? money(e.amount, typeof e.currency === 'string' ? e.currency : undefined) : '—';
          return (
            <>
              <h1>
                {t('case')} {short(d.case.id)} <Badge value={d.case.status} />
              </h1>
              {canAct && d.case.status === 'open' && <Decide id={d.case.id} />}
              <div class="grid2">
                <Section title={t('event')}>
                  <KeyValues
                    items={[
                      [t('event'), String(e.type ?? '—')],
                      [t('customer'), String(e.customer_id ?? '—')],
                      [t('amount'), amount],
                      [t('counterparty'), String(e.counterparty_id ?? e.merchant_id ?? '—')],
                      ['device', String(e.device_id ?? '—')],
                      ['ip', String(e.ip ?? '—')],
                      ['channel', String(e.channel ?? '—')],
                      [t('when'), when(typeof e.occurred_at === 'string' ? e.occurred_at : undefined)],
                      [t('held_transfer'), d.case.transfer_id ? <a href={`#/ledger/transfers/${d.case.transfer_id}`}>{d.case.transfer_id}</a> : '—'],
                    ]}
                  />
                </Section>
                <Section title={t('reasons')}>
                  <KeyValues
                    items={[
                      [t('outcome'), <Badge value={d.decision.outcome} />],
                      [t('score'), d.decision.score === null ? '—' : d.decision.score.toFixed(3)],
                      ['rule set', d.decision.rule_set ? `${d.decision.rule_set.id} v${d.decision.rule_set.version}` : '—'],
                    ]}
                  />
                  <ul class="reasons" data-testid="case-reasons">
                    {d.decision.reasons.map((r) => (
                      <li key={r.rule_id}>
                        <Badge value={r.outcome} /> <strong>{r.rule_id}</strong>: {r.reason}
                      </li>
                    ))}
                  </ul>
                  {d.decision.model_reasons.length > 0 && (
                    <>
                      <h3>{t('model_reasons')}</h3>
                      <ul class="reasons">
                        {d.decision.model_reasons.map((r) => (
                          <li key={r.feature}>
                            <strong>{r.feature}</strong>: {r.detail}
                          </li>
                        ))}
                      </ul>
                    </>
                  )}
                </Section>
              </div>
              <Graph decisionId={d.decision.decision_id} />
              <Section title={t('features')}>
                <details>
                  <summary>
                    {t('features')} ({flatten(d.decision.context).length})
                  </summary>
                  <KeyValues items={flatten(d.decision.context)} />
                </details>
              </Section>
              <Section title={t('history')}>
                <Table
                  caption={t('history')}
                  rows={d.events}
                  rowKey={(x) => `${x.at}-${x.action}`}
                  columns={[
                    { label: t('when'), cell: (x) => when(x.at) },
                    { label: t('actor'), cell: (x) => x.actor },
                    { label: t('action'), cell: (x) => x.action },
                    { label: t('note'), cell: (x) => x.comment ?? '' },
                  ]}
                />
              </Section>
            </>
          );
        }}
      </Load>
    </>
  );
}

function Decide({ id }: { id: string }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (action: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    try {
      await post(`/v1/risk/cases/${id}/${action}`, comment.trim() ? { comment: comment.trim() } : {});
      location.hash = '#/risk';
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  };
  return (
    <div class="card decide">
      <Field label={t('comment')}>
        <textarea name="comment" rows={2} maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </Field>
      <div class="buttons">
        <button type="button" class="primary" disabled={busy} onClick={() => act('approve')}>
          {t('approve')}
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => act('reject')}>
          {t('reject')}
        </button>
      </div>
      {error && <ErrorBox error={error} />}
    </div>
  );
}

const KIND_COLOURS: Record<string, string> = { customer: '#1d4ed8', device: '#047857', ip: '#7c3aed', phone: '#b45309', account: '#be185d' };

function Graph({ decisionId }: { decisionId: string }) {
  const graph = useAsync(() => get<Neighbourhood>(`/v1/risk/decisions/${decisionId}/neighbourhood?depth=2&limit=120`), [decisionId]);
  return (
    <Section title={t('neighbourhood')}>
      {graph.error?.problem.code === 'graph_node_not_found' ? <p class="muted">{t('no_graph')}</p> : <Load state={graph}>{(g) => <GraphChart g={g} />}</Load>}
    </Section>
  );
}

function GraphChart({ g }: { g: Neighbourhood }) {
  const kinds = [...new Set(g.nodes.map((n) => n.kind))];
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { formatter: (p: { dataType: string; data: { name?: string; value?: string } }) => (p.dataType === 'node' ? `${p.data.name}\n${p.data.value ?? ''}` : '') },
      legend: { data: kinds, bottom: 0 },
      series: [
        {
          type: 'graph',
          layout: 'force',
          roam: true,
          draggable: true,
          force: { repulsion: 120, edgeLength: [40, 90], gravity: 0.08 },
          categories: kinds.map((k) => ({ name: k, itemStyle: { color: KIND_COLOURS[k] ?? '#475569' } })),
          label: { show: g.nodes.length <= 40, position: 'right', fontSize: 10 },
          data: g.nodes.map((n) => ({
            id: n.key,
            name: `${n.kind}: ${n.id}`,
            value: `distance ${n.distance}, degree ${n.degree}${n.hub ? ', hub' : ''}${n.flagged_fraud ? ', deny-listed' : ''}`,
            category: kinds.indexOf(n.kind),
            symbolSize: n.key === g.start.key ? 26 : Math.min(22, 8 + Math.sqrt(n.degree) * 2),
            itemStyle: n.flagged_fraud ? { color: '#b91c1c', borderColor: '#450a0a', borderWidth: 2 } : n.key === g.start.key ? { borderColor: '#111827', borderWidth: 3 } : undefined,
          })),
          links: g.edges.map((e) => ({ source: e.source, target: e.target })),
          lineStyle: { color: '#94a3b8', width: 1 },
        },
      ],
    }),
    [g],
  );
  const flagged = g.nodes.filter((n) => n.flagged_fraud).length;
  return (
    <>
      <Chart option={option} height={380} testId="risk-graph" label={`${t('neighbourhood')}: ${g.nodes.length} nodes, ${g.edges.length} edges, ${flagged} deny-listed${g.truncated ? ' (truncated)' : ''}`} />
      <p class="muted">
        {g.nodes.length} nodes · {g.edges.length} edges · {flagged} deny-listed{g.truncated ? ' · truncated' : ''}
      </p>
    </>
  );
}

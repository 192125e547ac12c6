/** Lending: applications with decisions and reasons; loan book by product and category, NPL, provisions, arrears ageing, vintages. */
import { useMemo, useState } from 'preact/hooks';
import { get, qs, rows, type Page } from '../api';
import { Chart, type ChartOption } from '../chart';
import { money, ratio, short, when } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Badge, KeyValues, Load, Section, Table, useAsync } from '../ui';

interface Application {
  id: string;
  customer_id: string;
  account_id: string;
  product: { id: string; version: number };
  amount: string;
  term: number;
  status: string;
  reasons: { code: string; kind: string; detail: string }[];
  decision: Record<string, unknown>;
  offer: { amount: string; term: number; annual_rate_percent: string; band: string } | null;
  loan_id: string | null;
  decision_ms: number;
  created_at: string;
}
interface Portfolio {
  as_of: string | null;
  currencies: {
    currency: string;
    loans: number;
    outstanding_principal: string;
    npl_outstanding_principal: string;
    npl_ratio: string | null;
    provisions_required: string;
    provisions_held: string;
    provisions_gap: string;
    coverage_ratio: string | null;
    by_category: { category: string; loans: number; outstanding_principal: string; provision_required: string; provision_held: string }[];
    by_product: { product_id: string; loans: number; outstanding_principal: string; npl_outstanding_principal: string; npl_ratio: string | null }[];
  }[];
}
interface Aging {
  as_of: string | null;
  currencies: { currency: string; buckets: { bucket: string; loans: number; outstanding_principal: string; overdue_principal: string; share_of_outstanding: string | null }[] }[];
}
interface Vintage {
  as_of: string | null;
  vintages: { currency: string; vintage_month: string; loans: number; principal: string; curve: { months_on_book: number; ever30_ratio: string | null }[] }[];
}

export default function Lending(_: ScreenProps) {
  return (
    <>
      <h1>{t('nav_lending')}</h1>
      <Applications />
      <Book />
      <Arrears />
      <Vintages />
    </>
  );
}

function Applications() {
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const list = useAsync(() => get<Page<Application>>(`/v1/loan-applications${qs({ status, limit: 50 })}`), [status]);
  return (
    <Section
      title={t('applications')}
      actions={
        <label class="field">
          <span>{t('status')}</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">—</option>
            {['approved', 'declined', 'referred', 'accepted', 'expired'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      }
    >
      <Load state={list}>
        {(page) => (
          <>
            <Table
              caption={t('applications')}
              rows={rows(page)}
              rowKey={(a) => a.id}
              columns={[
                {
                  label: t('id'),
                  cell: (a) => (
                    <button type="button" class="link" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? null : a.id)}>
                      {short(a.id)}
                    </button>
                  ),
                },
                { label: t('customer'), cell: (a) => a.customer_id },
                { label: t('product'), cell: (a) => `${a.product.id} v${a.product.version}` },
                { label: t('amount'), num: true, cell: (a) => money(a.amount) },
                { label: t('term'), num: true, cell: (a) => String(a.term) },
                { label: t('status'), cell: (a) => <Badge value={a.status} /> },
                { label: t('reasons'), cell: (a) => a.reasons.map((r) => r.code).join(', ') || '—' },
                { label: t('decision_ms'), num: true, cell: (a) => `${a.decision_ms.toFixed(1)} ms` },
                { label: t('created'), cell: (a) => when(a.created_at) },
              ]}
            />
            {rows(page)
              .filter((a) => a.id === open)
              .map((a) => (
                <div class="card inset" key={a.id}>
                  <h3>
                    {t('details')} {short(a.id)}
                  </h3>
                  <KeyValues
                    items={[
                      [t('account'), <a href={`#/accounts/${a.account_id}`}>{a.account_id}</a>],
                      [t('offer'), a.offer ? `${money(a.offer.amount)} × ${a.offer.term}, ${a.offer.annual_rate_percent}% (band ${a.offer.band})` : '—'],
                      ['loan', a.loan_id ?? '—'],
                    ]}
                  />
                  <ul class="reasons">
                    {a.reasons.map((r) => (
                      <li key={r.code}>
                        <Badge value={r.kind} /> <strong>{r.code}</strong>: {r.detail}
                      </li>
                    ))}
                  </ul>
                  <details>
                    <summary>decision</summary>
                    <pre>{JSON.stringify(a.decision, null, 2)}</pre>
                  </details>
                </div>
              ))}
          </>
        )}
      </Load>
    </Section>
  );
}

function Book() {
  const book = useAsync(() => get<Portfolio>('/v1/lending/portfolio'), []);
  return (
    <Section title={t('loan_book')}>
      <Load state={book}>
        {(p) => (
          <>
            <p class="muted">
              {t('as_of')}: {p.as_of ?? '—'}
            </p>
            {p.currencies.length === 0 && <p class="muted">{t('none')}</p>}
            {p.currencies.map((c) => (
              <div key={c.currency}>
                <KeyValues
                  items={[
                    [t('loans'), String(c.loans)],
                    [t('outstanding'), money(c.outstanding_principal, c.currency)],
                    [t('npl_ratio'), ratio(c.npl_ratio)],
                    [t('provisions_required'), money(c.provisions_required, c.currency)],
                    [t('provisions_held'), money(c.provisions_held, c.currency)],
                    [t('coverage'), ratio(c.coverage_ratio)],
                  ]}
                />
                <h3>{t('by_product')}</h3>
                <Table
                  caption={t('by_product')}
                  rows={c.by_product}
                  rowKey={(r) => r.product_id}
                  columns={[
                    { label: t('product'), cell: (r) => r.product_id },
                    { label: t('loans'), num: true, cell: (r) => String(r.loans) },
                    { label: t('outstanding'), num: true, cell: (r) => money(r.outstanding_principal, c.currency) },
                    { label: t('npl_ratio'), num: true, cell: (r) => ratio(r.npl_ratio) },
                  ]}
                />
                <h3>{t('by_category')}</h3>
                <Table
                  caption={t('by_category')}
                  rows={c.by_category}
                  rowKey={(r) => r.category}
                  columns={[
                    { label: 'category', cell: (r) => r.category },
                    { label: t('loans'), num: true, cell: (r) => String(r.loans) },
                    { label: t('outstanding'), num: true, cell: (r) => money(r.outstanding_principal, c.currency) },
                    { label: t('provisions_required'), num: true, cell: (r) => money(r.provision_required, c.currency) },
                    { label: t('provisions_held'), num: true, cell: (r) => money(r.provision_held, c.currency) },
                  ]}
                />
              </div>
            ))}
          </>
        )}
      </Load>
    </Section>
  );
}

const toUnits = (minor: string, scale = 2) => Number(minor) / 10 ** scale;

function Arrears() {
  const aging = useAsync(() => get<Aging>('/v1/lending/portfolio/aging'), []);
  return (
    <Section title={t('arrears')}>
      <Load state={aging}>
        {(a) => (
          <>
            {a.currencies.length === 0 && <p class="muted">{t('none')}</p>}
            {a.currencies.map((c) => (
              <div key={c.currency}>
                <Chart
                  label={`${t('arrears')} (${c.currency})`}
                  height={220}
                  option={{
                    tooltip: { trigger: 'axis' },
                    grid: { left: 70, right: 20, top: 20, bottom: 30 },
                    xAxis: { type: 'category', data: c.buckets.map((b) => b.bucket), name: t('bucket') },
                    yAxis: { type: 'value' },
                    series: [{ type: 'bar', name: t('outstanding'), data: c.buckets.map((b) => toUnits(b.outstanding_principal)), itemStyle: { color: '#b45309' } }],
                  }}
                />
                <Table
                  caption={t('arrears')}
                  rows={c.buckets}
                  rowKey={(b) => b.bucket}
                  columns={[
                    { label: t('bucket'), cell: (b) => b.bucket },
                    { label: t('loans'), num: true, cell: (b) => String(b.loans) },
                    { label: t('outstanding'), num: true, cell: (b) => money(b.outstanding_principal, c.currency) },
                    { label: 'overdue principal', num: true, cell: (b) => money(b.overdue_principal, c.currency) },
                    { label: 'share', num: true, cell: (b) => ratio(b.share_of_outstanding) },
                  ]}
                />
              </div>
            ))}
          </>
        )}
      </Load>
    </Section>
  );
}

function Vintages() {
  const v = useAsync(() => get<Vintage>('/v1/lending/portfolio/vintage'), []);
  const option = useMemo<ChartOption | null>(() => {
    if (!v.data || v.data.vintages.length === 0) return null;
    return {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 50, right: 20, top: 20, bottom: 50 },
      xAxis: { type: 'value', name: 'months on book', minInterval: 1 },
      yAxis: { type: 'value', axisLabel: { formatter: (x: number) => `${(x * 100).toFixed(1)}%` } },
      series: v.data.vintages.map((g) => ({ type: 'line', name: `${g.vintage_month} ${g.currency}`, data: g.curve.map((p) => [p.months_on_book, Number(p.ever30_ratio ?? 0)]) })),
    };
  }, [v.data]);
  return (
    <Section title={t('vintage')}>
      <Load state={v}>{() => (option ? <Chart option={option} label={t('vintage')} height={240} /> : <p class="muted">{t('none')}</p>)}</Load>
    </Section>
  );
}

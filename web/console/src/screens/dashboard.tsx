/** Data-operations dashboard: GET /v1/dataops/dashboard drawn as ECharts line and bar charts, with the period's totals. */
import { useMemo, useState } from 'preact/hooks';
import { get } from '../api';
import { Chart, type ChartOption } from '../chart';
import { money } from '../format';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Load, Section, useAsync } from '../ui';
import { normalise, type Dashboard as DashboardData, type DashboardJson } from './dashboard-data';

const PALETTE = ['#1d4ed8', '#047857', '#b45309', '#7c3aed', '#be123c', '#0f766e', '#4d7c0f', '#a16207', '#475569'];
const units = (minor: string | null, scale = 2) => (minor === null ? null : Number(minor) / 10 ** scale);
const grid = { left: 56, right: 56, top: 36, bottom: 56 };

export default function Dashboard(_: ScreenProps) {
  const [days, setDays] = useState(30);
  const data = useAsync(async () => normalise(await get<DashboardJson>(`/v1/dataops/dashboard?days=${days}`)), [days]);
  return (
    <>
      <h1>{t('dashboard')}</h1>
      <div class="toolbar">
        <label class="field">
          <span>{t('days')}</span>
          <select name="days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {[7, 14, 30, 60, 90].map((d) => (
              <option value={String(d)}>{d}</option>
            ))}
          </select>
        </label>
      </div>
      <Load state={data}>{(d) => <Charts d={d} />}</Load>
    </>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="figure" data-testid={testId}>
      <span class="figure-value">{value}</span>
      <span class="figure-label">{label}</span>
    </div>
  );
}

function Charts({ d }: { d: DashboardData }) {
  const dates = d.days.map((x) => x.date.slice(5));
  const o = useMemo(() => {
    const line = (name: string, values: (number | null)[], color: string): ChartOption => ({
      tooltip: { trigger: 'axis' },
      grid,
      xAxis: { type: 'category', data: dates },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'line', name, data: values, smooth: false, showSymbol: false, connectNulls: false, itemStyle: { color }, areaStyle: { opacity: 0.08 } }],
    });
    const byChannel: ChartOption = {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, type: 'scroll' },
      grid,
      xAxis: { type: 'category', data: dates },
      yAxis: [
        { type: 'value', name: d.currency },
        { type: 'value', name: '#', minInterval: 1 },
      ],
      series: [
        ...d.channels.map((c, i) => ({ type: 'bar', stack: 'volume', name: c, data: d.days.map((x) => units(x.volume_by_channel[c] ?? '0')), itemStyle: { color: PALETTE[i % PALETTE.length] } })),
        { type: 'line', name: '#', yAxisIndex: 1, data: d.days.map((x) => x.transactions), itemStyle: { color: '#111827' } },
      ],
    };
    const f = d.totals.funnel;
    const funnel: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid,
      xAxis: { type: 'category', data: ['submitted', 'approved', 'accepted', 'disbursed'] },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: [f.submitted, f.approved, f.accepted, f.disbursed], itemStyle: { color: '#0f766e' }, label: { show: true, position: 'top' } }],
    };
    const envelopes: ChartOption = {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid,
      xAxis: { type: 'category', data: dates },
      yAxis: [
        { type: 'value', minInterval: 1 },
        { type: 'value', name: d.currency },
      ],
      series: [
        { type: 'bar', name: 'created', data: d.days.map((x) => x.envelopes_created), itemStyle: { color: '#be123c' } },
        { type: 'bar', name: 'grabbed', data: d.days.map((x) => x.envelopes_grabbed), itemStyle: { color: '#f59e0b' } },
        { type: 'line', name: 'amount', yAxisIndex: 1, data: d.days.map((x) => units(x.envelopes_amount_minor)), itemStyle: { color: '#7c2d12' } },
      ],
    };
    return {
      active: line(t('active_customers'), d.days.map((x) => x.active_customers), PALETTE[0]!),
      byChannel,
      funnel,
      envelopes,
      cost: line(t('cost_per_tx'), d.days.map((x) => units(x.cost_per_transaction_minor)), PALETTE[6]!),
      fraud: line(t('fraud_loss'), d.days.map((x) => (x.fraud_loss_rate_bps === null ? null : Number(x.fraud_loss_rate_bps))), PALETTE[4]!),
    };
  }, [d]);
  const pct = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : '—');
  const f = d.totals.funnel;
  return (
    <>
      <div class="figures" aria-label="totals">
        <Figure label={`${t('active_customers')} (${d.days.length}d)`} value={d.totals.active_customers.toLocaleString()} testId="figure-active" />
        <Figure label="transactions" value={d.totals.transactions.toLocaleString()} testId="figure-transactions" />
        <Figure label="volume" value={money(d.totals.volume_minor, d.currency)} />
        <Figure label={`${t('loan_funnel')}: submitted → disbursed`} value={pct(f.disbursed, f.submitted)} />
        <Figure label={t('cost_per_tx')} value={money(d.totals.cost_per_transaction_minor, d.currency)} />
        <Figure label={t('fraud_loss')} value={d.totals.fraud_loss_rate_bps ?? '—'} />
        <Figure label={t('envelopes')} value={`${d.days.reduce((n, x) => n + x.envelopes_created, 0)} / ${d.days.reduce((n, x) => n + x.envelopes_grabbed, 0)}`} />
      </div>
      <div class="grid2">
        <Section title={t('active_customers')} id="dau">
          <Chart option={o.active} label={t('active_customers')} testId="chart-active" />
        </Section>
        <Section title={t('transactions_volume')} id="volume">
          <Chart option={o.byChannel} label={t('transactions_volume')} testId="chart-volume" />
        </Section>
        <Section title={t('loan_funnel')} id="funnel">
          <Chart option={o.funnel} label={`${t('loan_funnel')}: ${f.submitted} → ${f.approved} → ${f.accepted} → ${f.disbursed}`} testId="chart-funnel" />
          <p class="muted">
            approved {pct(f.approved, f.submitted)} · accepted {pct(f.accepted, f.approved)} · disbursed {pct(f.disbursed, f.accepted)}
          </p>
        </Section>
        <Section title={t('envelopes')} id="envelopes">
          <Chart option={o.envelopes} label={t('envelopes')} testId="chart-envelopes" />
        </Section>
        <Section title={t('cost_per_tx')} id="cost">
          <Chart option={o.cost} label={t('cost_per_tx')} testId="chart-cost" />
          {d.days.every((x) => x.cost_per_transaction_minor === null) && <p class="muted">{t('cost_not_configured')}</p>}
        </Section>
        <Section title={t('fraud_loss')} id="fraud">
          <Chart option={o.fraud} label={t('fraud_loss')} testId="chart-fraud" />
        </Section>
      </div>
    </>
  );
}

/**
 * Backtest a rule-set version over stored events of a period, as backtest jobs
 * (POST /v1/risk/backtests, polled until done), and chart what it would have decided:
 *  - by outcome: this version over the whole period, beside what runs live now;
 *  - changed decisions: per outcome, this version's count minus the live one's;
 *  - by day: one job per day of the period (at most 14), so each day's velocity
 *    features start from that day's events (the whole-period run is the one to trust
 *    for totals; the report has no daily breakdown of its own).
 * The server runs one job at a time and queues 8, so jobs are sent one after another.
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { Chart, type ChartOption } from '../chart';
import { t } from '../i18n';
import { ErrorBox, Field, KeyValues, Section, Table, asApiError } from '../ui';
import { OUTCOMES, type Deployments, type Outcome } from './rules';

interface Report {
  events: number;
  by_outcome: Record<Outcome, number>;
  alerts: number;
  days: number;
  alerts_per_day: number;
  labelled: number;
  catch_rate: number | null;
  false_positive_rate: number | null;
  precision: number | null;
  rules: { rule_id: string; fired: number; on_fraud: number }[];
}
interface Job {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'interrupted';
  progress: { done: number; total: number | null };
  report: Report | null;
  error: string | null;
}
interface Ref {
  id: string;
  version: number;
}
interface Result {
  candidate: Report;
  baseline: { ref: Ref; report: Report } | null;
  days: { date: string; report: Report }[];
  job_ids: string[];
}

const DAY_MS = 86_400_000;
const DAYS_MAX = 14;
const POLL_MS = 300;
const JOB_WAIT_MS = 10 * 60_000;
const COLOURS: Record<Outcome, string> = { allow: '#15803d', step_up: '#b45309', review: '#1d4ed8', block: '#b91c1c' };

/** A datetime-local value (local time, minutes) for a Date. */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function runJob(rule_set: Ref, from: Date, to: Date, onProgress: (j: Job) => void): Promise<Job> {
  let job = await post<Job>('/v1/risk/backtests', { rule_set, source: { kind: 'stored', from: from.toISOString(), to: to.toISOString() } });
  const deadline = Date.now() + JOB_WAIT_MS;
  while (job.status === 'queued' || job.status === 'running') {
    onProgress(job);
    if (Date.now() > deadline) throw new ApiError({ status: 0, code: 'timeout', detail: `backtest ${job.id} still ${job.status}` });
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await get<Job>(`/v1/risk/backtests/${job.id}`);
  }
  if (job.status !== 'done' || !job.report) throw new ApiError({ status: 0, code: `backtest_${job.status}`, detail: job.error ?? job.status });
  return job;
}

export function Backtest({ id, version, canRun, deployments }: { id: string; version: number; canRun: boolean; deployments: Deployments }) {
  const now = new Date();
  const [from, setFrom] = useState(localInput(new Date(now.getTime() - 7 * DAY_MS)));
  const [to, setTo] = useState(localInput(now));
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const live = deployments.live?.rule_set_id && deployments.live.rule_set_version ? { id: deployments.live.rule_set_id, version: deployments.live.rule_set_version } : null;
  const baselineRef = live && !(live.id === id && live.version === version) ? live : null;

  const run = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const start = new Date(from);
    const end = new Date(to);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
      setError(new ApiError({ status: 400, code: 'invalid_period', detail: t('period_invalid') }));
      return;
    }
    const dayStarts: Date[] = [];
    for (let d = start.getTime(); d < end.getTime() && dayStarts.length < DAYS_MAX; d += DAY_MS) dayStarts.push(new Date(d));
    const total = 1 + (baselineRef ? 1 : 0) + dayStarts.length;
    let n = 0;
    const step = (label: string) => (j: Job) => setStatus(`${t('running_job')} ${n + 1}/${total} (${label}): ${j.progress.done}${j.progress.total !== null ? ` / ${j.progress.total}` : ''} ${t('events')}`);
    const me = { id, version };
    const job_ids: string[] = [];
    try {
      const candidate = await runJob(me, start, end, step(`v${version}`));
      job_ids.push(candidate.id);
      n++;
      let baseline: Result['baseline'] = null;
      if (baselineRef) {
        const b = await runJob(baselineRef, start, end, step(`live ${baselineRef.id} v${baselineRef.version}`));
        job_ids.push(b.id);
        baseline = { ref: baselineRef, report: b.report! };
        n++;
      }
      const days: Result['days'] = [];
      for (const d of dayStarts) {
        const dayEnd = new Date(Math.min(d.getTime() + DAY_MS, end.getTime()));
        const j = await runJob(me, d, dayEnd, step(localInput(d).slice(0, 10)));
        job_ids.push(j.id);
        days.push({ date: localInput(d).slice(0, 10), report: j.report! });
        n++;
      }
      setResult({ candidate: candidate.report!, baseline, days, job_ids });
      setStatus(null);
    } catch (err) {
      setError(asApiError(err));
      setStatus(null);
    }
  };

  return (
    <Section title={t('backtest')} id="backtest">
      <p class="muted">{t('backtest_hint')}</p>
      {canRun ? (
        <form class="inline" onSubmit={run}>
          <Field label={t('from')}>
            <input type="datetime-local" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </Field>
          <Field label={t('to')}>
            <input type="datetime-local" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </Field>
          <button type="submit" class="primary" disabled={status !== null} data-testid="run-backtest">
            {t('run_backtest')}
          </button>
        </form>
      ) : (
        <p class="muted">{t('backtest_admin_only')}</p>
      )}
      {status && (
        <p class="muted" role="status" data-testid="backtest-status">
          {status}
        </p>
      )}
      {error && <ErrorBox error={error} />}
      {result && <Results result={result} version={version} />}
    </Section>
  );
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

function Results({ result, version }: { result: Result; version: number }) {
  const { candidate, baseline, days } = result;
  const me = `v${version}`;
  const liveName = baseline ? `live (${baseline.ref.id} v${baseline.ref.version})` : '';

  const byOutcome = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 56, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: OUTCOMES },
      yAxis: { type: 'value', name: t('events') },
      series: [
        ...(baseline ? [{ name: liveName, type: 'bar', data: OUTCOMES.map((o) => baseline.report.by_outcome[o]), itemStyle: { color: '#94a3b8' } }] : []),
        { name: me, type: 'bar', data: OUTCOMES.map((o) => ({ value: candidate.by_outcome[o], itemStyle: { color: COLOURS[o] } })) },
      ],
    }),
    [result],
  );
  const byDay = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 56, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: days.map((d) => d.date) },
      yAxis: { type: 'value', name: t('events') },
      series: OUTCOMES.map((o) => ({ name: o, type: 'bar', stack: 'day', data: days.map((d) => d.report.by_outcome[o]), itemStyle: { color: COLOURS[o] } })),
    }),
    [result],
  );
  const changed = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 56, right: 16, top: 16, bottom: 32 },
      xAxis: { type: 'category', data: OUTCOMES },
      yAxis: { type: 'value', name: t('change') },
      series: [
        {
          name: `${me} − live`,
          type: 'bar',
          data: OUTCOMES.map((o) => {
            const d = candidate.by_outcome[o] - (baseline?.report.by_outcome[o] ?? candidate.by_outcome[o]);
            return { value: d, itemStyle: { color: d >= 0 ? COLOURS[o] : '#64748b' } };
          }),
          label: { show: true, position: 'top' },
        },
      ],
    }),
    [result],
  );
  const rows = OUTCOMES.map((o) => ({ o, live: baseline?.report.by_outcome[o] ?? null, mine: candidate.by_outcome[o] }));
  const movedAtLeast = rows.reduce((n, r) => n + (r.live === null ? 0 : Math.max(0, r.mine - r.live)), 0);

  return (
    <div data-testid="backtest-results">
      <KeyValues
        items={[
          [t('events'), candidate.events.toLocaleString()],
          [t('alerts_per_day'), candidate.alerts_per_day.toFixed(1)],
          [t('catch_rate'), pct(candidate.catch_rate)],
          [t('precision'), pct(candidate.precision)],
          [t('false_positive_rate'), pct(candidate.false_positive_rate)],
          [t('changed_at_least'), baseline ? <span data-testid="changed-count">{movedAtLeast.toLocaleString()}</span> : t('no_live_baseline')],
        ]}
      />
      <div class="grid2">
        <div>
          <h3>{t('by_outcome')}</h3>
          <Chart option={byOutcome} label={`${t('by_outcome')}: ${rows.map((r) => `${r.o} ${r.mine}${r.live !== null ? ` (live ${r.live})` : ''}`).join(', ')}`} testId="chart-by-outcome" />
        </div>
        <div>
          <h3>{t('changed_decisions')}</h3>
          <Chart option={changed} label={`${t('changed_decisions')}: ${rows.map((r) => `${r.o} ${r.live === null ? 0 : r.mine - r.live}`).join(', ')}`} testId="chart-changed" />
        </div>
      </div>
      <h3>{t('by_day')}</h3>
      <Chart option={byDay} label={`${t('by_day')}: ${days.map((d) => `${d.date} ${d.report.events}`).join(', ')}`} testId="chart-by-day" />
      <p class="muted">{t('by_day_note')}</p>
      <Table
        caption={t('changed_decisions')}
        rows={rows}
        rowKey={(r) => r.o}
        columns={[
          { label: t('outcome'), cell: (r) => r.o },
          { label: liveName || 'live', num: true, cell: (r) => (r.live === null ? '—' : r.live.toLocaleString()) },
          { label: me, num: true, cell: (r) => r.mine.toLocaleString() },
          { label: t('change'), num: true, cell: (r) => (r.live === null ? '—' : `${r.mine - r.live > 0 ? '+' : ''}${(r.mine - r.live).toLocaleString()}`) },
        ]}
      />
      <h3>{t('rules_fired')}</h3>
      <Table
        caption={t('rules_fired')}
        rows={candidate.rules}
        rowKey={(r) => r.rule_id}
        columns={[
          { label: t('rule_id'), cell: (r) => <code>{r.rule_id}</code> },
          { label: t('fired'), num: true, cell: (r) => r.fired.toLocaleString() },
          { label: t('on_fraud'), num: true, cell: (r) => r.on_fraud.toLocaleString() },
        ]}
      />
    </div>
  );
}

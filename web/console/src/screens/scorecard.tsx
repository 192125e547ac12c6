/** The one-page digital transformation scorecard: five sections of live figures, each with its definition. */
import { get } from '../api';
import { t } from '../i18n';
import type { ScreenProps } from '../shell';
import { Load, useAsync } from '../ui';

interface Figure {
  key: string;
  label: string;
  value: string | number | null;
  unit: string;
  definition: string;
}
interface Scorecard {
  as_of?: string;
  generated_at?: string;
  period?: { from: string; to: string; days?: number };
  sections: { key: string; label?: string; title?: string; figures: Figure[] }[] | Record<string, { label?: string; title?: string; figures: Figure[] }>;
}

const SECTION_LABELS: Record<string, [string, string]> = {
  customer_journey: ['Customer journey', '客户旅程'],
  data_operations: ['Data operations', '数据运营'],
  risk_control: ['Risk control', '风险控制'],
  infrastructure: ['Infrastructure', '基础设施'],
  delivery_efficiency: ['Delivery efficiency', '交付效率'],
};

function show(f: Figure): string {
  if (f.value === null || f.value === undefined) return '—';
  const v = String(f.value);
  if (f.unit === 'bps') return `${(Number(v) / 100).toFixed(2)}%`;
  if (f.unit === 'percent' || f.unit === '%') return `${v}%`;
  if (f.unit === 'ratio') return `${(Number(v) * 100).toFixed(1)}%`;
  if (/^minor/.test(f.unit) || f.unit.endsWith('_minor')) return (Number(v) / 100).toLocaleString(undefined, { minimumFractionDigits: 2 });
  return f.unit && f.unit !== 'count' ? `${v} ${f.unit}` : v;
}

export default function ScorecardScreen(_: ScreenProps) {
  const card = useAsync(() => get<Scorecard>('/v1/dataops/scorecard'), []);
  const zh = document.documentElement.lang.startsWith('zh');
  return (
    <>
      <h1>{t('scorecard')}</h1>
      <Load state={card}>
        {(c) => {
          const sections = Array.isArray(c.sections) ? c.sections : Object.entries(c.sections).map(([key, s]) => ({ key, ...s }));
          return (
            <>
              {c.period && (
                <p class="muted">
                  {c.period.from.slice(0, 10)} → {c.period.to.slice(0, 10)}
                </p>
              )}
              <div class="scorecard">
                {sections.map((s) => (
                  <section class="card" aria-labelledby={`sc-${s.key}`} key={s.key} data-section={s.key}>
                    <h2 id={`sc-${s.key}`}>{SECTION_LABELS[s.key]?.[zh ? 1 : 0] ?? s.label ?? s.title ?? s.key}</h2>
                    <dl class="score-figures">
                      {s.figures.map((f) => (
                        <div class="score-figure" key={f.key} data-figure={f.key}>
                          <dt>{f.label}</dt>
                          <dd>
                            <span class="figure-value">{show(f)}</span>
                            <p class="definition">
                              <span class="sr-only">{t('definition')}: </span>
                              {f.definition}
                            </p>
                          </dd>
                        </div>
                      ))}
                    </dl>
                  </section>
                ))}
              </div>
            </>
          );
        }}
      </Load>
    </>
  );
}

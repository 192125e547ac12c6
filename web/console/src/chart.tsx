/** A chart box: lazily loads ECharts, draws `option`, follows resizes, and says what it shows. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { EChartsType } from './charts';
import { t } from './i18n';

let loading: Promise<typeof import('./charts')> | undefined;
const loadCharts = () => (loading ??= import('./charts'));

// The option is ECharts' own loose object; the screens build it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChartOption = Record<string, any>;

export function Chart({ option, label, height = 280, testId }: { option: ChartOption; label: string; height?: number; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let disposed = false;
    const onResize = () => chart.current?.resize();
    loadCharts().then((m) => {
      if (disposed || !box.current) return;
      chart.current = m.draw(box.current);
      setReady(true);
    });
    window.addEventListener('resize', onResize);
    return () => {
      disposed = true;
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (!ready || !chart.current) return;
    // Tooltips drawn on the canvas (richText): HTML tooltips carry inline styles the console's CSP refuses.
    const tooltip = option.tooltip ? { ...option.tooltip, renderMode: 'richText' } : undefined;
    chart.current.setOption({ animation: false, ...option, ...(tooltip ? { tooltip } : {}) }, true);
    box.current?.setAttribute('data-drawn', 'true');
  }, [ready, option]);

  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={label} style={{ height: `${height}px` }} data-testid={testId} data-chart="true" />
      <figcaption class={ready ? 'sr-only' : 'muted'}>{ready ? label : t('loading')}</figcaption>
    </figure>
  );
}

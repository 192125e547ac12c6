/**
 * ECharts, modular: only the chart types and components the console draws, with the canvas
 * renderer. Loaded lazily (dynamic import) by the screens that chart, never by sign-in.
 */
import { init, use, type EChartsType } from 'echarts/core';
import { BarChart, GraphChart, LineChart } from 'echarts/charts';
import { DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([LineChart, BarChart, GraphChart, GridComponent, TooltipComponent, LegendComponent, TitleComponent, DatasetComponent, CanvasRenderer]);

export type { EChartsType };

export function draw(el: HTMLElement): EChartsType {
  return init(el, undefined, { renderer: 'canvas' });
}

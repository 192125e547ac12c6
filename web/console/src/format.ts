/** Display helpers. Money stays a decimal string of minor units until it is shown. */
import { currentLang } from './i18n';

const SCALES: Record<string, number> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3 };

export function scaleOf(currency: string | undefined): number {
  return currency ? (SCALES[currency] ?? 2) : 2;
}

/** "123456" with scale 2 → "1,234.56" — string arithmetic, never a float. */
export function money(minor: string | null | undefined, currency?: string, scale = scaleOf(currency)): string {
  if (minor === null || minor === undefined || minor === '') return '—';
  const negative = minor.startsWith('-');
  const digits = (negative ? minor.slice(1) : minor).replace(/^0+(?=\d)/, '').padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '−' : ''}${whole}${frac}${currency ? ` ${currency}` : ''}`;
}

/** Minor-unit strings subtracted exactly (BigInt is fine in the browser). */
export function minus(a: string, b: string): string {
  return (BigInt(a) - BigInt(b)).toString();
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function ratio(value: string | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  return Number.isFinite(n) ? `${(n * 100).toFixed(digits)}%` : value;
}

export function short(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

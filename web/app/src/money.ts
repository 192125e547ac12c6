/** Money as decimal strings of minor units (the API's form), never floats. */

const SCALES: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, BHD: 3, KWD: 3, JOD: 3 };
export const scaleOf = (currency: string): number => SCALES[currency] ?? 2;

/** "123456", CNY → "1,234.56" (grouped, for display). */
export function formatMinor(minor: string, currency: string): string {
  const negative = minor.startsWith('-');
  const digits = (negative ? minor.slice(1) : minor).replace(/^0+(?=\d)/, '');
  const scale = scaleOf(currency);
  const padded = digits.padStart(scale + 1, '0');
  const whole = padded.slice(0, padded.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = scale > 0 ? '.' + padded.slice(padded.length - scale) : '';
  return `${negative ? '−' : ''}${whole}${fraction}`;
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥', HKD: 'HK$' };
export const formatMoney = (minor: string, currency: string): string => `${SYMBOLS[currency] ?? currency + ' '}${formatMinor(minor, currency)}`;

/** "12.5" → "1250" for a 2-decimal currency; undefined when the text is not a positive amount with at most `scale` decimals. */
export function parseAmount(text: string, currency: string): string | undefined {
  const scale = scaleOf(currency);
  const match = /^\s*(\d{1,15})(?:[.,](\d*))?\s*$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > scale) return undefined;
  const minor = (match[1]! + fraction.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  return minor === '0' ? undefined : minor;
}

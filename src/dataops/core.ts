/**
 * Data-operations figures: the day range of a dashboard, the channel of a transfer, and
 * the arithmetic on counts and minor units (integers only: rates are basis points as
 * strings, money is bigint minor units). No I/O: store.ts reads, this shapes.
 */
export const DASHBOARD_DAYS_DEFAULT = 30;
export const DASHBOARD_DAYS_MAX = 90;
const DAY_MS = 86_400_000;

/**
 * Channels a client may name in transfer metadata `channel`. Anything else (or nothing) is
 * decided by the transfer code: red-envelope codes 9100–9199 are `envelopes`, lending codes
 * 7200–7299 are `lending`, the rest `other`. A closed list keeps a typo or a hostile value
 * from becoming a channel of its own.
 */
export const NAMED_CHANNELS = ['app', 'web', 'mini_program', 'open_banking', 'branch', 'api'] as const;
export const DERIVED_CHANNELS = ['envelopes', 'lending', 'other'] as const;
export const CHANNELS = [...NAMED_CHANNELS, ...DERIVED_CHANNELS] as const;
export type Channel = (typeof CHANNELS)[number];
/** Channels where the customer served themselves on a bank front end. */
export const DIGITAL_CHANNELS: readonly Channel[] = ['app', 'web', 'mini_program'];

/**
 * Lending bookkeeping that is not a customer's transaction: fee charges, interest and
 * penalty accruals, provisions, write-offs. They move money between the bank's own
 * accounts and are left out of transaction counts and volume.
 */
export const BOOKKEEPING_CODES: readonly number[] = [7201, 7202, 7203, 7210, 7220];

export function channelOf(metadataChannel: unknown, code: number): Channel {
  if (typeof metadataChannel === 'string' && (NAMED_CHANNELS as readonly string[]).includes(metadataChannel)) return metadataChannel as Channel;
  if (code >= 9100 && code <= 9199) return 'envelopes';
  if (code >= 7200 && code <= 7299) return 'lending';
  return 'other';
}

export interface DayRange {
  /** UTC dates, oldest first, `days` of them, the last being today. */
  dates: string[];
  from: Date;
  /** Exclusive: the start of tomorrow (UTC). */
  to: Date;
}

export function dayRange(now: Date, days: number): DayRange {
  if (!Number.isInteger(days) || days < 1 || days > DASHBOARD_DAYS_MAX) throw new Error(`days must be 1..${DASHBOARD_DAYS_MAX}, got ${days}`);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = today - (days - 1) * DAY_MS;
  const dates = Array.from({ length: days }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10));
  return { dates, from: new Date(from), to: new Date(today + DAY_MS) };
}

/** numerator / denominator in basis points, rounded down; null when the denominator is 0. */
export function ratioBps(numerator: bigint, denominator: bigint): string | null {
  if (denominator <= 0n) return null;
  return ((numerator * 10_000n) / denominator).toString();
}

/** cost / count rounded half up to a whole minor unit; null when nothing was counted. */
export function perUnit(cost_minor: bigint, count: bigint): string | null {
  if (count <= 0n) return null;
  return ((cost_minor * 2n + count) / (count * 2n)).toString();
}

export interface DashboardRows {
  channels: { date: string; channel: string; transactions: bigint; volume_minor: bigint }[];
  active: Map<string, bigint>;
  active_total: bigint;
  funnel: { date: string; submitted: bigint; approved: bigint; accepted: bigint; disbursed: bigint }[];
  envelopes: { date: string; created: bigint; amount_minor: bigint; grabs: bigint; grabbed_minor: bigint }[];
  fraud: Map<string, bigint>;
}

interface Figures {
  transactions: bigint;
  volume_minor: bigint;
  by_channel: Map<string, { transactions: bigint; volume_minor: bigint }>;
  funnel: { submitted: bigint; approved: bigint; accepted: bigint; disbursed: bigint };
  envelopes: { created: bigint; amount_minor: bigint; grabs: bigint; grabbed_minor: bigint };
  fraud_loss_minor: bigint;
}

const emptyFigures = (): Figures => ({
  transactions: 0n,
  volume_minor: 0n,
  by_channel: new Map(),
  funnel: { submitted: 0n, approved: 0n, accepted: 0n, disbursed: 0n },
  envelopes: { created: 0n, amount_minor: 0n, grabs: 0n, grabbed_minor: 0n },
  fraud_loss_minor: 0n,
});

const addInto = <T extends Record<string, bigint>>(into: T, from: T) => {
  for (const k of Object.keys(into) as (keyof T)[]) (into[k] as bigint) += from[k] as bigint;
};

/** Counts are JSON numbers (row counts fit); money is a decimal string of minor units; rates are basis-point strings. */
function figuresJson(f: Figures, active_customers: bigint, cost_minor: bigint) {
  return {
    active_customers: Number(active_customers),
    transactions: Number(f.transactions),
    volume_minor: f.volume_minor.toString(),
    by_channel: CHANNELS.map((channel) => {
      const c = f.by_channel.get(channel) ?? { transactions: 0n, volume_minor: 0n };
      return { channel, transactions: Number(c.transactions), volume_minor: c.volume_minor.toString() };
    }),
    loan_funnel: {
      submitted: Number(f.funnel.submitted),
      approved: Number(f.funnel.approved),
      accepted: Number(f.funnel.accepted),
      disbursed: Number(f.funnel.disbursed),
    },
    envelopes: {
      created: Number(f.envelopes.created),
      amount_minor: f.envelopes.amount_minor.toString(),
      grabs: Number(f.envelopes.grabs),
      grabbed_minor: f.envelopes.grabbed_minor.toString(),
    },
    fraud_loss_minor: f.fraud_loss_minor.toString(),
    fraud_loss_rate_bps: ratioBps(f.fraud_loss_minor, f.volume_minor),
    cost_per_transaction_minor: cost_minor > 0n ? perUnit(cost_minor, f.transactions) : null,
  };
}

export type DashboardFigures = ReturnType<typeof figuresJson>;

/**
 * One entry per day of the range (zeros where nothing happened) and the totals over the
 * range. The running cost is per day, so the total divides `days × daily cost`.
 */
export function shapeDashboard(range: DayRange, rows: DashboardRows, daily_cost_minor: bigint) {
  const byDay = new Map(range.dates.map((d) => [d, emptyFigures()]));
  const total = emptyFigures();
  const on = (date: string) => byDay.get(date);
  for (const c of rows.channels) {
    const d = on(c.date);
    if (!d) continue;
    for (const f of [d, total]) {
      f.transactions += c.transactions;
      f.volume_minor += c.volume_minor;
      const ch = f.by_channel.get(c.channel) ?? { transactions: 0n, volume_minor: 0n };
      f.by_channel.set(c.channel, { transactions: ch.transactions + c.transactions, volume_minor: ch.volume_minor + c.volume_minor });
    }
  }
  for (const { date, ...counts } of rows.funnel) if (on(date)) for (const f of [on(date)!, total]) addInto(f.funnel, counts);
  for (const { date, ...counts } of rows.envelopes) if (on(date)) for (const f of [on(date)!, total]) addInto(f.envelopes, counts);
  for (const [date, amount] of rows.fraud) if (on(date)) for (const f of [on(date)!, total]) f.fraud_loss_minor += amount;
  return {
    series: range.dates.map((date) => ({ date, ...figuresJson(byDay.get(date)!, rows.active.get(date) ?? 0n, daily_cost_minor) })),
    totals: figuresJson(total, rows.active_total, daily_cost_minor * BigInt(range.dates.length)),
  };
}

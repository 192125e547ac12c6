/**
 * The dashboard's JSON (GET /v1/dataops/dashboard, src/dataops/http.ts) turned into what the
 * charts read: one row per day with a volume per channel; money stays minor-unit strings.
 */

export interface Funnel {
  submitted: number;
  approved: number;
  accepted: number;
  disbursed: number;
}
interface DayJson {
  active_customers: number;
  transactions: number;
  volume_minor: string;
  by_channel: { channel: string; transactions: number; volume_minor: string }[];
  loan_funnel: Funnel;
  envelopes: { created: number; amount_minor: string; grabs: number; grabbed_minor: string };
  fraud_loss_minor: string;
  fraud_loss_rate_bps: string | null;
  cost_per_transaction_minor: string | null;
}
export interface DashboardJson {
  days: number;
  from: string;
  to: string;
  currency: string;
  daily_running_cost_minor: string | null;
  series: (DayJson & { date: string })[];
  totals: DayJson;
}

export interface Day {
  date: string;
  active_customers: number;
  transactions: number;
  volume_minor: string;
  volume_by_channel: Record<string, string>;
  funnel: Funnel;
  envelopes_created: number;
  envelopes_grabbed: number;
  envelopes_amount_minor: string;
  fraud_loss_minor: string;
  fraud_loss_rate_bps: string | null;
  cost_per_transaction_minor: string | null;
}
export interface Dashboard {
  currency: string;
  channels: string[];
  days: Day[];
  totals: {
    active_customers: number;
    transactions: number;
    volume_minor: string;
    funnel: Funnel;
    cost_per_transaction_minor: string | null;
    fraud_loss_rate_bps: string | null;
  };
}

export function normalise(json: DashboardJson): Dashboard {
  const days: Day[] = json.series.map((d) => ({
    date: d.date,
    active_customers: d.active_customers,
    transactions: d.transactions,
    volume_minor: d.volume_minor,
    volume_by_channel: Object.fromEntries(d.by_channel.map((c) => [c.channel, c.volume_minor])),
    funnel: d.loan_funnel,
    envelopes_created: d.envelopes.created,
    envelopes_grabbed: d.envelopes.grabs,
    envelopes_amount_minor: d.envelopes.amount_minor,
    fraud_loss_minor: d.fraud_loss_minor,
    fraud_loss_rate_bps: d.fraud_loss_rate_bps,
    cost_per_transaction_minor: d.cost_per_transaction_minor,
  }));
  // Channels that moved money in the period, in the API's order.
  const used = new Set(json.series.flatMap((d) => d.by_channel.filter((c) => c.transactions > 0 || c.volume_minor !== '0').map((c) => c.channel)));
  const order = json.totals.by_channel.map((c) => c.channel);
  const t = json.totals;
  return {
    currency: json.currency,
    channels: order.filter((c) => used.has(c)),
    days,
    totals: {
      active_customers: t.active_customers,
      transactions: t.transactions,
      volume_minor: t.volume_minor,
      funnel: t.loan_funnel,
      cost_per_transaction_minor: t.cost_per_transaction_minor,
      fraud_loss_rate_bps: t.fraud_loss_rate_bps,
    },
  };
}

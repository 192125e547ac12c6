/**
 * The engine's velocity feature catalogue and the default rule set, as data. The catalogue
 * is what `velocity.<name>` can read in rules; the default rule set is what a new
 * installation starts with (seeded as `default` v1 and made live), written against the
 * fraud patterns of the simulator: account takeover, mule rings, card testing, salami.
 */
import type { RuleSetBody } from './core.js';
import type { VelocityFeature } from './velocity.js';

export const DEFAULT_VELOCITY_FEATURES: VelocityFeature[] = [
  { name: 'customer_count_1m', entity: 'customer', aggregate: 'count', window: '1m' },
  { name: 'customer_count_1h', entity: 'customer', aggregate: 'count', window: '1h' },
  { name: 'customer_payments_1h', entity: 'customer', aggregate: 'count', window: '1h', event_types: ['payment'] },
  { name: 'customer_payments_24h', entity: 'customer', aggregate: 'count', window: '24h', event_types: ['payment'] },
  { name: 'customer_payments_30d', entity: 'customer', aggregate: 'count', window: '30d', event_types: ['payment'] },
  { name: 'customer_amount_1h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '1h', event_types: ['payment'] },
  { name: 'customer_amount_24h', entity: 'customer', aggregate: 'sum', of: 'amount', window: '24h', event_types: ['payment'] },
  { name: 'customer_amount_30d', entity: 'customer', aggregate: 'sum', of: 'amount', window: '30d', event_types: ['payment'] },
  { name: 'customer_merchants_1h', entity: 'customer', aggregate: 'distinct', of: 'merchant', window: '1h', event_types: ['payment'] },
  { name: 'customer_counterparties_24h', entity: 'customer', aggregate: 'distinct', of: 'counterparty', window: '24h', event_types: ['payment'] },
  { name: 'customer_devices_24h', entity: 'customer', aggregate: 'distinct', of: 'device', window: '24h' },
  { name: 'customer_new_beneficiaries_24h', entity: 'customer', aggregate: 'count', window: '24h', event_types: ['beneficiary_added'] },
  { name: 'customer_logins_1h', entity: 'customer', aggregate: 'count', window: '1h', event_types: ['login'] },
  { name: 'device_customers_24h', entity: 'device', aggregate: 'distinct', of: 'customer', window: '24h' },
  { name: 'device_customers_30d', entity: 'device', aggregate: 'distinct', of: 'customer', window: '30d' },
  { name: 'device_payments_1m', entity: 'device', aggregate: 'count', window: '1m', event_types: ['payment'] },
  { name: 'device_count_30d', entity: 'device', aggregate: 'count', window: '30d' },
  { name: 'ip_customers_1h', entity: 'ip', aggregate: 'distinct', of: 'customer', window: '1h' },
  { name: 'counterparty_customers_24h', entity: 'counterparty', aggregate: 'distinct', of: 'customer', window: '24h', event_types: ['payment'] },
  { name: 'counterparty_amount_24h', entity: 'counterparty', aggregate: 'sum', of: 'amount', window: '24h', event_types: ['payment'] },
];

export const DEFAULT_RULE_SET_ID = 'default';

export const DEFAULT_RULE_SET: RuleSetBody = {
  rules: [
    { id: 'denied_customer', when: 'list.customer_denied', outcome: 'block', priority: 100, reason: 'customer is on the deny list' },
    { id: 'denied_device_or_ip', when: 'list.device_denied or list.ip_denied', outcome: 'block', priority: 90, reason: 'device or IP is on the deny list' },
    { id: 'denied_counterparty', when: "event.type == 'payment' and list.counterparty_denied", outcome: 'block', priority: 90, reason: 'payee is on the deny list' },
    {
      id: 'new_device_login',
      when: "event.type == 'login' and customer.new_device and not list.device_allowed",
      outcome: 'step_up',
      priority: 50,
      reason: 'login from a device this customer has not used',
    },
    {
      id: 'takeover_payout',
      when: "event.type == 'payment' and event.amount >= 200000 and velocity.customer_new_beneficiaries_24h >= 1 and velocity.device_count_30d <= 5",
      outcome: 'review',
      priority: 80,
      reason: 'large payment soon after a new beneficiary, from a device with almost no history',
    },
    {
      id: 'card_testing_burst',
      when: "event.type == 'payment' and (velocity.customer_merchants_1h >= 8 or velocity.device_payments_1m >= 6)",
      outcome: 'block',
      priority: 70,
      reason: 'burst of payments to many merchants (card testing)',
    },
    {
      id: 'shared_device_ring',
      when: "event.type == 'payment' and velocity.device_customers_30d >= 3 and graph.customers_sharing_device >= 2",
      outcome: 'review',
      priority: 60,
      reason: 'device shared by several customers (possible mule ring)',
    },
    {
      id: 'near_known_fraud',
      when: "event.type == 'payment' and graph.distance_to_fraud <= 2",
      outcome: 'review',
      priority: 65,
      reason: 'linked within two steps to a known fraudster',
    },
    {
      id: 'salami_velocity',
      when: "event.type == 'payment' and velocity.customer_payments_24h >= 15 and velocity.customer_counterparties_24h <= 2",
      outcome: 'review',
      priority: 40,
      reason: 'many small payments to the same payee (salami)',
    },
    { id: 'high_model_score', when: 'model.score >= 0.8', outcome: 'review', priority: 30, reason: 'the model scores this event as high risk' },
  ],
};

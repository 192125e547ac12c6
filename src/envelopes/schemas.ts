/**
 * TypeBox schemas for red envelopes (validation and the OpenAPI document) and the
 * translation between JSON and core types. Ranges with their own error codes (share
 * count, expiry) are checked by core, not here, so clients get the precise code.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AmountString, Uuid, parseAmount } from '../ledger/schemas.js';
import {
  AUDIENCE_CUSTOMERS_MAX,
  CUSTOMER_ID_PATTERN,
  EXPIRY_SECONDS_DEFAULT,
  EXPIRY_SECONDS_MAX,
  EXPIRY_SECONDS_MIN,
  GREETING_CHARS_MAX,
  SHARES_MAX,
  type Envelope,
  type EnvelopeInput,
  type Grab,
} from './core.js';
import type { CustomerGroup } from './store.js';

export const CustomerId = Type.String({ pattern: CUSTOMER_ID_PATTERN, description: "The bank's customer id (1–64 characters: letters, digits, . _ : @ -)" });
const Timestamp = Type.String({ format: 'date-time' });
const MinorUnits = Type.String({ pattern: '^[0-9]+$', description: 'Integer minor units as a decimal string' });

export const Audience = Type.Union(
  [
    Type.Object({ kind: Type.Literal('link') }, { additionalProperties: false, description: 'anyone who has the share link (must send its link_token)' }),
    Type.Object(
      // No maxItems here: the core's envelope_audience_too_large says it precisely (the body limit bounds the list).
      { kind: Type.Literal('customers'), customer_ids: Type.Array(CustomerId) },
      { additionalProperties: false, description: `only these customers (at most ${AUDIENCE_CUSTOMERS_MAX})` },
    ),
    Type.Object(
      { kind: Type.Literal('group'), group_id: CustomerId },
      { additionalProperties: false, description: "the members of a customer group, as they are when the envelope is created" },
    ),
  ],
  { description: 'Who may grab. Default: anyone with the link.' },
);

export const EnvelopeCreate = Type.Object(
  {
    id: Uuid,
    sender_customer_id: CustomerId,
    funding_account_id: Uuid,
    total_amount: AmountString,
    share_count: Type.Integer({ description: `1..${SHARES_MAX}` }),
    mode: Type.Union([Type.Literal('random'), Type.Literal('equal')], { description: 'random: lucky draw (double mean); equal: total / share_count each' }),
    greeting: Type.Optional(Type.String({ maxLength: GREETING_CHARS_MAX * 4, description: `At most ${GREETING_CHARS_MAX} characters` })),
    expires_in_seconds: Type.Optional(Type.Integer({ description: `${EXPIRY_SECONDS_MIN}..${EXPIRY_SECONDS_MAX}, default ${EXPIRY_SECONDS_DEFAULT} (24 h)` })),
    audience: Type.Optional(Audience),
  },
  { additionalProperties: false },
);
export type EnvelopeCreate = Static<typeof EnvelopeCreate>;

export const GrabCreate = Type.Object(
  {
    customer_id: CustomerId,
    account_id: { ...Uuid, description: "The recipient's account to credit (same currency as the envelope)" },
    link_token: Type.Optional(Type.String({ maxLength: 64, description: 'From the share link; required when the audience is `link`' })),
  },
  { additionalProperties: false },
);
export type GrabCreate = Static<typeof GrabCreate>;

export const GroupSave = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    member_customer_ids: Type.Array(CustomerId, { maxItems: AUDIENCE_CUSTOMERS_MAX }),
  },
  { additionalProperties: false },
);
export type GroupSave = Static<typeof GroupSave>;

export const EnvelopeView = Type.Object({
  id: Type.String(),
  sender_customer_id: Type.String(),
  funding_account_id: Type.String(),
  holding_account_id: Type.String({ description: "The envelope's own ledger account; its balance is remaining_amount" }),
  currency: Type.String(),
  total_amount: MinorUnits,
  share_count: Type.Integer(),
  mode: Type.String(),
  greeting: Type.String(),
  audience: Type.Object({ kind: Type.String(), group_id: Type.Optional(Type.String()) }),
  link_token: Type.String({ description: 'Secret for the share link; grabbers of a link envelope send it' }),
  status: Type.String({ description: 'open | empty (every share grabbed) | expired (remainder refunded)' }),
  claimed_count: Type.Integer(),
  claimed_amount: MinorUnits,
  remaining_shares: Type.Integer(),
  remaining_amount: MinorUnits,
  refunded_amount: MinorUnits,
  refund_error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last refund attempt failed (it is retried)' }),
  luckiest_position: Type.Union([Type.Integer(), Type.Null()], { description: 'Position of the largest share, once the envelope is finished' }),
  refund_retry_at: Type.Union([Timestamp, Type.Null()], { description: 'After a refused refund: when the sweep tries again' }),
  expires_at: Timestamp,
  created_at: Timestamp,
  finished_at: Type.Union([Timestamp, Type.Null()]),
});

export const GrabView = Type.Object({
  envelope_id: Type.String(),
  customer_id: Type.String(),
  account_id: Type.String(),
  amount: MinorUnits,
  transfer_id: Type.String({ description: 'The ledger transfer that paid the share' }),
  position: Type.Integer({ description: '1 for the first grab, 2 for the second, …' }),
  grabbed_at: Timestamp,
  luckiest: Type.Optional(Type.Boolean({ description: 'The largest share of a finished envelope' })),
});

export const GroupView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  member_customer_ids: Type.Array(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function toEnvelopeInput(body: EnvelopeCreate): EnvelopeInput {
  return {
    id: body.id.toLowerCase(),
    sender_customer_id: body.sender_customer_id,
    funding_account_id: body.funding_account_id.toLowerCase(),
    total_amount: parseAmount(body.total_amount, 'total_amount'),
    share_count: body.share_count,
    mode: body.mode,
    greeting: body.greeting ?? '',
    expires_in_seconds: body.expires_in_seconds ?? EXPIRY_SECONDS_DEFAULT,
    audience: body.audience ?? { kind: 'link' },
  };
}

export function envelopeJson(e: Envelope) {
  return {
    id: e.id,
    sender_customer_id: e.sender_customer_id,
    funding_account_id: e.funding_account_id,
    holding_account_id: e.holding_account_id,
    currency: e.currency,
    total_amount: e.total_amount.toString(),
    share_count: e.share_count,
    mode: e.mode,
    greeting: e.greeting,
    audience: e.audience_kind === 'group' ? { kind: 'group', group_id: e.audience_group_id! } : { kind: e.audience_kind },
    link_token: e.link_token,
    status: e.status,
    claimed_count: e.claimed_count,
    claimed_amount: e.claimed_amount.toString(),
    remaining_shares: e.remaining_shares,
    remaining_amount: e.remaining_amount.toString(),
    refunded_amount: e.refunded_amount.toString(),
    refund_error: e.refund_error,
    luckiest_position: e.luckiest_position,
    refund_retry_at: e.refund_retry_at?.toISOString() ?? null,
    expires_at: e.expires_at.toISOString(),
    created_at: e.created_at.toISOString(),
    finished_at: e.finished_at?.toISOString() ?? null,
  };
}

export function grabJson(g: Grab, luckiest_position?: number | null) {
  return {
    envelope_id: g.envelope_id,
    customer_id: g.customer_id,
    account_id: g.account_id,
    amount: g.amount.toString(),
    transfer_id: g.transfer_id,
    position: g.position,
    grabbed_at: g.grabbed_at.toISOString(),
    ...(luckiest_position === undefined ? {} : { luckiest: luckiest_position === g.position }),
  };
}

export function groupJson(g: CustomerGroup) {
  return { ...g, created_at: g.created_at.toISOString(), updated_at: g.updated_at.toISOString() };
}

/** The JSON shape of a consent, for partners (consents-http.ts) and staff (customers-http.ts). */
import { Type } from '@sinclair/typebox';
import type { Consent } from './consents.js';
import { MinorUnits, Timestamp } from './http-common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ConsentView = Type.Object({
  id: Type.String(),
  client_id: Type.String(),
  kind: Type.String({ description: 'account_access | payment_initiation | funds_confirmation' }),
  status: Type.String({ description: 'awaiting_authorisation | authorised | rejected | revoked | expired (past expires_at reads as expired)' }),
  permissions: Type.Array(Type.String()),
  customer_id: Nullable(Type.String()),
  account_ids: Type.Array(Type.String(), { description: 'The accounts the customer chose when authorising' }),
  payment: Nullable(
    Type.Object({
      currency: Type.String(),
      amount_limit_minor: MinorUnits,
      amount_used_minor: { ...MinorUnits, description: 'Paid out or reserved by payments in flight' },
      amount_remaining_minor: MinorUnits,
      per_payment_max_minor: Nullable(MinorUnits),
      creditor_account_id: Nullable(Type.String()),
    }),
  ),
  expires_at: Timestamp,
  created_at: Timestamp,
  authorised_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
  revoked_by: Nullable(Type.String()),
});

export function consentJson(c: Consent) {
  return {
    id: c.id,
    client_id: c.client_id,
    kind: c.kind,
    status: c.status,
    permissions: c.permissions,
    customer_id: c.customer_id,
    account_ids: c.account_ids,
    payment:
      c.kind === 'payment_initiation' && c.amount_limit_minor !== null
        ? {
            currency: c.currency!,
            amount_limit_minor: c.amount_limit_minor.toString(),
            amount_used_minor: c.amount_used_minor.toString(),
            amount_remaining_minor: (c.amount_limit_minor - c.amount_used_minor).toString(),
            per_payment_max_minor: c.per_payment_max_minor?.toString() ?? null,
            creditor_account_id: c.creditor_account_id,
          }
        : null,
    expires_at: c.expires_at.toISOString(),
    created_at: c.created_at.toISOString(),
    authorised_at: c.authorised_at?.toISOString() ?? null,
    revoked_at: c.revoked_at?.toISOString() ?? null,
    revoked_by: c.revoked_by,
  };
}

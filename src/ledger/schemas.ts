/**
 * TypeBox schemas for the ledger's HTTP surface (validation and the OpenAPI document),
 * and the translation between JSON shapes and core types. Amounts are decimal strings.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ProblemError } from '../server/problem.js';
import { currencyScale } from './currencies.js';
import { RESERVED_TRANSFER_CODES } from './reserved-codes.js';
import {
  AccountFlags,
  BATCH_SIZE_MAX,
  MAX_AMOUNT,
  METADATA_BYTES_MAX,
  TIMEOUT_SECONDS_MAX,
  TransferFlags,
  flagsToNames,
  namesToFlags,
  type Account,
  type AccountId,
  type AccountInput,
  type Transfer,
  type TransferId,
  type TransferInput,
} from './types.js';

export const Uuid = Type.String({ format: 'uuid', description: 'UUID (v7 preferred), chosen by the client' });
export const AmountString = Type.String({
  pattern: '^[1-9][0-9]{0,18}$',
  description: 'Positive integer in minor units as a decimal string, at most 9223372036854775807 ("1050" = 10.50 in a 2-decimal currency)',
  examples: ['1050'],
});
const BalanceString = Type.String({ pattern: '^-?[0-9]+$', description: 'Integer minor units as a decimal string' });
const Code = Type.Integer({ minimum: 1, maximum: 65535, description: 'Chart-of-accounts or transfer-type code' });
// TypeBox drops the key schema of a Record (patternProperties '^(.*)$'), so the key length goes in propertyNames.
const Metadata = Type.Union([Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32, propertyNames: { maxLength: 64 } }), Type.Null()], {
  description: `Free JSON object for the client, at most ${METADATA_BYTES_MAX} bytes serialised`,
});
const Timestamp = Type.String({ format: 'date-time' });

const flagObject = (names: readonly string[], descriptions: Record<string, string>) =>
  Type.Object(
    Object.fromEntries(names.map((n) => [n, Type.Optional(Type.Boolean({ description: descriptions[n] }))])),
    { additionalProperties: false },
  );

export const AccountFlagsSchema = flagObject(Object.keys(AccountFlags), {
  debits_must_not_exceed_credits: 'debits (pending + posted) may never exceed posted credits: a customer deposit account',
  credits_must_not_exceed_debits: 'credits (pending + posted) may never exceed posted debits',
  history: 'keep balances after every change, for balance-at-a-timestamp reads',
});

export const TransferFlagsSchema = flagObject(Object.keys(TransferFlags), {
  linked: 'this transfer and the next succeed or fail together',
  pending: 'reserve the amount; post or void it later',
  post_pending: 'post (full or partial amount) the pending transfer named by pending_id',
  void_pending: 'release the pending transfer named by pending_id',
  balancing_debit: 'move at most what the debit account has room for',
  balancing_credit: 'move at most what the credit account has room for',
});

export const AccountCreate = Type.Object(
  {
    id: Uuid,
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
    code: Code,
    flags: Type.Optional(AccountFlagsSchema),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type AccountCreate = Static<typeof AccountCreate>;

export const TransferCreate = Type.Object(
  {
    id: Uuid,
    debit_account_id: Type.Optional(Uuid),
    credit_account_id: Type.Optional(Uuid),
    amount: Type.Optional(AmountString),
    pending_id: Type.Optional(Uuid),
    code: Type.Optional(Code),
    flags: Type.Optional(TransferFlagsSchema),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: TIMEOUT_SECONDS_MAX, description: 'pending only: void itself after this many seconds' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type TransferCreate = Static<typeof TransferCreate>;

export const batchOf = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Union([item, Type.Array(item, { minItems: 1, maxItems: BATCH_SIZE_MAX })]);

export const AccountView = Type.Object({
  id: Uuid,
  currency: Type.String(),
  currency_scale: Type.Integer(),
  code: Type.Integer(),
  flags: AccountFlagsSchema,
  metadata: Metadata,
  status: Type.Union([Type.Literal('open'), Type.Literal('frozen'), Type.Literal('closed')]),
  debits_pending: BalanceString,
  debits_posted: BalanceString,
  credits_pending: BalanceString,
  credits_posted: BalanceString,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const TransferView = Type.Object({
  id: Uuid,
  debit_account_id: Uuid,
  credit_account_id: Uuid,
  amount: BalanceString,
  currency: Type.String(),
  pending_id: Type.Union([Uuid, Type.Null()]),
  code: Type.Integer(),
  flags: TransferFlagsSchema,
  timeout_seconds: Type.Union([Type.Integer(), Type.Null()]),
  expires_at: Type.Union([Timestamp, Type.Null()]),
  metadata: Metadata,
  created_at: Timestamp,
  pending_state: Type.Optional(Type.Union([Type.String({ description: 'pending | posted | voided | expired' }), Type.Null()])),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    request_id: Type.Optional(Type.String()),
  },
  { description: 'RFC 9457 problem details' },
);

// ---------------------------------------------------------------- JSON → core

function checkMetadata(metadata: Record<string, unknown> | null | undefined, field: string): void {
  if (metadata && Buffer.byteLength(JSON.stringify(metadata)) > METADATA_BYTES_MAX) {
    throw new ProblemError('invalid_request', `${field} exceeds ${METADATA_BYTES_MAX} bytes`, {
      errors: [{ field, message: `at most ${METADATA_BYTES_MAX} bytes serialised` }],
    });
  }
}

export function parseAmount(value: string, field: string): bigint {
  const amount = BigInt(value);
  if (amount > MAX_AMOUNT) {
    throw new ProblemError('invalid_request', `${field} exceeds ${MAX_AMOUNT}`, {
      errors: [{ field, message: `at most ${MAX_AMOUNT}` }],
    });
  }
  return amount;
}

/** `where` names the item in error messages (`body` or `body[3]`). */
export function toTransferInput(body: TransferCreate, where: string): TransferInput {
  checkMetadata(body.metadata, `${where}.metadata`);
  const flags = namesToFlags(TransferFlags, body.flags);
  // A post or void may name its pending transfer's code (which it inherits anyway); a new transfer may not take a reserved one.
  const reservedFor = body.code === undefined ? undefined : RESERVED_TRANSFER_CODES.get(body.code);
  if (reservedFor && !(flags & (TransferFlags.post_pending | TransferFlags.void_pending))) {
    throw new ProblemError('transfer_code_reserved', `${where}.code ${body.code} is reserved for ${reservedFor}, which make their transfers themselves`, { field: `${where}.code` });
  }
  return {
    id: body.id.toLowerCase() as TransferId,
    debit_account_id: body.debit_account_id?.toLowerCase() as AccountId | undefined,
    credit_account_id: body.credit_account_id?.toLowerCase() as AccountId | undefined,
    amount: body.amount === undefined ? undefined : parseAmount(body.amount, `${where}.amount`),
    pending_id: body.pending_id?.toLowerCase() as TransferId | undefined,
    code: body.code,
    flags,
    timeout_seconds: body.timeout_seconds,
    metadata: body.metadata,
  };
}

export function toAccountInput(body: AccountCreate, where: string): AccountInput {
  checkMetadata(body.metadata, `${where}.metadata`);
  return {
    id: body.id.toLowerCase() as AccountId,
    currency: body.currency,
    code: body.code,
    flags: namesToFlags(AccountFlags, body.flags),
    metadata: body.metadata ?? null,
  };
}

// ---------------------------------------------------------------- core → JSON

export function accountJson(a: Account) {
  return {
    id: a.id,
    currency: a.currency,
    currency_scale: currencyScale(a.currency) ?? 0,
    code: a.code,
    flags: flagsToNames(AccountFlags, a.flags),
    metadata: a.metadata,
    status: a.status,
    debits_pending: a.debits_pending.toString(),
    debits_posted: a.debits_posted.toString(),
    credits_pending: a.credits_pending.toString(),
    credits_posted: a.credits_posted.toString(),
    created_at: a.created_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
  };
}

export function transferJson(t: Transfer & { pending_state?: string | null }) {
  return {
    id: t.id,
    debit_account_id: t.debit_account_id,
    credit_account_id: t.credit_account_id,
    amount: t.amount.toString(),
    currency: t.currency,
    pending_id: t.pending_id,
    code: t.code,
    flags: flagsToNames(TransferFlags, t.flags),
    timeout_seconds: t.timeout_seconds,
    expires_at: t.expires_at?.toISOString() ?? null,
    metadata: t.metadata,
    created_at: t.created_at.toISOString(),
    ...(t.pending_state !== undefined ? { pending_state: t.pending_state } : {}),
  };
}

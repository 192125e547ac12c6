/**
 * Money a customer sends from the app: through the ledger (and so its risk gate), with the
 * client's uuid as the idempotency key. Every outcome is recorded in customer_transfers,
 * a risk refusal included (it leaves no ledger transfer), so a retry gets the same answer.
 */
import { createHash } from 'node:crypto';
import type { Ledger } from '../ledger/service.js';
import { TransferFlags, hasFlag, type AccountId, type TransferId } from '../ledger/types.js';
import { ProblemError } from '../server/problem.js';
import { ownedAccount } from './ownership.js';
import { resolveRecipient, type RecipientRef } from './recipients.js';
import * as store from './store.js';

/** The transfer code of a customer-to-customer payment (the seed's P2P code). */
export const P2P_TRANSFER_CODE = 2;

export interface TransferRequest {
  id: string;
  from_account_id: string;
  to: RecipientRef;
  amount_minor: bigint;
  currency: string;
  note?: string | undefined;
}

export interface Caller {
  customer_id: string;
  device_id: string;
  ip: string;
  /** Where the customer paid from, for the risk gate and the dashboards' channels: the app itself (default) or a mini-program inside it. */
  channel?: 'app' | 'mini_program';
}

export interface TransferView {
  id: string;
  status: 'completed' | 'pending' | 'rejected';
  reason_code?: string;
  amount_minor: string;
  currency: string;
  to_name: string;
  created_at: string;
}

export function transferView(t: store.CustomerTransferRow): TransferView {
  return {
    id: t.id,
    status: t.status,
    ...(t.reason_code ? { reason_code: t.reason_code } : {}),
    amount_minor: t.amount.toString(),
    currency: t.currency,
    to_name: t.to_name,
    created_at: t.created_at.toISOString(),
  };
}

function fingerprintOf(r: TransferRequest): string {
  const sent = { from: r.from_account_id.toLowerCase(), to: r.to, amount: r.amount_minor.toString(), currency: r.currency, note: r.note ?? null };
  return createHash('sha256').update(JSON.stringify(sent)).digest('base64url');
}

/** Ledger refusals as the app's errors; running out of money gets a plain name. */
function refusal(code: string, field: string | undefined): ProblemError {
  if (code === 'exceeds_credits') return new ProblemError('insufficient_funds', 'the account does not have enough available money for this transfer; nothing was moved', { field: 'amount_minor' });
  if (code === 'exists_with_different_fields') return new ProblemError('exists_with_different_fields', 'this transfer id was used for a different transfer', { field: 'id' });
  return new ProblemError(code, undefined, field ? { field } : {});
}

export async function sendMoney(ledger: Ledger, caller: Caller, r: TransferRequest): Promise<{ view: TransferView; replayed: boolean }> {
  const fingerprint = fingerprintOf(r);
  const earlier = await store.findCustomerTransfer(ledger.db, r.id);
  if (earlier) {
    if (earlier.customer_id !== caller.customer_id || earlier.fingerprint !== fingerprint) throw refusal('exists_with_different_fields', 'id');
    return { view: transferView(earlier), replayed: true };
  }
  const from = await ownedAccount(ledger, caller.customer_id, r.from_account_id, 'from_account_id');
  if (from.currency !== r.currency) throw new ProblemError('currency_mismatch', `the account holds ${from.currency}`, { field: 'currency' });
  const to = await resolveRecipient(ledger, caller.customer_id, r.to, r.currency);
  if (to.account_id === from.id) throw new ProblemError('accounts_must_be_different', 'you cannot send money to the account it comes from', { field: 'to' });

  const [result] = await ledger.submitTransfers([
    {
      id: r.id as TransferId,
      debit_account_id: from.id,
      credit_account_id: to.account_id as AccountId,
      amount: r.amount_minor,
      code: P2P_TRANSFER_CODE,
      flags: 0,
      // channel/customer/device/ip: what the risk gate and the dashboards read.
      metadata: { channel: caller.channel ?? 'app', customer_id: caller.customer_id, device_id: caller.device_id, ip: caller.ip, ...(r.note ? { memo: r.note } : {}) },
    },
  ]);
  if (!result) throw new Error('the ledger returned no result');
  let status: store.CustomerTransferRow['status'];
  let reason_code: string | null = null;
  if (result.ok) status = hasFlag(result.transfer.flags, TransferFlags.pending) ? 'pending' : 'completed';
  else if (result.code === 'risk_blocked') [status, reason_code] = ['rejected', 'risk_blocked'];
  else throw refusal(result.code, result.field);

  const row: store.CustomerTransferRow = {
    id: r.id,
    customer_id: caller.customer_id,
    from_account_id: from.id,
    to_account_id: to.account_id,
    amount: r.amount_minor,
    currency: r.currency,
    note: r.note ?? null,
    to_name: to.name,
    status,
    reason_code,
    fingerprint,
    created_at: result.ok ? result.transfer.created_at : ledger.clock.now(),
  };
  if (!(await store.insertCustomerTransfer(ledger.db, row))) {
    const winner = (await store.findCustomerTransfer(ledger.db, r.id))!;
    if (winner.fingerprint !== fingerprint || winner.customer_id !== caller.customer_id) throw refusal('exists_with_different_fields', 'id');
    return { view: transferView(winner), replayed: true };
  }
  return { view: transferView(row), replayed: result.ok && result.replayed };
}

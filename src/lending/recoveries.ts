/**
 * Recoveries: money that comes back on a loan after it was written off (a late payment by
 * the borrower, a guarantor, the sale of collateral, a collection agency). The loan stays
 * written off — its receivables were cleared and are not reopened — and the money is
 * income of the period it arrives in: debit the paying account, credit the bank's
 * recovery income (7103). A loan can recover at most what its write-off cleared
 * (principal, interest, penalties and fees); `loans.recovered` sums what came back.
 *
 * Like every loan operation it is one JoinedWork in the ledger writer's transaction, under
 * COB's lock key, by the client's operation id (a repeat with the same body returns the
 * first result; with another body it is a conflict).
 */
import type { Queryable } from '../db/port.js';
import type { JoinedWork } from '../ledger/writer.js';
import type { AccountId, TransferId, TransferInput, TransferResult } from '../ledger/types.js';
import { bankAccount, LendingTransferCodes, postingId } from './accounts.js';
import { LOAN_ROWS_LOCK_KEY } from './cob-chunk.js';
import type { BusinessDate } from './dates.js';
import { jsonSafe, ledgerRefusal, type OperationOutcome } from './servicing.js';
import * as store from './store.js';

export interface RecoveryRequest {
  loan_id: string;
  operation_id: string;
  fingerprint: string;
  today: BusinessDate;
  amount_minor: bigint;
  /** Where the money comes from: the customer's account unless another is named. */
  from_account_id: string | undefined;
}

export type RecoveryCheck = { ok: true; remaining_after_minor: bigint } | { ok: false; code: 'recovery_exceeds_written_off' | 'amount_must_be_positive'; detail: string };

/** Pure: may `amount` be recovered on a loan whose write-off cleared `written_off` and which has recovered `recovered`? */
export function checkRecovery(written_off: bigint, recovered: bigint, amount: bigint): RecoveryCheck {
  if (amount <= 0n) return { ok: false, code: 'amount_must_be_positive', detail: 'a recovery is a positive amount' };
  const remaining = written_off - recovered;
  if (amount > remaining) return { ok: false, code: 'recovery_exceeds_written_off', detail: `the write-off cleared ${written_off} and ${recovered} has been recovered: at most ${remaining} more` };
  return { ok: true, remaining_after_minor: remaining - amount };
}

type Planned =
  | { kind: 'answer'; outcome: OperationOutcome }
  | { kind: 'post'; loan: store.LoanRecord; transfer: TransferInput; recovered_after: bigint; remaining_after: bigint; from_account_id: string };

export function recoveryWork(request: RecoveryRequest): JoinedWork<OperationOutcome> {
  let planned: Planned = { kind: 'answer', outcome: { ok: false, code: 'loan_not_found', detail: 'not planned' } };
  return {
    lock_key: LOAN_ROWS_LOCK_KEY,
    transfers_max: 1,
    async plan(tx) {
      planned = await plan(tx, request);
      return planned.kind === 'post' ? [planned.transfer] : [];
    },
    async settle(tx, results, now) {
      if (planned.kind === 'answer') return planned.outcome;
      return settle(tx, request, planned, results, now);
    },
  };
}

async function plan(tx: Queryable, request: RecoveryRequest): Promise<Planned> {
  const answer = (outcome: OperationOutcome): Planned => ({ kind: 'answer', outcome });
  const earlier = await store.getOperation(tx, request.operation_id);
  if (earlier) {
    if (earlier.loan_id === request.loan_id && earlier.fingerprint === request.fingerprint) return answer({ ok: true, operation: earlier, replayed: true });
    return answer({ ok: false, code: 'exists_with_different_fields', field: 'id', detail: `operation ${request.operation_id} was used with another request` });
  }
  const loan = await store.lockLoan(tx, request.loan_id);
  if (!loan) return answer({ ok: false, code: 'loan_not_found', detail: `no loan ${request.loan_id}` });
  const standing = loan.status === 'written_off' ? await store.writeOffStanding(tx, loan.id) : undefined;
  if (!standing) return answer({ ok: false, code: 'loan_not_written_off', detail: `the loan is ${loan.status}: recoveries are for written-off loans (repay an active loan instead)` });
  const checked = checkRecovery(standing.written_off, standing.recovered, request.amount_minor);
  if (!checked.ok) return answer({ ok: false, code: checked.code, field: 'amount', detail: checked.detail });
  const from_account_id = request.from_account_id ?? loan.account_id;
  const transfer: TransferInput = {
    id: postingId(loan.id, 'recovery', request.operation_id) as TransferId,
    debit_account_id: from_account_id as AccountId,
    credit_account_id: bankAccount('recovery_income', loan.currency) as AccountId,
    amount: request.amount_minor,
    code: LendingTransferCodes.recovery,
    flags: 0,
    metadata: { loan_id: loan.id, operation_id: request.operation_id, event: 'recovery' },
  };
  return { kind: 'post', loan, transfer, recovered_after: standing.recovered + request.amount_minor, remaining_after: checked.remaining_after_minor, from_account_id };
}

async function settle(tx: Queryable, request: RecoveryRequest, planned: Extract<Planned, { kind: 'post' }>, results: readonly TransferResult[], now: Date): Promise<OperationOutcome> {
  const refused = ledgerRefusal(results, 'recovery');
  if (refused) return { ...refused, field: refused.field === 'account_id' ? 'from_account_id' : refused.field };
  const operation = store.uncomponentedOperation({
    id: request.operation_id,
    loan_id: planned.loan.id,
    kind: 'recovery',
    fingerprint: request.fingerprint,
    business_date: request.today,
    amount: request.amount_minor,
    result: jsonSafe({ recovered_total_minor: planned.recovered_after, recoverable_remaining_minor: planned.remaining_after, from_account_id: planned.from_account_id, transfer_ids: [planned.transfer.id] }),
    created_at: now,
  });
  await store.addRecovered(tx, planned.loan.id, request.amount_minor, now);
  await store.insertOperation(tx, operation);
  return { ok: true, operation, replayed: false };
}

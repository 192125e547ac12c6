/**
 * SQL for the list of pending transfers (holds) still open: the pending_transfers rows in
 * state 'pending' joined to their transfer, oldest first by the transfer's seq (keyset).
 */
import type { Queryable } from '../db/port.js';
import { transferFromRow } from './store.js';
import type { Transfer } from './types.js';

export interface PendingPageQuery {
  limit: number;
  /** Exclusive lower bound on the transfer's `seq`. */
  after_seq?: bigint | undefined;
}

/** Open holds (state 'pending'), by seq ascending: the oldest hold first. */
export async function listOpenPendingTransfers(db: Queryable, q: PendingPageQuery): Promise<Transfer[]> {
  const { rows } = await db.query(
    `SELECT t.seq, t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency, t.pending_id, t.code, t.flags,
            t.timeout_seconds, t.expires_at, t.metadata, t.fingerprint, t.created_at
     FROM pending_transfers p JOIN transfers t ON t.id = p.id
     WHERE p.state = 'pending' AND ($1::int8 IS NULL OR t.seq > $1)
     ORDER BY t.seq LIMIT $2`,
    [q.after_seq ?? null, q.limit],
  );
  return rows.map(transferFromRow);
}

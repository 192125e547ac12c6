/**
 * What every COB step shares: a chunk is a keyset page of loans (by id) processed in one
 * transaction, and a step is chunks until the page comes back empty. Steps that post
 * transfers run each chunk as a JoinedWork inside the ledger writer's transaction, so the
 * transfers, the loans' new state and the chunk's progress commit together.
 */
import type { Db, Queryable } from '../db/port.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { AccountId, TransferId, TransferInput, TransferResult } from '../ledger/types.js';
import type { CobStep } from './cob-core.js';
import { recordChunk } from './cob-store.js';
import type { BusinessDate } from './dates.js';

/** Every JoinedWork that locks loan rows uses this key, so two never share a writer batch. */
export const LOAN_ROWS_LOCK_KEY = 'loan-rows';

export const FIRST_CURSOR = '00000000-0000-0000-0000-000000000000';

export interface ChunkResult {
  /** The last loan id of the page; null when the page was empty (the step is done). */
  cursor: string | null;
  loans: number;
  transfers: number;
}

export interface StepContext {
  db: Db;
  writer: LedgerWriter;
  date: BusinessDate;
  owner: string;
  /** Loans per chunk (the collection step divides by its transfers per loan). */
  chunk_loans: number;
  /** Seconds the step had already spent (earlier attempts) plus this attempt's, at any moment. */
  seconds(): number;
  /** The clock, for rows' updated_at in steps that write outside the ledger writer (which passes its own). */
  now(): Date;
}

export interface StepRunner {
  step: CobStep;
  /** Loans in the step's scope that it has not done yet for the date. */
  count(db: Queryable): Promise<number>;
  chunk(cursor: string): Promise<ChunkResult>;
}

/** Records a chunk's progress (renewing the lease) in its own transaction and returns its result. */
export async function finishChunk(tx: Queryable, ctx: StepContext, step: CobStep, cursor: string | null, loans: number, transfers: number): Promise<ChunkResult> {
  if (cursor !== null) await recordChunk(tx, ctx.date, ctx.owner, step, loans, transfers, ctx.seconds());
  return { cursor, loans, transfers };
}

/**
 * The results of a chunk's transfers, checked: a refusal here is a bug or a missing
 * account (COB's own postings never hit a limit), so the chunk rolls back loudly.
 */
export function requirePosted(results: readonly TransferResult[], inputs: readonly TransferInput[], what: string): void {
  results.forEach((result, i) => {
    if (!result.ok) throw new Error(`COB ${what}: the ledger refused transfer ${inputs[i]!.id} (${result.code}${result.field ? `, ${result.field}` : ''})`);
    if (result.replayed) throw new Error(`COB ${what}: transfer ${inputs[i]!.id} already existed, yet its loan was not marked done`);
  });
}

export const asAccount = (id: string): AccountId => id as AccountId;
export const asTransfer = (id: string): TransferId => id as TransferId;

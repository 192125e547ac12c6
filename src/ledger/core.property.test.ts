/**
 * Property-based tests of the ledger core. fast-check draws scenarios: a sequence of
 * writer batches (several requests each, transfers and expiry sweeps), a clock that moves
 * between them, occasional freezes and closures, and replays of earlier batches. The
 * scenarios run through applyTransfers / expirePendings on one persistent view, the way
 * the writer drives the core, and every batch is checked against the ledger's invariants
 * and against a deliberately naive reference model written below.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTransfers, emptyEffects, expirePendings, newAccount, type BatchEffects, type LedgerView } from './core.js';
import {
  AccountFlags,
  MAX_AMOUNT,
  TRANSFER_ERROR_CODES,
  TransferFlags,
  hasFlag,
  type AccountId,
  type AccountStatus,
  type PendingState,
  type Transfer,
  type TransferErrorCode,
  type TransferId,
  type TransferInput,
  type TransferResult,
} from './types.js';

// A fixed seed keeps CI reproducible; set LEDGER_FC_SEED to explore other corners locally.
const FC_OPTIONS = { numRuns: 200, seed: Number(process.env.LEDGER_FC_SEED ?? 20260101) };
const PROPERTY_TIMEOUT_MS = 60_000; // only reached while shrinking a failure
const T0 = new Date('2026-01-01T00:00:00.000Z');

const { linked: LINKED, pending: PENDING, post_pending: POST, void_pending: VOID, balancing_debit: BAL_DEBIT, balancing_credit: BAL_CREDIT } =
  TransferFlags;

/** Small on purpose: collisions are what exercise limits, replays and pending resolution. */
const ACCOUNTS: ReadonlyArray<{ id: string; currency: string; flags: number }> = [
  { id: 'a', currency: 'USD', flags: 0 },
  { id: 'b', currency: 'USD', flags: AccountFlags.debits_must_not_exceed_credits | AccountFlags.history },
  { id: 'c', currency: 'USD', flags: AccountFlags.credits_must_not_exceed_debits },
  { id: 'd', currency: 'USD', flags: AccountFlags.history },
  { id: 'e', currency: 'EUR', flags: 0 },
  { id: 'f', currency: 'EUR', flags: AccountFlags.debits_must_not_exceed_credits },
];
const MISSING_ACCOUNT = 'zz';
const ID_POOL = Array.from({ length: 40 }, (_, i) => `t${i}`);

// ---------------------------------------------------------------------------------------
// Scenario generators
// ---------------------------------------------------------------------------------------

type LedgerRequest = { kind: 'transfers'; inputs: TransferInput[] } | { kind: 'expire'; ids: string[] };

/**
 * A transfer as drawn, before the scenario runs. Random ids rarely name a pending
 * transfer, and random bodies rarely repeat one exactly, so two kinds of draft are
 * resolved when the step is planned, against what the scenario has sent so far.
 */
type Draft =
  | { kind: 'input'; input: TransferInput }
  /** Resend an earlier input, verbatim (a replay, or a retry) or with one field changed (a conflict). */
  | { kind: 'echo'; pick: number; change: Partial<TransferInput> }
  /** A post or void aimed at a pending transfer sent earlier (it may since be resolved or expired). */
  | { kind: 'resolve'; pick: number; input: TransferInput }
  /** A transfer sized to bring one side of an account exactly to its limit or to MAX_AMOUNT, or one past. */
  | { kind: 'fill'; input: TransferInput; side: 'debit' | 'credit'; goal: 'limit' | 'overflow'; past: bigint };

type DraftRequest = { kind: 'transfers'; drafts: Draft[] } | { kind: 'expire'; ids: string[] };

type Step =
  | { kind: 'batch'; advance_ms: number; statuses: Array<[string, AccountStatus]>; requests: DraftRequest[] }
  | { kind: 'replay'; advance_ms: number; pick: number };

const weighted = <T>(...pairs: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));
/** Usually present; absent now and then to reach the "…_required" codes. */
const mostly = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => weighted<T | undefined>([1, fc.constant(undefined)], [40, arb]);
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => weighted<T | undefined>([12, fc.constant(undefined)], [1, arb]);
const chance = (oneIn: number): fc.Arbitrary<boolean> => weighted([oneIn - 1, fc.constant(false)], [1, fc.constant(true)]);

const accountArb = weighted([15, fc.constantFrom(...ACCOUNTS.map((a) => a.id))], [1, fc.constant(MISSING_ACCOUNT)]);
const currencyGroups = ['USD', 'USD', 'EUR'].map((c) => ACCOUNTS.filter((a) => a.currency === c).map((a) => a.id));
/** Two distinct accounts of one currency, or now and then any two (same, mixed currency, missing). */
const pairArb: fc.Arbitrary<[string, string]> = weighted(
  [
    12,
    fc.constantFrom(...currencyGroups).chain((group) => fc.shuffledSubarray(group, { minLength: 2, maxLength: 2 })) as fc.Arbitrary<
      [string, string]
    >,
  ],
  [1, fc.tuple(accountArb, accountArb)],
);
const idArb = fc.constantFrom(...ID_POOL);
const amountArb = weighted(
  [16, fc.bigInt({ min: 1n, max: 1000n })],
  [1, fc.bigInt({ min: -2n, max: 0n })],
  [2, fc.constantFrom(MAX_AMOUNT, MAX_AMOUNT - 1n, MAX_AMOUNT / 2n, MAX_AMOUNT / 2n + 1n)],
  [1, fc.bigInt({ min: MAX_AMOUNT - 2000n, max: MAX_AMOUNT })],
);
const codeArb = weighted([16, fc.constant(1)], [2, fc.constant(2)], [1, fc.constantFrom(0, 65536, 1.5)]);
/** Rarely a bit the ledger does not define, to reach flags_unknown. */
const strayFlagArb = weighted([40, fc.constant(0)], [1, fc.constant(1 << 9)]);
const metadataArb = fc.constantFrom<Record<string, unknown> | null | undefined>(undefined, undefined, undefined, null, { n: 1 }, { n: 2 });

const newTransferArb: fc.Arbitrary<TransferInput> = fc
  .record({
    id: idArb,
    pair: pairArb,
    dropDebit: chance(40),
    dropCredit: chance(40),
    amount: mostly(amountArb),
    code: mostly(codeArb),
    pending: chance(3),
    balancing: weighted([5, fc.constant(0)], [1, fc.constantFrom(BAL_DEBIT, BAL_CREDIT, BAL_DEBIT | BAL_CREDIT)]),
    linked: chance(4),
    timeout: weighted([30, fc.integer({ min: 0, max: 8 })], [1, fc.constantFrom(-5, 1.5, 31_536_001)]),
    strayFlag: strayFlagArb,
    strayTimeout: chance(40),
    pendingId: weighted<string | undefined>([40, fc.constant(undefined)], [1, idArb]),
    metadata: metadataArb,
  })
  .map((r) => ({
    id: r.id as TransferId,
    debit_account_id: (r.dropDebit ? undefined : r.pair[0]) as AccountId | undefined,
    credit_account_id: (r.dropCredit ? undefined : r.pair[1]) as AccountId | undefined,
    amount: r.amount,
    code: r.code,
    flags: (r.pending ? PENDING : 0) | r.balancing | (r.linked ? LINKED : 0) | r.strayFlag,
    timeout_seconds: r.pending || r.strayTimeout ? r.timeout : undefined,
    pending_id: r.pendingId as TransferId | undefined,
    metadata: r.metadata,
  }));

/** A post or void; its pending_id is drawn from the pool here and usually re-aimed at plan time. */
const resolutionArb: fc.Arbitrary<TransferInput> = fc
  .record({
    id: idArb,
    pendingId: mostly(idArb),
    post: chance(3).map((v) => !v), // two posts for every void
    linked: chance(5),
    amount: weighted<bigint | undefined>([3, fc.constant(undefined)], [2, amountArb]),
    debit: rarely(accountArb),
    credit: rarely(accountArb),
    code: rarely(codeArb),
    timeout: weighted<number | undefined>([40, fc.constant(undefined)], [1, fc.integer({ min: 1, max: 5 })]),
    metadata: metadataArb,
  })
  .map((r) => ({
    id: r.id as TransferId,
    pending_id: r.pendingId as TransferId | undefined,
    flags: (r.post ? POST : VOID) | (r.linked ? LINKED : 0),
    amount: r.amount,
    debit_account_id: r.debit as AccountId | undefined,
    credit_account_id: r.credit as AccountId | undefined,
    code: r.code,
    timeout_seconds: r.timeout,
    metadata: r.metadata,
  }));

/** Any combination of flag bits, to reach the mutually exclusive ones. */
const rawFlagsArb: fc.Arbitrary<TransferInput> = fc
  .tuple(newTransferArb, fc.integer({ min: 0, max: 63 }), mostly(idArb))
  .map(([t, flags, pendingId]) => ({ ...t, flags, pending_id: pendingId as TransferId | undefined }));

const echoChangeArb: fc.Arbitrary<Partial<TransferInput>> = weighted<Partial<TransferInput>>(
  [4, fc.constant({})],
  [1, fc.constantFrom<Partial<TransferInput>>({ metadata: { n: 3 } }, { timeout_seconds: 0 }, { timeout_seconds: 7 }, { code: 2 }, { amount: 7n })],
);

const draftArb: fc.Arbitrary<Draft> = weighted<Draft>(
  [10, newTransferArb.map((input) => ({ kind: 'input', input }))],
  [1, resolutionArb.map((input) => ({ kind: 'input', input }))],
  [5, fc.record({ kind: fc.constant('resolve' as const), pick: fc.nat(), input: resolutionArb })],
  [2, fc.record({ kind: fc.constant('echo' as const), pick: fc.nat(), change: echoChangeArb })],
  [1, rawFlagsArb.map((input) => ({ kind: 'input', input }))],
  [
    2,
    fc.record({
      kind: fc.constant('fill' as const),
      input: newTransferArb,
      side: fc.constantFrom<'debit' | 'credit'>('debit', 'credit'),
      goal: fc.constantFrom<'limit' | 'overflow'>('limit', 'overflow'),
      past: fc.constantFrom(0n, 1n),
    }),
  ],
);

/** A hold and its post or void side by side, often linked: two-phase flows within one request. */
const holdThenResolveArb: fc.Arbitrary<Draft[]> = fc
  .tuple(newTransferArb, resolutionArb, fc.constantFrom('drawn', 'same'))
  .map(([hold, resolution, amount]) => [
    { kind: 'input', input: { ...hold, flags: hold.flags | PENDING, timeout_seconds: hold.timeout_seconds ?? 0 } },
    // Now and then the resolution names the held amount exactly: the boundary of both amount rules.
    { kind: 'input', input: { ...resolution, pending_id: hold.id, ...(amount === 'same' ? { amount: hold.amount } : {}) } },
  ]);

const requestArb: fc.Arbitrary<DraftRequest> = weighted<DraftRequest>(
  [
    8,
    fc
      .array(weighted([6, draftArb.map((d) => [d])], [1, holdThenResolveArb]), { minLength: 1, maxLength: 5 })
      .map((chunks) => ({ kind: 'transfers', drafts: chunks.flat() })),
  ],
  [1, fc.array(idArb, { maxLength: 5 }).map((ids) => ({ kind: 'expire', ids }))],
  [1, fc.constant({ kind: 'expire', ids: ID_POOL })],
);

const statusArb = fc.tuple(
  fc.constantFrom(...ACCOUNTS.map((a) => a.id)),
  fc.constantFrom<AccountStatus>('open', 'open', 'open', 'frozen', 'frozen', 'closed'),
);
// Whole seconds mostly, so `now` often lands exactly on an expiry instant (the boundary is inclusive).
const advanceArb = weighted([3, fc.integer({ min: 0, max: 6 }).map((s) => s * 1000)], [1, fc.integer({ min: 0, max: 6000 })]);

const stepArb: fc.Arbitrary<Step> = weighted<Step>(
  [
    8,
    fc.record({
      kind: fc.constant('batch' as const),
      advance_ms: advanceArb,
      statuses: weighted([3, fc.constant([])], [1, fc.array(statusArb, { minLength: 1, maxLength: 2 })]),
      requests: fc.array(requestArb, { minLength: 1, maxLength: 4 }),
    }),
  ],
  [1, fc.record({ kind: fc.constant('replay' as const), advance_ms: advanceArb, pick: fc.nat() })],
);

const scenarioArb = fc.array(stepArb, { minLength: 1, maxLength: 12 });

// ---------------------------------------------------------------------------------------
// Driving the core like the writer does
// ---------------------------------------------------------------------------------------

type Outcome = { kind: 'transfers'; results: TransferResult[] } | { kind: 'expire'; expired: string[] };

interface BatchRecord {
  requests: LedgerRequest[];
  outcomes: Outcome[];
  effects: BatchEffects;
}

/** What one step does, decided before either the core or the model runs it. */
interface Plan {
  now: Date;
  statuses: Array<[string, AccountStatus]>;
  requests: LedgerRequest[];
  replayOf?: BatchRecord;
}

class Simulation {
  readonly view: LedgerView = { accounts: new Map(), transfers: new Map(), pendings: new Map() };
  readonly batches: BatchRecord[] = [];
  private now = T0;
  /** Every input sent so far, whatever became of it, for echo and resolve drafts. */
  private readonly sent: TransferInput[] = [];
  private readonly sentPendingIds: string[] = [];

  constructor() {
    for (const spec of ACCOUNTS) {
      this.view.accounts.set(spec.id, newAccount({ id: spec.id as AccountId, currency: spec.currency, code: 1, flags: spec.flags }, T0));
    }
  }

  plan(step: Step): Plan | undefined {
    this.now = new Date(this.now.getTime() + step.advance_ms);
    if (step.kind === 'batch') return { now: this.now, statuses: step.statuses, requests: step.requests.map((r) => this.resolveDrafts(r)) };
    if (this.batches.length === 0) return undefined;
    const replayOf = this.batches[step.pick % this.batches.length]!;
    const requests = committedPart(replayOf);
    return requests.length === 0 ? undefined : { now: this.now, statuses: [], requests, replayOf };
  }

  private resolveDrafts(request: DraftRequest): LedgerRequest {
    if (request.kind === 'expire') return request;
    const inputs: TransferInput[] = [];
    const sentBefore = this.sentPendingIds.length;
    for (const draft of request.drafts) {
      let input: TransferInput | undefined;
      if (draft.kind === 'input') {
        input = draft.input;
      } else if (draft.kind === 'echo') {
        const earlier = this.sent[draft.pick % Math.max(1, this.sent.length)];
        input = earlier && { ...earlier, ...draft.change };
      } else if (draft.kind === 'fill') {
        input = this.sizedToLimit(draft.input, draft.side, draft.goal, draft.past);
      } else {
        // Mostly a transfer that is still pending (committed, or sent earlier in this request);
        // otherwise any pending sent so far, which may since be resolved, expired or never made.
        const open = [...this.view.pendings.values()].filter((p) => p.state === 'pending').map((p) => p.transfer.id as string);
        const live = [...open, ...this.sentPendingIds.slice(sentBefore)];
        const ids = draft.pick % 8 === 0 || live.length === 0 ? this.sentPendingIds : live;
        const target = ids[draft.pick % Math.max(1, ids.length)];
        input = target === undefined ? draft.input : { ...draft.input, pending_id: target as TransferId };
      }
      if (!input) continue;
      inputs.push(input);
      this.sent.push(input);
      if (hasFlag(input.flags, PENDING)) this.sentPendingIds.push(input.id);
    }
    return { kind: 'transfers', inputs };
  }

  /** Sized against the state before the batch: exact while nothing earlier in the batch moves the account. */
  private sizedToLimit(input: TransferInput, side: 'debit' | 'credit', goal: 'limit' | 'overflow', past: bigint): TransferInput {
    const account = this.view.accounts.get((side === 'debit' ? input.debit_account_id : input.credit_account_id) ?? '');
    if (!account) return input;
    const used = side === 'debit' ? account.debits_pending + account.debits_posted : account.credits_pending + account.credits_posted;
    const ceiling = goal === 'overflow' ? MAX_AMOUNT : side === 'debit' ? account.credits_posted : account.debits_posted;
    const amount = ceiling - used + past;
    return amount > 0n ? { ...input, amount } : input;
  }

  execute(plan: Plan): BatchRecord {
    for (const [id, status] of plan.statuses) this.view.accounts.get(id)!.status = status;
    const effects = emptyEffects();
    const outcomes = plan.requests.map((request): Outcome =>
      request.kind === 'transfers'
        ? { kind: 'transfers', results: applyTransfers(this.view, request.inputs, plan.now, effects) }
        : { kind: 'expire', expired: expirePendings(this.view, request.ids, plan.now, effects) },
    );
    const record = { requests: plan.requests, outcomes, effects };
    this.batches.push(record);
    return record;
  }
}

/**
 * The requests of a batch reduced to the items that committed. Items that failed may
 * rightly succeed on a later try, so only committed ones must replay unchanged. Chains
 * commit whole, so filtering keeps every surviving chain intact; expiry sweeps are dropped
 * because a pending that was not yet due then may be due now.
 */
function committedPart(batch: BatchRecord): LedgerRequest[] {
  const requests: LedgerRequest[] = [];
  batch.requests.forEach((request, i) => {
    const outcome = batch.outcomes[i]!;
    if (request.kind !== 'transfers' || outcome.kind !== 'transfers') return;
    const inputs = request.inputs.filter((_, j) => outcome.results[j]!.ok);
    if (inputs.length > 0) requests.push({ kind: 'transfers', inputs });
  });
  return requests;
}

function simulate(steps: Step[], onBatch: (sim: Simulation, plan: Plan, record: BatchRecord) => void): void {
  const sim = new Simulation();
  for (const step of steps) {
    const plan = sim.plan(step);
    if (!plan) continue;
    onBatch(sim, plan, sim.execute(plan));
  }
}

function allResults(record: BatchRecord): TransferResult[] {
  return record.outcomes.flatMap((o) => (o.kind === 'transfers' ? o.results : []));
}

// ---------------------------------------------------------------------------------------
// The reference model: a plain interpreter over plain state, copied whole for chains
// ---------------------------------------------------------------------------------------

interface ModelAccount {
  currency: string;
  flags: number;
  status: AccountStatus;
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
}

interface ModelTransfer {
  /** Everything the client sent, as one comparable string. */
  request: string;
  debit: string;
  credit: string;
  amount: bigint;
  code: number;
  /** Only for pending transfers. */
  state?: PendingState;
  expires_at_ms: number | null;
}

interface ModelState {
  accounts: Map<string, ModelAccount>;
  transfers: Map<string, ModelTransfer>;
}

type ModelResult = { ok: true; replayed: boolean; amount: bigint } | { ok: false; code: TransferErrorCode };

const no = (code: TransferErrorCode): ModelResult => ({ ok: false, code });

function copyState(state: ModelState): ModelState {
  return {
    accounts: new Map([...state.accounts].map(([id, a]) => [id, { ...a }])),
    transfers: new Map([...state.transfers].map(([id, t]) => [id, { ...t }])),
  };
}

function requestText(input: TransferInput): string {
  return JSON.stringify([
    input.debit_account_id ?? null,
    input.credit_account_id ?? null,
    input.amount?.toString() ?? null,
    input.pending_id ?? null,
    input.code ?? null,
    input.flags,
    input.timeout_seconds ?? null,
    input.metadata ?? null,
  ]);
}

class Model {
  private state: ModelState = { accounts: new Map(), transfers: new Map() };

  constructor() {
    for (const spec of ACCOUNTS) {
      this.state.accounts.set(spec.id, {
        currency: spec.currency,
        flags: spec.flags,
        status: 'open',
        debits_pending: 0n,
        debits_posted: 0n,
        credits_pending: 0n,
        credits_posted: 0n,
      });
    }
  }

  get accounts(): ReadonlyMap<string, ModelAccount> {
    return this.state.accounts;
  }

  get transfers(): ReadonlyMap<string, ModelTransfer> {
    return this.state.transfers;
  }

  execute(plan: Plan): Array<ModelResult[] | string[]> {
    for (const [id, status] of plan.statuses) this.state.accounts.get(id)!.status = status;
    const nowMs = plan.now.getTime();
    return plan.requests.map((r) => (r.kind === 'transfers' ? this.request(r.inputs, nowMs) : this.expire(r.ids, nowMs)));
  }

  private request(inputs: TransferInput[], nowMs: number): ModelResult[] {
    const results: ModelResult[] = [];
    const isLinked = (i: number): boolean => hasFlag(inputs[i]!.flags, LINKED);
    let i = 0;
    while (i < inputs.length) {
      if (!isLinked(i)) {
        results.push(this.one(inputs[i]!, nowMs));
        i++;
        continue;
      }
      // The chain runs to its first unlinked item, or to the end of the request (left open).
      let end = i;
      while (end < inputs.length - 1 && isLinked(end)) end++;
      const saved = copyState(this.state);
      const chain: ModelResult[] = [];
      for (let k = i; k <= end; k++) {
        const result = k === inputs.length - 1 && isLinked(k) ? no('linked_event_chain_open') : this.one(inputs[k]!, nowMs);
        chain.push(result);
        if (!result.ok) break;
      }
      const culprit = chain[chain.length - 1]!;
      if (culprit.ok) {
        results.push(...chain);
      } else {
        this.state = saved;
        for (let k = i; k <= end; k++) results.push(k === i + chain.length - 1 ? culprit : no('linked_event_failed'));
      }
      i = end + 1;
    }
    return results;
  }

  private one(input: TransferInput, nowMs: number): ModelResult {
    const existing = this.state.transfers.get(input.id);
    if (existing) {
      return existing.request === requestText(input) ? { ok: true, replayed: true, amount: existing.amount } : no('exists_with_different_fields');
    }
    const flags = input.flags;
    const posting = hasFlag(flags, POST);
    const voiding = hasFlag(flags, VOID);
    const pending = hasFlag(flags, PENDING);
    const balancing = hasFlag(flags, BAL_DEBIT) || hasFlag(flags, BAL_CREDIT);
    if (flags & ~(LINKED | PENDING | POST | VOID | BAL_DEBIT | BAL_CREDIT)) return no('flags_unknown');
    if (input.code !== undefined && !(Number.isInteger(input.code) && input.code >= 1 && input.code <= 65535)) return no('code_out_of_range');
    const t = input.timeout_seconds;
    if (t !== undefined && t !== 0 && !(Number.isInteger(t) && t >= 1 && t <= 31_536_000)) return no('timeout_out_of_range');
    if (posting && voiding) return no('flags_are_mutually_exclusive');
    if ((posting || voiding) && (pending || balancing)) return no('flags_are_mutually_exclusive');
    if (input.timeout_seconds !== undefined && input.timeout_seconds !== 0 && !pending) return no('timeout_reserved_for_pending_transfer');
    if (input.amount !== undefined && input.amount <= 0n) return no('amount_must_be_positive');
    if (posting || voiding) {
      if (input.pending_id === undefined) return no('pending_id_required');
      if (input.pending_id === input.id) return no('pending_id_must_be_different');
      return this.resolve(input, input.pending_id, posting, nowMs);
    }
    if (input.pending_id !== undefined) return no('pending_id_must_be_blank');
    if (input.debit_account_id === undefined) return no('debit_account_id_required');
    if (input.credit_account_id === undefined) return no('credit_account_id_required');
    if (input.amount === undefined) return no('amount_required');
    if (input.code === undefined) return no('code_required');
    if (input.debit_account_id === input.credit_account_id) return no('accounts_must_be_different');
    return this.create(input, input.debit_account_id, input.credit_account_id, input.amount, input.code, pending, nowMs);
  }

  private create(
    input: TransferInput,
    debitId: string,
    creditId: string,
    requested: bigint,
    code: number,
    pending: boolean,
    nowMs: number,
  ): ModelResult {
    const dr = this.state.accounts.get(debitId);
    if (!dr) return no('account_not_found');
    const cr = this.state.accounts.get(creditId);
    if (!cr) return no('account_not_found');
    if (dr.currency !== cr.currency) return no('currency_mismatch');
    for (const account of [dr, cr]) {
      if (account.status === 'closed') return no('account_closed');
      if (account.status === 'frozen') return no('account_frozen');
    }
    let amount = requested;
    if (hasFlag(input.flags, BAL_DEBIT)) {
      const spendable = dr.credits_posted - dr.debits_posted - dr.debits_pending;
      if (spendable <= 0n) return no('exceeds_credits');
      if (spendable < amount) amount = spendable;
    }
    if (hasFlag(input.flags, BAL_CREDIT)) {
      const receivable = cr.debits_posted - cr.credits_posted - cr.credits_pending;
      if (receivable <= 0n) return no('exceeds_debits');
      if (receivable < amount) amount = receivable;
    }
    const drDebits = dr.debits_pending + dr.debits_posted + amount;
    const crCredits = cr.credits_pending + cr.credits_posted + amount;
    if (drDebits > MAX_AMOUNT) return no('overflows_debits');
    if (crCredits > MAX_AMOUNT) return no('overflows_credits');
    if (hasFlag(dr.flags, AccountFlags.debits_must_not_exceed_credits) && drDebits > dr.credits_posted) return no('exceeds_credits');
    if (hasFlag(cr.flags, AccountFlags.credits_must_not_exceed_debits) && crCredits > cr.debits_posted) return no('exceeds_debits');

    if (pending) {
      dr.debits_pending += amount;
      cr.credits_pending += amount;
    } else {
      dr.debits_posted += amount;
      cr.credits_posted += amount;
    }
    const timeout = pending ? (input.timeout_seconds ?? 0) : 0;
    this.state.transfers.set(input.id, {
      request: requestText(input),
      debit: debitId,
      credit: creditId,
      amount,
      code,
      ...(pending ? { state: 'pending' as const } : {}),
      expires_at_ms: timeout > 0 ? nowMs + timeout * 1000 : null,
    });
    return { ok: true, replayed: false, amount };
  }

  private resolve(input: TransferInput, pendingId: string, posting: boolean, nowMs: number): ModelResult {
    const held = this.state.transfers.get(pendingId);
    if (!held) return no('pending_transfer_not_found');
    if (held.state === undefined) return no('pending_transfer_not_pending');
    if (input.debit_account_id !== undefined && input.debit_account_id !== held.debit) return no('pending_transfer_has_different_accounts');
    if (input.credit_account_id !== undefined && input.credit_account_id !== held.credit) return no('pending_transfer_has_different_accounts');
    if (input.code !== undefined && input.code !== held.code) return no('pending_transfer_has_different_code');
    if (held.state === 'posted') return no('pending_transfer_already_posted');
    if (held.state === 'voided') return no('pending_transfer_already_voided');
    if (held.state === 'expired' || (held.expires_at_ms !== null && held.expires_at_ms <= nowMs)) return no('pending_transfer_expired');
    const dr = this.state.accounts.get(held.debit)!;
    const cr = this.state.accounts.get(held.credit)!;
    let amount = held.amount;
    if (posting) {
      if (input.amount !== undefined && input.amount > held.amount) return no('amount_exceeds_pending');
      if (input.amount !== undefined) amount = input.amount;
      for (const account of [dr, cr]) {
        if (account.status === 'closed') return no('account_closed');
        if (account.status === 'frozen') return no('account_frozen');
      }
    } else if (input.amount !== undefined && input.amount !== held.amount) {
      return no('amount_must_equal_pending');
    }

    dr.debits_pending -= held.amount;
    cr.credits_pending -= held.amount;
    if (posting) {
      dr.debits_posted += amount;
      cr.credits_posted += amount;
    }
    held.state = posting ? 'posted' : 'voided';
    this.state.transfers.set(input.id, {
      request: requestText(input),
      debit: held.debit,
      credit: held.credit,
      amount,
      code: held.code,
      expires_at_ms: null,
    });
    return { ok: true, replayed: false, amount };
  }

  private expire(ids: string[], nowMs: number): string[] {
    const expired: string[] = [];
    for (const id of ids) {
      const held = this.state.transfers.get(id);
      if (held?.state !== 'pending' || held.expires_at_ms === null || held.expires_at_ms > nowMs) continue;
      this.state.accounts.get(held.debit)!.debits_pending -= held.amount;
      this.state.accounts.get(held.credit)!.credits_pending -= held.amount;
      held.state = 'expired';
      expired.push(id);
    }
    return expired;
  }
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

function expectInvariants(view: LedgerView): void {
  const sums = new Map<string, { dp: bigint; dpo: bigint; cp: bigint; cpo: bigint }>();
  for (const account of view.accounts.values()) {
    const s = sums.get(account.currency) ?? { dp: 0n, dpo: 0n, cp: 0n, cpo: 0n };
    s.dp += account.debits_pending;
    s.dpo += account.debits_posted;
    s.cp += account.credits_pending;
    s.cpo += account.credits_posted;
    sums.set(account.currency, s);

    for (const field of ['debits_pending', 'debits_posted', 'credits_pending', 'credits_posted'] as const) {
      expect(account[field], `${account.id}.${field}`).toBeGreaterThanOrEqual(0n);
      expect(account[field], `${account.id}.${field}`).toBeLessThanOrEqual(MAX_AMOUNT);
    }
    // The core's overflow rule bounds each side's pending + posted, so a later post can never overflow.
    expect(account.debits_pending + account.debits_posted, `${account.id} debits`).toBeLessThanOrEqual(MAX_AMOUNT);
    expect(account.credits_pending + account.credits_posted, `${account.id} credits`).toBeLessThanOrEqual(MAX_AMOUNT);

    if (hasFlag(account.flags, AccountFlags.debits_must_not_exceed_credits)) {
      expect(account.debits_pending + account.debits_posted, `${account.id} debit limit`).toBeLessThanOrEqual(account.credits_posted);
    }
    if (hasFlag(account.flags, AccountFlags.credits_must_not_exceed_debits)) {
      expect(account.credits_pending + account.credits_posted, `${account.id} credit limit`).toBeLessThanOrEqual(account.debits_posted);
    }
  }
  for (const [currency, s] of sums) {
    expect(s.dpo, `${currency} posted`).toBe(s.cpo);
    expect(s.dp, `${currency} pending`).toBe(s.cp);
  }
}

function balanceTable(view: LedgerView): Record<string, bigint[]> {
  return Object.fromEntries(
    [...view.accounts].map(([id, a]) => [id, [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]]),
  );
}

function summarise(result: TransferResult | ModelResult): string {
  if (!result.ok) return result.code;
  const amount = 'transfer' in result ? result.transfer.amount : result.amount;
  return `${result.replayed ? 'replayed' : 'created'}:${amount}`;
}

function expectAgreement(sim: Simulation, record: BatchRecord, modelOutcomes: Array<ModelResult[] | string[]>, model: Model): void {
  record.outcomes.forEach((outcome, i) => {
    const expected = modelOutcomes[i]!;
    if (outcome.kind === 'expire') expect(outcome.expired, `expire request ${i}`).toEqual(expected);
    else expect(outcome.results.map(summarise), `request ${i}`).toEqual((expected as ModelResult[]).map(summarise));
  });
  const modelBalances = Object.fromEntries(
    [...model.accounts].map(([id, a]) => [id, [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]]),
  );
  expect(balanceTable(sim.view)).toEqual(modelBalances);
  expect([...sim.view.transfers.keys()].sort()).toEqual([...model.transfers.keys()].sort());
  const modelPendingStates = [...model.transfers].filter(([, t]) => t.state !== undefined).map(([id, t]) => [id, t.state, t.expires_at_ms]);
  const corePendingStates = [...sim.view.pendings].map(([id, p]) => [id, p.state, p.expires_at?.getTime() ?? null]);
  expect(corePendingStates.sort()).toEqual(modelPendingStates.sort());
}

/** What the writer persists must be exactly what the results say happened. */
function expectEffectsMatchResults(sim: Simulation, record: BatchRecord): void {
  const created: Transfer[] = [];
  const changedPendings = new Set<string>();
  const touched = new Set<string>();
  const history: Array<[string, string]> = [];
  const moved = (transfer: Transfer): void => {
    for (const id of [transfer.debit_account_id, transfer.credit_account_id]) {
      touched.add(id);
      if (hasFlag(sim.view.accounts.get(id)!.flags, AccountFlags.history)) history.push([id, transfer.id]);
    }
  };
  for (const outcome of record.outcomes) {
    if (outcome.kind === 'expire') {
      for (const id of outcome.expired) {
        changedPendings.add(id);
        moved(sim.view.pendings.get(id)!.transfer);
      }
      continue;
    }
    for (const result of outcome.results) {
      if (!result.ok || result.replayed) continue;
      const t = result.transfer;
      created.push(t);
      if (t.pending_id !== null) changedPendings.add(t.pending_id);
      else if (hasFlag(t.flags, PENDING)) changedPendings.add(t.id);
      moved(t);
    }
  }
  expect(record.effects.created).toEqual(created);
  expect(new Set(record.effects.pending_changes.keys())).toEqual(changedPendings);
  for (const [id, change] of record.effects.pending_changes) expect(change).toBe(sim.view.pendings.get(id));
  expect(record.effects.touched_accounts).toEqual(touched);
  expect(record.effects.history.map((h) => [h.account_id, h.transfer_id])).toEqual(history);
  // Each account's last history entry must carry the balances the batch left it with.
  const last = new Map(record.effects.history.map((h) => [h.account_id, h]));
  for (const [id, entry] of last) {
    const account = sim.view.accounts.get(id)!;
    expect([entry.debits_pending, entry.debits_posted, entry.credits_pending, entry.credits_posted]).toEqual([
      account.debits_pending,
      account.debits_posted,
      account.credits_pending,
      account.credits_posted,
    ]);
  }
}

function check(property: (steps: Step[]) => void, numRuns = FC_OPTIONS.numRuns): void {
  fc.assert(fc.property(scenarioArb, property), { ...FC_OPTIONS, numRuns });
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

describe('ledger core properties', () => {
  it(
    'conserves money per currency, holds balance limits and keeps balances in range after every batch',
    () => check((steps) => simulate(steps, (sim) => expectInvariants(sim.view))),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'never changes a committed transfer, and replays return it deep-equal',
    () =>
      check((steps) => {
        const committed = new Map<string, Transfer>();
        simulate(steps, (sim, _plan, record) => {
          for (const result of allResults(record)) {
            if (!result.ok) continue;
            const earlier = committed.get(result.transfer.id);
            if (earlier) {
              // An id already committed may only come back as a replay of the same transfer.
              expect(result.replayed, `${result.transfer.id} created twice`).toBe(true);
              expect(result.transfer).toEqual(earlier);
            } else {
              committed.set(result.transfer.id, structuredClone(result.transfer));
            }
          }
          for (const [id, transfer] of committed) expect(sim.view.transfers.get(id), id).toEqual(transfer);
          for (const [id, record] of sim.view.pendings) expect(record.transfer, id).toEqual(committed.get(id));
        });
      }),
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'agrees with the reference model on every result, balance and pending state',
    () =>
      check((steps) => {
        const model = new Model();
        simulate(steps, (sim, plan, record) => {
          expectAgreement(sim, record, model.execute(plan), model);
          expectEffectsMatchResults(sim, record);
        });
      }, 4 * FC_OPTIONS.numRuns), // the sharpest check, and cheap: rare paths (voids on frozen accounts, exact limits) need the runs
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'replaying the committed part of an earlier batch changes no balance and returns the original transfers',
    () =>
      check((steps) => {
        const sim = new Simulation();
        for (const step of steps) {
          const plan = sim.plan(step);
          if (!plan) continue;
          const balancesBefore = balanceTable(sim.view);
          const record = sim.execute(plan);
          if (!plan.replayOf) continue;
          const originals = allResults(plan.replayOf).flatMap((r) => (r.ok ? [r.transfer] : []));
          const replays = allResults(record);
          expect(replays.map((r) => (r.ok ? r.replayed : r.code))).toEqual(originals.map(() => true));
          expect(replays.map((r) => (r.ok ? r.transfer : undefined))).toEqual(originals);
          expect(balanceTable(sim.view)).toEqual(balancesBefore);
          expect(record.effects.created).toEqual([]);
          expect(record.effects.pending_changes.size).toBe(0);
          expect(record.effects.history).toEqual([]);
          expect(record.effects.touched_accounts.size).toBe(0);
        }
      }),
    PROPERTY_TIMEOUT_MS,
  );

  it('draws scenarios that reach every error code and every kind of success', () => {
    // Guards the properties above against a generator that stopped exercising the rules.
    const seen = new Set<string>();
    for (const steps of fc.sample(scenarioArb, { ...FC_OPTIONS, numRuns: 300 })) {
      simulate(steps, (sim, plan, record) => {
        if (plan.replayOf) seen.add('batch replayed');
        for (const a of sim.view.accounts.values()) {
          const atLimit = hasFlag(a.flags, AccountFlags.debits_must_not_exceed_credits)
            ? a.debits_pending + a.debits_posted === a.credits_posted
            : hasFlag(a.flags, AccountFlags.credits_must_not_exceed_debits) && a.credits_pending + a.credits_posted === a.debits_posted;
          if (atLimit && a.debits_posted > 0n) seen.add('limit reached exactly');
        }
        record.requests.forEach((request, i) => {
          const outcome = record.outcomes[i]!;
          if (outcome.kind === 'expire') {
            if (outcome.expired.length > 0) seen.add('pending expired');
            return;
          }
          if (request.kind !== 'transfers') return;
          request.inputs.forEach((input, j) => {
            const result = outcome.results[j]!;
            if (!result.ok) return void seen.add(result.code);
            if (result.replayed) return void seen.add('replayed');
            const flags = result.transfer.flags;
            if (hasFlag(flags, POST)) seen.add('posted');
            if (hasFlag(flags, VOID)) seen.add('voided');
            const accounts = [result.transfer.debit_account_id, result.transfer.credit_account_id].map((id) => sim.view.accounts.get(id)!);
            if (hasFlag(flags, VOID) && accounts.some((a) => a.status !== 'open')) seen.add('voided on a frozen or closed account');
            if (hasFlag(flags, PENDING)) seen.add('held');
            if (hasFlag(flags, LINKED)) seen.add('chain committed');
            if (flags & (BAL_DEBIT | BAL_CREDIT) && input.amount !== result.transfer.amount) seen.add('balancing clamped');
            if (result.transfer.amount > MAX_AMOUNT / 2n) seen.add('huge amount moved');
          });
        });
      });
    }
    const kinds = [
      'batch replayed',
      'pending expired',
      'replayed',
      'posted',
      'voided',
      'held',
      'chain committed',
      'balancing clamped',
      'huge amount moved',
      'voided on a frozen or closed account',
      'limit reached exactly',
    ];
    const missing = [...TRANSFER_ERROR_CODES, ...kinds].filter((c) => !seen.has(c));
    expect(missing).toEqual([]);
  });
});

/**
 * Example-based tests of the ledger core: one example per error code (the table is typed
 * `Record<TransferErrorCode, …>` so a new code cannot be added without an example), then
 * the happy paths and the rules that need more than one step to show.
 */
import { describe, expect, it } from 'vitest';
import {
  applyTransfers,
  balancesOf,
  checkAccount,
  emptyEffects,
  expirePendings,
  newAccount,
  transferFingerprint,
  type BatchEffects,
  type LedgerView,
} from './core.js';
import {
  AccountFlags,
  MAX_AMOUNT,
  TRANSFER_ERROR_CODES,
  TransferFlags,
  type Account,
  type AccountState,
  type AccountId,
  type AccountStatus,
  type Balances,
  type Transfer,
  type TransferErrorCode,
  type TransferId,
  type TransferInput,
  type TransferResult,
} from './types.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const TIMEOUT_YEAR = 366 * 24 * 3600;
const aid = (id: string): AccountId => id as AccountId;
const tid = (id: string): TransferId => id as TransferId;

/** An in-memory stand-in for the writer: the view persists, each submit is its own batch. */
class Harness {
  readonly view: LedgerView = { accounts: new Map(), transfers: new Map(), pendings: new Map() };
  now = T0;
  effects: BatchEffects = emptyEffects();
  private fundingSeq = 0;

  open(id: string, flags = 0, currency = 'USD'): Account {
    const account = newAccount({ id: aid(id), currency, code: 10, flags }, this.now);
    this.view.accounts.set(id, account);
    return account;
  }

  submit(...inputs: TransferInput[]): TransferResult[] {
    this.effects = emptyEffects();
    return applyTransfers(this.view, inputs, this.now, this.effects);
  }

  /** Submits and insists every item succeeds; for setting the scene. */
  ok(...inputs: TransferInput[]): Transfer[] {
    return this.submit(...inputs).map((r, i) => {
      if (!r.ok) throw new Error(`setup transfer ${inputs[i]!.id} failed with ${r.code}`);
      return r.transfer;
    });
  }

  /** Moves `amount` from the unconstrained cash account so limited accounts have something to spend. */
  fund(account: string, amount: bigint): void {
    this.ok(xfer(`fund-${++this.fundingSeq}`, 'cash', account, amount));
  }

  expire(...ids: string[]): string[] {
    this.effects = emptyEffects();
    return expirePendings(this.view, ids, this.now, this.effects);
  }

  advance(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  account(id: string): AccountState {
    const account = this.view.accounts.get(id);
    if (!account) throw new Error(`no account ${id} in the view`);
    return account;
  }

  balances(id: string): Balances {
    return balancesOf(this.account(id));
  }

  setStatus(id: string, status: AccountStatus): void {
    this.account(id).status = status;
  }

  snapshot(): Record<string, Balances> {
    return Object.fromEntries([...this.view.accounts].map(([id, a]) => [id, balancesOf(a)]));
  }
}

/**
 * cash and vault: unconstrained sources; alice and bob: may not spend more than they hold
 * (alice keeps history); loan: may not be credited beyond what was lent; euro: another currency.
 */
function bank(): Harness {
  const h = new Harness();
  h.open('cash');
  h.open('vault');
  h.open('alice', AccountFlags.debits_must_not_exceed_credits | AccountFlags.history);
  h.open('bob', AccountFlags.debits_must_not_exceed_credits);
  h.open('loan', AccountFlags.credits_must_not_exceed_debits);
  h.open('euro', 0, 'EUR');
  return h;
}

function xfer(id: string, debit: string, credit: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput {
  return { id: tid(id), debit_account_id: aid(debit), credit_account_id: aid(credit), amount, code: 1, flags: 0, ...extra };
}

function hold(id: string, debit: string, credit: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput {
  return xfer(id, debit, credit, amount, { ...extra, flags: TransferFlags.pending | (extra.flags ?? 0) });
}

function post(id: string, pendingId: string, extra: Partial<TransferInput> = {}): TransferInput {
  return { id: tid(id), pending_id: tid(pendingId), ...extra, flags: TransferFlags.post_pending | (extra.flags ?? 0) };
}

function voidOf(id: string, pendingId: string, extra: Partial<TransferInput> = {}): TransferInput {
  return { id: tid(id), pending_id: tid(pendingId), ...extra, flags: TransferFlags.void_pending | (extra.flags ?? 0) };
}

const linked = { flags: TransferFlags.linked };

function failure(code: TransferErrorCode, field?: string): TransferResult {
  return field === undefined ? { ok: false, code } : { ok: false, code, field };
}

function bal(debits_pending: bigint, debits_posted: bigint, credits_pending: bigint, credits_posted: bigint): Balances {
  return { debits_pending, debits_posted, credits_pending, credits_posted };
}

function okTransfer(result: TransferResult | undefined): Transfer {
  if (!result?.ok) throw new Error(`expected success, got ${JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return result.transfer;
}

interface ErrorExample {
  setup?: (h: Harness) => void;
  request: TransferInput[];
  /** Which item carries the code; the last one unless said. */
  at?: number;
  field?: string;
}

const errorExamples: Record<TransferErrorCode, ErrorExample> = {
  linked_event_failed: {
    // The second item fails on its own (bob holds nothing), so the first is reported as the chain's casualty.
    request: [xfer('t1', 'cash', 'alice', 10n, linked), xfer('t2', 'bob', 'cash', 10n)],
    at: 0,
  },
  linked_event_chain_open: { request: [xfer('t1', 'cash', 'alice', 10n, linked)], field: 'flags' },
  flags_are_mutually_exclusive: {
    request: [{ id: tid('t1'), pending_id: tid('p1'), flags: TransferFlags.post_pending | TransferFlags.void_pending }],
    field: 'flags',
  },
  debit_account_id_required: {
    request: [{ id: tid('t1'), credit_account_id: aid('alice'), amount: 1n, code: 1, flags: 0 }],
    field: 'debit_account_id',
  },
  credit_account_id_required: {
    request: [{ id: tid('t1'), debit_account_id: aid('cash'), amount: 1n, code: 1, flags: 0 }],
    field: 'credit_account_id',
  },
  amount_required: {
    request: [{ id: tid('t1'), debit_account_id: aid('cash'), credit_account_id: aid('alice'), code: 1, flags: 0 }],
    field: 'amount',
  },
  amount_must_be_positive: { request: [xfer('t1', 'cash', 'alice', 0n)], field: 'amount' },
  flags_unknown: { request: [xfer('t1', 'cash', 'alice', 1n, { flags: 1 << 9 })], field: 'flags' },
  code_out_of_range: { request: [xfer('t1', 'cash', 'alice', 1n, { code: 0 })], field: 'code' },
  timeout_out_of_range: {
    request: [xfer('t1', 'cash', 'alice', 1n, { flags: TransferFlags.pending, timeout_seconds: -5 })],
    field: 'timeout_seconds',
  },
  code_required: {
    request: [{ id: tid('t1'), debit_account_id: aid('cash'), credit_account_id: aid('alice'), amount: 1n, flags: 0 }],
    field: 'code',
  },
  accounts_must_be_different: { request: [xfer('t1', 'cash', 'cash', 1n)], field: 'credit_account_id' },
  pending_id_required: { request: [{ id: tid('t1'), flags: TransferFlags.post_pending }], field: 'pending_id' },
  pending_id_must_be_blank: { request: [xfer('t1', 'cash', 'alice', 1n, { pending_id: tid('p1') })], field: 'pending_id' },
  pending_id_must_be_different: { request: [post('t1', 't1')], field: 'pending_id' },
  timeout_reserved_for_pending_transfer: { request: [xfer('t1', 'cash', 'alice', 1n, { timeout_seconds: 60 })], field: 'timeout_seconds' },
  account_not_found: { request: [xfer('t1', 'nobody', 'alice', 1n)], field: 'debit_account_id' },
  currency_mismatch: { request: [xfer('t1', 'cash', 'euro', 1n)], field: 'credit_account_id' },
  account_frozen: { setup: (h) => h.setStatus('alice', 'frozen'), request: [xfer('t1', 'cash', 'alice', 1n)], field: 'credit_account_id' },
  account_closed: { setup: (h) => h.setStatus('cash', 'closed'), request: [xfer('t1', 'cash', 'alice', 1n)], field: 'debit_account_id' },
  exceeds_credits: { request: [xfer('t1', 'bob', 'cash', 1n)], field: 'amount' },
  exceeds_debits: { request: [xfer('t1', 'cash', 'loan', 1n)], field: 'amount' },
  overflows_debits: {
    setup: (h) => h.ok(xfer('s1', 'cash', 'vault', MAX_AMOUNT)),
    request: [xfer('t1', 'cash', 'alice', 1n)],
    field: 'amount',
  },
  overflows_credits: {
    setup: (h) => h.ok(xfer('s1', 'cash', 'alice', MAX_AMOUNT)),
    request: [xfer('t1', 'vault', 'alice', 1n)],
    field: 'amount',
  },
  pending_transfer_not_found: { request: [post('t1', 'ghost')], field: 'pending_id' },
  pending_transfer_not_pending: {
    setup: (h) => h.ok(xfer('s1', 'cash', 'alice', 10n)),
    request: [post('t1', 's1')],
    field: 'pending_id',
  },
  pending_transfer_has_different_accounts: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n)),
    request: [post('t1', 'p1', { debit_account_id: aid('vault') })],
    field: 'debit_account_id',
  },
  pending_transfer_has_different_code: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n)),
    request: [post('t1', 'p1', { code: 2 })],
    field: 'code',
  },
  pending_transfer_already_posted: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n), post('s2', 'p1')),
    request: [voidOf('t1', 'p1')],
    field: 'pending_id',
  },
  pending_transfer_already_voided: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n), voidOf('s2', 'p1')),
    request: [post('t1', 'p1')],
    field: 'pending_id',
  },
  pending_transfer_expired: {
    setup: (h) => {
      h.ok(hold('p1', 'cash', 'alice', 10n, { timeout_seconds: 30 }));
      h.advance(30);
      expect(h.expire('p1')).toEqual(['p1']);
    },
    request: [post('t1', 'p1')],
    field: 'pending_id',
  },
  amount_exceeds_pending: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n)),
    request: [post('t1', 'p1', { amount: 11n })],
    field: 'amount',
  },
  amount_must_equal_pending: {
    setup: (h) => h.ok(hold('p1', 'cash', 'alice', 10n)),
    request: [voidOf('t1', 'p1', { amount: 5n })],
    field: 'amount',
  },
  exists_with_different_fields: {
    setup: (h) => h.ok(xfer('t1', 'cash', 'alice', 10n)),
    request: [xfer('t1', 'cash', 'alice', 11n)],
    field: 'id',
  },
};

describe('every transfer error code', () => {
  it.each([...TRANSFER_ERROR_CODES])('%s: returns the code and field and changes nothing', (code) => {
    const example = errorExamples[code];
    const h = bank();
    example.setup?.(h);
    const before = h.snapshot();
    const transfersBefore = new Map(h.view.transfers);
    const pendingsBefore = new Map(h.view.pendings);

    const results = h.submit(...example.request);

    expect(results[example.at ?? example.request.length - 1]).toEqual(failure(code, example.field));
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(h.snapshot()).toEqual(before);
    expect(h.view.transfers).toEqual(transfersBefore);
    expect(h.view.pendings).toEqual(pendingsBefore);
    expect(h.effects.created).toEqual([]);
    expect(h.effects.history).toEqual([]);
    expect(h.effects.pending_changes.size).toBe(0);
    expect(h.effects.touched_accounts.size).toBe(0);
  });
});

describe('shape validation', () => {
  it.each([
    ['pending with post', TransferFlags.pending | TransferFlags.post_pending],
    ['pending with void', TransferFlags.pending | TransferFlags.void_pending],
    ['post with balancing_debit', TransferFlags.post_pending | TransferFlags.balancing_debit],
    ['void with balancing_credit', TransferFlags.void_pending | TransferFlags.balancing_credit],
  ])('rejects %s as mutually exclusive', (_name, flags) => {
    const h = bank();
    expect(h.submit({ id: tid('t1'), pending_id: tid('p1'), flags })).toEqual([failure('flags_are_mutually_exclusive', 'flags')]);
  });

  it('accepts pending with balancing flags (only resolutions exclude them)', () => {
    const h = bank();
    h.fund('alice', 50n);
    const [t] = h.ok(hold('p1', 'alice', 'cash', 80n, { flags: TransferFlags.balancing_debit }));
    expect(t!.amount).toBe(50n);
    expect(h.balances('alice')).toEqual(bal(50n, 0n, 0n, 50n));
  });

  it('reserves timeouts for pending transfers, but a zero timeout means none', () => {
    const h = bank();
    expect(h.submit(post('t1', 'p1', { timeout_seconds: 5 }))).toEqual([failure('timeout_reserved_for_pending_transfer', 'timeout_seconds')]);
    const [t] = h.ok(xfer('t2', 'cash', 'alice', 1n, { timeout_seconds: 0 }));
    expect(t!.timeout_seconds).toBeNull();
    expect(t!.expires_at).toBeNull();
  });

  it('names the credit side when the credit account is missing', () => {
    const h = bank();
    expect(h.submit(xfer('t1', 'cash', 'nobody', 1n))).toEqual([failure('account_not_found', 'credit_account_id')]);
  });

  it('checks the id before the shape: a reused id with a malformed body is a conflict', () => {
    const h = bank();
    h.ok(xfer('t1', 'cash', 'alice', 1n));
    expect(h.submit({ id: tid('t1'), flags: 0 })).toEqual([failure('exists_with_different_fields', 'id')]);
  });
});

describe('regular transfers', () => {
  it('moves posted balances and records the transfer', () => {
    const h = bank();
    const [t] = h.ok(xfer('t1', 'cash', 'alice', 250n, { code: 7, metadata: { note: 'salary' } }));

    expect(t).toEqual({
      id: 't1',
      debit_account_id: 'cash',
      credit_account_id: 'alice',
      amount: 250n,
      currency: 'USD',
      pending_id: null,
      code: 7,
      flags: 0,
      timeout_seconds: null,
      expires_at: null,
      metadata: { note: 'salary' },
      fingerprint: expect.any(String),
      created_at: T0,
    });
    expect(h.balances('cash')).toEqual(bal(0n, 250n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 250n));
    expect(h.view.transfers.get('t1')).toBe(t);
    expect(h.effects.created).toEqual([t]);
    expect([...h.effects.touched_accounts].sort()).toEqual(['alice', 'cash']);
    expect(h.view.pendings.has('t1')).toBe(false);
  });

  it('lets each transfer in a request see the ones before it', () => {
    const h = bank();
    // bob can spend the 40 only because the first item credited it.
    const results = h.submit(xfer('t1', 'cash', 'bob', 40n), xfer('t2', 'bob', 'alice', 40n), xfer('t3', 'bob', 'alice', 1n));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]).toEqual(failure('exceeds_credits', 'amount'));
    expect(h.balances('bob')).toEqual(bal(0n, 40n, 0n, 40n));
  });

  it.each<[string, TransferInput]>([
    ['a zero transfer', xfer('t1', 'cash', 'alice', 0n)],
    ['a negative transfer', xfer('t1', 'cash', 'alice', -5n)],
    ['a negative balancing transfer', xfer('t1', 'cash', 'alice', -5n, { flags: TransferFlags.balancing_debit })],
  ])('rejects %s before touching balances', (_name, input) => {
    const h = bank();
    expect(h.submit(input)).toEqual([failure('amount_must_be_positive', 'amount')]);
    expect(h.balances('cash')).toEqual(bal(0n, 0n, 0n, 0n));
  });
});

describe('two-phase transfers', () => {
  it('holds a pending transfer with its expiry', () => {
    const h = bank();
    const [p] = h.ok(hold('p1', 'cash', 'alice', 100n, { timeout_seconds: 60 }));

    expect(p!.timeout_seconds).toBe(60);
    expect(p!.expires_at).toEqual(new Date(T0.getTime() + 60_000));
    expect(h.balances('cash')).toEqual(bal(100n, 0n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 100n, 0n));
    const record = { transfer: p, state: 'pending', expires_at: p!.expires_at, resolved_by: null, resolved_at: null };
    expect(h.view.pendings.get('p1')).toEqual(record);
    expect(h.effects.pending_changes.get('p1')).toEqual(record);
  });

  it('posts the full amount when the post names none, inheriting accounts and code', () => {
    const h = bank();
    const [p] = h.ok(hold('p1', 'cash', 'alice', 100n, { code: 9, timeout_seconds: 60 }));
    h.advance(5);
    const [t] = h.ok(post('t1', 'p1'));

    expect(t).toMatchObject({ debit_account_id: 'cash', credit_account_id: 'alice', amount: 100n, code: 9, pending_id: 'p1', created_at: h.now });
    expect(h.balances('cash')).toEqual(bal(0n, 100n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 100n));
    // The record keeps the held transfer and its expiry; only the resolution fields change.
    const resolved = { transfer: p, state: 'posted', expires_at: p!.expires_at, resolved_by: 't1', resolved_at: h.now };
    expect(h.view.pendings.get('p1')).toEqual(resolved);
    expect(h.effects.pending_changes.get('p1')).toEqual(resolved);
    expect(t!.timeout_seconds).toBeNull();
    expect(t!.expires_at).toBeNull();
  });

  it('posts part of the amount and releases the rest', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n));
    const [t] = h.ok(post('t1', 'p1', { amount: 30n }));

    expect(t!.amount).toBe(30n);
    expect(h.balances('cash')).toEqual(bal(0n, 30n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 30n));
    // A second post must not find the released 70 still on hold.
    expect(h.submit(post('t2', 'p1', { amount: 70n }))).toEqual([failure('pending_transfer_already_posted', 'pending_id')]);
  });

  it('rejects a zero or negative post or void amount and leaves the hold in place', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n));
    expect(h.submit(post('t1', 'p1', { amount: 0n }))).toEqual([failure('amount_must_be_positive', 'amount')]);
    expect(h.submit(post('t2', 'p1', { amount: -1n }))).toEqual([failure('amount_must_be_positive', 'amount')]);
    expect(h.submit(voidOf('t3', 'p1', { amount: 0n }))).toEqual([failure('amount_must_be_positive', 'amount')]);
    expect(h.view.pendings.get('p1')?.state).toBe('pending');
    expect(h.balances('cash')).toEqual(bal(100n, 0n, 0n, 0n));
  });

  it('accepts a post that repeats the pending transfer’s own accounts and code', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n, { code: 3 }));
    const [t] = h.ok(post('t1', 'p1', { debit_account_id: aid('cash'), credit_account_id: aid('alice'), code: 3, amount: 100n }));
    expect(t!.amount).toBe(100n);
  });

  it('rejects a post naming a different credit account', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n));
    expect(h.submit(post('t1', 'p1', { credit_account_id: aid('bob') }))).toEqual([
      failure('pending_transfer_has_different_accounts', 'credit_account_id'),
    ]);
  });

  it('voids a pending transfer, releasing the hold without posting', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n));
    const [t] = h.ok(voidOf('t1', 'p1', { amount: 100n }));

    expect(t).toMatchObject({ amount: 100n, pending_id: 'p1', debit_account_id: 'cash', credit_account_id: 'alice' });
    expect(h.balances('cash')).toEqual(bal(0n, 0n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 0n));
    expect(h.view.pendings.get('p1')).toMatchObject({ state: 'voided', resolved_by: 't1', resolved_at: T0 });
  });

  it('resolves a pending transfer created earlier in the same request', () => {
    const h = bank();
    const results = h.submit(hold('p1', 'cash', 'alice', 10n), post('t1', 'p1'));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(h.effects.pending_changes.get('p1')?.state).toBe('posted');
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 10n));
  });
});

describe('pending expiry', () => {
  it('expires only when due, releases the hold and is idempotent', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n, { timeout_seconds: 10 }), hold('p2', 'cash', 'alice', 5n));
    h.advance(9);
    expect(h.expire('p1', 'p2', 'ghost')).toEqual([]);
    expect(h.balances('cash')).toEqual(bal(105n, 0n, 0n, 0n));

    h.advance(1); // exactly at expires_at counts as due
    expect(h.expire('p1', 'p2')).toEqual(['p1']);
    expect(h.balances('cash')).toEqual(bal(5n, 0n, 0n, 0n));
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 5n, 0n));
    expect(h.view.pendings.get('p1')).toMatchObject({ state: 'expired', resolved_at: h.now, resolved_by: null });
    expect(h.effects.pending_changes.get('p1')?.state).toBe('expired');
    expect([...h.effects.touched_accounts].sort()).toEqual(['alice', 'cash']);

    h.advance(100);
    expect(h.expire('p1')).toEqual([]);
    expect(h.balances('cash')).toEqual(bal(5n, 0n, 0n, 0n));
  });

  it('refuses to post or void after the sweep expired it', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n, { timeout_seconds: 10 }));
    h.advance(10);
    h.expire('p1');
    expect(h.submit(post('t1', 'p1'))).toEqual([failure('pending_transfer_expired', 'pending_id')]);
    expect(h.submit(voidOf('t2', 'p1'))).toEqual([failure('pending_transfer_expired', 'pending_id')]);
  });

  it('refuses to post once the timeout passed even before the sweep ran, keeping the hold for the sweep', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n, { timeout_seconds: 10 }));
    h.advance(10);
    expect(h.submit(post('t1', 'p1'))).toEqual([failure('pending_transfer_expired', 'pending_id')]);
    expect(h.balances('cash')).toEqual(bal(100n, 0n, 0n, 0n));
    expect(h.expire('p1')).toEqual(['p1']);
  });

  it('posts just before the timeout', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 100n, { timeout_seconds: 10 }));
    h.advance(9.999);
    h.ok(post('t1', 'p1'));
    h.advance(1);
    expect(h.expire('p1')).toEqual([]);
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 100n));
  });

  it('never expires a pending transfer without a timeout, nor a resolved one', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 1n), hold('p2', 'cash', 'alice', 2n, { timeout_seconds: 1 }));
    h.ok(voidOf('v2', 'p2'));
    h.advance(TIMEOUT_YEAR);
    expect(h.expire('p1', 'p2')).toEqual([]);
    expect(h.view.pendings.get('p2')?.state).toBe('voided');
  });
});


describe('linked chains', () => {
  it('commits a whole chain when every item succeeds', () => {
    const h = bank();
    const results = h.submit(xfer('t1', 'cash', 'bob', 10n, linked), xfer('t2', 'bob', 'alice', 10n, linked), xfer('t3', 'alice', 'cash', 4n));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(h.balances('alice')).toEqual(bal(0n, 4n, 0n, 10n));
  });

  it('fails the whole chain: the culprit keeps its code, the others get linked_event_failed, and balances roll back', () => {
    const h = bank();
    h.fund('alice', 100n);
    const before = h.snapshot();
    const results = h.submit(
      xfer('t1', 'alice', 'bob', 60n, linked), // applies, then must be undone
      xfer('t2', 'cash', 'loan', 1n, linked), // fails on its own: loan was never lent anything
      xfer('t3', 'cash', 'alice', 5n), // never tried
      xfer('t4', 'cash', 'alice', 7n), // outside the chain: unaffected
    );

    expect(results.slice(0, 3)).toEqual([failure('linked_event_failed'), failure('exceeds_debits', 'amount'), failure('linked_event_failed')]);
    expect(okTransfer(results[3]).amount).toBe(7n);
    expect(h.snapshot()).toEqual({ ...before, cash: bal(0n, 107n, 0n, 0n), alice: bal(0n, 0n, 0n, 107n) });
    expect(h.effects.created.map((t) => t.id)).toEqual(['t4']);
    expect(h.view.transfers.has('t1')).toBe(false);
    // alice keeps history: the undone t1 must not leave an entry behind, only t4 does.
    expect(h.effects.history.map((e) => e.transfer_id)).toEqual(['t4']);
    expect([...h.effects.touched_accounts].sort()).toEqual(['alice', 'cash']);
  });

  it('frees the ids of a failed chain for later use', () => {
    const h = bank();
    h.submit(xfer('t1', 'cash', 'alice', 10n, linked), xfer('t2', 'bob', 'cash', 1n));
    // Had t1 stayed in the view, a different body would be a conflict rather than a fresh transfer.
    expect(okTransfer(h.submit(xfer('t1', 'cash', 'alice', 99n))[0]).amount).toBe(99n);
  });

  it('restores the pending state a failed chain had resolved', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'alice', 50n));
    const recordBefore = h.view.pendings.get('p1');
    const results = h.submit(post('t1', 'p1', linked), xfer('t2', 'bob', 'cash', 1n));

    expect(results).toEqual([failure('linked_event_failed'), failure('exceeds_credits', 'amount')]);
    expect(h.view.pendings.get('p1')).toBe(recordBefore);
    expect(h.effects.pending_changes.size).toBe(0);
    expect(h.balances('cash')).toEqual(bal(50n, 0n, 0n, 0n));
    expect(okTransfer(h.submit(post('t3', 'p1'))[0]).amount).toBe(50n);
  });

  it('restores the pending change an earlier request of the same batch made', () => {
    const h = bank();
    h.effects = emptyEffects();
    applyTransfers(h.view, [hold('p1', 'cash', 'alice', 50n)], h.now, h.effects);
    const created = h.effects.pending_changes.get('p1');
    applyTransfers(h.view, [voidOf('v1', 'p1', linked), xfer('t2', 'bob', 'cash', 1n)], h.now, h.effects);
    // The writer persists pending_changes: it must still say "pending", not the undone void.
    expect(h.effects.pending_changes.get('p1')).toBe(created);
    expect(h.effects.created.map((t) => t.id)).toEqual(['p1']);
  });

  it('removes a pending transfer created inside a failed chain', () => {
    const h = bank();
    const results = h.submit(hold('p1', 'cash', 'alice', 50n, linked), post('t1', 'p1', linked), xfer('t2', 'bob', 'cash', 1n));
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    expect(h.view.pendings.has('p1')).toBe(false);
    expect(h.effects.pending_changes.has('p1')).toBe(false);
    expect(h.submit(post('t3', 'p1'))).toEqual([failure('pending_transfer_not_found', 'pending_id')]);
  });

  it('reports linked_event_chain_open on a trailing linked item and undoes the chain', () => {
    const h = bank();
    const results = h.submit(xfer('t0', 'cash', 'alice', 1n), xfer('t1', 'cash', 'alice', 10n, linked), xfer('t2', 'cash', 'alice', 20n, linked));
    expect(results.slice(1)).toEqual([failure('linked_event_failed'), failure('linked_event_chain_open', 'flags')]);
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 1n));
  });

  it('keeps chains independent: a failed chain does not spoil the next one', () => {
    const h = bank();
    const results = h.submit(
      xfer('a1', 'cash', 'alice', 1n, linked),
      xfer('a2', 'bob', 'cash', 1n),
      xfer('b1', 'cash', 'alice', 2n, linked),
      xfer('b2', 'cash', 'bob', 3n),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['linked_event_failed', 'exceeds_credits', 'ok', 'ok']);
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 2n));
  });

  it('counts a replay inside a chain as success', () => {
    const h = bank();
    const [first] = h.ok(xfer('t1', 'cash', 'alice', 10n));
    const results = h.submit(xfer('t1', 'cash', 'alice', 10n), xfer('t2', 'alice', 'bob', 10n));
    expect(results[0]).toEqual({ ok: true, transfer: first, replayed: true });
    expect(results[1]?.ok).toBe(true);
  });
});

describe('balancing transfers', () => {
  it('clamps a balancing_debit to what the debit account holds net of holds', () => {
    const h = bank();
    h.fund('alice', 100n);
    h.ok(xfer('s1', 'alice', 'cash', 30n), hold('s2', 'alice', 'cash', 20n));
    const [t] = h.ok(xfer('t1', 'alice', 'bob', 80n, { flags: TransferFlags.balancing_debit }));
    expect(t!.amount).toBe(50n);
    expect(h.balances('alice')).toEqual(bal(20n, 80n, 0n, 100n));
    expect(h.submit(xfer('t2', 'alice', 'bob', 1n, { flags: TransferFlags.balancing_debit }))).toEqual([failure('exceeds_credits', 'amount')]);
  });

  it('leaves a balancing amount that fits untouched', () => {
    const h = bank();
    h.fund('alice', 100n);
    const [t] = h.ok(xfer('t1', 'alice', 'bob', 10n, { flags: TransferFlags.balancing_debit }));
    expect(t!.amount).toBe(10n);
  });

  it('clamps a balancing_credit to the credit account’s debit surplus', () => {
    const h = bank();
    h.ok(xfer('lend', 'loan', 'cash', 70n), hold('s1', 'cash', 'loan', 25n));
    const [t] = h.ok(xfer('t1', 'cash', 'loan', 1000n, { flags: TransferFlags.balancing_credit }));
    expect(t!.amount).toBe(45n);
    expect(h.balances('loan')).toEqual(bal(0n, 70n, 25n, 45n));
    expect(h.submit(xfer('t2', 'cash', 'loan', 1n, { flags: TransferFlags.balancing_credit }))).toEqual([failure('exceeds_debits', 'amount')]);
  });

  it('applies balancing to accounts without limit flags too', () => {
    const h = bank();
    // vault has no limit flag, yet a balancing_debit still only moves what it holds: nothing.
    expect(h.submit(xfer('t1', 'vault', 'cash', 5n, { flags: TransferFlags.balancing_debit }))).toEqual([failure('exceeds_credits', 'amount')]);
  });

  it('clamps to the smaller room when both balancing flags are set', () => {
    const h = bank();
    h.fund('alice', 40n);
    h.ok(xfer('lend', 'loan', 'cash', 15n));
    const [t] = h.ok(xfer('t1', 'alice', 'loan', 100n, { flags: TransferFlags.balancing_debit | TransferFlags.balancing_credit }));
    expect(t!.amount).toBe(15n);
  });

  it('replays a clamped transfer as it was clamped', () => {
    const h = bank();
    h.fund('alice', 30n);
    const request = xfer('t1', 'alice', 'bob', 100n, { flags: TransferFlags.balancing_debit });
    const [t] = h.ok(request);
    h.fund('alice', 500n);
    expect(h.submit(request)).toEqual([{ ok: true, transfer: t, replayed: true }]);
    expect(t!.amount).toBe(30n);
  });
});

describe('balance limits', () => {
  it('counts pending debits against debits_must_not_exceed_credits', () => {
    const h = bank();
    h.fund('alice', 100n);
    h.ok(hold('p1', 'alice', 'cash', 60n));
    expect(h.submit(xfer('t1', 'alice', 'cash', 41n))).toEqual([failure('exceeds_credits', 'amount')]);
    expect(h.submit(hold('t2', 'alice', 'cash', 41n))).toEqual([failure('exceeds_credits', 'amount')]);
    h.ok(xfer('t3', 'alice', 'cash', 40n)); // exactly up to the limit
    h.ok(voidOf('v1', 'p1'));
    h.ok(xfer('t4', 'alice', 'cash', 60n)); // the void gave the room back
    expect(h.balances('alice')).toEqual(bal(0n, 100n, 0n, 100n));
  });

  it('does not count pending credits as spendable', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'bob', 100n));
    expect(h.submit(xfer('t1', 'bob', 'cash', 1n))).toEqual([failure('exceeds_credits', 'amount')]);
  });

  it('counts pending credits against credits_must_not_exceed_debits', () => {
    const h = bank();
    h.ok(xfer('lend', 'loan', 'cash', 100n));
    h.ok(hold('p1', 'cash', 'loan', 70n));
    expect(h.submit(xfer('t1', 'cash', 'loan', 31n))).toEqual([failure('exceeds_debits', 'amount')]);
    h.ok(xfer('t2', 'cash', 'loan', 30n));
    expect(h.balances('loan')).toEqual(bal(0n, 100n, 70n, 30n));
  });

  it('checks the debit account before the credit account', () => {
    const h = bank();
    expect(h.submit(xfer('t1', 'bob', 'loan', 1n))).toEqual([failure('exceeds_credits', 'amount')]);
  });
});

describe('overflow', () => {
  it('accepts exactly MAX_AMOUNT and rejects one more', () => {
    const h = bank();
    h.ok(xfer('t1', 'cash', 'vault', MAX_AMOUNT));
    expect(h.balances('vault')).toEqual(bal(0n, 0n, 0n, MAX_AMOUNT));
    expect(h.submit(xfer('t2', 'vault', 'cash', MAX_AMOUNT + 1n))).toEqual([failure('overflows_debits', 'amount')]);
  });

  it('counts pending amounts towards overflow', () => {
    const h = bank();
    h.ok(hold('p1', 'cash', 'vault', MAX_AMOUNT - 1n));
    expect(h.submit(xfer('t1', 'cash', 'alice', 2n))).toEqual([failure('overflows_debits', 'amount')]);
    expect(h.submit(xfer('t2', 'alice', 'vault', 2n))).toEqual([failure('overflows_credits', 'amount')]);
    h.ok(xfer('t3', 'cash', 'alice', 1n));
  });

  it('reports the debit overflow before the credit overflow and before limits', () => {
    const h = bank();
    h.ok(xfer('s1', 'cash', 'vault', MAX_AMOUNT));
    // bob has nothing (exceeds_credits) and vault is full (overflows_credits); overflow is checked first.
    expect(h.submit(xfer('t1', 'bob', 'vault', 1n))).toEqual([failure('overflows_credits', 'amount')]);
    expect(h.submit(xfer('t2', 'cash', 'vault', 1n))).toEqual([failure('overflows_debits', 'amount')]);
  });
});

describe('idempotent replays', () => {
  it('returns the original transfer for the same id and fields, changing nothing', () => {
    const h = bank();
    const request = xfer('t1', 'cash', 'alice', 10n, { metadata: { a: 1, b: [2, 3] } });
    const [original] = h.ok(request);
    const before = h.snapshot();
    h.advance(60);

    const results = h.submit({ ...request, metadata: { b: [2, 3], a: 1 } }); // key order is not a difference
    expect(results).toEqual([{ ok: true, transfer: original, replayed: true }]);
    expect(okTransfer(results[0])).toBe(original);
    expect(h.snapshot()).toEqual(before);
    expect(h.effects.created).toEqual([]);
    expect(h.effects.touched_accounts.size).toBe(0);
    expect(h.effects.history).toEqual([]);
  });

  it('replays a duplicate within the same request', () => {
    const h = bank();
    const results = h.submit(xfer('t1', 'cash', 'alice', 10n), xfer('t1', 'cash', 'alice', 10n));
    expect(results[1]).toEqual({ ok: true, transfer: okTransfer(results[0]), replayed: true });
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 10n));
    expect(h.effects.created).toHaveLength(1);
  });

  it('replays regardless of what happened since (frozen account, resolved pending)', () => {
    const h = bank();
    const postRequest = post('t2', 'p1');
    const [, posted] = h.ok(hold('p1', 'cash', 'alice', 10n), postRequest);
    h.setStatus('alice', 'frozen');
    expect(h.submit(postRequest)).toEqual([{ ok: true, transfer: posted, replayed: true }]);
  });

  it.each<[string, Partial<TransferInput>]>([
    ['amount', { amount: 11n }],
    ['debit account', { debit_account_id: aid('vault') }],
    ['credit account', { credit_account_id: aid('bob') }],
    ['code', { code: 2 }],
    ['flags', { flags: TransferFlags.pending }],
    ['metadata', { metadata: { a: 2 } }],
    ['timeout_seconds zero vs absent', { timeout_seconds: 0 }],
  ])('treats a different %s as a conflict', (_name, change) => {
    const h = bank();
    h.ok(xfer('t1', 'cash', 'alice', 10n, { metadata: { a: 1 } }));
    expect(h.submit({ ...xfer('t1', 'cash', 'alice', 10n, { metadata: { a: 1 } }), ...change })).toEqual([
      failure('exists_with_different_fields', 'id'),
    ]);
  });

  it('treats absent and null metadata as the same request', () => {
    const plain = xfer('t1', 'cash', 'alice', 10n);
    expect(transferFingerprint({ ...plain, metadata: null })).toBe(transferFingerprint(plain));
  });

  it('does not let a failed request claim its id', () => {
    const h = bank();
    expect(h.submit(xfer('t1', 'bob', 'cash', 10n))[0]?.ok).toBe(false);
    h.fund('bob', 10n);
    expect(h.submit(xfer('t1', 'bob', 'cash', 10n))[0]).toMatchObject({ ok: true, replayed: false });
  });
});

describe('frozen and closed accounts', () => {
  it.each<[AccountStatus, TransferErrorCode]>([
    ['frozen', 'account_frozen'],
    ['closed', 'account_closed'],
  ])('%s: no new transfers either way, no posts, but voids and expiry release holds', (status, code) => {
    const h = bank();
    h.fund('alice', 100n);
    h.ok(hold('p1', 'alice', 'cash', 10n), hold('p2', 'cash', 'alice', 20n), hold('p3', 'alice', 'cash', 30n, { timeout_seconds: 5 }));
    h.setStatus('alice', status);

    expect(h.submit(xfer('t1', 'alice', 'cash', 1n))).toEqual([failure(code, 'debit_account_id')]);
    expect(h.submit(xfer('t2', 'cash', 'alice', 1n))).toEqual([failure(code, 'credit_account_id')]);
    expect(h.submit(hold('t3', 'cash', 'alice', 1n))).toEqual([failure(code, 'credit_account_id')]);
    expect(h.submit(post('t4', 'p1'))).toEqual([failure(code, 'debit_account_id')]);
    expect(h.submit(post('t5', 'p2'))).toEqual([failure(code, 'credit_account_id')]);

    h.ok(voidOf('v1', 'p1'), voidOf('v2', 'p2'));
    h.advance(5);
    expect(h.expire('p3')).toEqual(['p3']);
    expect(h.balances('alice')).toEqual(bal(0n, 0n, 0n, 100n));
  });

  it('reports the debit side first when both accounts are unusable', () => {
    const h = bank();
    h.setStatus('cash', 'frozen');
    h.setStatus('alice', 'closed');
    expect(h.submit(xfer('t1', 'cash', 'alice', 1n))).toEqual([failure('account_frozen', 'debit_account_id')]);
  });
});

describe('history', () => {
  it('records balances after each movement for accounts with the history flag only', () => {
    const h = bank();
    h.ok(xfer('t1', 'cash', 'alice', 100n));
    expect(h.effects.history).toEqual([{ account_id: 'alice', transfer_id: 't1', created_at: T0, ...bal(0n, 0n, 0n, 100n) }]);

    h.advance(1);
    h.ok(hold('p1', 'alice', 'bob', 40n, { timeout_seconds: 10 }), post('t2', 'p1', { amount: 15n }));
    expect(h.effects.history).toEqual([
      { account_id: 'alice', transfer_id: 'p1', created_at: h.now, ...bal(40n, 0n, 0n, 100n) },
      { account_id: 'alice', transfer_id: 't2', created_at: h.now, ...bal(0n, 15n, 0n, 100n) },
    ]);

    h.ok(hold('p2', 'alice', 'bob', 5n, { timeout_seconds: 10 }));
    h.advance(10);
    h.expire('p2');
    expect(h.effects.history).toEqual([{ account_id: 'alice', transfer_id: 'p2', created_at: h.now, ...bal(0n, 15n, 0n, 100n) }]);
  });

  it('records both sides when both keep history', () => {
    const h = bank();
    h.open('carol', AccountFlags.history);
    h.fund('alice', 10n);
    h.ok(xfer('t1', 'alice', 'carol', 4n));
    expect(h.effects.history.map((e) => [e.account_id, e.debits_posted, e.credits_posted])).toEqual([
      ['alice', 4n, 10n],
      ['carol', 0n, 4n],
    ]);
  });

  it('records nothing for accounts without the flag, nor for replays', () => {
    const h = bank();
    const request = xfer('t1', 'cash', 'bob', 5n);
    h.ok(request);
    expect(h.effects.history).toEqual([]);
    h.ok(xfer('t2', 'cash', 'alice', 5n));
    h.ok(xfer('t2', 'cash', 'alice', 5n));
    expect(h.effects.history).toEqual([]);
  });
});

describe('checkAccount and newAccount', () => {
  const input = { id: aid('acc'), currency: 'USD', code: 10, flags: AccountFlags.history, metadata: { tier: 'gold' } };

  it('accepts a well-formed new account', () => {
    expect(checkAccount(input, undefined)).toEqual({ ok: true });
  });

  it('rejects an unknown currency', () => {
    expect(checkAccount({ ...input, currency: 'XXX' }, undefined)).toEqual({ ok: false, code: 'unknown_currency', field: 'currency' });
    expect(checkAccount({ ...input, currency: 'usd' }, undefined)).toEqual({ ok: false, code: 'unknown_currency', field: 'currency' });
  });

  it('rejects both limit flags at once', () => {
    const flags = AccountFlags.debits_must_not_exceed_credits | AccountFlags.credits_must_not_exceed_debits;
    expect(checkAccount({ ...input, flags }, undefined)).toEqual({ ok: false, code: 'flags_are_mutually_exclusive', field: 'flags' });
  });

  it('accepts the same fields again, whatever the existing balances and status', () => {
    const existing = { ...newAccount(input, T0), credits_posted: 500n, status: 'frozen' as const };
    expect(checkAccount({ ...input, metadata: { tier: 'gold' } }, existing)).toEqual({ ok: true });
  });

  it.each<[string, Partial<typeof input>]>([
    ['currency', { currency: 'EUR' }],
    ['code', { code: 11 }],
    ['flags', { flags: 0 }],
    ['metadata', { metadata: { tier: 'silver' } }],
  ])('rejects an existing id with a different %s', (_name, change) => {
    expect(checkAccount({ ...input, ...change }, newAccount(input, T0))).toEqual({ ok: false, code: 'exists_with_different_fields', field: 'id' });
  });

  it('starts an account open with zero balances', () => {
    expect(newAccount({ id: aid('x'), currency: 'JPY', code: 1, flags: 0 }, T0)).toEqual({
      id: 'x',
      currency: 'JPY',
      code: 1,
      flags: 0,
      metadata: null,
      status: 'open',
      ...bal(0n, 0n, 0n, 0n),
      created_at: T0,
      updated_at: T0,
    });
  });
});

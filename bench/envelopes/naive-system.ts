/** The naive baseline under test: bench/envelopes/naive-server.ts in a child process, set up and checked through its /bench routes. */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../src/db/uuid.js';
import { derivedId } from '../../src/envelopes/core.js';
import { BATCH_SIZE_MAX } from '../../src/ledger/types.js';
import { ServerProcess } from '../lib/server-process.js';
import { expectStatus } from './api.js';
import type { NaiveEnvelopeState } from './naive.js';
import {
  BANK_ACCOUNT_CODE,
  CURRENCY,
  FUNDING_TRANSFER_CODE,
  RECIPIENT_ACCOUNT_CODE,
  SENDER_ACCOUNT_CODE,
  SENDER_CUSTOMER_ID,
  type CreatedEnvelope,
  type EnvelopeSpec,
  type EnvelopeState,
  type GrabSystem,
} from './system.js';

const NAIVE_SERVER = fileURLToPath(new URL('./naive-server.js', import.meta.url));

type NaiveStateJson = { [K in keyof NaiveEnvelopeState]: NaiveEnvelopeState[K] extends bigint ? string : NaiveEnvelopeState[K] };

export class NaiveSystem implements GrabSystem {
  readonly kind = 'naive' as const;
  private sender = '';

  private constructor(private readonly server: ServerProcess) {}

  get url(): string {
    return this.server.url;
  }

  get grab_token(): string {
    return this.server.token;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /** On PostgreSQL: a pg pool of `pool_size` on `where` (a database URL). On PGlite: its own data folder `where`. */
  static async start(engine: 'pglite' | 'postgres', where: string, pool_size: number): Promise<NaiveSystem> {
    return new NaiveSystem(await ServerProcess.start(NAIVE_SERVER, [engine, where, String(pool_size)], 'naive server'));
  }

  private api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    return expectStatus<T>(this.server.url, this.server.token, method, path, 200, body);
  }

  async setup(recipients: readonly string[], funding_minor: bigint): Promise<void> {
    const bank = uuidv7();
    this.sender = uuidv7();
    await this.api('POST', '/bench/accounts', { ids: [bank], currency: CURRENCY, code: BANK_ACCOUNT_CODE, limited: false });
    await this.api('POST', '/bench/accounts', { ids: [this.sender], currency: CURRENCY, code: SENDER_ACCOUNT_CODE, limited: true });
    for (let i = 0; i < recipients.length; i += BATCH_SIZE_MAX) {
      await this.api('POST', '/bench/accounts', { ids: recipients.slice(i, i + BATCH_SIZE_MAX), currency: CURRENCY, code: RECIPIENT_ACCOUNT_CODE, limited: false });
    }
    await this.api('POST', '/bench/transfers', { debit: bank, credit: this.sender, amount: funding_minor.toString(), currency: CURRENCY, code: FUNDING_TRANSFER_CODE });
  }

  async createEnvelopes(specs: readonly EnvelopeSpec[]): Promise<CreatedEnvelope[]> {
    const created: CreatedEnvelope[] = [];
    for (const spec of specs) {
      const envelope: CreatedEnvelope = { ...spec, holding_account_id: derivedId(spec.id, 'holding_account'), link_token: randomBytes(16).toString('base64url') };
      await this.api('POST', '/bench/envelopes', {
        id: spec.id,
        sender_customer_id: SENDER_CUSTOMER_ID,
        funding_account_id: this.sender,
        holding_account_id: envelope.holding_account_id,
        total_amount: spec.total_amount.toString(),
        share_count: spec.share_count,
        link_token: envelope.link_token,
        currency: CURRENCY,
      });
      created.push(envelope);
    }
    return created;
  }

  async state(envelope: CreatedEnvelope): Promise<EnvelopeState> {
    const s = await this.api<NaiveStateJson>('GET', `/bench/envelopes/${envelope.id}`);
    return {
      status: s.status,
      total_amount: BigInt(s.total_amount),
      claimed_count: s.claimed_count,
      claimed_amount: BigInt(s.claimed_amount),
      remaining_amount: BigInt(s.remaining_amount),
      remaining_shares: s.remaining_shares,
      refunded_amount: BigInt(s.refunded_amount),
      holding_balance: BigInt(s.holding_balance),
    };
  }

  invariants(): Promise<{ ok: boolean; detail: string }> {
    return this.api('GET', '/bench/invariants');
  }

  /** The database the naive server runs on: version() and, on PostgreSQL, the settings that decide write throughput. */
  engineInfo(): Promise<{ version: string; settings: Record<string, string> }> {
    return this.api('GET', '/bench/engine');
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

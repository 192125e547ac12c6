/**
 * Capillary under test: the real server (`capillary serve`, bench/lib/capillary-server.ts)
 * set up and checked through its public HTTP API with an admin key, while the load
 * generator grabs with a key that holds envelopes:write only.
 */
import { uuidv7 } from '../../src/db/uuid.js';
import { BATCH_SIZE_MAX } from '../../src/ledger/types.js';
import { CapillaryServer, createApiKey, type ServerStorage } from '../lib/capillary-server.js';
import { writerCounters, type WriterCounters } from '../lib/metrics.js';
import { expectStatus } from './api.js';
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

interface AccountJson {
  debits_posted: string;
  credits_posted: string;
}

interface EnvelopeJson {
  id: string;
  holding_account_id: string;
  link_token: string;
  status: string;
  total_amount: string;
  claimed_count: number;
  claimed_amount: string;
  remaining_amount: string;
  remaining_shares: number;
  refunded_amount: string;
}

/** Envelopes created at once (each is one joined work in the writer). */
const CREATE_IN_FLIGHT = 32;

export class CapillarySystem implements GrabSystem {
  readonly kind = 'capillary' as const;
  private sender = '';

  private constructor(
    private readonly server: CapillaryServer,
    private readonly admin_token: string,
    readonly grab_token: string,
  ) {}

  get url(): string {
    return this.server.url;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  /**
   * The admin key from the CLI (before the server starts: PGlite lets one process open its
   * folder), then `capillary serve`, then the grabbers' key (envelopes:write only) through
   * POST /v1/api-keys. `onServer` gets the server as soon as it runs, for cleanup.
   */
  static async start(storage: ServerStorage, onServer: (server: CapillaryServer) => void): Promise<CapillarySystem> {
    const admin = await createApiKey(storage, 'bench-envelopes-admin', ['admin']);
    const server = await CapillaryServer.start(storage);
    onServer(server);
    const { token } = await expectStatus<{ token: string }>(server.url, admin, 'POST', '/v1/api-keys', 201, { name: 'bench-envelopes-grabs', scopes: ['envelopes:write'] });
    return new CapillarySystem(server, admin, token);
  }

  private api<T>(method: 'GET' | 'POST', path: string, status: number | number[], body?: unknown): Promise<T> {
    return expectStatus<T>(this.server.url, this.admin_token, method, path, status, body);
  }

  async setup(recipients: readonly string[], funding_minor: bigint): Promise<void> {
    const bank = uuidv7();
    this.sender = uuidv7();
    const accounts = [
      { id: bank, currency: CURRENCY, code: BANK_ACCOUNT_CODE },
      { id: this.sender, currency: CURRENCY, code: SENDER_ACCOUNT_CODE, flags: { debits_must_not_exceed_credits: true } },
      ...recipients.map((id) => ({ id, currency: CURRENCY, code: RECIPIENT_ACCOUNT_CODE })),
    ];
    for (let i = 0; i < accounts.length; i += BATCH_SIZE_MAX) {
      const chunk = accounts.slice(i, i + BATCH_SIZE_MAX);
      const { results } = await this.api<{ results: Array<{ ok: boolean; code?: string }> }>('POST', '/v1/accounts', 200, chunk);
      const failed = results.find((r) => !r.ok);
      if (results.length !== chunk.length || failed) throw new Error(`POST /v1/accounts: ${results.length} results for ${chunk.length}; first failure ${JSON.stringify(failed)}`);
    }
    await this.api('POST', '/v1/transfers', 201, {
      id: uuidv7(),
      debit_account_id: bank,
      credit_account_id: this.sender,
      amount: funding_minor.toString(),
      code: FUNDING_TRANSFER_CODE,
    });
  }

  async createEnvelopes(specs: readonly EnvelopeSpec[]): Promise<CreatedEnvelope[]> {
    const created: CreatedEnvelope[] = [];
    for (let i = 0; i < specs.length; i += CREATE_IN_FLIGHT) {
      const slice = specs.slice(i, i + CREATE_IN_FLIGHT);
      const views = await Promise.all(
        slice.map((spec) =>
          this.api<EnvelopeJson>('POST', '/v1/envelopes', 201, {
            id: spec.id,
            sender_customer_id: SENDER_CUSTOMER_ID,
            funding_account_id: this.sender,
            total_amount: spec.total_amount.toString(),
            share_count: spec.share_count,
            mode: 'random',
          }),
        ),
      );
      views.forEach((view, j) => created.push({ ...slice[j]!, holding_account_id: view.holding_account_id, link_token: view.link_token }));
    }
    return created;
  }

  async state(envelope: CreatedEnvelope): Promise<EnvelopeState> {
    const view = await this.api<EnvelopeJson>('GET', `/v1/envelopes/${envelope.id}`, 200);
    const holding = await this.api<AccountJson>('GET', `/v1/accounts/${envelope.holding_account_id}`, 200);
    return {
      status: view.status,
      total_amount: BigInt(view.total_amount),
      claimed_count: view.claimed_count,
      claimed_amount: BigInt(view.claimed_amount),
      remaining_amount: BigInt(view.remaining_amount),
      remaining_shares: view.remaining_shares,
      refunded_amount: BigInt(view.refunded_amount),
      holding_balance: BigInt(holding.credits_posted) - BigInt(holding.debits_posted),
    };
  }

  async invariants(): Promise<{ ok: boolean; detail: string }> {
    const report = await this.api<{ ok: boolean; accounts_over_limit: unknown[]; accounts_not_matching_transfers: unknown[]; currencies: unknown[] }>(
      'GET',
      '/v1/ledger/invariants',
      200,
    );
    return {
      ok: report.ok === true,
      detail: `GET /v1/ledger/invariants: ok ${report.ok}, ${report.accounts_over_limit.length} accounts over limit, ` +
        `${report.accounts_not_matching_transfers.length} not matching their transfers, currencies ${JSON.stringify(report.currencies)}`,
    };
  }

  writerCounters(): Promise<WriterCounters> {
    return writerCounters({ url: this.server.url, token: this.admin_token });
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

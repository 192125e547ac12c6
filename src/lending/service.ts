/**
 * Lending's entry points for HTTP, the CLI and the demo seed: products, applications and
 * their automatic decision, accepting an offer (the loan is opened in the ledger), and
 * servicing. Ties the pure core, the store, the ledger and the risk engine together so
 * every surface behaves the same.
 */
import type { Db } from '../db/port.js';
import { derivedUuid } from '../db/uuid.js';
import { fingerprint } from '../ledger/fingerprint.js';
import type { Ledger } from '../ledger/service.js';
import { getAccounts, postedLines, recentMovement, STATEMENT_LINES_MAX } from '../ledger/store.js';
import type { AccountId, Transfer } from '../ledger/types.js';
import type { Risk } from '../risk/service.js';
import * as riskStore from '../risk/store.js';
import { validateScorecard, type Scorecard } from '../risk/scorecard.js';
import type { Clock } from '../server/clock.js';
import { bankAccount, bankAccountCode, LOAN_ACCOUNT_CODES, loanAccounts, postingId, RECEIVABLE_FLAGS, type BankAccountKind, type LoanAccountKind } from './accounts.js';
import { LOAN_CATEGORIES } from './aging.js';
import { CREDIT_MODEL_ID, CREDIT_MODEL_METRICS, trainCreditScorecard } from './credit-model.js';
import { addDays, businessDate, daysBetween, type BusinessDate } from './dates.js';
import { decide, LENDING_POLICY, pricedProduct, type BusinessFacts, type Decision, type LendingPolicy } from './decision.js';
import { quotePayoff, rowsFromSchedule, scheduleOf, unpaidFees, type InstalmentRow } from './loan-state.js';
import { validateProduct, type LoanProduct, type ProductInput } from './products.js';
import { lineExample, lineTerms, maturityOf, type LineExample } from './credit-line.js';
import { lineCatchUp, lineRowsMismatch, openingLine, quoteLinePayoff } from './line-state.js';
import { lineStateOf, lineTermsOf } from './line-servicing.js';
import { buildSchedule, originationFee, type Schedule } from './schedule.js';
import { CATCH_UP_DAYS_MAX, jsonSafe, loanState, openWork, operationWork, type OpenOutcome, type OperationOutcome, type OperationRequest, type Refusal } from './servicing.js';
import * as store from './store.js';
import { recoveryWork } from './recoveries.js';

/** Turnover is read over this window, from at most TURNOVER_TRANSFERS_MAX transfers a side. */
export const TURNOVER_DAYS = 90;
export const TURNOVER_TRANSFERS_MAX = 10_000;
/** How long a process trusts the credit model it loaded before asking for a newer version. */
export const MODEL_RECHECK_MS = 30_000;
export const PRODUCT_VERSIONS_SHOWN_MAX = 100;
export const PRODUCT_VERSIONS_CACHED_MAX = 1_000;
/** A payoff quote may look this far ahead. */
export const QUOTE_DAYS_AHEAD_MAX = 366;

export const businessDateOf = (now: Date): BusinessDate => businessDate(now.toISOString().slice(0, 10));

export interface ProductView {
  record: store.ProductRecord;
  product: LoanProduct;
}

export interface ApplicationInput {
  id: string;
  customer_id: string;
  account_id: string;
  product_id: string;
  amount_minor: bigint;
  term_periods: number;
  business: BusinessFacts & { employees?: number | undefined };
  device_id?: string | undefined;
  ip?: string | undefined;
  channel?: string | undefined;
}

export type ApplyOutcome = { ok: true; application: store.ApplicationRecord; replayed: boolean } | Refusal;

export interface AcceptInput {
  /** A revolving line's limit. */
  amount_minor?: bigint | undefined;
  term_periods?: number | undefined;
  /** A revolving line only: drawn at once, in the opening chain (default nothing). */
  draw_minor?: bigint | undefined;
}

/** What an offer shows before acceptance: a loan's schedule, or a revolving line's terms and example. */
export type OfferPreview = { schedule: Schedule; line: null } | { schedule: null; line: LineExample };

export interface LoanBalances {
  principal: bigint;
  interest: bigint;
  penalty: bigint;
  fee: bigint;
}

export interface LoanDetail {
  loan: store.LoanRecord;
  product: LoanProduct;
  term_periods: number;
  band: string | null;
  rows: InstalmentRow[];
  /** Debit balances of the loan's four ledger accounts. */
  ledger: LoanBalances;
  /** The same four from the loan row and its schedule. */
  book: LoanBalances;
  reconciled: boolean;
}

export interface StatementLine {
  transfer: Transfer;
  account: LoanAccountKind;
  side: 'debit' | 'credit';
  /** The account's debit balance after the line. */
  balance_after: bigint;
}

export class Lending {
  private model: { id: string; version: number; card: Scorecard; checked_ms: number } | undefined;
  private modelLoading: Promise<{ id: string; version: number; card: Scorecard }> | undefined;
  private readonly versions = new Map<string, LoanProduct>();

  constructor(
    readonly db: Db,
    private readonly ledger: Ledger,
    private readonly risk: Risk,
    private readonly clock: Clock,
    readonly policy: LendingPolicy = LENDING_POLICY,
  ) {}

  /** Trains and stores the credit model if there is none yet (once per database), and loads it. */
  async start(): Promise<void> {
    await this.creditModel();
  }

  /** Resolves when the risk engine has rebuilt its features (a fresh process, e.g. the CLI). */
  riskReady(): Promise<void> {
    return this.risk.engine.start();
  }

  // ---------------------------------------------------------------- products

  /**
   * Saves a product as a new version (the body is every field but id and version). The same
   * body as the latest version saves nothing and returns that version (`created: false`).
   */
  async saveProduct(id: string, body: Omit<ProductInput, 'id' | 'version'>, actor: string): Promise<{ ok: true; view: ProductView; created: boolean } | Refusal> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const latest = await store.latestProduct(this.db, id);
      const version = (latest?.version ?? 0) + 1;
      const checked = validateProduct({ ...body, id, version } as ProductInput);
      if (!checked.ok) return { ok: false, code: 'invalid_loan_product', field: checked.field, detail: `${checked.code}: ${checked.detail}` };
      if (latest && latest.status === 'active' && sameProduct(latest.body, productJson(checked.product))) {
        return { ok: true, view: { record: latest, product: this.productOf(latest) }, created: false };
      }
      const record: store.ProductRecord = { id, version, body: productJson(checked.product), status: 'active', created_by: actor, created_at: this.clock.now() };
      if (await store.insertProductVersion(this.db, record)) return { ok: true, view: { record, product: checked.product }, created: true };
    }
    throw new Error(`product ${id}: lost the race for a version number three times`);
  }

  productOf(record: store.ProductRecord): LoanProduct {
    return productFromJson(record.body, `product ${record.id} v${record.version}`);
  }

  async getProduct(id: string): Promise<{ latest: ProductView; versions: store.ProductRecord[] } | undefined> {
    const versions = await store.productVersions(this.db, id, PRODUCT_VERSIONS_SHOWN_MAX);
    const latest = versions[0];
    return latest ? { latest: { record: latest, product: this.productOf(latest) }, versions } : undefined;
  }

  async listProducts(after: string | undefined, limit: number): Promise<ProductView[]> {
    return (await store.listLatestProducts(this.db, after, limit)).map((record) => ({ record, product: this.productOf(record) }));
  }

  /** Retires the latest version: no new applications; loans already written keep their terms. Saving again makes a new active version. */
  async retireProduct(id: string): Promise<{ ok: true; view: ProductView } | Refusal> {
    const latest = await store.latestProduct(this.db, id);
    if (!latest) return { ok: false, code: 'loan_product_not_found', detail: `no loan product ${id}` };
    if (latest.status !== 'retired') await store.setProductStatus(this.db, id, latest.version, 'retired');
    const record = { ...latest, status: 'retired' as const };
    return { ok: true, view: { record, product: this.productOf(record) } };
  }

  // ---------------------------------------------------------------- the credit model

  /** The latest stored version of the credit scorecard; trains and stores version 1 on first use. */
  async creditModel(): Promise<{ id: string; version: number; card: Scorecard }> {
    const now = Date.now();
    if (this.model && now - this.model.checked_ms < MODEL_RECHECK_MS) return this.model;
    this.modelLoading ??= this.loadModel().finally(() => (this.modelLoading = undefined));
    return this.modelLoading;
  }

  private async loadModel(): Promise<{ id: string; version: number; card: Scorecard }> {
    let latest = await this.latestCreditModel();
    if (!latest) {
      const saved = await this.risk.saveModel(CREDIT_MODEL_ID, 'scorecard', trainCreditScorecard(), CREDIT_MODEL_METRICS, 'lending (built-in, trained on first start)').catch(() => undefined);
      if (saved && !saved.ok) throw new Error(`the built-in credit scorecard does not load: ${saved.message}`);
      // Another process may have stored it at the same moment: read whichever is there.
      latest = await this.latestCreditModel();
      if (!latest) throw new Error('the credit model could not be stored');
    }
    if (this.model && this.model.version === latest.version) {
      this.model.checked_ms = Date.now();
      return this.model;
    }
    const stored = await riskStore.getModel(this.db, CREDIT_MODEL_ID, latest.version);
    const checked = validateScorecard(stored?.body);
    if (!checked.ok) throw new Error(`${CREDIT_MODEL_ID} v${latest.version} is not a valid scorecard: ${checked.message}`);
    this.model = { id: CREDIT_MODEL_ID, version: latest.version, card: checked.card, checked_ms: Date.now() };
    return this.model;
  }

  private async latestCreditModel(): Promise<{ version: number } | undefined> {
    // Scorecards only: the decision explains itself by the card's bins.
    return (await riskStore.listModels(this.db)).find((m) => m.id === CREDIT_MODEL_ID && m.kind === 'scorecard');
  }

  // ---------------------------------------------------------------- applications

  /**
   * Decides an application at once: eligibility, the risk engine, the credit score, the
   * band's limit and price, and the offer with its schedule. The same id with the same body
   * returns the first decision; with another body it is a conflict and nothing changes.
   */
  async apply(input: ApplicationInput): Promise<ApplyOutcome> {
    const started = performance.now();
    const sent = fingerprint(input);
    const earlier = await store.getApplication(this.db, input.id);
    if (earlier) return this.replayApplication(earlier, sent);

    const productRecord = await store.latestProduct(this.db, input.product_id);
    if (!productRecord) return { ok: false, code: 'loan_product_not_found', field: 'product_id', detail: `no loan product ${input.product_id}` };
    if (productRecord.status === 'retired') return { ok: false, code: 'loan_product_retired', field: 'product_id', detail: `loan product ${input.product_id} is retired` };
    const product = this.productOf(productRecord);
    const account = await this.ledger.getAccount(input.account_id);
    if (!account) return { ok: false, code: 'account_not_found', field: 'account_id', detail: `no account ${input.account_id}` };

    const now = this.clock.now();
    const [turnover, exposure, model, risk] = await Promise.all([
      recentMovement(this.db, input.account_id, new Date(now.getTime() - TURNOVER_DAYS * 86_400_000), TURNOVER_TRANSFERS_MAX),
      store.activeExposure(this.db, input.customer_id),
      this.creditModel(),
      this.riskVerdict(input, product, sent, now),
    ]);
    const owner = account.metadata?.customer_id;
    const decision = decide({
      customer_id: input.customer_id,
      amount_minor: input.amount_minor,
      term_periods: input.term_periods,
      business: input.business,
      product,
      account: {
        currency: account.currency,
        status: account.status,
        owner_customer_id: typeof owner === 'string' ? owner : null,
        balance_minor: account.credits_posted - account.debits_posted,
      },
      turnover: { credits_minor: turnover.credits, debits_minor: turnover.debits, transfers: turnover.transfers, capped: turnover.capped },
      active_loans: exposure,
      risk,
      card: model.card,
      model: { id: model.id, version: model.version },
      start_date: businessDateOf(now),
      policy: this.policy,
    });
    const decision_ms = performance.now() - started;
    const application: store.ApplicationRecord = {
      id: input.id,
      customer_id: input.customer_id,
      account_id: input.account_id,
      product_id: product.id,
      product_version: product.version,
      requested_amount: input.amount_minor,
      requested_term: input.term_periods,
      business: businessJson(input),
      fingerprint: sent,
      status: decision.status,
      decision: jsonSafe({ ...decision, start_date: businessDateOf(now) }),
      offer_amount: decision.offer?.amount_minor ?? null,
      offer_term: decision.offer?.term_periods ?? null,
      offer_rate_percent: decision.offer?.annual_rate_percent ?? null,
      decision_ms,
      offer_expires_at: decision.status === 'approved' ? new Date(now.getTime() + this.policy.offer_valid_days * 86_400_000) : null,
      created_at: now,
      updated_at: now,
    };
    if (await store.insertApplication(this.db, application)) return { ok: true, application, replayed: false };
    // The same id arrived twice at once: the first one's decision stands.
    return this.replayApplication((await store.getApplication(this.db, input.id))!, sent);
  }

  private replayApplication(earlier: store.ApplicationRecord, sent: string): ApplyOutcome {
    if (earlier.fingerprint === sent) return { ok: true, application: earlier, replayed: true };
    return { ok: false, code: 'exists_with_different_fields', field: 'id', detail: `application ${earlier.id} was sent with other fields` };
  }

  /** The risk engine's verdict on the application as a `loan_application` event (its id derived from the application's). */
  private async riskVerdict(input: ApplicationInput, product: LoanProduct, sent: string, now: Date): Promise<Decision['risk']> {
    const id = derivedUuid(`capillary:loan-application:${input.id.toLowerCase()}:risk`);
    const decided = await this.risk.engine.decide(
      {
        id,
        type: 'loan_application',
        customer_id: input.customer_id,
        occurred_at: now,
        amount: input.amount_minor,
        currency: product.currency,
        account_id: input.account_id,
        device_id: input.device_id,
        ip: input.ip,
        channel: input.channel ?? 'lending',
        attributes: { product_id: product.id, term_periods: input.term_periods, industry: input.business.industry, months_trading: input.business.months_trading },
      },
      { sent: { application_id: input.id, fingerprint: sent } },
    );
    if (!decided.ok) throw new Error(`risk decision ${id} for application ${input.id} conflicts with an earlier one`);
    const d = decided.decision;
    return { decision_id: d.decision_id, outcome: d.outcome, rules: d.fired.map((f) => ({ id: f.rule_id, reason: f.reason })) };
  }

  getApplication(id: string): Promise<store.ApplicationRecord | undefined> {
    return store.getApplication(this.db, id);
  }

  async loanIdOfApplication(id: string): Promise<string | null> {
    return (await store.loanOfApplication(this.db, id))?.id ?? null;
  }

  listApplications(filter: store.ApplicationFilter, after: store.PageAfter | undefined, limit: number): Promise<store.ApplicationRecord[]> {
    return store.listApplications(this.db, filter, after, limit);
  }

  /**
   * The offer's schedule, as it would be if accepted today (the loan starts on the accept
   * date); for a revolving line, its terms and an example cycle instead (credit-line.ts).
   */
  async offerPreview(application: store.ApplicationRecord, start: BusinessDate = businessDateOf(this.clock.now())): Promise<OfferPreview | null> {
    if (application.offer_amount === null || application.offer_term === null || application.offer_rate_percent === null) return null;
    const product = await this.productVersionOf(application);
    if (product.repayment_method === 'revolving') return { schedule: null, line: lineExample(product, application.offer_amount, application.offer_term, start) };
    const built = buildSchedule({ product, principal_minor: application.offer_amount, term_periods: application.offer_term, start_date: start });
    if (!built.ok) throw new Error(`application ${application.id}: its offer makes no schedule (${built.detail})`);
    return { schedule: built.schedule, line: null };
  }

  /** A product version's terms never change (only its status does), so each process keeps the ones it read. */
  private async productVersion(id: string, version: number): Promise<LoanProduct | undefined> {
    const key = `${id}\u0000${version}`;
    const cached = this.versions.get(key);
    if (cached) return cached;
    const record = await store.productVersion(this.db, id, version);
    if (!record) return undefined;
    const product = this.productOf(record);
    if (this.versions.size >= PRODUCT_VERSIONS_CACHED_MAX) this.versions.clear();
    this.versions.set(key, product);
    return product;
  }

  private async productVersionOf(application: store.ApplicationRecord): Promise<LoanProduct> {
    const product = await this.productVersion(application.product_id, application.product_version);
    if (!product) throw new Error(`application ${application.id}: product ${application.product_id} v${application.product_version} is gone`);
    const priced = pricedProduct(product, application.offer_rate_percent ?? product.annual_rate_percent);
    if (!priced) throw new Error(`application ${application.id}: the offer's rate ${application.offer_rate_percent} does not parse`);
    return priced;
  }

  /** An analyst's answer to a referred application: approve (the offer stands, valid from now) or decline. */
  async review(id: string, outcome: 'approve' | 'decline', comment: string, actor: string): Promise<{ ok: true; application: store.ApplicationRecord } | Refusal> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      const application = await store.lockApplication(tx, id);
      if (!application) return { ok: false, code: 'loan_application_not_found', detail: `no loan application ${id}` };
      if (application.status !== 'referred') return { ok: false, code: 'application_not_referred', detail: `the application is ${application.status}` };
      const review = { outcome, comment, by: actor, at: now.toISOString() };
      const decision = { ...application.decision, review };
      const approved = outcome === 'approve';
      const expires = approved ? new Date(now.getTime() + this.policy.offer_valid_days * 86_400_000) : null;
      await store.setApplicationStatus(tx, id, approved ? 'approved' : 'declined', now, { offer_expires_at: expires, decision });
      return { ok: true, application: { ...application, status: approved ? 'approved' : 'declined', decision, offer_expires_at: expires, updated_at: now } };
    });
  }

  /**
   * Accepts the offer (optionally a lower amount or shorter term within it): opens the loan
   * in the ledger — its four accounts, the bank's accounts for the currency if missing, and
   * one linked chain: the disbursement to the customer's account and the origination fee
   * into the fee receivable — and writes the loan and its schedule in the same transaction.
   */
  async accept(id: string, input: AcceptInput): Promise<OpenOutcome> {
    const application = await store.getApplication(this.db, id);
    if (!application) return { ok: false, code: 'loan_application_not_found', detail: `no loan application ${id}` };
    if (application.status === 'accepted') {
      const loan = (await store.loanOfApplication(this.db, id))!;
      const amount = loan.line?.credit_limit ?? loan.principal;
      const draw = loan.line ? ((await store.getOperation(this.db, initialDrawdownId(loan.id)))?.amount ?? 0n) : undefined;
      const differs = (input.amount_minor !== undefined && input.amount_minor !== amount) || (input.term_periods !== undefined && input.term_periods !== termOf(loan))
        || (input.draw_minor !== undefined && input.draw_minor !== draw);
      if (differs) return { ok: false, code: 'application_already_accepted', detail: `the offer was accepted as loan ${loan.id} for ${amount} over ${termOf(loan)} periods${draw !== undefined ? `, ${draw} drawn at opening` : ''}` };
      return { ok: true, loan, replayed: true };
    }
    const now = this.clock.now();
    if (application.status === 'expired' || (application.status === 'approved' && application.offer_expires_at && now > application.offer_expires_at)) {
      if (application.status === 'approved') await store.setApplicationStatus(this.db, id, 'expired', now);
      return { ok: false, code: 'offer_expired', detail: `the offer expired at ${application.offer_expires_at?.toISOString()}` };
    }
    if (application.status !== 'approved') return { ok: false, code: 'application_not_approved', detail: `the application is ${application.status}` };

    const product = await this.productVersionOf(application);
    const amount = input.amount_minor ?? application.offer_amount!;
    const term = input.term_periods ?? application.offer_term!;
    if (amount > application.offer_amount! || amount < product.amount_min_minor) {
      return { ok: false, code: 'outside_offer', field: 'amount', detail: `the offer lends ${product.amount_min_minor}..${application.offer_amount}` };
    }
    if (term > application.offer_term! || term < product.term_min_periods) {
      return { ok: false, code: 'outside_offer', field: 'term', detail: `the offer's term is ${product.term_min_periods}..${application.offer_term} periods` };
    }
    const start = businessDateOf(now);
    const loanId = loanIdOf(id);
    const revolving = product.repayment_method === 'revolving';
    if (!revolving && input.draw_minor !== undefined) return { ok: false, code: 'not_a_credit_line', field: 'draw', detail: `a ${product.repayment_method} loan pays out its amount; only a revolving line takes a draw` };
    let opened: { rows: InstalmentRow[]; maturity_date: BusinessDate; principal: bigint; line: store.LineRecord | null; initial_drawdown?: store.OperationRecord };
    if (revolving) {
      const draw = input.draw_minor ?? 0n;
      if (draw > amount) return { ok: false, code: 'outside_offer', field: 'draw', detail: `the initial drawdown is at most the line's limit ${amount}` };
      const terms = lineTerms(product, start, term);
      const line = openingLine(terms, amount, draw, originationFee(product, amount));
      opened = { rows: [line.row], maturity_date: maturityOf(terms), principal: draw, line: line.record, initial_drawdown: draw > 0n ? initialDrawdown(loanId, id, start, draw, now) : undefined };
    } else {
      const built = buildSchedule({ product, principal_minor: amount, term_periods: term, start_date: start });
      if (!built.ok) return { ok: false, code: 'outside_offer', field: built.field === 'term_periods' ? 'term' : 'amount', detail: built.detail };
      const rows = rowsFromSchedule(built.schedule, 1);
      opened = { rows, maturity_date: rows[rows.length - 1]!.due_date, principal: amount, line: null };
    }
    const accounts = loanAccounts(loanId);
    await this.openAccounts(loanId, product.currency);
    const decision = application.decision as { offer?: { band?: string } };
    const loan: store.LoanRecord = {
      id: loanId,
      application_id: id,
      customer_id: application.customer_id,
      account_id: application.account_id,
      currency: product.currency,
      product_id: product.id,
      product_version: product.version,
      terms: { ...productJson(product), term_periods: term, band: decision.offer?.band ?? null, policy_version: this.policy.version },
      principal: opened.principal,
      start_date: start,
      maturity_date: opened.maturity_date,
      status: 'active',
      principal_account_id: accounts.principal,
      interest_account_id: accounts.interest,
      penalty_account_id: accounts.penalty,
      fee_account_id: accounts.fee,
      outstanding_principal: opened.principal,
      accrued_interest: 0n,
      penalty_due: 0n,
      days_past_due: 0,
      category: 'normal',
      last_cob_date: null,
      last_accrual_date: null,
      closed_at: null,
      created_at: now,
      updated_at: now,
      recovered: 0n,
      line: opened.line,
    };
    const fee = originationFee(product, amount);
    const opening = { application_id: id, loan, rows: opened.rows, fee_minor: fee, initial_drawdown: opened.initial_drawdown };
    return this.ledger.writer.join(openWork(opening, { loan_id: loanId, currency: product.currency, account_id: application.account_id, accounts }));
  }

  /**
   * The loan's four receivables and the bank's lending accounts in its currency (idempotent:
   * ids are derived, and the shapes are the ones COB opens the bank's accounts with: flags
   * 0, no metadata, so whichever opens one first, the other's repeat is a no-op).
   */
  private async openAccounts(loanId: string, currency: string): Promise<void> {
    const accounts = loanAccounts(loanId);
    const kinds: BankAccountKind[] = ['interest_income', 'penalty_income', 'fee_income', 'provision_expense', 'write_off_expense', ...LOAN_CATEGORIES.map((c) => `allowance_${c}` as const)];
    const results = await this.ledger.createAccounts([
      ...(Object.keys(accounts) as LoanAccountKind[]).map((kind) => ({
        id: accounts[kind] as AccountId,
        currency,
        code: LOAN_ACCOUNT_CODES[kind],
        flags: RECEIVABLE_FLAGS,
      })),
      ...kinds.map((kind) => ({ id: bankAccount(kind, currency) as AccountId, currency, code: bankAccountCode(kind), flags: 0 })),
    ]);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw new Error(`opening the lending accounts of loan ${loanId} failed: ${failed.code}`);
  }

  // ---------------------------------------------------------------- loans

  async getLoan(id: string): Promise<LoanDetail | undefined> {
    const loan = await store.getLoan(this.db, id);
    return loan ? (await this.details([loan]))[0] : undefined;
  }

  /** Each loan with its schedule rows and its ledger balances beside the book's: three queries for the whole page. */
  async details(loans: readonly store.LoanRecord[]): Promise<LoanDetail[]> {
    const ids = loans.map((l) => l.id);
    const [instalments, read] = await Promise.all([
      store.instalmentsOfLoans(this.db, ids),
      getAccounts(this.db, ids.flatMap((id) => Object.values(loanAccounts(id)))),
    ]);
    return loans.map((loan) => {
      const all = instalments.get(loan.id) ?? [];
      const accounts = loanAccounts(loan.id);
      const balance = (accountId: string) => {
        const a = read.get(accountId);
        return a ? a.debits_posted - a.credits_posted : 0n;
      };
      const ledger = { principal: balance(accounts.principal), interest: balance(accounts.interest), penalty: balance(accounts.penalty), fee: balance(accounts.fee) };
      const book = { principal: loan.outstanding_principal, interest: loan.accrued_interest, penalty: loan.penalty_due, fee: unpaidFees(all) };
      const line = loan.line;
      const rowsAgree = !line || lineRowsMismatch(all, { outstanding_principal: loan.outstanding_principal, accrued_interest: loan.accrued_interest, ...line }) === null;
      const reconciled = ledger.principal === book.principal && ledger.interest === book.interest && ledger.penalty === book.penalty && ledger.fee === book.fee && rowsAgree;
      const band = loan.terms.band;
      return { loan, product: this.loanProduct(loan.terms), term_periods: termOf(loan), band: typeof band === 'string' ? band : null, rows: all, ledger, book, reconciled };
    });
  }

  loanProduct(terms: Record<string, unknown>): LoanProduct {
    return productFromJson(terms, 'loan terms');
  }

  listLoans(filter: { customer_id?: string | undefined; status?: store.LoanStatus | undefined }, after: store.PageAfter | undefined, limit: number): Promise<store.LoanRecord[]> {
    return store.listLoans(this.db, filter, after, limit);
  }

  /** The loan's postings from the ledger: every transfer on its four accounts, oldest first, with each account's balance after it. */
  async statement(loan: store.LoanRecord): Promise<{ lines: StatementLine[]; truncated: boolean }> {
    const accounts = loanAccounts(loan.id);
    const from = new Date(0);
    const to = new Date(this.clock.now().getTime() + 1);
    const kinds = Object.keys(accounts) as LoanAccountKind[];
    const perAccount = await Promise.all(kinds.map((kind) => postedLines(this.db, accounts[kind], from, to, STATEMENT_LINES_MAX + 1)));
    const truncated = perAccount.some((lines) => lines.length > STATEMENT_LINES_MAX);
    const balances = new Map<LoanAccountKind, bigint>(kinds.map((k) => [k, 0n]));
    const merged = perAccount
      .flatMap((lines, i) => lines.slice(0, STATEMENT_LINES_MAX).map((transfer) => ({ transfer, account: kinds[i]! })))
      .sort((a, b) => (a.transfer.seq! < b.transfer.seq! ? -1 : a.transfer.seq! > b.transfer.seq! ? 1 : 0));
    const lines = merged.map(({ transfer, account }): StatementLine => {
      const side = transfer.debit_account_id === accounts[account] ? 'debit' : 'credit';
      const balance = balances.get(account)! + (side === 'debit' ? transfer.amount : -transfer.amount);
      balances.set(account, balance);
      return { transfer, account, side, balance_after: balance };
    });
    return { lines, truncated };
  }

  /** What paying everything off on `date` would take (default today); penalties COB may charge before then are not in it. */
  async payoffQuote(loan: store.LoanRecord, date: BusinessDate | undefined): Promise<{ ok: true; date: BusinessDate; quote: Extract<ReturnType<typeof quotePayoff>, { ok: true }> } | Refusal> {
    if (loan.status !== 'active') return { ok: false, code: 'loan_not_active', detail: `the loan is ${loan.status}` };
    const today = businessDateOf(this.clock.now());
    const on = date ?? today;
    if (on < today || daysBetween(today, on) > QUOTE_DAYS_AHEAD_MAX) {
      return { ok: false, code: 'quote_date_out_of_range', field: 'date', detail: `a quote is for ${today}..${addDays(today, QUOTE_DAYS_AHEAD_MAX)}` };
    }
    const product = this.loanProduct(loan.terms);
    const rows = await store.instalmentsOf(this.db, loan.id);
    if (loan.line) {
      // What COB (or a payment) will have done by then: the days' interest before the date and the statements due by it.
      const caught = lineCatchUp(lineStateOf(loan, rows), lineTermsOf(loan, product), on).state;
      const quote = quoteLinePayoff(caught, on);
      return { ok: true, date: on, quote: { ok: true, quote, due_minor: quote.arrears.penalty_minor + quote.arrears.fee_minor + quote.arrears.interest_minor + quote.arrears.principal_minor } };
    }
    const state = loanState(loan, rows);
    const quoted = quotePayoff(product, state, on);
    if (!quoted.ok) return { ok: false, code: quoted.code, field: 'date', detail: quoted.detail };
    return { ok: true, date: on, quote: quoted };
  }

  /** Repayment, payoff, restructure or write-off of a loan, by the client's operation id. */
  async operate(loanId: string, operationId: string, request: OperationRequest): Promise<OperationOutcome> {
    const loan = await store.getLoan(this.db, loanId);
    if (!loan) return { ok: false, code: 'loan_not_found', detail: `no loan ${loanId}` };
    const today = businessDateOf(this.clock.now());
    // Room for the interest catch-up (days COB has not accrued yet) and the request's own chain.
    const behind = loan.last_accrual_date ? daysBetween(loan.last_accrual_date, today) : daysBetween(loan.start_date, today) + 1;
    const transfers_max = Math.min(Math.max(behind, 0), CATCH_UP_DAYS_MAX) + 8;
    return this.ledger.writer.join(
      operationWork(
        {
          loan_id: loanId,
          operation_id: operationId,
          fingerprint: fingerprint({ loan_id: loanId, ...request }),
          today,
          request,
          product: (terms) => this.loanProduct(terms),
        },
        transfers_max,
      ),
    );
  }

  /** Money recovered on a written-off loan (recoveries.ts), by the client's operation id. */
  async recover(loanId: string, operationId: string, amount_minor: bigint, from_account_id: string | undefined): Promise<OperationOutcome> {
    const loan = await store.getLoan(this.db, loanId);
    if (!loan) return { ok: false, code: 'loan_not_found', detail: `no loan ${loanId}` };
    // The bank's recovery income account in the loan's currency (idempotent: its id is derived).
    const opened = await this.ledger.createAccounts([{ id: bankAccount('recovery_income', loan.currency) as AccountId, currency: loan.currency, code: bankAccountCode('recovery_income'), flags: 0 }]);
    if (!opened[0]!.ok) throw new Error(`opening the recovery income account in ${loan.currency} failed: ${opened[0]!.code}`);
    const today = businessDateOf(this.clock.now());
    return this.ledger.writer.join(
      recoveryWork({ loan_id: loanId, operation_id: operationId, fingerprint: fingerprint({ loan_id: loanId, kind: 'recovery', amount_minor, from_account_id }), today, amount_minor, from_account_id }),
    );
  }

  getOperation(id: string): Promise<store.OperationRecord | undefined> {
    return store.getOperation(this.db, id);
  }

  operationsOf(loanId: string): Promise<store.OperationRecord[]> {
    return store.operationsOf(this.db, loanId, 1_000);
  }

  /** The loan's current schedule as the core sees it (rows that are not superseded). */
  currentSchedule(detail: LoanDetail): Schedule {
    return scheduleOf(detail.product, detail.loan.start_date, detail.rows.filter((r) => r.status !== 'superseded'));
  }
}

export const loanIdOf = (applicationId: string): string => derivedUuid(`capillary:loan-application:${applicationId.toLowerCase()}:loan`);

/** The operation id of a line's drawdown with its acceptance (the client chose no id for it). */
export const initialDrawdownId = (loanId: string): string => derivedUuid(`capillary:loan:${loanId.toLowerCase()}:operation:drawdown:open`);

function initialDrawdown(loanId: string, applicationId: string, date: BusinessDate, amount: bigint, now: Date): store.OperationRecord {
  return store.uncomponentedOperation({
    id: initialDrawdownId(loanId),
    loan_id: loanId,
    kind: 'drawdown',
    fingerprint: fingerprint({ application_id: applicationId, kind: 'drawdown', amount_minor: amount }),
    business_date: date,
    amount,
    result: jsonSafe({ opening: true, transfer_ids: [postingId(loanId, 'drawdown', 'open')] }),
    created_at: now,
  });
}

const termOf = (loan: store.LoanRecord): number => Number(loan.terms.term_periods);

/** The business facts as the API names them (money as strings), with the risk-only fields. */
function businessJson(input: ApplicationInput): Record<string, unknown> {
  const b = input.business;
  return jsonSafe({
    industry: b.industry,
    months_trading: b.months_trading,
    annual_revenue: b.annual_revenue_minor,
    existing_debt: b.existing_debt_minor,
    owner_age: b.owner_age,
    purpose: b.purpose,
    employees: b.employees,
    device_id: input.device_id,
    ip: input.ip,
    channel: input.channel,
  });
}

/** A product as stored: ProductInput's JSON form (money as decimal strings). */
export function productJson(p: LoanProduct): Record<string, unknown> {
  return {
    id: p.id,
    version: p.version,
    name: p.name,
    currency: p.currency,
    amount_min_minor: p.amount_min_minor.toString(),
    amount_max_minor: p.amount_max_minor.toString(),
    term_min_periods: p.term_min_periods,
    term_max_periods: p.term_max_periods,
    annual_rate_percent: p.annual_rate_percent,
    day_count: p.day_count,
    repayment_method: p.repayment_method,
    frequency: p.frequency,
    origination_fee: { fixed_minor: p.origination_fee.fixed_minor.toString(), bps: p.origination_fee.bps },
    grace_days: p.grace_days,
    penalty_annual_rate_percent: p.penalty_annual_rate_percent,
    early_repayment: { ...p.early_repayment },
    // Only on lines, so the JSON of the other products is what it always was.
    ...(p.minimum_payment ? { minimum_payment: { bps: p.minimum_payment.bps, floor_minor: p.minimum_payment.floor_minor.toString() } } : {}),
  };
}

export function productFromJson(json: Record<string, unknown>, what: string): LoanProduct {
  const checked = validateProduct(json as unknown as ProductInput);
  if (!checked.ok) throw new Error(`${what} no longer validates: ${checked.field} ${checked.detail}`);
  return checked.product;
}

function sameProduct(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const { version: _a, ...restA } = a;
  const { version: _b, ...restB } = b;
  return fingerprint(restA) === fingerprint(restB);
}

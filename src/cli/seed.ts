/**
 * The demo data set `npm start` seeds once: a bank cash account, two customers with
 * deposits, a merchant, a few transfers and a pending hold, a red envelope from Alice, a
 * week of simulated risk history with its review cases and a deployed fraud model, an SME
 * loan product with the noodle shop's application and its loan (paid out), and one demo
 * API key.
 */
import { chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/port.js';
import { createKey } from '../auth/store.js';
import type { Ledger } from '../ledger/service.js';
import type { Envelopes } from '../envelopes/service.js';
import type { Risk } from '../risk/service.js';
import { seedRiskDemo } from '../risk/demo.js';
import { EXPIRY_SECONDS_MAX } from '../envelopes/core.js';
import { AccountFlags, TransferFlags, type AccountId, type TransferId } from '../ledger/types.js';
import type { Lending } from '../lending/service.js';
import { SME_WORKING_CAPITAL } from '../lending/demo-product.js';
import { seedSandbox } from '../openbanking/sandbox-seed.js';
import { seedDemoStaff } from '../staff/demo.js';
import { seedDemoCustomer } from '../identity/demo-seed.js';

export const DEMO_ACCOUNTS = {
  bank_cash: '0193a000-0000-7000-8000-000000000001',
  alice: '0193a000-0000-7000-8000-000000000002',
  bob: '0193a000-0000-7000-8000-000000000003',
  merchant: '0193a000-0000-7000-8000-000000000004',
} as const;

/** Alice's lucky-money envelope: 88.88 CNY in 8 random shares, open to anyone with the link for a week. */
export const DEMO_ENVELOPE_ID = '0193a000-0000-7000-a000-000000000001';
export const DEMO_SCOPES = [
  'ledger:read',
  'ledger:write',
  'envelopes:read',
  'envelopes:write',
  'risk:decide',
  'risk:read',
  'risk:cases',
  'risk:admin',
  'lending:read',
  'lending:apply',
  'lending:repay',
  'lending:admin',
  'metrics:read',
] as const;

/** The demo SME loan product: 12% annuity, monthly, 3–36 months, 30/360, 10,000.00..500,000.00 CNY. */
export const DEMO_LOAN_PRODUCT_ID = 'sme-working-capital';
/** The noodle shop's application (100,000.00 over 12 months): approved in band A at 12%, 8,884.88 a month, and accepted. */
export const DEMO_LOAN_APPLICATION_ID = '0193a000-0000-7000-b000-000000000001';
export const DEMO_LOAN_CUSTOMER_ID = 'corner-noodle-shop';

const CUSTOMER = AccountFlags.debits_must_not_exceed_credits | AccountFlags.history;
const t = (n: number) => `0193a000-0000-7000-9000-${n.toString().padStart(12, '0')}` as TransferId;
const a = (id: string) => id as AccountId;

export interface SeedResult {
  seeded: boolean;
  token?: string;
  token_file?: string;
  /** The demo staff members' shared password, when this run added them (docs/console.md). */
  staff_password?: string;
  staff_password_file?: string;
}

/** Where the demo staff password is kept (in the data dir), beside demo-api-key.txt. */
export const DEMO_STAFF_PASSWORD_FILE = 'demo-staff-password.txt';

/** Seeds once per database; later calls return { seeded: false }. */
export async function seedDemo(db: Db, ledger: Ledger, envelopes: Envelopes, risk: Risk, lending: Lending, dataDir: string): Promise<SeedResult> {
  // Open-banking sandbox customers (docs/open-banking.md): idempotent, so a database seeded before them gains them too.
  await seedSandbox(db, ledger);
  // The demo app's customer Alice (phone +8613800000001, OTP sign-in): idempotent, added to older databases too.
  await seedDemoCustomer(db, DEMO_ACCOUNTS.alice, ledger.clock.now());
  // Demo staff, one per role: idempotent too (added to older databases); their shared password
  // is shown once and kept beside the demo API key, owner-only, in a file of its own.
  const staff = await seedDemoStaff(db, ledger.clock.now());
  const staffFile = staff ? writeSecretFile(dataDir, DEMO_STAFF_PASSWORD_FILE, staff.password) : undefined;
  const { rows } = await db.query('SELECT 1 FROM seeds WHERE name = $1', ['demo']);
  if (rows.length > 0) return { seeded: false, staff_password: staff?.password, staff_password_file: staffFile };

  const accounts = await ledger.createAccounts([
    { id: a(DEMO_ACCOUNTS.bank_cash), currency: 'CNY', code: 1001, flags: 0, metadata: { name: 'Bank cash (vault)' } },
    { id: a(DEMO_ACCOUNTS.alice), currency: 'CNY', code: 2001, flags: CUSTOMER, metadata: { name: 'Alice Chen — current account' } },
    { id: a(DEMO_ACCOUNTS.bob), currency: 'CNY', code: 2001, flags: CUSTOMER, metadata: { name: 'Bob Li — current account' } },
    { id: a(DEMO_ACCOUNTS.merchant), currency: 'CNY', code: 2002, flags: CUSTOMER, metadata: { name: 'Corner Noodle Shop — merchant account' } },
  ]);
  const failedAccount = accounts.find((r) => !r.ok);
  if (failedAccount) throw new Error(`demo seed: account creation failed: ${JSON.stringify(failedAccount)}`);

  const results = await ledger.submitTransfers([
    { id: t(1), debit_account_id: a(DEMO_ACCOUNTS.bank_cash), credit_account_id: a(DEMO_ACCOUNTS.alice), amount: 1_000_000n, code: 1, flags: 0, metadata: { memo: 'cash deposit' } },
    { id: t(2), debit_account_id: a(DEMO_ACCOUNTS.bank_cash), credit_account_id: a(DEMO_ACCOUNTS.bob), amount: 250_000n, code: 1, flags: 0, metadata: { memo: 'cash deposit' } },
    { id: t(3), debit_account_id: a(DEMO_ACCOUNTS.alice), credit_account_id: a(DEMO_ACCOUNTS.bob), amount: 12_050n, code: 2, flags: 0, metadata: { memo: 'dinner' } },
    { id: t(4), debit_account_id: a(DEMO_ACCOUNTS.bob), credit_account_id: a(DEMO_ACCOUNTS.merchant), amount: 3_800n, code: 3, flags: 0, metadata: { memo: 'noodles' } },
    { id: t(5), debit_account_id: a(DEMO_ACCOUNTS.alice), credit_account_id: a(DEMO_ACCOUNTS.merchant), amount: 20_000n, code: 3, flags: TransferFlags.pending, timeout_seconds: 86_400, metadata: { memo: 'card hold, hotel deposit' } },
  ]);
  const failedTransfer = results.find((r) => !r.ok);
  if (failedTransfer) throw new Error(`demo seed: transfer failed: ${JSON.stringify(failedTransfer)}`);

  const envelope = await envelopes.create({
    id: DEMO_ENVELOPE_ID,
    sender_customer_id: 'alice',
    funding_account_id: DEMO_ACCOUNTS.alice,
    total_amount: 8_888n,
    share_count: 8,
    mode: 'random',
    greeting: '恭喜发财 Happy New Year',
    expires_in_seconds: EXPIRY_SECONDS_MAX,
    audience: { kind: 'link' },
  });
  if (!envelope.ok) throw new Error(`demo seed: envelope creation failed: ${JSON.stringify(envelope)}`);

  await seedRiskDemo(risk);
  await seedLendingDemo(ledger, lending);

  const { token } = await createKey(db, 'demo', [...DEMO_SCOPES], ledger.clock.now());
  // The token is shown once; keeping a copy beside the local demo data (owner-only) means a
  // missed terminal line does not lock the user out of their own laptop demo.
  const tokenFile = writeSecretFile(dataDir, 'demo-api-key.txt', token);
  await db.query('INSERT INTO seeds (name, applied_at) VALUES ($1, $2)', ['demo', ledger.clock.now().toISOString()]);
  return { seeded: true, token, token_file: tokenFile, staff_password: staff?.password, staff_password_file: staffFile };
}

/** Writes `secret` and a newline to `<dataDir>/<name>`, readable by its owner only; returns the path. */
function writeSecretFile(dataDir: string, name: string, secret: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, name);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/**
 * The lending demo: the product, three months of card settlements into the noodle shop's
 * account (its turnover, which the decision reads from the ledger), and its application for
 * 100,000.00 over 12 months — decided by the rules, the risk engine and the credit score —
 * accepted, so the loan is paid out and its schedule runs from today.
 */
async function seedLendingDemo(ledger: Ledger, lending: Lending): Promise<void> {
  const product = await lending.saveProduct(
    DEMO_LOAN_PRODUCT_ID,
    { ...SME_WORKING_CAPITAL },
    'demo seed',
  );
  if (!product.ok) throw new Error(`demo seed: loan product refused: ${product.code} ${product.detail}`);
  const settlements = Array.from({ length: 12 }, (_, i) => ({
    id: t(100 + i),
    debit_account_id: a(DEMO_ACCOUNTS.bank_cash),
    credit_account_id: a(DEMO_ACCOUNTS.merchant),
    amount: 480_000n + BigInt(i) * 15_000n,
    code: 4,
    flags: 0,
    metadata: { memo: `card settlement, week ${i + 1}` },
  }));
  const settled = await ledger.submitTransfers(settlements);
  const refused = settled.find((r) => !r.ok);
  if (refused) throw new Error(`demo seed: settlement refused: ${JSON.stringify(refused)}`);

  const applied = await lending.apply({
    id: DEMO_LOAN_APPLICATION_ID,
    customer_id: DEMO_LOAN_CUSTOMER_ID,
    account_id: DEMO_ACCOUNTS.merchant,
    product_id: DEMO_LOAN_PRODUCT_ID,
    amount_minor: 10_000_000n,
    term_periods: 12,
    business: { industry: 'restaurants', months_trading: 96, annual_revenue_minor: 600_000_000n, existing_debt_minor: 0n, owner_age: 45, purpose: 'equipment' },
  });
  if (!applied.ok) throw new Error(`demo seed: loan application refused: ${applied.code} ${applied.detail}`);
  if (applied.application.status === 'referred') {
    const reviewed = await lending.review(DEMO_LOAN_APPLICATION_ID, 'approve', 'demo: approved by the analyst', 'demo seed');
    if (!reviewed.ok) throw new Error(`demo seed: review refused: ${reviewed.code}`);
  } else if (applied.application.status !== 'approved') {
    throw new Error(`demo seed: the demo application was ${applied.application.status}: ${JSON.stringify(applied.application.decision.reasons)}`);
  }
  const opened = await lending.accept(DEMO_LOAN_APPLICATION_ID, {});
  if (!opened.ok) throw new Error(`demo seed: accepting the offer failed: ${opened.code} ${opened.detail}`);
}

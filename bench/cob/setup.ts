/**
 * A book of loans in mid-life, loaded straight into a scratch database as a bank migrating
 * from another core would: each loan's row, schedule and running state as of the close of
 * the day before the measured business date, and its ledger accounts opened at the matching
 * balances (one opening-balance account keeps debits = credits; there is no transfer
 * history before the measured day).
 *
 * Schedules come from the real core (buildSchedule) for a few thousand templates (product
 * × amount × term × start date); loans pick a template, an arrears class and a customer
 * balance from their number, so the book is the same on every run. SQL does the rest,
 * server-side, in ranges of loans (INSERT … SELECT over generate_series).
 *
 * Loans N+1..N+S are twins of loans 1..S (same template, arrears, balance): the per-loan
 * baseline closes the day for them, and their end state is compared with their twins'.
 */
import type { Db } from '../../src/db/port.js';
import { accruedThrough } from '../../src/lending/accrual.js';
import { LendingAccountCodes } from '../../src/lending/accounts.js';
import { productTermsJson } from '../../src/lending/cob-core.js';
import { addDays, daysBetween, type BusinessDate } from '../../src/lending/dates.js';
import { validateProduct, type LoanProduct, type ProductInput } from '../../src/lending/products.js';
import { buildSchedule } from '../../src/lending/schedule.js';

/** The measured business date: a Monday in March; loans started on a 16th have an instalment due. */
export const BUSINESS_DATE = '2026-03-16' as BusinessDate;
export const START_DAYS_MAX = 180;
const TERMS = [6, 12, 18];
const AMOUNTS = Array.from({ length: 20 }, (_, i) => BigInt(5_000_000 + i * 9_750_000 + 37 * i));
const LOANS_PER_STATEMENT = 100_000;

const BASE: Omit<ProductInput, 'id' | 'repayment_method' | 'day_count' | 'annual_rate_percent' | 'grace_days' | 'penalty_annual_rate_percent' | 'origination_fee'> = {
  version: 1,
  name: 'bench',
  currency: 'CNY',
  amount_min_minor: '100000',
  amount_max_minor: '1000000000',
  term_min_periods: 1,
  term_max_periods: 36,
  frequency: 'monthly',
  early_repayment: { allowed: true, fee_bps: 0, min_months: 0 },
};

export const PRODUCTS: LoanProduct[] = [
  { id: 'sme-annuity', repayment_method: 'annuity', day_count: '30/360', annual_rate_percent: '12', grace_days: 3, penalty_annual_rate_percent: '18', origination_fee: { fixed_minor: '0', bps: 50 } },
  { id: 'micro-equal', repayment_method: 'equal_principal', day_count: 'actual/365', annual_rate_percent: '18.25', grace_days: 0, penalty_annual_rate_percent: '24', origination_fee: { fixed_minor: '0', bps: 0 } },
].map((p) => {
  const result = validateProduct({ ...BASE, ...p } as ProductInput);
  if (!result.ok) throw new Error(result.detail);
  return result.product;
});

export interface BookInfo {
  templates: number;
  instalments: number;
  loans: number;
  twins: number;
  /** Loans with an instalment due on the business date, arrears by class, customers short. */
  due_today: number;
  in_arrears: number;
  seconds: number;
}

const uuid = (prefix: string, g: string) => `md5('${prefix}-' || ${g})::uuid`;
export const loanIdSql = (g: string) => uuid('loan', g);

/** Builds the templates in Node and stores them; returns how many. */
async function loadTemplates(db: Db, log: (line: string) => void): Promise<number> {
  await db.exec(`
    CREATE UNLOGGED TABLE bench_templates (tid int, number int, period_start date, due_date date, interest_days int, principal int8, interest int8, fee int8);
    CREATE UNLOGGED TABLE bench_template_info (tid int PRIMARY KEY, product int, principal int8, start_date date, maturity date, instalments int, past int, accrued int8, fee int8);
    CREATE UNLOGGED TABLE bench_template_paid (tid int, k int, principal int8, interest int8, fee int8, PRIMARY KEY (tid, k));`);
  const date = BUSINESS_DATE;
  const rows = { t: [] as number[], n: [] as number[], ps: [] as string[], dd: [] as string[], id: [] as number[], p: [] as bigint[], i: [] as bigint[], f: [] as bigint[] };
  const info = { t: [] as number[], product: [] as number[], principal: [] as bigint[], start: [] as string[], maturity: [] as string[], count: [] as number[], past: [] as number[], accrued: [] as bigint[], fee: [] as bigint[] };
  const paid = { t: [] as number[], k: [] as number[], p: [] as bigint[], i: [] as bigint[], f: [] as bigint[] };
  const flush = async (force: boolean) => {
    if (!force && rows.t.length < 50_000) return;
    await db.query(
      `INSERT INTO bench_templates SELECT * FROM unnest($1::int[], $2::int[], $3::date[], $4::date[], $5::int[], $6::int8[], $7::int8[], $8::int8[])`,
      [rows.t, rows.n, rows.ps, rows.dd, rows.id, rows.p, rows.i, rows.f],
    );
    await db.query(
      `INSERT INTO bench_template_info SELECT * FROM unnest($1::int[], $2::int[], $3::int8[], $4::date[], $5::date[], $6::int[], $7::int[], $8::int8[], $9::int8[])`,
      [info.t, info.product, info.principal, info.start, info.maturity, info.count, info.past, info.accrued, info.fee],
    );
    await db.query(`INSERT INTO bench_template_paid SELECT * FROM unnest($1::int[], $2::int[], $3::int8[], $4::int8[], $5::int8[])`, [paid.t, paid.k, paid.p, paid.i, paid.f]);
    for (const list of [...Object.values(rows), ...Object.values(info), ...Object.values(paid)]) list.length = 0;
  };
  let tid = 0;
  for (const [p, product] of PRODUCTS.entries()) {
    for (const amount of AMOUNTS) {
      for (const term of TERMS) {
        for (let s = 1; s <= START_DAYS_MAX; s++, tid++) {
          const start = addDays(date, -s);
          const built = buildSchedule({ product, principal_minor: amount, term_periods: term, start_date: start });
          if (!built.ok) throw new Error(built.detail);
          const instalments = built.schedule.instalments;
          let accrued = 0n;
          let past = 0;
          const sums = { p: 0n, i: 0n, f: 0n };
          paid.t.push(tid), paid.k.push(0), paid.p.push(0n), paid.i.push(0n), paid.f.push(0n);
          for (const inst of instalments) {
            rows.t.push(tid), rows.n.push(inst.number), rows.ps.push(inst.period_start), rows.dd.push(inst.due_date);
            rows.id.push(inst.interest_days), rows.p.push(inst.principal_minor), rows.i.push(inst.interest_minor), rows.f.push(inst.fee_minor);
            accrued += accruedThrough(inst, daysBetween(inst.period_start, date));
            if (inst.due_date < date) past++;
            sums.p += inst.principal_minor;
            sums.i += inst.interest_minor;
            sums.f += inst.fee_minor;
            paid.t.push(tid), paid.k.push(inst.number), paid.p.push(sums.p), paid.i.push(sums.i), paid.f.push(sums.f);
          }
          info.t.push(tid), info.product.push(p), info.principal.push(amount), info.start.push(start), info.maturity.push(instalments[instalments.length - 1]!.due_date);
          info.count.push(instalments.length), info.past.push(past), info.accrued.push(accrued), info.fee.push(built.schedule.totals.fee_minor);
          await flush(false);
        }
      }
    }
  }
  await flush(true);
  log(`  ${tid.toLocaleString('en-US')} schedule templates (2 products × ${AMOUNTS.length} amounts × ${TERMS.length} terms × ${START_DAYS_MAX} start dates), built with buildSchedule`);
  return tid;
}

/**
 * Loan g's parameters: template, unpaid instalments m (arrears class), customer balance.
 * Multipliers are primes coprime to the template count, so templates spread evenly.
 */
function stagingSql(N: number, T: number): string {
  return `
  INSERT INTO bench_loans (g, tid, m, balance)
  SELECT g, q.tid, LEAST(q.want, i.past), CASE
      WHEN q.want = 0 AND q.b < 85 THEN i.principal / 4
      WHEN q.want = 0 AND q.b < 95 THEN i.principal / 40
      WHEN q.want > 0 AND q.b >= 80 THEN i.principal / 40
      ELSE 0 END
  FROM (SELECT g, src, (src * 7919) % ${T} AS tid, (src * 15485863) % 100 AS b,
               CASE WHEN (src * 104729) % 1000 < 880 THEN 0 WHEN (src * 104729) % 1000 < 940 THEN 1 WHEN (src * 104729) % 1000 < 960 THEN 2
                    WHEN (src * 104729) % 1000 < 970 THEN 3 ELSE 99 END AS want
        FROM (SELECT g, CASE WHEN g <= ${N} THEN g ELSE g - ${N} END::int8 AS src FROM generate_series($1::int, $2::int) g) s) q
  JOIN bench_template_info i ON i.tid = q.tid`;
}

export async function createBook(db: Db, N: number, S: number, log: (line: string) => void): Promise<BookInfo> {
  const started = performance.now();
  const T = await loadTemplates(db, log);
  await db.exec(`CREATE UNLOGGED TABLE bench_loans (g int PRIMARY KEY, tid int, m int, balance int8)`);
  const terms = PRODUCTS.map((p) => JSON.stringify({ ...productTermsJson(p), term_periods: null }).replace(/'/g, "''"));
  const date = BUSINESS_DATE;
  const yesterday = addDays(date, -1);
  const total = N + S;
  for (let from = 1; from <= total; from += LOANS_PER_STATEMENT) {
    const to = Math.min(total, from + LOANS_PER_STATEMENT - 1);
    await db.query(stagingSql(N, T), [from, to]);
    await db.query(
      `INSERT INTO loans (id, customer_id, account_id, currency, product_id, product_version, terms, principal, start_date, maturity_date, status,
                          principal_account_id, interest_account_id, penalty_account_id, fee_account_id, outstanding_principal, accrued_interest, penalty_due,
                          days_past_due, max_days_past_due, category, last_accrual_date, last_collection_date, last_cob_date, created_at, updated_at)
       SELECT ${loanIdSql('l.g')}, 'customer-' || l.g, ${uuid('cust', 'l.g')}, 'CNY', CASE i.product WHEN 0 THEN '${PRODUCTS[0]!.id}' ELSE '${PRODUCTS[1]!.id}' END, 1,
              (CASE i.product WHEN 0 THEN '${terms[0]}' ELSE '${terms[1]}' END)::jsonb, i.principal, i.start_date, i.maturity, 'active',
              ${uuid('lp', 'l.g')}, ${uuid('li', 'l.g')}, ${uuid('lpe', 'l.g')}, ${uuid('lf', 'l.g')},
              i.principal - k.principal, i.accrued - k.interest, a.dpd * 100, a.dpd, a.dpd,
              CASE WHEN a.dpd = 0 THEN 'normal' WHEN a.dpd <= 90 THEN 'special_mention' WHEN a.dpd <= 180 THEN 'substandard' WHEN a.dpd <= 360 THEN 'doubtful' ELSE 'loss' END,
              $3::date, $3::date, $3::date, now(), now()
       FROM bench_loans l JOIN bench_template_info i ON i.tid = l.tid
       JOIN bench_template_paid k ON k.tid = l.tid AND k.k = i.past - l.m
       LEFT JOIN bench_templates o ON o.tid = l.tid AND o.number = i.past - l.m + 1 AND l.m > 0
       CROSS JOIN LATERAL (SELECT CASE WHEN l.m > 0 THEN $3::date - o.due_date ELSE 0 END AS dpd) a
       WHERE l.g BETWEEN $1 AND $2`,
      [from, to, yesterday],
    );
    await db.query(
      `INSERT INTO loan_instalments (loan_id, number, period_start, due_date, interest_days, principal, interest, fee, paid_principal, paid_interest, paid_fee, status)
       SELECT ${loanIdSql('l.g')}, t.number, t.period_start, t.due_date, t.interest_days, t.principal, t.interest, t.fee,
              CASE WHEN p.paid THEN t.principal ELSE 0 END, CASE WHEN p.paid THEN t.interest ELSE 0 END, CASE WHEN p.paid THEN t.fee ELSE 0 END,
              CASE WHEN t.due_date >= $3::date THEN 'scheduled' WHEN p.paid THEN 'paid'
                   WHEN $4::date - t.due_date > CASE i.product WHEN 0 THEN ${PRODUCTS[0]!.grace_days} ELSE ${PRODUCTS[1]!.grace_days} END THEN 'overdue' ELSE 'due' END
       FROM bench_loans l JOIN bench_template_info i ON i.tid = l.tid JOIN bench_templates t ON t.tid = l.tid
       CROSS JOIN LATERAL (SELECT t.due_date < $3::date AND t.number <= i.past - l.m AS paid) p
       WHERE l.g BETWEEN $1 AND $2`,
      [from, to, date, yesterday],
    );
    await db.query(
      `INSERT INTO accounts (id, currency, code, flags, status, debits_pending, debits_posted, credits_pending, credits_posted, created_at, updated_at)
       SELECT a.id, 'CNY', a.code, a.flags, 'open', 0, a.debits, 0, a.credits, now(), now()
       FROM bench_loans l JOIN loans n ON n.id = ${loanIdSql('l.g')} JOIN bench_template_info i ON i.tid = l.tid
       JOIN bench_template_paid k ON k.tid = l.tid AND k.k = i.past - l.m
       CROSS JOIN LATERAL (VALUES
         (n.account_id, 2001, 1, 0::int8, l.balance),
         (n.principal_account_id, ${LendingAccountCodes.loan_principal}, 2, i.principal, k.principal),
         (n.interest_account_id, ${LendingAccountCodes.loan_interest_receivable}, 2, i.accrued, k.interest),
         (n.penalty_account_id, ${LendingAccountCodes.loan_penalty_receivable}, 2, n.penalty_due, 0::int8),
         (n.fee_account_id, ${LendingAccountCodes.loan_fee_receivable}, 2, i.fee, k.fee)) AS a(id, code, flags, debits, credits)
       WHERE l.g BETWEEN $1 AND $2`,
      [from, to],
    );
    log(`  loans ${to.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  // One opening-balance account makes the ledger's debits equal its credits.
  await db.query(
    `INSERT INTO accounts (id, currency, code, flags, status, debits_pending, debits_posted, credits_pending, credits_posted, created_at, updated_at)
     SELECT md5('bench-opening')::uuid, 'CNY', 3999, 0, 'open', 0, GREATEST(c - d, 0), 0, GREATEST(d - c, 0), now(), now()
     FROM (SELECT sum(debits_posted)::int8 AS d, sum(credits_posted)::int8 AS c FROM accounts) s`,
  );
  await db.query(`INSERT INTO cob_runs (business_date, status, steps, started_at, finished_at) VALUES ($1::date, 'succeeded', '{}'::jsonb, now(), now())`, [yesterday]);
  const { rows } = await db.query<{ instalments: number; due_today: number; in_arrears: number }>(
    `SELECT (SELECT count(*)::int FROM loan_instalments) AS instalments,
            (SELECT count(DISTINCT loan_id)::int FROM loan_instalments WHERE due_date = $1::date) AS due_today,
            (SELECT count(*)::int FROM loans WHERE days_past_due > 0) AS in_arrears`,
    [date],
  );
  await db.exec(`DROP TABLE bench_templates; DROP TABLE bench_template_info; DROP TABLE bench_template_paid; DROP TABLE bench_loans;`);
  log(`  VACUUM ANALYZE (so COB does not pay for the load's hint bits and statistics) …`);
  for (const statement of ['VACUUM ANALYZE loans', 'VACUUM ANALYZE loan_instalments', 'VACUUM ANALYZE accounts', 'CHECKPOINT']) await db.exec(statement);
  return { templates: T, instalments: rows[0]!.instalments, loans: N, twins: S, due_today: rows[0]!.due_today, in_arrears: rows[0]!.in_arrears, seconds: (performance.now() - started) / 1000 };
}

/**
 * The close-of-business benchmark: `npm run bench:cob -- [--quick] [--loans N] [--sample N]`.
 * On a scratch PostgreSQL database: a book of N active loans in mid-life (1,000,000 by
 * default; bench/cob/setup.ts), then one business day closed for it by Cob (set-based, in
 * chunks), with progress per step; and, measured first in the same run on the same
 * database, the same day for a sample of twin loans the per-loan way (bench/cob/naive.ts).
 * Reports loans/s per step and for the day, the process's RSS, and checks that every twin
 * pair ended in the same state. A full run writes its section of docs/benchmarks.md.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ledger } from '../src/ledger/service.js';
import { Cob } from '../src/lending/cob.js';
import { systemClock } from '../src/server/clock.js';
import { Cleanup, cleanUpOnSignals } from './lib/cleanup.js';
import { otherLoad, startCpuMeter } from './lib/cpu.js';
import { createPgDatabase, openEngine, pgSettings, serverVersion } from './lib/database.js';
import { writeSection } from './lib/doc-section.js';
import { startRun } from './lib/options.js';
import { BENCHMARKS_DOC, machine, sourceState } from './lib/run-info.js';
import { fmtInt } from './lib/stats.js';
import { naiveCob } from './cob/naive.js';
import { parseOptions, USAGE } from './cob/options.js';
import { consoleReport, markdownReport, rows, TARGET_SECONDS, type CobReport } from './cob/report.js';
import { BUSINESS_DATE, createBook, loanIdSql } from './cob/setup.js';

const runStarted = performance.now();
const log = (line: string) => console.log(line);
const progress = (line: string) => log(`[+${((performance.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);
const rssMib = () => process.memoryUsage().rss / 2 ** 20;

/** Every way a baseline loan's end state differs from its twin's (the set-based run's). */
async function compareTwins(db: Awaited<ReturnType<typeof openEngine>>, N: number, S: number): Promise<string[]> {
  const { rows: diffs } = await db.query<{ g: number; what: string }>(
    `WITH pairs AS (SELECT g, ${loanIdSql('g')} AS a, ${loanIdSql(`(g + ${N})`)} AS b FROM generate_series(1, ${S}) g),
     inst AS (SELECT loan_id, string_agg(number || ':' || paid_principal || '/' || paid_interest || '/' || paid_fee || '/' || status, ',' ORDER BY number) AS s FROM loan_instalments
              WHERE loan_id IN (SELECT a FROM pairs UNION ALL SELECT b FROM pairs) GROUP BY loan_id)
     SELECT p.g, concat_ws(' ',
         CASE WHEN la.outstanding_principal <> lb.outstanding_principal THEN 'principal' END,
         CASE WHEN la.accrued_interest <> lb.accrued_interest THEN 'interest' END,
         CASE WHEN la.penalty_due <> lb.penalty_due OR la.penalty_carry_num * lb.penalty_carry_den <> lb.penalty_carry_num * la.penalty_carry_den THEN 'penalty' END,
         CASE WHEN la.days_past_due <> lb.days_past_due OR la.category <> lb.category THEN 'dpd' END,
         CASE WHEN la.status <> lb.status THEN 'status' END,
         CASE WHEN ia.s <> ib.s THEN 'instalments' END) AS what
     FROM pairs p JOIN loans la ON la.id = p.a JOIN loans lb ON lb.id = p.b JOIN inst ia ON ia.loan_id = p.a JOIN inst ib ON ib.loan_id = p.b
     WHERE la.outstanding_principal <> lb.outstanding_principal OR la.accrued_interest <> lb.accrued_interest OR la.penalty_due <> lb.penalty_due
        OR la.penalty_carry_num * lb.penalty_carry_den <> lb.penalty_carry_num * la.penalty_carry_den
        OR la.days_past_due <> lb.days_past_due OR la.category <> lb.category OR la.status <> lb.status OR ia.s <> ib.s
     ORDER BY p.g LIMIT 20`,
  );
  return diffs.map((d) => `loan ${d.g}: ${d.what}`);
}

function notes(report: CobReport): string[] {
  const r = rows(report);
  const total = r[r.length - 1]!;
  const accrue = r.find((x) => x.step === 'accrue')!;
  const out = [
    `The day took ${total.seconds.toFixed(0)} s for ${fmtInt(report.book.loans)} loans (${fmtInt(total.per_s)} loans/s); ${((accrue.seconds / total.seconds) * 100).toFixed(0)}% of it is the accrual, the one step that posts a transfer for every loan (each chunk: one SELECT … FOR UPDATE computing every loan's accrual, the writer's account lock, transfer insert and balance update, one UPDATE … FROM unnest of the loans).`,
    `The per-loan baseline did ${fmtInt(total.naive_per_s)} loans/s over the same steps; at that rate the book's day would take ${fmtInt(total.naive_projected_s)} s (${(total.naive_projected_s / 3600).toFixed(1)} h), against the ${TARGET_SECONDS} s target.`,
    'Collection and ageing visit only the loans with something due or in arrears (found through partial indexes), so their loans/s is over fewer loans; marking instalments due touches only the instalments falling due.',
    'Provisions are one aggregate over the book and a handful of transfers (one per category that moved), whatever the book size.',
  ];
  if (report.others_load !== undefined && report.others_load > 0.3) out.push(`Other work on the shared machine used ${Math.round(report.others_load * 100)}% of a core at the start: the figures are lower than on a quiet machine.`);
  return out;
}

export async function main(args: readonly string[], command = `npm run bench:cob${args.length ? ` -- ${args.join(' ')}` : ''}`): Promise<number> {
  const run = startRun('cob', args, parseOptions, USAGE, BENCHMARKS_DOC, resolve);
  if (typeof run === 'number') return run;
  const { options, out } = run;
  const startedAt = new Date();
  const source = sourceState();
  const cleanup = new Cleanup();
  const signals = cleanUpOnSignals(cleanup, 'the bench database');
  try {
    log(`COB benchmark${options.quick ? ' (--quick: a smoke run)' : ''}: PostgreSQL; ${fmtInt(options.loans)} loans, per-loan baseline on ${fmtInt(options.sample)} twins; ${command}`);
    const others = await otherLoad(options.quick ? 250 : 2_000);
    if (others !== undefined) log(`other processes on this machine use ${Math.round(others * 100)}% of a core right now${others > 0.2 ? ' — figures will be noisy' : ''}`);
    const scratch = await createPgDatabase();
    cleanup.push(`drop database ${scratch.name}`, () => scratch.drop());
    const db = await openEngine('postgres', scratch.url, 4);
    cleanup.push('close the pool', () => db.close());
    const ledger = new Ledger(db, systemClock);
    cleanup.push('stop the ledger writer', () => ledger.stop());

    progress(`▶ loading the book: ${fmtInt(options.loans)} loans + ${fmtInt(options.sample)} twins`);
    const book = await createBook(db, options.loans, options.sample, progress);
    progress(`✓ book loaded in ${book.seconds.toFixed(0)} s: ${fmtInt(book.instalments)} instalments; ${fmtInt(book.due_today)} loans due on ${BUSINESS_DATE}, ${fmtInt(book.in_arrears)} in arrears`);

    // The bank's accounts exist before either run, so neither pays for opening them.
    await new Cob(db, ledger, systemClock).ensureBankAccounts();
    const { rows: twins } = await db.query<{ id: string }>(`SELECT ${loanIdSql('g')}::text AS id FROM generate_series(${options.loans + 1}, ${options.loans + options.sample}) g ORDER BY 1`);
    progress(`▶ per-loan baseline: ${fmtInt(twins.length)} loans, one transaction per loan per step`);
    const naive = await naiveCob(db, ledger, BUSINESS_DATE, twins.map((t) => t.id), progress);

    progress(`▶ COB ${BUSINESS_DATE} for the book, chunks of ${fmtInt(options.chunk_loans)} loans`);
    let rssMax = rssMib();
    const rssStart = rssMax;
    let lastLine = 0;
    const meter = startCpuMeter({ postgres_database: scratch.name });
    const dayStarted = performance.now();
    const progressCob = new Cob(db, ledger, systemClock, {
      chunk_loans: options.chunk_loans,
      on_progress: (e) => {
        rssMax = Math.max(rssMax, rssMib());
        const now = performance.now();
        if (now - lastLine < (options.quick ? 0 : 5_000) && e.done < e.total) return;
        lastLine = now;
        progress(`  ${e.step}: ${fmtInt(e.done)}/${fmtInt(e.total)} loans, ${e.seconds.toFixed(1)} s, ${fmtInt(e.done / Math.max(e.seconds, 1e-9))} loans/s, ${fmtInt(e.transfers)} transfers, RSS ${fmtInt(rssMib())} MiB`);
      },
    });
    const result = await progressCob.run({ through_date: BUSINESS_DATE });
    const totalSeconds = (performance.now() - dayStarted) / 1000;
    const cpu = meter();
    if (!result.ok || result.closed[0] !== BUSINESS_DATE) throw new Error(`COB did not close ${BUSINESS_DATE}: ${JSON.stringify(result)}`);
    const closed = (await progressCob.getRun(BUSINESS_DATE))!;
    progress(`✓ COB ${BUSINESS_DATE} closed in ${totalSeconds.toFixed(1)} s (${fmtInt(options.loans / totalSeconds)} loans/s); RSS at most ${fmtInt(rssMax)} MiB`);
    const mismatches = await compareTwins(db, options.loans, options.sample);
    progress(mismatches.length === 0 ? `✓ all ${fmtInt(options.sample)} baseline loans ended in the same state as their twins` : `✗ ${mismatches.length} twin pairs differ: ${mismatches.slice(0, 5).join('; ')}`);

    const report: CobReport = {
      started_at: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
      wall_seconds: (performance.now() - runStarted) / 1000,
      source,
      machine: machine(),
      pg_version: await serverVersion(db),
      pg_settings: await pgSettings(db),
      others_load: others,
      business_date: BUSINESS_DATE,
      chunk_loans: options.chunk_loans,
      book,
      steps: closed.steps,
      total_seconds: totalSeconds,
      rss_max_mib: rssMax,
      rss_start_mib: rssStart,
      naive,
      twins_compared: options.sample,
      twin_mismatches: mismatches,
      cpu,
    };
    log(`\n${consoleReport(report)}`);
    if (out) {
      writeSection(out, 'cob', markdownReport(report, notes(report)));
      log(`\nwrote the cob section of ${out}`);
    } else {
      log('\n(--quick: nothing written)');
    }
    if (mismatches.length > 0) throw new Error('the per-loan baseline and COB disagree (see above)');
    return 0;
  } catch (err) {
    if (signals.interrupted) return 130;
    console.error(`\nbench cob FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanup.runFrom(0);
    signals.dispose();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));

/**
 * `capillary cob run --date D [--through T]` closes business dates from the command line
 * (the same Cob service as POST /v1/cob/runs), printing progress as it goes; `capillary
 * cob status [--date D]` shows what cob_runs holds.
 */
import type { Command } from 'commander';
import { systemClock } from '../server/clock.js';
import { Cob, type CobProgressEvent } from '../lending/cob.js';
import { COB_STEPS } from '../lending/cob-core.js';
import type { CobRun } from '../lending/cob-store.js';
import { parseBusinessDate, type BusinessDate } from '../lending/dates.js';
import { UsageError, print, withLedger } from './common.js';

function dateOption(value: string, name: string): BusinessDate {
  const parsed = parseBusinessDate(value);
  if (!parsed.ok) throw new UsageError(`--${name}: ${parsed.detail}`);
  return parsed.date;
}

const summary = (run: CobRun) => ({
  business_date: run.business_date,
  status: run.status,
  error: run.error,
  steps: Object.fromEntries(COB_STEPS.map((step) => [step, { status: run.steps[step].status, done: run.steps[step].done, total: run.steps[step].total, seconds: Math.round(run.steps[step].seconds * 1000) / 1000, transfers: run.steps[step].transfers }])),
});

/** One progress line per step every couple of seconds (and when a step has done all it had). */
function progressPrinter(): (event: CobProgressEvent) => void {
  let last = 0;
  return (event) => {
    const now = performance.now();
    if (now - last < 2_000 && event.done < event.total) return;
    last = now;
    const rate = event.seconds > 0 ? Math.round(event.done / event.seconds) : 0;
    console.error(`${event.date} ${event.step}: ${event.done.toLocaleString('en-US')}/${event.total.toLocaleString('en-US')} loans, ${event.seconds.toFixed(1)} s, ${rate.toLocaleString('en-US')} loans/s`);
  };
}

export function registerCobCommands(program: Command): void {
  const cob = program.command('cob').description('close of business: accrual, collection, arrears, classification, provisions');

  cob
    .command('run')
    .description('close business dates through --through (default --date), catching up any missed since the last closed one')
    .requiredOption('--date <YYYY-MM-DD>', 'the business date to close (the first one, if COB has never run)')
    .option('--through <YYYY-MM-DD>', 'close every date up to this one')
    .option('--take-over', 'take over a date another (crashed) process left running, without waiting for its lease to lapse')
    .option('--chunk-loans <n>', 'loans per chunk, one transaction each (1..8189; default 8000)')
    .action((opts: { date: string; through?: string; takeOver?: boolean; chunkLoans?: string }) =>
      withLedger(async (ledger, db) => {
        const date = dateOption(opts.date, 'date');
        const through = opts.through === undefined ? date : dateOption(opts.through, 'through');
        if (through < date) throw new UsageError('--through must not be before --date');
        const today = systemClock.now().toISOString().slice(0, 10);
        if (through > today) throw new UsageError(`cob_date_in_future: ${through} has not ended yet (today is ${today} UTC)`);
        const chunk_loans = opts.chunkLoans === undefined ? undefined : Number(opts.chunkLoans);
        if (chunk_loans !== undefined && !(Number.isInteger(chunk_loans) && chunk_loans >= 1 && chunk_loans <= 8189)) throw new UsageError('--chunk-loans must be an integer 1..8189');
        const service = new Cob(db, ledger, systemClock, { on_progress: progressPrinter(), ...(chunk_loans ? { chunk_loans } : {}), ...(opts.takeOver ? { lease_ms: 0 } : {}) });
        const plan = await service.plan({ through_date: through, from_date: date });
        if (!plan.ok) throw new UsageError(`${plan.code}: ${plan.detail}`);
        if (plan.dates.length > 0 && plan.dates[0] !== date) console.error(`COB continues from ${plan.dates[0]} (the day after the last closed date) through ${through}: ${plan.dates.length} dates`);
        const result = await service.run({ through_date: through, from_date: date });
        if (!result.ok) throw new UsageError(`${result.code}: ${result.detail}`);
        const runs = await Promise.all(result.closed.map((d) => service.getRun(d)));
        print({ closed: result.closed, runs: runs.flatMap((r) => (r ? [summary(r)] : [])) });
      }),
    );

  cob
    .command('status')
    .description('the progress of one business date, or the latest ones')
    .option('--date <YYYY-MM-DD>', 'one business date')
    .action((opts: { date?: string }) =>
      withLedger(async (ledger, db) => {
        const service = new Cob(db, ledger, systemClock);
        if (opts.date) {
          const run = await service.getRun(dateOption(opts.date, 'date'));
          if (!run) throw new UsageError(`cob_run_not_found: COB has not started ${opts.date}`);
          print(summary(run));
        } else {
          print((await service.listRuns(null, 10)).map(summary));
        }
      }),
    );
}

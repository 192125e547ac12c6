/**
 * Everything before the first measurement: the default rule set live, the history stored
 * (by the loader process), the scorecard deployed live and the deny list in place, all
 * through the Risk service the measured engine belongs to; then VACUUM ANALYZE.
 */
import type { Db } from '../../src/db/port.js';
import type { Risk } from '../../src/risk/service.js';
import { startCpuMeter } from '../lib/cpu.js';
import { fmtInt } from '../lib/stats.js';
import type { Cleanup } from '../lib/cleanup.js';
import { startHistoryLoad } from './history.js';
import { heapMib } from './memory.js';
import type { Sizes } from './options.js';
import type { HistoryReport, RunReport } from './results.js';
import { FreshEvents, planSimulation } from './simulation.js';

export const MODEL_ID = 'bench_fraud';
const ACTOR = 'bench:risk';

export interface Prepared {
  fresh: FreshEvents;
  history: HistoryReport;
  model: RunReport['model'];
  deny_list: number;
}

/** Every fresh event any run may take (warm-ups, measured, the part-by-part slice and the feature check). */
const freshEventsMax = (s: Sizes) => s.warmup + s.decisions + s.anatomy_events + s.check_events + s.baseline_warmup + s.baseline_decisions + s.http_warmup + s.http_decisions;

export async function prepare(
  risk: Risk,
  db: Db,
  database: { url: string; name: string },
  options: { seed: number; sizes: Sizes },
  cleanup: Cleanup,
  progress: (line: string) => void,
): Promise<Prepared> {
  const { sizes } = options;
  await risk.seedDefaults();
  const plan = planSimulation(options.seed, sizes.events, freshEventsMax(sizes), Date.now());
  progress(
    `history: ${fmtInt(sizes.events)} events from the simulator (seed ${plan.seed}, ${fmtInt(plan.customers)} customers, ${fmtInt(plan.merchants)} merchants, ` +
      `from ${new Date(plan.start_ms).toISOString()}), decided and stored by a loader process (store.insertDecisions, 5,000 a statement)`,
  );
  const started = performance.now();
  const load = startHistoryLoad(database.url, plan, sizes.train_every, (generated, stored) => {
    const s = (performance.now() - started) / 1000;
    progress(`  history: ${fmtInt(generated)} of ${fmtInt(sizes.events)} decided, ${fmtInt(stored)} stored (${fmtInt(stored / s)} rows/s)`);
  });
  cleanup.push('stop the history loader', async () => load.kill());
  const cpu = startCpuMeter({ server_pid: load.pid, postgres_database: database.name });
  const fresh = new FreshEvents(plan);
  const [summary] = await Promise.all([load.done, fresh.skipHistory()]);
  const seconds = (performance.now() - started) / 1000;
  const cpuShares = cpu();
  progress(`  history stored in ${seconds.toFixed(1)} s; scorecard trained on ${fmtInt(summary.train.rows)} contexts (${fmtInt(summary.train.bads)} fraud) in ${summary.train.seconds.toFixed(1)} s`);

  const saved = await risk.saveModel(MODEL_ID, 'scorecard', summary.card, { trained_on: summary.train, simulation: plan }, ACTOR);
  if (!saved.ok) throw new Error(`the trained scorecard was refused: ${saved.message}`);
  const deployed = await risk.deployModel('live', { id: MODEL_ID, version: saved.model.version }, ACTOR);
  if (!deployed.ok) throw new Error(`deploying the scorecard failed: ${deployed.code}`);
  for (const customer of summary.mule_customers) {
    await risk.putListEntry({ list: 'deny', kind: 'customer', value: customer, reason: 'mule-ring member in the simulated history', expires_at: null, created_by: ACTOR });
  }
  progress(`scorecard ${MODEL_ID} v${saved.model.version} live (${summary.card.attributes.length} attributes); ${summary.mule_customers.length} mule-ring members on the customer deny list`);

  const vacuumStarted = performance.now();
  await db.query('VACUUM ANALYZE risk_decisions');
  const vacuum_seconds = (performance.now() - vacuumStarted) / 1000;
  const { rows } = await db.query<{ bytes: bigint }>(`SELECT pg_total_relation_size('risk_decisions') AS bytes`);
  const { card, ...rest } = summary;
  return {
    fresh,
    history: { ...rest, seconds, cpu: cpuShares, table_mib: Number(rows[0]!.bytes) / 2 ** 20, heap_mib: heapMib(), vacuum_seconds },
    model: { id: MODEL_ID, version: saved.model.version, attributes: card.attributes.length, rows: summary.train.rows, bads: summary.train.bads, train_seconds: summary.train.seconds },
    deny_list: summary.mule_customers.length,
  };
}

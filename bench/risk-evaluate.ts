/**
 * `npm run risk:evaluate`: how the default rule set and the simulated-fraud scorecard do on
 * labelled data they were not built on. The scorecard is trained on the default simulation
 * (seed 7); both are then backtested on a simulation with seed 8 (same sizes), and on the
 * German credit data the scorecard trainer is cross-validated (10-fold, seed 42). Prints
 * the figures docs/risk.md quotes.
 */
import { readFileSync } from 'node:fs';
import { compileRuleSet } from '../src/risk/core.js';
import { runBacktest } from '../src/risk/backtest.js';
import { parseCsv, typedRecords } from '../src/risk/csv.js';
import { DEFAULT_RULE_SET, DEFAULT_VELOCITY_FEATURES } from '../src/risk/defaults.js';
import { trainFraudScorecard } from '../src/risk/fraud-model.js';
import { loadModel } from '../src/risk/models.js';
import { crossValidateScorecard } from '../src/risk/scorecard.js';
import { DEFAULT_SIM, simulate } from '../src/risk/simulator.js';
import type { Label } from '../src/risk/metrics.js';

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`training the fraud scorecard on the default simulation (seed ${DEFAULT_SIM.seed}, ${DEFAULT_SIM.customers} customers, ${DEFAULT_SIM.days} days)…`);
  const card = trainFraudScorecard(DEFAULT_SIM, DEFAULT_VELOCITY_FEATURES);
  const model = await loadModel('fraud', 1, 'scorecard', card);
  if (!model.ok) throw new Error(model.message);
  const compiled = compileRuleSet(DEFAULT_RULE_SET, DEFAULT_VELOCITY_FEATURES);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  const holdout = { ...DEFAULT_SIM, seed: 8 };
  const events = () =>
    (function* () {
      for (const e of simulate(holdout)) yield { event: e.event, label: (e.fraud ? 1 : 0) as Label, pattern: e.pattern };
    })();
  for (const [name, withModel] of [['default rules, no model', false], ['default rules + fraud scorecard', true]] as const) {
    const report = await runBacktest(compiled.compiled, withModel ? model.model : undefined, DEFAULT_VELOCITY_FEATURES, events());
    console.log(`\n${name} — hold-out simulation seed ${holdout.seed}: ${report.events.toLocaleString('en')} events over ${report.days.toFixed(1)} days`);
    console.log(`  catch rate ${pct(report.catch_rate)}, false-positive rate ${pct(report.false_positive_rate)}, precision ${pct(report.precision)}, alerts/day ${report.alerts_per_day.toFixed(1)}${report.auc === null ? '' : `, model AUC ${report.auc.toFixed(3)}`}`);
    console.log(`  outcomes: ${Object.entries(report.by_outcome).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [pattern, p] of Object.entries(report.by_pattern)) console.log(`  ${pattern.padEnd(18)} events ${String(p.events).padStart(5)}  caught ${pct(p.catch_rate)}`);
    console.log(`  rules fired: ${report.rules.map((r) => `${r.rule_id} ${r.fired} (${r.on_fraud} on fraud)`).join('; ')}`);
  }
  const csvPath = new URL('../../test/fixtures/german-credit.csv', import.meta.url);
  const parsed = parseCsv(readFileSync(csvPath, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  const labelAt = parsed.header.indexOf('class');
  const labels = parsed.rows.map((r) => (r[labelAt] === 'bad' ? 1 : 0) as Label);
  const { records } = typedRecords({ header: parsed.header.filter((_, i) => i !== labelAt), rows: parsed.rows.map((r) => r.filter((_, i) => i !== labelAt)) });
  const cv = crossValidateScorecard(records, labels, { folds: 10, seed: 42, costs: { bad_as_good: 5, good_as_bad: 1 } });
  console.log(`\nGerman credit scorecard, 10-fold CV seed 42: mean AUC ${cv.auc_mean.toFixed(4)} (reference plain logistic regression 0.771), pooled ${cv.auc_pooled.toFixed(4)}`);
  console.log(`\nwall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Demo data for the risk engine (seeded once by `npm start`): a week of simulated history
 * ending now, decided by the default rule set as the live engine would have (features
 * built in time order), stored with its review cases; and a fraud scorecard trained on
 * another simulation, deployed live, so `model.score` means something in the demo.
 */
import { randomUUID } from 'node:crypto';
import { compileRuleSet, eventFingerprint } from './core.js';
import { DEFAULT_RULE_SET, DEFAULT_VELOCITY_FEATURES } from './defaults.js';
import { buildContext, decisionRecord, observeEvent, RiskEngine } from './engine.js';
import { trainFraudScorecard } from './fraud-model.js';
import { RiskGraph } from './graph.js';
import { ListCache } from './lists.js';
import type { Risk } from './service.js';
import { simulate } from './simulator.js';
import * as store from './store.js';
import { VelocityStore } from './velocity.js';

const DAY_MS = 86_400_000;
const BATCH = 2_000;

export async function seedRiskDemo(risk: Risk): Promise<{ events: number; cases: number; model: string }> {
  const now = risk.clock.now();
  const card = trainFraudScorecard({ seed: 11, customers: 1_000, merchants: 100, days: 7, start: new Date(now.getTime() - 60 * DAY_MS) }, DEFAULT_VELOCITY_FEATURES);
  const saved = await risk.saveModel('fraud', 'scorecard', card, { trained_on: 'simulation seed 11, 1,000 customers, 7 days' }, 'demo seed');
  if (!saved.ok) throw new Error(`demo fraud model does not load: ${saved.message}`);
  await risk.deployModel('live', { id: 'fraud', version: saved.model.version }, 'demo seed');

  const compiled = compileRuleSet(DEFAULT_RULE_SET, DEFAULT_VELOCITY_FEATURES);
  if (!compiled.ok) throw new Error('the default rule set does not compile');
  const model = risk.engine.deployed.live.model;
  const state = { velocity: new VelocityStore([...DEFAULT_VELOCITY_FEATURES]), graph: new RiskGraph(), lists: new ListCache() };
  let batch: store.StoredDecision[] = [];
  let cases: store.RiskCase[] = [];
  let events = 0;
  let opened = 0;
  const flush = async () => {
    await store.insertDecisions(risk.db, batch, cases, 'demo seed');
    batch = [];
    cases = [];
  };
  for (const { event } of simulate({ seed: 7, customers: 300, merchants: 60, days: 7, start: new Date(now.getTime() - 7 * DAY_MS) })) {
    if (event.occurred_at.getTime() > now.getTime()) break;
    const ctx = buildContext(state, event, event.occurred_at);
    const verdict = await RiskEngine.verdict({ compiled: compiled.compiled, model }, ctx);
    observeEvent(state, event);
    batch.push(decisionRecord(event, eventFingerprint(event), ctx, verdict, { id: 'default', version: 1 }, null, event.occurred_at));
    if (verdict.outcome === 'review') {
      cases.push({ id: randomUUID(), decision_id: event.id, status: 'open', assignee: null, transfer_id: null, created_at: event.occurred_at, updated_at: event.occurred_at });
      opened += 1;
    }
    events += 1;
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await risk.engine.rebuild();
  return { events, cases: opened, model: `fraud v${saved.model.version}` };
}

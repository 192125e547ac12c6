/**
 * Models as the decision path sees them: something that reads the decision's context and
 * returns a score in [0, 1] (the probability of a bad outcome) with its top reasons. A
 * scorecard reads context keys as its attributes; an imported XGBoost dump reads them as
 * its feature names. The score lands in the context as `model.score`, for rules.
 */
import { scoreRow, validateScorecard, type Scorecard } from './scorecard.js';
import { loadXgboostDump, predictXgboost, type XgboostModel } from './xgboost.js';
import type { Context } from './types.js';

export interface ModelReason {
  feature: string;
  detail: string;
}

export interface LoadedModel {
  id: string;
  version: number;
  kind: 'scorecard' | 'xgboost';
  score(ctx: Context): { score: number; reasons: ModelReason[] };
}

export type ModelLoad = { ok: true; model: LoadedModel } | { ok: false; message: string };

/** The stored form of an imported XGBoost model: its JSON dump and how to read it. */
export interface XgboostBody {
  dump: unknown;
  base_score: number;
  objective: 'binary:logistic' | 'reg:logistic' | 'reg:squarederror';
  feature_names?: string[];
}

export function loadModel(id: string, version: number, kind: 'scorecard' | 'xgboost', body: unknown): ModelLoad {
  if (kind === 'scorecard') {
    const checked = validateScorecard(body);
    if (!checked.ok) return { ok: false, message: checked.message };
    const card: Scorecard = checked.card;
    return {
      ok: true,
      model: {
        id,
        version,
        kind,
        score(ctx) {
          const row: Record<string, string | number | null> = {};
          for (const [k, v] of Object.entries(ctx)) row[k] = typeof v === 'boolean' ? String(v) : v;
          const scored = scoreRow(card, row);
          return {
            score: scored.probability_bad,
            reasons: scored.reasons.map((r) => ({ feature: r.attribute, detail: `${r.bin}: ${r.points.toFixed(1)} points (${r.points_lost.toFixed(1)} below the best)` })),
          };
        },
      },
    };
  }
  const b = body as Partial<XgboostBody> | null;
  if (!b || typeof b !== 'object' || b.dump === undefined || typeof b.base_score !== 'number' || typeof b.objective !== 'string') {
    return { ok: false, message: 'an XGBoost model needs { dump, base_score, objective, feature_names? }' };
  }
  const loaded = loadXgboostDump(b.dump, { base_score: b.base_score, objective: b.objective, feature_names: b.feature_names });
  if (!loaded.ok) return { ok: false, message: loaded.message };
  const model: XgboostModel = loaded.model;
  return {
    ok: true,
    model: {
      id,
      version,
      kind,
      score(ctx) {
        const features: Record<string, number | null> = {};
        for (const [k, v] of Object.entries(ctx)) features[k] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
        return { score: predictXgboost(model, features), reasons: [] };
      },
    },
  };
}

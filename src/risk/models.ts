/**
 * Models as the decision path sees them: something that reads the decision's context and
 * returns a score in [0, 1] (the probability of a bad outcome) with its top reasons. A
 * scorecard reads context keys as its attributes; an imported XGBoost dump or ONNX model
 * reads them as its feature names. The score lands in the context as `model.score`, for rules.
 *
 * Scoring may be asynchronous (onnxruntime runs a model through a promise), so callers
 * await `score`; scorecards and XGBoost answer synchronously. Each model reads only the
 * context keys it uses, not a copy of the whole context.
 */
import { loadOnnx, type OnnxErrorCode } from './onnx.js';
import { scoreRow, validateScorecard, type AttributeValue, type Scorecard } from './scorecard.js';
import { loadXgboostDump, predictXgboost, type XgboostModel } from './xgboost.js';
import type { Context } from './types.js';

export const MODEL_KINDS = ['scorecard', 'xgboost', 'onnx'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelReason {
  feature: string;
  detail: string;
}

/** A model's answer: the probability, or null when it cannot score this context (an ONNX model that gives NaN). */
export interface ModelScore {
  score: number | null;
  reasons: ModelReason[];
}

export interface LoadedModel {
  id: string;
  version: number;
  kind: ModelKind;
  score(ctx: Context): ModelScore | Promise<ModelScore>;
  /** Frees native resources (ONNX sessions) of a model that will not score again. */
  release?(): Promise<void>;
}

/** `invalid_model` for a body that does not load; the ONNX checks have codes of their own. */
export type ModelErrorCode = 'invalid_model' | OnnxErrorCode;

export type ModelLoad = { ok: true; model: LoadedModel } | { ok: false; code: ModelErrorCode; message: string };

/** The stored form of an imported XGBoost model: its JSON dump and how to read it. */
export interface XgboostBody {
  dump: unknown;
  base_score: number;
  objective: 'binary:logistic' | 'reg:logistic' | 'reg:squarederror';
  feature_names?: string[];
}

export { type OnnxBody } from './onnx.js';

/** The body field a load error is about, for problem+json `field`. */
export function modelErrorField(code: ModelErrorCode): string {
  if (code === 'onnx_feature_names_mismatch') return 'body.feature_names';
  if (code === 'onnx_output_unsupported' || code === 'onnx_score_out_of_range') return 'body.output';
  if (code === 'onnx_invalid_encoding' || code === 'onnx_model_too_large' || code === 'onnx_load_failed' || code === 'onnx_input_unsupported') return 'body.onnx_base64';
  return 'body';
}

export async function loadModel(id: string, version: number, kind: ModelKind, body: unknown): Promise<ModelLoad> {
  if (kind === 'scorecard') return loadScorecard(id, version, body);
  if (kind === 'xgboost') return loadXgboost(id, version, body);
  const loaded = await loadOnnx(body);
  if (!loaded.ok) return loaded;
  const onnx = loaded.model;
  return {
    ok: true,
    model: {
      id,
      version,
      kind,
      async score(ctx) {
        return { score: await onnx.score(ctx), reasons: [] };
      },
      release: () => onnx.release(),
    },
  };
}

function loadScorecard(id: string, version: number, body: unknown): ModelLoad {
  const checked = validateScorecard(body);
  if (!checked.ok) return { ok: false, code: 'invalid_model', message: checked.message };
  const card: Scorecard = checked.card;
  const attributes = card.attributes.map((a) => a.name);
  return {
    ok: true,
    model: {
      id,
      version,
      kind: 'scorecard',
      score(ctx) {
        const row: Record<string, AttributeValue | undefined> = {};
        for (const name of attributes) {
          const v = ctx[name];
          row[name] = typeof v === 'boolean' ? String(v) : v;
        }
        const scored = scoreRow(card, row);
        return {
          score: scored.probability_bad,
          reasons: scored.reasons.map((r) => ({ feature: r.attribute, detail: `${r.bin}: ${r.points.toFixed(1)} points (${r.points_lost.toFixed(1)} below the best)` })),
        };
      },
    },
  };
}

function loadXgboost(id: string, version: number, body: unknown): ModelLoad {
  const b = body as Partial<XgboostBody> | null;
  if (!b || typeof b !== 'object' || b.dump === undefined || typeof b.base_score !== 'number' || typeof b.objective !== 'string') {
    return { ok: false, code: 'invalid_model', message: 'an XGBoost model needs { dump, base_score, objective, feature_names? }' };
  }
  const loaded = loadXgboostDump(b.dump, { base_score: b.base_score, objective: b.objective, feature_names: b.feature_names });
  if (!loaded.ok) return { ok: false, code: 'invalid_model', message: loaded.message };
  const model: XgboostModel = loaded.model;
  return {
    ok: true,
    model: {
      id,
      version,
      kind: 'xgboost',
      score(ctx) {
        const features: Record<string, number | null> = {};
        for (const name of model.features) {
          const v = ctx[name];
          features[name] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
        }
        return { score: predictXgboost(model, features), reasons: [] };
      },
    },
  };
}

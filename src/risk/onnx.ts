/**
 * Imported ONNX models, run by onnxruntime-node on the CPU. The model arrives as base64 in
 * the stored body with the context keys it reads, in input order:
 *
 *   { onnx_base64, feature_names: ['event.amount', 'velocity.customer_payments_1h', …],
 *     output?: 'probabilities', missing_value?: 0 }
 *
 * Loading checks everything a decision would otherwise trip over, once: one float32 input
 * of shape [N, k] or [1, k] with k = feature_names.length; an output that is a probability
 * ([N], [N, 1], or [N, 2] whose column 1 is taken); and one probe run on a row of zeros
 * whose score must be in [0, 1] (a model that outputs margins or log-odds is refused, not
 * squashed). At decision time a score outside [0, 1] is clamped, and NaN (a missing input
 * the model does not handle) is no score: `model.score` is null.
 *
 * onnxruntime-node (a native library) is imported on first use, so a server without an
 * ONNX model deployed never loads it.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Context } from './types.js';

export const ONNX_LIMITS = {
  /** Decoded model size (the base64 text is a third larger). */
  bytes_max: 8 << 20,
  features_max: 10_000,
  feature_name_chars_max: 200,
  /** onnxruntime's own messages are shortened to this in errors. */
  message_chars_max: 300,
};

/** The stored form of an ONNX model. */
export interface OnnxBody {
  onnx_base64: string;
  /** The context keys fed to the input's k columns, in order. */
  feature_names: string[];
  /** The output holding the probability (default: the first that fits, preferring `probabilities` / `output_probability`). */
  output?: string;
  /** What a missing or non-numeric context value becomes (default NaN). */
  missing_value?: number;
}

export const ONNX_ERROR_CODES = [
  'onnx_invalid_encoding',
  'onnx_model_too_large',
  'onnx_load_failed',
  'onnx_input_unsupported',
  'onnx_feature_names_mismatch',
  'onnx_output_unsupported',
  'onnx_score_out_of_range',
  'onnx_runtime_unavailable',
] as const;
export type OnnxErrorCode = (typeof ONNX_ERROR_CODES)[number] | 'invalid_model';

export interface OnnxModel {
  readonly input: string;
  readonly output: string;
  readonly feature_names: readonly string[];
  /** The element of the output row that is the probability: 0 for [N] and [N, 1], 1 for [N, 2]. */
  readonly column: 0 | 1;
  /** The probability in [0, 1], or null when the model gives NaN (an input it cannot handle is missing). */
  score(ctx: Context): Promise<number | null>;
  release(): Promise<void>;
}

export type OnnxLoad = { ok: true; model: OnnxModel } | { ok: false; code: OnnxErrorCode; message: string };

type Ort = typeof import('onnxruntime-node');
let runtime: Promise<Ort> | undefined;

/** onnxruntime-node, imported once, on the first ONNX model. */
function ort(): Promise<Ort> {
  runtime ??= import('onnxruntime-node').catch((err: unknown) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  // One row per decision: thread pools cost more than they save, and the run happens on the event loop's thread anyway.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

const PROBABILITY_NAMES = ['probabilities', 'output_probability'];
const ZIPMAP_HINT = 'it is not a tensor (a ZipMap sequence of maps?): convert the classifier with zipmap=False (skl2onnx: options={id(model): {"zipmap": False}})';

class LoadError extends Error {
  constructor(
    readonly code: OnnxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const fail = (code: OnnxErrorCode, message: string): never => {
  throw new LoadError(code, message);
};

/** onnxruntime's message, first line, shortened. */
function short(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  return text.length > ONNX_LIMITS.message_chars_max ? `${text.slice(0, ONNX_LIMITS.message_chars_max)}…` : text;
}

export async function loadOnnx(body: unknown): Promise<OnnxLoad> {
  let session: InferenceSession | undefined;
  try {
    const b = checkBody(body);
    const bytes = decodeBase64(b.onnx_base64);
    const rt = await ort().catch((err: unknown) => fail('onnx_runtime_unavailable', `onnxruntime-node does not load on this server: ${short(err)}`));
    session = await rt.InferenceSession.create(bytes, SESSION_OPTIONS).catch((err: unknown) => fail('onnx_load_failed', `not an ONNX model onnxruntime can load: ${short(err)}`));
    const input = checkInput(session, b.feature_names.length);
    const output = chooseOutput(session, b.output);
    const column = await probe(rt, session, input, output, b.feature_names.length);
    return { ok: true, model: onnxModel(rt, session, input, output, column, b.feature_names, b.missing_value ?? NaN) };
  } catch (err) {
    await session?.release().catch(() => {});
    if (err instanceof LoadError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

function checkBody(body: unknown): OnnxBody {
  const b = body as Partial<OnnxBody> | null;
  const shape = 'an ONNX model needs { onnx_base64, feature_names, output?, missing_value? }';
  if (!b || typeof b !== 'object' || Array.isArray(b)) return fail('invalid_model', shape);
  for (const key of Object.keys(b)) if (!['onnx_base64', 'feature_names', 'output', 'missing_value'].includes(key)) fail('invalid_model', `${shape}; unknown field "${key}"`);
  if (typeof b.onnx_base64 !== 'string' || b.onnx_base64 === '') fail('invalid_model', `${shape}; onnx_base64 must be the model file in base64`);
  const names = b.feature_names;
  if (!Array.isArray(names) || names.length === 0 || names.length > ONNX_LIMITS.features_max) {
    fail('invalid_model', `feature_names must be an array of 1 to ${ONNX_LIMITS.features_max} context keys, one per input column`);
  }
  const seen = new Set<string>();
  names!.forEach((n, i) => {
    if (typeof n !== 'string' || n === '' || n.length > ONNX_LIMITS.feature_name_chars_max) fail('invalid_model', `feature_names[${i}] must be a context key such as "event.amount"`);
    if (seen.has(n)) fail('invalid_model', `feature_names[${i}]: "${n}" appears twice`);
    seen.add(n);
  });
  if (b.output !== undefined && (typeof b.output !== 'string' || b.output === '')) fail('invalid_model', 'output must be the name of one of the model outputs');
  if (b.missing_value !== undefined && (typeof b.missing_value !== 'number' || !Number.isFinite(b.missing_value))) fail('invalid_model', 'missing_value must be a finite number');
  return b as OnnxBody;
}

function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) fail('onnx_invalid_encoding', 'onnx_base64 is not base64 (A–Z a–z 0–9 + / and = padding)');
  const bytes_estimate = Math.floor((compact.length * 3) / 4);
  if (bytes_estimate > ONNX_LIMITS.bytes_max + 2) fail('onnx_model_too_large', `the model is about ${bytes_estimate} bytes; the limit is ${ONNX_LIMITS.bytes_max} (8 MiB)`);
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > ONNX_LIMITS.bytes_max) fail('onnx_model_too_large', `the model is ${bytes.length} bytes; the limit is ${ONNX_LIMITS.bytes_max} (8 MiB)`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

const shapeText = (m: InferenceSession.ValueMetadata): string => (m.isTensor ? `${m.type} [${m.shape.map((d) => (typeof d === 'string' ? d || '?' : d)).join(', ')}]` : 'not a tensor');

/** The one float32 input, [N, k] or [1, k] (N dynamic), with k the number of feature names. */
function checkInput(session: InferenceSession, k: number): string {
  const inputs = session.inputMetadata;
  const listed = inputs.map((m) => `${m.name} (${shapeText(m)})`).join(', ');
  if (inputs.length !== 1) fail('onnx_input_unsupported', `the model must have exactly one input (a float32 [N, k] tensor of the features); it has ${inputs.length}: ${listed}`);
  const m = inputs[0]!;
  if (!m.isTensor || m.type !== 'float32') fail('onnx_input_unsupported', `input ${m.name} must be a float32 tensor; it is ${shapeText(m)}`);
  const shape = (m as InferenceSession.TensorValueMetadata).shape;
  if (shape.length !== 2) fail('onnx_input_unsupported', `input ${m.name} must have shape [N, k] (a batch of rows of k features); it is ${shapeText(m)}`);
  const [batch, width] = shape;
  if (typeof batch === 'number' && batch !== 1) fail('onnx_input_unsupported', `input ${m.name} has a fixed batch size of ${batch}; it must be 1 or dynamic`);
  if (typeof width === 'number' && width !== k) {
    fail('onnx_feature_names_mismatch', `input ${m.name} takes ${width} features but feature_names names ${k}: give one context key per input column, in order`);
  }
  return m.name;
}

/** A float tensor that can hold one probability per row: [N], [N, 1] or [N, 2] (or a shape the model does not declare). */
function fits(m: InferenceSession.ValueMetadata): boolean {
  if (!m.isTensor || (m.type !== 'float32' && m.type !== 'float64')) return false;
  if (m.shape.length === 0) return true;
  const last = m.shape[m.shape.length - 1];
  return m.shape.length === 1 || (m.shape.length === 2 && (typeof last === 'string' || last === 1 || last === 2));
}

function chooseOutput(session: InferenceSession, wanted: string | undefined): string {
  const outputs = session.outputMetadata;
  const listed = outputs.map((m) => `${m.name} (${shapeText(m)})`).join(', ');
  if (wanted !== undefined) {
    const m = outputs.find((o) => o.name === wanted);
    if (!m) return fail('onnx_output_unsupported', `the model has no output "${wanted}"; its outputs: ${listed}`);
    if (!m.isTensor) fail('onnx_output_unsupported', `output ${m.name}: ${ZIPMAP_HINT}`);
    if (!fits(m)) fail('onnx_output_unsupported', `output ${m.name} is ${shapeText(m)}; a probability output is a float tensor [N], [N, 1] or [N, 2]`);
    return m.name;
  }
  const preferred = outputs.find((o) => PROBABILITY_NAMES.includes(o.name) && fits(o)) ?? outputs.find(fits);
  if (preferred) return preferred.name;
  const nonTensor = outputs.find((o) => !o.isTensor);
  if (nonTensor) fail('onnx_output_unsupported', `no output is a float tensor of probabilities; output ${nonTensor.name}: ${ZIPMAP_HINT}`);
  return fail('onnx_output_unsupported', `no output is a float tensor [N], [N, 1] or [N, 2] of probabilities; the outputs: ${listed}`);
}

/** One run on a row of zeros: the model runs, its output has one or two values per row, and the score is a probability. */
async function probe(rt: Ort, session: InferenceSession, input: string, output: string, k: number): Promise<0 | 1> {
  const result = await session
    .run({ [input]: new rt.Tensor('float32', new Float32Array(k), [1, k]) }, [output])
    .catch((err: unknown) => fail('onnx_load_failed', `the model fails on a row of zeros: ${short(err)}`));
  const t = result[output] as Tensor | undefined;
  if (!t || (t.type !== 'float32' && t.type !== 'float64')) return fail('onnx_output_unsupported', `output ${output} did not give a float tensor`);
  const perRow = t.dims.length === 0 ? 1 : t.dims.slice(1).reduce((n, d) => n * d, 1);
  if (t.dims[0] !== undefined && t.dims[0] !== 1 && t.dims.length > 0) fail('onnx_output_unsupported', `output ${output} gave ${t.dims[0]} rows for one input row`);
  if (perRow !== 1 && !(perRow === 2 && t.dims.length === 2)) fail('onnx_output_unsupported', `output ${output} gave shape [${t.dims.join(', ')}] for one row; expected [1], [1, 1] or [1, 2]`);
  const column = perRow === 2 ? 1 : 0;
  const p = Number((t.data as Float32Array | Float64Array)[column]);
  if (!(p >= 0 && p <= 1)) {
    fail('onnx_score_out_of_range', `output ${output} gave ${p} on a row of zeros; it must be a probability in [0, 1] (export the probability, e.g. with a Sigmoid, not the margin)`);
  }
  return column;
}

function onnxModel(rt: Ort, session: InferenceSession, input: string, output: string, column: 0 | 1, names: readonly string[], missing: number): OnnxModel {
  const k = names.length;
  const dims = [1, k];
  const fetches = [output];
  return {
    input,
    output,
    feature_names: names,
    column,
    async score(ctx) {
      const x = new Float32Array(k);
      for (let i = 0; i < k; i++) {
        const v = ctx[names[i]!];
        x[i] = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : missing;
      }
      const result = await session.run({ [input]: new rt.Tensor('float32', x, dims) }, fetches);
      const p = Number((result[output]!.data as Float32Array | Float64Array)[column]);
      if (Number.isNaN(p)) return null;
      return p < 0 ? 0 : p > 1 ? 1 : p;
    },
    release: () => session.release(),
  };
}

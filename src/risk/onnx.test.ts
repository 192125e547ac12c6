/**
 * ONNX import on real model files (written by test/helpers/onnx-model.ts, a small protobuf
 * encoder): scores equal sigmoid(w·x + b) computed here, the output and column are chosen
 * as documented, missing values follow `missing_value`, and every way a model can be
 * unusable is refused at load with its own code. onnxruntime-node is loaded only once an
 * ONNX model is.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  doubleInputModel,
  ElemType,
  expectedScore,
  logisticRegression,
  modelBytes,
  node,
  tensor,
  tensorValue,
  toBase64,
  twoInputModel,
  zipMapClassifier,
} from '../../test/helpers/onnx-model.js';
import { compileRuleSet } from './core.js';
import { DEFAULT_VELOCITY_FEATURES } from './defaults.js';
import { RiskEngine } from './engine.js';
import { loadModel } from './models.js';
import { loadOnnx, ONNX_LIMITS, type OnnxBody, type OnnxModel } from './onnx.js';
import type { Context } from './types.js';

const NAMES = ['event.amount', 'velocity.customer_payments_1h', 'customer.new_device'];
const W = [0.0008, 0.45, 1.2];
const B = -6;

const ortLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/onnxruntime-node/'));

async function mustLoad(body: Partial<OnnxBody> & { onnx_base64: string }): Promise<OnnxModel> {
  const loaded = await loadOnnx({ feature_names: NAMES, ...body });
  if (!loaded.ok) throw new Error(`${loaded.code}: ${loaded.message}`);
  return loaded.model;
}

async function refused(body: unknown): Promise<{ code: string; message: string }> {
  const loaded = await loadOnnx(body);
  if (loaded.ok) throw new Error('the model loaded');
  return loaded;
}

const ctx = (amount: number | null, payments: number | null, newDevice: boolean | null): Context => ({
  'event.type': 'payment',
  'event.amount': amount,
  'velocity.customer_payments_1h': payments,
  'customer.new_device': newDevice,
});

describe('loading onnxruntime-node', () => {
  it('is lazy: nothing loads it until an ONNX model is loaded', async () => {
    expect(ortLoaded()).toBe(false);
    const card = await loadModel('m', 1, 'xgboost', { dump: [{ nodeid: 0, leaf: 0.5 }], base_score: 0.5, objective: 'binary:logistic' });
    expect(card.ok).toBe(true);
    expect(ortLoaded()).toBe(false);
    await mustLoad({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: B })) });
    expect(ortLoaded()).toBe(true);
  });
});

describe('scores', () => {
  const rows: [number, number, boolean][] = [
    [0, 0, false],
    [150, 0, false],
    [5_000, 2, false],
    [9_500, 4, true],
    [12_345, 7, true],
  ];

  for (const [label, options] of [
    ['[N, 1] output, float_data weights', {}],
    ['[N, 2] output ([1 − p, p], column 1), raw_data weights', { output: 'two', raw: true }],
    ['[1, k] input (fixed batch of one)', { batch: 1 }],
    ['[N, ?] input (dynamic feature dimension)', { dynamic_features: true }],
  ] as const) {
    it(`a logistic regression scores sigmoid(w·x + b) within 1e-6: ${label}`, async () => {
      const model = await mustLoad({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: B, ...options })) });
      expect(model.column).toBe('output' in options && options.output === 'two' ? 1 : 0);
      for (const [amount, payments, newDevice] of rows) {
        const got = await model.score(ctx(amount, payments, newDevice));
        const want = expectedScore(W, B, [amount, payments, newDevice ? 1 : 0]);
        expect(Math.abs(got! - want), `${amount}, ${payments}, ${newDevice}: ${got} vs ${want}`).toBeLessThan(1e-6);
      }
    });
  }

  it('scores distinguish: a large payment with a velocity burst on a new device scores high, a small one low', async () => {
    const model = await mustLoad({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: B })) });
    expect(await model.score(ctx(150, 0, false))).toBeLessThan(0.01);
    expect(await model.score(ctx(9_500, 4, true))).toBeGreaterThan(0.9);
  });

  it('missing values are NaN by default (a linear model then gives no score: null), or missing_value when given', async () => {
    const bytes = toBase64(logisticRegression({ weights: W, bias: B }));
    const nan = await mustLoad({ onnx_base64: bytes });
    expect(await nan.score(ctx(9_500, null, true))).toBeNull();
    expect(await nan.score({ 'event.amount': 9_500, 'velocity.customer_payments_1h': 'four', 'customer.new_device': true })).toBeNull();
    const zero = await mustLoad({ onnx_base64: bytes, missing_value: 0 });
    expect(Math.abs((await zero.score(ctx(9_500, null, null)))! - expectedScore(W, B, [9_500, 0, 0]))).toBeLessThan(1e-6);
    expect(Math.abs((await zero.score({}))! - expectedScore(W, B, [0, 0, 0]))).toBeLessThan(1e-6);
  });

  it('concurrent scores on one session each get their own row', async () => {
    const model = await mustLoad({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: B })) });
    const got = await Promise.all(rows.map(([a, p, d]) => model.score(ctx(a, p, d))));
    got.forEach((g, i) => expect(Math.abs(g! - expectedScore(W, B, [rows[i]![0], rows[i]![1], rows[i]![2] ? 1 : 0]))).toBeLessThan(1e-6));
  });

  it('the default output prefers `probabilities` over an earlier float output; `output` names another', async () => {
    const k = 2;
    const bytes = modelBytes({
      nodes: [
        node('MatMul', ['x', 'W'], ['xw']),
        node('Add', ['xw', 'B'], ['margin']),
        node('Sigmoid', ['margin'], ['p']),
        node('Sub', ['one', 'p'], ['q']),
        node('Concat', ['q', 'p'], ['probabilities'], [{ name: 'axis', int: 1 }]),
        node('Identity', ['p'], ['p_copy']),
      ],
      initializers: [tensor('W', [k, 1], [0.5, -0.25]), tensor('B', [1], [3]), tensor('one', [1], [1])],
      inputs: [tensorValue('x', ElemType.FLOAT, ['N', k])],
      outputs: [tensorValue('margin', ElemType.FLOAT, ['N', 1]), tensorValue('probabilities', ElemType.FLOAT, ['N', 2]), tensorValue('p_copy', ElemType.FLOAT, ['N', 1])],
    });
    const names = ['event.amount', 'velocity.customer_payments_1h'];
    const x = { 'event.amount': 4, 'velocity.customer_payments_1h': 2 };
    const want = expectedScore([0.5, -0.25], 3, [4, 2]);
    const chosen = await mustLoad({ onnx_base64: toBase64(bytes), feature_names: names });
    expect(chosen).toMatchObject({ output: 'probabilities', column: 1 });
    expect(Math.abs((await chosen.score(x))! - want)).toBeLessThan(1e-6);
    const named = await mustLoad({ onnx_base64: toBase64(bytes), feature_names: names, output: 'p_copy' });
    expect(named).toMatchObject({ output: 'p_copy', column: 0 });
    expect(Math.abs((await named.score(x))! - want)).toBeLessThan(1e-6);
    // The margin is 3 on a row of zeros: not a probability.
    expect(await refused({ onnx_base64: toBase64(bytes), feature_names: names, output: 'margin' })).toMatchObject({ code: 'onnx_score_out_of_range' });
    const unknown = await refused({ onnx_base64: toBase64(bytes), feature_names: names, output: 'label' });
    expect(unknown.code).toBe('onnx_output_unsupported');
    expect(unknown.message).toContain('margin (float32 [N, 1]), probabilities (float32 [N, 2]), p_copy (float32 [N, 1])');
  });

  it('a score outside [0, 1] at decision time is clamped (the probe on zeros passed)', async () => {
    // A margin model whose margin at zero is 0.5 passes the probe, then goes out of range.
    const model = await mustLoad({ onnx_base64: toBase64(logisticRegression({ weights: [1, 0, 0], bias: 0.5, output: 'margin' })) });
    expect(await model.score(ctx(10, 0, false))).toBe(1);
    expect(await model.score(ctx(-10, 0, false))).toBe(0);
    expect(await model.score(ctx(0.25, 0, false))).toBeCloseTo(0.75, 6);
  });
});

describe('refused at load, each with its code', () => {
  const good = toBase64(logisticRegression({ weights: W, bias: B }));

  it('a body that is not { onnx_base64, feature_names, output?, missing_value? } → invalid_model', async () => {
    for (const body of [
      null,
      'x',
      [],
      { feature_names: NAMES },
      { onnx_base64: good },
      { onnx_base64: good, feature_names: [] },
      { onnx_base64: good, feature_names: ['event.amount', 'event.amount', 'x'] },
      { onnx_base64: good, feature_names: ['event.amount', 3, 'x'] },
      { onnx_base64: good, feature_names: NAMES, missing_value: 'zero' },
      { onnx_base64: good, feature_names: NAMES, output: 7 },
      { onnx_base64: good, feature_names: NAMES, extra: true },
    ]) {
      expect((await refused(body)).code, JSON.stringify(body)).toBe('invalid_model');
    }
  });

  it('not base64 → onnx_invalid_encoding; more than 8 MiB → onnx_model_too_large (before decoding)', async () => {
    for (const text of ['not base64!', 'AAAA-_', 'A', `${good.slice(0, 8)}=${good.slice(8)}`]) {
      expect((await refused({ onnx_base64: text, feature_names: NAMES })).code, text).toBe('onnx_invalid_encoding');
    }
    // Base64 wrapped at 76 columns, as tools write it, is fine.
    await mustLoad({ onnx_base64: good.replace(/.{76}/g, '$&\n') });
    const big = 'A'.repeat(Math.ceil(((ONNX_LIMITS.bytes_max + 1024) * 4) / 3 / 4) * 4);
    expect(await refused({ onnx_base64: big, feature_names: NAMES })).toMatchObject({ code: 'onnx_model_too_large' });
  });

  it('bytes that are not an ONNX model, or a corrupted one → onnx_load_failed quoting onnxruntime, shortened', async () => {
    const garbage = await refused({ onnx_base64: Buffer.from('this is not a model at all').toString('base64'), feature_names: NAMES });
    expect(garbage.code).toBe('onnx_load_failed');
    expect(garbage.message).toMatch(/^not an ONNX model onnxruntime can load: .+/);
    expect(garbage.message.length).toBeLessThan(ONNX_LIMITS.message_chars_max + 60);
    const bytes = logisticRegression({ weights: W, bias: B });
    const truncated = await refused({ onnx_base64: toBase64(bytes.subarray(0, Math.floor(bytes.length * 0.6))), feature_names: NAMES });
    expect(truncated.code).toBe('onnx_load_failed');
    const flipped = Uint8Array.from(bytes);
    for (let i = 20; i < flipped.length; i += 7) flipped[i] = flipped[i]! ^ 0xa5;
    expect((await refused({ onnx_base64: toBase64(flipped), feature_names: NAMES })).code).toBe('onnx_load_failed');
  });

  it('feature_names with another count than the input width → onnx_feature_names_mismatch', async () => {
    const r = await refused({ onnx_base64: good, feature_names: NAMES.slice(0, 2) });
    expect(r.code).toBe('onnx_feature_names_mismatch');
    expect(r.message).toContain('takes 3 features but feature_names names 2');
  });

  it('two inputs, a double input, a fixed batch of 32 → onnx_input_unsupported', async () => {
    expect(await refused({ onnx_base64: toBase64(twoInputModel(3)), feature_names: NAMES })).toMatchObject({ code: 'onnx_input_unsupported', message: expect.stringContaining('it has 2') });
    expect(await refused({ onnx_base64: toBase64(doubleInputModel(3)), feature_names: NAMES })).toMatchObject({ code: 'onnx_input_unsupported', message: expect.stringContaining('float64') });
    expect(await refused({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: B, batch: 32 })), feature_names: NAMES })).toMatchObject({
      code: 'onnx_input_unsupported',
      message: expect.stringContaining('fixed batch size of 32'),
    });
  });

  it("a ZipMap output (skl2onnx's default for classifiers) → onnx_output_unsupported, saying zipmap=False", async () => {
    const r = await refused({ onnx_base64: toBase64(zipMapClassifier([0.1, 0.2, 0.3], 0)), feature_names: NAMES });
    expect(r.code).toBe('onnx_output_unsupported');
    expect(r.message).toContain('zipmap=False');
    const named = await refused({ onnx_base64: toBase64(zipMapClassifier([0.1, 0.2, 0.3], 0)), feature_names: NAMES, output: 'output_probability' });
    expect(named.message).toContain('zipmap=False');
  });

  it('an output that is a margin (3 on a row of zeros) → onnx_score_out_of_range', async () => {
    const r = await refused({ onnx_base64: toBase64(logisticRegression({ weights: W, bias: 3, output: 'margin' })), feature_names: NAMES });
    expect(r.code).toBe('onnx_score_out_of_range');
    expect(r.message).toContain('gave 3 on a row of zeros');
  });
});

describe('through loadModel and the verdict', () => {
  it("kind 'onnx' scores asynchronously with no reasons, and a rule on model.score decides", async () => {
    const loaded = await loadModel('onnx_lr', 2, 'onnx', { onnx_base64: toBase64(logisticRegression({ weights: W, bias: B })), feature_names: NAMES });
    if (!loaded.ok) throw new Error(loaded.message);
    expect(loaded.model).toMatchObject({ id: 'onnx_lr', version: 2, kind: 'onnx' });
    const pending = loaded.model.score(ctx(9_500, 4, true));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).reasons).toEqual([]);

    const compiled = compileRuleSet({ rules: [{ id: 'model_high', when: 'model.score > 0.8', outcome: 'review', reason: 'the model says so' }] }, DEFAULT_VELOCITY_FEATURES);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
    const slot = { compiled: compiled.compiled, model: loaded.model };
    const high = await RiskEngine.verdict(slot, ctx(9_500, 4, true));
    expect(high).toMatchObject({ outcome: 'review', model_reasons: [] });
    expect(Math.abs(high.score! - expectedScore(W, B, [9_500, 4, 1]))).toBeLessThan(1e-6);
    const low = await RiskEngine.verdict(slot, ctx(150, 0, false));
    expect(low.outcome).toBe('allow');
    const unscored = await RiskEngine.verdict(slot, ctx(150, null, false));
    expect(unscored).toMatchObject({ outcome: 'allow', score: null });
    await loaded.model.release?.();
  });

  it('a body that does not load comes back with its code', async () => {
    expect(await loadModel('x', 1, 'onnx', { onnx_base64: '%%%', feature_names: NAMES })).toMatchObject({ ok: false, code: 'onnx_invalid_encoding' });
    expect(await loadModel('x', 1, 'xgboost', { dump: [] })).toMatchObject({ ok: false, code: 'invalid_model' });
  });
});

/**
 * Real .onnx files for tests, without Python: a minimal protobuf encoder for the few ONNX
 * messages a small model needs (ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto, TypeProto), and builders on top of it: a logistic regression
 * (MatMul → Add → Sigmoid) with a [N, 1] or a [N, 2] ([1 − p, p]) output, and variants
 * that break one rule each (raw margin, integer input, two inputs, a ZipMap output).
 * Field numbers are those of onnx/onnx.proto3.
 */

// ------------------------------------------------------------------ protobuf wire format

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 negatives are ten-byte two's complement
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wire: 0 | 2 | 5): number[] => varint((field << 3) | wire);
const int = (field: number, n: number | bigint): Field => Uint8Array.from([...tag(field, 0), ...varint(n)]);
const bytes = (field: number, body: Uint8Array): Field => Uint8Array.from([...tag(field, 2), ...varint(body.length), ...body]);
const str = (field: number, s: string): Field => bytes(field, new TextEncoder().encode(s));
const message = (field: number, ...parts: Field[]): Field => bytes(field, concat(parts));

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Packed little-endian float32s (repeated float, wire type 2). */
function packedFloats(field: number, values: readonly number[]): Field {
  const buf = new Uint8Array(values.length * 4);
  const view = new DataView(buf.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes(field, buf);
}

// ------------------------------------------------------------------ ONNX messages

export const ElemType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

/** A dimension: a fixed size, or a named (dynamic) one such as 'N'. */
export type Dim = number | string;

/** TensorProto: `float_data` (field 4) or, with raw, little-endian `raw_data` (field 9). */
export function tensor(name: string, dims: readonly number[], values: readonly number[], raw = false): Field[] {
  const parts = [...dims.map((d) => int(1, d)), int(2, ElemType.FLOAT)];
  if (raw) {
    const buf = new Uint8Array(values.length * 4);
    const view = new DataView(buf.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    parts.push(bytes(9, buf));
  } else parts.push(packedFloats(4, values));
  parts.push(str(8, name));
  return parts;
}

/** TypeProto.Tensor with a shape (TensorShapeProto: dim_value 1, dim_param 2). */
function tensorType(elem: number, dims: readonly Dim[]): Field {
  const shape = message(2, ...dims.map((d) => message(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  return message(1, int(1, elem), shape);
}

/** ValueInfoProto of a tensor. */
export const tensorValue = (name: string, elem: number, dims: readonly Dim[]): Field[] => [str(1, name), message(2, tensorType(elem, dims))];

/** ValueInfoProto of seq(map(int64, float)), what skl2onnx's ZipMap outputs. */
export function zipMapValue(name: string): Field[] {
  const valueType = message(2, tensorType(ElemType.FLOAT, []));
  const mapType = message(5, int(1, ElemType.INT64), valueType);
  const sequence = message(4, message(1, mapType));
  return [str(1, name), message(2, sequence)];
}

export interface Attribute {
  name: string;
  int?: number;
  ints?: number[];
}

/** NodeProto; attributes of type INT (2) or INTS (7). */
export function node(op: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Attribute[] = [], domain = ''): Field[] {
  const parts = [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op)];
  for (const a of attributes) {
    if (a.ints) parts.push(message(5, str(1, a.name), ...a.ints.map((v) => int(8, v)), int(20, 7)));
    else parts.push(message(5, str(1, a.name), int(3, a.int ?? 0), int(20, 2)));
  }
  if (domain) parts.push(str(7, domain));
  return parts;
}

export interface Graph {
  nodes: Field[][];
  initializers: Field[][];
  inputs: Field[][];
  outputs: Field[][];
  /** Extra operator sets beside the default domain (e.g. ai.onnx.ml for ZipMap). */
  opsets?: { domain: string; version: number }[];
}

/** ModelProto: ir_version 8, opset 13 of the default domain, the graph. */
export function modelBytes(g: Graph): Uint8Array {
  const graph = message(
    7,
    ...g.nodes.map((n) => message(1, ...n)),
    str(2, 'capillary_test'),
    ...g.initializers.map((t) => message(5, ...t)),
    ...g.inputs.map((v) => message(11, ...v)),
    ...g.outputs.map((v) => message(12, ...v)),
  );
  const opsets = [{ domain: '', version: 13 }, ...(g.opsets ?? [])].map((o) => message(8, str(1, o.domain), int(2, o.version)));
  return concat([int(1, 8), str(2, 'capillary-test-encoder'), graph, ...opsets]);
}

// ------------------------------------------------------------------ models

export interface LogisticOptions {
  weights: readonly number[];
  bias: number;
  /** 'p': [N, 1] of p (default); 'two': [N, 2] of [1 − p, p]; 'margin': w·x + b without the sigmoid. */
  output?: 'p' | 'two' | 'margin';
  /** Output tensor name (default 'score'). */
  output_name?: string;
  input_name?: string;
  /** The batch dimension: a name (dynamic, default 'N') or a fixed size. */
  batch?: Dim;
  /** Store the initializers as raw_data instead of float_data. */
  raw?: boolean;
  /** Declare the feature dimension as dynamic instead of k. */
  dynamic_features?: boolean;
}

/** Logistic regression: sigmoid(x·w + b), x a float [batch, k] tensor. */
export function logisticRegression(o: LogisticOptions): Uint8Array {
  const k = o.weights.length;
  const input = o.input_name ?? 'x';
  const out = o.output_name ?? 'score';
  const batch = o.batch ?? 'N';
  const nodes = [node('MatMul', [input, 'W'], ['xw']), node('Add', ['xw', 'B'], [o.output === 'margin' ? out : 'z'])];
  const initializers = [tensor('W', [k, 1], o.weights, o.raw), tensor('B', [1], [o.bias], o.raw)];
  let outDims: Dim[] = [batch, 1];
  if (o.output === 'two') {
    nodes.push(node('Sigmoid', ['z'], ['p']), node('Sub', ['one', 'p'], ['q']), node('Concat', ['q', 'p'], [out], [{ name: 'axis', int: 1 }]));
    initializers.push(tensor('one', [1], [1], o.raw));
    outDims = [batch, 2];
  } else if (o.output !== 'margin') nodes.push(node('Sigmoid', ['z'], [out]));
  return modelBytes({
    nodes,
    initializers,
    inputs: [tensorValue(input, ElemType.FLOAT, [batch, o.dynamic_features ? 'k' : k])],
    outputs: [tensorValue(out, ElemType.FLOAT, outDims)],
  });
}

/** As skl2onnx writes a classifier with ZipMap: a label and a seq(map(int64, float)) probability output. */
export function zipMapClassifier(weights: readonly number[], bias: number): Uint8Array {
  const k = weights.length;
  return modelBytes({
    nodes: [
      node('MatMul', ['x', 'W'], ['xw']),
      node('Add', ['xw', 'B'], ['z']),
      node('Sigmoid', ['z'], ['p']),
      node('Sub', ['one', 'p'], ['q']),
      node('Concat', ['q', 'p'], ['probabilities'], [{ name: 'axis', int: 1 }]),
      node('ZipMap', ['probabilities'], ['output_probability'], [{ name: 'classlabels_int64s', ints: [0, 1] }], 'ai.onnx.ml'),
    ],
    initializers: [tensor('W', [k, 1], weights), tensor('B', [1], [bias]), tensor('one', [1], [1])],
    inputs: [tensorValue('x', ElemType.FLOAT, ['N', k])],
    outputs: [zipMapValue('output_probability')],
    opsets: [{ domain: 'ai.onnx.ml', version: 1 }],
  });
}

/** Two inputs (x and y, each [N, k]) added: not a single-input model. */
export function twoInputModel(k: number): Uint8Array {
  return modelBytes({
    nodes: [node('Add', ['x', 'y'], ['s'])],
    initializers: [],
    inputs: [tensorValue('x', ElemType.FLOAT, ['N', k]), tensorValue('y', ElemType.FLOAT, ['N', k])],
    outputs: [tensorValue('s', ElemType.FLOAT, ['N', k])],
  });
}

/** A double (float64) input: not the float32 input the engine feeds. */
export function doubleInputModel(k: number): Uint8Array {
  return modelBytes({
    nodes: [node('Cast', ['x'], ['xf'], [{ name: 'to', int: ElemType.FLOAT }]), node('ReduceSum', ['xf'], ['s'], [{ name: 'keepdims', int: 1 }])],
    initializers: [],
    inputs: [tensorValue('x', ElemType.DOUBLE, ['N', k])],
    outputs: [tensorValue('s', ElemType.FLOAT, [1, 1])],
  });
}

export const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The score a logistic regression gives, computed here in float64 from float32 weights and inputs. */
export function expectedScore(weights: readonly number[], bias: number, x: readonly number[]): number {
  let z = Math.fround(bias);
  weights.forEach((w, i) => (z += Math.fround(w) * Math.fround(x[i]!)));
  return sigmoid(z);
}

/**
 * Small ONNX models built by hand, for the tests of models trained elsewhere:
 * a minimal protobuf writer for onnx.proto's ModelProto (graph, nodes,
 * attributes, float initializers, typed inputs and outputs with a symbolic
 * batch dimension), and two models shaped the way the exporters shape them:
 *
 * - `logisticOnnx`: MatMul + Add + Sigmoid, then [1 − p, p] concatenated into an
 *   [n, 2] `probabilities` tensor (skl2onnx's LogisticRegression without ZipMap);
 * - `treeEnsembleOnnx`: ai.onnx.ml TreeEnsembleClassifier with `label` and
 *   `probabilities` outputs, P = sigmoid(base + Σ leaf weights) as onnxmltools
 *   exports XGBoost (and skl2onnx a binary GradientBoostingClassifier),
 *   optionally followed by ZipMap (a sequence of {class: probability} maps).
 *
 * Field numbers are onnx.proto's (github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */
import type { TreeNodes } from '../../src/models/artifact.js';

// ---- protobuf wire format -------------------------------------------------------------------

type Bytes = Uint8Array;

function varint(value: number | bigint): number[] {
  // int64 fields: negatives are ten bytes of two's complement.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

const concat = (parts: readonly Bytes[]): Bytes => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

const tag = (field: number, wire: 0 | 1 | 2 | 5) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Bytes => Uint8Array.from([...tag(field, 0), ...varint(value)]);
const bytes = (field: number, value: Bytes): Bytes =>
  concat([Uint8Array.from([...tag(field, 2), ...varint(value.length)]), value]);
const str = (field: number, value: string): Bytes => bytes(field, new TextEncoder().encode(value));
const msg = (field: number, parts: readonly Bytes[]): Bytes => bytes(field, concat(parts));
const float32 = (field: number, value: number): Bytes => {
  const out = new Uint8Array(5);
  out[0] = (field << 3) | 5;
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
};
const packedFloats = (field: number, values: readonly number[]): Bytes =>
  bytes(field, new Uint8Array(Float32Array.from(values).buffer));

// ---- onnx.proto -------------------------------------------------------------------------------

/** TensorProto.DataType values used here. */
export const ElemType = { FLOAT: 1, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

/** A dimension: a size, or a symbolic name such as the batch's `N`. */
export type Dim = number | string;

/** A value's type: a tensor of an element type and shape, or a sequence of maps (ZipMap's output). */
export type ValueType =
  | { readonly tensor: number; readonly shape: readonly Dim[] }
  | { readonly sequenceOfMaps: { readonly key: number; readonly value: number } };

export interface ValueInfo {
  readonly name: string;
  readonly type: ValueType;
}

export type AttributeValue =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** '' (ai.onnx) or 'ai.onnx.ml'. */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface FloatTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

export interface GraphSpec {
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly FloatTensor[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Operator sets: ai.onnx's version always, ai.onnx.ml's when a node needs it. */
  readonly opsets?: Readonly<Record<string, number>>;
}

function typeProto(type: ValueType): Bytes[] {
  if ('tensor' in type) {
    const dims = type.shape.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
    return [msg(1, [int(1, type.tensor), msg(2, dims)])];
  }
  // TypeProto.sequence_type (4) { elem_type: TypeProto.map_type (5) { key_type, value_type: tensor scalar } }.
  const value = msg(2, [msg(1, [int(1, type.sequenceOfMaps.value)])]);
  return [msg(4, [msg(1, [msg(5, [int(1, type.sequenceOfMaps.key), value])])])];
}

const valueInfo = (field: number, info: ValueInfo): Bytes => msg(field, [str(1, info.name), msg(2, typeProto(info.type))]);

// AttributeProto.AttributeType
const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7, strings: 8 } as const;

function attribute(name: string, value: AttributeValue): Bytes {
  const parts: Bytes[] = [str(1, name)];
  if ('f' in value) parts.push(float32(2, value.f), int(20, ATTRIBUTE_TYPE.f));
  else if ('i' in value) parts.push(int(3, value.i), int(20, ATTRIBUTE_TYPE.i));
  else if ('s' in value) parts.push(str(4, value.s), int(20, ATTRIBUTE_TYPE.s));
  else if ('floats' in value) parts.push(...value.floats.map((f) => float32(7, f)), int(20, ATTRIBUTE_TYPE.floats));
  else if ('ints' in value) parts.push(...value.ints.map((i) => int(8, i)), int(20, ATTRIBUTE_TYPE.ints));
  else parts.push(...value.strings.map((s) => str(9, s)), int(20, ATTRIBUTE_TYPE.strings));
  return msg(5, parts);
}

function node(spec: NodeSpec, index: number): Bytes {
  return msg(1, [
    ...spec.inputs.map((i) => str(1, i)),
    ...spec.outputs.map((o) => str(2, o)),
    str(3, `${spec.op}_${index}`),
    str(4, spec.op),
    ...Object.entries(spec.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    ...(spec.domain ? [str(7, spec.domain)] : []),
  ]);
}

const initializer = (tensor: FloatTensor): Bytes =>
  msg(5, [...tensor.dims.map((d) => int(1, d)), int(2, ElemType.FLOAT), packedFloats(4, tensor.values), str(8, tensor.name)]);

/** The ModelProto bytes of a graph (IR version 8, ai.onnx 17 unless told). */
export function encodeModel(graph: GraphSpec): Uint8Array {
  const opsets = { '': 17, ...graph.opsets };
  const graphBytes = msg(7, [
    ...graph.nodes.map(node),
    str(2, 'featurelake_test'),
    ...(graph.initializers ?? []).map(initializer),
    ...graph.inputs.map((i) => valueInfo(11, i)),
    ...graph.outputs.map((o) => valueInfo(12, o)),
  ]);
  return concat([
    int(1, 8),
    str(2, 'featurelake-test'),
    str(3, '1'),
    graphBytes,
    ...Object.entries(opsets).map(([domain, version]) => msg(8, [str(1, domain), int(2, version)])),
  ]);
}

// ---- exporter-shaped models ---------------------------------------------------------------

export interface LogisticOnnx {
  readonly weights: readonly number[];
  readonly intercept: number;
  /** @default 'input' */
  readonly input?: string;
  /** @default 'probabilities' */
  readonly output?: string;
  /** Leave out the Sigmoid: the output is [−z, z], scores rather than probabilities. @default false */
  readonly logits?: boolean;
}

/** P(1) = sigmoid(x·w + b), output as [n, 2] = [1 − p, p]: float32 input [N, weights.length]. */
export function logisticOnnx(spec: LogisticOnnx): Uint8Array {
  const k = spec.weights.length;
  const nodes: NodeSpec[] = [
    { op: 'MatMul', inputs: [spec.input ?? 'input', 'coef'], outputs: ['z0'] },
    { op: 'Add', inputs: ['z0', 'intercept'], outputs: ['z'] },
    spec.logits ? { op: 'Neg', inputs: ['z'], outputs: ['q'] } : { op: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
    ...(spec.logits ? [] : [{ op: 'Sub', inputs: ['one', 'p'], outputs: ['q'] }]),
    {
      op: 'Concat',
      inputs: ['q', spec.logits ? 'z' : 'p'],
      outputs: [spec.output ?? 'probabilities'],
      attributes: { axis: { i: 1 } },
    },
  ];
  return encodeModel({
    nodes,
    initializers: [
      { name: 'coef', dims: [k, 1], values: spec.weights },
      { name: 'intercept', dims: [1], values: [spec.intercept] },
      ...(spec.logits ? [] : [{ name: 'one', dims: [1], values: [1] }]),
    ],
    inputs: [{ name: spec.input ?? 'input', type: { tensor: ElemType.FLOAT, shape: ['N', k] } }],
    outputs: [{ name: spec.output ?? 'probabilities', type: { tensor: ElemType.FLOAT, shape: ['N', 2] } }],
  });
}

export interface TreeEnsembleOnnx {
  /** Width of the float32 input. */
  readonly inputs: number;
  /** Each tree as the artifact writes trees: go to `left` when x[feature] <= threshold; `value` at leaves is the raw score. */
  readonly trees: readonly TreeNodes[];
  /** The raw score before any tree (XGBoost's base_score as a logit). */
  readonly baseScore: number;
  /** Follow with ZipMap: output `output_probability`, a sequence of {0: p0, 1: p1}. @default false */
  readonly zipMap?: boolean;
  /** @default 'input' */
  readonly input?: string;
}

/**
 * A binary GBDT as onnxmltools exports XGBoost: one TreeEnsembleClassifier whose leaves all weigh
 * class 0, post_transform LOGISTIC, classlabels [0, 1]; outputs `label` (int64 [N]) and
 * `probabilities` (float [N, 2] = [1 − p, p]), then `output_probability` when zipMap.
 */
export function treeEnsembleOnnx(spec: TreeEnsembleOnnx): Uint8Array {
  const nodes = { treeIds: [] as number[], nodeIds: [] as number[], features: [] as number[], modes: [] as string[] };
  const branch = { values: [] as number[], trueIds: [] as number[], falseIds: [] as number[] };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  spec.trees.forEach((tree, t) => {
    tree.feature.forEach((feature, i) => {
      const leaf = feature === -1;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(i);
      nodes.features.push(leaf ? 0 : feature);
      nodes.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      branch.values.push(leaf ? 0 : (tree.threshold[i] ?? 0));
      branch.trueIds.push(leaf ? 0 : (tree.left[i] ?? 0));
      branch.falseIds.push(leaf ? 0 : (tree.right[i] ?? 0));
      if (leaf) {
        leaves.treeIds.push(t);
        leaves.nodeIds.push(i);
        leaves.weights.push(tree.value[i] ?? 0);
      }
    });
  });
  const classifier: NodeSpec = {
    op: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    inputs: [spec.input ?? 'input'],
    outputs: ['label', 'probabilities'],
    attributes: {
      base_values: { floats: [spec.baseScore] },
      class_ids: { ints: leaves.weights.map(() => 0) },
      class_nodeids: { ints: leaves.nodeIds },
      class_treeids: { ints: leaves.treeIds },
      class_weights: { floats: leaves.weights },
      classlabels_int64s: { ints: [0, 1] },
      nodes_falsenodeids: { ints: branch.falseIds },
      nodes_featureids: { ints: nodes.features },
      nodes_modes: { strings: nodes.modes },
      nodes_nodeids: { ints: nodes.nodeIds },
      nodes_treeids: { ints: nodes.treeIds },
      nodes_truenodeids: { ints: branch.trueIds },
      nodes_values: { floats: branch.values },
      post_transform: { s: 'LOGISTIC' },
    },
  };
  const zipMap: NodeSpec = {
    op: 'ZipMap',
    domain: 'ai.onnx.ml',
    inputs: ['probabilities'],
    outputs: ['output_probability'],
    attributes: { classlabels_int64s: { ints: [0, 1] } },
  };
  const label: ValueInfo = { name: 'label', type: { tensor: ElemType.INT64, shape: ['N'] } };
  return encodeModel({
    nodes: spec.zipMap ? [classifier, zipMap] : [classifier],
    inputs: [{ name: spec.input ?? 'input', type: { tensor: ElemType.FLOAT, shape: ['N', spec.inputs] } }],
    outputs: spec.zipMap
      ? [label, { name: 'output_probability', type: { sequenceOfMaps: { key: ElemType.INT64, value: ElemType.FLOAT } } }]
      : [label, { name: 'probabilities', type: { tensor: ElemType.FLOAT, shape: ['N', 2] } }],
    opsets: { 'ai.onnx.ml': 3 },
  });
}

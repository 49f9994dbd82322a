/**
 * Scoring the models trained here (logistic, tree, gbdt) natively in
 * TypeScript: the probability of the positive class from an encoded vector
 * (./encode.ts), as the artifact's schema defines each body (./artifact.ts).
 * ONNX bodies are run by onnxruntime-node elsewhere.
 *
 * The endpoint scores every request through `createNativeScorer`, which
 * compiles trees into typed arrays once and reuses one encoding buffer, so a
 * request costs a few hundred arithmetic operations and no allocation beyond
 * the result array.
 */
import type { ModelArtifact, ModelBody, TreeNodes } from './artifact.js';
import { createEncoder } from './encode.js';

/** The bodies scored here: every kind but onnx. */
export type NativeBody = Exclude<ModelBody, { type: 'onnx' }>;

export function isNativeBody(body: ModelBody): body is NativeBody {
  return body.type !== 'onnx';
}

/** 1 / (1 + e^−z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

interface TreeArrays {
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly value: ArrayLike<number>;
}

/** The leaf value x reaches: left when x[feature] <= threshold or is NaN, else right. */
export function treeLeafValue(tree: TreeArrays, x: ArrayLike<number>, offset = 0): number {
  const { feature, threshold, left, right, value } = tree;
  let node = 0;
  let f = feature[0] as number;
  while (f >= 0) {
    const v = x[offset + f] as number;
    // NaN fails every comparison: `!(v > t)` sends it left.
    node = (!(v > (threshold[node] as number)) ? left[node] : right[node]) as number;
    f = feature[node] as number;
  }
  return value[node] as number;
}

function dot(weights: ArrayLike<number>, x: ArrayLike<number>, offset: number): number {
  let z = 0;
  for (let i = 0; i < weights.length; i++) z += (weights[i] as number) * (x[offset + i] as number);
  return z;
}

/** P(positive class) of one encoded vector (starting at `offset` of x). */
export function scoreEncoded(model: NativeBody, x: ArrayLike<number>, offset = 0): number {
  switch (model.type) {
    case 'logistic':
      return sigmoid(model.intercept + dot(model.weights, x, offset));
    case 'tree':
      return treeLeafValue(model.tree, x, offset);
    case 'gbdt': {
      let sum = 0;
      for (const tree of model.trees) sum += treeLeafValue(tree, x, offset);
      return sigmoid(model.baseScore + model.learningRate * sum);
    }
  }
}

function compileTree(tree: TreeNodes): TreeArrays {
  return {
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    value: Float64Array.from(tree.value),
  };
}

/** Scores an encoded vector; the body compiled once. */
export function compileBody(model: NativeBody): (x: ArrayLike<number>, offset?: number) => number {
  switch (model.type) {
    case 'logistic': {
      const weights = Float64Array.from(model.weights);
      const { intercept } = model;
      return (x, offset = 0) => sigmoid(intercept + dot(weights, x, offset));
    }
    case 'tree': {
      const tree = compileTree(model.tree);
      return (x, offset = 0) => treeLeafValue(tree, x, offset);
    }
    case 'gbdt': {
      const trees = model.trees.map(compileTree);
      const { baseScore, learningRate } = model;
      return (x, offset = 0) => {
        let sum = 0;
        for (let t = 0; t < trees.length; t++) sum += treeLeafValue(trees[t] as TreeArrays, x, offset);
        return sigmoid(baseScore + learningRate * sum);
      };
    }
  }
}

export interface NativeScorer {
  /** The encoded vector's length. */
  readonly width: number;
  /** P(positive class) per row; a row's values are keyed by input name (ModelInput.name). */
  score(rows: readonly Readonly<Record<string, unknown>>[]): number[];
  /** One row's P(positive class). */
  scoreOne(row: Readonly<Record<string, unknown>>): number;
}

/** A scorer for an artifact with a native body (throws for onnx: run those with onnxruntime). */
export function createNativeScorer(artifact: Pick<ModelArtifact, 'inputs' | 'model'>): NativeScorer {
  const { model } = artifact;
  if (!isNativeBody(model)) throw new Error('an onnx model is scored by onnxruntime, not natively');
  const encoder = createEncoder(artifact.inputs);
  const scoreVector = compileBody(model);
  const buffer = new Float64Array(encoder.width);
  const scoreOne = (row: Readonly<Record<string, unknown>>): number => {
    encoder.encodeInto(row, buffer);
    return scoreVector(buffer);
  };
  return {
    width: encoder.width,
    scoreOne,
    score(rows) {
      const out = new Array<number>(rows.length);
      for (let r = 0; r < rows.length; r++) out[r] = scoreOne(rows[r] as Readonly<Record<string, unknown>>);
      return out;
    },
  };
}

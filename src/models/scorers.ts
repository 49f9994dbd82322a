/**
 * The scorer of an artifact: native models (logistic, tree, gbdt) in-process
 * (./score.ts); ONNX models through onnxruntime-node (./onnx/scorer.ts),
 * whose module is imported only when an ONNX model is loaded, so a function
 * serving native models never pays for it.
 */
import type { ScorerFactory } from './loader.js';
import { createNativeScorer } from './score.js';

export const defaultScorerFactory: ScorerFactory = async (artifact, store) => {
  if (artifact.model.type !== 'onnx') return createNativeScorer(artifact);
  const { loadOnnxScorer } = await import('./onnx/scorer.js');
  return loadOnnxScorer(artifact, store);
};

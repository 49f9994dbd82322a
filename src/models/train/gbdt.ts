/**
 * Gradient-boosted trees for log loss: each round fits a regression tree to
 * the log-loss gradients and hessians of the current scores (Newton leaves
 * G/(H + λ)), on histogram bins made once (./histogram.ts), and adds it
 * scaled by the learning rate. The artifact's `gbdt` body: P(positive) =
 * σ(baseScore + learningRate · Σ leaf values), baseScore the weighted prior's
 * log-odds. Sample weights scale each row's gradient and hessian.
 */
import type { TreeNodes } from '../artifact.js';
import { sigmoid } from '../score.js';
import { binMatrix, growTree, MAX_BINS } from './histogram.js';
import type { TrainingData } from './matrix.js';

export interface GbdtParams {
  /** @default 100 */
  readonly rounds: number;
  /** @default 0.1 */
  readonly learningRate: number;
  /** @default 4 */
  readonly maxDepth: number;
  /** @default 20 */
  readonly minSamplesLeaf: number;
  /** L2 on leaf values. @default 1 */
  readonly lambda: number;
  /** @default 255 */
  readonly maxBins: number;
}

export const GBDT_DEFAULTS: GbdtParams = {
  rounds: 100,
  learningRate: 0.1,
  maxDepth: 4,
  minSamplesLeaf: 20,
  lambda: 1,
  maxBins: MAX_BINS,
};

export interface GbdtFit {
  readonly baseScore: number;
  readonly learningRate: number;
  readonly trees: TreeNodes[];
}

export function fitGbdt(data: TrainingData, params: GbdtParams = GBDT_DEFAULTS): GbdtFit {
  const binned = binMatrix(data.x, params.maxBins);
  const n = data.x.rows;
  const { y, weight } = data;
  let positive = 0;
  let total = 0;
  for (let r = 0; r < n; r++) {
    positive += (weight[r] as number) * (y[r] as number);
    total += weight[r] as number;
  }
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, total > 0 ? positive / total : 0.5));
  const baseScore = Math.log(prior / (1 - prior));
  const score = new Float64Array(n).fill(baseScore);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const leaf = new Float64Array(n);
  const rows = new Uint32Array(n);
  const trees: TreeNodes[] = [];
  for (let round = 0; round < params.rounds; round++) {
    for (let r = 0; r < n; r++) {
      const p = sigmoid(score[r] as number);
      const w = weight[r] as number;
      // Negative gradient, so leaf values point uphill in log-odds: G/(H + λ) is the Newton step.
      g[r] = w * ((y[r] as number) - p);
      h[r] = w * Math.max(p * (1 - p), 1e-12);
      rows[r] = r;
    }
    const tree = growTree(
      binned,
      g,
      h,
      rows,
      {
        maxDepth: params.maxDepth,
        minSamplesLeaf: params.minSamplesLeaf,
        minChildWeight: 1e-3,
        lambda: params.lambda,
        criterion: 'newton',
        minGain: 1e-12,
      },
      leaf,
    );
    trees.push(tree);
    for (let r = 0; r < n; r++) score[r] = (score[r] as number) + params.learningRate * (leaf[r] as number);
  }
  return { baseScore, learningRate: params.learningRate, trees };
}

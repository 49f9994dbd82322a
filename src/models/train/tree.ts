/**
 * A CART classification tree (binary label): gini or entropy splits, sample
 * weights, max depth and min rows per leaf, grown on histogram bins
 * (./histogram.ts). A leaf's value is the weighted share of positives among
 * its training rows: the probability the artifact's `tree` body returns.
 */
import type { TreeNodes } from '../artifact.js';
import { binMatrix, growTree, MAX_BINS } from './histogram.js';
import type { TrainingData } from './matrix.js';

export interface TreeParams {
  /** @default 6 */
  readonly maxDepth: number;
  /** @default 20 */
  readonly minSamplesLeaf: number;
  /** @default 'gini' */
  readonly criterion: 'gini' | 'entropy';
  /** @default 255 */
  readonly maxBins: number;
}

export const TREE_DEFAULTS: TreeParams = { maxDepth: 6, minSamplesLeaf: 20, criterion: 'gini', maxBins: MAX_BINS };

export function fitTree(data: TrainingData, params: TreeParams = TREE_DEFAULTS): TreeNodes {
  const binned = binMatrix(data.x, params.maxBins);
  const n = data.x.rows;
  const g = new Float64Array(n);
  for (let r = 0; r < n; r++) g[r] = (data.weight[r] as number) * (data.y[r] as number);
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  return growTree(binned, g, data.weight, rows, {
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
    minChildWeight: 0,
    lambda: 0,
    criterion: params.criterion,
    minGain: 1e-12,
  });
}

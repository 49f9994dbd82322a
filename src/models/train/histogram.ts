/**
 * Histogram-based tree growing, shared by the CART tree (./tree.ts) and the
 * gradient-boosted trees (./gbdt.ts).
 *
 * Each input is cut into at most 255 bins once, from the training rows (every
 * distinct value its own bin when there are few, quantiles otherwise); a
 * split then costs one pass over a node's rows to fill per-bin sums and one
 * pass over the bins to score every threshold, instead of a sort per node. A
 * child's histogram is its parent's minus its sibling's, so only the smaller
 * child is counted.
 *
 * One grower serves both: every row brings a "gradient" g and a "hessian" h.
 * CART with a binary label uses g = w·y and h = w, so G/H is the node's
 * weighted share of positives (its leaf's probability) and gini or entropy
 * are functions of G and H; boosting uses the log-loss gradient and hessian
 * and scores splits by G²/(H + λ) (Newton's step).
 */
import type { TreeNodes } from '../artifact.js';
import type { Matrix } from './matrix.js';

export const MAX_BINS = 255;

export interface BinnedMatrix {
  /** Row-major bin numbers: bin(x) = the number of cuts below x. */
  readonly bins: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  /** Per input, ascending; splitting after bin b sends x ≤ cuts[b] left. */
  readonly cuts: readonly Float64Array[];
  /** Where each input's bins start in a histogram (its cuts + 1 bins, so a one-hot column takes 2, not 256); [cols] = the total. */
  readonly offsets: Uint32Array;
}

/** Cut points of one input: midpoints between distinct values, at quantiles when there are more than maxBins. */
function cutsOf(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i] as number);
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) cuts.push(((distinct[i - 1] as number) + (distinct[i] as number)) / 2);
    return Float64Array.from(cuts);
  }
  // Quantile positions; each cut halfway to the next distinct value above, so ties stay in one bin.
  let d = 0;
  for (let j = 1; j < maxBins; j++) {
    const v = sorted[Math.floor((j * sorted.length) / maxBins)] as number;
    while (d < distinct.length && (distinct[d] as number) <= v) d++;
    if (d >= distinct.length) break;
    const cut = (v + (distinct[d] as number)) / 2;
    if (cuts.length === 0 || cut > (cuts[cuts.length - 1] as number)) cuts.push(cut);
  }
  return Float64Array.from(cuts);
}

/** The number of cuts strictly below x. */
function binOf(cuts: Float64Array, x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cuts[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function binMatrix(x: Matrix, maxBins = MAX_BINS): BinnedMatrix {
  if (maxBins < 2 || maxBins > 256) throw new Error('maxBins must be in [2, 256]');
  const { rows, cols, data } = x;
  const bins = new Uint8Array(rows * cols);
  const cuts: Float64Array[] = [];
  const column = new Float64Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let r = 0; r < rows; r++) column[r] = data[r * cols + f] as number;
    const c = cutsOf(column.slice().sort(), maxBins);
    cuts.push(c);
    for (let r = 0; r < rows; r++) bins[r * cols + f] = binOf(c, column[r] as number);
  }
  const offsets = new Uint32Array(cols + 1);
  for (let f = 0; f < cols; f++) offsets[f + 1] = (offsets[f] as number) + (cuts[f] as Float64Array).length + 1;
  return { bins, rows, cols, cuts, offsets };
}

export type SplitCriterion = 'gini' | 'entropy' | 'newton';

export interface GrowParams {
  readonly maxDepth: number;
  /** Rows each side of a split must keep. */
  readonly minSamplesLeaf: number;
  /** Σh each side must keep (boosting's min child weight). */
  readonly minChildWeight: number;
  /** Newton's L2 on leaf values: G / (H + λ). 0 for CART. */
  readonly lambda: number;
  readonly criterion: SplitCriterion;
  /** A split must gain more than this. */
  readonly minGain: number;
}

/** g·(1 − g/h)·2 = h·gini for a share g/h of positives; h·entropy likewise. Lower is purer. */
function impurity(criterion: SplitCriterion, g: number, h: number, lambda: number): number {
  if (h <= 0) return 0;
  switch (criterion) {
    case 'gini':
      return (2 * g * (h - g)) / h;
    case 'entropy': {
      const p = Math.min(1, Math.max(0, g / h));
      if (p <= 0 || p >= 1) return 0;
      return -h * (p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
    }
    case 'newton':
      return -(g * g) / (h + lambda);
  }
}

/** Per input and bin, interleaved: [Σg, Σh, rows] at 3·(offsets[input] + bin). One array keeps the hot loop's writes together. */
type Histogram = Float64Array;

/** Grows one tree; `leafOf` (when given) receives each row's leaf value, for boosting's running scores. */
export function growTree(
  binned: BinnedMatrix,
  g: Float64Array,
  h: Float64Array,
  rowIndex: Uint32Array,
  params: GrowParams,
  leafOf?: Float64Array,
): TreeNodes {
  const { cols, bins, cuts, offsets } = binned;
  const size = (offsets[cols] as number) * 3;
  const pool: Histogram[] = [];
  const acquire = (): Histogram => {
    const hist = pool.pop();
    if (!hist) return new Float64Array(size);
    hist.fill(0);
    return hist;
  };
  const fill = (hist: Histogram, start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const r = rowIndex[i] as number;
      const gr = g[r] as number;
      const hr = h[r] as number;
      const base = r * cols;
      for (let f = 0; f < cols; f++) {
        const at = ((offsets[f] as number) + (bins[base + f] as number)) * 3;
        hist[at] = (hist[at] as number) + gr;
        hist[at + 1] = (hist[at + 1] as number) + hr;
        hist[at + 2] = (hist[at + 2] as number) + 1;
      }
    }
  };
  const tree: TreeNodes = { feature: [], threshold: [], left: [], right: [], value: [] };
  const leafValue = (G: number, H: number) =>
    params.criterion === 'newton' ? G / (H + params.lambda) : H > 0 ? Math.min(1, Math.max(0, G / H)) : 0;

  const grow = (start: number, end: number, depth: number, hist: Histogram, G: number, H: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(leafValue(G, H));
    const count = end - start;
    let best = { gain: params.minGain, f: -1, b: -1, gl: 0, hl: 0 };
    if (depth < params.maxDepth && count >= 2 * params.minSamplesLeaf) {
      const parent = impurity(params.criterion, G, H, params.lambda);
      for (let f = 0; f < cols; f++) {
        const splits = (cuts[f] as Float64Array).length;
        let gl = 0;
        let hl = 0;
        let nl = 0;
        for (let b = 0; b < splits; b++) {
          const at = ((offsets[f] as number) + b) * 3;
          gl += hist[at] as number;
          hl += hist[at + 1] as number;
          nl += hist[at + 2] as number;
          if (nl < params.minSamplesLeaf || hl < params.minChildWeight) continue;
          const nr = count - nl;
          const hr = H - hl;
          if (nr < params.minSamplesLeaf) break;
          if (hr < params.minChildWeight) continue;
          const gain =
            parent - impurity(params.criterion, gl, hl, params.lambda) - impurity(params.criterion, G - gl, hr, params.lambda);
          if (gain > best.gain) best = { gain, f, b, gl, hl };
        }
      }
    }
    if (best.f < 0) {
      pool.push(hist);
      if (leafOf) {
        const value = tree.value[node] as number;
        for (let i = start; i < end; i++) leafOf[rowIndex[i] as number] = value;
      }
      return node;
    }
    // Partition rows in place: bin ≤ b to the left.
    let mid = start;
    for (let i = start; i < end; i++) {
      const r = rowIndex[i] as number;
      if ((bins[r * cols + best.f] as number) <= best.b) {
        rowIndex[i] = rowIndex[mid] as number;
        rowIndex[mid] = r;
        mid++;
      }
    }
    // Count the smaller child; the larger is the parent's histogram minus it.
    const small = acquire();
    const leftSmaller = mid - start <= end - mid;
    if (leftSmaller) fill(small, start, mid);
    else fill(small, mid, end);
    for (let i = 0; i < size; i++) hist[i] = (hist[i] as number) - (small[i] as number);
    const [leftHist, rightHist] = leftSmaller ? [small, hist] : [hist, small];
    tree.feature[node] = best.f;
    tree.threshold[node] = (cuts[best.f] as Float64Array)[best.b] as number;
    tree.left[node] = grow(start, mid, depth + 1, leftHist, best.gl, best.hl);
    tree.right[node] = grow(mid, end, depth + 1, rightHist, G - best.gl, H - best.hl);
    return node;
  };

  const root = acquire();
  fill(root, 0, rowIndex.length);
  let G = 0;
  let H = 0;
  for (let i = 0; i < rowIndex.length; i++) {
    G += g[rowIndex[i] as number] as number;
    H += h[rowIndex[i] as number] as number;
  }
  grow(0, rowIndex.length, 0, root, G, H);
  return tree;
}

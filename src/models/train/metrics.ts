/**
 * Binary classification metrics of scores against 0/1 labels, as the
 * artifact's `Metrics` records them: ROC-AUC by ranks (tied scores share
 * their mean rank), PR-AUC as average precision (tied scores form one step,
 * as scikit-learn computes it), and at the decision threshold (score ≥
 * threshold → positive) the confusion matrix, accuracy and per-class
 * precision, recall and F1 (0 where a ratio has nothing to divide by).
 */
import type { Metrics } from '../artifact.js';

/** Indices of `scores` sorted by score, descending; ties in index order. */
function descending(scores: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

/** Area under the ROC curve: P(a random positive outscores a random negative), ties counting ½. 0.5 when a class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = descending(scores);
  let positives = 0;
  let rankSum = 0;
  // Walk ascending ranks (from the end of the descending order), giving tied groups their mean rank.
  let i = n - 1;
  let rank = 1;
  while (i >= 0) {
    let j = i;
    while (j > 0 && scores[order[j - 1] as number] === scores[order[i] as number]) j--;
    const size = i - j + 1;
    const meanRank = rank + (size - 1) / 2;
    for (let k = j; k <= i; k++) {
      if (labels[order[k] as number]) {
        positives++;
        rankSum += meanRank;
      }
    }
    rank += size;
    i = j - 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision: Σ (recallₖ − recallₖ₋₁) · precisionₖ over the distinct score thresholds, highest first. 0 without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = descending(scores);
  let total = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) total++;
  if (total === 0) return 0;
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i] as number];
    while (i < order.length && scores[order[i] as number] === s) {
      if (labels[order[i] as number]) tp++;
      seen++;
      i++;
    }
    const recall = tp / total;
    ap += (recall - previousRecall) * (tp / seen);
    previousRecall = recall;
  }
  return ap;
}

/** Mean log loss, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, scores[i] as number));
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return scores.length > 0 ? sum / scores.length : 0;
}

/** [[tn, fp], [fn, tp]] with score ≥ threshold predicted positive. */
export function confusion(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Metrics['confusion'] {
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < scores.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    if (labels[i]) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  return [
    [tn, fp],
    [fn, tp],
  ];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

function classMetrics(tp: number, fp: number, fn: number) {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support: tp + fn };
}

export interface MetricsOptions {
  readonly algorithm: Metrics['algorithm'];
  readonly folds: number;
  readonly threshold: number;
  readonly classes: { readonly negative: string; readonly positive: string };
}

/** Every metric of the artifact's `Metrics` for scores (out-of-fold) against labels. */
export function classificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, options: MetricsOptions): Metrics {
  const matrix = confusion(scores, labels, options.threshold);
  const [[tn, fp], [fn, tp]] = matrix;
  return {
    algorithm: options.algorithm,
    folds: options.folds,
    rocAuc: rocAuc(scores, labels),
    prAuc: averagePrecision(scores, labels),
    accuracy: ratio(tp + tn, scores.length),
    logLoss: logLoss(scores, labels),
    perClass: {
      [options.classes.negative]: classMetrics(tn, fn, fp),
      [options.classes.positive]: classMetrics(tp, fp, fn),
    },
    confusion: matrix,
  };
}

/** The value of the floor's metric: `f1` is the positive class's. */
export function floorValue(metrics: Metrics, metric: 'rocAuc' | 'prAuc' | 'accuracy' | 'f1', positive: string): number {
  return metric === 'f1' ? (metrics.perClass[positive]?.f1 ?? 0) : metrics[metric];
}

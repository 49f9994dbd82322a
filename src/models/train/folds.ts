/**
 * Stratified k-fold assignment: each class's rows are shuffled with the
 * seeded PRNG (src/workloads/random.ts) and dealt round-robin, so every fold
 * holds the same share of positives (to within one row) and the same seed
 * always gives the same folds.
 */
import { Random } from '../../workloads/random.js';

/** The fold of each row, 0…k−1. */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): Uint8Array {
  if (!Number.isInteger(k) || k < 2 || k > 255) throw new Error(`folds must be an integer in [2, 255], not ${k}`);
  const random = new Random(seed);
  const fold = new Uint8Array(labels.length);
  let next = 0;
  for (const label of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if ((labels[i] ? 1 : 0) === label) members.push(i);
    // Fisher–Yates.
    for (let i = members.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [members[i], members[j]] = [members[j] as number, members[i] as number];
    }
    // Continue the deal where the last class stopped, so fold sizes differ by at most one overall.
    for (const row of members) fold[row] = next++ % k;
  }
  return fold;
}

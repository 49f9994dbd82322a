import { describe, expect, it } from 'vitest';
import type { ModelInput, TreeNodes } from '../../src/models/artifact.js';
import { createNativeScorer, type NativeBody, scoreEncoded, sigmoid } from '../../src/models/score.js';

const logit = (p: number) => Math.log(p / (1 - p));

// x0 <= 0.5 → leaf 0.1; else x1 <= 2 → leaf 0.6, else leaf 0.9
const tree: TreeNodes = {
  feature: [0, -1, 1, -1, -1],
  threshold: [0.5, 0, 2, 0, 0],
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  value: [0, 0.1, 0, 0.6, 0.9],
};

describe('scoreEncoded', () => {
  it('logistic: sigmoid of the intercept plus the weighted sum', () => {
    // z = −1 + 2·1 + (−0.5)·4 = −1
    expect(scoreEncoded({ type: 'logistic', weights: [2, -0.5], intercept: -1 }, [1, 4])).toBeCloseTo(1 / (1 + Math.E), 12);
    expect(scoreEncoded({ type: 'logistic', weights: [1], intercept: 0 }, [0])).toBe(0.5);
  });

  it('tree: the leaf reached, left at <= threshold and at NaN', () => {
    const body = { type: 'tree', tree } as const;
    expect(scoreEncoded(body, [0.5, 99])).toBe(0.1);
    expect(scoreEncoded(body, [Number.NaN, 99])).toBe(0.1);
    expect(scoreEncoded(body, [0.6, 2])).toBe(0.6);
    expect(scoreEncoded(body, [0.6, Number.NaN])).toBe(0.6);
    expect(scoreEncoded(body, [0.6, 2.01])).toBe(0.9);
    // offset into a flat matrix
    expect(scoreEncoded(body, [0, 0, 1, 3], 2)).toBe(0.9);
  });

  it('gbdt: sigmoid of the base score plus the learning rate times the summed leaves', () => {
    const stump: TreeNodes = {
      feature: [0, -1, -1],
      threshold: [0, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, -1, 3],
    };
    const body: NativeBody = { type: 'gbdt', baseScore: 0.5, learningRate: 0.1, trees: [stump, tree] };
    // x = [1, 3]: stump → 3, tree → 0.9: z = 0.5 + 0.1·3.9 = 0.89
    expect(scoreEncoded(body, [1, 3])).toBeCloseTo(1 / (1 + Math.exp(-0.89)), 12);
    // x = [−1, 0]: −1 and 0.1: z = 0.5 − 0.09 = 0.41
    expect(scoreEncoded(body, [-1, 0])).toBeCloseTo(1 / (1 + Math.exp(-0.41)), 12);
  });

  it('sigmoid is stable at the extremes', () => {
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(logit(sigmoid(-3))).toBeCloseTo(-3, 10);
  });
});

describe('createNativeScorer', () => {
  const inputs: ModelInput[] = [
    { name: 'a', source: { kind: 'request' }, type: 'numeric', mean: 1, std: 2, fill: 1 },
    { name: 'c', source: { kind: 'request' }, type: 'categorical', categories: ['x', 'y'] },
  ];

  it('encodes each row by input name and scores it', () => {
    const scorer = createNativeScorer({ inputs, model: { type: 'logistic', weights: [1, 2, -2], intercept: 0 } });
    // a=5 → 2, c=y → [0, 1]: z = 2 − 2 = 0; a missing → 0, c=x: z = 2; a=−1 → −1, c unseen: z = −1
    const scores = scorer.score([{ a: 5, c: 'y' }, { c: 'x' }, { a: -1, c: 'z' }]);
    expect(scores[0]).toBe(0.5);
    expect(scores[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(scores[2]).toBeCloseTo(1 / (1 + Math.E), 12);
    expect(scorer.width).toBe(3);
  });

  it('scores trees from their compiled arrays as the plain walk does', () => {
    const scorer = createNativeScorer({ inputs, model: { type: 'tree', tree } });
    // a=2 → 0.5 → leaf 0.1; a=3 → 1, c=x → x1=1 <= 2 → 0.6
    expect(scorer.score([{ a: 2 }, { a: 3, c: 'x' }])).toEqual([0.1, 0.6]);
  });

  it('refuses onnx bodies', () => {
    expect(() =>
      createNativeScorer({
        inputs,
        model: {
          type: 'onnx',
          file: 'model.onnx',
          sha256: 'a'.repeat(64),
          bytes: 1,
          input: 'input',
          output: 'output',
          positiveIndex: 1,
        },
      }),
    ).toThrow(/onnxruntime/);
  });
});

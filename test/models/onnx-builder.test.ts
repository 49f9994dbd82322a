/**
 * The hand-built ONNX models of test/support/onnx-builder.ts load and run in
 * onnxruntime-node and give what their definitions say, computed here by
 * hand: sigmoid(w·x + b) for the logistic graph, the trees walked for the
 * ensemble. onnxruntime-node cannot return ZipMap's sequence of maps; that
 * model is checked to load and to say so.
 */
import { describe, expect, it } from 'vitest';
import type { TreeNodes } from '../../src/models/artifact.js';
import { logisticOnnx, treeEnsembleOnnx } from '../support/onnx-builder.js';

const ort = await import('onnxruntime-node');
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

// x0 <= 0.5 → leaf −0.4; else x1 <= 2 → 0.3, else 0.9.
const TREE: TreeNodes = {
  feature: [0, -1, 1, -1, -1],
  threshold: [0.5, 0, 2, 0, 0],
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  value: [0, -0.4, 0, 0.3, 0.9],
};

async function run(model: Uint8Array, rows: number[][], output: string): Promise<{ dims: readonly number[]; data: number[] }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const width = rows[0]?.length ?? 0;
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);
  const out = (await session.run({ input }))[output] as InstanceType<typeof ort.Tensor>;
  return { dims: out.dims, data: Array.from(out.data as Float32Array) };
}

describe('hand-built ONNX models', () => {
  it('logistic: [1 − p, p] with p = sigmoid(w·x + b) for each row of the batch', async () => {
    const out = await run(
      logisticOnnx({ weights: [0.5, -1, 2], intercept: 0.25 }),
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      'probabilities',
    );
    expect(out.dims).toEqual([2, 2]);
    const [p0, p1] = [sigmoid(0.5 - 2 + 6 + 0.25), sigmoid(0.25)];
    expect(out.data[1]).toBeCloseTo(p0, 6);
    expect(out.data[0]).toBeCloseTo(1 - p0, 6);
    expect(out.data[3]).toBeCloseTo(p1, 6);
  });

  it('tree ensemble: label and [1 − p, p] with p = sigmoid(base + Σ leaves)', async () => {
    const model = treeEnsembleOnnx({ inputs: 2, trees: [TREE, TREE], baseScore: 0.1 });
    const out = await run(
      model,
      [
        [0, 0],
        [1, 1],
        [1, 3],
      ],
      'probabilities',
    );
    expect(out.dims).toEqual([3, 2]);
    expect(out.data.filter((_, i) => i % 2 === 1)).toEqual(
      [0.1 - 0.8, 0.1 + 0.6, 0.1 + 1.8].map((z) => expect.closeTo(sigmoid(z), 6)),
    );
  });

  it('tree ensemble + ZipMap loads; its sequence-of-maps output is not a tensor onnxruntime-node returns', async () => {
    const session = await ort.InferenceSession.create(treeEnsembleOnnx({ inputs: 2, trees: [TREE], baseScore: 0, zipMap: true }));
    expect(session.outputMetadata).toContainEqual({ name: 'output_probability', isTensor: false });
    const input = new ort.Tensor('float32', new Float32Array(2), [1, 2]);
    await expect(session.run({ input })).rejects.toThrow(/Non tensor type/);
  });
});

/**
 * Whether an ONNX file fits its manifest, checked before anything is
 * published: it is ONNX and onnxruntime loads it; its one input is float32
 * [n, width] with width the manifest's encoded inputs; the output exists and
 * holds float class probabilities with a column `positiveIndex`; and a test
 * run on two rows of zeros gives probabilities — each in [0, 1], each row
 * summing to 1. Every refusal is an OnnxModelError saying what mismatches.
 */
import { encodedWidth, type ModelInput } from '../artifact.js';
import { describeValue, type OnnxIo, OnnxModelError, openOnnxModel, runModel } from './session.js';

export interface OnnxCheck extends OnnxIo {
  readonly positiveIndex: number;
  readonly inputs: readonly ModelInput[];
}

export interface OnnxValidation {
  /** The input's declared shape, e.g. ['N', 7]. */
  readonly inputShape: readonly (number | string)[];
  /** 'tensor', or 'zipmap' when the output is a ZipMap's sequence of maps. */
  readonly output: 'tensor' | 'zipmap';
  readonly classes: number;
  /** P(positive) of a row of zeros. */
  readonly zeroRowScore: number;
  /** Time to build the session, ms (onnxruntime already loaded). */
  readonly sessionMs: number;
}

/** "3 values (age, tier: 2 categories)". */
function widthExplained(inputs: readonly ModelInput[]): string {
  const parts = inputs.map((i) => (i.type === 'numeric' ? i.name : `${i.name}: ${i.categories.length} categories`));
  return `${encodedWidth(inputs)} values (${parts.join(', ')})`;
}

export async function validateOnnxModel(bytes: Uint8Array, check: OnnxCheck): Promise<OnnxValidation> {
  const started = performance.now();
  const model = await openOnnxModel(bytes, check);
  const sessionMs = performance.now() - started;
  try {
    const width = encodedWidth(check.inputs);
    const input = model.session.inputMetadata.find((m) => m.name === check.input);
    if (!input?.isTensor || input.type !== 'float32')
      throw new OnnxModelError(
        `input ${input ? describeValue(input) : check.input} must be a float32 tensor: featurelake feeds float32 [n, ${width}]`,
      );
    const last = input.shape.at(-1);
    if (input.shape.length !== 2)
      throw new OnnxModelError(`input ${describeValue(input)} must be two-dimensional: featurelake feeds [n, ${width}]`);
    if (typeof last === 'number' && last !== width)
      throw new OnnxModelError(
        `input ${describeValue(input)} takes ${last} values per row, but the manifest's inputs encode to ${widthExplained(check.inputs)}`,
      );
    if (typeof input.shape[0] === 'number')
      throw new OnnxModelError(
        `input ${describeValue(input)} has a fixed batch of ${input.shape[0]} rows: featurelake scores a request's entities in one run (export with a dynamic batch dimension, e.g. skl2onnx's FloatTensorType([None, ${width}]))`,
      );
    const output = model.session.outputMetadata.find((m) => m.name === model.fetch);
    if (output?.isTensor && output.type !== 'float32' && output.type !== 'float64')
      throw new OnnxModelError(
        `output ${describeValue(output)} is not class probabilities (float); name the probabilities output in the manifest's onnx.output`,
      );
    if (!output?.isTensor && !model.zipMap)
      throw new OnnxModelError(`output "${check.output}" is neither a tensor nor a ZipMap's sequence of maps`);

    const rows = 2;
    let probabilities: Awaited<ReturnType<typeof runModel>>;
    try {
      probabilities = await runModel(model, check.input, new Float32Array(rows * width), rows);
    } catch (error) {
      if (error instanceof OnnxModelError) throw error;
      throw new OnnxModelError(`a test run on ${rows} rows of ${width} zeros failed: ${(error as Error).message.split('\n')[0]}`);
    }
    const { columns, data } = probabilities;
    if (check.positiveIndex >= columns)
      throw new OnnxModelError(
        `output "${check.output}" has ${columns} column(s): positiveIndex ${check.positiveIndex} is past them`,
      );
    const first = Array.from(data.subarray(0, columns));
    const sum = first.reduce((s, p) => s + p, 0);
    if (first.some((p) => !(p >= 0 && p <= 1)) || (columns > 1 && Math.abs(sum - 1) > 1e-3))
      throw new OnnxModelError(
        `output "${check.output}" is not class probabilities: on a row of zeros it gives [${first.map((p) => Number(p.toPrecision(4))).join(', ')}]${columns > 1 ? ', which should each be in [0, 1] and sum to 1' : ', not in [0, 1]'}`,
      );
    return {
      inputShape: input.shape,
      output: model.zipMap ? 'zipmap' : 'tensor',
      classes: columns,
      zeroRowScore: first[check.positiveIndex] as number,
      sessionMs,
    };
  } finally {
    await model.session.release();
  }
}

/**
 * Scoring a model trained elsewhere: the artifact's `onnx` body run by
 * onnxruntime-node. One InferenceSession per artifact (built once, reused by
 * every request); the rows of a request — one per entity — are encoded as the
 * artifact's inputs say (../encode.ts) and scored in one run of n rows.
 * P(positive) is column `positiveIndex` of the output (a ZipMap's maps are
 * read as the tensor it zips: ./session.ts).
 *
 * onnxruntime-node is loaded on the first scorer built (./runtime.ts), so a
 * function serving only native models never loads it.
 */
import type { ModelArtifact } from '../artifact.js';
import { createEncoder } from '../encode.js';
import { type ModelStore, readFile, sha256Hex } from '../registry.js';
import { OnnxModelError, openOnnxModel, positiveColumn, runModel } from './session.js';

export interface OnnxScorer {
  /** The encoded row's length: the model input's last dimension. */
  readonly width: number;
  /** P(positive) per row of input values (input name → raw value, as the native scorer takes), all in one run. */
  score(rows: readonly Readonly<Record<string, unknown>>[]): Promise<number[]>;
  /** P(positive) per row of already-encoded rows: `n` rows of `width` values, row-major. */
  scoreEncoded(rows: Float32Array, n: number): Promise<number[]>;
  /** Frees the native session (a replaced version's). */
  release(): Promise<void>;
}

type OnnxArtifact = Pick<ModelArtifact, 'name' | 'version' | 'inputs' | 'model'>;

/**
 * A scorer for an artifact with an onnx body and its model file's bytes. Throws OnnxModelError when
 * the bytes are not the artifact's (size, sha256) or the model lacks the input or output it names.
 */
export async function createOnnxScorer(artifact: OnnxArtifact, modelBytes: Uint8Array): Promise<OnnxScorer> {
  const { model } = artifact;
  const which = `${artifact.name} v${artifact.version}`;
  if (model.type !== 'onnx') throw new Error(`${which} is a ${model.type} model: score it natively (src/models/score.ts)`);
  if (modelBytes.length !== model.bytes || sha256Hex(modelBytes) !== model.sha256)
    throw new OnnxModelError(
      `${model.file} of ${which} is not the file its artifact names (${modelBytes.length} bytes; the artifact says ${model.bytes}, sha256 ${model.sha256.slice(0, 12)}…)`,
    );
  const opened = await openOnnxModel(modelBytes, model);
  const encoder = createEncoder(artifact.inputs);
  const { width } = encoder;
  const row = new Float64Array(width);

  const scoreEncoded = async (rows: Float32Array, n: number): Promise<number[]> => {
    if (rows.length !== n * width) throw new Error(`${n} rows of ${width} values are ${n * width} values, not ${rows.length}`);
    if (n === 0) return [];
    return positiveColumn(await runModel(opened, model.input, rows, n), model.positiveIndex, model.output);
  };
  return {
    width,
    scoreEncoded,
    score(rows) {
      const x = new Float32Array(rows.length * width);
      for (let r = 0; r < rows.length; r++) {
        encoder.encodeInto(rows[r] as Readonly<Record<string, unknown>>, row);
        x.set(row, r * width);
      }
      return scoreEncoded(x, rows.length);
    },
    release: () => opened.session.release(),
  };
}

/** The scorer of a published onnx artifact: its model file read from the registry beside artifact.json. */
export async function loadOnnxScorer(artifact: ModelArtifact, store: ModelStore): Promise<OnnxScorer> {
  if (artifact.model.type !== 'onnx') throw new Error(`${artifact.name} v${artifact.version} is not an onnx model`);
  const bytes = await readFile(store, artifact.name, artifact.version, artifact.model.file);
  if (!bytes) throw new OnnxModelError(`${artifact.name} v${artifact.version} has no ${artifact.model.file} in the registry`);
  return createOnnxScorer(artifact, bytes);
}

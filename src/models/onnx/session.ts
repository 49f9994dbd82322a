/**
 * An ONNX model opened for featurelake's contract (the artifact's `onnx`
 * body): one float32 [n, width] input tensor, and an output holding class
 * probabilities — an [n, classes] tensor, or a ZipMap's sequence of maps,
 * which is fetched as the tensor the ZipMap reads (./graph.ts says why).
 * Shared by the scorer and by validation before publishing.
 */
import { NotOnnxError, readOnnxGraph, withFloatOutput, zipMapInput } from './graph.js';
import { createSession, loadOnnxRuntime, type OrtModule, type OrtSession } from './runtime.js';

/** The model does not fit the manifest or artifact: the message says exactly what mismatches. */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxModelError';
  }
}

export interface OnnxIo {
  /** The graph's input fed the encoded rows. */
  readonly input: string;
  /** The output whose column `positiveIndex` is P(positive). */
  readonly output: string;
}

export interface OpenedOnnxModel {
  readonly ort: OrtModule;
  readonly session: OrtSession;
  /** The tensor fetched: `output`, or the tensor its ZipMap reads. */
  readonly fetch: string;
  /** Whether `output` is a ZipMap's sequence of maps. */
  readonly zipMap: boolean;
}

type Metadata = OrtSession['inputMetadata'][number];

/** "probabilities (float32 [N, 2])", "output_probability (not a tensor)". */
export function describeValue(meta: Metadata): string {
  return meta.isTensor ? `${meta.name} (${meta.type} [${meta.shape.join(', ')}])` : `${meta.name} (not a tensor)`;
}

/** Loads the model into a session; throws OnnxModelError when it is not ONNX, or lacks the input or output named. */
export async function openOnnxModel(bytes: Uint8Array, io: OnnxIo): Promise<OpenedOnnxModel> {
  let graph: ReturnType<typeof readOnnxGraph>;
  try {
    graph = readOnnxGraph(bytes);
  } catch (error) {
    if (error instanceof NotOnnxError) throw new OnnxModelError(error.message);
    throw error;
  }
  const zipped = zipMapInput(graph, io.output);
  const ort = await loadOnnxRuntime();
  let session: OrtSession;
  try {
    session = await createSession(
      zipped === undefined || graph.outputs.includes(zipped) ? bytes : withFloatOutput(bytes, zipped),
    );
  } catch (error) {
    throw new OnnxModelError(`onnxruntime cannot load the model: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const list = (metas: readonly Metadata[]) => metas.map(describeValue).join(', ');
    if (!session.inputNames.includes(io.input))
      throw new OnnxModelError(`the model has no input "${io.input}"; its inputs: ${list(session.inputMetadata)}`);
    if (session.inputNames.length > 1)
      throw new OnnxModelError(
        `the model has ${session.inputNames.length} inputs (${list(session.inputMetadata)}); featurelake feeds one, a float32 [n, inputs] tensor`,
      );
    if (!graph.outputs.includes(io.output))
      throw new OnnxModelError(
        `the model has no output "${io.output}"; its outputs: ${list(session.outputMetadata.filter((m) => graph.outputs.includes(m.name)))}`,
      );
  } catch (error) {
    await session.release();
    throw error;
  }
  return { ort, session, fetch: zipped ?? io.output, zipMap: zipped !== undefined };
}

/** The fetched output of one run: `columns` probabilities per row, row-major. */
export interface Probabilities {
  readonly columns: number;
  readonly data: Float32Array | Float64Array;
}

/** Feeds row-major float32 rows (n × width) in one run; throws OnnxModelError when the output is not an [n, classes] float tensor. */
export async function runModel(model: OpenedOnnxModel, input: string, rows: Float32Array, n: number): Promise<Probabilities> {
  const width = n === 0 ? 0 : rows.length / n;
  const feeds = { [input]: new model.ort.Tensor('float32', rows, [n, width]) };
  const out = (await model.session.run(feeds, [model.fetch]))[model.fetch];
  if (!out || !(out.data instanceof Float32Array || out.data instanceof Float64Array))
    throw new OnnxModelError(`output "${model.fetch}" is ${out?.type ?? 'missing'}, not float probabilities`);
  const dims = out.dims;
  if (dims[0] !== n || dims.length > 2)
    throw new OnnxModelError(`output "${model.fetch}" is [${dims.join(', ')}] for ${n} rows; expected [${n}, classes]`);
  return { columns: dims.length === 1 ? 1 : (dims[1] ?? 0), data: out.data };
}

/** Column `positiveIndex` of each row. */
export function positiveColumn(probabilities: Probabilities, positiveIndex: number, output: string): number[] {
  const { columns, data } = probabilities;
  if (positiveIndex >= columns)
    throw new OnnxModelError(`output "${output}" has ${columns} column(s); positiveIndex ${positiveIndex} is past them`);
  const n = data.length / columns;
  const scores = new Array<number>(n);
  for (let r = 0; r < n; r++) scores[r] = data[r * columns + positiveIndex] as number;
  return scores;
}

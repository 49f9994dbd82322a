/**
 * onnxruntime-node, loaded on first use: a function that serves only native
 * models (../score.ts) never maps its 46 MB native library, and one that serves
 * ONNX pays for it once per execution environment (measured here: 15–75 ms to
 * load, 30–55 ms more for the first session — docs/models.md).
 *
 * Loaded with `require` (through createRequire), not `import()`: in Lambda
 * the package comes from a layer at /opt/nodejs/node_modules, which Node finds
 * through NODE_PATH, and NODE_PATH is honoured by require alone — never by
 * ES-module resolution. The package is CommonJS either way.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

let loading: Promise<OrtModule> | undefined;

/** The onnxruntime-node module, loaded once; rejects saying how to get it when it is not installed. */
export function loadOnnxRuntime(): Promise<OrtModule> {
  loading ??= (async () => {
    try {
      return createRequire(import.meta.url)('onnxruntime-node') as OrtModule;
    } catch (error) {
      loading = undefined;
      throw new Error(
        `onnxruntime-node could not be loaded (${(error as Error).message.split('\n')[0]}): in Lambda, attach the OnnxRuntimeLayer (lib/constructs/onnx-runtime-layer.ts)`,
      );
    }
  })();
  return loading;
}

/**
 * A session for a model's bytes, tuned for one request at a time in a small function: one intra-op
 * thread (a batch of a few rows gains nothing from more, and Lambda's vCPUs are few), sequential
 * execution, every graph optimisation.
 */
export async function createSession(bytes: Uint8Array): Promise<OrtSession> {
  const ort = await loadOnnxRuntime();
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Errors only: its warnings (unused initializers…) are raw text on stderr, amid the function's JSON logs.
    logSeverityLevel: 3,
  });
}

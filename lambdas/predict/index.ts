import { type LambdaStreamingGlobal, streamingHandler } from '../../src/aws/stream-response.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { createBufferedHandler, createPredictCore } from './handler.js';

/** The Node.js managed runtime's global; absent where functions run without response streaming. */
const runtime = (globalThis as { awslambda?: LambdaStreamingGlobal }).awslambda;

// Streamed (the response first, then the prediction log's flush) where the runtime streams; else buffered.
export const handler = runtime
  ? streamingHandler(runtime, createPredictCore(process.env, { catalog: exampleCatalog }))
  : createBufferedHandler(process.env, { catalog: exampleCatalog });

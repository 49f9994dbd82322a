import { type LambdaStreamingGlobal, streamingHandler } from '../../src/aws/stream-response.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { createPredictCore } from './handler.js';

declare const awslambda: LambdaStreamingGlobal;

export const handler = streamingHandler(awslambda, createPredictCore(process.env, { catalog: exampleCatalog }));

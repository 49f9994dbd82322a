/**
 * How the lake is laid out and encoded, as the functions that write it (the
 * lake writer, the compactor) read it from their environment. The variables
 * are set from `lake` settings by `lakeLayoutEnvironment` in
 * lib/constructs/lake.ts.
 */
import { COMPRESSIONS, type Compression } from '../lake/lake-writer.js';
import { type PartitioningSettings, TIME_PARTITIONINGS } from '../lake/layout.js';
import { type Env, oneOfEnv } from './env.js';

export function lakeLayoutFromEnv(env: Env): { partitioning: PartitioningSettings; compression: Compression } {
  return {
    partitioning: {
      timePartitioning: oneOfEnv(env, 'TIME_PARTITIONING', TIME_PARTITIONINGS),
      predictionModels: (env.PREDICTION_MODELS ?? '').split(',').filter((m) => m !== ''),
    },
    compression: oneOfEnv(env, 'PARQUET_COMPRESSION', COMPRESSIONS),
  };
}

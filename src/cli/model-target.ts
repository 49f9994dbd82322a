/**
 * Which model registry `train`, `publish-model` and `predict --local` use:
 * with `--aws`, the deployed environment's models bucket (`--models-bucket`,
 * or FEATURELAKE_MODELS_BUCKET: the stack's ModelsBucketName output);
 * otherwise the running local stack's.
 */
import { s3Client } from '../aws/clients.js';
import type { Env } from '../aws/env.js';
import type { ModelStore } from '../models/registry.js';
import { usageError } from './errors.js';
import { localStackEnv, readLocalStackInfo } from './local-stack-info.js';

export interface ModelTargetFlags {
  readonly aws?: boolean;
  readonly modelsBucket?: string;
  readonly stateDir: string;
}

export interface ModelTarget {
  readonly store: ModelStore;
  /** For messages: `s3://bucket/models/ (local stack)`. */
  readonly where: string;
}

export function modelTarget(flags: ModelTargetFlags, purpose: string, env: Env = process.env): ModelTarget {
  if (flags.aws) {
    const bucket = flags.modelsBucket ?? (env.FEATURELAKE_MODELS_BUCKET || undefined);
    if (!bucket) throw usageError('--aws needs --models-bucket (or FEATURELAKE_MODELS_BUCKET: the ModelsBucketName output)');
    return { store: { s3: s3Client(env), bucket }, where: `s3://${bucket}/models/ (AWS)` };
  }
  if (flags.modelsBucket) throw usageError('--models-bucket names a deployment: add --aws');
  const lookup = readLocalStackInfo(flags.stateDir);
  if (lookup.status !== 'running') {
    const why = lookup.status === 'stale' ? `${lookup.path} is stale (its process is not running)` : 'no local stack is running';
    throw usageError(
      `no model registry to ${purpose}: ${why}; start \`featurelake local\`, or pass --aws --models-bucket <bucket>`,
    );
  }
  const bucket = lookup.info.resources.modelsBucket;
  if (!bucket)
    throw usageError(`no model registry to ${purpose}: the local stack has no models bucket (its app serves no models)`);
  return { store: { s3: s3Client(localStackEnv(lookup.info)), bucket }, where: `s3://${bucket}/models/ (local stack)` };
}

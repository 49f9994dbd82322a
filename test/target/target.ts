/**
 * A target: one running featurelake stack the end-to-end suite can drive,
 * wherever it runs. Two kinds of file describe one:
 *
 * - the embedded stack's `.featurelake/local-stack.json` (`npm run local`),
 *   which carries its own endpoints, credentials and API key;
 * - the CDK CLI's `--outputs-file` of a deployment (`cdk deploy` on AWS,
 *   `cdklocal deploy` on LocalStack), or `aws cloudformation describe-stacks`
 *   output, which carries the stack's CfnOutputs (lib/featurelake-stack.ts).
 *   Endpoints and credentials then come from the standard AWS_* variables, as
 *   for every client of src/aws/clients.ts; the API key from the ApiKeyId output.
 *
 * The shape is documented in docs/targets.md.
 */
import { readFileSync } from 'node:fs';
import { ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import type { Env } from '../../src/aws/env.js';
import { localStackInfoSchema } from '../../src/local/local-stack-info.js';

export interface Target {
  /** Where the description came from, for messages. */
  readonly description: string;
  readonly kind: 'embedded' | 'deployment';
  /** featurelake environment, when the file says. */
  readonly envName?: string;
  readonly region: string;
  /** Service endpoints; absent: the AWS_ENDPOINT_URL* variables, else AWS itself. */
  readonly endpoints?: { readonly kinesis?: string; readonly dynamodb?: string; readonly s3?: string };
  /** Static credentials (the emulators'); absent: the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly streamName: string;
  readonly tableName: string;
  readonly lakeBucket: string;
  readonly quarantineBucket: string;
  readonly api: {
    /** Base URL ending in the stage, no trailing slash: `<url>/features/{type}/{id}`. */
    readonly url: string;
    /** The x-api-key value, or the id to read it with `apigateway get-api-key`. */
    readonly key?: string;
    readonly keyId?: string;
    readonly auth: 'apiKey' | 'iam';
  };
  readonly lake: {
    readonly timePartitioning: 'date' | 'hour';
    /** Longest the lake writer gathers records before writing: bounds the wait for lake rows. */
    readonly batchingWindowSeconds: number;
  };
  /** Longest the aggregator gathers records before features change. */
  readonly aggregatorWindowSeconds: number;
}

/** Reads a target file of either kind; `stack` picks one stack of a multi-stack outputs file. */
export function loadTarget(file: string, env: Env = process.env, stack?: string): Target {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`target file ${file}: ${(error as Error).message}`);
  }
  return targetFrom(json, file, env, stack);
}

export function targetFrom(json: unknown, file: string, env: Env, stack?: string): Target {
  if (isObject(json) && 'endpoints' in json && 'resources' in json) return fromLocalStackInfo(json, file);
  return fromStackOutputs(stackOutputs(json, file, stack), file, env);
}

function fromLocalStackInfo(json: Record<string, unknown>, file: string): Target {
  const parsed = localStackInfoSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${file} looks like a local-stack.json but is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
  const info = parsed.data;
  const config = ENVIRONMENTS[info.env as EnvironmentName];
  // The file says how its lake writer runs (validated with the file; a --lake-window override); older files do not.
  const lake = info.lake;
  return {
    description: `the embedded local stack of ${file} (pid ${info.pid})`,
    kind: 'embedded',
    envName: info.env,
    region: info.region,
    endpoints: info.endpoints,
    credentials: info.credentials,
    streamName: info.resources.streamName,
    tableName: info.resources.tableName,
    lakeBucket: info.resources.lakeBucket,
    quarantineBucket: info.resources.quarantineBucket,
    api: { url: trimSlash(info.api.url), key: info.api.key, auth: config?.api.auth ?? 'apiKey' },
    lake: {
      timePartitioning: lake?.timePartitioning ?? partitioning(config?.lake.timePartitioning ?? 'hour', file),
      batchingWindowSeconds: lake?.batchingWindowSeconds ?? config?.lake.maxBatchingWindowSeconds ?? 60,
    },
    aggregatorWindowSeconds: config?.aggregator.maxBatchingWindowSeconds ?? 5,
  };
}

/** The outputs of one stack, from `cdk deploy --outputs-file` or `aws cloudformation describe-stacks`. */
function stackOutputs(json: unknown, file: string, stack?: string): { name: string; outputs: Record<string, string> } {
  const candidates: { name: string; outputs: Record<string, string> }[] = [];
  if (isObject(json) && Array.isArray(json.Stacks)) {
    for (const s of json.Stacks as { StackName?: string; Outputs?: { OutputKey: string; OutputValue: string }[] }[]) {
      const outputs = Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
      candidates.push({ name: s.StackName ?? '?', outputs });
    }
  } else if (isObject(json)) {
    for (const [name, outputs] of Object.entries(json))
      if (isObject(outputs)) candidates.push({ name, outputs: strings(outputs) });
  }
  const featurelake = candidates.filter((c) => 'StreamName' in c.outputs && 'ApiUrl' in c.outputs);
  const chosen = stack ? featurelake.filter((c) => c.name === stack) : featurelake;
  if (chosen.length === 1) return chosen[0] as (typeof chosen)[number];
  const names = featurelake.map((c) => c.name).join(', ') || 'none';
  if (chosen.length === 0)
    throw new Error(
      `${file}: no featurelake stack${stack ? ` named ${stack}` : ''} (stacks with StreamName and ApiUrl outputs: ${names})`,
    );
  throw new Error(`${file} holds several featurelake stacks (${names}); choose one with --stack <name>`);
}

const REQUIRED = ['StreamName', 'TableName', 'QuarantineBucketName', 'LakeBucketName', 'ApiUrl'] as const;

function fromStackOutputs({ name, outputs }: { name: string; outputs: Record<string, string> }, file: string, env: Env): Target {
  const missing = REQUIRED.filter((k) => !outputs[k]);
  if (missing.length > 0) throw new Error(`${file}: stack ${name} lacks the output(s) ${missing.join(', ')}`);
  const region = outputs.Region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`${file}: stack ${name} has no Region output; set AWS_REGION`);
  const key = env.FEATURELAKE_API_KEY || undefined;
  if (!key && !outputs.ApiKeyId) throw new Error(`${file}: stack ${name} has no ApiKeyId output; set FEATURELAKE_API_KEY`);
  const envName = outputs.EnvName;
  const config = envName ? ENVIRONMENTS[envName as EnvironmentName] : undefined;
  return {
    description: `stack ${name} of ${file}`,
    kind: 'deployment',
    ...(envName ? { envName } : {}),
    region,
    streamName: outputs.StreamName as string,
    tableName: outputs.TableName as string,
    lakeBucket: outputs.LakeBucketName as string,
    quarantineBucket: outputs.QuarantineBucketName as string,
    api: {
      url: env.FEATURELAKE_API_URL ? trimSlash(env.FEATURELAKE_API_URL) : apiUrlFor(outputs.ApiUrl as string, env),
      ...(key ? { key } : { keyId: outputs.ApiKeyId as string }),
      auth: outputs.ApiAuth === 'iam' ? 'iam' : 'apiKey',
    },
    lake: {
      timePartitioning: partitioning(outputs.LakeTimePartitioning ?? config?.lake.timePartitioning ?? 'hour', file),
      batchingWindowSeconds: seconds(outputs.LakeBatchingWindowSeconds ?? config?.lake.maxBatchingWindowSeconds ?? 300, file),
    },
    aggregatorWindowSeconds: seconds(
      outputs.AggregatorBatchingWindowSeconds ?? config?.aggregator.maxBatchingWindowSeconds ?? 300,
      file,
    ),
  };
}

/**
 * The API's URL as a client reaches it. On LocalStack (AWS_ENDPOINT_URL set) the
 * template's `https://<id>.execute-api.<region>.<url suffix>/<stage>/` is served
 * at `http://<id>.execute-api.localhost.localstack.cloud:4566/<stage>`, whatever
 * URL suffix LocalStack's CloudFormation resolved. FEATURELAKE_API_URL overrides both.
 */
export function apiUrlFor(apiUrl: string, env: Env): string {
  const endpoint = env.AWS_ENDPOINT_URL_API_GATEWAY || env.AWS_ENDPOINT_URL;
  const url = new URL(apiUrl);
  const api = /^([a-z0-9]+)\.execute-api\./.exec(url.hostname);
  if (!endpoint || !api) return trimSlash(apiUrl);
  const local = new URL(endpoint);
  return trimSlash(`${local.protocol}//${api[1]}.execute-api.localhost.localstack.cloud:${local.port || '4566'}${url.pathname}`);
}

/** The environment src/aws/clients.ts reads: the caller's, with the target's own endpoints and credentials on top. */
export function clientEnv(target: Target, env: Env = process.env): Env {
  return {
    ...env,
    AWS_REGION: target.region,
    ...(target.endpoints?.kinesis ? { AWS_ENDPOINT_URL_KINESIS: target.endpoints.kinesis } : {}),
    ...(target.endpoints?.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: target.endpoints.dynamodb } : {}),
    ...(target.endpoints?.s3 ? { AWS_ENDPOINT_URL_S3: target.endpoints.s3 } : {}),
    ...(target.credentials
      ? { AWS_ACCESS_KEY_ID: target.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey }
      : {}),
  };
}

function partitioning(value: unknown, file: string): 'date' | 'hour' {
  if (value === 'date' || value === 'hour') return value;
  throw new Error(`${file}: lake time partitioning must be date or hour, got ${JSON.stringify(value)}`);
}

function seconds(value: unknown, file: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${file}: a batching window must be seconds ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));

/**
 * Where `send`, `generate --send` and `features` talk to. Each setting is
 * taken from the first place that has it: the flag, then the environment
 * (FEATURELAKE_STREAM, FEATURELAKE_API_URL, FEATURELAKE_API_KEY,
 * AWS_ENDPOINT_URL[_KINESIS]), then the running local stack's info file.
 */
import { endpointFor } from '../aws/clients.js';
import type { Env } from '../aws/env.js';
import { usageError } from './errors.js';
import { type LocalStackLookup, localStackEnv, readLocalStackInfo } from './local-stack-info.js';

export interface StreamTarget {
  readonly streamName: string;
  /** Environment record for src/aws/clients.ts. */
  readonly env: Env;
  /** Where requests go, for messages: the endpoint URL or the AWS region. */
  readonly endpoint: string;
}

export interface ApiTarget {
  readonly url: string;
  readonly key: string | undefined;
}

function hint(lookup: LocalStackLookup): string {
  if (lookup.status === 'stale') {
    return ` (${lookup.path} is stale: its process ${lookup.info.pid} is not running; start it with \`featurelake local\`)`;
  }
  return ' or start the local stack (`featurelake local`)';
}

export function resolveStreamTarget(
  flags: { stream?: string; endpointUrl?: string; stateDir: string },
  env: Env = process.env,
): StreamTarget {
  // Read lazily: with flags or variables for everything, a broken info file must not matter.
  let lookup: LocalStackLookup | undefined;
  const local = () => {
    lookup ??= readLocalStackInfo(flags.stateDir);
    return lookup.status === 'running' ? lookup.info : undefined;
  };

  const streamName = flags.stream ?? (env.FEATURELAKE_STREAM || undefined) ?? local()?.resources.streamName;
  if (!streamName) {
    throw usageError(
      `no stream given: pass --stream NAME, set FEATURELAKE_STREAM${hint(lookup ?? readLocalStackInfo(flags.stateDir))}`,
    );
  }

  let clientEnv: Record<string, string | undefined> = { ...env };
  if (flags.endpointUrl) {
    clientEnv.AWS_ENDPOINT_URL_KINESIS = flags.endpointUrl;
  } else if (!endpointFor('kinesis', env)) {
    const info = local();
    // The local stack's endpoint comes with its credentials and region.
    if (info) clientEnv = { ...clientEnv, ...localStackEnv(info) };
  }
  const endpoint = endpointFor('kinesis', clientEnv);
  if (endpoint && !clientEnv.AWS_ACCESS_KEY_ID && !clientEnv.AWS_PROFILE) {
    // Emulators accept any credentials, but the SDK refuses to sign without some.
    clientEnv.AWS_ACCESS_KEY_ID = 'featurelake';
    clientEnv.AWS_SECRET_ACCESS_KEY = 'featurelake';
  }
  const region = clientEnv.AWS_REGION ?? clientEnv.AWS_DEFAULT_REGION ?? 'us-east-1';
  return { streamName, env: clientEnv, endpoint: endpoint ?? `AWS Kinesis in ${region}` };
}

export function resolveApiTarget(
  flags: { apiUrl?: string; apiKey?: string; stateDir: string },
  env: Env = process.env,
): ApiTarget {
  const explicitUrl = flags.apiUrl ?? (env.FEATURELAKE_API_URL || undefined);
  const explicitKey = flags.apiKey ?? (env.FEATURELAKE_API_KEY || undefined);
  if (explicitUrl) return { url: explicitUrl.replace(/\/+$/, ''), key: explicitKey };
  const lookup = readLocalStackInfo(flags.stateDir);
  if (lookup.status !== 'running')
    throw usageError(`no API URL given: pass --api-url URL, set FEATURELAKE_API_URL${hint(lookup)}`);
  return { url: lookup.info.api.url.replace(/\/+$/, ''), key: explicitKey ?? lookup.info.api.key };
}

/**
 * `<state-dir>/local-stack.json`: where the running local stack (src/local/)
 * says its emulators, resources and API are. The CLI reads it so `send`,
 * `generate --send` and `features` work against `featurelake local` with no
 * flags. Validated on read: it is written by another process and may be stale
 * or half-written.
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../aws/env.js';
import { type LocalStackInfo, localStackInfoPath, localStackInfoSchema } from '../local/local-stack-info.js';
import { runtimeError } from './errors.js';

export { LOCAL_STACK_FILE, type LocalStackInfo, localStackInfoPath } from '../local/local-stack-info.js';

export type LocalStackLookup =
  | { readonly status: 'running'; readonly info: LocalStackInfo; readonly path: string }
  | { readonly status: 'stale'; readonly info: LocalStackInfo; readonly path: string }
  | { readonly status: 'absent'; readonly path: string };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the info file; 'stale' when the process that wrote it is gone. Malformed files fail loudly. */
export function readLocalStackInfo(stateDir: string): LocalStackLookup {
  const file = localStackInfoPath(stateDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent', path: file };
    throw runtimeError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof localStackInfoSchema.safeParse>;
  try {
    parsed = localStackInfoSchema.safeParse(JSON.parse(text));
  } catch (error) {
    throw runtimeError(`${file} is not JSON (${(error as Error).message}); delete it or restart the local stack`);
  }
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw runtimeError(`${file} is malformed (${detail}); delete it or restart the local stack`);
  }
  return { status: isAlive(parsed.data.pid) ? 'running' : 'stale', info: parsed.data, path: file };
}

/** The environment record src/aws/clients.ts needs to talk to the local stack's emulators. */
export function localStackEnv(info: LocalStackInfo): Env {
  return {
    AWS_REGION: info.region,
    AWS_ACCESS_KEY_ID: info.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: info.endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: info.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: info.endpoints.s3,
  };
}

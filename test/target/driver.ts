/**
 * How the suite talks to a target: PutRecords on its stream, GET on its API,
 * the API key, and bounded waits. Everything goes through the public
 * interfaces a producer or a caller uses; nothing reaches into the stack.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../src/aws/clients.js';
import type { Env } from '../../src/aws/env.js';
import type { Target } from './target.js';

/** One record as the suite sends it: the exact bytes and the partition key. */
export interface SentRecord {
  readonly data: string;
  readonly partitionKey: string;
}

/** PutRecords ≤ 500 a call, re-sending only the entries the stream refused (throttling on a small stream). */
export async function putRecords(target: Target, env: Env, records: readonly SentRecord[]): Promise<void> {
  const kinesis = kinesisClient(env);
  try {
    for (let i = 0; i < records.length; i += 500) {
      let pending: PutRecordsRequestEntry[] = records
        .slice(i, i + 500)
        .map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.partitionKey }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const result = await kinesis.send(new PutRecordsCommand({ StreamName: target.streamName, Records: pending }));
        const failed = pending.filter((_, j) => result.Records?.[j]?.ErrorCode);
        if (failed.length > 0 && attempt >= 10) {
          const code = result.Records?.find((r) => r.ErrorCode)?.ErrorCode;
          throw new Error(
            `PutRecords on ${target.streamName}: ${failed.length} records still refused after 10 attempts (${code})`,
          );
        }
        pending = failed;
        if (pending.length > 0) await sleep(Math.min(5_000, 100 * 2 ** attempt));
      }
    }
  } finally {
    kinesis.destroy();
  }
}

export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: any;
}

/** GET `<api>/features/<type>/<id><query>`; `key: null` sends no API key. */
export async function getFeatures(
  target: Target,
  key: string | null,
  type: string,
  id: string,
  query = '',
): Promise<ApiResponse> {
  const url = `${target.api.url}/features/${encodeURIComponent(type)}/${encodeURIComponent(id)}${query}`;
  const response = await fetch(url, { headers: key === null ? {} : { 'x-api-key': key } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: the assertions say what was expected.
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
}

/**
 * The x-api-key value: the target's own (the embedded stack), FEATURELAKE_API_KEY,
 * or read from the ApiKeyId output with the AWS CLI, which honours the same
 * AWS_ENDPOINT_URL* variables and credentials as the SDK.
 */
export async function resolveApiKey(target: Target, env: Env): Promise<string> {
  if (target.api.key) return target.api.key;
  const keyId = target.api.keyId as string;
  const args = ['apigateway', 'get-api-key', '--api-key', keyId, '--include-value', '--region', target.region];
  try {
    const { stdout } = await promisify(execFile)('aws', [...args, '--query', 'value', '--output', 'text'], {
      env: { ...process.env, ...env } as NodeJS.ProcessEnv,
      timeout: 60_000,
    });
    const key = stdout.trim();
    if (key && key !== 'None') return key;
    throw new Error('the answer holds no value');
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const why = stderr?.trim().split('\n').at(-1) || message.split('\n')[0];
    throw new Error(
      `could not read the API key ${keyId} (aws ${args.join(' ')}): ${why}; set FEATURELAKE_API_KEY to its value instead`,
    );
  }
}

/**
 * Polls `check` every `intervalMs` until it reports done, or fails after
 * `timeoutMs` naming what it waited for and the last progress seen.
 */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<{ done: boolean; progress: string }>,
  intervalMs = 2_000,
): Promise<number> {
  const started = Date.now();
  let last = 'nothing checked yet';
  for (;;) {
    try {
      const state = await check();
      last = state.progress;
      if (state.done) return Date.now() - started;
    } catch (error) {
      last = `last check failed: ${(error as Error).message}`;
    }
    if (Date.now() - started >= timeoutMs)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; ${last}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

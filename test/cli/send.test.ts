/**
 * `send` and `generate --send` against a real Kinesis emulator (kinesalite):
 * records are read back shard by shard and checked against the input.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../src/aws/clients.js';
import { cleanEnv, runCli, startKinesalite, stopProcess } from './support.js';

let emulator: ChildProcess | undefined;
let endpoint = '';
let client: KinesisClient;
const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-send-'));

async function createStream(name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 100; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

interface ReadRecord {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly data: string;
}

/** Every record on the stream, from the start of each shard. */
async function readAll(stream: string): Promise<ReadRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const records: ReadRecord[] = [];
  for (const shard of Shards) {
    const shardId = shard.ShardId as string;
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        records.push({
          shardId,
          partitionKey: r.PartitionKey as string,
          data: Buffer.from(r.Data as Uint8Array).toString('utf8'),
        });
      }
      // An open shard always returns a next iterator: stop at the first empty page.
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return records;
}

beforeAll(async () => {
  const started = await startKinesalite();
  emulator = started.process;
  endpoint = started.endpoint;
  client = kinesisClient({
    AWS_ENDPOINT_URL_KINESIS: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  await Promise.all([createStream('clicks', 2), createStream('discovered', 1), createStream('strict', 1)]);
});

afterAll(async () => {
  client?.destroy();
  await stopProcess(emulator);
  rmSync(dir, { recursive: true, force: true });
});

describe('featurelake send (kinesalite)', () => {
  it('puts every line on the stream, keyed by user_id, in ≤ 500-record batches', async () => {
    const file = path.join(dir, 'events.jsonl');
    const generated = await runCli([
      'generate',
      '--events',
      '2000',
      '--seed',
      '5',
      '--start',
      '2025-01-01T00:00:00Z',
      '--out',
      file,
    ]);
    expect(generated.code).toBe(0);
    // Plus a blank line (skipped) and a line that is not JSON (sent: the pipeline quarantines it).
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nnot json at all\n`);

    const result = await runCli(['send', file, '--stream', 'clicks', '--endpoint-url', endpoint]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^sent 2,001 records to clicks in 5 batches, 0 retries \(0 records resent\), [\d.]+ s, [\d,]+ records\/s\n$/,
    );

    const records = await readAll('clicks');
    expect(records).toHaveLength(2_001);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(records.map((r) => r.data).sort()).toEqual([...lines].sort());
    for (const record of records) {
      if (record.data === 'not json at all') {
        expect(record.partitionKey).toBe(createHash('sha1').update(record.data).digest('hex'));
      } else {
        expect(record.partitionKey).toBe((JSON.parse(record.data) as { user_id: string }).user_id);
      }
    }
    // One user's events all live on one shard, and both shards are used.
    const shardOf = new Map<string, string>();
    for (const r of records) {
      expect(shardOf.get(r.partitionKey) ?? r.shardId).toBe(r.shardId);
      shardOf.set(r.partitionKey, r.shardId);
    }
    expect(new Set(records.map((r) => r.shardId)).size).toBe(2);
  });

  it('reads stdin with -', async () => {
    const input = '{"source":"clickstream","user_id":"user_000007","event_id":"e1"}\n';
    const result = await runCli(['send', '-', '--stream', 'strict', '--endpoint-url', endpoint], { input });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sent 1 records/);
  });

  it('--strict stops at a line that is not JSON and names file:line', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, '{"source":"clickstream","user_id":"user_000001"}\n\n{"source": \n');
    const result = await runCli(['send', file, '--strict', '--stream', 'strict', '--endpoint-url', endpoint]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.jsonl:3: not valid JSON/);
  });

  it('names a stream that does not exist (exit 1)', async () => {
    const file = path.join(dir, 'events.jsonl');
    const result = await runCli(['send', file, '--stream', 'nope', '--endpoint-url', endpoint]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`stream "nope" does not exist at ${endpoint}`);
  });
});

describe('featurelake generate --send (kinesalite)', () => {
  it('finds the stream and endpoint in <state-dir>/local-stack.json and paces to --rate', async () => {
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const info = {
      env: 'dev',
      region: 'us-east-1',
      endpoints: { kinesis: endpoint, dynamodb: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1' },
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      resources: { streamName: 'discovered', tableName: 't', quarantineBucket: 'q', lakeBucket: 'l' },
      s3Directory: '/nonexistent',
      s3ObjectSuffix: '._S3rver_object',
      api: { url: 'http://127.0.0.1:1', key: 'k' },
      // This test's process stands in for the local stack: it is alive, so the file is current.
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(path.join(stateDir, 'local-stack.json'), JSON.stringify(info));

    const started = Date.now();
    const result = await runCli(['generate', '--events', '300', '--rate', '400', '--send', '--state-dir', stateDir], {
      env: cleanEnv(),
    });
    const elapsed = Date.now() - started;
    expect(result.stderr).toMatch(/sent 300 records to discovered/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    // 300 events at 400/s take ≥ 0.75 s of pacing.
    expect(elapsed).toBeGreaterThanOrEqual(700);

    const records = await readAll('discovered');
    expect(records).toHaveLength(300);
    for (const r of records) expect(r.partitionKey).toBe((JSON.parse(r.data) as { user_id: string }).user_id);
    // Paced: event times are stamped from the moment sending began.
    const times = records.map((r) => Date.parse((JSON.parse(r.data) as { event_time: string }).event_time));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(started);
  });
});

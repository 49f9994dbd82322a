import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { entityKeyFields, partitionKeyFor } from '../../src/cli/kinesis/partition-key.js';
import { readLocalStackInfo } from '../../src/cli/local-stack-info.js';
import { resolveApiTarget, resolveStreamTarget } from '../../src/cli/targets.js';
import { exampleCatalog } from '../../src/features/catalog.js';

const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeInfo(stateDir: string, pid: number): void {
  const info = {
    env: 'dev',
    region: 'eu-west-1',
    endpoints: { kinesis: 'http://127.0.0.1:4001', dynamodb: 'http://127.0.0.1:4002', s3: 'http://127.0.0.1:4003' },
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    resources: { streamName: 'local-stream', tableName: 't', quarantineBucket: 'q', lakeBucket: 'l' },
    s3Directory: '/nonexistent',
    s3ObjectSuffix: '._S3rver_object',
    api: { url: 'http://127.0.0.1:4004/', key: 'local-key' },
    pid,
    startedAt: '2025-01-01T00:00:00Z',
  };
  writeFileSync(path.join(stateDir, 'local-stack.json'), JSON.stringify(info));
}

describe('endpoint and stream discovery', () => {
  const running = mkdtempSync(path.join(dir, 'running-'));
  writeInfo(running, process.pid);

  it('uses the running local stack when nothing else is given, with its credentials and region', () => {
    const target = resolveStreamTarget({ stateDir: running }, {});
    expect(target.streamName).toBe('local-stream');
    expect(target.endpoint).toBe('http://127.0.0.1:4001');
    expect(target.env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4001',
    });
    expect(resolveApiTarget({ stateDir: running }, {})).toEqual({ url: 'http://127.0.0.1:4004', key: 'local-key' });
  });

  it('prefers flags over environment over the info file', () => {
    const env = { FEATURELAKE_STREAM: 'env-stream', AWS_ENDPOINT_URL: 'http://env:1' };
    expect(resolveStreamTarget({ stateDir: running }, env)).toMatchObject({ streamName: 'env-stream', endpoint: 'http://env:1' });
    expect(resolveStreamTarget({ stateDir: running, stream: 'flag', endpointUrl: 'http://flag:2' }, env)).toMatchObject({
      streamName: 'flag',
      endpoint: 'http://flag:2',
    });
    expect(
      resolveApiTarget({ stateDir: running, apiUrl: 'http://flag:3', apiKey: 'k' }, { FEATURELAKE_API_URL: 'http://env:3' }),
    ).toEqual({
      url: 'http://flag:3',
      key: 'k',
    });
  });

  it('ignores a stale info file and says so', () => {
    const stale = mkdtempSync(path.join(dir, 'stale-'));
    writeInfo(stale, 2 ** 22 + 12_345);
    expect(readLocalStackInfo(stale).status).toBe('stale');
    expect(() => resolveStreamTarget({ stateDir: stale }, {})).toThrow(/stale: its process \d+ is not running/);
  });

  it('fails loudly on a malformed info file', () => {
    const broken = mkdtempSync(path.join(dir, 'broken-'));
    writeFileSync(path.join(broken, 'local-stack.json'), '{"env": "dev"}');
    expect(() => resolveStreamTarget({ stateDir: broken }, {})).toThrow(CliError);
    expect(() => resolveStreamTarget({ stateDir: broken }, {})).toThrow(/local-stack\.json is malformed/);
  });

  it('gives emulator endpoints placeholder credentials when there are none', () => {
    const target = resolveStreamTarget({ stateDir: dir, stream: 's', endpointUrl: 'http://127.0.0.1:9' }, {});
    expect(target.env.AWS_ACCESS_KEY_ID).toBe('featurelake');
  });
});

describe('partition keys', () => {
  it("use the entity key of the event's source, else a hash of the line", () => {
    const keys = entityKeyFields(exampleCatalog);
    const line = '{"source":"clickstream","user_id":"user_000009"}';
    expect(partitionKeyFor(line, JSON.parse(line), keys)).toBe('user_000009');
    const unknown = '{"source":"weather","user_id":"user_000009"}';
    expect(partitionKeyFor(unknown, JSON.parse(unknown), keys)).toMatch(/^[0-9a-f]{40}$/);
    expect(partitionKeyFor('not json', undefined, keys)).toBe(partitionKeyFor('not json', undefined, keys));
    expect(partitionKeyFor('{"source":"clickstream"}', { source: 'clickstream' }, keys)).toMatch(/^[0-9a-f]{40}$/);
  });
});

/** `featurelake features` against a small real HTTP server standing in for the feature API. */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { age, renderFeatureTable } from '../../src/cli/feature-table.js';
import { type FakeFeatureApi, startFakeFeatureApi } from './fake-feature-api.js';
import { cleanEnv, runCli } from './support.js';

const RESPONSE = {
  entityType: 'user',
  entityId: 'user_000042',
  asOf: '2025-01-01T12:00:00.000Z',
  views: {
    user_clickstream: {
      features: { events_1h: 12, revenue_1h: 59.9, cart_rate_1h: 0.333333, last_category_1h: 'books', last_event_type_7d: null },
      freshness: {
        events_1h: '2025-01-01T11:59:30.000Z',
        revenue_1h: '2025-01-01T11:15:00.000Z',
        cart_rate_1h: '2025-01-01T11:59:30.000Z',
        last_category_1h: '2025-01-01T10:00:00.000Z',
        last_event_type_7d: null,
      },
    },
  },
};

const requests: { url: string; key: string | undefined }[] = [];
let api: FakeFeatureApi;
let apiUrl = '';
const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-features-'));

beforeAll(async () => {
  api = await startFakeFeatureApi((req) => {
    requests.push({ url: req.url ?? '', key: req.headers['x-api-key'] as string | undefined });
    if (req.headers['x-api-key'] !== 'secret') return { status: 403, body: '{"message":"Forbidden"}' };
    return { status: 200, body: JSON.stringify(RESPONSE) };
  });
  apiUrl = api.url;
});

afterAll(async () => {
  api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('featurelake features', () => {
  it('calls GET /features/{type}/{id}?views= with x-api-key and prints a table', async () => {
    const result = await runCli(
      ['features', 'user', 'user_000042', '--views', 'user_clickstream', '--api-url', apiUrl, '--api-key', 'secret'],
      {
        cwd: dir,
      },
    );
    expect(result.code).toBe(0);
    expect(requests.at(-1)).toEqual({ url: '/features/user/user_000042?views=user_clickstream', key: 'secret' });
    expect(result.stdout).toBe(renderFeatureTable(RESPONSE));
    expect(result.stdout).toMatch(/events_1h\s+12\s+30s ago/);
    expect(result.stdout).toMatch(/cart_rate_1h\s+0\.3333\s+30s ago/);
    expect(result.stdout).toMatch(/last_event_type_7d\s+—\s+no events/);
  });

  it('--json prints the raw response; URL and key can come from the environment', async () => {
    const env = cleanEnv({ FEATURELAKE_API_URL: apiUrl, FEATURELAKE_API_KEY: 'secret' });
    const result = await runCli(['features', 'user', 'user_000042', '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(RESPONSE);
    expect(requests.at(-1)?.url).toBe('/features/user/user_000042');
  });

  it('falls back to the local stack info file for URL and key', async () => {
    const info = {
      env: 'dev',
      region: 'us-east-1',
      endpoints: { kinesis: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1' },
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      resources: { streamName: 's', tableName: 't', quarantineBucket: 'q', lakeBucket: 'l' },
      s3Directory: '/nonexistent',
      s3ObjectSuffix: '._S3rver_object',
      api: { url: apiUrl, key: 'secret' },
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(path.join(dir, 'local-stack.json'), JSON.stringify(info));
    const result = await runCli(['features', 'user', 'user_000042', '--json', '--state-dir', dir], { cwd: dir });
    expect(result.code).toBe(0);
    expect(requests.at(-1)?.key).toBe('secret');
  });

  it('exits 1 with the status when the API refuses the key', async () => {
    const result = await runCli(['features', 'user', 'user_000042', '--api-url', apiUrl, '--api-key', 'wrong'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/answered 403: Forbidden — check --api-key/);
  });
});

describe('feature table', () => {
  it('formats ages relative to asOf', () => {
    const asOf = Date.parse('2025-01-01T12:00:00Z');
    expect(age('2025-01-01T11:59:58Z', asOf)).toBe('2s ago');
    expect(age('2025-01-01T11:55:30Z', asOf)).toBe('4m 30s ago');
    expect(age('2025-01-01T09:30:00Z', asOf)).toBe('2h 30m ago');
    expect(age('2024-12-30T06:00:00Z', asOf)).toBe('2d 6h ago');
    expect(age(null, asOf)).toBe('no events');
  });
});

/**
 * `featurelake drift` through the real bin: the model's current version read
 * from a models bucket on s3rver (--aws), the prediction log from a lake
 * folder (--lake-dir). A shifted window prints ALERT beside each drifted
 * value and writes the drift table's file; an unshifted one prints none and
 * passes --fail-on-drift; wrong invocations exit 2.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { aliasKey, artifactKey } from '../../src/models/registry.js';
import { directoryStorage } from '../../src/query/lake-storage.js';
import { cleanEnv, runCli } from '../cli/support.js';
import { useEmulators } from '../support/emulators.js';
import { logPredictions, MODEL, testArtifact, VERSION } from './support.js';

const BUCKET = 'drift-models';
const T0 = Date.parse('2024-03-05T00:00:00Z');
let env: NodeJS.ProcessEnv;
let dir: string;

useEmulators('featurelake-drift-cli-', async (emulators) => {
  const s3 = s3Client(emulators.env);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const put = (Key: string, value: unknown) =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: JSON.stringify(value) }));
  await put(artifactKey(MODEL, VERSION), testArtifact());
  await put(aliasKey(MODEL, 'current'), { version: VERSION, setAt: '2024-03-01T00:00:00.000Z', reason: 'test' });
  env = cleanEnv(emulators.env);
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-drift-cli-lake-'));
  const storage = directoryStorage(dir);
  await logPredictions(storage, { fromMs: T0, hours: 1, count: 2000, seed: 20, noise: 50 });
  await logPredictions(storage, {
    fromMs: T0 + 3_600_000,
    hours: 1,
    count: 2000,
    seed: 21,
    noise: 50,
    shift: { amount: 1, tiers: [0.3, 0.3, 0.4], scorePower: 1 },
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const drift = (...args: string[]) =>
  runCli(['drift', '--model', MODEL, '--lake-dir', dir, '--aws', '--models-bucket', BUCKET, ...args], { env });

describe('featurelake drift', () => {
  it('prints ALERT for each drifted value of a shifted window and writes the drift table', async () => {
    const out = await drift('--from', '2024-03-05T01:00:00Z', '--to', '2024-03-05T02:00:00Z');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe(
      `${MODEL} version ${VERSION}: 2,000 predictions from 2024-03-05T01:00:00Z to 2024-03-05T02:00:00Z (judged from 500)`,
    );
    expect(lines[1]).toMatch(/^feature\s+kind\s+n\s+missing\s+KS\s+PSI\s+χ² p\s+threshold$/);
    for (const [i, name] of ['amount', 'tier', '(score)'].entries()) {
      expect(lines[2 + i]?.startsWith(name)).toBe(true);
      expect(lines[2 + i]?.endsWith('ALERT')).toBe(true);
    }
    expect(lines[5]).toBe('3 drifted');
    const key = `rollups/drift/dt=2024-03-05/${MODEL}-20240305T010000Z-20240305T020000Z.parquet`;
    expect(lines[6]).toBe(`wrote ${key}`);
    expect(existsSync(path.join(dir, key))).toBe(true);
  }, 60_000);

  it('an unshifted window: no ALERT, --fail-on-drift passes, --dry-run writes nothing', async () => {
    const out = await drift('--from', '2024-03-05T00:00:00Z', '--to', '2024-03-05T01:00:00Z', '--dry-run', '--fail-on-drift');
    expect(out.code).toBe(0);
    expect(out.stdout).not.toContain('ALERT');
    expect(out.stdout).toContain('\nno drift\n(not written: --dry-run)\n');
    expect(existsSync(path.join(dir, `rollups/drift/dt=2024-03-05/${MODEL}-20240305T000000Z-20240305T010000Z.parquet`))).toBe(
      false,
    );
  }, 60_000);

  it('--fail-on-drift exits 1 on a shifted window; wrong invocations exit 2', async () => {
    const failed = await drift('--from', '2024-03-05T01:00:00Z', '--to', '2024-03-05T02:00:00Z', '--dry-run', '--fail-on-drift');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('featurelake: 3 drifted (--fail-on-drift)');
    const unknown = await runCli(['drift', '--model', 'nope', '--lake-dir', dir, '--aws', '--models-bucket', BUCKET], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--model: unknown model "nope" (known: purchase_propensity, hot_object)');
  }, 60_000);
});

/**
 * `featurelake train` through the real bin, publishing to s3rver: a
 * training-set CSV with signal publishes version 1 and moves current to it;
 * the same features with shuffled labels publish version 2 but leave current
 * at 1 and exit 1 (until --force); --dry-run publishes nothing; wrong
 * invocations exit 2 naming what is wrong. The registry is read back with
 * plain S3 calls, not the registry module.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { syntheticTrainingTable } from '../../src/models/train/synthetic.js';
import { useEmulators } from '../support/emulators.js';
import { cleanEnv, runCli } from './support.js';

const BUCKET = 'models-test';
let s3: S3Client;
let env: NodeJS.ProcessEnv;
let work: string;

useEmulators('featurelake-train-', async (emulators) => {
  s3 = s3Client(emulators.env);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  env = cleanEnv(emulators.env);
});

/** The synthetic table as a CSV (its list columns left out, as a spreadsheet would hold it). */
function writeCsv(file: string, shuffleLabels: boolean): string {
  const table = syntheticTrainingTable({ rows: 800, seed: 11, shuffleLabels });
  const columns = table.columns.filter((c) => !c.startsWith('last_products_viewed'));
  const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
  const lines = [columns.join(','), ...table.rows.map((row) => columns.map((c) => cell(row[c])).join(','))];
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

let signal: string;
let noise: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'featurelake-train-cli-'));
  signal = writeCsv(path.join(work, 'signal.csv'), false);
  noise = writeCsv(path.join(work, 'noise.csv'), true);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const train = (...args: string[]) =>
  runCli(['train', '--model', 'purchase_propensity', '--algorithm', 'logistic,tree', '--folds', '3', ...args], { env });
const publish = ['--aws', '--models-bucket', BUCKET];

async function getJson(key: string): Promise<Record<string, unknown>> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString());
}
async function keys(): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models/' }));
  return (out.Contents ?? []).map((o) => o.Key as string).sort();
}

describe('featurelake train', () => {
  it('publishes version 1 and moves current to it when the cross-validated ROC-AUC clears the floor', async () => {
    const result = await train('--training-set', signal, ...publish);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/purchase_propensity: 800 rows/);
    expect(result.stdout).toMatch(/ROC-AUC\s+0\.\d{4}\s+0\.\d{4}/);
    expect(result.stdout).toMatch(/published purchase_propensity version 1/);
    expect(result.stdout).toMatch(/current: no version → version 1/);
    expect(await keys()).toEqual(['models/purchase_propensity/1/artifact.json', 'models/purchase_propensity/current.json']);
    const artifact = await getJson('models/purchase_propensity/1/artifact.json');
    const metrics = artifact.metrics as { algorithm: string; rocAuc: number }[];
    expect(metrics.map((m) => m.algorithm).sort()).toEqual(['logistic', 'tree']);
    expect(metrics[0]?.rocAuc).toBe(Math.max(...metrics.map((m) => m.rocAuc)));
    expect(metrics[0]?.rocAuc).toBeGreaterThanOrEqual(0.7);
    expect((artifact.trainingSet as { origin: string }).origin).toBe(signal);
    expect(await getJson('models/purchase_propensity/current.json')).toMatchObject({ version: '1' });
  }, 40_000);

  it('below the floor: publishes version 2, keeps current at 1, exits 1 saying why; --force serves it anyway', async () => {
    const result = await train('--training-set', noise, ...publish);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toMatch(/version 2: rocAuc 0\.\d+ is below the floor 0\.7; current stays at version 1/);
    expect(await getJson('models/purchase_propensity/current.json')).toMatchObject({ version: '1' });
    expect(await keys()).toContain('models/purchase_propensity/2/artifact.json');

    const forced = await train('--training-set', noise, '--force', ...publish);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/current: version 1 → version 3 \(forced below the floor\)/);
    expect(await getJson('models/purchase_propensity/current.json')).toMatchObject({
      version: '3',
      reason: expect.stringMatching(/--force/),
    });
  }, 40_000);

  it('--dry-run prints the same comparison for the same seed and publishes nothing; --out writes the artifact', async () => {
    const before = await keys();
    const out = path.join(work, 'out');
    const a = await train('--training-set', signal, '--dry-run', '--out', out);
    const b = await train('--training-set', signal, '--dry-run');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.split('\nwrote')[0]).toBe(b.stdout.trimEnd());
    expect(await keys()).toEqual(before);
    const written = JSON.parse(readFileSync(path.join(out, 'artifact.json'), 'utf8'));
    expect(written.name).toBe('purchase_propensity');
    expect(written.version).toBeUndefined();
  }, 40_000);

  it('exits 2 naming what is wrong', async () => {
    const garbage = (name: string, body: string | Uint8Array) => {
      const file = path.join(work, name);
      writeFileSync(file, body);
      return file;
    };
    const cases: [string[], RegExp][] = [
      [
        ['--model', 'nope', '--training-set', signal, '--dry-run'],
        /unknown model "nope" \(known: purchase_propensity, hot_object\)/,
      ],
      [['--model', 'hot_object', '--dry-run'], /say what to train on: --training-set/],
      [['--model', 'hot_object', '--training-set', path.join(work, 'missing.csv'), '--dry-run'], /missing\.csv is not a file/],
      [['--model', 'hot_object', '--algorithm', 'forest', '--dry-run'], /--algorithm.*logistic, tree, gbdt/],
      [['--model', 'hot_object', '--training-set', signal], /no model registry to publish to/],
      // Files that cannot train the model: the invocation's mistake, named with the flag and the file.
      [
        ['--model', 'purchase_propensity', '--training-set', garbage('binary.csv', randomBytes(3_000)), '--dry-run'],
        /--training-set .*binary\.csv/,
      ],
      [
        ['--model', 'purchase_propensity', '--training-set', garbage('empty.csv', ''), '--dry-run'],
        /--training-set .*empty\.csv: the training set has no column purchase_within_1h/,
      ],
      [
        [
          '--model',
          'purchase_propensity',
          '--training-set',
          garbage('unlabelled.csv', 'user_id,views_24h\nu1,3\nu2,4\n'),
          '--dry-run',
        ],
        /--training-set .*unlabelled\.csv: the training set has no column purchase_within_1h/,
      ],
      [
        [
          '--model',
          'purchase_propensity',
          '--training-set',
          garbage('one-class.csv', `user_id,views_24h,purchase_within_1h\n${'u,3,0\n'.repeat(20)}`),
          '--dry-run',
        ],
        /--training-set .*one-class\.csv: 20 labelled rows with 0 positive/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(['train', ...args], { env: cleanEnv(), cwd: work })));
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    });
  }, 40_000);
});

/**
 * `featurelake report` with no flags but the range: the running local stack's
 * lake, model registry and quarantine bucket, through the S3 emulator (a
 * local-stack.json written here points the CLI at the emulators). The page's
 * data must be what the same report gathers from plain folders and an
 * artifact in hand (test/report/report.test.ts checks those against the rows).
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { sources } from '../../src/features/catalog.js';
import type { LocalStackInfo } from '../../src/local/local-stack-info.js';
import { publishVersion, setAlias } from '../../src/models/registry.js';
import { openLocalLake } from '../../src/query/local-engine.js';
import { gatherReport } from '../../src/report/gather.js';
import { directoryQuarantineStore } from '../../src/report/quarantine-series.js';
import type { ReportData } from '../../src/report/series.js';
import { cleanEnv, runCli } from '../cli/support.js';
import { useEmulators } from '../support/emulators.js';
import { END, START } from '../support/lake-fixture.js';
import { MODEL, type ReportFixture, writeReportFixture } from './report-fixture.js';

const BUCKETS = { lake: 'report-lake', quarantine: 'report-quarantine', models: 'report-models' };

let s3: S3Client;
let stateDir: string;
let fixture: ReportFixture;

/** Puts every file under `root` into the bucket at its relative path. */
async function upload(root: string, bucket: string): Promise<number> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(root, f)).isFile());
  for (const rel of files) {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: rel.split(path.sep).join('/'), Body: readFileSync(path.join(root, rel)) }),
    );
  }
  return files.length;
}

useEmulators('featurelake-report-stack-', async (emulators) => {
  s3 = s3Client(emulators.env) as S3Client;
  for (const bucket of Object.values(BUCKETS)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  fixture = await writeReportFixture();
  await upload(fixture.lake.root, BUCKETS.lake);
  await upload(fixture.quarantineDir, BUCKETS.quarantine);
  const { version: _v, createdAt: _c, ...unpublished } = fixture.artifact;
  const store = { s3, bucket: BUCKETS.models };
  const published = await publishVersion(store, unpublished);
  await setAlias(store, MODEL, 'current', published.version, 'report test');
  stateDir = await mkdtemp(path.join(tmpdir(), 'featurelake-report-state-'));
  const info: LocalStackInfo = {
    env: 'dev',
    region: emulators.env.AWS_REGION ?? 'us-east-1',
    endpoints: emulators.endpoints,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    resources: {
      streamName: 'unused',
      tableName: 'unused',
      quarantineBucket: BUCKETS.quarantine,
      lakeBucket: BUCKETS.lake,
      modelsBucket: BUCKETS.models,
    },
    s3Directory: emulators.s3Directory,
    s3ObjectSuffix: '._S3rver_object',
    api: { url: 'http://127.0.0.1:1', key: 'unused' },
    // This process stands for the stack: the CLI checks that the pid is alive.
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(path.join(stateDir, 'local-stack.json'), JSON.stringify(info));
});

let expected: ReportData;

beforeAll(async () => {
  const lake = await openLocalLake({ storage: fixture.lake.storage, tables: fixture.lake.tables });
  try {
    expected = await gatherReport({
      run: (sql) => lake.run(sql),
      layout: { timePartitioning: 'hour' },
      environment: 'dev',
      where: 'folders',
      sources,
      artifacts: [{ ...fixture.artifact, version: '1' }],
      models: [MODEL],
      quarantine: directoryQuarantineStore(fixture.quarantineDir),
      range: { fromMs: Date.parse(START), toMs: Date.parse(END) },
    });
  } finally {
    lake.close();
  }
});

afterAll(() => {
  for (const dir of [fixture?.lake.root, fixture?.quarantineDir, stateDir])
    if (dir) rmSync(dir, { recursive: true, force: true });
});

it('reads the local stack’s lake, current artifact and quarantine through the S3 emulator', async () => {
  const out = path.join(stateDir, 'report');
  const run = await runCli(['report', '--state-dir', stateDir, '--from', START, '--to', END, '--model', MODEL, '--out', out], {
    env: cleanEnv(),
  });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain(`quarantine by reason (s3://${BUCKETS.quarantine}/invalid/)`);
  expect(run.stderr).not.toContain('note:');
  // volume, three inputs, drift, quarantine, latency, and churn_risk's scores.
  expect(run.stdout).toMatch(/ 8 charts, /);

  const html = readFileSync(path.join(out, 'index.html'), 'utf8');
  const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const data = JSON.parse(json) as ReportData;
  expect(data.meta.where).toBe(`local DuckDB over the local stack's bucket ${BUCKETS.lake}`);
  expect(data.volume).toEqual(expected.volume);
  expect(data.distributions).toEqual(expected.distributions);
  expect(data.drift).toEqual(expected.drift);
  expect(data.quarantine).toEqual(expected.quarantine);
  expect(data.latency).toEqual(expected.latency);
  expect(data.scores).toEqual(expected.scores);
});

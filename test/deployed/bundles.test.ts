/**
 * Test what is deployed: every function's bundle as `cdk synth` writes it for
 * dev, copied outside the repository, run in a fresh `node` with only its
 * template environment (plus the emulator endpoints, credentials and region),
 * against the emulators provisioned from the same template — the way the
 * local stack provisions them — with a representative event each. A recording
 * proxy in front of every emulator captures the AWS calls each bundle makes,
 * and each call is checked against the function's role in the template
 * (test/support/template-iam.ts), together with the calls AWS services make as
 * the role on the function's behalf (logs, the Kinesis event source mapping,
 * its on-failure destination, Athena reading and writing as the caller).
 *
 * Expected values are computed from the events sent, not from the code under test.
 */
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CopyObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { dynamoDocumentClient, kinesisClient, s3Client } from '../../src/aws/clients.js';
import { objectCreatedEvent } from '../../src/batch/object-created.js';
import { sources } from '../../src/features/catalog.js';
import { lakeTables } from '../../src/lake/tables.js';
import { type AthenaEmulator, startAthenaEmulator } from '../../src/local/athena-emulator.js';
import { type Emulators, S3RVER_OBJECT_SUFFIX, startEmulators } from '../../src/local/emulators.js';
import { provision } from '../../src/local/provision.js';
import { publishVersion, setAlias } from '../../src/models/registry.js';
import { s3Storage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { clickstreamInput, logisticArtifact } from '../support/artifacts.js';
import { asRecords, clickEvents } from '../support/events.js';
import {
  type DeployedAssembly,
  type DeployedFunction,
  type Invocation,
  invokeBundle,
  lambdaNode,
  synthDeployed,
} from '../support/template-bundles.js';
import {
  athenaWorkgroups,
  iamRequestsOf,
  type NeededPermission,
  type RecordedCall,
  type Service,
  startRecordingProxy,
} from '../support/template-calls.js';
import {
  ACCOUNT,
  evaluate,
  REGION,
  roleOfFunction,
  rolePolicyStatements,
  type Statement,
  templateResolver,
} from '../support/template-iam.js';
import { impliedPermissions } from '../support/template-implied.js';

const ENV = 'dev';
const HOUR = 3_600_000;
const now = Date.now();
// Events over the two hours before now (the rollup's closed hours), in random order.
const events = clickEvents({ count: 240, users: 12, nowMs: now - 60_000, spanMs: 2 * HOUR, seed: 7 });
const invalidPayload = 'not json at all';
// A prediction logged twice (its source deduplicates: the lake writer puts a marker per prediction).
const prediction = {
  source: 'predictions',
  timestamp: new Date(now - 30 * 60_000).toISOString(),
  prediction_id: 'pred-1',
  model_name: 'sentiment',
  label: 'POSITIVE',
  score: 0.9,
  inference_time_ms: 12,
  environment: 'prod',
};
const records = asRecords([...events, prediction, prediction, invalidPayload], { arrivalTimeMs: now });

let dir: string;
let emulators: Emulators;
let assembly: DeployedAssembly;
let athena: AthenaEmulator;
let lake: LocalLake | undefined;
const runs = new Map<string, { invocation: Invocation; calls: RecordedCall[] }>();
let setupMs = 0;
let node: ReturnType<typeof lambdaNode>;

const fnNamed = (name: string): DeployedFunction => {
  const fn = assembly.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no ${name} function in the template`);
  return fn;
};
const bucketOf = (logicalPrefix: string) => {
  const bucket = assembly.model.buckets.find((b) => b.logicalId.startsWith(logicalPrefix));
  if (!bucket) throw new Error(`no bucket ${logicalPrefix}`);
  return bucket.name;
};
const streamName = () => assembly.model.streams[0]?.name as string;

function kinesisEvent(batch = records) {
  const streamArn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${streamName()}`;
  return {
    Records: batch.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: r.data,
        approximateArrivalTimestamp: r.arrivalTimeMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/test`,
      awsRegion: REGION,
      eventSourceARN: streamArn,
    })),
  };
}

const busiestUser = () => {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.user_id, (counts.get(e.user_id) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
};

/** purchase_propensity as sigmoid(0.5 · views_24h − 1). */
const VIEWS_MODEL = logisticArtifact('purchase_propensity', [clickstreamInput('views_24h', 0, 1)], [0.5], -1);

function predictEvent(user: string) {
  const body = JSON.stringify({ entities: [{ type: 'user', id: user }] });
  return { ...apiEvent(user), resource: '/predict', path: '/predict', httpMethod: 'POST', pathParameters: null, body };
}

function apiEvent(user: string) {
  const resourcePath = '/features/{entityType}/{entityId}';
  return {
    resource: resourcePath,
    path: `/features/user/${user}`,
    httpMethod: 'GET',
    headers: { 'x-api-key': 'test-key', accept: 'application/json' },
    multiValueHeaders: { 'x-api-key': ['test-key'], accept: ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { entityType: 'user', entityId: user },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'testapi',
      stage: 'v1',
      requestId: 'deployed-bundle-test',
      httpMethod: 'GET',
      path: `/v1/features/user/${user}`,
      resourcePath,
      protocol: 'HTTP/1.1',
      requestTimeEpoch: now,
      identity: { sourceIp: '127.0.0.1', apiKey: 'test-key' },
    },
    body: null,
    isBase64Encoded: false,
  };
}

const scheduled = (time: number) => ({
  version: '0',
  id: 'deployed-bundle-test',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: REGION,
  resources: [],
  detail: {},
});

/** A manifest an interrupted compaction left: its output was never written, so recovery must drop it. */
const LEFTOVER_DAY = new Date(now - 2 * 24 * HOUR).toISOString().slice(0, 10);
const LEFTOVER_MANIFEST = `_compaction/events/clickstream/dt=${LEFTOVER_DAY}/hr=05/leftover-test.json`;

/**
 * Old stream files for compaction to merge: three lake-writer batches of one hour two days ago, from
 * another shard, written before the compactor runs and then aged past its minimum age.
 */
const OLD_HOUR = Math.floor(now / (24 * HOUR)) * 24 * HOUR - 2 * 24 * HOUR + 5 * HOUR;
const OLD_PARTITION = `events/clickstream/dt=${new Date(OLD_HOUR).toISOString().slice(0, 10)}/hr=05/`;
const oldBatches = [0, 1, 2].map((i) =>
  asRecords(clickEvents({ count: 20, users: 5, nowMs: OLD_HOUR + (i + 1) * 15 * 60_000, spanMs: 10 * 60_000, seed: 100 + i }), {
    shardId: 'shardId-000000000001',
    firstSequence: 49_100_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i) * 1_000n,
    arrivalTimeMs: now,
  }),
);
/** A manifest whose output was written (the run died deleting its inputs): recovery deletes the input it lists. */
const RECOVERED_PARTITION = OLD_PARTITION.replace('hr=05', 'hr=07');
const RECOVERED = {
  manifest: `_compaction/${RECOVERED_PARTITION}present-test.json`,
  output: `${RECOVERED_PARTITION}compacted-present.parquet`,
  input: `${RECOVERED_PARTITION}leftover-input.parquet`,
};

const PROFILES_KEY = 'sources/user_profiles/bundle-test.csv';
const PROFILES_CSV = [
  'user_id,age,country,subscription_tier,updated_at',
  'user_000001,34,DE,premium,2026-11-20T10:00:00Z',
  'user_000002,29,FR,free,2026-11-21T10:00:00Z',
  'user_000003,-1,FR,free,2026-11-21T10:00:00Z',
].join('\n');

/** Runs a function's bundle behind recording proxies; only its template environment, endpoints, credentials and region. */
async function run(name: string, event: unknown, key = name): Promise<void> {
  const fn = fnNamed(name);
  const upstreams: Record<Service, string> = { ...emulators.endpoints, athena: athena.endpoint };
  const services = Object.keys(upstreams) as Service[];
  const proxies = await Promise.all(services.map((s) => startRecordingProxy(s, upstreams[s])));
  const endpoint = (s: Service) => proxies[services.indexOf(s)]?.endpoint as string;
  const env = {
    ...fn.env,
    AWS_ENDPOINT_URL_KINESIS: endpoint('kinesis'),
    AWS_ENDPOINT_URL_DYNAMODB: endpoint('dynamodb'),
    AWS_ENDPOINT_URL_S3: endpoint('s3'),
    AWS_ENDPOINT_URL_ATHENA: endpoint('athena'),
    AWS_ACCESS_KEY_ID: emulators.env.AWS_ACCESS_KEY_ID as string,
    AWS_SECRET_ACCESS_KEY: emulators.env.AWS_SECRET_ACCESS_KEY as string,
    AWS_REGION: REGION,
  };
  const invocation = await invokeBundle(fn, event, env, { node: node.path });
  await Promise.all(proxies.map((p) => p.stop()));
  runs.set(key, { invocation, calls: proxies.flatMap((p) => p.calls) });
}

beforeAll(async () => {
  const started = Date.now();
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-deployed-'));
  emulators = await startEmulators(dir);
  assembly = synthDeployed(ENV);
  node = lambdaNode(assembly.functions[0]?.runtime ?? '');
  const s3 = s3Client(emulators.env);
  await provision(assembly.model, { kinesis: kinesisClient(emulators.env), doc: dynamoDocumentClient(emulators.env), s3 });
  const lakeBucket = bucketOf('LakeBucket');
  const storage = s3Storage({
    s3,
    bucket: lakeBucket,
    root: path.join(emulators.s3Directory, lakeBucket),
    suffix: S3RVER_OBJECT_SUFFIX,
  });
  // Opened at the first query, after the lake writer has written: the views see its files.
  athena = await startAthenaEmulator({
    engine: {
      run: async (sql) => {
        lake ??= await openLocalLake({ storage, tables: lakeTables(sources, ENVIRONMENTS[ENV].lake) });
        return lake.run(sql);
      },
    },
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: lakeBucket,
      Key: LEFTOVER_MANIFEST,
      Body: JSON.stringify({
        output: `events/clickstream/dt=${LEFTOVER_DAY}/hr=05/compacted-never-written.parquet`,
        inputs: [`events/clickstream/dt=${LEFTOVER_DAY}/hr=05/never-written.parquet`],
      }),
    }),
  );
  // A user-profiles file uploaded for the batch source (two good rows, one bad).
  await s3.send(new PutObjectCommand({ Bucket: lakeBucket, Key: PROFILES_KEY, Body: PROFILES_CSV, ContentType: 'text/csv' }));
  setupMs = Date.now() - started;
  // The stream consumers first (in parallel); then what reads what they wrote.
  await Promise.all([
    run('aggregator', kinesisEvent()),
    run('lake-writer', kinesisEvent()),
    run('batch-ingest', objectCreatedEvent(bucketOf('LakeBucket'), PROFILES_KEY, new Date(now))),
    (async () => {
      for (const [i, batch] of oldBatches.entries()) await run('lake-writer', kinesisEvent(batch), `lake-writer (old ${i})`);
    })(),
  ]);
  await ageOldFilesAndPlantRecovery(lakeBucket);
  // The compactor rewrites lake files: not while the rollup's queries list them.
  // A model whose score is a function of one served feature, to read through the predict bundle.
  const models = { s3, bucket: bucketOf('ModelsBucket') };
  const published = await publishVersion(models, VIEWS_MODEL);
  await setAlias(models, VIEWS_MODEL.name, 'current', published.version, 'deployed bundle test');
  await Promise.all([
    run('feature-api', apiEvent(busiestUser())),
    run('predict', predictEvent(busiestUser())),
    (async () => {
      await run('compactor', scheduled(now));
      await run('rollup', scheduled(now));
      // A second run an hour later replaces two of those hours: the delete path (DeleteObjects) runs too.
      await run('rollup', scheduled(now + HOUR), 'rollup (next hour)');
    })(),
  ]);
  console.info(
    `deployed bundles on node ${node.version} (Lambda: nodejs${node.runtimeMajor}.x): setup (emulators + synth with bundling + provision) ${setupMs} ms; invocations ${[
      ...runs.entries(),
    ]
      .map(([n, r]) => `${n} ${r.invocation.durationMs} ms`)
      .join(', ')}; total ${Date.now() - started} ms`,
  );
}, 300_000);

/** Ages the old partition's files past the compactor's minimum age; plants an interrupted run whose output exists. */
async function ageOldFilesAndPlantRecovery(lakeBucket: string): Promise<void> {
  const s3 = s3Client(emulators.env);
  const written = await keysUnder(lakeBucket, OLD_PARTITION);
  if (written.length !== 3) throw new Error(`expected 3 old stream files, found ${written.join(', ')}`);
  const aged = new Date(now - 3 * HOUR);
  for (const key of written)
    utimesSync(path.join(emulators.s3Directory, lakeBucket, `${key}${S3RVER_OBJECT_SUFFIX}`), aged, aged);
  for (const key of [RECOVERED.output, RECOVERED.input])
    await s3.send(new CopyObjectCommand({ Bucket: lakeBucket, Key: key, CopySource: `${lakeBucket}/${written[0]}` }));
  await s3.send(
    new PutObjectCommand({
      Bucket: lakeBucket,
      Key: RECOVERED.manifest,
      Body: JSON.stringify({ output: RECOVERED.output, inputs: [RECOVERED.input] }),
    }),
  );
}

afterAll(async () => {
  await athena?.stop();
  lake?.close();
  await emulators?.stop();
  assembly?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const outcomeOf = (name: string) => {
  const r = runs.get(name);
  if (!r) throw new Error(`${name} did not run`);
  return r.invocation.outcome;
};
const resultOf = (name: string): any => {
  const outcome = outcomeOf(name);
  if (!outcome.ok)
    throw new Error(`${name} failed: ${outcome.error.code ?? ''} ${outcome.error.message}\n${outcome.error.stack ?? ''}`);
  return outcome.result;
};
const keysUnder = async (bucket: string, prefix: string) =>
  ((await s3Client(emulators.env).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
    (o) => o.Key as string,
  );

describe('deployed bundles (dev), run as Lambda would', () => {
  // The drift function is bundled and listed, not run here: its SQL is Athena's (Trino), which the emulator's DuckDB
  // does not speak; src/drift is tested on DuckDB through `featurelake drift` (test/drift).
  it('has the eight functions, each with its own asset outside the source tree when run', () => {
    expect(assembly.functions.map((f) => f.name).sort()).toEqual([
      'aggregator',
      'batch-ingest',
      'compactor',
      'drift',
      'feature-api',
      'lake-writer',
      'predict',
      'rollup',
    ]);
    for (const [, r] of runs) {
      expect(r.invocation.taskRoot.startsWith(path.resolve(import.meta.dirname, '../..'))).toBe(false);
      // Nothing a bundle could find by walking up from where it ran: it must carry what it needs.
      for (let dir = r.invocation.taskRoot; dir !== path.dirname(dir); dir = path.dirname(dir))
        for (const found of ['node_modules', 'athena'])
          expect(existsSync(path.join(dir, found)), path.join(dir, found)).toBe(false);
    }
  });

  it('aggregator: the whole batch succeeds, tiles land in the online store, the invalid record is quarantined', async () => {
    expect(resultOf('aggregator')).toEqual({ batchItemFailures: [] });
    const table = assembly.model.tables[0]?.name as string;
    const items = await dynamoDocumentClient(emulators.env).send(new ScanCommand({ TableName: table }));
    const users = new Set(events.map((e) => e.user_id));
    expect(new Set((items.Items ?? []).map((i) => String(i.pk).replace(/^.*#/, ''))).size).toBeGreaterThanOrEqual(1);
    expect([...users].every((u) => (items.Items ?? []).some((i) => JSON.stringify(i).includes(u)))).toBe(true);
    const quarantined = await keysUnder(bucketOf('QuarantineBucket'), 'invalid/');
    expect(quarantined.some((k) => k.includes('aggregator'))).toBe(true);
  });

  it('lake writer: the whole batch succeeds, every valid event is in Parquet under events/clickstream/, the invalid one quarantined', async () => {
    expect(resultOf('lake-writer')).toEqual({ batchItemFailures: [] });
    const files = await keysUnder(bucketOf('LakeBucket'), 'events/clickstream/');
    expect(files.length).toBeGreaterThan(0);
    for (const key of files) expect(key).toMatch(/^events\/clickstream\/dt=\d{4}-\d{2}-\d{2}\/hr=\d{2}\/.+\.parquet$/);
    // Every hour the events fall in has a folder.
    const hours = new Set(events.map((e) => e.event_time.slice(0, 13)));
    for (const h of hours) expect(files.some((k) => k.includes(`dt=${h.slice(0, 10)}/hr=${h.slice(11, 13)}/`))).toBe(true);
    const quarantined = await keysUnder(bucketOf('QuarantineBucket'), 'invalid/');
    expect(quarantined.some((k) => k.includes('lake-writer'))).toBe(true);
  });

  it('feature API: 200 with JSON features of the busiest user, counted from the events sent', () => {
    const response = resultOf('feature-api');
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    const user = busiestUser();
    expect(body.entityId).toBe(user);
    const views = events.filter((e) => e.user_id === user && e.event_type === 'page_view').length;
    expect(body.views.user_clickstream.features.views_24h).toBe(views);
  });

  it('predict: streams a 200 with the score of the current version, then logs the prediction to the stream before returning', () => {
    const response = resultOf('predict');
    expect(response.statusCode).toBe(200);
    expect(response.headers['server-timing']).toMatch(/total;dur=/);
    const user = busiestUser();
    const views = events.filter((e) => e.user_id === user && e.event_type === 'page_view').length;
    const [prediction] = JSON.parse(response.body).predictions;
    expect(prediction.score).toBeCloseTo(1 / (1 + Math.exp(-(0.5 * views - 1))), 12);
    // The response ended before the handler returned: the flush ran after it, within the invocation.
    expect(response.streamed.msBetweenResponseAndReturn).toBeGreaterThan(0);
    const puts = (runs.get('predict')?.calls ?? []).filter((c) => c.service === 'kinesis' && c.target?.endsWith('PutRecords'));
    expect(puts.length).toBe(1);
  });

  it('batch ingest: the uploaded profiles file is ingested (2 rows kept, 1 reported), values online, rows in the lake', async () => {
    const result = resultOf('batch-ingest');
    expect(result.files).toEqual([
      expect.objectContaining({ key: PROFILES_KEY, ok: true, rowsKept: 2, rowsRejected: 1, entitiesWritten: 2 }),
    ]);
    const table = assembly.model.tables[0]?.name as string;
    const items = await dynamoDocumentClient(emulators.env).send(new ScanCommand({ TableName: table }));
    const profile = (items.Items ?? []).find((i) => i.pk === 'user#user_000001' && i.sk === 'batch#user_profiles');
    expect(profile?.f).toEqual({ age: 34, country: 'DE', subscription_tier: 'premium', activity_weight: null });
    expect(profile?.fresh).toBe(Date.parse('2026-11-20T10:00:00Z'));
    expect(await keysUnder(bucketOf('LakeBucket'), 'events/user_profiles/')).toHaveLength(1);
    expect(await keysUnder(bucketOf('QuarantineBucket'), 'invalid/consumer=batch-ingest/')).toHaveLength(1);
  });

  it('rollup: rebuilds the closed hours before the schedule through Athena, from the lake writer’s files', async () => {
    const outcome = outcomeOf('rollup');
    // The bundle must carry what it reads at run time (athena/*.sql): no ENOENT, no missing module.
    if (!outcome.ok)
      expect(`${outcome.error.code ?? ''} ${outcome.error.message}`).not.toMatch(/ENOENT|Cannot find (module|package)/);
    const result = resultOf('rollup');
    const closedHours = [3, 2, 1].map((back) => new Date(Math.floor(now / HOUR) * HOUR - back * HOUR).toISOString());
    expect(result.hours.map((h: { hour: string }) => h.hour)).toEqual(closedHours);
    const rolled = await (lake as LocalLake).run(
      'SELECT dt, hr, sum(events)::BIGINT AS events FROM clickstream_hourly GROUP BY 1, 2',
    );
    // The rerun an hour later rebuilt the last two of those hours and the one after them.
    const rebuilt = [...closedHours, new Date(Math.floor(now / HOUR) * HOUR).toISOString()];
    const expected = Object.fromEntries(
      rebuilt
        .map((h) => [h, events.filter((e) => e.event_time.slice(0, 13) === h.slice(0, 13)).length] as const)
        .filter(([, n]) => n > 0)
        .map(([h, n]) => [`${h.slice(0, 10)}/${Number(h.slice(11, 13))}`, n]),
    );
    expect(Object.fromEntries(rolled.rows.map((r) => [`${r.dt}/${r.hr}`, Number(r.events)]))).toEqual(expected);
  });

  it('compactor: recovers both interrupted runs (output absent: manifest dropped; output present: input deleted)', async () => {
    const outcome = outcomeOf('compactor');
    if (!outcome.ok)
      expect(`${outcome.error.code ?? ''} ${outcome.error.message}`).not.toMatch(/ENOENT|Cannot find (module|package)/);
    expect(resultOf('compactor')).toHaveProperty('days');
    const lakeBucket = bucketOf('LakeBucket');
    expect(await keysUnder(lakeBucket, '_compaction/')).toEqual([]);
    expect(await keysUnder(lakeBucket, RECOVERED_PARTITION)).toEqual([RECOVERED.output]);
  });

  it('compactor: merges the aged stream files of a closed partition, keeping the shard’s newest file', async () => {
    // The three files' keys name shard and sequence range (src/lake/layout.ts); the newest ends in the highest sequence.
    const keys = await keysUnder(bucketOf('LakeBucket'), OLD_PARTITION);
    const lastOf = (batch: (typeof oldBatches)[number]) => batch[batch.length - 1]?.sequenceNumber as string;
    const newest = `${OLD_PARTITION}shardId-000000000001-${oldBatches[2]?.[0]?.sequenceNumber}-${lastOf(oldBatches[2] ?? [])}.parquet`;
    expect(keys).toContain(newest);
    expect(keys.filter((k) => k !== newest)).toHaveLength(1);
    expect(keys.some((k) => k.includes(`-${lastOf(oldBatches[0] ?? [])}.parquet`))).toBe(false);
  });
});

describe('every AWS call each deployed function makes is granted by its role in the template', () => {
  const permissionsOf = (name: string) => {
    const fn = fnNamed(name);
    const calls = [...runs.entries()].filter(([key]) => key === name || key.startsWith(`${name} (`)).flatMap(([, r]) => r.calls);
    const workgroups = athenaWorkgroups(calls);
    const observed = calls.flatMap((c) => iamRequestsOf(c, (id) => workgroups.get(id)));
    const implied = impliedPermissions(assembly, fn, calls);
    return { observed, implied };
  };

  const denied = (name: string, needed: readonly NeededPermission[], withoutStatement?: (s: Statement) => boolean) => {
    const { template } = assembly;
    const names = new Map<string, string>(Object.keys(template.Resources).map((id) => [id, id]));
    for (const b of [...assembly.model.buckets, ...assembly.model.tables, ...assembly.model.streams])
      names.set(b.logicalId, b.name);
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === 'AWS::Glue::Database') names.set(id, r.Properties.DatabaseInput.Name);
      if (r.Type === 'AWS::Glue::Table') names.set(id, r.Properties.TableInput.Name);
      if (r.Type === 'AWS::Athena::WorkGroup') names.set(id, r.Properties.Name);
    }
    const { resolve } = templateResolver(template.Resources, names);
    const statements = rolePolicyStatements(template, roleOfFunction(template, fnNamed(name).logicalId), resolve).filter(
      (s) => !withoutStatement?.(s),
    );
    const unique = [...new Map(needed.map((n) => [`${n.action} ${n.resource} ${JSON.stringify(n.context ?? {})}`, n])).values()];
    return unique
      .filter((n) => evaluate(statements, n) !== 'allowed')
      .map((n) => `${n.action} on ${n.resource}${n.context ? ` with ${JSON.stringify(n.context)}` : ''} (for ${n.call})`);
  };

  it.each(['aggregator', 'lake-writer', 'feature-api', 'predict', 'rollup', 'compactor', 'batch-ingest'])('%s', (name) => {
    const { observed, implied } = permissionsOf(name);
    // It made calls (a run that reached no AWS API proves nothing about its grants).
    expect(observed.length, `${name} made no AWS calls`).toBeGreaterThan(0);
    const findings = denied(name, [...observed, ...implied.documented]);
    const unverified = denied(name, implied.unverified);
    const actions = (list: readonly NeededPermission[]) => [...new Set(list.map((n) => n.action))].sort().join(', ');
    console.info(
      `${name}: observed ${actions(observed)}; implied ${actions(implied.documented)}; unverified ${actions(implied.unverified) || '-'}`,
    );
    if (unverified.length > 0) console.info(`${name}: not granted, unverified whether needed:\n- ${unverified.join('\n- ')}`);
    expect(findings).toEqual([]);
  });

  it('catches a missing grant: the lake writer without its conditioned s3:ListBucket is denied its listings', () => {
    const { observed } = permissionsOf('lake-writer');
    const listing = (s: Statement) => [s.Action].flat().includes('s3:ListBucket') && s.Condition !== undefined;
    expect(denied('lake-writer', observed, listing).some((d) => d.startsWith('s3:ListBucket on arn:aws:s3:::'))).toBe(true);
  });

  it('rollup: the rerun replaced files (its delete path was exercised and checked)', () => {
    const rerun = runs.get('rollup (next hour)');
    expect(rerun?.invocation.outcome.ok, JSON.stringify(rerun?.invocation.outcome)).toBe(true);
    const deletes = (rerun?.calls ?? []).filter((c) => c.method === 'POST' && c.query.has('delete'));
    expect(deletes.length).toBeGreaterThan(0);
  });
});

/**
 * POST /predict and GET /health through the real local HTTP API on the emulators, with artifacts
 * published to the local models bucket:
 * - scores equal the logistic function computed here, by hand, from the features GET /features
 *   serves for the same users at the same (frozen) instant, the request's values and the hour;
 * - every error path answers 4xx JSON naming the field (or 404 for an unknown model or version);
 * - a shadow version is scored and logged, never returned;
 * - a refused artifact never replaces the good one, and /health says so;
 * - every prediction lands once in the lake's predictions table under model=/dt=/hr=, with the
 *   values served — also when the stream refused the log for a while and when the lake writer
 *   crashed halfway through a batch or got one twice — and the existing prediction SQL reads it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedLakeSettings, ENVIRONMENTS } from '../../lib/config/environments.js';
import { kinesisClient, s3Client } from '../../src/aws/clients.js';
import { localStackLakeStorage } from '../../src/cli/lake-target.js';
import { exampleCatalog, userClickstream, userProfiles } from '../../src/features/catalog.js';
import { lakeTables } from '../../src/lake/tables.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import type { ModelArtifact } from '../../src/models/artifact.js';
import { publishOnnxModel } from '../../src/models/onnx/publish.js';
import { aliasKey, artifactKey, type ModelStore, publishVersion, setAlias } from '../../src/models/registry.js';
import { openLocalLake } from '../../src/query/local-engine.js';
import { toDuckDb } from '../../src/query/rewrite.js';
import { bindParams, resolveQuery } from '../../src/query/sql-library.js';
import { runCli } from '../cli/support.js';
import { clickstreamInput, logisticArtifact } from '../support/artifacts.js';
import { clickEvents } from '../support/events.js';
import { deliveryFaults } from '../support/faults.js';
import { logisticOnnx } from '../support/onnx-builder.js';
import { putOnStream } from '../support/stream.js';

const HOUR = 3_600_000;
const MODEL = 'purchase_propensity';
type Json = Record<string, any>;

let stack: LocalStack;
let dir: string;
let store: ModelStore;
let frozenMs: number | undefined;
/** While true, the predict function's PutRecords calls fail: the prediction log's path is down. */
let streamDown = false;
const faults = deliveryFaults();
/** Every prediction the API answered (returned ones, and the shadow ones counted from /health). */
const answered: Json[] = [];

const events = clickEvents({ count: 600, users: 5, nowMs: Date.now(), spanMs: 20 * HOUR, seed: 91 }).map((e) => ({
  ...e,
  user_id: `pred-${e.user_id}`,
}));
const users = [...new Set(events.map((e) => e.user_id))].sort();

/** Version 1: a logistic model over a stream feature, a categorical one, a batch attribute, the hour and a request value. */
const logistic = logisticArtifact(
  MODEL,
  [
    clickstreamInput('views_24h', 5, 2),
    {
      name: 'last_event_type_24h',
      source: { kind: 'view', view: userClickstream.name, feature: 'last_event_type_24h' },
      type: 'categorical',
      categories: ['page_view', 'click', 'add_to_cart', 'purchase'],
    },
    {
      name: 'age',
      source: { kind: 'batch', source: userProfiles.name, feature: 'age' },
      type: 'numeric',
      mean: 30,
      std: 10,
      fill: 30,
    },
    { name: 'hour_of_day', source: { kind: 'time', part: 'hour_of_day' }, type: 'numeric', mean: 12, std: 6, fill: 12 },
    { name: 'coupon', source: { kind: 'request' }, type: 'numeric', mean: 0, std: 1, fill: 0 },
  ],
  [0.3, 0.1, 0.2, 0.5, -0.4, 0.02, 0.05, 1.5],
  -0.7,
);

/** Version 2, the shadow: one split on views_24h. */
const tree: Omit<ModelArtifact, 'version' | 'createdAt'> = {
  ...logistic,
  inputs: [logistic.inputs[0] as ModelArtifact['inputs'][number]],
  model: {
    type: 'tree',
    tree: { feature: [0, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0.2, 0.8] },
  },
};

/** The logistic model by hand: standardise, one-hot, dot product, sigmoid. */
function expectedScore(features: Json, profile: { age?: number } | undefined, hour: number, coupon: number): number {
  const views = typeof features.views_24h === 'number' ? features.views_24h : 0;
  const last = features.last_event_type_24h;
  const x = [
    (views - 5) / 2,
    last === 'page_view' ? 1 : 0,
    last === 'click' ? 1 : 0,
    last === 'add_to_cart' ? 1 : 0,
    last === 'purchase' ? 1 : 0,
    ((profile?.age ?? 30) - 30) / 10,
    (hour - 12) / 6,
    coupon,
  ];
  const w = [0.3, 0.1, 0.2, 0.5, -0.4, 0.02, 0.05, 1.5];
  const z = -0.7 + x.reduce((sum, xi, i) => sum + xi * (w[i] as number), 0);
  return 1 / (1 + Math.exp(-z));
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.info.api.url}/predict`, {
    method: 'POST',
    headers: { 'x-api-key': stack.info.api.key, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as Json;
  if (response.status === 200) answered.push(...json.predictions);
  return { status: response.status, body: json, timing: response.headers.get('server-timing') };
}

async function health(): Promise<Json> {
  const response = await fetch(`${stack.info.api.url}/health`, { headers: { 'x-api-key': stack.info.api.key } });
  return { httpStatus: response.status, ...((await response.json()) as Json) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A Kinesis client (of the stack's emulator, made at first use) whose PutRecords fail while `streamDown`. */
function faultyKinesis(): Pick<KinesisClient, 'send'> {
  let real: KinesisClient | undefined;
  return {
    send: ((command: unknown) => {
      if (streamDown && command instanceof PutRecordsCommand)
        return Promise.reject(Object.assign(new Error('stream unavailable'), { name: 'ServiceUnavailable' }));
      real ??= kinesisClient(stack.clientEnv);
      return real.send(command as PutRecordsCommand);
    }) as KinesisClient['send'],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-predict-'));
  stack = await startLocalStack({
    stateDir: dir,
    mappingOverrides: { maxBatchingWindowSeconds: 1 },
    clock: () => frozenMs ?? Date.now(),
    // The outage and the refusals below are logged on purpose (SILENT: their lines would only clutter the output).
    functionEnv: (name) => (name === 'predict' ? { MODEL_REFRESH_SECONDS: '1', POWERTOOLS_LOG_LEVEL: 'SILENT' } : undefined),
    handlerDeps: (name) => (name === 'predict' ? { kinesis: faultyKinesis() } : undefined),
    wrapKinesisHandler: (handler, name) => (name === 'lake-writer' ? faults.wrap(handler) : handler),
  });
  await putOnStream(stack, events, (e) => (e as { user_id: string }).user_id);
  const s3 = s3Client(stack.clientEnv);
  await s3.send(
    new PutObjectCommand({
      Bucket: stack.info.resources.lakeBucket,
      Key: `sources/${userProfiles.name}/predict-test.csv`,
      Body: `user_id,age,country,subscription_tier,activity_weight,updated_at\n${users[0]},52,DE,premium,1.5,2026-11-01T10:00:00Z\n`,
    }),
  );
  store = { s3, bucket: stack.info.resources.modelsBucket as string };
  const v1 = await publishVersion(store, logistic);
  await setAlias(store, MODEL, 'current', v1.version, 'test');
  await stack.drain();
  await stack.batchUploadsIngested(60_000);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('POST /predict', () => {
  it('scores each user from the features GET /features serves, the request values and the hour, in one response', async () => {
    frozenMs = Date.now();
    const ids = [...users, 'pred-nobody'];
    const { status, body, timing } = await post({
      entities: ids.map((id, i) => ({ type: 'user', id, ...(i === 1 ? { features: { coupon: 2 } } : {}) })),
      features: { coupon: 1 },
    });
    expect(status).toBe(200);
    expect(timing).toMatch(/read;dur=[\d.]+.*score;dur=[\d.]+.*total;dur=[\d.]+/);
    expect(body.model).toBe(MODEL);
    expect(body.version).toBe('1');
    expect(body.predictions.map((p: Json) => p.entityId)).toEqual(ids);
    const hour = new Date(frozenMs).getUTCHours();
    for (const [i, prediction] of (body.predictions as Json[]).entries()) {
      const served = await fetch(`${stack.info.api.url}/features/user/${encodeURIComponent(ids[i] as string)}`, {
        headers: { 'x-api-key': stack.info.api.key },
      }).then((r) => r.json() as Promise<Json>);
      const features = served.views[userClickstream.name].features;
      const profile = served.views[userProfiles.name].features;
      const coupon = i === 1 ? 2 : 1;
      const score = expectedScore(features, profile.age === null ? undefined : profile, hour, coupon);
      expect(prediction.score).toBeCloseTo(score, 12);
      expect(prediction.label).toBe(score >= 0.5 ? 'purchase' : 'no_purchase');
      expect(prediction.features.views_24h).toBe(features.views_24h);
      expect(prediction.features.coupon).toBe(coupon);
      expect(prediction.features.hour_of_day).toBe(hour);
      expect(prediction.freshness.views_24h).toBe(served.views[userClickstream.name].freshness.views_24h);
    }
    // Only users[0] has a profile; the unknown user has no data anywhere.
    expect(body.predictions[0].defaulted).not.toContain('age');
    expect(body.predictions[1].defaulted).toContain('age');
    expect(body.predictions.at(-1).defaulted).toEqual(['views_24h', 'last_event_type_24h', 'age']);
    frozenMs = undefined;
  });

  it('answers malformed requests with 400 naming the field, unknown models and versions with 404, big bodies with 413', async () => {
    const cases: [unknown, number, string][] = [
      ['not json', 400, 'body'],
      [{}, 400, 'entities'],
      [{ entities: [] }, 400, 'entities'],
      [
        {
          entities: [
            { type: 'user', id: 'a' },
            { type: 'user', id: '' },
          ],
        },
        400,
        'entities[1].id',
      ],
      [{ entities: [{ type: 'user', id: 'a', extra: 1 }] }, 400, 'entities[0].extra'],
      [{ entities: [{ type: 'user', id: 'a' }], colour: 'red' }, 400, 'colour'],
      [
        {
          entities: [
            { type: 'user', id: 'a' },
            { type: 'object', id: 'b' },
          ],
        },
        400,
        'entities[1].type',
      ],
      [{ entities: Array.from({ length: 101 }, (_, i) => ({ type: 'user', id: `u${i}` })) }, 400, 'entities'],
      [{ entities: [{ type: 'user', id: 'a', features: { coupon: [1] } }] }, 400, 'entities[0].features.coupon'],
      [{ entities: [{ type: 'user', id: 'a' }], features: { views_24h: 3 } }, 400, 'entities[0].features.views_24h'],
      [{ model: 'Bad Name', entities: [{ type: 'user', id: 'a' }] }, 400, 'model'],
      [{ entities: [{ type: 'song', id: 'a' }] }, 400, 'model'],
      [{ model: 'hot_object', entities: [{ type: 'object', id: 'a' }] }, 404, 'model'],
      [{ model: 'no_such_model', entities: [{ type: 'user', id: 'a' }] }, 404, 'model'],
      [{ version: '99', entities: [{ type: 'user', id: 'a' }] }, 404, 'version'],
      [{ version: 'v1', entities: [{ type: 'user', id: 'a' }] }, 400, 'version'],
      [{ entities: [{ type: 'user', id: 'a'.repeat(300_000) }] }, 413, 'body'],
    ];
    for (const [body, status, field] of cases) {
      const response = await post(body);
      expect({ body, status: response.status, field: response.body.field }).toEqual({ body, status, field });
      expect(response.body.message).toEqual(expect.any(String));
    }
    const unauthenticated = await fetch(`${stack.info.api.url}/predict`, { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(403);
  });

  it('scores a shadow version and logs it without returning it; a pinned version is served as asked', async () => {
    const v2 = await publishVersion(store, tree);
    await setAlias(store, MODEL, 'shadow', v2.version, 'test');
    await new Promise((r) => setTimeout(r, 1_100));
    await post({ entities: [{ type: 'user', id: users[0] }] }); // starts the refresh that finds the shadow
    await until('the shadow to load', async () => (await health()).models.some((m: Json) => m.alias === 'shadow'));
    const { body } = await post({ entities: users.map((id) => ({ type: 'user', id })) });
    expect(body.version).toBe('1');
    expect(body.predictions.every((p: Json) => p.version === '1')).toBe(true);
    const pinned = await post({ version: '2', entities: [{ type: 'user', id: users[1] }] });
    expect(pinned.body.version).toBe('2');
    const views = pinned.body.predictions[0].features.views_24h;
    expect(pinned.body.predictions[0].score).toBe((views - 5) / 2 <= 0 ? 0.2 : 0.8);
  });

  it('serves a model trained elsewhere (ONNX, published with its manifest) the same way, by onnxruntime-node', async () => {
    // P = sigmoid(0.3·views_24h + 0.8·(hour − 12)/6 − 0.4): raw views, the hour standardised by the manifest.
    const published = await publishOnnxModel({
      store,
      catalog: exampleCatalog,
      manifest: {
        name: MODEL,
        entity: 'user',
        inputs: ['user_clickstream.views_24h', { source: 'time.hour_of_day', mean: 12, std: 6 }],
      },
      model: logisticOnnx({ weights: [0.3, 0.8], intercept: -0.4 }),
      alias: 'none',
    });
    frozenMs = Date.now();
    const hour = new Date(frozenMs).getUTCHours();
    const { status, body } = await post({
      version: published.artifact.version,
      entities: users.map((id) => ({ type: 'user', id })),
    });
    expect(status).toBe(200);
    expect(body.version).toBe(published.artifact.version);
    for (const p of body.predictions as Json[]) {
      const z = 0.3 * p.features.views_24h + 0.8 * ((hour - 12) / 6) - 0.4;
      // float32 inside the graph: equal to 6 places.
      expect(p.score).toBeCloseTo(1 / (1 + Math.exp(-z)), 6);
    }
    frozenMs = undefined;
  });

  it('refuses a bad artifact and keeps serving the good one, reporting it on /health', async () => {
    // One version reads a view the catalog does not have; the next is not even a valid artifact.
    const v3 = await publishVersion(store, {
      ...logistic,
      inputs: [{ ...(logistic.inputs[0] as Json), source: { kind: 'view', view: 'no_such_view', feature: 'x' } } as never],
      model: { type: 'logistic', weights: [1], intercept: 0 },
    });
    await setAlias(store, MODEL, 'current', v3.version, 'test: a bad version');
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await post({ entities: [{ type: 'user', id: users[0] }] })).body.version).toBe('1');
    await until('the refusal', async () => (await health()).rejected.length > 0);
    let h = await health();
    expect(h.httpStatus).toBe(503);
    expect(h.status).toBe('degraded');
    expect(h.rejected).toEqual([expect.objectContaining({ model: MODEL, alias: 'current', version: v3.version })]);
    expect(h.rejected[0].reason).toMatch(/no_such_view/);
    expect((await post({ entities: [{ type: 'user', id: users[0] }] })).body.version).toBe('1');

    const s3 = store.s3;
    const garbage = String(Number(v3.version) + 1);
    await s3.send(
      new PutObjectCommand({ Bucket: store.bucket, Key: artifactKey(MODEL, garbage), Body: '{"format":"featurelake.model/v1"}' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: aliasKey(MODEL, 'current'),
        Body: JSON.stringify({ version: garbage, setAt: new Date().toISOString(), reason: 'test: garbage' }),
      }),
    );
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await post({ entities: [{ type: 'user', id: users[0] }] })).body.version).toBe('1');
    await until('the second refusal', async () => (await health()).rejected[0]?.version === garbage);
    expect((await post({ entities: [{ type: 'user', id: users[0] }] })).body.version).toBe('1');

    // Back to the good version: healthy again.
    await setAlias(store, MODEL, 'current', '1', 'test: roll back');
    await new Promise((r) => setTimeout(r, 1_100));
    await post({ entities: [{ type: 'user', id: users[0] }] });
    await until('recovery', async () => (await health()).httpStatus === 200);
    h = await health();
    expect(h.onlineStore.reachable).toBe(true);
    expect(h.models).toEqual(expect.arrayContaining([expect.objectContaining({ model: MODEL, alias: 'current', version: '1' })]));
  });

  it('answers while the log cannot reach the stream, and logs those predictions once it can', async () => {
    await until('earlier flushes', async () => (await health()).predictionLog.buffered === 0);
    streamDown = true;
    const before = (await health()).predictionLog;
    for (const id of users) expect((await post({ entities: [{ type: 'user', id }] })).status).toBe(200);
    await until('a failed flush', async () => (await health()).predictionLog.failedFlushes > before.failedFlushes);
    const during = (await health()).predictionLog;
    expect(during.buffered).toBeGreaterThan(0);
    expect(during.failed).toBe(0);
    streamDown = false;
    await post({ entities: [{ type: 'user', id: users[0] }] });
    await until('the log to drain', async () => (await health()).predictionLog.buffered === 0);
  });

  it('lands every prediction once in the lake, under model=/dt=/hr=, through a crashed and a doubled lake-writer batch', async () => {
    faults.mode = 'crash-halfway';
    await post({ entities: users.map((id) => ({ type: 'user', id })) });
    await until('the log to drain', async () => (await health()).predictionLog.buffered === 0);
    await stack.drain();
    faults.mode = 'twice';
    await post({ entities: users.map((id) => ({ type: 'user', id })) });
    await until('the log to drain', async () => (await health()).predictionLog.buffered === 0);
    await stack.drain();
    faults.mode = 'normal';
    const log = (await health()).predictionLog;
    expect(log.failed).toBe(0);

    const { storage } = localStackLakeStorage(stack.info);
    const lake = await openLocalLake({
      storage,
      tables: lakeTables(exampleCatalog.sources, deployedLakeSettings(ENVIRONMENTS.dev, exampleCatalog)),
    });
    try {
      const rows = (
        await lake.run(
          `SELECT request_id, entity_id, model_name, model_version, score, label, shadow, features, environment, model, dt, hr FROM predictions`,
        )
      ).rows as Json[];
      // Once each: as many rows as the log wrote, no prediction twice.
      expect(rows.length).toBe(log.written);
      const served = rows.filter((r) => !r.shadow);
      expect(served.length).toBe(answered.length);
      const key = (r: Json) => `${r.request_id ?? ''}|${r.entity_id}|${r.model_version}`;
      const byKey = new Map(served.map((r) => [`${r.entity_id}|${r.model_version}|${r.score}`, r]));
      for (const p of answered) {
        const row = byKey.get(`${p.entityId}|${p.version}|${p.score}`);
        expect(row, `${p.entityId} v${p.version}`).toBeDefined();
        expect(row?.label).toBe(p.label);
        expect(JSON.parse(row?.features as string)).toEqual(p.features);
        expect(row?.model).toBe(MODEL);
        expect(row?.environment).toBe('dev');
      }
      expect(new Set(rows.map(key)).size).toBeGreaterThan(0);
      // Shadow rows: the tree's, beside the served ones of the same requests.
      expect(rows.some((r) => r.shadow && r.model_version === '2')).toBe(true);
      // The lake's time partitions are the prediction's hour.
      const now = new Date();
      expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.dt) && Number(r.hr) >= 0 && Number(r.hr) < 24)).toBe(true);
      expect(rows.some((r) => r.dt === now.toISOString().slice(0, 10) || r.dt < now.toISOString().slice(0, 10))).toBe(true);

      // The existing A/B query of athena/ reads it: volume per model version equals what was served and shadowed.
      const sql = bindParams(
        resolveQuery('predictions_ab_test'),
        {
          start: new Date(Date.now() - HOUR).toISOString(),
          end: new Date(Date.now() + HOUR).toISOString(),
          positive: 'purchase',
        },
        { timePartitioning: 'hour' },
      );
      const ab = (await lake.run(toDuckDb(sql))).rows as Json[];
      const count = (version: string) => rows.filter((r) => r.model_version === version).length;
      expect(ab.map((r) => [r.model_name, r.model_version, Number(r.predictions)])).toEqual(
        [...new Set(rows.map((r) => r.model_version as string))].sort().map((v) => [MODEL, v, count(v)]),
      );
    } finally {
      lake.close();
    }
  }, 120_000);

  it('`featurelake predict` prints the score the API gives, and names what is wrong in a bad invocation', async () => {
    const id = users[2] as string;
    const predict = (...args: string[]) => runCli(['predict', 'user', id, ...args, '--state-dir', dir]);
    // The four invocations at once: each is a process of its own.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const [cli, text, unknownModel, badFeature, query] = await Promise.all([
      predict('--feature', 'coupon=1', '--json'),
      predict(),
      predict('--model', 'no_such_model'),
      predict('--feature', 'coupon'),
      // The CLI's lake reads the prediction log's model= partitions as the deployment writes them.
      runCli(
        [
          'query',
          'predictions_ab_test',
          '-p',
          `start=${day(-1)}T00:00:00Z`,
          '-p',
          `end=${day(1)}T00:00:00Z`,
          '-p',
          'positive=purchase',
        ].concat(['--format', 'json', '--state-dir', dir]),
      ),
    ]);
    expect(query.code, query.stderr).toBe(0);
    const versions = JSON.parse(query.stdout) as Json[];
    expect(versions.find((v) => v.model_version === '1')?.predictions).toBeGreaterThan(0);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout) as Json;
    const direct = await post({ entities: [{ type: 'user', id }], features: { coupon: 1 } });
    expect(printed.predictions[0].score).toBe(direct.body.predictions[0].score);
    const plain = await post({ entities: [{ type: 'user', id }] });
    expect(text.stdout).toContain(`${id}: ${plain.body.predictions[0].label}`);
    expect(text.stdout).toMatch(/coupon\s+— {2}\(no data: default\)/);
    expect(unknownModel.code).toBe(2);
    expect(unknownModel.stderr).toMatch(/model: no model "no_such_model" is published/);
    expect(badFeature.code).toBe(2);
    expect(badFeature.stderr).toMatch(/--feature: "coupon" is not name=value/);
  });
});

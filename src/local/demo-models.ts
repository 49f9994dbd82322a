/**
 * The demo's model half (`npm start`): for each catalog model whose label is
 * observed on the workload's source, the point-in-time training set built
 * from the lake the demo just wrote, trained and cross-validated, published
 * to the local models bucket; then POST /predict for a few entities, and the
 * logged predictions read back from the lake's `predictions` table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deployedLakeSettings, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { s3Client } from '../aws/clients.js';
import { localStackLakeStorage } from '../cli/lake-target.js';
import type { Catalog } from '../features/define.js';
import { importFiles } from '../lake/import.js';
import { partitionSchemeFor } from '../lake/layout.js';
import { encodeParquet } from '../lake/parquet/index.js';
import { lakeTables } from '../lake/tables.js';
import type { Model } from '../models/define.js';
import { type ModelStore, publishVersion, setAlias } from '../models/registry.js';
import { trainModel } from '../models/train/train-model.js';
import { buildTrainingTable } from '../models/train/training-table.js';
import { type LocalLake, openLocalLake } from '../query/local-engine.js';
import type { Workload } from '../workloads/workload.js';
import type { LocalEventSourceMapping } from './event-source-mapping.js';
import type { LocalStack } from './stack.js';

export interface ModelDemoOptions {
  readonly stack: LocalStack;
  readonly catalog: Catalog;
  /** The workload's source: models observed on it are trained. */
  readonly sourceName: string;
  /** The demo's events span [fromMs, toMs). */
  readonly fromMs: number;
  readonly toMs: number;
  /** The events the demo sent: the busiest entities of each model's type are scored. */
  readonly events: readonly Readonly<Record<string, unknown>>[];
  readonly log: (line: string) => void;
}

type Row = Record<string, unknown>;

/** Models whose labels are observed on a source. */
export function modelsOfSource(catalog: Catalog, sourceName: string): Model[] {
  return (catalog.models ?? []).filter((m) => m.label.observe.source.name === sourceName);
}

/**
 * History the stream cannot carry: a label whose horizon is longer than the demo's streamed span (seed
 * 000's is_hot looks 24 h ahead) has no known label in it, and events older than the aggregator's
 * lateness bound would be quarantined. So the demo backfills the lake, as a team imports its logs
 * (`featurelake import`): 3 horizons of the workload's events before the streamed span, written by the
 * bulk importer. Returns the backfill's first instant, or undefined when none is needed.
 */
export async function backfillHistory(
  stack: LocalStack,
  catalog: Catalog,
  workload: Workload,
  streamedFromMs: number,
  streamedSpanMs: number,
  ratePerSecond: number,
  log: (line: string) => void,
): Promise<number | undefined> {
  const horizonMs = Math.max(0, ...modelsOfSource(catalog, workload.source).map((m) => m.label.horizonSeconds * 1000));
  if (horizonMs * 2 <= streamedSpanMs) return undefined;
  const source = catalog.sources.find((s) => s.name === workload.source);
  if (!source) return undefined;
  const fromMs = streamedFromMs - 3 * horizonMs;
  const events = Math.min(60_000, Math.round((ratePerSecond * (streamedFromMs - fromMs)) / 1000));
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-backfill-'));
  try {
    const file = path.join(dir, `${source.name}.jsonl`);
    const lines: string[] = [];
    for (const event of workload.generate({
      events,
      seed: 7,
      startMs: fromMs,
      ratePerSecond: events / ((streamedFromMs - fromMs) / 1000),
    })) {
      const { source: _source, ...data } = event as unknown as Row;
      lines.push(JSON.stringify(data));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { storage } = localStackLakeStorage(stack.info);
    const lake = deployedLakeSettings(ENVIRONMENTS[stack.info.env as EnvironmentName], catalog);
    const summary = await importFiles([file], {
      source,
      scheme: partitionSchemeFor(source.name, lake),
      compression: lake.compression,
      encode: encodeParquet,
      put: (key, body) => storage.put(key, body),
    });
    log(
      `  backfilled history    ${summary.rows.toLocaleString('en-US')} ${source.name} events over the ${(3 * horizonMs) / 3_600_000} h before the stream, imported into the lake (labels look ${horizonMs / 3_600_000} h ahead)`,
    );
    return fromMs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

async function withLake<T>(stack: LocalStack, catalog: Catalog, use: (lake: LocalLake) => Promise<T>): Promise<T> {
  const { storage } = localStackLakeStorage(stack.info);
  const settings = deployedLakeSettings(ENVIRONMENTS[stack.info.env as EnvironmentName], catalog);
  const lake = await openLocalLake({ storage, tables: lakeTables(catalog.sources, settings) });
  try {
    return await use(lake);
  } finally {
    lake.close();
  }
}

/** Trains, publishes and serves each model of the workload's source; true when every logged prediction reached the lake. */
export async function runModelDemo(options: ModelDemoOptions): Promise<boolean> {
  const { stack, catalog, log } = options;
  const models = modelsOfSource(catalog, options.sourceName);
  const bucket = stack.info.resources.modelsBucket;
  if (models.length === 0 || !bucket) return true;
  const store: ModelStore = { s3: s3Client(stack.clientEnv), bucket };
  let ok = true;
  const served: { model: Model; predictions: number }[] = [];
  for (const model of models) {
    log('');
    log(`model ${model.name}: ${model.description}`);
    const env = ENVIRONMENTS[stack.info.env as EnvironmentName];
    const table = await withLake(stack, catalog, (lake) =>
      buildTrainingTable(model, lake, options.fromMs, options.toMs, {
        policy: {
          maxLatenessSeconds: env.aggregator.maxLatenessSeconds,
          maxClockSkewSeconds: env.aggregator.maxClockSkewSeconds,
        },
        layout: { timePartitioning: env.lake.timePartitioning },
      }),
    );
    const positives = table.rows.filter((r) => Number(r[model.label.name]) > 0).length;
    log(
      `  training set          ${table.rows.length.toLocaleString('en-US')} rows × ${table.columns.length} columns, ${model.label.name} ${pct(positives / Math.max(1, table.rows.length))} positive (point in time, from the lake)`,
    );
    if (positives === 0 || positives === table.rows.length) {
      log(
        `  skipped               ${table.rows.length === 0 ? 'no row whose label is known yet' : 'one class only'}: too little data to learn from (send more events: --events)`,
      );
      continue;
    }
    const trained = await trainModel(model, table, { folds: 3, seed: 42 });
    for (const r of trained.results) {
      const m = r.metrics;
      log(
        `  ${r.algorithm.padEnd(22)}ROC-AUC ${m.rocAuc.toFixed(3)}  PR-AUC ${m.prAuc.toFixed(3)}  accuracy ${m.accuracy.toFixed(3)}  (3-fold cross-validated)`,
      );
    }
    const version = await publishVersion(store, trained.artifact);
    const { floor } = trained;
    // The demo serves what it trained either way, and says whether the floor would have let `train` do so.
    await setAlias(
      store,
      model.name,
      'current',
      version.version,
      `demo: ${trained.served.algorithm}, ${floor.metric} ${floor.value.toFixed(3)} (floor ${floor.min})`,
    );
    log(
      `  published             version ${version.version} (${trained.served.algorithm}) to s3://${bucket}/models/${model.name}/, current → ${version.version}; ${floor.metric} ${floor.value.toFixed(3)} ${floor.passed ? '≥' : '<'} floor ${floor.min}${floor.passed ? '' : ' (featurelake train would not have moved current)'}`,
    );
    const counts = new Map<string, number>();
    for (const event of options.events) {
      const id = event[model.entity.keyField];
      if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const ids = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([id]) => id);
    const response = await fetch(`${stack.info.api.url}/predict`, {
      method: 'POST',
      headers: { 'x-api-key': stack.info.api.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model.name, entities: ids.map((id) => ({ type: model.entity.name, id })) }),
    });
    const body = (await response.json()) as {
      predictions?: { entityId: string; score: number; label: string }[];
      message?: string;
    };
    if (response.status !== 200 || !body.predictions) {
      log(`  POST /predict         answered ${response.status}: ${body.message ?? ''}`);
      ok = false;
      continue;
    }
    log(`  POST /predict         ${response.headers.get('server-timing') ?? ''}`);
    for (const p of body.predictions) log(`    ${p.entityId.padEnd(20)} ${p.label.padEnd(14)} score ${p.score.toFixed(4)}`);
    served.push({ model, predictions: body.predictions.length });
  }
  if (served.length === 0) return ok;

  // The prediction log reaches the lake through the stream and the lake writer, like any event.
  const lakeWriters: readonly LocalEventSourceMapping[] = stack.mappingsOf('lake-writer');
  log('');
  log(
    `prediction log: waiting for the lake writer (${lakeWriters[0]?.settings.maxBatchingWindowSeconds ?? 0} s batching window)…`,
  );
  const deadline = Date.now() + 600_000;
  const expected = served.reduce((n, s) => n + s.predictions, 0);
  let rows: Row[] = [];
  for (;;) {
    await Promise.all(lakeWriters.map((m) => m.drain(600_000)));
    rows = await withLake(stack, catalog, async (lake) =>
      lake
        .run(
          `SELECT model_name, model_version, entity_id, label, round(score, 4) AS score, inference_time_ms, dt, hr FROM predictions WHERE NOT shadow ORDER BY "timestamp" DESC, entity_id`,
        )
        .then((r) => r.rows as Row[])
        .catch(() => []),
    );
    if (rows.length >= expected || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`  logged predictions    ${rows.length} (expected ${expected}) in the lake's predictions table (model=…/dt=…/hr=…):`);
  for (const r of rows.slice(0, 6)) {
    log(
      `    ${String(r.model_name).padEnd(20)} v${String(r.model_version).padEnd(3)} ${String(r.entity_id).padEnd(20)} ${String(r.label).padEnd(14)} ${String(r.score).padEnd(7)} ${Number(r.inference_time_ms).toFixed(2)} ms  dt=${String(r.dt)} hr=${String(r.hr)}`,
    );
  }
  const positive = served[0]?.model.classes.positive ?? '1';
  log(
    `  query it              featurelake query predictions_ab_test -p positive=${positive}   (while \`featurelake local\` runs)`,
  );
  return ok && rows.length === expected;
}

/**
 * The catalog's two example models trained as `featurelake train` trains
 * them: seed 002's clickstream and seed 000's access logs generated and
 * imported into a lake folder by the real bin, each model's point-in-time
 * training set built from it (src/query/training-set.ts on DuckDB), and its
 * cross-validated metrics checked against the model's floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { tablesFor } from '../../src/cli/lake-target.js';
import { exampleCatalog, hotObject, purchasePropensity } from '../../src/features/catalog.js';
import type { Model } from '../../src/models/define.js';
import { trainModel } from '../../src/models/train/train-model.js';
import { buildTrainingTable } from '../../src/models/train/training-table.js';
import { directoryStorage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { runCli } from '../cli/support.js';

let work: string;
let lake: LocalLake;

async function fill(lakeDir: string, workload: string, source: string, args: string[]): Promise<void> {
  const file = path.join(work, `${workload}.jsonl`);
  const generated = await runCli(['generate', '--workload', workload, ...args, '--out', file]);
  expect(generated.code, generated.stderr).toBe(0);
  const imported = await runCli(['import', file, '--source', source, '--lake-dir', lakeDir]);
  expect(imported.code, imported.stderr).toBe(0);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'featurelake-train-examples-'));
  const lakeDir = path.join(work, 'lake');
  // A day of clicks from 60 shoppers (~0.12 events/s); two days of accesses to 1,000 objects (~0.1/s), as is_hot looks 24 h ahead.
  await fill(lakeDir, 'clickstream', 'clickstream', [
    '--events',
    '10000',
    '--users',
    '60',
    '--rate',
    '0.12',
    '--start',
    '2025-03-01T12:00:00Z',
  ]);
  await fill(lakeDir, 'tiering', 'access_logs', [
    '--events',
    '20000',
    '--users',
    '1000',
    '--rate',
    '0.1',
    '--start',
    '2025-03-01T00:00:00Z',
  ]);
  lake = await openLocalLake({ storage: directoryStorage(lakeDir), tables: tablesFor('dev', exampleCatalog.sources) });
}, 60_000);

afterAll(() => {
  lake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const { maxLatenessSeconds, maxClockSkewSeconds } = ENVIRONMENTS.dev.aggregator;
const sqlOptions = {
  policy: { maxLatenessSeconds, maxClockSkewSeconds },
  layout: { timePartitioning: ENVIRONMENTS.dev.lake.timePartitioning },
};

async function trainOnLake(model: Model, from: string, to: string) {
  const table = await buildTrainingTable(model, lake, Date.parse(from), Date.parse(to), sqlOptions);
  return { table, trained: await trainModel(model, table, { folds: 3, seed: 42, gbdt: { rounds: 40 } }) };
}

describe('the example models on their example workloads', () => {
  it('purchase_propensity: clears its ROC-AUC floor from the clickstream features and the time of day', async () => {
    const { table, trained } = await trainOnLake(purchasePropensity, '2025-03-01T14:00:00Z', '2025-03-02T04:00:00Z');
    expect(table.rows.length).toBeGreaterThan(1_000);
    expect(trained.artifact.inputs.some((i) => i.source.kind === 'time')).toBe(true);
    expect(trained.artifact.inputs.filter((i) => i.source.kind === 'view').length).toBeGreaterThan(50);
    expect(trained.floor).toMatchObject({ metric: 'rocAuc', passed: true });
    expect(trained.served.metrics.rocAuc).toBeGreaterThanOrEqual(purchasePropensity.floor.min);
    expect(trained.results.map((r) => r.algorithm)).toEqual(['logistic', 'tree', 'gbdt']);
  }, 30_000);

  it('hot_object: clears its ROC-AUC floor from the access features', async () => {
    const { table, trained } = await trainOnLake(hotObject, '2025-03-01T12:00:00Z', '2025-03-02T00:00:00Z');
    expect(table.rows.length).toBeGreaterThan(1_000);
    expect(trained.artifact.inputs.every((i) => i.source.kind === 'view' && i.source.view === 'object_access')).toBe(true);
    expect(trained.floor).toMatchObject({ metric: 'rocAuc', passed: true });
    for (const result of trained.results)
      expect(result.metrics.rocAuc, result.algorithm).toBeGreaterThanOrEqual(hotObject.floor.min);
  }, 30_000);
});

/**
 * measureDrift on the local DuckDB lake: a prediction log drawn from the
 * training distributions stays under every threshold; one with a shifted
 * amount, tier mix and score crosses them — its metrics above the catalog's
 * thresholds, breached — and the rows of other versions, models and shadow
 * scores are never read. Expected statistics are computed here from the raw
 * values logged (KS by the definition, PSI bin by bin), not by the code
 * under test; the report's rows land in the lake's drift table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriftReport, measureDrift } from '../../src/drift/job.js';
import { DRIFT_METRICS, driftMetrics } from '../../src/drift/metrics.js';
import { driftSql, monitoredValues, SCORE } from '../../src/drift/query.js';
import { driftObjectKey, writeDriftReport } from '../../src/drift/results.js';
import { hotObject } from '../../src/features/catalog.js';
import type { ModelArtifact } from '../../src/models/artifact.js';
import { directoryStorage, type LakeStorage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { type Draw, type LoggedWindow, logPredictions, MODEL, TABLES, testArtifact, VERSION } from './support.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-03-05T00:00:00Z');
const windows = {
  unshifted: { fromMs: T0, toMs: T0 + 2 * HOUR },
  shifted: { fromMs: T0 + 2 * HOUR, toMs: T0 + 4 * HOUR },
  thin: { fromMs: T0 + 4 * HOUR, toMs: T0 + 5 * HOUR },
};

let dir: string;
let storage: LakeStorage;
let lake: LocalLake;
let artifact: ModelArtifact;
const logged: Record<string, LoggedWindow> = {};
const reports: Record<string, DriftReport> = {};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-drift-'));
  storage = directoryStorage(dir);
  artifact = testArtifact();
  logged.unshifted = await logPredictions(storage, { fromMs: T0, hours: 2, count: 3000, seed: 10 });
  logged.shifted = await logPredictions(storage, {
    fromMs: T0 + 2 * HOUR,
    hours: 2,
    count: 3000,
    seed: 11,
    shift: { amount: 1, tiers: [0.3, 0.3, 0.4], scorePower: 1 },
  });
  logged.thin = await logPredictions(storage, { fromMs: T0 + 4 * HOUR, hours: 1, count: 100, seed: 12, shift: { amount: 5 } });
  lake = await openLocalLake({ storage, tables: TABLES });
  const engine = { dialect: 'duckdb' as const, run: (sql: string) => lake.run(sql) };
  for (const [name, window] of Object.entries(windows))
    reports[name] = await measureDrift(engine, hotObject, artifact, window, {
      timePartitioning: 'hour',
      modelPartition: true,
      now: window.toMs + 60_000,
    });
}, 60_000);

afterAll(() => {
  lake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The reference CDF by its definition: linear between the i-th percentiles at i/100, a step where they repeat. */
function referenceF(quantiles: readonly number[], x: number, left: boolean): number {
  let f = 0;
  for (let i = 0; i < 100; i++) {
    const [a, b] = [quantiles[i] as number, quantiles[i + 1] as number];
    if (left ? x > b : x >= b) f = (i + 1) / 100;
    else if (x > a && b > a) f = Math.max(f, (i + (x - a) / (b - a)) / 100);
  }
  return left && x <= (quantiles[0] as number) ? 0 : f;
}

/** sup |F_n − F| over the sample's points, from both sides. */
function exactKs(values: number[], quantiles: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return Math.max(
    ...sorted.map((x, i) => Math.max((i + 1) / n - referenceF(quantiles, x, false), referenceF(quantiles, x, true) - i / n)),
  );
}

/** PSI over the reference's bins plus a missing-value bin, empty shares at 1e-4. */
function expectedPsi(
  values: (number | null)[],
  ref: { count: number; nulls: number; bins: { edges: (number | null)[]; shares: number[] } },
) {
  const present = values.filter((v): v is number => v !== null);
  const edges = ref.bins.edges;
  const actual = ref.bins.shares.map(
    (_, i) =>
      present.filter(
        (x) => (edges[i] === null || x > (edges[i] as number)) && (edges[i + 1] === null || x <= (edges[i + 1] as number)),
      ).length,
  );
  actual.push(values.length - present.length);
  const missing = ref.nulls / (ref.count + ref.nulls);
  const expected = [...ref.bins.shares.map((s) => s * (1 - missing)), missing];
  return expected.reduce((sum, e, i) => {
    const a = Math.max((actual[i] as number) / values.length, 1e-4);
    const r = Math.max(e, 1e-4);
    return sum + (a - r) * Math.log(a / r);
  }, 0);
}

const rowOf = (report: DriftReport | undefined, feature: string) => {
  const row = report?.rows.find((r) => r.feature === feature);
  if (!row) throw new Error(`no row ${feature}`);
  return row;
};

const amounts = (draws: Draw[]) => draws.map((d) => d.amount);

describe('measureDrift on the prediction log', () => {
  it('reads only the version’s non-shadow predictions in the window', () => {
    expect(reports.unshifted?.predictions).toBe(3000);
    expect(reports.shifted?.predictions).toBe(3000);
    expect(reports.thin?.predictions).toBe(100);
    expect(rowOf(reports.unshifted, 'amount').nulls).toBe(logged.unshifted?.draws.filter((d) => d.amount === null).length);
    expect(reports.unshifted?.version).toBe(VERSION);
    expect(reports.unshifted?.rows.map((r) => [r.feature, r.kind])).toEqual([
      ['amount', 'numeric'],
      ['tier', 'categorical'],
      [SCORE, 'score'],
    ]);
  });

  it('an unshifted window stays under every threshold: nothing breached, DriftBreaches 0', () => {
    const report = reports.unshifted as DriftReport;
    for (const row of report.rows) {
      expect(row.judged).toBe(true);
      expect(row.breached).toBe(false);
      expect(row.psi).toBeLessThan(row.thresholdPsi);
      if (row.ks !== null) expect(row.ks).toBeLessThan(row.thresholdKs as number);
    }
    const metrics = driftMetrics(report);
    expect(metrics.find((m) => m.name === DRIFT_METRICS.breaches)?.value).toBe(0);
    for (const m of metrics.filter((m) => m.name !== DRIFT_METRICS.breaches)) expect(m.value).toBeLessThan(0.1);
  });

  it('a shifted window crosses: each metric above the catalog threshold it is alarmed on', () => {
    const report = reports.shifted as DriftReport;
    const amount = rowOf(report, 'amount');
    const tier = rowOf(report, 'tier');
    const score = rowOf(report, SCORE);
    expect([amount.breached, tier.breached, score.breached]).toEqual([true, true, true]);
    expect(report.breaches).toBe(3);
    const metric = (name: string, feature?: string) =>
      driftMetrics(report).find((m) => m.name === name && m.dimensions.feature === feature)?.value as number;
    // hot_object's thresholds (src/features/catalog.ts): KS 0.1 and PSI 0.2 for inputs and score.
    expect(metric(DRIFT_METRICS.featureKs, 'amount')).toBeGreaterThan(hotObject.drift.ks);
    expect(metric(DRIFT_METRICS.featurePsi, 'tier')).toBeGreaterThan(hotObject.drift.psi);
    expect(metric(DRIFT_METRICS.scoreKs)).toBeGreaterThan(hotObject.drift.score.ks);
    expect(metric(DRIFT_METRICS.breaches)).toBe(3);
    // u against u²: sup √x − x = 1/4 at x = 1/4; tiers 30/30/40 against 60/30/10: 0.3 ln 2 + 0.3 ln 4.
    expect(score.ks).toBeCloseTo(0.25, 1);
    expect(tier.psi).toBeCloseTo(0.3 * Math.log(2) + 0.3 * Math.log(4), 1);
    expect(tier.pValue).toBeLessThan(1e-12);
  });

  it('KS is the exact statistic of the logged values within the quantile step, PSI is exact', () => {
    const ref = artifact.reference?.inputs.amount;
    if (ref?.type !== 'numeric') throw new Error('no reference');
    for (const name of ['unshifted', 'shifted'] as const) {
      const values = amounts(logged[name]?.draws ?? []);
      const row = rowOf(reports[name], 'amount');
      const exact = exactKs(
        values.filter((v): v is number => v !== null),
        ref.quantiles,
      );
      expect(row.ks).toBeLessThanOrEqual(exact + 1e-9);
      expect(exact - (row.ks as number)).toBeLessThanOrEqual(0.01);
      expect(row.psi).toBeCloseTo(expectedPsi(values, ref), 9);
    }
  });

  it('a window with fewer predictions than minCount is reported, not judged or published', () => {
    const report = reports.thin as DriftReport;
    expect(rowOf(report, 'amount').ks).toBeGreaterThan(0.5);
    expect(report.rows.every((r) => !r.judged && !r.breached)).toBe(true);
    expect(driftMetrics(report)).toEqual([
      { name: DRIFT_METRICS.breaches, dimensions: { model: MODEL }, value: 0, unit: 'Count' },
    ]);
  });

  it('writes the report to the drift table, one file per model and window', async () => {
    const report = reports.shifted as DriftReport;
    const key = await writeDriftReport(storage, report);
    expect(key).toBe(`rollups/drift/dt=2024-03-05/${MODEL}-20240305T020000Z-20240305T040000Z.parquet`);
    expect(driftObjectKey(report)).toBe(key);
    await writeDriftReport(storage, report);
    const reopened = await openLocalLake({ storage, tables: TABLES });
    try {
      const { rows } = await reopened.run(
        'SELECT feature, kind, n, ks, psi, breached, threshold_ks, dt, window_start FROM drift ORDER BY feature',
      );
      expect(rows.map((r) => [r.feature, r.kind, Number(r.n), r.breached, r.dt])).toEqual([
        [SCORE, 'score', 3000, true, '2024-03-05'],
        ['amount', 'numeric', 3000, true, '2024-03-05'],
        ['tier', 'categorical', 3000, true, '2024-03-05'],
      ]);
      expect(rows[1]?.ks).toBeCloseTo(rowOf(report, 'amount').ks as number, 12);
      expect(rows[2]?.threshold_ks).toBeNull();
    } finally {
      reopened.close();
    }
  });

  it('spells the query for Athena with Trino’s JSON path, lambda and UNNEST', () => {
    const { values } = monitoredValues(artifact);
    const sql = driftSql(values, {
      dialect: 'athena',
      model: MODEL,
      version: VERSION,
      ...windows.shifted,
      timePartitioning: 'hour',
      modelPartition: true,
    });
    expect(sql).toContain(`json_extract_scalar(features, '$["amount"]')`);
    expect(sql).toContain('cardinality(filter(k0, k -> k < v0))');
    expect(sql).toContain("CROSS JOIN UNNEST(ARRAY['amount', 'tier', '__score__'], ARRAY[c0, c1, c2]) AS u(name, cell)");
    expect(sql).toContain("model = 'hot_object'");
    expect(sql).toContain(`"timestamp" >= TIMESTAMP '2024-03-05 02:00:00.000'`);
  });
});

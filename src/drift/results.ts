/**
 * A drift report as rows of the lake's `drift` table (src/lake/tables.ts
 * DRIFT_TABLE): one Parquet file per model and window, written with the
 * lake's own encoder under `rollups/drift/dt=<day the window ends in>/`. The
 * key is made of the model and the window, so measuring a window again
 * replaces its file instead of adding rows.
 */
import type { Compression, LakeRow } from '../lake/lake-writer.js';
import { encodeParquet } from '../lake/parquet/index.js';
import { DRIFT_TABLE } from '../lake/tables.js';
import type { LakeStorage } from '../query/lake-storage.js';
import type { DriftReport } from './job.js';

/** The day partition of a window: the UTC day of its last instant. */
export function driftPartition(report: Pick<DriftReport, 'window'>): string {
  return new Date(report.window.toMs - 1).toISOString().slice(0, 10);
}

const compact = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.000', '');

/** `rollups/drift/dt=…/<model>-<from>-<to>.parquet` */
export function driftObjectKey(report: Pick<DriftReport, 'model' | 'window'>): string {
  return `${DRIFT_TABLE.prefix}dt=${driftPartition(report)}/${report.model}-${compact(report.window.fromMs)}-${compact(report.window.toMs)}.parquet`;
}

export function driftTableRows(report: DriftReport): LakeRow[] {
  return report.rows.map((row) => ({
    run_at: report.runAt,
    window_start: report.window.fromMs,
    window_end: report.window.toMs,
    model: report.model,
    version: report.version,
    feature: row.feature,
    kind: row.kind,
    n: row.n,
    nulls: row.nulls,
    ks: row.ks,
    psi: row.psi,
    chi2: row.chi2,
    p_value: row.pValue,
    threshold_psi: row.thresholdPsi,
    threshold_ks: row.thresholdKs,
    threshold_p: row.thresholdP,
    judged: row.judged,
    breached: row.breached,
  }));
}

/** Writes the report's rows; resolves to the key written. */
export async function writeDriftReport(
  storage: Pick<LakeStorage, 'put'>,
  report: DriftReport,
  compression: Compression = 'snappy',
): Promise<string> {
  const key = driftObjectKey(report);
  await storage.put(key, await encodeParquet(DRIFT_TABLE.columns, driftTableRows(report), compression));
  return key;
}

/**
 * Athena's statement registering a day of the table (it is not projected): run after a file is
 * written there, once per day is enough (IF NOT EXISTS).
 */
export function addDriftPartitionSql(bucket: string, day: string): string {
  return `ALTER TABLE ${DRIFT_TABLE.name} ADD IF NOT EXISTS PARTITION (dt = '${day}') LOCATION 's3://${bucket}/${DRIFT_TABLE.prefix}dt=${day}/'`;
}

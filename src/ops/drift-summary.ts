/**
 * Each model's latest drift run, from the lake's drift table (src/drift/results.ts:
 * `rollups/drift/dt=<day>/<model>-<from>-<to>.parquet`, one file per model and
 * window): the version measured, the window's end, how many inputs were judged,
 * which breached, and the largest PSI. The same on the local stack's lake and
 * a deployed one's, so `featurelake status` shows drift where there are no alarms.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { objectsUnder } from '../aws/s3-objects.js';
import { DRIFT_TABLE } from '../lake/tables.js';
import type { DriftRunStatus } from './status.js';

/** `<model>-<yyyymmddThhmmssZ>-<yyyymmddThhmmssZ>.parquet`: the model and the window's end (sortable). */
const FILE = /\/([^/]+)-(\d{8}T\d{6}Z)-(\d{8}T\d{6}Z)\.parquet$/;

/** Reads at most one file per model: the one whose window ends last. */
export async function summarizeDrift(s3: S3Client, lakeBucket: string): Promise<DriftRunStatus[]> {
  const latest = new Map<string, { key: string; end: string }>();
  for await (const object of objectsUnder(s3, lakeBucket, DRIFT_TABLE.prefix)) {
    const m = FILE.exec(object.Key ?? '');
    if (!m) continue;
    const [, model, , end] = m as unknown as [string, string, string, string];
    const seen = latest.get(model);
    if (!seen || end > seen.end) latest.set(model, { key: object.Key as string, end });
  }
  const runs: DriftRunStatus[] = [];
  for (const [model, { key }] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    const response = await s3.send(new GetObjectCommand({ Bucket: lakeBucket, Key: key }));
    const bytes = await response.Body?.transformToByteArray();
    if (!bytes) continue;
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = (await parquetReadObjects({ file, compressors })) as Record<string, unknown>[];
    const judged = rows.filter((r) => r.judged === true);
    const psis = judged.map((r) => Number(r.psi)).filter((v) => Number.isFinite(v));
    const end = rows[0]?.window_end;
    runs.push({
      model,
      version: String(rows[0]?.version ?? '?'),
      ...(end === undefined ? {} : { windowEnd: end instanceof Date ? end : new Date(Number(end)) }),
      judged: judged.length,
      breached: judged.filter((r) => r.breached === true).map((r) => String(r.feature)),
      ...(psis.length > 0 ? { maxPsi: Math.max(...psis) } : {}),
    });
  }
  return runs;
}

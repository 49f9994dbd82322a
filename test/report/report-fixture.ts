/**
 * The report's fixture: the query tests' lake (test/support/lake-fixture.ts)
 * plus a scored model, `churn_risk`, as POST /predict would log it (request
 * ids, the inputs as JSON, a shadow version), its artifact with training
 * distributions (one input drifted on purpose), and a quarantine folder
 * written with the consumers' own key and body functions.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batchReportKey } from '../../src/batch/report.js';
import type { RejectReason } from '../../src/domain/records.js';
import { partitionPath } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import type { LakeTable } from '../../src/lake/tables.js';
import { type ModelArtifact, parseArtifact } from '../../src/models/artifact.js';
import { categoricalDistribution, numericDistribution } from '../../src/models/train/distribution.js';
import { quarantineBody, quarantineKey } from '../../src/quarantine/quarantine.js';
import { Random } from '../../src/workloads/random.js';
import { type LakeFixture, writeLakeFixture } from '../support/lake-fixture.js';

export const MODEL = 'churn_risk';
export const DEVICES = ['mobile', 'desktop', 'tablet'] as const;

/** One logged prediction of churn_risk (the lake row's fields; `time` = its timestamp). */
export interface ChurnPrediction {
  readonly time: number;
  readonly prediction_id: string;
  readonly request_id: string;
  readonly model_version: string;
  readonly score: number;
  readonly inference_time_ms: number;
  readonly features: string | undefined;
  readonly shadow: boolean;
}

export interface QuarantinedFixture {
  readonly consumer: string;
  readonly reason: string;
  /** Rows it counts for (a batch report: its rejected rows). */
  readonly count: number;
  readonly atMs: number;
}

export interface ReportFixture {
  readonly lake: LakeFixture;
  readonly churn: ChurnPrediction[];
  readonly artifact: ModelArtifact;
  readonly quarantineDir: string;
  readonly quarantined: QuarantinedFixture[];
}

const ms = (iso: string) => Date.parse(iso);
const SPAN_FROM = ms('2024-03-04T20:00:00Z');
const SPAN_TO = ms('2024-03-05T05:00:00Z');

/** Training values: visits uniform 0–20, spend uniform 0–100, devices 50/30/20. */
function trainingRows(random: Random, n: number) {
  return Array.from({ length: n }, () => ({
    visits_7d: random.int(21),
    spend_30d: Math.round(random.next() * 10_000) / 100,
    device: random.next() < 0.5 ? 'mobile' : random.next() < 0.6 ? 'desktop' : 'tablet',
  }));
}

function churnArtifact(random: Random): ModelArtifact {
  const training = trainingRows(random, 2_000);
  return parseArtifact({
    format: 'featurelake.model/v1',
    name: MODEL,
    version: '2',
    createdAt: '2024-03-01T00:00:00.000Z',
    entity: 'user',
    inputs: [
      { name: 'visits_7d', source: { kind: 'request' }, type: 'numeric', mean: 10, std: 6, fill: 0 },
      { name: 'spend_30d', source: { kind: 'request' }, type: 'numeric', mean: 50, std: 29, fill: 0 },
      { name: 'device', source: { kind: 'request' }, type: 'categorical', categories: [...DEVICES] },
    ],
    model: { type: 'logistic', weights: [0.1, -0.2, 0.3, 0, -0.3], intercept: 0 },
    decision: { threshold: 0.5, positive: '1', negative: '0' },
    reference: {
      inputs: {
        visits_7d: numericDistribution(training.map((r) => r.visits_7d)),
        spend_30d: numericDistribution(training.map((r) => r.spend_30d)),
        device: categoricalDistribution(training.map((r) => r.device)),
      },
    },
  });
}

/**
 * Requests of one to three entities, each scored by v2 and, for a quarter of the requests, by the
 * shadow v3 too. Recent spend is shifted up by 40 (drift); visits are as in training; a few
 * devices are new ("tv"); some rows log no inputs, one unparsable ones.
 */
function churnPredictions(random: Random): ChurnPrediction[] {
  const out: ChurnPrediction[] = [];
  for (let request = 0; request < 160; request++) {
    const time = SPAN_FROM + random.int(SPAN_TO - SPAN_FROM);
    const inference_time_ms = Math.round((5 + random.next() * 40) * 100) / 100;
    const shadowToo = random.chance(0.25);
    const entities = 1 + random.int(3);
    for (let e = 0; e < entities; e++) {
      const device = random.chance(0.1) ? 'tv' : (DEVICES[random.int(3)] as string);
      const inputs = { visits_7d: random.int(21), spend_30d: Math.round((40 + random.next() * 100) * 100) / 100, device };
      const features = random.chance(0.05) ? undefined : out.length === 7 ? '{not json' : JSON.stringify(inputs);
      for (const version of shadowToo ? ['2', '3'] : ['2']) {
        out.push({
          time,
          prediction_id: `churn-${out.length}`,
          request_id: `req-${request}`,
          model_version: version,
          score: Math.round(random.next() * 1e6) / 1e6,
          inference_time_ms,
          features,
          shadow: version === '3',
        });
      }
    }
  }
  return out;
}

/** Writes the churn predictions into the fixture lake's predictions table, as the lake writer partitions them. */
async function writeChurn(lake: LakeFixture, rows: readonly ChurnPrediction[]): Promise<void> {
  const table = lake.tables.find((t) => t.name === 'predictions') as LakeTable;
  const partitions = new Map<string, Record<string, unknown>[]>();
  rows.forEach((row, i) => {
    const { time, features, ...rest } = row;
    const lakeRow: Record<string, unknown> = {
      ...rest,
      ...(features === undefined ? {} : { features }),
      timestamp: time,
      model_name: MODEL,
      entity_type: 'user',
      entity_id: `user_${i % 40}`,
      label: row.score >= 0.5 ? '1' : '0',
      environment: 'dev',
      arrival_time: time + 1000,
      record_id: `fixture:churn:${i}`,
    };
    const key = partitionPath('predictions', table.scheme as NonNullable<LakeTable['scheme']>, time, lakeRow);
    partitions.set(key, [...(partitions.get(key) ?? []), lakeRow]);
  });
  for (const [prefix, batch] of partitions) {
    await lake.storage.put(`${prefix}churn.parquet`, await encodeParquet(table.columns, batch, 'snappy'));
  }
}

/** Stream records quarantined by the aggregator and the lake writer, and a batch-ingest report, some outside the range. */
function writeQuarantine(dir: string): QuarantinedFixture[] {
  const put = (key: string, body: unknown) => {
    const file = path.join(dir, key);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(body));
  };
  const records: { consumer: string; reason: RejectReason; at: string }[] = [
    { consumer: 'aggregator', reason: 'schema_violation', at: '2024-03-04T22:10:00Z' },
    { consumer: 'aggregator', reason: 'schema_violation', at: '2024-03-05T01:00:00Z' },
    { consumer: 'aggregator', reason: 'schema_violation', at: '2024-03-05T02:59:59Z' },
    { consumer: 'aggregator', reason: 'not_json', at: '2024-03-04T23:00:00Z' },
    { consumer: 'aggregator', reason: 'not_json', at: '2024-03-05T00:30:00Z' },
    { consumer: 'lake-writer', reason: 'schema_violation', at: '2024-03-05T00:00:00Z' },
    { consumer: 'lake-writer', reason: 'late_event', at: '2024-03-04T22:00:00Z' },
    // Outside [START, END): on an earlier day, and the same day but after the end.
    { consumer: 'aggregator', reason: 'unknown_source', at: '2024-03-01T12:00:00Z' },
    { consumer: 'aggregator', reason: 'future_event', at: '2024-03-05T03:00:00Z' },
  ];
  const out: QuarantinedFixture[] = [];
  records.forEach(({ consumer, reason, at }, i) => {
    const rejected = {
      reason,
      detail: `fixture ${i}`,
      record: {
        data: Buffer.from('{}').toString('base64'),
        sequenceNumber: String(1000 + i),
        partitionKey: 'k',
        shardId: 'shardId-000000000000',
        arrivalTimeMs: ms(at),
      },
    };
    put(quarantineKey(consumer, rejected), quarantineBody(consumer, rejected));
    out.push({ consumer, reason, count: 1, atMs: ms(at) });
  });
  put(batchReportKey('object_metadata', 'run-1'), {
    reason: 'invalid_rows',
    source: 'object_metadata',
    consumer: 'batch-ingest',
    origin: 'fixture.csv',
    runId: 'run-1',
    uploadTime: '2024-03-05T01:30:00.000Z',
    rowsKept: 10,
    rowsRejected: 4,
    rejected: [],
  });
  out.push({ consumer: 'batch-ingest', reason: 'invalid_rows', count: 4, atMs: ms('2024-03-05T01:30:00Z') });
  return out;
}

export async function writeReportFixture(): Promise<ReportFixture> {
  const random = new Random(11);
  const lake = await writeLakeFixture();
  const churn = churnPredictions(random);
  await writeChurn(lake, churn);
  const artifact = churnArtifact(random);
  const quarantineDir = mkdtempSync(path.join(tmpdir(), 'featurelake-report-quarantine-'));
  const quarantined = writeQuarantine(quarantineDir);
  return { lake, churn, artifact, quarantineDir, quarantined };
}

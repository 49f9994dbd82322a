/**
 * `featurelake ingest-batch <file> --source <name>`: a batch source's CSV or
 * Parquet file into the online store and the lake, as an upload under the lake
 * bucket's `sources/<name>/` would be (src/batch/ingest.ts, the same code the
 * batch-ingest function runs). Against the running local stack by default;
 * with --aws, against the deployed environment (its table and buckets from
 * flags or FEATURELAKE_TABLE, FEATURELAKE_LAKE_BUCKET, FEATURELAKE_QUARANTINE_BUCKET;
 * endpoints and credentials as the AWS SDK finds them). Exit 0: every row
 * kept; 1: some rows rejected (listed), or AWS failed us; 2: the invocation
 * or the file as a whole is wrong.
 */
import { readFileSync, statSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type Command, Option } from 'commander';
import { ENVIRONMENTS } from '../../../lib/config/environments.js';
import { dynamoDocumentClient, s3Client } from '../../aws/clients.js';
import type { Env } from '../../aws/env.js';
import { type BatchIngestSummary, type BatchIngestTarget, ingestBatchFile } from '../../batch/ingest.js';
import { BatchFileError, batchFormatOf } from '../../batch/rows.js';
import type { Catalog } from '../../features/define.js';
import { partitionSchemeFor } from '../../lake/layout.js';
import { encodeParquet } from '../../lake/parquet/index.js';
import { runtimeError, usageError } from '../errors.js';
import { environmentName } from '../lake-target.js';
import { localStackEnv, readLocalStackInfo } from '../local-stack-info.js';
import { createProgress } from '../progress.js';
import { stateDirOption } from './shared.js';

interface IngestBatchOptions {
  source: string;
  aws?: boolean;
  table?: string;
  bucket?: string;
  quarantineBucket?: string;
  env?: string;
  asOf?: string;
  stateDir: string;
  progress: boolean;
}

const SHOWN_REJECTIONS = 5;

interface Resolved {
  readonly clientEnv: Env;
  readonly tableName: string;
  readonly lakeBucket: string;
  readonly quarantineBucket: string;
  readonly envName: string;
  readonly where: string;
}

function resolveTarget(options: IngestBatchOptions, env: Env = process.env): Resolved {
  if (options.aws) {
    const tableName = options.table ?? (env.FEATURELAKE_TABLE || undefined);
    const lakeBucket = options.bucket ?? (env.FEATURELAKE_LAKE_BUCKET || undefined);
    const quarantineBucket = options.quarantineBucket ?? (env.FEATURELAKE_QUARANTINE_BUCKET || undefined);
    const missing = [
      tableName ? undefined : '--table (or FEATURELAKE_TABLE: the TableName output)',
      lakeBucket ? undefined : '--bucket (or FEATURELAKE_LAKE_BUCKET: the LakeBucketName output)',
      quarantineBucket ? undefined : '--quarantine-bucket (or FEATURELAKE_QUARANTINE_BUCKET: the QuarantineBucketName output)',
    ].filter(Boolean);
    if (missing.length > 0) throw usageError(`--aws needs ${missing.join(', ')}`);
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    return {
      clientEnv: env,
      tableName: tableName as string,
      lakeBucket: lakeBucket as string,
      quarantineBucket: quarantineBucket as string,
      envName: environmentName(options.env),
      where: `AWS (${region})`,
    };
  }
  if (options.table || options.bucket || options.quarantineBucket)
    throw usageError('--table, --bucket and --quarantine-bucket name a deployment: add --aws');
  const lookup = readLocalStackInfo(options.stateDir);
  if (lookup.status !== 'running') {
    const why = lookup.status === 'stale' ? `${lookup.path} is stale (its process is not running)` : 'no local stack is running';
    throw usageError(`nowhere to ingest into: ${why}; start \`featurelake local\`, or pass --aws with the deployment's names`);
  }
  const { info } = lookup;
  return {
    clientEnv: localStackEnv(info),
    tableName: info.resources.tableName,
    lakeBucket: info.resources.lakeBucket,
    quarantineBucket: info.resources.quarantineBucket,
    envName: environmentName(options.env ?? info.env),
    where: "the local stack's online table and lake",
  };
}

function summaryText(file: string, s: BatchIngestSummary, where: string): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `${file} → ${s.source} (${where}): kept ${n(s.rowsKept)} rows, rejected ${n(s.rowsRejected)}; ` +
      `${n(s.entities)} entities, ${n(s.entitiesWritten)} written online, ${n(s.entitiesNotNewer)} already as new or newer; ` +
      `${s.lakeKeys.length} lake files (${(s.lakeBytes / 1e6).toFixed(2)} MB)${s.lakeKeys[0] ? ` under ${s.lakeKeys[0].replace(/[^/]+$/, '')}` : ''}`,
  ];
  if (s.rowsRejected > 0) {
    for (const r of s.firstRejections.slice(0, SHOWN_REJECTIONS)) lines.push(`  ${file}:${r.line}: ${r.reason}`);
    if (s.rowsRejected > SHOWN_REJECTIONS) lines.push(`  … and ${n(s.rowsRejected - SHOWN_REJECTIONS)} more`);
    if (s.reportKey) lines.push(`  every rejected row: quarantine report ${s.reportKey}`);
  }
  return `${lines.join('\n')}\n`;
}

async function ingestBatch(catalog: Catalog, file: string, options: IngestBatchOptions): Promise<void> {
  const sources = catalog.batchSources ?? [];
  const source = sources.find((s) => s.name === options.source);
  if (!source)
    throw usageError(
      `--source: unknown batch source "${options.source}" (known: ${sources.map((s) => s.name).join(', ') || 'none'})`,
    );
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw usageError(`${file}: no such file`);
  let body: Uint8Array;
  try {
    batchFormatOf(file);
    body = readFileSync(file);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  let uploadTimeMs = Math.floor(stat.mtimeMs);
  if (options.asOf !== undefined) {
    uploadTimeMs = Date.parse(options.asOf);
    if (!Number.isFinite(uploadTimeMs) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(options.asOf))
      throw usageError(`--as-of: "${options.asOf}" is not an ISO-8601 time with a zone (e.g. 2026-11-23T10:00:00Z)`);
  }
  const resolved = resolveTarget(options);
  const lake = ENVIRONMENTS[resolved.envName as keyof typeof ENVIRONMENTS].lake;
  const s3 = s3Client(resolved.clientEnv);
  const target: BatchIngestTarget = {
    doc: dynamoDocumentClient(resolved.clientEnv),
    tableName: resolved.tableName,
    putLake: async (key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: resolved.lakeBucket, Key: key, Body: body }));
    },
    putQuarantine: async (key, body) => {
      await s3.send(
        new PutObjectCommand({ Bucket: resolved.quarantineBucket, Key: key, Body: body, ContentType: 'application/json' }),
      );
    },
    scheme: (s) => partitionSchemeFor(s.name, lake),
    compression: lake.compression,
    encode: encodeParquet,
  };
  const progress = createProgress({
    long: stat.size >= 5 * 1024 * 1024,
    large: stat.size >= 50 * 1024 * 1024,
    enabled: options.progress,
    label: 'entities written',
  });
  let summary: BatchIngestSummary;
  try {
    summary = await ingestBatchFile({ source, body, name: file, origin: file, uploadTimeMs }, target, (phase, done) => {
      if (phase === 'online') progress.update(done, done);
    });
  } catch (error) {
    if (error instanceof BatchFileError) throw usageError(error.message);
    throw runtimeError(`ingest-batch failed against ${resolved.where}: ${(error as Error).message}`);
  } finally {
    progress.stop();
  }
  process.stdout.write(summaryText(file, summary, resolved.where));
  if (summary.rowsRejected > 0) process.exitCode = 1;
}

export function registerIngestBatch(program: Command, catalog: Catalog): void {
  const names = (catalog.batchSources ?? []).map((s) => s.name);
  program
    .command('ingest-batch')
    .summary("load a batch source's CSV or Parquet file into the online store and the lake")
    .description(
      'Validate a CSV (header line required) or Parquet file of a batch source row by row; write the newest row of each ' +
        'entity to the online store (never over newer values), the good rows to the lake as Parquet, and a report of the ' +
        'rejected rows (line and reason) to the quarantine — what an upload under the lake bucket’s sources/<name>/ does. ' +
        'Ingesting the same file again changes nothing. Exit 1 if any row was rejected.',
    )
    .argument('<file>', 'CSV (.csv) or Parquet (.parquet) file')
    .addOption(new Option('--source <name>', 'batch source of the rows').choices(names).makeOptionMandatory())
    .option('--aws', 'ingest into the deployed environment (names from the flags below or FEATURELAKE_* variables)')
    .option('--table <name>', 'with --aws: the online table (TableName output; default $FEATURELAKE_TABLE)')
    .option('--bucket <name>', 'with --aws: the lake bucket (LakeBucketName output; default $FEATURELAKE_LAKE_BUCKET)')
    .option(
      '--quarantine-bucket <name>',
      'with --aws: the quarantine bucket (QuarantineBucketName output; default $FEATURELAKE_QUARANTINE_BUCKET)',
    )
    .option('--env <name>', "environment whose lake partitioning and codec to use (default: the local stack's, else dev)")
    .option('--as-of <iso>', "rows' as-of time when the source has no as-of field (default: the file's modification time)")
    .addOption(stateDirOption())
    .option('--no-progress', 'no progress line on stderr')
    .action((file: string, options: IngestBatchOptions) => ingestBatch(catalog, file, options));
}

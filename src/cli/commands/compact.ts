/**
 * `featurelake compact --day D` (or `--from D [--to D]`): the compactor
 * Lambda's small-file compaction (src/lake/compaction.ts) on demand, on the
 * local stack's bucket or, with --bucket, on S3. It works through the S3 API
 * (list, get, put, delete), so a plain --lake-dir folder is not a target.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { deployedLakeSettings, ENVIRONMENTS } from '../../../lib/config/environments.js';
import { s3Client } from '../../aws/clients.js';
import { DAY_MS, isIsoDay, utcDay } from '../../domain/days.js';
import type { Catalog } from '../../features/define.js';
import { compactDay } from '../../lake/compaction.js';
import { partitionSchemeFor } from '../../lake/layout.js';
import { encodeParquet } from '../../lake/parquet/index.js';
import { runtimeError, usageError } from '../errors.js';
import { environmentName, localStackLake } from '../lake-target.js';
import { stateDirOption } from './shared.js';

interface CompactOptions {
  day?: string;
  from?: string;
  to?: string;
  bucket?: string;
  env?: string;
  minAgeHours?: string;
  stateDir: string;
}

function dayOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!isIsoDay(value)) throw usageError(`--${name}: "${value}" is not a day yyyy-MM-dd`);
  return Date.parse(value);
}

/** The days asked for, oldest first. */
function daysOf(options: CompactOptions): string[] {
  const day = dayOption('day', options.day);
  const from = dayOption('from', options.from);
  const to = dayOption('to', options.to);
  if (day !== undefined) {
    if (from !== undefined || to !== undefined) throw usageError('--day and --from/--to are exclusive');
    return [options.day as string];
  }
  if (from === undefined) throw usageError('say which days: --day yyyy-MM-dd, or --from yyyy-MM-dd [--to yyyy-MM-dd]');
  const last = to ?? Math.floor(Date.now() / DAY_MS - 1) * DAY_MS;
  if (last < from) throw usageError('--to must not be before --from');
  return Array.from({ length: (last - from) / DAY_MS + 1 }, (_, i) => utcDay(from + i * DAY_MS));
}

async function compact(catalog: Catalog, options: CompactOptions): Promise<void> {
  const days = daysOf(options);
  let s3: S3Client;
  let bucket: string;
  let envName: string;
  if (options.bucket) {
    s3 = s3Client(process.env);
    bucket = options.bucket;
    envName = options.env ?? 'dev';
  } else {
    const local = localStackLake(options.stateDir, 'compact', 'pass --bucket NAME');
    ({ s3, bucket } = local);
    envName = options.env ?? local.envName;
  }
  // As deployed: predictions partitioned by the catalog's models too.
  const lake = deployedLakeSettings(ENVIRONMENTS[environmentName(envName)], catalog);
  let minAgeHours = lake.compaction.minAgeHours;
  if (options.minAgeHours !== undefined) {
    minAgeHours = Number(options.minAgeHours);
    if (!Number.isFinite(minAgeHours) || minAgeHours < 0)
      throw usageError(`--min-age-hours: "${options.minAgeHours}" is not a number ≥ 0`);
  }
  const started = performance.now();
  let files = 0;
  let partitions = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  // A set: every day's run reports an unrecoverable manifest again (recovery is not per day).
  const failed = new Set<string>();
  try {
    for (const [i, day] of days.entries()) {
      const summary = await compactDay(
        {
          s3,
          bucket,
          sources: catalog.sources,
          scheme: (source) => partitionSchemeFor(source.name, lake),
          encode: encodeParquet,
          compression: lake.compression,
          minAgeMs: minAgeHours * 3_600_000,
          maxInputBytes: lake.compaction.maxInputMb * 1024 * 1024,
        },
        day,
      );
      const dayFiles = summary.partitions.reduce((n, p) => n + p.inputs, 0);
      files += dayFiles;
      partitions += summary.partitions.length;
      bytesIn += summary.partitions.reduce((n, p) => n + p.inputBytes, 0);
      bytesOut += summary.partitions.reduce((n, p) => n + p.outputBytes, 0);
      for (const f of summary.failed) failed.add(`${f.partition}: ${f.reason}`);
      process.stderr.write(
        `featurelake: [${i + 1}/${days.length}] ${day}: ${dayFiles} files into ${summary.partitions.length}` +
          `${summary.recovered ? `; finished ${summary.recovered} interrupted runs` : ''}\n`,
      );
    }
  } catch (error) {
    throw runtimeError(`compaction failed on s3://${bucket}: ${(error as Error).message}`);
  }
  process.stdout.write(
    `compacted ${files} files into ${partitions} (${(bytesIn / 1e6).toFixed(1)} MB → ${(bytesOut / 1e6).toFixed(1)} MB) ` +
      `over ${days.length} days of s3://${bucket} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (failed.size > 0) {
    for (const f of failed) process.stderr.write(`featurelake: not compacted: ${f}\n`);
    throw runtimeError(`${failed.size} partitions were not compacted (left as they were; the next run retries them)`);
  }
}

export function registerCompact(program: Command, catalog: Catalog): void {
  program
    .command('compact')
    .description(
      "merge the lake's small stream files, partition by partition, for the days given (what the compactor Lambda does daily)",
    )
    .option('--day <yyyy-MM-dd>', 'one day')
    .option('--from <yyyy-MM-dd>', 'first day of a range')
    .option('--to <yyyy-MM-dd>', 'last day of the range (default yesterday)')
    .option(
      '--bucket <name>',
      'the lake bucket on S3 (the LakeBucketName output; endpoint from AWS_ENDPOINT_URL_S3) instead of the local stack',
    )
    .option('--env <name>', "environment whose layout, codec and limits to use (default: the local stack's, else dev)")
    .option('--min-age-hours <n>', "leave files younger than this (default: the environment's)")
    .addOption(stateDirOption())
    .action((options: CompactOptions) => compact(catalog, options));
}

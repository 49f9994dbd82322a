/**
 * `featurelake import <files…> --source <name>`: historical CSV or JSONL into
 * the lake as Parquet in the stream writer's layout (src/lake/import.ts), or,
 * with --to-stream, replayed through Kinesis. Every rejected row is reported
 * with file, line and reason; the exit code is 1 if any row was rejected.
 */
import { createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { deployedLakeSettings, ENVIRONMENTS } from '../../../lib/config/environments.js';
import { s3Client } from '../../aws/clients.js';
import type { Catalog } from '../../features/define.js';
import { formatOf, type ImportRejection, importFiles, readValidRows } from '../../lake/import.js';
import type { Compression } from '../../lake/lake-writer.js';
import { partitionSchemeFor } from '../../lake/layout.js';
import { encodeParquet } from '../../lake/parquet/index.js';
import { directoryStorage, type LakeStorage, s3Storage } from '../../query/lake-storage.js';
import { runtimeError, usageError } from '../errors.js';
import { SendSession } from '../kinesis/send-session.js';
import { environmentName, localStackLake } from '../lake-target.js';
import { httpUrl } from '../options.js';
import { createProgress } from '../progress.js';
import { resolveStreamTarget } from '../targets.js';
import { stateDirOption } from './shared.js';

interface ImportCommandOptions {
  source: string;
  lakeDir?: string;
  bucket?: string;
  env?: string;
  compression?: Compression;
  toStream?: boolean;
  stream?: string;
  endpointUrl?: string;
  rejects?: string;
  stateDir: string;
  progress: boolean;
}

/** Rejections shown on stderr before the rest go only to --rejects. */
const SHOWN_REJECTIONS = 20;

function lakeStorage(options: ImportCommandOptions): { storage: LakeStorage; where: string; envName: string } {
  if (options.lakeDir && options.bucket) throw usageError('--lake-dir and --bucket are exclusive: pick the destination');
  if (options.lakeDir) {
    return { storage: directoryStorage(path.resolve(options.lakeDir)), where: options.lakeDir, envName: options.env ?? 'dev' };
  }
  if (options.bucket) {
    return {
      storage: s3Storage({ s3: s3Client(process.env), bucket: options.bucket }),
      where: `s3://${options.bucket}`,
      envName: options.env ?? 'dev',
    };
  }
  const local = localStackLake(options.stateDir, 'import into', 'pass --lake-dir DIR or --bucket NAME');
  return { storage: local.storage, where: `the local stack's bucket ${local.bucket}`, envName: options.env ?? local.envName };
}

async function importCommand(catalog: Catalog, files: string[], options: ImportCommandOptions): Promise<void> {
  const { sources } = catalog;
  const source = sources.find((s) => s.name === options.source);
  if (!source) throw usageError(`--source: unknown source "${options.source}" (known: ${sources.map((s) => s.name).join(', ')})`);
  for (const file of files) {
    if (!existsSync(file) || !statSync(file).isFile()) throw usageError(`${file}: no such file`);
    try {
      formatOf(file);
    } catch (error) {
      throw usageError((error as Error).message);
    }
  }
  const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  let rejectsOut: WriteStream | undefined;
  if (options.rejects) rejectsOut = createWriteStream(options.rejects);
  let rejected = 0;
  const onReject = (r: ImportRejection) => {
    rejected++;
    if (rejected <= SHOWN_REJECTIONS) process.stderr.write(`featurelake: ${r.file}:${r.line}: ${r.reason}\n`);
    rejectsOut?.write(`${JSON.stringify(r)}\n`);
  };
  const progress = createProgress({
    total: totalBytes,
    long: totalBytes >= 20 * 1024 * 1024,
    large: totalBytes >= 500 * 1024 * 1024,
    enabled: options.progress,
    label: 'rows',
  });
  let summary: string;
  try {
    if (options.toStream) {
      if (options.lakeDir || options.bucket)
        throw usageError('--to-stream sends to Kinesis: --lake-dir and --bucket do not apply');
      const session = await SendSession.open(resolveStreamTarget(options), { catalog, concurrency: 4 });
      let rows = 0;
      let bytesBefore = 0;
      try {
        for (const file of files) {
          const reject = (line: number, reason: string) => onReject({ file, line, reason });
          const report = (bytes: number) => progress.update(bytesBefore + bytes, rows);
          for await (const row of readValidRows(file, source, reject, report)) {
            const event = { source: source.name, ...row.data };
            await session.add(JSON.stringify(event), event, `${file}:${row.line}`);
            rows++;
          }
          bytesBefore += statSync(file).size;
        }
      } catch (error) {
        session.dispose();
        throw error;
      }
      summary = `${await session.finish()}; ${rows.toLocaleString('en-US')} rows from ${files.length} files`;
    } else {
      const { storage, where, envName } = lakeStorage(options);
      // As deployed: predictions partitioned by the catalog's models too.
      const lake = deployedLakeSettings(ENVIRONMENTS[environmentName(envName)], catalog);
      const result = await importFiles(files, {
        source,
        scheme: partitionSchemeFor(source.name, lake),
        compression: options.compression ?? lake.compression,
        encode: encodeParquet,
        put: (key, body) => storage.put(key, body),
        onReject,
        onProgress: (bytes, rows) => progress.update(bytes, rows),
      });
      const seconds = Math.max(result.elapsedMs, 1) / 1000;
      summary =
        `imported ${result.rows.toLocaleString('en-US')} rows from ${result.inputFiles} files ` +
        `(${(result.bytesRead / 1e6).toFixed(1)} MB) into ${result.filesWritten} Parquet files ` +
        `(${(result.bytesWritten / 1e6).toFixed(1)} MB) in ${where} in ${seconds.toFixed(2)} s: ` +
        `${Math.round(result.rows / seconds).toLocaleString('en-US')} rows/s`;
    }
  } catch (error) {
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
    throw runtimeError(`import failed: ${(error as Error).message}`);
  } finally {
    progress.stop();
    if (rejectsOut) await new Promise((resolve) => rejectsOut?.end(resolve));
  }
  const rejectNote =
    rejected === 0
      ? '; rejected 0 rows'
      : `; rejected ${rejected.toLocaleString('en-US')} rows${
          rejected > SHOWN_REJECTIONS
            ? ` (first ${SHOWN_REJECTIONS} above${options.rejects ? `, all in ${options.rejects}` : '; --rejects FILE lists all'})`
            : ' (above)'
        }`;
  process.stdout.write(`${summary}${rejectNote}\n`);
  if (rejected > 0) process.exitCode = 1;
}

export function registerImport(program: Command, catalog: Catalog): void {
  program
    .command('import')
    .summary('load CSV or JSONL files into the lake as Parquet (or replay them through the stream)')
    .description(
      "Load historical files into the lake in the stream writer's layout and types: CSV (seed 004's daily logs; a header " +
        'line is optional, zone-less times are UTC) or JSONL. Each row is validated; rejected rows are reported with ' +
        'file, line and reason, and the exit code is 1 if any was rejected. Re-importing a file overwrites its files.',
    )
    .argument('<files...>', 'CSV (.csv) or JSONL (.jsonl, .ndjson) files')
    .addOption(
      new Option('--source <name>', 'event source of the rows').choices(catalog.sources.map((s) => s.name)).makeOptionMandatory(),
    )
    .option('--lake-dir <dir>', 'write into this folder (lake layout) instead of the local stack')
    .option('--bucket <name>', 'write into this S3 bucket (the LakeBucketName output; endpoint from AWS_ENDPOINT_URL_S3)')
    .option('--env <name>', "environment whose partitioning and compression to use (default: the local stack's, else dev)")
    .addOption(
      new Option('--compression <codec>', 'Parquet codec (default: the environment’s)').choices([
        'snappy',
        'zstd',
        'gzip',
        'none',
      ]),
    )
    .option('--to-stream', 'put the rows on the Kinesis stream instead (the pipeline applies its lateness policy)')
    .option('--stream <name>', 'with --to-stream: stream name (default: $FEATURELAKE_STREAM, then the local stack)')
    .option('--endpoint-url <url>', 'with --to-stream: Kinesis endpoint', httpUrl)
    .option('--rejects <file>', 'write every rejected row (file, line, reason) to this JSONL file')
    .addOption(stateDirOption())
    .option('--no-progress', 'no progress bar on stderr')
    .action((files: string[], options: ImportCommandOptions) => importCommand(catalog, files, options));
}

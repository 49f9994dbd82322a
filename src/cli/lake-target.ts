/**
 * Which lake `query` and `rollup` work on, from the first place that names
 * one: `--athena` (the deployed environment's workgroup and Glue database),
 * `--lake-dir` (a folder in the lake's layout), else the running local
 * stack's lake bucket, read through the S3 emulator's files.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { deployedLakeSettings, ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { athenaClient, s3Client } from '../aws/clients.js';
import type { Env } from '../aws/env.js';
import type { Catalog, EventSource } from '../features/define.js';
import { glueDatabaseName, type LakeTable, lakeTables } from '../lake/tables.js';
import { athenaCostUsd, athenaEngine } from '../query/athena-engine.js';
import { deleteS3Prefix, directoryStorage, type LakeStorage, s3Storage } from '../query/lake-storage.js';
import { openLocalLake, type QueryResult } from '../query/local-engine.js';
import type { BindOptions } from '../query/sql-library.js';
import { usageError } from './errors.js';
import { type LocalStackInfo, localStackEnv, readLocalStackInfo } from './local-stack-info.js';

export interface LakeTargetFlags {
  athena?: boolean;
  workgroup?: string;
  database?: string;
  /** Lake bucket, for `rollup --athena` (it deletes the hour's files before inserting). */
  bucket?: string;
  lakeDir?: string;
  env?: string;
  stateDir: string;
}

export interface LakeTarget {
  /** For messages: where the query runs. */
  readonly description: string;
  /** The environment whose lake it is (its partitioning, its aggregator's bounds). */
  readonly envName: EnvironmentName;
  /** Athena, or DuckDB on this machine (which also reads local files and writes COPY output). */
  readonly engine: 'athena' | 'local';
  run(sql: string): Promise<QueryResult>;
  deletePrefix(prefix: string): Promise<number>;
  /** The lake's layout in the target's environment, for binding SQL (`{{name.partition}}`). */
  readonly layout: BindOptions;
  /** A one-line summary of what a result cost, for stderr. */
  summary(result: QueryResult): string;
  close(): void;
}

export function environmentName(value: string | undefined): EnvironmentName {
  const name = value ?? 'dev';
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name))
    throw usageError(`--env: unknown environment "${name}" (known: ${ENVIRONMENT_NAMES.join(', ')})`);
  return name as EnvironmentName;
}

/** The lake's tables as an environment partitions them. */
export function tablesFor(
  envName: EnvironmentName,
  sources: readonly EventSource[],
  models: Catalog['models'] = [],
): LakeTable[] {
  // As deployed: the prediction log is partitioned by the catalog's models (lib/config/environments.ts).
  return lakeTables(sources, deployedLakeSettings(ENVIRONMENTS[envName], { models }));
}

/** How an environment's lake is partitioned, for binding SQL. */
export function layoutOf(envName: EnvironmentName): BindOptions {
  return { timePartitioning: ENVIRONMENTS[envName].lake.timePartitioning };
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

/**
 * The running local stack's lake bucket, with its files located for DuckDB.
 * Without a running stack, a usage error: "no lake to <purpose>: <why>; <alternatives>".
 */
export function localStackLake(
  stateDir: string,
  purpose: string,
  alternatives: string,
): { storage: LakeStorage; envName: string; bucket: string; s3: S3Client } {
  const lookup = readLocalStackInfo(stateDir);
  if (lookup.status !== 'running') {
    const why = lookup.status === 'stale' ? `${lookup.path} is stale (its process is not running)` : 'no local stack is running';
    throw usageError(`no lake to ${purpose}: ${why}; ${alternatives}, or start \`featurelake local\``);
  }
  const { info } = lookup;
  return { ...localStackLakeStorage(info), envName: info.env, bucket: info.resources.lakeBucket };
}

/** A running local stack's lake bucket: changes through its S3 emulator, reads from the emulator's files. */
export function localStackLakeStorage(info: LocalStackInfo): { storage: LakeStorage; s3: S3Client } {
  const bucket = info.resources.lakeBucket;
  const s3 = s3Client(localStackEnv(info));
  return {
    s3,
    storage: s3Storage({ s3, bucket, root: path.join(info.s3Directory, bucket), suffix: info.s3ObjectSuffix }),
  };
}

export async function resolveLakeTarget(
  flags: LakeTargetFlags,
  options: {
    /** The catalog's sources: the lake's tables. */
    sources: readonly EventSource[];
    /** The catalog's models: the prediction log's `model=` partitions. */
    models?: Catalog['models'];
    env?: Env;
    onPoll?: (state: string, elapsedMs: number, bytes: number) => void;
  },
): Promise<LakeTarget> {
  const env = options.env ?? process.env;
  if (flags.athena) {
    if (flags.lakeDir) throw usageError('--athena and --lake-dir are exclusive: pick the engine');
    const envName = environmentName(flags.env);
    const workgroup = flags.workgroup ?? (env.FEATURELAKE_ATHENA_WORKGROUP || undefined) ?? `featurelake-${envName}`;
    const database = flags.database ?? (env.FEATURELAKE_GLUE_DATABASE || undefined) ?? glueDatabaseName(envName);
    const bucket = flags.bucket ?? (env.FEATURELAKE_LAKE_BUCKET || undefined);
    const engine = athenaEngine({
      athena: athenaClient(env),
      workgroup,
      database,
      ...(options.onPoll ? { onPoll: options.onPoll } : {}),
    });
    const s3 = s3Client(env);
    return {
      description: `Athena workgroup ${workgroup}, database ${database}`,
      envName,
      engine: 'athena',
      layout: layoutOf(envName),
      run: (sql) => engine.run(sql),
      deletePrefix: (prefix) => {
        if (!bucket)
          throw usageError('the lake bucket is needed to replace rollup files: pass --bucket or set FEATURELAKE_LAKE_BUCKET');
        return deleteS3Prefix(s3, bucket, prefix);
      },
      summary: (r) =>
        `${r.rows.length} rows in ${(r.elapsedMs / 1000).toFixed(1)} s; scanned ${megabytes(r.bytesScanned ?? 0)} (~$${athenaCostUsd(r.bytesScanned ?? 0).toFixed(6)}); query ${r.queryExecutionId}`,
      close() {},
    };
  }

  let storage: LakeStorage;
  let envName: EnvironmentName;
  let description: string;
  if (flags.lakeDir) {
    // A mistyped folder would otherwise be an empty lake: every query "succeeds" with no rows.
    if (!statSync(flags.lakeDir, { throwIfNoEntry: false })?.isDirectory())
      throw usageError(`--lake-dir: ${flags.lakeDir} is not a directory`);
    envName = environmentName(flags.env);
    storage = directoryStorage(path.resolve(flags.lakeDir));
    description = `local DuckDB over ${flags.lakeDir}`;
  } else {
    const local = localStackLake(flags.stateDir, 'query', 'pass --lake-dir DIR, --athena');
    envName = environmentName(flags.env ?? local.envName);
    storage = local.storage;
    description = `local DuckDB over the local stack's bucket ${local.bucket}`;
  }
  const lake = await openLocalLake({ storage, tables: tablesFor(envName, options.sources, options.models) });
  return {
    description,
    envName,
    engine: 'local',
    layout: layoutOf(envName),
    run: (sql) => lake.run(sql),
    deletePrefix: (prefix) => storage.deletePrefix(prefix),
    summary: (r) => {
      const seconds = Math.max(r.elapsedMs, 0.001) / 1000;
      const input =
        r.inputRows === undefined
          ? ''
          : `; ${r.inputRows.toLocaleString('en-US')} rows read from ${r.filesRead === undefined ? 'the lake' : `${r.filesRead} lake files`} (${Math.round(r.inputRows / seconds).toLocaleString('en-US')} rows/s)`;
      const output =
        r.filesWritten === undefined
          ? `${r.rows.length} rows`
          : `${String(r.rows[0]?.rows ?? 0)} rows written to ${r.filesWritten} files`;
      return `${output} in ${r.elapsedMs.toFixed(0)} ms${input} (${description})`;
    },
    close: () => lake.close(),
  };
}

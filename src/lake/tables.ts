/**
 * The lake's tables, as Glue catalogs them and the local DuckDB engine exposes
 * them: one table per event source (named after the source) over
 * `events/<source>/`, and the rollup tables over `rollups/<table>/`. Their
 * names, columns, partition keys and locations come from here alone.
 */
import type { EventSource } from '../features/define.js';
import { type LakeColumn, lakeColumns } from './columns.js';
import { EVENTS_PREFIX, type PartitioningSettings, type PartitionScheme, partitionKeys, partitionSchemeFor } from './layout.js';

export const ROLLUPS_PREFIX = 'rollups/';

export interface PartitionKey {
  readonly name: string;
  readonly type: 'string' | 'int';
}

export interface LakeTable {
  readonly name: string;
  readonly description: string;
  /** Key prefix of the table's files, ending in '/'. */
  readonly prefix: string;
  /** Data columns in file order (partition keys excluded). */
  readonly columns: readonly LakeColumn[];
  /** Partition keys in path order. */
  readonly partitionKeys: readonly PartitionKey[];
  /**
   * 'events': written by the lake writer and the importer, partitions projected; 'rollup': derived by a
   * scheduled job (INSERT INTO, or the drift job's Parquet), partitions registered by it.
   */
  readonly kind: 'events' | 'rollup';
  /** The source of an events table, with its partition scheme. */
  readonly source?: EventSource;
  readonly scheme?: PartitionScheme;
}

/** The Glue database of an environment. */
export function glueDatabaseName(envName: string): string {
  return `featurelake_${envName}`;
}

/**
 * Seed 003's hourly batch job: clickstream activity per hour and
 * (event type, category, device). Filled by athena/rollup_clickstream_hourly.sql.
 */
export const CLICKSTREAM_HOURLY: LakeTable = {
  name: 'clickstream_hourly',
  description: 'Hourly clickstream rollup per event type, category and device (seed 003 hourly batch).',
  prefix: `${ROLLUPS_PREFIX}clickstream_hourly/`,
  kind: 'rollup',
  columns: [
    { name: 'event_type', type: 'string', nullable: false, description: 'page_view, click, add_to_cart or purchase.' },
    { name: 'category', type: 'string', nullable: true, description: 'Product category (null when the event had none).' },
    { name: 'device', type: 'string', nullable: true, description: 'mobile, desktop or tablet (null when unknown).' },
    { name: 'events', type: 'bigint', nullable: false, description: 'Events in the hour.' },
    { name: 'users', type: 'bigint', nullable: false, description: 'Distinct users in the hour.' },
    { name: 'sessions', type: 'bigint', nullable: false, description: 'Distinct sessions in the hour.' },
    { name: 'revenue', type: 'double', nullable: false, description: 'Sum of purchase prices (0 without purchases).' },
  ],
  partitionKeys: [
    { name: 'dt', type: 'string' },
    { name: 'hr', type: 'int' },
  ],
};

export const ROLLUP_TABLES: readonly LakeTable[] = [CLICKSTREAM_HOURLY];

/**
 * Drift monitoring's results (src/drift/): one row per model, input (or the score) and
 * window measured, written as Parquet by the drift job and `featurelake drift`; the job
 * registers each day's partition. Partitioned by the UTC day the window ends in.
 */
export const DRIFT_TABLE: LakeTable = {
  name: 'drift',
  description: "Drift of each model input and score against the serving version's training distribution (drift job).",
  prefix: `${ROLLUPS_PREFIX}drift/`,
  kind: 'rollup',
  columns: [
    { name: 'run_at', type: 'timestamp', nullable: false, description: 'When the drift was measured.' },
    { name: 'window_start', type: 'timestamp', nullable: false, description: 'Predictions from (inclusive).' },
    { name: 'window_end', type: 'timestamp', nullable: false, description: 'Predictions until (exclusive).' },
    { name: 'model', type: 'string', nullable: false, description: 'Model name.' },
    { name: 'version', type: 'string', nullable: false, description: "The version measured: current's when it ran." },
    { name: 'feature', type: 'string', nullable: false, description: "The input's name, or __score__ for the score." },
    { name: 'kind', type: 'string', nullable: false, description: 'numeric, categorical or score.' },
    { name: 'n', type: 'bigint', nullable: false, description: 'Non-shadow predictions of the version in the window.' },
    { name: 'nulls', type: 'bigint', nullable: false, description: 'Of them, without a value for this input.' },
    { name: 'ks', type: 'double', nullable: true, description: 'Kolmogorov–Smirnov statistic (numeric, score).' },
    { name: 'psi', type: 'double', nullable: true, description: 'Population stability index (missing values as a bin).' },
    { name: 'chi2', type: 'double', nullable: true, description: 'Chi-square statistic (categorical).' },
    { name: 'p_value', type: 'double', nullable: true, description: 'Chi-square p-value (categorical).' },
    { name: 'threshold_psi', type: 'double', nullable: false, description: 'PSI above this is drift.' },
    { name: 'threshold_ks', type: 'double', nullable: true, description: 'KS above this is drift.' },
    { name: 'threshold_p', type: 'double', nullable: true, description: 'A chi-square p-value below this is drift.' },
    { name: 'judged', type: 'boolean', nullable: false, description: "n reached the model's minimum count." },
    { name: 'breached', type: 'boolean', nullable: false, description: 'Judged and past a threshold.' },
  ],
  partitionKeys: [{ name: 'dt', type: 'string' }],
};

/** Every table of the lake for these sources and partitioning settings. */
export function lakeTables(sources: readonly EventSource[], settings: PartitioningSettings): LakeTable[] {
  return [
    ...sources.map((source): LakeTable => {
      const scheme = partitionSchemeFor(source.name, settings);
      return {
        name: source.name,
        description: source.description,
        prefix: `${EVENTS_PREFIX}${source.name}/`,
        columns: lakeColumns(source),
        partitionKeys: partitionKeys(scheme),
        kind: 'events',
        source,
        scheme,
      };
    }),
    ...ROLLUP_TABLES,
    DRIFT_TABLE,
  ];
}

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
  /** 'events': written by the lake writer and the importer, partitions projected; 'rollup': filled by INSERT INTO. */
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
  ];
}

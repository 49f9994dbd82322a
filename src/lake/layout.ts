/**
 * Where things live in the lake bucket: one definition for the lake writer,
 * the bulk importer, the Glue tables' partition projection and the local
 * query engine.
 *
 *   events/<source>/dt=YYYY-MM-DD/hr=HH/<shard id>-<first seq>-<last seq>.parquet   (stream)
 *   events/<source>/dt=YYYY-MM-DD/hr=HH/import-<run>-<n>.parquet                    (bulk import)
 *   events/predictions/model=<model>/dt=…/hr=…/…                                    (partitioned by model)
 *
 * Partitions are Hive-style and in UTC, taken from each event's event time.
 * With `date` partitioning the hr= level is absent.
 */

export const EVENTS_PREFIX = 'events/';

/** Compaction manifests (src/lake/compaction.ts): outside every table's location, so no query reads them. */
export const COMPACTION_PREFIX = '_compaction/';

/** How event time splits the lake: a partition per day, or per hour. */
export const TIME_PARTITIONINGS = ['date', 'hour'] as const;
export type TimePartitioning = (typeof TIME_PARTITIONINGS)[number];

export interface PartitionScheme {
  readonly time: TimePartitioning;
  /** An extra leading partition from an event field, e.g. { key: 'model', field: 'model_name' }. */
  readonly byField?: { readonly key: string; readonly field: string };
}

/** Partition columns in path order, as Glue and DuckDB see them. */
export function partitionKeys(scheme: PartitionScheme): { name: string; type: 'string' | 'int' }[] {
  return [
    ...(scheme.byField ? [{ name: scheme.byField.key, type: 'string' as const }] : []),
    { name: 'dt', type: 'string' as const },
    ...(scheme.time === 'hour' ? [{ name: 'hr', type: 'int' as const }] : []),
  ];
}

/** The partition directory of an event: `events/<source>/[key=value/]dt=…/[hr=…/]`. */
export function partitionPath(
  source: string,
  scheme: PartitionScheme,
  eventTimeMs: number,
  data?: Readonly<Record<string, unknown>>,
): string {
  const iso = new Date(eventTimeMs).toISOString();
  const parts = [`${EVENTS_PREFIX}${source}`];
  if (scheme.byField)
    parts.push(`${scheme.byField.key}=${encodePartitionValue(String(data?.[scheme.byField.field] ?? '__null__'))}`);
  parts.push(`dt=${iso.slice(0, 10)}`);
  if (scheme.time === 'hour') parts.push(`hr=${iso.slice(11, 13)}`);
  return `${parts.join('/')}/`;
}

/** Hive partition values may not contain '/'; escape it and '%' like Hive does. */
function encodePartitionValue(value: string): string {
  return value.replace(/[%/=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** A stream file's key: deterministic from the shard and the sequence numbers it holds, so a retry overwrites. */
export function streamObjectKey(partition: string, shardId: string, firstSequence: string, lastSequence: string): string {
  return `${partition}${shardId}-${firstSequence}-${lastSequence}.parquet`;
}

/** The shard and sequence range of a stream file's key, or undefined for other files (imports). */
export function parseStreamObjectKey(key: string): { shardId: string; firstSequence: string; lastSequence: string } | undefined {
  const match = /\/(shardId-[^/-]+)-(\d+)-(\d+)\.parquet$/.exec(key);
  if (!match) return undefined;
  return { shardId: match[1] as string, firstSequence: match[2] as string, lastSequence: match[3] as string };
}

/** A bulk-import file's key: deterministic from the import run and a counter, so re-running an import overwrites. */
export function importObjectKey(partition: string, runId: string, index: number): string {
  return `${partition}import-${runId}-${String(index).padStart(5, '0')}.parquet`;
}

/** The lake settings that decide partitioning (lib/config/environments.ts `lake`). */
export interface PartitioningSettings {
  readonly timePartitioning: TimePartitioning;
  /** When set, predictions are also partitioned by model (Athena projects this list). */
  readonly predictionModels?: readonly string[];
}

/** How a source is partitioned in this environment: the one rule the writer, the importer and the Glue tables share. */
export function partitionSchemeFor(sourceName: string, settings: PartitioningSettings): PartitionScheme {
  const byModel = sourceName === 'predictions' && (settings.predictionModels?.length ?? 0) > 0;
  return {
    time: settings.timePartitioning,
    ...(byModel ? { byField: { key: 'model', field: 'model_name' } } : {}),
  };
}

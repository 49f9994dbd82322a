/**
 * How a batch source's latest values of one entity are stored in the online
 * table, beside the entity's tiles (src/online-store/tile-item.ts):
 *
 *   pk      "<entity>#<entity id>"            the same partition as the entity's tiles
 *   sk      "batch#<source>"                  a tile's sk is "<view>#<hop digits>#…": a name never
 *                                             followed by digits cannot collide with it
 *   f       map: feature → value (null when the row had none)
 *   fresh   the row's as-of time, epoch ms (the features' freshness)
 *   run     the ingest run that wrote it (hash of source, file and upload time)
 *
 * No TTL: attributes stay until a newer row replaces them. A write is
 * conditional on (fresh, run) being greater than the stored pair, so an older
 * file never overwrites newer values and re-ingesting a file writes nothing.
 */

import type { FeatureValues } from '../domain/feature-vector.js';
import type { BatchSource } from '../features/batch-source.js';
import type { FeatureValue } from '../features/kinds/index.js';
import { entityPartitionKey, FRESHNESS_ATTRIBUTE, type TileKey } from '../online-store/tile-item.js';

export const BATCH_SORT_PREFIX = 'batch#';
export const BATCH_VALUES_ATTRIBUTE = 'f';
export const BATCH_RUN_ATTRIBUTE = 'run';
export { FRESHNESS_ATTRIBUTE };

export function batchKey(source: BatchSource, entityId: string): TileKey {
  return { pk: entityPartitionKey(source.entity, entityId), sk: `${BATCH_SORT_PREFIX}${source.name}` };
}

/** The served values of a stored item (or the empty answer, all null, for an entity without one). */
export function batchValuesFromItem(source: BatchSource, item: Record<string, unknown> | undefined): FeatureValues {
  const stored = item?.[BATCH_VALUES_ATTRIBUTE] as Record<string, FeatureValue> | undefined;
  const fresh = item?.[FRESHNESS_ATTRIBUTE];
  const asOf = stored && typeof fresh === 'number' ? new Date(fresh).toISOString() : null;
  const features: Record<string, FeatureValue> = {};
  const freshness: Record<string, string | null> = {};
  for (const name of source.features) {
    features[name] = stored?.[name] ?? null;
    freshness[name] = asOf;
  }
  return { features, freshness };
}

/** The values a row serves: each feature column, null when the row has none. */
export function servedValues(source: BatchSource, data: Readonly<Record<string, unknown>>): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  for (const name of source.features) out[name] = (data[name] ?? null) as FeatureValue;
  return out;
}

/**
 * Partition key of a line: the entity key of its source (`user_id` for
 * clickstream), read from the catalog, so all events of an entity go to one
 * shard and the aggregator sees them together. Lines without one (not JSON,
 * unknown source, missing key) get a hash of the line: stable, and spread
 * evenly over the shards.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from '../../features/define.js';

/** Kinesis partition keys are 1–256 Unicode characters. */
const MAX_KEY_LENGTH = 256;

/** Source name → the key field of the entity its feature views describe. */
export type EntityKeyFields = ReadonlyMap<string, string>;

const keyFieldsByCatalog = new WeakMap<Catalog, EntityKeyFields>();

/** The entity key field of each source of a catalog that a feature view reads (computed once per catalog). */
export function entityKeyFields(catalog: Catalog): EntityKeyFields {
  let fields = keyFieldsByCatalog.get(catalog);
  if (!fields) {
    fields = new Map(catalog.featureViews.map((v) => [v.source.name, v.entity.keyField]));
    keyFieldsByCatalog.set(catalog, fields);
  }
  return fields;
}

/** The entity key of a parsed event, if it has one that can serve as a partition key. */
export function entityKey(event: unknown, keyFields: EntityKeyFields): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const record = event as Record<string, unknown>;
  const field = typeof record.source === 'string' ? keyFields.get(record.source) : undefined;
  const value = field === undefined ? undefined : record[field];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const key = String(value);
  return key.length > 0 && key.length <= MAX_KEY_LENGTH ? key : undefined;
}

export function hashKey(line: string): string {
  return createHash('sha1').update(line).digest('hex');
}

/** `parsed` is the line's JSON value, or undefined when the line is not JSON. */
export function partitionKeyFor(line: string, parsed: unknown, keyFields: EntityKeyFields): string {
  return entityKey(parsed, keyFields) ?? hashKey(line);
}

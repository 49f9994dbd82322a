/**
 * The online read: each requested view's head (its open tiles, head-item.ts),
 * the closed tile items its windows need, and the entity's item of each
 * requested batch source (src/batch/batch-item.ts), in one batched, projected
 * DynamoDB read (BatchGetItem, ≤ 100 keys a call, chunks in parallel), then
 * the window arithmetic of domain/feature-vector.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_VALUES_ATTRIBUTE, batchKey, batchValuesFromItem } from '../batch/batch-item.js';
import { evaluateView, type FeatureValues, tilesToRead } from '../domain/feature-vector.js';
import { tileStartMs } from '../domain/windows.js';
import type { BatchSource } from '../features/batch-source.js';
import { type FeatureView, LIFETIME_HOP_SECONDS } from '../features/define.js';
import { batchGetAll } from './batch-get.js';
import { HEAD_ATTRIBUTE, hasSketches, headFromItem, headKey, isSketch, SKETCH_SUFFIX } from './head-item.js';
import { FRESHNESS_ATTRIBUTE, KEY, STATES_ATTRIBUTE, statesFromItem, type TileKey, tileKey } from './tile-item.js';

export interface FeatureReaderOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Feature values of one entity for each of `views` and `batchSources` (all of the same entity type)
 * at `nowMs`, by view or batch source name. A batch source's features are its latest row's values,
 * each with the row's as-of time as freshness (all null for an entity without a row).
 */
export async function readFeatures(
  entityId: string,
  views: readonly FeatureView[],
  nowMs: number,
  store: FeatureReaderOptions,
  batchSources: readonly BatchSource[] = [],
): Promise<Record<string, FeatureValues>> {
  const [values] = await readFeaturesOfEntities([entityId], views, nowMs, store, batchSources);
  return values as Record<string, FeatureValues>;
}

/**
 * `readFeatures` for several entities of one type at the same `nowMs`, one result per id in the order
 * given (a repeated id is read once and answered at each place). Every key of every entity goes into
 * the same batched read: BatchGetItem calls of ≤ 100 keys, all issued at once (batch-get.ts), so a
 * request costs one round trip whatever the number of entities.
 */
export async function readFeaturesOfEntities(
  entityIds: readonly string[],
  views: readonly FeatureView[],
  nowMs: number,
  { doc, tableName }: FeatureReaderOptions,
  batchSources: readonly BatchSource[] = [],
): Promise<Record<string, FeatureValues>[]> {
  const unique = [...new Set(entityIds)];
  const keysOf = new Map(unique.map((entityId) => [entityId, readKeys(entityId, views, batchSources, nowMs)]));
  const byKey = new Map<string, Record<string, unknown>>();
  const item = (key: TileKey) => byKey.get(itemKey(key.pk, key.sk));
  const values = new Map<string, Record<string, FeatureValues>>();
  // An entity is evaluated as soon as every chunk holding its keys is answered (its keys share its
  // partition key), so the window arithmetic of early chunks overlaps the wait for the slowest one.
  const entityOfPk = new Map<string, string>();
  // Keys of each entity not yet answered (each asked once: batchGetAll drops repeats).
  const pendingKeys = new Map<string, number>();
  for (const [entityId, keys] of keysOf) {
    const pk = keys[0]?.pk;
    if (pk === undefined) continue;
    entityOfPk.set(pk, entityId);
    pendingKeys.set(pk, new Set(keys.map((k) => k.sk)).size);
  }
  const evaluate = (entityId: string) => {
    if (!values.has(entityId)) values.set(entityId, evaluateEntity(entityId, views, batchSources, nowMs, item));
  };
  const keys = [...keysOf.values()].flat();
  await batchGetAll(doc, keys, {
    tableName,
    projection:
      batchSources.length > 0 ? `${KEY.partition}, ${KEY.sort}, #a, #o, #f, #fresh` : `${KEY.partition}, ${KEY.sort}, #a, #o`,
    names:
      batchSources.length > 0
        ? { '#a': STATES_ATTRIBUTE, '#o': HEAD_ATTRIBUTE, '#f': BATCH_VALUES_ATTRIBUTE, '#fresh': FRESHNESS_ATTRIBUTE }
        : { '#a': STATES_ATTRIBUTE, '#o': HEAD_ATTRIBUTE },
    onChunk: (part, items) => {
      for (const found of items) byKey.set(itemKey(found[KEY.partition] as string, found[KEY.sort] as string), found);
      for (const { pk } of part) {
        const left = (pendingKeys.get(pk) ?? 1) - 1;
        pendingKeys.set(pk, left);
        const entityId = entityOfPk.get(pk);
        if (left === 0 && entityId !== undefined) evaluate(entityId);
      }
    },
  });
  for (const entityId of unique) evaluate(entityId);
  return entityIds.map((entityId) => values.get(entityId) as Record<string, FeatureValues>);
}

/** Every key one entity's read needs: each view's (featureKeys) and one per batch source. */
export function readKeys(
  entityId: string,
  views: readonly FeatureView[],
  batchSources: readonly BatchSource[],
  nowMs: number,
): TileKey[] {
  return [
    ...views.flatMap((view) => featureKeys(view, entityId, nowMs)),
    ...batchSources.map((source) => batchKey(source, entityId)),
  ];
}

const itemKey = (pk: string, sk: string) => `${pk}\u0000${sk}`;

function evaluateEntity(
  entityId: string,
  views: readonly FeatureView[],
  batchSources: readonly BatchSource[],
  nowMs: number,
  item: (key: TileKey) => Record<string, unknown> | undefined,
): Record<string, FeatureValues> {
  const result: Record<string, FeatureValues> = {};
  for (const view of views) {
    const head = headFromItem(view, item(headKey(view, entityId)));
    const sketches = hasSketches(view);
    result[view.name] = evaluateView(view, nowMs, (hopSeconds, startMs) => {
      const key = tileKey(view, entityId, hopSeconds, startMs);
      const s = startMs / 1000;
      // A closed tile's item holds what the head closed and every late event since: it wins over the head's copy.
      const tile = item(key);
      const inHead =
        head.closed.find((t) => t.h === hopSeconds && t.s === s) ?? head.open.find((t) => t.h === hopSeconds && t.s === s);
      const ordinary = tile ? statesFromItem(view, tile) : inHead?.states;
      const sketchItem = sketches ? item({ pk: key.pk, sk: key.sk + SKETCH_SUFFIX }) : undefined;
      if (!sketchItem) return ordinary;
      const sketch = statesFromItem(view, sketchItem);
      return view.aggregations.map((agg, i) => (isSketch(agg) ? sketch[i] : ordinary?.[i]));
    });
  }
  for (const source of batchSources) {
    result[source.name] = batchValuesFromItem(source, item(batchKey(source, entityId)));
  }
  return result;
}

/**
 * The keys a view's windows need at `nowMs`: its head, and the item of every tile they read except the
 * newest of each hop and the lifetime tile, which only the head holds (an item exists only for a tile a
 * newer one of its hop has closed); with sketches, every tile's sketch tile.
 */
export function featureKeys(view: FeatureView, entityId: string, nowMs: number): TileKey[] {
  const refs = tilesToRead(view, nowMs);
  const keys: TileKey[] = [headKey(view, entityId)];
  for (const ref of refs) {
    const key = tileKey(view, entityId, ref.hopSeconds, ref.startMs);
    const current = ref.hopSeconds === LIFETIME_HOP_SECONDS || ref.startMs === tileStartMs(nowMs, ref.hopSeconds);
    if (!current) keys.push(key);
  }
  if (hasSketches(view)) {
    for (const ref of refs) {
      const key = tileKey(view, entityId, ref.hopSeconds, ref.startMs);
      keys.push({ pk: key.pk, sk: key.sk + SKETCH_SUFFIX });
    }
  }
  return keys;
}

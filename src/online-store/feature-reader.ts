/**
 * The online read: every tile the requested views need, and the entity's item
 * of each requested batch source (src/batch/batch-item.ts), in one batched,
 * projected DynamoDB read (BatchGetItem, ≤ 100 keys a call, chunks in
 * parallel), then the window arithmetic of domain/feature-vector.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_VALUES_ATTRIBUTE, batchKey, batchValuesFromItem } from '../batch/batch-item.js';
import { evaluateView, type FeatureValues, tilesToRead } from '../domain/feature-vector.js';
import type { BatchSource } from '../features/batch-source.js';
import type { FeatureView } from '../features/define.js';
import { batchGetAll } from './batch-get.js';
import { FRESHNESS_ATTRIBUTE, KEY, STATES_ATTRIBUTE, statesFromItem, tileKey } from './tile-item.js';

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
  { doc, tableName }: FeatureReaderOptions,
  batchSources: readonly BatchSource[] = [],
): Promise<Record<string, FeatureValues>> {
  const keys = [
    ...views.flatMap((view) => tilesToRead(view, nowMs).map((ref) => tileKey(view, entityId, ref.hopSeconds, ref.startMs))),
    ...batchSources.map((source) => batchKey(source, entityId)),
  ];
  const items = await batchGetAll(doc, keys, {
    tableName,
    projection: batchSources.length > 0 ? `${KEY.sort}, #a, #f, #fresh` : `${KEY.sort}, #a`,
    names:
      batchSources.length > 0
        ? { '#a': STATES_ATTRIBUTE, '#f': BATCH_VALUES_ATTRIBUTE, '#fresh': FRESHNESS_ATTRIBUTE }
        : { '#a': STATES_ATTRIBUTE },
  });
  const bySortKey = new Map(items.map((item) => [item[KEY.sort] as string, item]));
  const result: Record<string, FeatureValues> = {};
  for (const view of views) {
    result[view.name] = evaluateView(view, nowMs, (hopSeconds, startMs) => {
      const item = bySortKey.get(tileKey(view, entityId, hopSeconds, startMs).sk);
      return item ? statesFromItem(view, item) : undefined;
    });
  }
  for (const source of batchSources) {
    result[source.name] = batchValuesFromItem(source, bySortKey.get(batchKey(source, entityId).sk));
  }
  return result;
}

/**
 * The online read: every tile the requested views need, in one batched,
 * projected DynamoDB read (BatchGetItem, ≤ 100 keys a call, chunks in
 * parallel), then the window arithmetic of domain/feature-vector.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { evaluateView, type FeatureValues, tilesToRead } from '../domain/feature-vector.js';
import type { FeatureView } from '../features/define.js';
import { batchGetAll } from './batch-get.js';
import { KEY, STATES_ATTRIBUTE, statesFromItem, tileKey } from './tile-item.js';

export interface FeatureReaderOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Feature values of one entity for each of `views` (all of the same entity type) at `nowMs`. */
export async function readFeatures(
  entityId: string,
  views: readonly FeatureView[],
  nowMs: number,
  { doc, tableName }: FeatureReaderOptions,
): Promise<Record<string, FeatureValues>> {
  const keys = views.flatMap((view) =>
    tilesToRead(view, nowMs).map((ref) => tileKey(view, entityId, ref.hopSeconds, ref.startMs)),
  );
  const items = await batchGetAll(doc, keys, {
    tableName,
    projection: `${KEY.sort}, #a`,
    names: { '#a': STATES_ATTRIBUTE },
  });
  const bySortKey = new Map(items.map((item) => [item[KEY.sort] as string, item]));
  const result: Record<string, FeatureValues> = {};
  for (const view of views) {
    result[view.name] = evaluateView(view, nowMs, (hopSeconds, startMs) => {
      const item = bySortKey.get(tileKey(view, entityId, hopSeconds, startMs).sk);
      return item ? statesFromItem(view, item) : undefined;
    });
  }
  return result;
}

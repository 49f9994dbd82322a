/**
 * How a tile is laid out as a DynamoDB item (docs/online-store.md):
 *
 *   pk      "<entity>#<entity id>"                 e.g. user#user_000042
 *   sk      "<view>#<hop s>#<tile start s, 12 digits>"
 *   a       map: aggregation name → its kind's encoded state (src/features/kinds/: {n, t, …})
 *   v       version, +1 on every write (optimistic concurrency)
 *   wm#<shard id>  highest sequence number applied from that shard (64-digit, zero-padded)
 *   fresh   newest event time in the tile (epoch ms)
 *   ttl     expiry, epoch seconds: tile end + the view's ttl
 *
 * Since the cost-aware write path, a tile item holds a closed tile's ordinary
 * aggregations (the open tiles live in the view's head item, head-item.ts),
 * and a sketch tile (sk + "#k") the sketch aggregations of any tile.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type Aggregation, type FeatureView, LIFETIME_HOP_SECONDS } from '../features/define.js';
import { type AggregationState, opsOf } from '../features/kinds/index.js';

export const KEY = { partition: 'pk', sort: 'sk' } as const;

/**
 * A CreateTable request for an online table of this layout (string pk and sk, on demand), as
 * lib/constructs/online-store.ts declares it: for tests and benchmarks that make a table of their own.
 */
export function onlineTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: KEY.partition, KeyType: 'HASH' },
      { AttributeName: KEY.sort, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: KEY.partition, AttributeType: 'S' },
      { AttributeName: KEY.sort, AttributeType: 'S' },
    ],
  };
}
export const TTL_ATTRIBUTE = 'ttl';
export const STATES_ATTRIBUTE = 'a';
export const VERSION_ATTRIBUTE = 'v';
export const FRESHNESS_ATTRIBUTE = 'fresh';

export interface TileKey {
  readonly pk: string;
  readonly sk: string;
}

export function watermarkAttribute(shardId: string): string {
  return `wm#${shardId}`;
}

/** The partition key of every item of one entity (its heads and tiles; src/batch/batch-item.ts spells the same): "<entity>#<entity id>". */
export function entityPartitionKey(entity: { readonly name: string }, entityId: string): string {
  return `${entity.name}#${entityId}`;
}

export function tileKey(view: FeatureView, entityId: string, hopSeconds: number, startMs: number): TileKey {
  return {
    pk: entityPartitionKey(view.entity, entityId),
    sk: `${view.name}#${hopSeconds}#${String(Math.floor(startMs / 1000)).padStart(12, '0')}`,
  };
}

/** Epoch seconds at which DynamoDB may delete the tile: its end plus the view's ttl; a lifetime tile never expires. */
export function tileExpiresAt(view: FeatureView, hopSeconds: number, startMs: number): number | undefined {
  if (hopSeconds === LIFETIME_HOP_SECONDS) return undefined;
  return Math.floor(startMs / 1000) + hopSeconds + view.ttlSeconds;
}

/** Aggregation states of a stored item, aligned with the view's aggregations (missing → undefined). */
export function statesFromItem(view: FeatureView, item: Record<string, unknown> | undefined): (AggregationState | undefined)[] {
  const stored = (item?.[STATES_ATTRIBUTE] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return view.aggregations.map((agg) => {
    const state = stored[agg.name];
    return state === undefined ? undefined : opsOf(agg).decode(state);
  });
}

/** The states as the item's `a` map; `keep` chooses the aggregations stored (all by default). */
export function statesToAttribute(
  view: FeatureView,
  states: readonly (AggregationState | undefined)[],
  keep: (aggregation: Aggregation) => boolean = () => true,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  view.aggregations.forEach((agg, i) => {
    const state = states[i];
    if (state && state.n > 0 && keep(agg)) out[agg.name] = opsOf(agg).encode(state);
  });
  return out;
}

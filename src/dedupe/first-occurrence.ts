/**
 * `dedupeBy`: a producer that puts the same event twice (a PutRecords that
 * timed out but had succeeded, then retried) must count once. For a source
 * that names an event-id field, each stream consumer keeps only the first
 * occurrence of an id it sees within the source's horizon, by a marker item in
 * the online table per (source, id, consumer):
 *
 *   pk  "dedupe#<source>#<id>"   sk  "<consumer>"   at  "<shard>:<sequence>" of the first occurrence   ttl
 *
 * put with `attribute_not_exists(pk) OR at = :at OR ttl < :now`: the first
 * occurrence's put lands; a retry, bisection or replay of that same record
 * finds its own sequence there and is kept again (the consumer's own
 * exactly-once machinery then skips what it already applied); a later
 * occurrence finds another's and is dropped. Within one batch the earliest
 * sequence is the first occurrence. After the horizon (the marker's TTL) a
 * repeat counts again.
 *
 * Cost: one conditional PutItem (1 write unit: the item is well under 1 KB)
 * per event of such a source, per consumer — the aggregator and the lake
 * writer, so 2 write units per event, on top of the aggregation's. Worth it
 * where producers retry blindly; a source without `dedupeBy` pays nothing.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrent } from '../domain/concurrency.js';
import { parseDuration } from '../domain/duration.js';
import type { ValidEvent } from '../domain/records.js';
import type { EventSource } from '../features/define.js';
import { KEY, TTL_ATTRIBUTE } from '../online-store/tile-item.js';

export interface DedupeOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Whose markers: each consumer deduplicates on its own ('aggregator', 'lake-writer'). */
  readonly consumer: string;
  /** PutItem calls in flight. @default 32 */
  readonly concurrency?: number;
}

export const MARKER_PREFIX = 'dedupe#';

/** The sources of a catalog that deduplicate, by name. */
export function dedupingSources(sources: readonly EventSource[]): Map<string, EventSource> {
  return new Map(sources.filter((s) => s.dedupeBy).map((s) => [s.name, s]));
}

export function markerKey(source: string, id: string, consumer: string): { pk: string; sk: string } {
  return { [KEY.partition]: `${MARKER_PREFIX}${source}#${id}`, [KEY.sort]: consumer } as { pk: string; sk: string };
}

/**
 * The sequence numbers (padded) of the events of `events` that repeat an earlier occurrence within
 * their source's horizon: the events to drop. Events of other sources are never in it. Throws when
 * a marker cannot be written (the batch must be retried before anything of it is applied).
 */
export async function repeatedEvents(
  events: readonly ValidEvent[],
  sources: ReadonlyMap<string, EventSource>,
  options: DedupeOptions,
): Promise<Set<string>> {
  const repeated = new Set<string>();
  // Per (source, id): the earliest occurrence in the batch is the candidate, the others repeat it.
  const first = new Map<string, ValidEvent>();
  for (const event of events) {
    const source = sources.get(event.source);
    if (!source?.dedupeBy) continue;
    const id = event.data[source.dedupeBy.field];
    if (id === undefined || id === null) continue;
    const key = `${event.source}\u0000${String(id)}`;
    const seen = first.get(key);
    if (!seen) first.set(key, event);
    else if (event.sequence < seen.sequence) {
      repeated.add(seen.sequence);
      first.set(key, event);
    } else repeated.add(event.sequence);
  }
  await forEachConcurrent([...first.values()], options.concurrency ?? 32, async (event) => {
    const source = sources.get(event.source) as EventSource;
    const dedupe = source.dedupeBy as NonNullable<EventSource['dedupeBy']>;
    const at = `${event.record.shardId}:${event.sequence}`;
    const arrivalSeconds = Math.floor(event.record.arrivalTimeMs / 1000);
    try {
      await options.doc.send(
        new PutCommand({
          TableName: options.tableName,
          Item: {
            ...markerKey(source.name, String(event.data[dedupe.field]), options.consumer),
            at,
            [TTL_ATTRIBUTE]: arrivalSeconds + parseDuration(dedupe.horizon),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #at = :at OR #ttl < :arrival',
          ExpressionAttributeNames: { '#pk': KEY.partition, '#at': 'at', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':at': at, ':arrival': arrivalSeconds },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        repeated.add(event.sequence);
        return;
      }
      throw error;
    }
  });
  return repeated;
}

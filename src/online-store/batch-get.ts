/**
 * BatchGetItem over any number of keys: chunks of 100 sent in parallel (one
 * round trip in latency terms, however many chunks), and UnprocessedKeys
 * retried with backoff until none are left. A key given twice is asked once:
 * DynamoDB refuses a call whose keys repeat.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunk } from '../domain/collections.js';
import { sleep } from '../domain/concurrency.js';
import type { TileKey } from './tile-item.js';

export interface BatchGetOptions {
  readonly tableName: string;
  readonly consistentRead?: boolean;
  readonly projection?: string;
  readonly names?: Record<string, string>;
  /** Attempts per chunk for keys DynamoDB leaves unprocessed. @default 8 */
  readonly maxAttempts?: number;
  /**
   * Told of each chunk once all its keys are answered, with its keys and the items found: the caller
   * can work on them while the other chunks are still out. @default - none
   */
  readonly onChunk?: (keys: readonly TileKey[], items: readonly Record<string, unknown>[]) => void;
}

/** DynamoDB's limit per BatchGetItem call. */
export const MAX_KEYS_PER_CALL = 100;

export async function batchGetAll(
  doc: DynamoDBDocumentClient,
  keys: readonly TileKey[],
  options: BatchGetOptions,
): Promise<Record<string, unknown>[]> {
  const results = await Promise.all(
    batchGetChunks(keys).map(async (part) => {
      const items = await getChunk(doc, part, options);
      options.onChunk?.(part, items);
      return items;
    }),
  );
  return results.flat();
}

/** The calls batchGetAll makes: the keys, each once, in order, cut into chunks of MAX_KEYS_PER_CALL. */
function batchGetChunks(keys: readonly TileKey[]): TileKey[][] {
  const seen = new Set<string>();
  const unique = keys.filter((k) => {
    const id = `${k.pk}\u0000${k.sk}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return chunk(unique, MAX_KEYS_PER_CALL);
}

async function getChunk(doc: DynamoDBDocumentClient, keys: readonly TileKey[], options: BatchGetOptions) {
  const items: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] = keys.map((k) => ({ ...k }));
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > maxAttempts) {
      throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${maxAttempts} attempts`);
    }
    const response = await doc.send(
      new BatchGetCommand({
        RequestItems: {
          [options.tableName]: {
            Keys: pending,
            ConsistentRead: options.consistentRead ?? false,
            ...(options.projection ? { ProjectionExpression: options.projection } : {}),
            ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
          },
        },
      }),
    );
    items.push(...(response.Responses?.[options.tableName] ?? []));
    pending = response.UnprocessedKeys?.[options.tableName]?.Keys ?? [];
    if (pending.length > 0) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
  }
  return items;
}

/**
 * Writes the newest row of each entity to the online table (./batch-item.ts):
 * one conditional PutItem per entity, in parallel. The condition orders
 * writes by (as-of time, run id), so whatever order files arrive in, each
 * entity ends with the newest row; equal pairs (the same file again) are
 * skipped, which makes a re-ingest write nothing and a retried Lambda safe.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrent } from '../domain/concurrency.js';
import type { BatchSource } from '../features/batch-source.js';
import { BATCH_RUN_ATTRIBUTE, BATCH_VALUES_ATTRIBUTE, batchKey, FRESHNESS_ATTRIBUTE, servedValues } from './batch-item.js';
import type { BatchRow } from './rows.js';

export interface OnlineWriteSummary {
  /** Entities whose stored values this run replaced (or created). */
  written: number;
  /** Entities that already held values as new as this run's, or newer: left alone. */
  notNewer: number;
}

export async function writeLatestValues(
  source: BatchSource,
  latest: ReadonlyMap<string, BatchRow>,
  options: {
    readonly doc: DynamoDBDocumentClient;
    readonly tableName: string;
    readonly runId: string;
    /** PutItem calls in flight. @default 16 */
    readonly concurrency?: number;
    /** After each entity, with the number done so far. */
    readonly onProgress?: (done: number) => void;
  },
): Promise<OnlineWriteSummary> {
  const summary: OnlineWriteSummary = { written: 0, notNewer: 0 };
  let done = 0;
  await forEachConcurrent([...latest.values()], options.concurrency ?? 16, async (row) => {
    try {
      await options.doc.send(
        new PutCommand({
          TableName: options.tableName,
          Item: {
            ...batchKey(source, row.entityId),
            [BATCH_VALUES_ATTRIBUTE]: servedValues(source, row.data),
            [FRESHNESS_ATTRIBUTE]: row.asOfMs,
            [BATCH_RUN_ATTRIBUTE]: options.runId,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #fresh < :fresh OR (#fresh = :fresh AND #run < :run)',
          ExpressionAttributeNames: { '#fresh': FRESHNESS_ATTRIBUTE, '#run': BATCH_RUN_ATTRIBUTE },
          ExpressionAttributeValues: { ':fresh': row.asOfMs, ':run': options.runId },
        }),
      );
      summary.written++;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== 'ConditionalCheckFailedException')
        throw error;
      summary.notNewer++;
    }
    options.onProgress?.(++done);
  });
  return summary;
}

/**
 * An online table of a test's own on the emulators, and the check most
 * online-store tests end with: what readFeatures serves for an entity equals
 * the brute-force reference (reference.ts) over that entity's events.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeatureView } from '../../src/features/define.js';
import { type FeatureReaderOptions, readFeatures } from '../../src/online-store/feature-reader.js';
import { onlineTableInput } from '../../src/online-store/tile-item.js';
import { expectFeatures, type ReferenceEvent, referenceFeatures } from './reference.js';

/** Creates an online table of the deployed layout (lib/constructs/online-store.ts). */
export async function createOnlineTable(doc: DynamoDBDocumentClient, tableName: string): Promise<void> {
  await (doc as unknown as DynamoDBClient).send(new CreateTableCommand(onlineTableInput(tableName)));
}

/** Rows as the reference takes them: stream order is the order given; event time from `event_time` by default. */
export function asReferenceEvents(
  rows: readonly object[],
  timeOf: (row: Record<string, unknown>) => number = (row) => Date.parse(row.event_time as string),
): ReferenceEvent[] {
  return rows.map((row, order) => {
    const data = row as Record<string, unknown>;
    return { data, eventTimeMs: timeOf(data), order };
  });
}

/**
 * Asserts the features served for `entityId` of `view` at `nowMs` equal the reference's over the events
 * of `events` whose entity key is `entityId`; answers the reference's features.
 */
export async function expectServedAsReference(
  store: FeatureReaderOptions,
  view: FeatureView,
  entityId: string,
  events: readonly ReferenceEvent[],
  nowMs: number,
  label: string = entityId,
): Promise<Record<string, unknown>> {
  const expected = referenceFeatures(
    view,
    events.filter((e) => e.data[view.entity.keyField] === entityId),
    nowMs,
  );
  const served = (await readFeatures(entityId, [view], nowMs, store))[view.name];
  expectFeatures(served?.features, expected.features, label);
  return expected.features;
}

/**
 * `npm run bench -- units`: DynamoDB write and read units per 1,000 events and
 * per GET /features request, on dynalite, through the real code:
 *
 *  - writes: the aggregator (bench/aggregator.ts measureWriteUnits) for 100,
 *    1,000, 10,000 and 100,000 users at 10,000-event batches (dev and prod)
 *    and 1,000-event batches (the base setting), beside the naive count of one
 *    write per event and tile;
 *  - reads: the feature API's read (the request resolved by parseFeatureRequest
 *    from the example catalog, then readFeatures, as lambdas/feature-api does:
 *    the head and the closed tiles) beside a raw BatchGetItem of the keys the
 *    layout before the head read (every tile of every window), metered alike.
 *
 * Every write setting runs twice, with the layout before the head (the
 * aggregator's `writePath: 'tiles'`) and with the head, on fresh tables.
 *
 * Then the cost model (bench/cost-model.ts) fed with what was measured.
 */
import { dynamoDocumentClient } from '../src/aws/clients.js';
import { tilesToRead } from '../src/domain/feature-vector.js';
import { exampleCatalog } from '../src/features/catalog.js';
import type { Emulators } from '../src/local/emulators.js';
import { batchGetAll } from '../src/online-store/batch-get.js';
import { readFeatures } from '../src/online-store/feature-reader.js';
import { tileKey } from '../src/online-store/tile-item.js';
import { parseFeatureRequest } from '../src/serving/feature-request.js';
import type { CapacityMeter } from './capacity.js';

export interface ReadUnitsResult {
  requests: number;
  views: string[];
  /** Per request, means: keys asked for, items found, BatchGetItem calls, read units (ours and the raw read's). */
  keysPerRequest: number;
  itemsFoundPerRequest: number;
  callsPerRequest: number;
  readUnitsPerRequest: number;
  rawReadUnitsPerRequest: number;
  rawCallsPerRequest: number;
  /** Keys of the raw read: every tile the windows read, as the layout before the head read them. */
  rawKeysPerRequest: number;
  emulatorReadUnitsPerRequest: number;
  /** A user the table has never seen: every key misses and still costs the minimum. */
  unknownUser: { keys: number; readUnits: number };
}

/** Read units of GET /features/user/<id> (all of the user's views, as the API serves by default) for each id. */
export async function measureReadUnits(
  emulators: Emulators,
  tableName: string,
  userIds: readonly string[],
  meter: CapacityMeter,
): Promise<ReadUnitsResult> {
  const doc = dynamoDocumentClient(emulators.env);
  meter.attach(doc);
  const sum = { keys: 0, found: 0, calls: 0, units: 0, raw: 0, rawCalls: 0, rawKeys: 0, emulator: 0 };
  let views: string[] = [];
  const one = async (entityId: string) => {
    const parsed = parseFeatureRequest(exampleCatalog.featureViews, { entityType: 'user', entityId }, null);
    if (!parsed.ok) throw new Error(`GET /features/user/${entityId}: ${JSON.stringify(parsed.error.body)}`);
    const nowMs = Date.now();
    views = parsed.request.views.map((v) => v.name);
    meter.reset();
    await readFeatures(entityId, parsed.request.views, nowMs, { doc, tableName });
    const ours = meter.reset();
    // The baseline: the layout before the head's keys (every tile the windows read) in a raw BatchGetItem
    // (batchGetAll: chunks of 100, unprocessed keys retried, so every key is read and metered).
    const keys = parsed.request.views.flatMap((view) =>
      tilesToRead(view, nowMs).map((ref) => tileKey(view, entityId, ref.hopSeconds, ref.startMs)),
    );
    await batchGetAll(doc, keys, { tableName });
    const raw = meter.reset();
    return { ours, raw, keys: keys.length };
  };
  for (const id of userIds) {
    const { ours, raw, keys } = await one(id);
    sum.rawKeys += keys;
    sum.keys += ours.itemReads;
    sum.found += ours.itemReads - ours.missingReads;
    sum.calls += ours.calls.BatchGetItem ?? 0;
    sum.units += ours.readUnits;
    sum.emulator += ours.emulatorReadUnits;
    sum.raw += raw.readUnits;
    sum.rawCalls += raw.calls.BatchGetItem ?? 0;
  }
  const unknown = await one('user_never_seen');
  const n = userIds.length;
  return {
    requests: n,
    views,
    keysPerRequest: sum.keys / n,
    itemsFoundPerRequest: sum.found / n,
    callsPerRequest: sum.calls / n,
    readUnitsPerRequest: sum.units / n,
    rawReadUnitsPerRequest: sum.raw / n,
    rawCallsPerRequest: sum.rawCalls / n,
    rawKeysPerRequest: sum.rawKeys / n,
    emulatorReadUnitsPerRequest: sum.emulator / n,
    unknownUser: { keys: unknown.keys, readUnits: unknown.ours.readUnits },
  };
}

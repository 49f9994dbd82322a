/**
 * The multi-entity read is one round trip: every key of every entity goes into BatchGetItem calls of
 * at most 100 keys, all sent before the first answers, no key twice; keys DynamoDB leaves unprocessed
 * are asked again. On dynalite, through a wrapper around the real client that watches (and, for the
 * retry, injects UnprocessedKeys).
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDocumentClient } from '../../src/aws/clients.js';
import { userClickstream } from '../../src/features/catalog.js';
import { batchGetAll, MAX_KEYS_PER_CALL } from '../../src/online-store/batch-get.js';
import { featureKeys, readFeatures, readFeaturesOfEntities } from '../../src/online-store/feature-reader.js';
import { onlineTableInput, type TileKey } from '../../src/online-store/tile-item.js';
import { useEmulators } from '../support/emulators.js';

const tableName = 'entities-read';
let doc: DynamoDBDocumentClient;
useEmulators('featurelake-entities-read-', async (emulators) => {
  doc = dynamoDocumentClient(emulators.env);
  await doc.send(new CreateTableCommand(onlineTableInput(tableName)));
});

interface Watch {
  calls: TileKey[][];
  maxInFlight: number;
  /** Calls sent after the first one answered. */
  sentAfterFirstAnswer: number;
}

/** The real client, watched; `unprocessed` keys of a call are withheld from it once and reported back. */
function watched(unprocessed?: (keys: TileKey[]) => TileKey[]): { client: DynamoDBDocumentClient; watch: Watch } {
  const watch: Watch = { calls: [], maxInFlight: 0, sentAfterFirstAnswer: 0 };
  let inFlight = 0;
  let answered = 0;
  const withheld = new Set<string>();
  const id = (k: TileKey) => `${k.pk} ${k.sk}`;
  const client = {
    send: async (command: BatchGetCommand) => {
      const request = command.input.RequestItems?.[tableName];
      const keys = (request?.Keys ?? []) as TileKey[];
      watch.calls.push(keys);
      if (answered > 0) watch.sentAfterFirstAnswer++;
      inFlight++;
      watch.maxInFlight = Math.max(watch.maxInFlight, inFlight);
      try {
        const hold = (unprocessed?.(keys) ?? []).filter((k) => !withheld.has(id(k)));
        for (const k of hold) withheld.add(id(k));
        const ask = keys.filter((k) => !hold.includes(k));
        const response = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { ...request, Keys: ask } } }));
        return hold.length > 0 ? { ...response, UnprocessedKeys: { [tableName]: { Keys: hold } } } : response;
      } finally {
        inFlight--;
        answered++;
      }
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, watch };
}

describe('the multi-entity read', () => {
  it('reads 50 entities in ⌈keys / 100⌉ BatchGetItem calls, all sent before any answers, no key twice', async () => {
    const nowMs = Date.now();
    const ids = Array.from({ length: 50 }, (_, i) => `e${i}`);
    const { client, watch } = watched();
    const values = await readFeaturesOfEntities([...ids, 'e0', 'e7'], [userClickstream], nowMs, { doc: client, tableName });
    const keys = ids.flatMap((id) => featureKeys(userClickstream, id, nowMs));
    expect(watch.calls).toHaveLength(Math.ceil(keys.length / MAX_KEYS_PER_CALL));
    expect(watch.sentAfterFirstAnswer).toBe(0);
    expect(watch.maxInFlight).toBe(watch.calls.length);
    for (const call of watch.calls) expect(call.length).toBeLessThanOrEqual(MAX_KEYS_PER_CALL);
    const asked = watch.calls.flat().map((k) => `${k.pk} ${k.sk}`);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.sort()).toEqual(keys.map((k) => `${k.pk} ${k.sk}`).sort());
    // One answer per id asked, repeats included.
    expect(values).toHaveLength(52);
    expect(values[50]).toEqual(values[0]);
  });

  it('answers each entity from its own items, as the single read does', async () => {
    const nowMs = Date.parse('2026-11-23T10:00:00Z');
    // A closed 1 h tile of each of two users with different counts (states as the tile layout stores them).
    const [first, second] = ['u-first', 'u-second'].map((id) => {
      const key = featureKeys(userClickstream, id, nowMs).find((k) => k.sk.includes('#3600#'));
      if (!key) throw new Error('no closed 1 h tile key');
      return key;
    }) as [TileKey, TileKey];
    const single = async (id: string) => readFeatures(id, [userClickstream], nowMs, { doc, tableName });
    const before = await single('u-first');
    const counts = { [first.pk]: 3, [second.pk]: 11 };
    for (const key of [first, second]) {
      const a = Object.fromEntries(
        userClickstream.aggregations.map((agg) => [
          agg.name,
          agg.kind === 'count' && !agg.where ? { n: counts[key.pk] } : undefined,
        ]),
      );
      await doc.send(new PutCommand({ TableName: tableName, Item: { ...key, a: JSON.parse(JSON.stringify(a)), v: 1 } }));
    }
    const many = await readFeaturesOfEntities(['u-second', 'u-first', 'u-none'], [userClickstream], nowMs, {
      doc,
      tableName,
    });
    expect(many[0]).toEqual(await single('u-second'));
    expect(many[1]).toEqual(await single('u-first'));
    expect(many[2]).toEqual(before);
    expect(many[0]?.user_clickstream?.features.events_24h).not.toEqual(many[1]?.user_clickstream?.features.events_24h);
    // Independently of readFeatures (itself a one-id readFeaturesOfEntities): the counts put in each user's tile.
    expect(many[0]?.user_clickstream?.features.events_24h).toBe(11);
    expect(many[1]?.user_clickstream?.features.events_24h).toBe(3);
    expect(many[2]?.user_clickstream?.features.events_24h).toBe(0);
  });

  it('asks again for the keys DynamoDB leaves unprocessed, and asks a repeated key once', async () => {
    const nowMs = Date.now();
    const keys = ['x', 'y', 'z'].flatMap((id) => featureKeys(userClickstream, id, nowMs));
    const { client, watch } = watched((call) => call.slice(0, Math.floor(call.length / 2)));
    await batchGetAll(client, [...keys, ...keys.slice(0, 10)], { tableName });
    const first = Math.ceil(keys.length / MAX_KEYS_PER_CALL);
    expect(watch.calls.length).toBe(first * 2);
    const asked = watch.calls.flat().map((k) => `${k.pk} ${k.sk}`);
    expect(new Set(asked).size).toBe(keys.length);
  });
});

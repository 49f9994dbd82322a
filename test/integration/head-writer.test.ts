/**
 * The cost-aware write path (src/online-store/head-writer.ts) on dynalite:
 * one head write per entity and view per batch and no read once the writer
 * knows the head; a head rolling over to a new period (the closed tile put in
 * its own item); a late event into a closed tile; replays across a rollover
 * (warm and cold writer); two writers on one entity. Every check of values is
 * against the brute-force reference (test/support/reference.ts).
 */

import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAggregator } from '../../src/aggregator/aggregate-batch.js';
import { dynamoDocumentClient, s3Client } from '../../src/aws/clients.js';
import { sources, userClickstream } from '../../src/features/catalog.js';
import type { Emulators } from '../../src/local/emulators.js';
import { headFromItem } from '../../src/online-store/head-item.js';
import { tileKey } from '../../src/online-store/tile-item.js';
import { useEmulators } from '../support/emulators.js';
import { asRecords } from '../support/events.js';
import { asReferenceEvents, createOnlineTable, expectServedAsReference } from '../support/online-store.js';

const MINUTE = 60_000;
const TEN = 10 * MINUTE;
const NOW = Date.now();
/**
 * Tile A: a 10-minute tile 40 (or 50) minutes before now; tile B is the next one, and never starts an
 * hour — were it to, the hour tile would close with A's and each case's counts would depend on the
 * wall clock (the late-event case failed between hh:30 and hh:40).
 */
const A = ((start: number) => ((start + TEN) % 3_600_000 === 0 ? start - TEN : start))(Math.floor(NOW / TEN) * TEN - 4 * TEN);
const B = A + TEN;
const policy = { maxLatenessMs: 2 * 86_400_000, maxClockSkewMs: 300_000 };
const USERS = ['u1', 'u2', 'u3'];
const TYPES = ['page_view', 'click', 'add_to_cart', 'purchase'];

let emulators: Emulators;
let s3: S3Client;
let tableCounter = 0;

useEmulators('featurelake-head-', async (started) => {
  emulators = started;
  s3 = s3Client(emulators.env);
});

/** A DocumentClient that counts its calls by command, and the keys its BatchGetItems ask for. */
function countingClient() {
  const doc = dynamoDocumentClient(emulators.env);
  const calls: Record<string, number> = {};
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
      const n =
        name === 'BatchGetItem' ? Object.values(input.RequestItems ?? {}).reduce((k, t) => k + (t.Keys?.length ?? 0), 0) : 1;
      calls[name] = (calls[name] ?? 0) + n;
      return next(args);
    },
    { step: 'initialize', name: 'count-calls' },
  );
  const take = () => {
    const taken = { ...calls };
    for (const k of Object.keys(calls)) delete calls[k];
    return taken;
  };
  return { doc, take };
}

async function freshStore() {
  const tableName = `heads-${++tableCounter}`;
  const bucket = `head-quarantine-${tableCounter}`;
  const { doc } = countingClient();
  await createOnlineTable(doc, tableName);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const writer = (doc: DynamoDBDocumentClient) =>
    createAggregator({ doc, s3, tableName, quarantineBucket: bucket, policy, sources, views: [userClickstream] });
  return { tableName, writer };
}

let eventCounter = 0;
/** Clickstream events for each user at each time. */
function events(users: readonly string[], timesMs: readonly number[]) {
  return users.flatMap((user_id) =>
    timesMs.map((t) => ({
      source: 'clickstream',
      event_id: `e${++eventCounter}`,
      user_id,
      event_type: TYPES[eventCounter % TYPES.length] as string,
      price: (eventCounter % 17) + 1,
      category: `c${eventCounter % 3}`,
      event_time: new Date(t).toISOString(),
    })),
  );
}
type Payload = ReturnType<typeof events>[number];

async function expectReference(doc: DynamoDBDocumentClient, tableName: string, sent: readonly Payload[]) {
  const reference = asReferenceEvents(sent);
  for (const user of USERS) await expectServedAsReference({ doc, tableName }, userClickstream, user, reference, NOW);
}

const at = (start: number, ...minutes: number[]) => minutes.map((m) => start + m * MINUTE);

/** The head item of u1's clickstream view as stored (its key spelled out: the layout of docs/online-store.md). */
async function storedHead(doc: DynamoDBDocumentClient, tableName: string) {
  const key = { pk: 'user#u1', sk: 'user_clickstream#head' };
  return headFromItem(userClickstream, (await doc.send(new GetCommand({ TableName: tableName, Key: key }))).Item);
}

/** u1's item of the 10-minute tile A, once a newer tile has closed it. */
async function storedTileA(doc: DynamoDBDocumentClient, tableName: string) {
  return (await doc.send(new GetCommand({ TableName: tableName, Key: tileKey(userClickstream, 'u1', 600, A) }))).Item;
}

describe('the head writer on dynalite', () => {
  // Batches in stream order: two in tile A, one in tile B (the rollover), then a late event into A.
  const batch1 = events(USERS, at(A, 1, 2));
  const batch2 = events(USERS, at(A, 3, 4, 5));
  const batch3 = events(USERS, at(B, 1, 2));
  const late = events(['u1'], at(A, 6));
  const recordsOf = (payloads: readonly Payload[], first: bigint) =>
    asRecords(payloads, { arrivalTimeMs: NOW, firstSequence: first });
  const r1 = recordsOf(batch1, 1_000n);
  const r2 = recordsOf(batch2, 2_000n);
  const r3 = recordsOf(batch3, 3_000n);
  const r4 = recordsOf(late, 4_000n);

  it('writes one head per entity and view per batch, and reads nothing once it knows the heads', async () => {
    const { tableName, writer } = await freshStore();
    const { doc, take } = countingClient();
    const aggregate = writer(doc);
    await aggregate(r1);
    expect(take()).toEqual({ BatchGetItem: USERS.length, UpdateItem: USERS.length });
    await aggregate(r2);
    expect(take()).toEqual({ UpdateItem: USERS.length });
    await expectReference(doc, tableName, [...batch1, ...batch2]);
  });

  it('rolls a head over to a new period: the closed tile goes to its own item, the values stay exact', async () => {
    const { tableName, writer } = await freshStore();
    const { doc, take } = countingClient();
    const aggregate = writer(doc);
    await aggregate(r1);
    await aggregate(r2);
    take();
    const result = await aggregate(r3);
    expect(result.retryFrom).toEqual([]);
    // One head write per user, and one put per tile it closed: the 10-minute tile (B starts no hour).
    expect(take()).toEqual({ UpdateItem: USERS.length, PutItem: USERS.length });
    expect((await storedTileA(doc, tableName))?.a.events.n).toBe(5);
    const head = await storedHead(doc, tableName);
    expect(head.open.find((t) => t.h === 600)?.s).toBe(B / 1000);
    expect(head.closed.map((t) => t.s)).toContain(A / 1000);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3]);

    // The next write drops the head's copy of the closed tile: the item holds it.
    await aggregate(recordsOf(events(USERS, at(B, 3)), 3_500n));
    const after = await storedHead(doc, tableName);
    expect(after.closed).toEqual([]);
  });

  it('writes a late event into its closed tile, once', async () => {
    const { tableName, writer } = await freshStore();
    const { doc, take } = countingClient();
    const aggregate = writer(doc);
    for (const r of [r1, r2, r3]) await aggregate(r);
    take();
    await aggregate(r4);
    // The closed 10-minute tile's item (read, then written), and the head for the open hour, day and lifetime tiles.
    expect(take()).toEqual({ BatchGetItem: 1, UpdateItem: 2 });
    expect((await storedTileA(doc, tableName))?.a.events.n).toBe(6);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3, ...late]);
    const again = await aggregate(r4);
    expect(again.summary.tilesWritten).toBe(0);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3, ...late]);
  });

  it('a replay across a rollover adds nothing, from a warm or a cold writer', async () => {
    const { tableName, writer } = await freshStore();
    const { doc } = countingClient();
    const aggregate = writer(doc);
    for (const r of [r1, r2, r3, r4]) await aggregate(r);
    const all = [...r1, ...r2, ...r3, ...r4];
    const warm = await aggregate(all);
    expect(warm.summary.tilesWritten).toBe(0);
    expect(warm.retryFrom).toEqual([]);
    const cold = await writer(doc)(all);
    expect(cold.summary.tilesWritten).toBe(0);
    // And a replay from the middle of the rollover batch, by a writer that never saw these heads.
    const partial = await writer(doc)([...r3.slice(2), ...r4]);
    expect(partial.summary.tilesWritten).toBe(0);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3, ...late]);
  });

  it('a crash between the rollover and the puts, then the retry, gives the totals of one clean run', async () => {
    const { tableName, writer } = await freshStore();
    const { doc } = countingClient();
    await writer(doc)(r1);
    await writer(doc)(r2);
    // The head write of the rollover commits, every put of a closed tile fails.
    const failingPuts = dynamoDocumentClient(emulators.env);
    failingPuts.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') throw new Error('simulated crash');
        return next(args);
      },
      { step: 'initialize', name: 'fail-puts' },
    );
    const crashed = await writer(failingPuts)(r3);
    expect(crashed.retryFrom).toEqual([]); // committed: the head keeps the closed tile until its item is put
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3]);
    // A late event into the closed tile, by another writer: it puts the closed tile first, then adds the event.
    await writer(doc)(r4);
    expect((await storedTileA(doc, tableName))?.a.events.n).toBe(6);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3, ...late]);
  });

  it('two writers on the same entities: a stale writer conflicts, re-reads and still counts every event once', async () => {
    const { tableName, writer } = await freshStore();
    const { doc } = countingClient();
    const x = writer(doc);
    const y = writer(doc);
    await x(r1);
    await y(r2); // y reads the heads x wrote
    const stale = await x(r3); // x's heads are stale: every head write conflicts once, then lands
    expect(stale.summary.writeConflicts).toBe(USERS.length);
    expect(stale.retryFrom).toEqual([]);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3]);

    // Concurrently: the same batch twice (an overlapping retry) and another shard's batch for the same users.
    const other = events(USERS, at(B, 4, 5));
    const otherShard = asRecords(other, { arrivalTimeMs: NOW, firstSequence: 10n, shardId: 'shardId-000000000001' });
    const results = await Promise.all([x(r4), y(r4), writer(doc)(otherShard), x(otherShard)]);
    for (const r of results) expect(r.retryFrom).toEqual([]);
    await expectReference(doc, tableName, [...batch1, ...batch2, ...batch3, ...late, ...other]);
  });
});

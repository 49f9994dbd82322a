/**
 * Counts the DynamoDB calls a client makes and the capacity units DynamoDB
 * would charge for them, from the real item sizes (test/support/dynamo-size.ts,
 * AWS's documented sizing rules):
 *
 *  - a write (UpdateItem, PutItem, DeleteItem, each BatchWriteItem request) costs
 *    1 unit per 1 KB, rounded up, of the larger of the item's size before and
 *    after the write (at least 1);
 *  - a read of one item (GetItem, each key of a BatchGetItem) costs 1 unit per
 *    4 KB of the whole item, rounded up, for a strongly consistent read and half
 *    that for an eventually consistent one — a projection does not reduce it,
 *    and a key with no item still costs the minimum (AWS, "DynamoDB read and
 *    write operations").
 *
 * Installed as a middleware on the client (a DocumentClient shares its
 * client's stack, so raw and document commands alike are seen). To know each
 * item's size it asks UpdateItem for `ReturnValues: ALL_NEW` and keeps the
 * size of every item written through it; the size before a write is that
 * remembered size (the bench's tables start empty and only metered clients
 * write them). It also asks for `ReturnConsumedCapacity: TOTAL` and sums what
 * the emulator reports (dynalite's own sizing), as a cross-check.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DOCUMENT_TRANSLATION } from '../src/aws/clients.js';
import { dynamoItemBytes } from '../test/support/dynamo-size.js';

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

/** Write units of one write: the larger of the old and new item size, per started KB, at least 1. */
export function writeUnits(oldBytes: number, newBytes: number): number {
  return Math.max(1, Math.ceil(Math.max(oldBytes, newBytes) / WRITE_UNIT_BYTES));
}

/** Read units of one item read (absent: the minimum), eventually consistent at half price. */
export function readUnits(itemBytes: number | undefined, consistent: boolean): number {
  return Math.max(1, Math.ceil((itemBytes ?? 0) / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);
}

export interface CapacityTotals {
  /** Calls per operation (UpdateItem, BatchGetItem, …). */
  calls: Record<string, number>;
  writes: number;
  writeUnits: number;
  itemReads: number;
  /** Keys read that had no item. */
  missingReads: number;
  readUnits: number;
  /** Read units of strongly consistent reads (part of readUnits). */
  consistentReadUnits: number;
  /** What the emulator reported (ReturnConsumedCapacity), for comparison. */
  emulatorWriteUnits: number;
  emulatorReadUnits: number;
  /** Item sizes after each write: sum and max, bytes. */
  writtenBytes: number;
  maxItemBytes: number;
}

const empty = (): CapacityTotals => ({
  calls: {},
  writes: 0,
  writeUnits: 0,
  itemReads: 0,
  missingReads: 0,
  readUnits: 0,
  consistentReadUnits: 0,
  emulatorWriteUnits: 0,
  emulatorReadUnits: 0,
  writtenBytes: 0,
  maxItemBytes: 0,
});

type Item = Record<string, unknown>;
/**
 * The DocumentClient's marshalling, copied: lib-dynamodb sets convertTopLevelContainer on the options object it
 * is given (DOCUMENT_TRANSLATION's own) the first time a command runs, which would wrap a marshalled item in {M}.
 */
const MARSHALL = { ...DOCUMENT_TRANSLATION.marshallOptions, convertTopLevelContainer: false };
/** Document-form or raw key attribute to its string. */
const text = (v: unknown) => (typeof v === 'string' ? v : ((v as AttributeValue | undefined)?.S ?? String(v)));
/** A raw item's size; a document-form item is marshalled as the DocumentClient would. */
function itemBytes(item: Item): number {
  const raw = Object.values(item).every(
    (v) =>
      v !== null &&
      typeof v === 'object' &&
      !(v instanceof Uint8Array) &&
      Object.keys(v).length === 1 &&
      /^(S|N|B|BOOL|NULL|M|L|SS|NS|BS)$/.test(Object.keys(v)[0] as string),
  );
  return dynamoItemBytes((raw ? item : marshall(item, MARSHALL)) as Record<string, AttributeValue>);
}

interface Stackable {
  middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void };
}

export class CapacityMeter {
  /** Size of every item written through a metered client, by table and key. */
  private readonly sizes = new Map<string, number>();
  totals: CapacityTotals = empty();

  constructor(private readonly keyNames: readonly [string, string] = ['pk', 'sk']) {}

  private key(table: string, key: Item): string {
    return `${table}\u0000${text(key[this.keyNames[0]])}\u0000${text(key[this.keyNames[1]])}`;
  }

  /** Starts a fresh count (item sizes are kept: they are the table's state). */
  reset(): CapacityTotals {
    const previous = this.totals;
    this.totals = empty();
    return previous;
  }

  private write(table: string, key: Item, newBytes: number | undefined): void {
    const k = this.key(table, key);
    const oldBytes = this.sizes.get(k) ?? 0;
    if (newBytes === undefined) this.sizes.delete(k);
    else this.sizes.set(k, newBytes);
    this.totals.writes++;
    this.totals.writeUnits += writeUnits(oldBytes, newBytes ?? 0);
    if (newBytes !== undefined) {
      this.totals.writtenBytes += newBytes;
      this.totals.maxItemBytes = Math.max(this.totals.maxItemBytes, newBytes);
    }
  }

  private read(table: string, key: Item, found: Item | undefined, consistent: boolean): void {
    const known = this.sizes.get(this.key(table, key));
    // An item this meter did not see written: its returned (possibly projected) size is the best known.
    const bytes = known ?? (found ? itemBytes(found) : undefined);
    const units = readUnits(bytes, consistent);
    this.totals.itemReads++;
    if (!found) this.totals.missingReads++;
    this.totals.readUnits += units;
    if (consistent) this.totals.consistentReadUnits += units;
  }

  /** Meters every call the client (and any DocumentClient sharing its stack) makes from now on. */
  attach(client: Stackable): void {
    const middleware =
      (next: (args: { input: Item }) => Promise<{ output: Item }>, context: { commandName?: string }) =>
      async (args: { input: Item }) => {
        const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const input = args.input;
        if (['UpdateItem', 'PutItem', 'DeleteItem', 'GetItem', 'BatchGetItem', 'BatchWriteItem'].includes(command)) {
          input.ReturnConsumedCapacity = 'TOTAL';
        }
        if (command === 'UpdateItem') {
          if (input.ReturnValues !== undefined && input.ReturnValues !== 'ALL_NEW') {
            throw new Error(
              `CapacityMeter needs UpdateItem's ALL_NEW to size the item; the caller asked for ${String(input.ReturnValues)}`,
            );
          }
          input.ReturnValues = 'ALL_NEW';
        }
        const result = await next(args);
        const output = result.output;
        this.totals.calls[command] = (this.totals.calls[command] ?? 0) + 1;
        const consumed = ([] as { CapacityUnits?: number }[]).concat((output.ConsumedCapacity as never) ?? []);
        const reported = consumed.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
        const table = String(input.TableName ?? '');
        switch (command) {
          case 'UpdateItem':
            this.write(table, input.Key as Item, itemBytes(output.Attributes as Item));
            this.totals.emulatorWriteUnits += reported;
            break;
          case 'PutItem':
            this.write(table, input.Item as Item, itemBytes(input.Item as Item));
            this.totals.emulatorWriteUnits += reported;
            break;
          case 'DeleteItem':
            this.write(table, input.Key as Item, undefined);
            this.totals.emulatorWriteUnits += reported;
            break;
          case 'GetItem':
            this.read(table, input.Key as Item, output.Item as Item | undefined, input.ConsistentRead === true);
            this.totals.emulatorReadUnits += reported;
            break;
          case 'BatchGetItem': {
            const requested = input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
            const responses = (output.Responses ?? {}) as Record<string, Item[]>;
            const unprocessed = (output.UnprocessedKeys ?? {}) as Record<string, { Keys?: Item[] }>;
            for (const [name, request] of Object.entries(requested)) {
              // A projection may leave the partition key out (the feature reader asks for sk and the states only).
              const sortOnly = (item: Item) => `${name}\u0000\u0000${text(item[this.keyNames[1]])}`;
              const found = new Map<string, Item>();
              for (const item of responses[name] ?? [])
                found.set(item[this.keyNames[0]] === undefined ? sortOnly(item) : this.key(name, item), item);
              const skipped = new Set((unprocessed[name]?.Keys ?? []).map((k) => this.key(name, k)));
              for (const key of request.Keys) {
                const k = this.key(name, key);
                if (!skipped.has(k))
                  this.read(name, key, found.get(k) ?? found.get(sortOnly(key)), request.ConsistentRead === true);
              }
            }
            this.totals.emulatorReadUnits += reported;
            break;
          }
          case 'BatchWriteItem': {
            const requested = input.RequestItems as Record<
              string,
              { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
            >;
            for (const [name, requests] of Object.entries(requested)) {
              for (const r of requests) {
                if (r.PutRequest) this.write(name, r.PutRequest.Item, itemBytes(r.PutRequest.Item));
                else if (r.DeleteRequest) this.write(name, r.DeleteRequest.Key, undefined);
              }
            }
            this.totals.emulatorWriteUnits += reported;
            break;
          }
        }
        return result;
      };
    client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'capacity-meter' });
  }
}

/**
 * The cost-aware write path (docs/online-store.md): per batch, one conditional
 * UpdateItem per (entity, view) on its head item, which holds the open tile of
 * every hop; a tile that a newer one of its hop replaces is closed into the
 * head and then put in its own item; events into tiles already closed (late,
 * rare) and sketch aggregations go through the per-tile writer (tile-writer.ts).
 *
 * Exactly once, as the per-tile writer: the head's `wm#<shard>` skips what was
 * applied; the write is conditional on the version the writer knows. The
 * writer keeps what it last wrote or read of each head (`HeadCache`), so a
 * head is read only when this process has not seen it or another writer
 * changed it (a conflict: re-read, re-merge, retry).
 *
 * Why closed tiles go through the head: a closed tile's item is put only after
 * the head write that closed it committed, with the content fixed by that
 * write, conditional on the item not existing. Any writer (a retry, a second
 * writer with a stale head) puts the same content, so only the first put lands
 * and a later late-event write is never overwritten. The reader prefers the
 * item and falls back to the head's copy until the put happened.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrent } from '../domain/concurrency.js';
import type { ValidEvent } from '../domain/records.js';
import { type CompiledView, type Tile, unappliedPart } from '../domain/tiles.js';
import { type FeatureView, LIFETIME_HOP_SECONDS } from '../features/define.js';
import { type AggregationState, opsOf } from '../features/kinds/index.js';
import { batchGetAll } from './batch-get.js';
import {
  type ClosedTile,
  encodeHeadTiles,
  HEAD_ATTRIBUTE,
  type HeadTile,
  hasSketches,
  headFromItem,
  headKey,
  isSketch,
} from './head-item.js';
import {
  FRESHNESS_ATTRIBUTE,
  KEY,
  STATES_ATTRIBUTE,
  statesToAttribute,
  TTL_ATTRIBUTE,
  tileExpiresAt,
  tileKey,
  VERSION_ATTRIBUTE,
  watermarkAttribute,
} from './tile-item.js';
import { type FailedTile, type TileWriteOutcome, writeTiles } from './tile-writer.js';

/** What a writer knows of a head: the item as last written or read, and which of its closed tiles are in their items. */
interface Known {
  item: Record<string, unknown> | undefined;
  confirmed: Set<string>;
}

/** The heads this process last wrote or read, least recently used evicted first. */
export class HeadCache {
  private readonly entries = new Map<string, Known>();
  constructor(readonly capacity = 100_000) {}
  get(key: string): Known | undefined {
    const known = this.entries.get(key);
    if (known) {
      this.entries.delete(key);
      this.entries.set(key, known);
    }
    return known;
  }
  set(key: string, known: Known): void {
    this.entries.delete(key);
    this.entries.set(key, known);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  get size(): number {
    return this.entries.size;
  }
}

export interface HeadWriterOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly cache: HeadCache;
  /** Heads written in parallel. @default 32 */
  readonly concurrency?: number;
  /** Re-reads after a version conflict before the head's tiles are reported failed. @default 3 */
  readonly maxConflictRetries?: number;
}

export interface HeadWriteOutcome extends TileWriteOutcome {
  /** Batch tiles of closed tiles no window reads any more: not written (their events count in coarser tiles). */
  outOfReach: number;
}

const cacheKey = (k: { pk: string; sk: string }) => `${k.pk}\u0000${k.sk}`;
const tileTag = (h: number, s: number) => `${h}:${s}`;

/** How far back, from the newest event, a tile of each hop is still read by some window (seconds; lifetime: ∞). */
function readReach(view: FeatureView): Map<number, number> {
  const reach = new Map<number, number>();
  for (const w of view.windows) {
    const r = w.hopSeconds === LIFETIME_HOP_SECONDS ? Number.POSITIVE_INFINITY : w.lengthSeconds + w.hopSeconds;
    // A hierarchical window reads its edge tiles as far back as its hop-wide ones.
    for (const width of new Set([w.hopSeconds, w.edgeSeconds])) reach.set(width, Math.max(reach.get(width) ?? 0, r));
  }
  return reach;
}
const reaches = new WeakMap<FeatureView, Map<number, number>>();
/** Whether a window can still read tile (h, s) at any time from `newestMs` on (docs/window-semantics.md: T < s + L + H). */
function readable(view: FeatureView, h: number, s: number, newestMs: number): boolean {
  let reach = reaches.get(view);
  if (!reach) {
    reach = readReach(view);
    reaches.set(view, reach);
  }
  return newestMs < (s + (reach.get(h) ?? 0)) * 1000;
}

const newest = (states: readonly (AggregationState | undefined)[]) => Math.max(0, ...states.map((s) => s?.t ?? 0));

function mergeStates(
  view: FeatureView,
  a: readonly (AggregationState | undefined)[] | undefined,
  b: readonly (AggregationState | undefined)[],
): (AggregationState | undefined)[] {
  return view.aggregations.map((agg, i) => {
    if (isSketch(agg)) return undefined;
    const ops = opsOf(agg);
    const x = a?.[i];
    const y = b[i];
    return x && y ? ops.merge(x, y) : (x ?? y);
  });
}

/** The item a closed tile is put as (tile-item.ts layout, ordinary aggregations, its closing watermarks). */
function closedItem(view: FeatureView, entityId: string, tile: ClosedTile): Record<string, unknown> {
  const startMs = tile.s * 1000;
  const expiresAt = tileExpiresAt(view, tile.h, startMs);
  const item: Record<string, unknown> = {
    ...tileKey(view, entityId, tile.h, startMs),
    [STATES_ATTRIBUTE]: statesToAttribute(view, tile.states, (a) => !isSketch(a)),
    [VERSION_ATTRIBUTE]: 1,
    [FRESHNESS_ATTRIBUTE]: newest(tile.states),
  };
  for (const [shard, wm] of Object.entries(tile.wm)) item[watermarkAttribute(shard)] = wm;
  if (expiresAt !== undefined) item[TTL_ATTRIBUTE] = expiresAt;
  return item;
}

export async function writeHeads(
  tiles: readonly Tile[],
  events: () => readonly ValidEvent[],
  shardId: string,
  compiledViews: ReadonlyMap<string, CompiledView>,
  options: HeadWriterOptions,
): Promise<HeadWriteOutcome> {
  const outcome: HeadWriteOutcome = { written: 0, alreadyApplied: 0, outOfReach: 0, conflicts: 0, failed: [] };
  if (tiles.length === 0) return outcome;
  const { doc, tableName, cache } = options;
  const maxConflictRetries = options.maxConflictRetries ?? 3;
  const add = (o: TileWriteOutcome) => {
    outcome.written += o.written;
    outcome.alreadyApplied += o.alreadyApplied;
    outcome.conflicts += o.conflicts;
    outcome.failed.push(...o.failed);
  };

  const groups = new Map<string, { view: FeatureView; entityId: string; tiles: Tile[] }>();
  for (const tile of tiles) {
    const key = cacheKey(headKey(tile.view, tile.entityId));
    let group = groups.get(key);
    if (!group) {
      group = { view: tile.view, entityId: tile.entityId, tiles: [] };
      groups.set(key, group);
    }
    group.tiles.push(tile);
  }

  // Sketch aggregations: their own tiles, written as today's tiles (one item per hop tile touched).
  const sketchTiles = tiles.filter((t) => hasSketches(t.view));
  const sketchWrite =
    sketchTiles.length > 0
      ? writeTiles(sketchTiles, events, shardId, compiledViews, { doc, tableName, part: 'sketch' }).then((o) => ({
          ...o,
          alreadyApplied: 0, // counted once per tile, by the ordinary part
        }))
      : undefined;

  // Heads this process does not know: one consistent BatchGetItem for all of them.
  const unknown = [...groups.keys()].filter((key) => !cache.get(key));
  if (unknown.length > 0) {
    try {
      const keys = unknown.map((key) => {
        const g = groups.get(key) as { view: FeatureView; entityId: string };
        return headKey(g.view, g.entityId);
      });
      const items = await batchGetAll(doc, keys, { tableName, consistentRead: true });
      const found = new Map(items.map((item) => [cacheKey(item as { pk: string; sk: string }), item]));
      for (const key of unknown) cache.set(key, { item: found.get(key), confirmed: new Set() });
    } catch (error) {
      for (const key of unknown) {
        for (const tile of groups.get(key)?.tiles ?? []) outcome.failed.push({ tile, fromSequence: tile.minSequence, error });
        groups.delete(key);
      }
    }
  }

  await forEachConcurrent([...groups.entries()], options.concurrency ?? 32, async ([key, group]) => {
    const { view, entityId } = group;
    const compiled = compiledViews.get(view.name) as CompiledView;
    const hKey = headKey(view, entityId);
    let remaining = group.tiles;
    let known = cache.get(key) ?? { item: undefined, confirmed: new Set<string>() };
    const fail = (error: unknown) => {
      for (const tile of remaining) outcome.failed.push({ tile, fromSequence: tile.minSequence, error });
      cache.delete(key);
    };

    /** Puts the head's closed tiles not yet known to be in their items; the error if one could not be put. */
    const confirm = async (closed: readonly ClosedTile[]): Promise<unknown> => {
      for (const tile of closed) {
        const tag = tileTag(tile.h, tile.s);
        if (known.confirmed.has(tag)) continue;
        try {
          await doc.send(
            new PutCommand({
              TableName: tableName,
              Item: closedItem(view, entityId, tile),
              ConditionExpression: `attribute_not_exists(${KEY.partition})`,
            }),
          );
          outcome.written++;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') return error;
        }
        known.confirmed.add(tag);
      }
      return undefined;
    };

    for (let attempt = 0; ; attempt++) {
      const head = headFromItem(view, known.item);
      const appliedUpTo = head.watermarks[shardId];
      const openByHop = new Map(head.open.map((t) => [t.h, t]));
      const late: Tile[] = [];
      const parts: { tile: Tile; states: AggregationState[]; minSequence: string; maxSequence: string }[] = [];
      const headNewest = newest(head.open.flatMap((t) => t.states));
      const newestKnown = Math.max(headNewest, ...remaining.map((t) => newest(t.states)));
      for (const tile of remaining) {
        const open = openByHop.get(tile.hopSeconds);
        if (open && tile.startMs / 1000 < open.s) {
          // A closed tile no window can read any more (its events are in the coarser tiles) is not written.
          if (readable(view, tile.hopSeconds, tile.startMs / 1000, newestKnown)) late.push(tile);
          else outcome.outOfReach++;
          continue;
        }
        const part = unappliedPart(tile, compiled, appliedUpTo, events);
        if (part) parts.push({ tile, ...part });
        else outcome.alreadyApplied++;
      }
      if (parts.length === 0 && late.length === 0) return;

      // Late events may go into a closed tile only once its item holds what the head closed.
      const confirmError = await confirm(head.closed);
      if (confirmError) return fail(confirmError);
      if (late.length > 0) {
        const o = await writeTiles(late, events, shardId, compiledViews, { doc, tableName, part: 'ordinary' });
        add(o);
        remaining = remaining.filter((t) => !late.includes(t));
      }
      if (parts.length === 0) {
        cache.set(key, known);
        return;
      }

      // The new head: per hop, the newest tile stays open, older ones close (if a window can still read them).
      // Padded sequence numbers: string order is numeric order.
      const maxSequence = [appliedUpTo ?? '', ...parts.map((p) => p.maxSequence)].sort().at(-1) as string;
      const watermarks = { ...head.watermarks, [shardId]: maxSequence };
      const newestMs = Math.max(headNewest, ...parts.map((p) => newest(p.states)));
      const open: HeadTile[] = [];
      const closed: ClosedTile[] = head.closed.filter(
        (t) => !known.confirmed.has(tileTag(t.h, t.s)) && readable(view, t.h, t.s, newestMs),
      );
      for (const h of view.hopsSeconds) {
        const previous = openByHop.get(h);
        const mine = parts.filter((p) => p.tile.hopSeconds === h);
        if (mine.length === 0) {
          if (previous) open.push(previous);
          continue;
        }
        const byStart = new Map<number, (AggregationState | undefined)[]>();
        if (previous) byStart.set(previous.s, previous.states);
        for (const p of mine) {
          const s = p.tile.startMs / 1000;
          byStart.set(s, mergeStates(view, byStart.get(s), p.states));
        }
        const openStart = Math.max(...byStart.keys());
        for (const [s, states] of byStart) {
          if (s === openStart) open.push({ h, s, states });
          else if (readable(view, h, s, newestMs)) closed.push({ h, s, states, wm: watermarks });
        }
      }
      const expiries = view.hopsSeconds.includes(LIFETIME_HOP_SECONDS)
        ? []
        : open.map((t) => tileExpiresAt(view, t.h, t.s * 1000) as number);
      const names: Record<string, string> = {
        '#o': HEAD_ATTRIBUTE,
        '#v': VERSION_ATTRIBUTE,
        '#wm': watermarkAttribute(shardId),
        '#fresh': FRESHNESS_ATTRIBUTE,
      };
      const values: Record<string, unknown> = {
        ':o': encodeHeadTiles(view, open, closed),
        ':v': head.version + 1,
        ':wm': maxSequence,
        ':fresh': newestMs,
      };
      if (expiries.length > 0) {
        names['#ttl'] = TTL_ATTRIBUTE;
        values[':ttl'] = Math.max(...expiries);
      }
      if (known.item) values[':expected'] = head.version;
      try {
        const written = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: hKey,
            UpdateExpression: `SET #o = :o, #v = :v, #wm = :wm, #fresh = :fresh${expiries.length > 0 ? ', #ttl = :ttl' : ''}`,
            ConditionExpression: known.item ? '#v = :expected' : `attribute_not_exists(${KEY.partition})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        outcome.written++;
        known = { item: written.Attributes, confirmed: new Set() };
        cache.set(key, known);
        // Put the tiles this write closed in their own items now (the `closed` just written, not a re-decoded
        // copy): the head keeps a copy until its next write.
        await confirm(closed);
        return;
      } catch (error) {
        const headParts = parts.map((p) => p.tile);
        if ((error as Error).name !== 'ConditionalCheckFailedException' || attempt >= maxConflictRetries) {
          remaining = headParts;
          return fail(error);
        }
        outcome.conflicts++;
        // Tiles found applied stay applied (watermarks only grow); the late ones are done.
        remaining = headParts;
        try {
          const reread = await doc.send(new GetCommand({ TableName: tableName, Key: hKey, ConsistentRead: true }));
          known = { item: reread.Item, confirmed: new Set() };
          cache.set(key, known);
        } catch (readError) {
          return fail(readError);
        }
      }
    }
  });
  if (sketchWrite) add(await sketchWrite);
  return outcome;
}

export type { FailedTile, TileWriteOutcome };

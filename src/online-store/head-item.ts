/**
 * The head of an entity's feature view: one item per (entity, view) holding
 * the open (newest) tile of every hop, so that a batch writes one small item
 * per entity and view instead of one per hop (docs/online-store.md):
 *
 *   pk      "<entity>#<entity id>"
 *   sk      "<view>#head"
 *   o       binary: deflate-raw of the JSON { o: open tiles, c: closed tiles not yet confirmed in their own items }
 *   v       version, +1 on every write (optimistic concurrency)
 *   wm#<shard id>  highest sequence number applied to the head from that shard
 *   fresh   newest event time in the head (epoch ms)
 *   ttl     the latest expiry of its open tiles; none when the view has a lifetime window
 *
 * A tile leaves the head when a newer tile of its hop opens: it becomes a
 * closed tile (`c`, with the watermarks of the write that closed it) and is
 * put in its own tile item (tile-item.ts) right after, conditional on the item
 * not existing, so every writer puts the same content and only the first put
 * lands. Sketch aggregations (distinct_count, percentile) never enter the
 * head: they live in sketch tiles of their own (see SKETCH_SUFFIX).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Aggregation, FeatureView } from '../features/define.js';
import type { AggregationState } from '../features/kinds/index.js';
import {
  entityPartitionKey,
  STATES_ATTRIBUTE,
  statesFromItem,
  statesToAttribute,
  VERSION_ATTRIBUTE,
  watermarkAttribute,
} from './tile-item.js';

export const HEAD_SORT_SUFFIX = '#head';
export const HEAD_ATTRIBUTE = 'o';
/** Sort-key suffix of a sketch tile: the sketch aggregations of one (entity, view, hop, tile start). */
export const SKETCH_SUFFIX = '#k';

/** Kinds whose state grows with the data (up to 16 KB): kept out of the head, in sketch tiles. */
export function isSketch(aggregation: Aggregation): boolean {
  return aggregation.kind === 'distinct_count' || aggregation.kind === 'percentile';
}

export function hasSketches(view: FeatureView): boolean {
  return view.aggregations.some(isSketch);
}

/** One tile in the head: hop (s), start (epoch s) and its states (aggregation name → encoded state). */
export interface HeadTile {
  readonly h: number;
  readonly s: number;
  readonly states: (AggregationState | undefined)[];
}

/** A tile closed by a committed head write, with the head's watermarks after that write. */
export interface ClosedTile extends HeadTile {
  readonly wm: Readonly<Record<string, string>>;
}

export interface Head {
  /** Open tile per hop (at most one per hop). */
  readonly open: HeadTile[];
  readonly closed: ClosedTile[];
  readonly version: number;
  /** Shard id → highest sequence number (padded) applied to the head. */
  readonly watermarks: Readonly<Record<string, string>>;
}

export const EMPTY_HEAD: Head = { open: [], closed: [], version: 0, watermarks: {} };

export function headKey(view: FeatureView, entityId: string): { pk: string; sk: string } {
  return { pk: entityPartitionKey(view.entity, entityId), sk: `${view.name}${HEAD_SORT_SUFFIX}` };
}

// JSON cannot carry a Uint8Array (a sparse HLL's registers): tag it as base64.
const replacer = (_: string, value: unknown) =>
  value instanceof Uint8Array ? { $b: Buffer.from(value).toString('base64') } : value;
const reviver = (_: string, value: unknown) =>
  value !== null && typeof value === 'object' && typeof (value as { $b?: unknown }).$b === 'string'
    ? new Uint8Array(Buffer.from((value as { $b: string }).$b, 'base64'))
    : value;

type StoredTile = { h: number; s: number; a: Record<string, Record<string, unknown>>; wm?: Record<string, string> };

function encodeTile(view: FeatureView, tile: HeadTile): StoredTile {
  return { h: tile.h, s: tile.s, a: statesToAttribute(view, tile.states, (agg) => !isSketch(agg)) };
}

function decodeTile(view: FeatureView, stored: StoredTile): HeadTile {
  return { h: stored.h, s: stored.s, states: statesFromItem(view, { [STATES_ATTRIBUTE]: stored.a }) };
}

const WATERMARK_PREFIX = watermarkAttribute('');

/** The head's tiles as its binary attribute. */
export function encodeHeadTiles(view: FeatureView, open: readonly HeadTile[], closed: readonly ClosedTile[]): Uint8Array {
  const body = {
    o: open.map((t) => encodeTile(view, t)),
    c: closed.map((t) => ({ ...encodeTile(view, t), wm: t.wm })),
  };
  return new Uint8Array(deflateRawSync(Buffer.from(JSON.stringify(body, replacer))));
}

/** A stored head item (undefined: none yet). */
export function headFromItem(view: FeatureView, item: Record<string, unknown> | undefined): Head {
  if (!item) return EMPTY_HEAD;
  const bytes = item[HEAD_ATTRIBUTE] as Uint8Array | undefined;
  const body = bytes
    ? (JSON.parse(inflateRawSync(bytes).toString('utf8'), reviver) as { o: StoredTile[]; c: StoredTile[] })
    : { o: [], c: [] };
  const watermarks: Record<string, string> = {};
  for (const [name, value] of Object.entries(item))
    if (name.startsWith(WATERMARK_PREFIX)) watermarks[name.slice(WATERMARK_PREFIX.length)] = value as string;
  return {
    open: body.o.map((t) => decodeTile(view, t)),
    closed: body.c.map((t) => ({ ...decodeTile(view, t), wm: t.wm ?? {} })),
    version: Number(item[VERSION_ATTRIBUTE] ?? 0),
    watermarks,
  };
}

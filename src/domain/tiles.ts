/**
 * Pre-aggregation: folds a batch of events into tiles, one per
 * (feature view, entity, hop, tile start), so a batch costs one write per
 * tile touched instead of one per event.
 */
import type { Aggregation, FeatureView } from '../features/define.js';
import { type AggregationOps, type AggregationState, opsOf, type Scalar } from '../features/kinds/index.js';
import type { ValidEvent } from './records.js';
import { tileStartMs } from './windows.js';

export interface Tile {
  readonly view: FeatureView;
  readonly entityId: string;
  readonly hopSeconds: number;
  readonly startMs: number;
  /** One state per aggregation of the view, in declaration order. */
  readonly states: AggregationState[];
  /** Lowest and highest padded sequence number of the events folded in. */
  minSequence: string;
  maxSequence: string;
}

type Contribution = (data: Readonly<Record<string, unknown>>) => Scalar | undefined | typeof SKIP;
const SKIP = Symbol('skip');

/** Compiles an aggregation into "the value this event contributes, or SKIP". */
function contribution(agg: Aggregation): Contribution {
  const where = agg.where;
  const accepts = !where
    ? () => true
    : 'equals' in where
      ? (data: Readonly<Record<string, unknown>>) => data[where.field] === where.equals
      : (
          (allowed: Set<unknown>) => (data: Readonly<Record<string, unknown>>) =>
            allowed.has(data[where.field])
        )(new Set(where.in));
  if (!agg.field) return (data) => (accepts(data) ? undefined : SKIP);
  const field = agg.field as string;
  return (data) => {
    if (!accepts(data)) return SKIP;
    const value = data[field];
    return value === undefined || value === null ? SKIP : (value as Scalar);
  };
}

/** A feature view prepared for the hot path. */
export interface CompiledView {
  readonly view: FeatureView;
  readonly contributions: readonly Contribution[];
}

export function compileView(view: FeatureView): CompiledView {
  return { view, contributions: view.aggregations.map(contribution) };
}

/** Folds one event into per-aggregation states. */
export function foldEvent(compiled: CompiledView, states: AggregationState[], event: ValidEvent): void {
  const { aggregations } = compiled.view;
  for (let i = 0; i < aggregations.length; i++) {
    const value = (compiled.contributions[i] as Contribution)(event.data);
    if (value !== SKIP) opsOf(aggregations[i] as Aggregation).add(states[i] as AggregationState, value, event.windowTimeMs);
  }
}

/** Stable identity of a tile within a batch and in the online store. */
export function tileId(view: string, entityId: string, hopSeconds: number, startMs: number): string {
  return `${view}\u0000${entityId}\u0000${hopSeconds}\u0000${startMs}`;
}

/**
 * Folds events into tiles as they are decoded, so a batch never holds its
 * decoded events: only the tiles. Hot path: each event's contributions are
 * computed once and added to the tile of every hop; tiles are found through
 * numeric keys per entity.
 */
export class TileBuilder {
  readonly tiles = new Map<string, Tile>();
  private readonly perView: {
    compiled: CompiledView;
    ops: AggregationOps[];
    values: (Scalar | undefined | typeof SKIP)[];
    byEntity: Map<string, Map<number, Tile>>;
  }[];

  constructor(views: readonly CompiledView[]) {
    this.perView = views.map((compiled) => ({
      compiled,
      ops: compiled.view.aggregations.map(opsOf),
      values: new Array(compiled.view.aggregations.length),
      byEntity: new Map(),
    }));
  }

  add(event: ValidEvent): void {
    for (const { compiled, ops, values, byEntity } of this.perView) {
      const { view, contributions } = compiled;
      if (event.source !== view.source.name) continue;
      for (let i = 0; i < ops.length; i++) values[i] = (contributions[i] as Contribution)(event.data);
      const entityId = String(event.data[view.entity.keyField]);
      let entityTiles = byEntity.get(entityId);
      if (!entityTiles) {
        entityTiles = new Map();
        byEntity.set(entityId, entityTiles);
      }
      const hops = view.hopsSeconds;
      for (let h = 0; h < hops.length; h++) {
        const hopSeconds = hops[h] as number;
        const startMs = tileStartMs(event.windowTimeMs, hopSeconds);
        const key = startMs + h; // starts are whole seconds, so adding the hop index keeps keys distinct
        let tile = entityTiles.get(key);
        if (!tile) {
          tile = {
            view,
            entityId,
            hopSeconds,
            startMs,
            states: ops.map((o) => o.empty()),
            minSequence: event.sequence,
            maxSequence: event.sequence,
          };
          entityTiles.set(key, tile);
          this.tiles.set(tileId(view.name, entityId, hopSeconds, startMs), tile);
        }
        for (let i = 0; i < ops.length; i++) {
          const value = values[i];
          if (value !== SKIP) (ops[i] as AggregationOps).add(tile.states[i] as AggregationState, value, event.windowTimeMs);
        }
        if (event.sequence < tile.minSequence) tile.minSequence = event.sequence;
        if (event.sequence > tile.maxSequence) tile.maxSequence = event.sequence;
      }
    }
  }
}

/** Groups and folds a list of events into tiles. */
export function preaggregate(events: readonly ValidEvent[], views: readonly CompiledView[]): Map<string, Tile> {
  const builder = new TileBuilder(views);
  for (const event of events) builder.add(event);
  return builder.tiles;
}

/** Whether `event` belongs in `tile`. */
function inTile(tile: Tile, event: ValidEvent): boolean {
  return (
    event.source === tile.view.source.name &&
    String(event.data[tile.view.entity.keyField]) === tile.entityId &&
    tileStartMs(event.windowTimeMs, tile.hopSeconds) === tile.startMs
  );
}

/**
 * The part of a tile not yet applied to the store, given the highest sequence
 * number the store has applied from this shard (`appliedUpTo`, padded), or
 * undefined when every event of the tile is already applied. A partly applied
 * tile (a replay that overlaps) is re-folded from the batch's events: a rare
 * path, so tiles need not carry their events.
 */
export function unappliedPart(
  tile: Tile,
  compiled: CompiledView,
  appliedUpTo: string | undefined,
  events: () => readonly ValidEvent[],
): { states: AggregationState[]; minSequence: string; maxSequence: string } | undefined {
  if (appliedUpTo === undefined || appliedUpTo < tile.minSequence) {
    return { states: tile.states, minSequence: tile.minSequence, maxSequence: tile.maxSequence };
  }
  if (appliedUpTo >= tile.maxSequence) return undefined;
  const states = compiled.view.aggregations.map((a) => opsOf(a).empty());
  let minSequence: string | undefined;
  for (const event of events()) {
    if (event.sequence <= appliedUpTo || !inTile(tile, event)) continue;
    foldEvent(compiled, states, event);
    if (minSequence === undefined || event.sequence < minSequence) minSequence = event.sequence;
  }
  return { states, minSequence: minSequence as string, maxSequence: tile.maxSequence };
}

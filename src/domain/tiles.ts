/**
 * Pre-aggregation: folds a batch of events into tiles, one per
 * (feature view, entity, hop, tile start), so a batch costs one write per
 * tile touched instead of one per event.
 */
import type { Aggregation, FeatureView } from '../features/define.js';
import { type AggregationState, addValue, emptyState, type Scalar } from './aggregation-state.js';
import type { ValidEvent } from './records.js';
import { tileStartMs } from './windows.js';

export interface Tile {
  readonly view: FeatureView;
  readonly entityId: string;
  readonly hopSeconds: number;
  readonly startMs: number;
  /** One state per aggregation of the view, in declaration order. */
  readonly states: AggregationState[];
  /** The events folded in, in stream order. */
  readonly events: ValidEvent[];
  /** Lowest and highest padded sequence number among `events`. */
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
      : ((allowed: Set<unknown>) => (data: Readonly<Record<string, unknown>>) => allowed.has(data[where.field]))(
          new Set(where.in),
        );
  if (agg.kind === 'count') return (data) => (accepts(data) ? undefined : SKIP);
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
    if (value !== SKIP) addValue((aggregations[i] as Aggregation).kind, states[i] as AggregationState, value, event.eventTimeMs);
  }
}

/** Stable identity of a tile within a batch and in the online store. */
export function tileId(view: string, entityId: string, hopSeconds: number, startMs: number): string {
  return `${view}\u0000${entityId}\u0000${hopSeconds}\u0000${startMs}`;
}

/** Groups and folds events into tiles. Events of sources a view does not read are ignored by it. */
export function preaggregate(events: readonly ValidEvent[], views: readonly CompiledView[]): Map<string, Tile> {
  const tiles = new Map<string, Tile>();
  for (const event of events) {
    for (const compiled of views) {
      const { view } = compiled;
      if (view.source.name !== event.source) continue;
      const entityId = String(event.data[view.entity.keyField]);
      for (const hopSeconds of view.hopsSeconds) {
        const startMs = tileStartMs(event.eventTimeMs, hopSeconds);
        const id = tileId(view.name, entityId, hopSeconds, startMs);
        let tile = tiles.get(id);
        if (!tile) {
          tile = {
            view,
            entityId,
            hopSeconds,
            startMs,
            states: view.aggregations.map(emptyState),
            events: [],
            minSequence: event.sequence,
            maxSequence: event.sequence,
          };
          tiles.set(id, tile);
        }
        foldEvent(compiled, tile.states, event);
        tile.events.push(event);
        if (event.sequence < tile.minSequence) tile.minSequence = event.sequence;
        if (event.sequence > tile.maxSequence) tile.maxSequence = event.sequence;
      }
    }
  }
  return tiles;
}

/**
 * The part of a tile not yet applied to the store, given the highest sequence
 * number the store has applied from this shard (`appliedUpTo`, padded), or
 * undefined when every event of the tile is already applied.
 */
export function unappliedPart(
  tile: Tile,
  compiled: CompiledView,
  appliedUpTo: string | undefined,
): { states: AggregationState[]; minSequence: string; maxSequence: string } | undefined {
  if (appliedUpTo === undefined || appliedUpTo < tile.minSequence) {
    return { states: tile.states, minSequence: tile.minSequence, maxSequence: tile.maxSequence };
  }
  if (appliedUpTo >= tile.maxSequence) return undefined;
  const states = compiled.view.aggregations.map(emptyState);
  let minSequence: string | undefined;
  for (const event of tile.events) {
    if (event.sequence <= appliedUpTo) continue;
    foldEvent(compiled, states, event);
    if (minSequence === undefined || event.sequence < minSequence) minSequence = event.sequence;
  }
  return { states, minSequence: minSequence as string, maxSequence: tile.maxSequence };
}

/**
 * What an aggregation kind is, in one place: one object per kind (one file
 * each, beside this one) says which field it reads, how its spec is checked,
 * its mergeable state (empty, add an event, merge two), the value it serves
 * and the default of an empty window, and how the state is stored in a
 * DynamoDB item. Adding a kind is adding a file and listing it in ./index.ts.
 *
 * Every state carries `n` (events folded in) and `t` (newest event time
 * folded in, epoch ms: the freshness), whatever else it holds. Merging is
 * associative and never mutates its inputs; `later` is the state of events
 * later in the stream, which wins ties where a kind has them.
 */
import type { Aggregation } from '../define.js';

export type Scalar = string | number | boolean;

/** What a feature serves. */
export type FeatureValue = Scalar | null | readonly Scalar[];

export interface AggregationState {
  n: number;
  t: number;
}

/** What the read path knows when it serves a value (time-since kinds are computed at read time). */
export interface ServeContext {
  readonly nowMs: number;
}

/**
 * The field an aggregation of the kind reads: none (it counts events), any
 * field (its value is kept as is), or a numeric one.
 */
export type FieldRequirement = 'none' | 'any' | 'number';

/**
 * What the offline SQL (src/query/feature-sql.ts) gives a kind to render itself
 * as one aggregate over the events joined to a row: Trino SQL (Athena), which
 * src/query/rewrite.ts turns into DuckDB's.
 */
export interface SqlRows {
  /** The field's value where the event is in the window and passes the filter, else NULL (NULL for kinds without a field). */
  readonly value: string;
  /** TRUE where the event counts: in the window, past the filter, and (for kinds with a field) the value is not NULL. */
  readonly hit: string;
  /** A key (BIGINT) that orders an entity's events as the stream does: window time, then sequence number. */
  readonly order: string;
  /** The event's window time and the row's time, epoch ms (BIGINT). */
  readonly timeMs: string;
  readonly asOfMs: string;
  /**
   * The window time of the entity's next event with the same value of the field that also passes
   * the filter, NULL if none: where it is after the row's time, this event is its value's newest
   * occurrence (for kinds that keep one entry per value, without holding every event).
   */
  nextOccurrenceMs(): string;
}

/** A number as Trino SQL types it DOUBLE, not DECIMAL (docs/sql.md). */
export const sqlDouble = (x: number): string => `CAST(${x} AS DOUBLE)`;

/** The operations of one aggregation: the kind with that aggregation's options bound. */
export interface AggregationOps<S extends AggregationState = AggregationState> {
  empty(): S;
  /** Folds one event's value (undefined for kinds that read no field) into `state`, in place. Hot path. */
  add(state: S, value: Scalar | undefined, eventTimeMs: number): void;
  merge(earlier: S, later: S): S;
  /** The value served for a window whose merged state has n > 0. */
  value(state: S, context: ServeContext): FeatureValue;
  /** The value served for a window with no matching events. */
  readonly defaultValue: FeatureValue;
  /** The state as stored in the tile item's `a` map (a DynamoDB document value). */
  encode(state: S): Record<string, unknown>;
  decode(stored: Readonly<Record<string, unknown>>): S;
  /**
   * The aggregate computing the served value over `rows` (NULL where the window holds no matching
   * event: the SQL generator applies `defaultValue`). Same semantics as `value`, within a sketch's error.
   */
  sql(rows: SqlRows): string;
}

export interface AggregationKindDef<S extends AggregationState = AggregationState> {
  readonly name: string;
  /** One line for the docs and the CLI. */
  readonly description: string;
  readonly field: FieldRequirement;
  /** Checks the kind's own options of an aggregation; returns what is wrong, or undefined. */
  validate?(aggregation: Aggregation): string | undefined;
  bind(aggregation: Aggregation): AggregationOps<S>;
}

/** The newer of two event times (the freshness every state keeps). */
export const newer = (a: number, b: number): number => Math.max(a, b);

/** Reads `n` and `t` of a stored state; kinds add their own fields. */
export function storedBase(stored: Readonly<Record<string, unknown>>): AggregationState {
  return { n: Number(stored.n ?? 0), t: Number(stored.t ?? 0) };
}

/**
 * Labels for training sets, defined beside the features they are trained
 * with: "will this entity do X within the next H?" computed from the stream
 * itself, at observation times taken from the stream (seed 000's `is_hot`:
 * at each access of an object, at least 3 downloads in the next 24 h; seed
 * 002's purchase within the next hour after a page view).
 *
 * A label row is one observation: an event of `observe.source` matching
 * `observe.where`, of the label's entity, at its event time t. Its features
 * are those of time t (point in time: events at or before t, as the online
 * store served them at t); its label counts the events of `source` matching
 * `where` with event time in (t, t + horizon]: strictly after the observation,
 * so the observed event itself is never its own label.
 */
import { type Duration, parseDuration } from '../domain/duration.js';
import type { Entity, EventFilter, EventSource } from './define.js';

export interface LabelSpec {
  readonly name: string;
  readonly description: string;
  readonly entity: Entity;
  /** The events that make the label. */
  readonly source: EventSource;
  readonly where?: EventFilter;
  /** How far after the observation the label looks. */
  readonly horizon: Duration;
  /** A 0/1 label: at least this many matching events in the horizon. Without it the label is their count. */
  readonly atLeast?: number;
  /** Where observations come from. @default every event of the label's source */
  readonly observe?: { readonly source?: EventSource; readonly where?: EventFilter };
}

/** A validated label definition. */
export interface Label extends Omit<LabelSpec, 'observe'> {
  readonly horizonSeconds: number;
  readonly observe: { readonly source: EventSource; readonly where?: EventFilter };
}

export function defineLabel(spec: LabelSpec): Label {
  const fail = (what: string): never => {
    throw new Error(`label ${spec.name}: ${what}`);
  };
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(spec.name)) fail('name must be snake_case');
  const horizonSeconds = parseDuration(spec.horizon);
  if (spec.atLeast !== undefined && !(Number.isInteger(spec.atLeast) && spec.atLeast >= 1))
    fail('atLeast must be an integer ≥ 1');
  const observe = { source: spec.observe?.source ?? spec.source, ...(spec.observe?.where ? { where: spec.observe.where } : {}) };
  for (const [role, source, where] of [
    ['source', spec.source, spec.where],
    ['observed source', observe.source, observe.where],
  ] as const) {
    const shape = source.schema.shape;
    if (!(spec.entity.keyField in shape))
      fail(`its ${role} ${source.name} has no field ${spec.entity.keyField} (the key of ${spec.entity.name})`);
    if (where && !(where.field in shape)) fail(`filters its ${role} ${source.name} on unknown field "${where.field}"`);
  }
  return { ...spec, horizonSeconds, observe };
}

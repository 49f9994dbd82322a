/**
 * Batch sources: entity attributes that arrive as files (CSV or Parquet)
 * rather than as events — seed 002's user profiles, seed 000's object
 * metadata. Each row describes one entity as of a time; the newest row per
 * entity is served online beside the stream features (`GET /features/…`
 * lists the source like a feature view), and every valid row lands in the lake.
 *
 * Declarative data, like ./define.ts: the Lambda, the CLI, the local stack and
 * the API all read the same definition.
 */
import type { z } from 'zod';
import type { Entity } from './define.js';

export interface BatchSource<S extends z.ZodObject = z.ZodObject> {
  /** snake_case; also the lake table (`events/<name>/`), the upload prefix (`sources/<name>/`) and the API's view name. */
  readonly name: string;
  readonly description: string;
  /** The entity each row describes; its `keyField` must be a field of the schema. */
  readonly entity: Entity;
  /** Validates one row; a row that fails it is reported with its line and reason, never written. */
  readonly schema: S;
  /**
   * Field holding the time a row's values are true as of (ISO-8601 with offset, or epoch ms): the newest
   * row per entity wins, and it is each feature's freshness.
   * @default none: every row is as of the file's upload time (the S3 event's time; the file's mtime from the CLI)
   */
  readonly asOfField?: keyof z.infer<S> & string;
  /** The columns served online as features, in response order. Neither the key nor the as-of field. */
  readonly features: readonly (keyof z.infer<S> & string)[];
}

/** The lake column holding a row's as-of time when the source has no as-of field of its own. */
export const AS_OF_COLUMN = 'as_of';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Validates a batch source at definition time; throws naming the source and the mistake. */
export function defineBatchSource<S extends z.ZodObject>(source: BatchSource<S>): BatchSource<S> {
  const fail = (what: string): never => {
    throw new Error(`batch source ${source.name}: ${what}`);
  };
  if (!NAME.test(source.name)) fail('its name must be snake_case: a lowercase letter, then letters, digits or _');
  const shape = source.schema.shape as Record<string, unknown>;
  const key = source.entity.keyField;
  if (!(key in shape)) fail(`entity key "${key}" is not a field of its schema`);
  if (source.asOfField !== undefined && !(source.asOfField in shape))
    fail(`asOfField "${source.asOfField}" is not a field of its schema`);
  if (source.asOfField === undefined && AS_OF_COLUMN in shape)
    fail(`its schema has a field "${AS_OF_COLUMN}", the lake column of the upload time; name it as asOfField`);
  if (source.features.length === 0) fail('serves no features: list the columns to serve');
  const seen = new Set<string>();
  for (const feature of source.features) {
    if (!(feature in shape)) fail(`feature "${feature}" is not a field of its schema`);
    if (feature === key || feature === source.asOfField) fail(`feature "${feature}" is the entity key or the as-of field`);
    if (seen.has(feature)) fail(`feature "${feature}" is listed twice`);
    seen.add(feature);
  }
  return source;
}

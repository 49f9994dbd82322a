/**
 * The lake's columns of each event source, derived from its zod schema (via
 * zod's own JSON Schema export), so the Parquet files, the Glue tables and the
 * local DuckDB views can never disagree with the catalog:
 *
 *   the event-time field → timestamp (UTC);  integer → bigint;  number → double;
 *   boolean → boolean;  string / enum → string;  anything else → string (JSON).
 *
 * Every table also has `arrival_time` (when the record reached the stream, or
 * the import ran) and `record_id` (`<shard id>:<sequence number>` for stream
 * rows, `import:<run>:<file>:<line>` for imported ones) for lineage and dedupe.
 */
import * as z from 'zod';
import type { EventSource } from '../features/define.js';

export type LakeType = 'string' | 'double' | 'bigint' | 'boolean' | 'timestamp';

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeType;
  readonly nullable: boolean;
  readonly description?: string;
}

export const LINEAGE_COLUMNS: readonly LakeColumn[] = [
  {
    name: 'arrival_time',
    type: 'timestamp',
    nullable: false,
    description: 'When the record reached the stream (or was imported).',
  },
  { name: 'record_id', type: 'string', nullable: false, description: 'Shard and sequence number, or import run, file and line.' },
];

interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchemaNode[];
}

function lakeType(node: JsonSchemaNode): LakeType {
  if (node.anyOf) {
    const types = new Set(node.anyOf.map(lakeType));
    return types.size === 1 ? ([...types][0] as LakeType) : 'string';
  }
  switch (node.type) {
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

const cache = new WeakMap<EventSource, LakeColumn[]>();

/** The source's columns in schema order, then the lineage columns. */
export function lakeColumns(source: EventSource): LakeColumn[] {
  const cached = cache.get(source);
  if (cached) return cached;
  const json = z.toJSONSchema(source.schema, { unrepresentable: 'any' }) as {
    properties: Record<string, JsonSchemaNode>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  const columns: LakeColumn[] = [
    ...Object.entries(json.properties).map(([name, node]) => ({
      name,
      type: name === source.eventTimeField ? ('timestamp' as const) : lakeType(node),
      nullable: !required.has(name),
    })),
    ...LINEAGE_COLUMNS,
  ];
  cache.set(source, columns);
  return columns;
}

/** Glue / Athena (Hive DDL) type names. */
export const GLUE_TYPES: Readonly<Record<LakeType, string>> = {
  string: 'string',
  double: 'double',
  bigint: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

/**
 * The producer's reference for each event source, rendered from the catalog's
 * zod schemas (through zod's own JSON Schema export), so docs/events.md
 * cannot drift from what the consumers accept.
 */
import * as z from 'zod';
import type { EventSource } from './define.js';

interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
}

/** JavaScript's safe-integer bounds: zod's `.int()` says them, and they say nothing to a producer. */
const SAFE = Number.MAX_SAFE_INTEGER;

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (schema.format === 'date-time') return 'ISO-8601 timestamp with a zone';
  if (schema.type === 'integer' && schema.minimum === 0 && schema.maximum === 8_640_000_000_000) return 'epoch milliseconds';
  return schema.type ?? 'any';
}

function constraintsOf(schema: JsonSchema): string {
  if (schema.anyOf) return '';
  const parts: string[] = [];
  if (schema.minLength !== undefined && schema.maxLength !== undefined) {
    parts.push(`${schema.minLength}–${schema.maxLength} characters`);
  } else if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined && schema.minimum !== -SAFE) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined && schema.maximum !== SAFE) parts.push(`≤ ${schema.maximum}`);
  return parts.join(', ');
}

/** One markdown section per source: its envelope name, event-time field and a table of its fields. */
export function renderEventSources(sources: readonly EventSource[]): string {
  return sources
    .map((source) => {
      const schema = z.toJSONSchema(source.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
      const required = new Set(schema.required ?? []);
      const rows = Object.entries(schema.properties ?? {}).map(
        ([name, field]) => `| \`${name}\` | ${typeOf(field)} | ${required.has(name) ? 'yes' : 'no'} | ${constraintsOf(field)} |`,
      );
      return [
        `### \`"source": "${source.name}"\``,
        '',
        source.description,
        `Event time: \`${source.eventTimeField}\`.`,
        '',
        '| field | type | required | constraints |',
        '| --- | --- | --- | --- |',
        ...rows,
      ].join('\n');
    })
    .join('\n\n');
}

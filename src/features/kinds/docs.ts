/** The table of aggregation kinds for docs/aggregations.md, rendered from the registry. */
import { AGGREGATION_KINDS } from './index.js';

export function renderKindTable(): string {
  const fields = { none: '—', any: 'any', number: 'numeric' } as const;
  return [
    '| kind | field | serves |',
    '| --- | --- | --- |',
    ...Object.entries(AGGREGATION_KINDS).map(([name, kind]) => `| \`${name}\` | ${fields[kind.field]} | ${kind.description} |`),
  ].join('\n');
}

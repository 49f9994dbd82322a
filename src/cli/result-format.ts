/** Query results on stdout: an aligned table for people, CSV and JSON for programs. */

export type ResultFormat = 'table' | 'csv' | 'json';
export const RESULT_FORMATS: readonly ResultFormat[] = ['table', 'csv', 'json'];

/** A cell as text: timestamps as ISO-8601 UTC, NULL as empty (table shows "NULL"). */
function cellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  return String(value);
}

/** A JSON-safe value: bigints as numbers when exact, else strings; dates as ISO strings. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  return value ?? null;
}

function csvField(text: string | undefined): string {
  if (text === undefined) return '';
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatResult(columns: readonly string[], rows: readonly Record<string, unknown>[], format: ResultFormat): string {
  if (format === 'json') {
    const plain = rows.map((row) => Object.fromEntries(columns.map((c) => [c, jsonValue(row[c])])));
    return `${JSON.stringify(plain, null, 2)}\n`;
  }
  const texts = rows.map((row) => columns.map((c) => cellText(typeof row[c] === 'bigint' ? Number(row[c]) : row[c])));
  if (format === 'csv') {
    return [columns.map(csvField).join(','), ...texts.map((r) => r.map(csvField).join(','))].join('\n').concat('\n');
  }
  const shown = texts.map((r) => r.map((t) => t ?? 'NULL'));
  const numeric = columns.map(
    (c) => rows.length > 0 && rows.every((r) => r[c] == null || typeof r[c] === 'number' || typeof r[c] === 'bigint'),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...shown.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...shown.map(line)].join('\n').concat('\n');
}

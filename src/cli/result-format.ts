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

/**
 * The result as lines of text (each ending in a newline), produced lazily so
 * millions of rows are written in chunks rather than built as one string.
 */
export function* formatLines(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  format: ResultFormat,
): Generator<string> {
  if (format === 'json') {
    // One JSON array, one row per line: the same value as JSON.stringify(rows) would give.
    if (rows.length === 0) {
      yield '[]\n';
      return;
    }
    for (const [i, row] of rows.entries()) {
      const plain = Object.fromEntries(columns.map((c) => [c, jsonValue(row[c])]));
      yield `${i === 0 ? '[\n' : ''}  ${JSON.stringify(plain)}${i === rows.length - 1 ? '\n]' : ','}\n`;
    }
    return;
  }
  const texts = (row: Record<string, unknown>) =>
    columns.map((c) => cellText(typeof row[c] === 'bigint' ? Number(row[c]) : row[c]));
  if (format === 'csv') {
    yield `${columns.map(csvField).join(',')}\n`;
    for (const row of rows) yield `${texts(row).map(csvField).join(',')}\n`;
    return;
  }
  // Table: column widths need every cell first (a loop: spreading millions of widths into Math.max overflows the stack).
  const numeric = columns.map(
    (c) => rows.length > 0 && rows.every((r) => r[c] == null || typeof r[c] === 'number' || typeof r[c] === 'bigint'),
  );
  const widths = columns.map((c) => c.length);
  const shown = rows.map((row) => texts(row).map((t) => t ?? 'NULL'));
  for (const cells of shown) {
    for (let i = 0; i < cells.length; i++) widths[i] = Math.max(widths[i] as number, (cells[i] as string).length);
  }
  const line = (cells: readonly string[]) =>
    `${cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()}\n`;
  yield line(columns);
  yield `${widths.map((w) => '-'.repeat(w)).join('  ')}\n`;
  for (const cells of shown) yield line(cells);
}

/** The whole result as one string (small results, tests). */
export function formatResult(columns: readonly string[], rows: readonly Record<string, unknown>[], format: ResultFormat): string {
  return [...formatLines(columns, rows, format)].join('');
}

/** Writes the result to a stream in chunks, waiting when the stream asks it to (a pipe to `head`, a slow disk). */
export async function writeResult(
  out: NodeJS.WritableStream,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  format: ResultFormat,
): Promise<void> {
  let chunk: string[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const ok = out.write(chunk.join(''));
    chunk = [];
    if (!ok) await new Promise((resolve) => out.once('drain', resolve));
  };
  for (const line of formatLines(columns, rows, format)) {
    chunk.push(line);
    if (chunk.length >= 10_000) await flush();
  }
  await flush();
}

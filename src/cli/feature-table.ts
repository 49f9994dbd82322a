/** Renders a feature API response as a table: feature → value → freshness. */

export interface FeatureResponse {
  readonly entityType: string;
  readonly entityId: string;
  readonly asOf: string;
  readonly views: Readonly<
    Record<
      string,
      { readonly features: Readonly<Record<string, unknown>>; readonly freshness: Readonly<Record<string, string | null>> }
    >
  >;
}

/** "4m 12s ago" style age of `iso` relative to `asOfMs`. */
export function age(iso: string | null | undefined, asOfMs: number): string {
  if (!iso) return 'no events';
  const ms = asOfMs - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (ms < 0) return `${iso} (ahead of asOf)`;
  const s = Math.floor(ms / 1000);
  const parts =
    s < 60
      ? [`${s}s`]
      : s < 3600
        ? [`${Math.floor(s / 60)}m`, `${s % 60}s`]
        : s < 86_400
          ? [`${Math.floor(s / 3600)}h`, `${Math.floor((s % 3600) / 60)}m`]
          : [`${Math.floor(s / 86_400)}d`, `${Math.floor((s % 86_400) / 3600)}h`];
  return `${parts.join(' ')} ago`;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderFeatureTable(response: FeatureResponse): string {
  const asOfMs = Date.parse(response.asOf);
  const lines = [`${response.entityType} ${response.entityId} — features as of ${response.asOf}`];
  for (const [view, values] of Object.entries(response.views)) {
    const rows = Object.entries(values.features).map(([name, value]) => [
      name,
      formatValue(value),
      age(values.freshness[name], asOfMs),
    ]);
    const header = ['feature', 'value', 'freshness'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const format = (cells: readonly string[]) =>
      `  ${cells.map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
    lines.push('', view, format(header), format(widths.map((w) => '─'.repeat(w))), ...rows.map(format));
  }
  return `${lines.join('\n')}\n`;
}

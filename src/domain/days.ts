/** UTC days as the lake names them: `yyyy-MM-dd` (the `dt` partition), and strict ISO-8601 instants. */

export const DAY_MS = 86_400_000;

/**
 * `yyyy-MM-dd`, optionally followed by a time (`T` or a space, then `HH:mm[:ss[.fff]]`) that must
 * carry a zone (`Z` or `±HH:mm`): a zone-less time would depend on the machine's time zone.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** Whether year, month and day name a real calendar day (Date.parse turns 2025-02-30 into March 2). */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/**
 * An ISO-8601 date (midnight UTC) or time with a zone, as epoch ms; undefined when the text is not
 * one or names an impossible date or time (2025-02-30, 24:00, 12:60).
 */
export function parseIsoInstant(text: string): number | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  if (!isCalendarDay(Number(y), Number(mo), Number(d))) return undefined;
  if (h === undefined) return Date.UTC(Number(y), Number(mo) - 1, Number(d));
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined;
  const offset = (zone as string).toUpperCase() === 'Z' ? 'Z' : (zone as string).replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4)) > 59)) return undefined;
  const ms = (fraction ?? '.000').slice(1, 4).padEnd(3, '0');
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}.${ms}${offset}`);
}

/** Whether the text is a real day written yyyy-MM-dd. */
export function isIsoDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && parseIsoInstant(text) !== undefined;
}

/** The UTC day of an instant, yyyy-MM-dd. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** UTC days as the lake names them: `yyyy-MM-dd` (the `dt` partition). */

export const DAY_MS = 86_400_000;

/** Whether the text is a day written yyyy-MM-dd that Date.parse accepts. */
export function isIsoDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text));
}

/** The UTC day of an instant, yyyy-MM-dd. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Durations are written the way people say them in feature definitions and
 * config ("10m", "1h", "7d") and carried as whole seconds everywhere else.
 */
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const DURATION = /^(\d+)(s|m|h|d)$/;

export type Duration = `${number}${keyof typeof UNIT_SECONDS}`;

/** Parses "90s", "10m", "1h", "7d" into seconds; throws on anything else. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new Error(`invalid duration "${text}": expected a whole number followed by s, m, h or d (e.g. "10m", "7d")`);
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds <= 0) throw new Error(`invalid duration "${text}": must be greater than zero`);
  return seconds;
}

/** The shortest exact spelling of a number of seconds: 600 → "10m", 86400 → "1d". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

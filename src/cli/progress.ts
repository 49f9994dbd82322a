/**
 * Progress on stderr, never stdout (stdout may be carrying JSONL). A live bar
 * when stderr is a terminal and the run is long; when stderr is a file or a
 * pipe, a plain line every few seconds, and only for large runs (a CI log
 * needs no bar for a 2,000-event test).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, records: number): void;
  stop(): void;
}

const none: Progress = { update() {}, stop() {} };

export interface ProgressOptions {
  /** Total for the bar (events, or bytes of a file); without it, counts only. */
  readonly total?: number;
  /** Worth a live bar on a terminal. */
  readonly long: boolean;
  /** Worth periodic lines in a log. */
  readonly large: boolean;
  readonly enabled: boolean;
  /** What `records` counts, e.g. "events" or "sent". */
  readonly label: string;
}

export function createProgress(options: ProgressOptions): Progress {
  const tty = process.stderr.isTTY === true;
  if (!options.enabled || !(tty ? options.long : options.large)) return none;
  const started = performance.now();
  const counts = options.total === undefined ? '' : '{bar} {percentage}% | ';
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${counts}{records} ${options.label} | {rate}/s | {duration_formatted}`,
      noTTYOutput: !tty,
      notTTYSchedule: 5_000,
      hideCursor: tty,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (records: number) => ({
    records: records.toLocaleString('en-US'),
    rate: Math.round(records / Math.max(0.001, (performance.now() - started) / 1000)).toLocaleString('en-US'),
  });
  bar.start(options.total ?? 1, 0, payload(0));
  return {
    update(value, records) {
      bar.update(options.total === undefined ? 0 : value, payload(records));
    },
    stop() {
      bar.stop();
    },
  };
}

/** A line on stderr every 5 s while a long statement runs (no bar: its total is unknown); returns the stop. */
export function ticker(what: string): () => void {
  const started = performance.now();
  const timer = setInterval(
    () => process.stderr.write(`featurelake: ${what}… ${((performance.now() - started) / 1000).toFixed(0)} s\n`),
    5_000,
  );
  return () => clearInterval(timer);
}

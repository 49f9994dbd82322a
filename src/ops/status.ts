/**
 * `featurelake status`: what one screen tells an operator, and the screen.
 * The report is gathered from the local stack's emulators (./local-status.ts)
 * or from a deployed environment (./deployed-status.ts); this module only
 * shapes it into aligned text, coloured when asked (on a TTY).
 */

/**
 * The stream's consumers, by the name they quarantine and publish metrics under (the `CONSUMER`
 * constants of src/aggregator/aggregate-batch.ts and src/lake/lake-writer.ts, not imported: the
 * CLI would load both pipelines to print a name).
 */
export const STREAM_CONSUMERS = ['aggregator', 'lake-writer'] as const;

/** One stream consumer: how far behind it is and when it last got somewhere. */
export interface ConsumerStatus {
  readonly name: string;
  /** Records on the stream it has not processed yet (local stack); undefined when not known. */
  readonly lagRecords?: number;
  /** Age of the oldest record it has not processed (the iterator age), ms; 0 when it is caught up. */
  readonly lagMs?: number;
  /** When it last processed a batch: local, the newest processed record's arrival; deployed, its last RecordsReceived. */
  readonly lastBatchAt?: Date;
}

export interface QuarantineCount {
  readonly consumer: string;
  readonly reason: string;
  readonly records: number;
}

/** A data-quality expectation's quarantined events (hard expectations: reason `expectation_failed`). */
export interface ExpectationFailureCount {
  readonly source: string;
  readonly expectation: string;
  readonly records: number;
}

export interface ModelStatus {
  readonly name: string;
  readonly versions: number;
  readonly current?: string;
  readonly shadow?: string;
}

export interface AlarmStatus {
  readonly name: string;
  readonly state: string;
  readonly since?: Date;
}

/** A model's latest drift run (the lake's drift table). */
export interface DriftRunStatus {
  readonly model: string;
  readonly version: string;
  readonly windowEnd?: Date;
  /** Inputs (and the score) with enough predictions to be judged. */
  readonly judged: number;
  /** Those past their thresholds. */
  readonly breached: readonly string[];
  readonly maxPsi?: number;
}

export interface StatusReport {
  /** What was looked at: `local stack (dev)`, `featurelake-prod (eu-west-1)`. */
  readonly target: string;
  readonly at: Date;
  readonly consumers: readonly ConsumerStatus[];
  /** What the quarantine counts cover: `today (UTC)`, `the last 3 days (UTC)`. */
  readonly quarantineWindow: string;
  readonly quarantine: readonly QuarantineCount[];
  readonly expectationFailures: readonly ExpectationFailureCount[];
  readonly models: readonly ModelStatus[];
  /** The environment's alarms; undefined where there are none (the local stack). */
  readonly alarms?: readonly AlarmStatus[];
  /** The drift alarms' states (deployed). */
  readonly drift: readonly AlarmStatus[];
  /** Each model's latest drift run, from the lake's drift table. */
  readonly driftRuns?: readonly DriftRunStatus[];
  /** Caveats: what could not be read, what is approximate. */
  readonly notes: readonly string[];
}

export interface RenderOptions {
  /** ANSI colours (the CLI sets this on a TTY only). @default false */
  readonly color?: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Tone = keyof typeof ANSI;

/** Milliseconds as an operator reads them: 0 ms, 850 ms, 12.4 s, 3 min 5 s, 2 h 10 min. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3_600)} h ${Math.floor((s % 3_600) / 60)} min`;
}

/** `2026-11-28 11:52:03Z (5.2 s ago)`. */
export function formatWhen(when: Date | undefined, now: Date): string {
  if (!when) return '—';
  const stamp = `${when.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return `${stamp} (${formatDuration(Math.max(0, now.getTime() - when.getTime()))} ago)`;
}

const n = (v: number) => v.toLocaleString('en-US');

/** The report as one screen of aligned text. */
export function renderStatus(report: StatusReport, options: RenderOptions = {}): string {
  const paint = (text: string, tone: Tone | undefined) =>
    options.color && tone ? `\u001b[${ANSI[tone]}m${text}\u001b[0m` : text;
  const lines: string[] = [];
  const heading = (title: string) => lines.push('', paint(title, 'bold'));
  /** Columns padded to their widest cell (numbers right-aligned), tones applied after padding. */
  const table = (header: string[], rows: { cells: string[]; tone?: Tone }[], numeric: number[] = []) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (numeric.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    lines.push(`  ${paint(line(header), 'dim')}`);
    for (const r of rows) lines.push(`  ${paint(line(r.cells), r.tone)}`);
  };
  const none = (text: string) => lines.push(`  ${paint(text, 'dim')}`);

  lines.push(
    paint(`featurelake status: ${report.target}`, 'bold'),
    `  at ${formatWhen(report.at, report.at).replace(/ \(.*/, '')}`,
  );

  heading('Consumers');
  table(
    ['consumer', 'lag (records)', 'iterator age', 'last batch'],
    report.consumers.map((c) => ({
      cells: [
        c.name,
        c.lagRecords === undefined ? '—' : n(c.lagRecords),
        c.lagMs === undefined ? '—' : formatDuration(c.lagMs),
        formatWhen(c.lastBatchAt, report.at),
      ],
      ...((c.lagRecords ?? 0) > 0 || (c.lagMs ?? 0) > 0 ? { tone: 'yellow' as const } : {}),
    })),
    [1, 2],
  );

  heading(`Quarantine, ${report.quarantineWindow}`);
  if (report.quarantine.length === 0) none('nothing quarantined');
  else
    table(
      ['consumer', 'reason', 'records'],
      report.quarantine.map((q) => ({ cells: [q.consumer, q.reason, n(q.records)], tone: 'yellow' })),
      [2],
    );

  heading(`Data quality (hard expectations broken), ${report.quarantineWindow}`);
  if (report.expectationFailures.length === 0) none('no expectation failures');
  else
    table(
      ['source', 'expectation', 'records'],
      report.expectationFailures.map((e) => ({ cells: [e.source, e.expectation, n(e.records)], tone: 'yellow' })),
      [2],
    );

  heading('Models');
  if (report.models.length === 0) none('no models published');
  else
    table(
      ['model', 'current', 'shadow', 'versions'],
      report.models.map((m) => ({
        cells: [m.name, m.current ?? '—', m.shadow ?? '—', n(m.versions)],
        ...(m.current === undefined ? { tone: 'yellow' as const } : {}),
      })),
      [3],
    );

  const alarmRows = (alarms: readonly AlarmStatus[]) =>
    alarms.map((a) => ({
      cells: [a.name, a.state, formatWhen(a.since, report.at)],
      ...(a.state === 'ALARM' ? { tone: 'red' as const } : a.state === 'OK' ? { tone: 'green' as const } : {}),
    }));
  heading('Drift');
  const runs = report.driftRuns ?? [];
  if (runs.length === 0) none('no drift runs in the lake');
  else
    table(
      ['model', 'version', 'window end', 'judged', 'breached', 'max PSI'],
      runs.map((d) => ({
        cells: [
          d.model,
          d.version,
          d.windowEnd ? formatWhen(d.windowEnd, report.at) : '—',
          n(d.judged),
          d.breached.length === 0 ? 'none' : d.breached.join(', '),
          d.maxPsi === undefined ? '—' : d.maxPsi.toFixed(3),
        ],
        ...(d.breached.length > 0 ? { tone: 'red' as const } : {}),
      })),
      [3],
    );
  if (report.alarms) {
    if (report.drift.length === 0) none('no drift alarms');
    else table(['alarm', 'state', 'since'], alarmRows(report.drift));
  }

  if (report.alarms) {
    const firing = report.alarms.filter((a) => a.state !== 'OK');
    heading(`Alarms: ${n(report.alarms.length - firing.length)} OK, ${n(firing.length)} not OK`);
    if (firing.length === 0) none('every alarm is OK');
    else table(['alarm', 'state', 'since'], alarmRows(firing));
  }

  if (report.notes.length > 0) {
    heading('Notes');
    for (const note of report.notes) lines.push(`  ${paint(`- ${note}`, 'dim')}`);
  }
  return `${lines.join('\n')}\n`;
}

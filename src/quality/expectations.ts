/**
 * Data-quality expectations: what a source's events (or a feature view's) are
 * expected to look like, declared in the catalog beside the schema. One object
 * per kind (as src/features/kinds/ does for aggregations) holds all a kind
 * means: how a definition is validated, how one event is judged, how a batch
 * is counted by the stream consumers (./batch-quality.ts), and its SQL for the
 * daily report over the lake (./report-sql.ts).
 *
 * Every expectation yields two counts over a span of events — `checked` and
 * `failed` — and holds when failed ≤ maxFailureRate × checked. The unit depends
 * on the kind's level:
 *  - `record` (not_null, range, allowed_values): one event. The only kinds that
 *    may be `hard`: an event breaking a hard one is quarantined by both stream
 *    consumers (src/domain/records.ts), so it reaches neither the lake nor the
 *    online store. Record kinds count the same online and offline.
 *  - `batch` (unique_within_batch, freshness): judged per consumer batch, which
 *    the lake does not keep; the daily report judges the day (uniqueness) or
 *    each hour of arrival (freshness) instead.
 *  - `hour` (volume_per_hour): no batch sees an hour. Online it is the
 *    EventsInBatch metric summed per hour by CloudWatch against the band
 *    (expectationThresholds); offline each hour of event time of the day.
 * Soft expectations only count. A missing (null) value passes range and
 * allowed_values: presence is not_null's concern.
 */

export type Severity = 'hard' | 'soft';
/** A value an allowed_values expectation lists. */
export type AllowedValue = string | number | boolean;

interface Common {
  /** snake_case, unique among the expectations of a source (its own and its views'): the metric's dimension. */
  readonly name: string;
  /** `hard` quarantines an event that breaks it (record kinds only). @default 'soft' */
  readonly severity?: Severity;
  readonly description?: string;
}

export type Expectation =
  | (Common & {
      readonly kind: 'not_null';
      readonly field: string;
      /** Share of events with a value for the expectation to hold; a hard one needs 1. @default 1 */
      readonly minRate?: number;
    })
  | (Common & { readonly kind: 'range'; readonly field: string; readonly min?: number; readonly max?: number })
  | (Common & { readonly kind: 'allowed_values'; readonly field: string; readonly values: readonly AllowedValue[] })
  | (Common & { readonly kind: 'unique_within_batch'; readonly field: string })
  | (Common & { readonly kind: 'volume_per_hour'; readonly min?: number; readonly max?: number })
  | (Common & { readonly kind: 'freshness'; readonly maxAgeSeconds: number });

export type ExpectationKindName = Expectation['kind'];
type Of<K extends ExpectationKindName> = Extract<Expectation, { kind: K }>;

/** Counts over a span of events. */
export interface ExpectationCounts {
  readonly checked: number;
  readonly failed: number;
}

/** What the SQL of a kind is written against (./report-sql.ts). */
export interface SqlContext {
  /** The relation of the source's events in the reported range. */
  readonly events: string;
  /** Quoted columns. */
  readonly column: (field: string) => string;
  readonly eventTime: string;
  readonly arrivalTime: string;
  /** Hours in the reported range, as a SQL expression. */
  readonly hours: string;
}

/** The events of one source in one batch, as the batch check reads them. */
export interface BatchView {
  readonly values: (field: string) => readonly unknown[];
  readonly newestEventTimeMs: number;
  readonly newestArrivalMs: number;
}

export interface ExpectationKind<E extends Expectation = Expectation> {
  readonly kind: E['kind'];
  readonly level: 'record' | 'batch' | 'hour';
  /** The event fields it reads. */
  readonly fields: (e: E) => readonly string[];
  /** A problem with the definition, or undefined. */
  readonly validate: (e: E, isNumeric: (field: string) => boolean) => string | undefined;
  /** Share of checked units allowed to fail while the expectation holds. */
  readonly maxFailureRate: (e: E) => number;
  /** Record kinds: whether an event's value breaks it, and why in words. */
  readonly breaks?: (e: E) => (value: unknown) => boolean;
  readonly explain?: (e: E, value: unknown) => string;
  /** Batch kinds: counts over one batch of a source's events. */
  readonly batch?: (e: E, view: BatchView) => ExpectationCounts;
  /** A SELECT of one row (checked, failed) over `ctx.events`. */
  readonly sql: (e: E, ctx: SqlContext) => string;
}

const isMissing = (value: unknown) => value === null || value === undefined;

/** A SQL literal (Trino and DuckDB). */
export function sqlLiteral(value: AllowedValue): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return Number.isInteger(value) ? String(value) : `CAST(${value} AS DOUBLE)`;
}

/** Record kinds: one row of counts of the events that break `predicate` (true = broken; NULL = passes). */
const recordSql = (predicate: string, ctx: SqlContext) =>
  `SELECT count(*) AS checked, count_if(${predicate}) AS failed FROM ${ctx.events}`;

const rangeSql = (e: { readonly min?: number; readonly max?: number }, column: string) =>
  [e.min === undefined ? '' : `${column} < ${sqlLiteral(e.min)}`, e.max === undefined ? '' : `${column} > ${sqlLiteral(e.max)}`]
    .filter(Boolean)
    .join(' OR ');

const notNull: ExpectationKind<Of<'not_null'>> = {
  kind: 'not_null',
  level: 'record',
  fields: (e) => [e.field],
  validate: (e) => {
    const rate = e.minRate ?? 1;
    if (!(rate >= 0 && rate <= 1)) return 'needs minRate from 0 to 1';
    if (e.severity === 'hard' && rate !== 1) return 'is hard, so every event must have the field (minRate 1)';
    return undefined;
  },
  maxFailureRate: (e) => 1 - (e.minRate ?? 1),
  breaks: () => isMissing,
  explain: (e) => `${e.field} is missing`,
  sql: (e, ctx) => recordSql(`${ctx.column(e.field)} IS NULL`, ctx),
};

const range: ExpectationKind<Of<'range'>> = {
  kind: 'range',
  level: 'record',
  fields: (e) => [e.field],
  validate: (e, isNumeric) => {
    if (!isNumeric(e.field)) return `needs a numeric field; "${e.field}" is not one`;
    if (e.min === undefined && e.max === undefined) return 'needs min, max or both';
    if (e.min !== undefined && e.max !== undefined && !(e.min <= e.max)) return `has min ${e.min} above max ${e.max}`;
    return undefined;
  },
  maxFailureRate: () => 0,
  breaks: (e) => {
    const min = e.min ?? Number.NEGATIVE_INFINITY;
    const max = e.max ?? Number.POSITIVE_INFINITY;
    return (value) => typeof value === 'number' && (value < min || value > max);
  },
  explain: (e, value) => `${e.field} ${value} is outside [${e.min ?? '-∞'}, ${e.max ?? '∞'}]`,
  sql: (e, ctx) => recordSql(rangeSql(e, ctx.column(e.field)), ctx),
};

const allowedValues: ExpectationKind<Of<'allowed_values'>> = {
  kind: 'allowed_values',
  level: 'record',
  fields: (e) => [e.field],
  validate: (e) => (e.values.length === 0 ? 'needs at least one value' : undefined),
  maxFailureRate: () => 0,
  breaks: (e) => {
    const allowed = new Set<unknown>(e.values);
    return (value) => !isMissing(value) && !allowed.has(value);
  },
  explain: (e, value) => `${e.field} ${JSON.stringify(value)} is not one of ${e.values.map((v) => JSON.stringify(v)).join(', ')}`,
  sql: (e, ctx) => recordSql(`${ctx.column(e.field)} NOT IN (${e.values.map(sqlLiteral).join(', ')})`, ctx),
};

const uniqueWithinBatch: ExpectationKind<Of<'unique_within_batch'>> = {
  kind: 'unique_within_batch',
  level: 'batch',
  fields: (e) => [e.field],
  validate: () => undefined,
  maxFailureRate: () => 0,
  // Failed: events whose value repeats one earlier in the batch (present values only).
  batch: (e, view) => {
    const values = view.values(e.field);
    const seen = new Set<unknown>();
    let present = 0;
    for (const v of values) {
      if (isMissing(v)) continue;
      present++;
      seen.add(v);
    }
    return { checked: values.length, failed: present - seen.size };
  },
  // Offline the day is the batch: repeats across batches count too, so the day's figure is at least the batches' sum.
  sql: (e, ctx) =>
    `SELECT count(*) AS checked, count(${ctx.column(e.field)}) - count(DISTINCT ${ctx.column(e.field)}) AS failed FROM ${ctx.events}`,
};

const volumePerHour: ExpectationKind<Of<'volume_per_hour'>> = {
  kind: 'volume_per_hour',
  level: 'hour',
  fields: () => [],
  validate: (e) => {
    if (e.min === undefined && e.max === undefined) return 'needs min, max or both (events per hour)';
    if (e.min !== undefined && e.max !== undefined && !(e.min <= e.max)) return `has min ${e.min} above max ${e.max}`;
    if ((e.min ?? 0) < 0) return 'needs a min of at least 0';
    return undefined;
  },
  maxFailureRate: () => 0,
  // Checked: the range's hours; failed: hours of event time outside the band, an hour without events included when min > 0.
  sql: (e, ctx) => {
    const outside = rangeSql(e, 'n');
    const empty = (e.min ?? 0) > 0 ? ` + (${ctx.hours} - count(*))` : '';
    return `SELECT ${ctx.hours} AS checked, count_if(${outside})${empty} AS failed FROM (SELECT count(*) AS n FROM ${ctx.events} GROUP BY date_trunc('hour', ${ctx.eventTime})) AS per_hour`;
  },
};

/** Newest event's age: the newest arrival less the newest event time (never below 0: a producer clock ahead). */
export function newestEventAgeSeconds(newestArrivalMs: number, newestEventTimeMs: number): number {
  return Math.max(0, newestArrivalMs - newestEventTimeMs) / 1000;
}

const freshness: ExpectationKind<Of<'freshness'>> = {
  kind: 'freshness',
  level: 'batch',
  fields: () => [],
  validate: (e) => (e.maxAgeSeconds > 0 ? undefined : 'needs maxAgeSeconds above 0'),
  maxFailureRate: () => 0,
  // One check per batch: the age is measured at the batch's newest arrival, so a retry judges it alike.
  batch: (e, view) => ({
    checked: 1,
    failed: newestEventAgeSeconds(view.newestArrivalMs, view.newestEventTimeMs) > e.maxAgeSeconds ? 1 : 0,
  }),
  // Offline each hour of arrival is a batch.
  sql: (e, ctx) =>
    `SELECT count(*) AS checked, count_if(age > ${sqlLiteral(e.maxAgeSeconds)}) AS failed FROM (SELECT greatest(0, to_unixtime(max(${ctx.arrivalTime})) - to_unixtime(max(${ctx.eventTime}))) AS age FROM ${ctx.events} GROUP BY date_trunc('hour', ${ctx.arrivalTime})) AS per_hour`,
};

/** Every kind, by name. */
export const EXPECTATION_KINDS: { readonly [K in ExpectationKindName]: ExpectationKind<Of<K>> } = {
  not_null: notNull,
  range,
  allowed_values: allowedValues,
  unique_within_batch: uniqueWithinBatch,
  volume_per_hour: volumePerHour,
  freshness,
};

export function expectationKind<E extends Expectation>(e: E): ExpectationKind<E> {
  return EXPECTATION_KINDS[e.kind] as unknown as ExpectationKind<E>;
}

export const severityOf = (e: Expectation): Severity => e.severity ?? 'soft';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Checks a list of expectations against the fields of what declares them (`owner`: "source x",
 * "feature view y"). Throws naming the owner, the expectation and the problem.
 */
export function validateExpectations(
  owner: string,
  expectations: readonly Expectation[],
  fields: { readonly has: (field: string) => boolean; readonly isNumeric: (field: string) => boolean },
  options: { readonly allowHard: boolean; readonly taken?: ReadonlySet<string> },
): void {
  const names = new Set(options.taken);
  for (const e of expectations) {
    const fail = (what: string): never => {
      throw new Error(`${owner}: expectation "${e.name}" ${what}`);
    };
    if (!NAME.test(e.name)) fail('needs a snake_case name: a lowercase letter, then letters, digits or _');
    if (names.has(e.name)) fail(`is declared twice for the source`);
    names.add(e.name);
    const kind = EXPECTATION_KINDS[e.kind] as ExpectationKind | undefined;
    if (!kind) fail(`has unknown kind "${e.kind}"; kinds: ${Object.keys(EXPECTATION_KINDS).join(', ')}`);
    const k = kind as ExpectationKind;
    for (const field of k.fields(e)) if (!fields.has(field)) fail(`reads unknown field "${field}"`);
    const severity = severityOf(e);
    if (severity !== 'hard' && severity !== 'soft') fail(`has severity "${severity}"; hard or soft`);
    if (severity === 'hard') {
      if (k.level !== 'record') fail(`(${e.kind}) cannot be hard: only not_null, range and allowed_values judge one event`);
      if (!options.allowHard) fail('cannot be hard here: only a source quarantines events (a view shares them)');
    }
    const problem = k.validate(e, fields.isNumeric);
    if (problem) fail(`(${e.kind}) ${problem}`);
  }
}

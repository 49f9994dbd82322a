/**
 * A small lake on disk for the query tests: seeded clickstream, app_logs,
 * predictions and listen_events rows written as Parquet in the writer's Hive layout, plus the
 * same rows in memory so tests can compute expected answers in plain
 * TypeScript, independently of the SQL under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { sources } from '../../src/features/catalog.js';
import { partitionPath } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type LakeTable, lakeTables } from '../../src/lake/tables.js';
import { directoryStorage, type LakeStorage } from '../../src/query/lake-storage.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { Random } from '../../src/workloads/random.js';

export type Row = Record<string, unknown> & { readonly time: number };

export interface ClickRow extends Row {
  readonly event_id: string;
  readonly user_id: string;
  readonly session_id?: string;
  readonly event_type: 'page_view' | 'click' | 'add_to_cart' | 'purchase';
  readonly product_id?: string;
  readonly category?: string;
  readonly price?: number;
  readonly device?: 'mobile' | 'desktop' | 'tablet';
}

export interface LogRow extends Row {
  readonly user: string;
  readonly app: string;
  readonly metrics: readonly number[];
}

export interface PredictionRow extends Row {
  readonly prediction_id: string;
  readonly model_name: string;
  readonly model_version?: string;
  readonly label: string;
  readonly score: number;
  readonly inference_time_ms: number;
  readonly environment: string;
  readonly text?: string;
}

export interface ListenRow extends Row {
  readonly user_id: string;
  readonly session_id: string;
  readonly song_id: string;
  readonly song: string;
  readonly artist: string;
  readonly duration: number;
  readonly ms_played: number;
  readonly skipped: boolean;
  readonly level: 'free' | 'paid';
}

export interface LakeFixture {
  readonly root: string;
  readonly storage: LakeStorage;
  readonly tables: LakeTable[];
  readonly clicks: ClickRow[];
  readonly logs: LogRow[];
  readonly predictions: PredictionRow[];
  readonly listens: ListenRow[];
  /** Files written per table. */
  readonly files: Record<string, number>;
}

const ms = (iso: string) => Date.parse(iso);

/** The window the tests query: [START, END). Rows also fall before and after it, and exactly on both edges. */
export const START = '2024-03-04T22:00:00Z';
export const END = '2024-03-05T03:00:00Z';
const SPAN_FROM = ms('2024-03-04T19:00:00Z');
const SPAN_TO = ms('2024-03-05T06:00:00Z');
const EDGES = [ms(START), ms(END), ms(END) - 1, ms(START) - 1];

export const MODELS = ['sentiment', 'toxicity'] as const;

function times(random: Random, n: number): number[] {
  const out = [...EDGES];
  while (out.length < n) out.push(SPAN_FROM + random.int(SPAN_TO - SPAN_FROM));
  return out;
}

function pick<T>(random: Random, values: readonly T[]): T {
  return values[random.int(values.length)] as T;
}

function makeClicks(random: Random): ClickRow[] {
  const types = ['page_view', 'page_view', 'page_view', 'click', 'add_to_cart', 'purchase'] as const;
  return times(random, 800).map((time, i) => {
    const event_type = pick(random, types);
    const row: Record<string, unknown> = {
      time,
      event_id: `e${i}`,
      user_id: `user_${random.int(25)}`,
      event_type,
    };
    if (!random.chance(0.1)) row.session_id = `s${random.int(60)}`;
    if (!random.chance(0.1)) row.product_id = `p${random.int(12)}`;
    if (!random.chance(0.15)) row.category = pick(random, ['books', 'music', 'garden', 'toys']);
    if (!random.chance(0.2)) row.device = pick(random, ['mobile', 'desktop', 'tablet'] as const);
    if (event_type === 'purchase' || random.chance(0.3)) row.price = Math.round(random.next() * 10_000) / 100;
    return row as ClickRow;
  });
}

function makeLogs(random: Random): LogRow[] {
  return times(random, 600).map((time) => ({
    time,
    user: `u${random.int(6)}`,
    app: pick(random, ['mail', 'maps', 'chat']),
    metrics: Array.from({ length: 9 }, () => random.int(1000) - 100),
  }));
}

function makePredictions(random: Random): PredictionRow[] {
  return times(random, 500).map((time, i) => {
    const row: Record<string, unknown> = {
      time,
      prediction_id: `pred-${String(i).padStart(4, '0')}`,
      model_name: pick(random, MODELS),
      label: pick(random, ['POSITIVE', 'NEGATIVE']),
      score: Math.round(random.next() * 1e6) / 1e6,
      inference_time_ms: Math.round(random.next() * 20_000) / 100,
      environment: pick(random, ['prod', 'staging']),
    };
    if (!random.chance(0.2)) row.model_version = pick(random, ['v1', 'v2']);
    if (random.chance(0.5)) row.text = `text ${i}`;
    return row as PredictionRow;
  });
}

function makeListens(random: Random): ListenRow[] {
  return times(random, 600).map((time, i) => {
    // Eight songs of three artists, song 0 the most played: ranks with ties broken by song_id.
    const n = Math.min(random.int(8), random.int(8));
    const skipped = random.chance(0.25);
    const duration = 180 + n * 10;
    return {
      time,
      user_id: `l${random.int(15)}`,
      session_id: `ls${i % 40}`,
      song_id: `SO${String(n).padStart(16, '0')}`,
      song: `Song ${n}`,
      artist: `Artist ${n % 3}`,
      duration,
      ms_played: skipped ? 1_000 + random.int(29_000) : duration * 1000,
      skipped,
      level: random.chance(0.3) ? 'paid' : 'free',
    };
  });
}

/** The row a lake file holds for a fixture row: data fields, event time, lineage. */
function lakeRow(name: string, row: Row, index: number): Record<string, unknown> {
  const { time, ...data } = row;
  const base = { arrival_time: time + 1000, record_id: `fixture:${name}:${index}` };
  if (name === 'clickstream') return { ...data, event_time: time, ...base };
  if (name === 'listen_events') return { ...data, ts: time, ...base };
  if (name === 'app_logs') {
    const { metrics, ...rest } = data as { metrics: number[] };
    const named = Object.fromEntries(metrics.map((m, i) => [`metric_${i + 1}`, m]));
    return { ...rest, ...named, timestamp: time, ...base };
  }
  return { ...data, timestamp: time, ...base };
}

/**
 * Writes the fixture lake: partitioned per hour (or day), predictions also by
 * model, in several files per partition like several writer batches.
 */
export async function writeLakeFixture(
  options: { seed?: number; timePartitioning?: 'date' | 'hour'; storage?: LakeStorage } = {},
): Promise<LakeFixture> {
  const random = new Random(options.seed ?? 7);
  const storage = options.storage ?? directoryStorage(mkdtempSync(path.join(tmpdir(), 'featurelake-lake-fixture-')));
  const { root } = storage;
  const tables = lakeTables(sources, {
    timePartitioning: options.timePartitioning ?? 'hour',
    predictionModels: MODELS,
  });
  const clicks = makeClicks(random);
  const logs = makeLogs(random);
  const predictions = makePredictions(random);
  const listens = makeListens(random);
  const files: Record<string, number> = {};
  const byTable: Record<string, Row[]> = { clickstream: clicks, app_logs: logs, predictions, listen_events: listens };
  for (const table of tables) {
    const rows = byTable[table.name];
    if (!rows || !table.scheme) continue;
    const partitions = new Map<string, Record<string, unknown>[][]>();
    rows.forEach((row, index) => {
      const lake = lakeRow(table.name, row, index);
      const key = partitionPath(table.name, table.scheme as NonNullable<LakeTable['scheme']>, row.time, lake);
      const batches = partitions.get(key) ?? [[], []];
      // Two files per partition, as two writer batches would leave.
      batches[index % 2]?.push(lake);
      partitions.set(key, batches);
    });
    let n = 0;
    for (const [prefix, batches] of partitions) {
      for (const [b, batch] of batches.entries()) {
        if (batch.length === 0) continue;
        await storage.put(`${prefix}fixture-${b}.parquet`, await encodeParquet(table.columns, batch, 'snappy'));
        n++;
      }
    }
    files[table.name] = n;
  }
  return { root, storage, tables, clicks, logs, predictions, listens, files };
}

/**
 * A fixture lake, opened with the local engine, for the whole test file: its
 * fields are set once `beforeAll` has run, and it is removed afterwards.
 */
export function useFixtureLake(options: Parameters<typeof writeLakeFixture>[0] = {}): {
  readonly fixture: LakeFixture;
  readonly lake: LocalLake;
} {
  const state = {} as { fixture: LakeFixture; lake: LocalLake };
  beforeAll(async () => {
    state.fixture = await writeLakeFixture(options);
    state.lake = await openLocalLake({ storage: state.fixture.storage, tables: state.fixture.tables });
  });
  afterAll(() => {
    state.lake?.close();
    if (state.fixture) rmSync(state.fixture.root, { recursive: true, force: true });
  });
  return state;
}

/** Rows whose time lies in [start, end). */
export function within<T extends Row>(rows: readonly T[], start: string, end: string): T[] {
  return rows.filter((r) => r.time >= ms(start) && r.time < ms(end));
}

/** Start of the UTC bucket of a time, for widths in minutes. */
export function bucketOf(time: number, minutes: number): string {
  const width = minutes * 60_000;
  return new Date(Math.floor(time / width) * width).toISOString();
}

export { groupBy } from '../../src/domain/collections.js';

/** Query output as plain comparable values: bigints to numbers, dates to ISO strings. */
export function plain(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v]),
    ),
  );
}

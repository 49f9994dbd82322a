/**
 * A model for the drift tests and a prediction log to measure it on: an
 * artifact whose reference distributions come from a seeded "training"
 * sample (a normal amount with 2 % missing, a three-valued tier, a score),
 * and windows of logged predictions written as Parquet in the deployed lake's
 * layout (events/predictions/model=/dt=/hr=/): drawn from the same
 * distributions, or shifted. Each window also holds rows the job must leave
 * out — shadow scores, another version, another model — drawn far off.
 */

import { sources } from '../../src/features/catalog.js';
import { partitionPath } from '../../src/lake/layout.js';
import { encodeParquet } from '../../src/lake/parquet/index.js';
import { type LakeTable, lakeTables } from '../../src/lake/tables.js';
import { ARTIFACT_FORMAT, type ModelArtifact, parseArtifact } from '../../src/models/artifact.js';
import { categoricalDistribution, numericDistribution } from '../../src/models/train/distribution.js';
import type { LakeStorage } from '../../src/query/lake-storage.js';
import { normalFrom, Random } from '../../src/workloads/random.js';

/** A catalog model (its drift thresholds apply): hot_object, with inputs of this test's own. */
export const MODEL = 'hot_object';
export const VERSION = '3';
export const TIERS = ['free', 'basic', 'premium'] as const;

export interface Draw {
  readonly amount: number | null;
  readonly tier: string | null;
  readonly score: number;
}

export interface Shift {
  /** Added to the amount. @default 0 */
  readonly amount?: number;
  /** Shares of free, basic, premium. @default [0.6, 0.3, 0.1] */
  readonly tiers?: readonly [number, number, number];
  /** The score's exponent: u^power (training: 2). @default 2 */
  readonly scorePower?: number;
}

export function draw(random: Random, shift: Shift = {}): Draw {
  const [free, basic] = shift.tiers ?? [0.6, 0.3, 0.1];
  const u = random.next();
  return {
    amount: random.chance(0.02) ? null : 10 + 2 * normalFrom(random.next(), random.next()) + (shift.amount ?? 0),
    tier: u < free ? 'free' : u < free + basic ? 'basic' : 'premium',
    score: random.next() ** (shift.scorePower ?? 2),
  };
}

/** The artifact: reference distributions of 20,000 training draws (seed 1). */
export function testArtifact(): ModelArtifact {
  const random = new Random(1);
  const training = Array.from({ length: 20_000 }, () => draw(random));
  return parseArtifact({
    format: ARTIFACT_FORMAT,
    name: MODEL,
    version: VERSION,
    createdAt: '2024-03-01T00:00:00.000Z',
    entity: 'stored_object',
    inputs: [
      { name: 'amount', source: { kind: 'request' }, type: 'numeric', mean: 10, std: 2, fill: 10 },
      { name: 'tier', source: { kind: 'request' }, type: 'categorical', categories: [...TIERS] },
    ],
    model: { type: 'logistic', weights: [0.1, 0, 0, 0], intercept: 0 },
    decision: { threshold: 0.5, positive: 'hot', negative: 'cold' },
    reference: {
      inputs: {
        amount: numericDistribution(training.map((d) => d.amount)),
        tier: categoricalDistribution(training.map((d) => d.tier)),
      },
      score: numericDistribution(training.map((d) => d.score)),
    },
  });
}

/** The lake's tables with predictions partitioned by model, as deployed. */
export const TABLES: LakeTable[] = lakeTables(sources, { timePartitioning: 'hour', predictionModels: [MODEL, 'other'] });

export interface LoggedWindow {
  /** The draws of the version measured, in order. */
  readonly draws: Draw[];
}

/**
 * Writes `count` non-shadow predictions of VERSION over [fromMs, fromMs + hours), plus noise rows
 * the job must not read: shadow, version 2, and model "other" (amount 1,000, tier "enterprise").
 */
export async function logPredictions(
  storage: LakeStorage,
  options: { fromMs: number; hours: number; count: number; seed: number; shift?: Shift; noise?: number },
): Promise<LoggedWindow> {
  const random = new Random(options.seed);
  const table = TABLES.find((t) => t.name === 'predictions') as LakeTable;
  const byPartition = new Map<string, Record<string, unknown>[]>();
  const draws: Draw[] = [];
  const add = (d: Draw, i: number, extra: Record<string, unknown>) => {
    const time = options.fromMs + Math.floor((i / options.count) * options.hours * 3_600_000);
    const row = {
      timestamp: time,
      prediction_id: `p-${options.seed}-${i}-${String(extra.tag)}`,
      request_id: `r-${i}`,
      model_name: MODEL,
      model_version: VERSION,
      entity_type: 'stored_object',
      entity_id: `o${i}`,
      features: JSON.stringify({ amount: d.amount, tier: d.tier }),
      shadow: false,
      label: d.score >= 0.5 ? 'hot' : 'cold',
      score: d.score,
      inference_time_ms: 3,
      environment: 'dev',
      backend: 'native',
      arrival_time: time + 500,
      record_id: `test:${options.seed}:${i}:${String(extra.tag)}`,
      ...extra,
    };
    delete (row as Record<string, unknown>).tag;
    const key = partitionPath('predictions', table.scheme as NonNullable<LakeTable['scheme']>, time, row);
    const rows = byPartition.get(key) ?? [];
    rows.push(row);
    byPartition.set(key, rows);
  };
  for (let i = 0; i < options.count; i++) {
    const d = draw(random, options.shift);
    draws.push(d);
    add(d, i, { tag: 'served' });
  }
  const far: Draw = { amount: 1_000, tier: 'enterprise', score: 0.99 };
  for (let i = 0; i < (options.noise ?? 200); i++) {
    add(far, i, { tag: 'shadow', shadow: true });
    add(far, i, { tag: 'v2', model_version: '2' });
    add(far, i, { tag: 'other', model_name: 'other' });
  }
  for (const [prefix, rows] of byPartition)
    await storage.put(`${prefix}test-${options.seed}.parquet`, await encodeParquet(table.columns, rows, 'snappy'));
  return { draws };
}

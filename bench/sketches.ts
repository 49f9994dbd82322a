/**
 * Sketch accuracy against exact answers computed in the same run, through the
 * aggregation registry (`opsOf`), as the pipeline uses the kinds:
 *
 *  - distinct_count (exact up to 100 values, HyperLogLog p = 14 beyond) at
 *    10 … 1,000,000 distinct values, several seeds each;
 *  - percentile (DDSketch, α = 1 %) at p50 / p90 / p99 over uniform, lognormal,
 *    Pareto (heavy tail) and bimodal data, 1,000 … 1,000,000 values.
 *
 * Each answer is read twice: from one state fed the whole stream, and from
 * TILES states (the read path's worst case: a window reads ≤ 60 tiles) each fed
 * its share of the stream in time order, each put through the stored form
 * (encode → DynamoDB marshalling → unmarshalling → decode, as a tile item
 * crosses the DocumentClient) and merged oldest first from an empty state, as
 * src/domain/feature-vector.ts does. State sizes are the stored attribute's
 * DynamoDB size (test/support/dynamo-size.ts).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DOCUMENT_TRANSLATION } from '../src/aws/clients.js';
import { clickstream, user } from '../src/features/catalog.js';
import { type Aggregation, defineFeatureView } from '../src/features/define.js';
import { EXACT_LIMIT } from '../src/features/kinds/distinct-count.js';
import { REGISTERS } from '../src/features/kinds/hyperloglog.js';
import { type AggregationState, opsOf } from '../src/features/kinds/index.js';
import { RELATIVE_ACCURACY } from '../src/features/kinds/percentile.js';
import { Random } from '../src/workloads/random.js';
import { valueBytes } from '../test/support/dynamo-size.js';

/** Tiles a merged answer is built from: a window reads at most 60 (MAX_TILES_PER_WINDOW). */
export const TILES = 60;
/** HyperLogLog's standard error, 1.04 / √m (m = 16,384 registers): what the kind documents (≈ 0.8 %). */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(REGISTERS);
/** Issue 8's target for distinct counts at 1 M values. */
export const DISTINCT_TARGET = 0.02;

/** The kinds under test, defined (and validated) as a catalog would define them. */
export const sketchView = defineFeatureView({
  name: 'bench_sketches',
  description: 'Sketch kinds under test (bench only).',
  entity: user,
  source: clickstream,
  // 59 min in 1-minute hops: a read merges 60 tiles, the most a window may (MAX_TILES_PER_WINDOW).
  windows: [{ name: '59m', length: '59m', hop: '1m' }],
  ttl: '1d',
  aggregations: [
    { name: 'products', kind: 'distinct_count', field: 'product_id', description: 'Distinct products.' },
    { name: 'price_p50', kind: 'percentile', field: 'price', quantile: 0.5, description: 'Median price.' },
    { name: 'price_p90', kind: 'percentile', field: 'price', quantile: 0.9, description: 'p90 price.' },
    { name: 'price_p99', kind: 'percentile', field: 'price', quantile: 0.99, description: 'p99 price.' },
  ],
});

const [distinctAgg, ...percentileAggs] = sketchView.aggregations as [Aggregation, ...Aggregation[]];
const CONTEXT = { nowMs: 0 };
// Copies: lib-dynamodb rewrites the options object a DocumentClient is given (convertTopLevelContainer, convertWithoutMapWrapper).
const MARSHALL = { ...DOCUMENT_TRANSLATION.marshallOptions, convertTopLevelContainer: false };
const UNMARSHALL = { ...DOCUMENT_TRANSLATION.unmarshallOptions, convertWithoutMapWrapper: false };

/** A state as a tile item stores it: its DynamoDB size, and the state read back. */
export function throughStore(agg: Aggregation, state: AggregationState): { bytes: number; state: AggregationState } {
  const ops = opsOf(agg);
  const stored = marshall(ops.encode(state), MARSHALL) as Record<string, AttributeValue>;
  const bytes = valueBytes({ M: stored });
  return { bytes, state: ops.decode(unmarshall(stored, UNMARSHALL)) };
}

/** One state of the whole stream, and TILES states of consecutive slices merged through the stored form. */
function streamAndTiles<T extends string | number>(agg: Aggregation, count: number, valueAt: (i: number) => T) {
  const ops = opsOf(agg);
  const stream = ops.empty();
  const tiles = Array.from({ length: TILES }, () => ops.empty());
  for (let i = 0; i < count; i++) {
    const value = valueAt(i);
    ops.add(stream, value, i);
    ops.add(tiles[Math.floor((i * TILES) / count)] as AggregationState, value, i);
  }
  let merged = ops.empty();
  let maxTileBytes = 0;
  for (const tile of tiles) {
    if (tile.n === 0) continue;
    const { bytes, state } = throughStore(agg, tile);
    maxTileBytes = Math.max(maxTileBytes, bytes);
    merged = ops.merge(merged, state);
  }
  return { stream, merged, streamBytes: throughStore(agg, stream).bytes, maxTileBytes };
}

const relativeError = (estimate: number, exact: number) => Math.abs(estimate - exact) / Math.abs(exact);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export interface DistinctResult {
  distinct: number;
  /** Events fed: every value once, then as many repeats drawn at random, shuffled. */
  events: number;
  seeds: number;
  form: 'exact' | 'HyperLogLog';
  stream: { meanError: number; maxError: number };
  merged: { meanError: number; maxError: number };
  /** Runs where the merged tiles served the same count as the single stream. */
  mergedEqualsStream: number;
  /** The stored state's DynamoDB size: the stream's state (one tile holding it all) and the largest of the 60 tiles. */
  streamStateBytes: number;
  maxTileStateBytes: number;
}

/** distinct_count against the exact number of distinct values fed. */
export function benchDistinct(
  sizes = [10, 100, 1_000, 10_000, 100_000, 1_000_000],
  seedsFor = (n: number) => (n >= 1_000_000 ? 3 : 5),
) {
  const ops = opsOf(distinctAgg);
  const results: DistinctResult[] = [];
  for (const n of sizes) {
    const seeds = seedsFor(n);
    const streamErrors: number[] = [];
    const mergedErrors: number[] = [];
    let equal = 0;
    let streamBytes = 0;
    let tileBytes = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const random = new Random(seed * 1_000_003 + n);
      // Every value once, then n repeats of random values; shuffled so repeats land in other tiles.
      const order = new Int32Array(2 * n);
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n; i < 2 * n; i++) order[i] = random.int(n);
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
      }
      const {
        stream,
        merged,
        streamBytes: sb,
        maxTileBytes,
      } = streamAndTiles(distinctAgg, order.length, (i) => `p${seed}_${order[i]}`);
      const fromStream = ops.value(stream, CONTEXT) as number;
      const fromTiles = ops.value(merged, CONTEXT) as number;
      streamErrors.push(relativeError(fromStream, n));
      mergedErrors.push(relativeError(fromTiles, n));
      if (fromStream === fromTiles) equal++;
      streamBytes = Math.max(streamBytes, sb);
      tileBytes = Math.max(tileBytes, maxTileBytes);
    }
    results.push({
      distinct: n,
      events: 2 * n,
      seeds,
      form: n <= EXACT_LIMIT ? 'exact' : 'HyperLogLog',
      stream: { meanError: mean(streamErrors), maxError: Math.max(...streamErrors) },
      merged: { meanError: mean(mergedErrors), maxError: Math.max(...mergedErrors) },
      mergedEqualsStream: equal,
      streamStateBytes: streamBytes,
      maxTileStateBytes: tileBytes,
    });
  }
  return results;
}

/** Standard normal draw (Box–Muller). */
function normal(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

export const DISTRIBUTIONS: Record<string, { describe: string; draw: (random: Random) => number }> = {
  uniform: { describe: 'uniform on [1, 1000)', draw: (r) => 1 + 999 * r.next() },
  lognormal: { describe: 'lognormal, μ = 3, σ = 1.5 (prices)', draw: (r) => Math.exp(3 + 1.5 * normal(r)) },
  pareto: { describe: 'Pareto, α = 1.16, xₘ = 1 (80/20 heavy tail)', draw: (r) => 1 / (1 - r.next()) ** (1 / 1.16) },
  bimodal: {
    describe: '70 % N(40, 8) + 30 % N(400, 60)',
    draw: (r) => Math.max(0.01, r.chance(0.7) ? 40 + 8 * normal(r) : 400 + 60 * normal(r)),
  },
};

export interface PercentileResult {
  distribution: string;
  values: number;
  seeds: number;
  /** Per quantile: mean and max relative error over the seeds, from the stream and from the merged tiles. */
  quantiles: { q: number; stream: { meanError: number; maxError: number }; merged: { meanError: number; maxError: number } }[];
  mergedEqualsStream: number;
  answers: number;
  streamStateBytes: number;
  maxTileStateBytes: number;
  buckets: number;
}

/** percentile against the exact rank value, the sorted values' element floor(q·(n − 1)). */
export function benchPercentiles(
  sizes = [1_000, 10_000, 100_000, 1_000_000],
  seedsFor = (n: number) => (n >= 1_000_000 ? 2 : 3),
) {
  const builder = percentileAggs[0] as Aggregation;
  const results: PercentileResult[] = [];
  for (const [name, distribution] of Object.entries(DISTRIBUTIONS)) {
    for (const n of sizes) {
      const seeds = seedsFor(n);
      const errors = percentileAggs.map(() => ({ stream: [] as number[], merged: [] as number[] }));
      let equal = 0;
      let answers = 0;
      let streamBytes = 0;
      let tileBytes = 0;
      let buckets = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const random = new Random(seed * 7_919 + n);
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = distribution.draw(random);
        // One state serves every quantile of the field (the kind's state does not depend on q): built once, read by each.
        const { stream, merged, streamBytes: sb, maxTileBytes } = streamAndTiles(builder, n, (i) => values[i] as number);
        const sorted = Float64Array.from(values).sort();
        percentileAggs.forEach((agg, k) => {
          const q = agg.quantile as number;
          const exact = sorted[Math.floor(q * (n - 1))] as number;
          const fromStream = opsOf(agg).value(stream, CONTEXT) as number;
          const fromTiles = opsOf(agg).value(merged, CONTEXT) as number;
          errors[k]?.stream.push(relativeError(fromStream, exact));
          errors[k]?.merged.push(relativeError(fromTiles, exact));
          answers++;
          if (fromStream === fromTiles) equal++;
        });
        streamBytes = Math.max(streamBytes, sb);
        tileBytes = Math.max(tileBytes, maxTileBytes);
        const s = stream as unknown as { positive: Map<number, number>; negative: Map<number, number> };
        buckets = Math.max(buckets, s.positive.size + s.negative.size);
      }
      results.push({
        distribution: name,
        values: n,
        seeds,
        quantiles: percentileAggs.map((agg, k) => ({
          q: agg.quantile as number,
          stream: { meanError: mean(errors[k]?.stream ?? []), maxError: Math.max(...(errors[k]?.stream ?? [])) },
          merged: { meanError: mean(errors[k]?.merged ?? []), maxError: Math.max(...(errors[k]?.merged ?? [])) },
        })),
        mergedEqualsStream: equal,
        answers,
        streamStateBytes: streamBytes,
        maxTileStateBytes: tileBytes,
        buckets,
      });
    }
  }
  return results;
}

export const PERCENTILE_BOUND = RELATIVE_ACCURACY;

/**
 * Drift of one model over one window: the current version's reference
 * distributions (its artifact) against what it actually scored — the
 * prediction log's non-shadow rows of that version in [from, to), read by
 * one query (./query.ts) on Athena or the local DuckDB lake.
 *
 * Why the prediction log and not the lake's events: the log holds the exact
 * values the model was given (online features as served, request values,
 * time parts), while recomputing features from events is a training-set
 * build per window and measures the offline pipeline rather than serving.
 *
 * Per input and the score: n, missing values, KS (numeric), PSI (every kind,
 * a missing-value bin included so a feature that stops arriving drifts),
 * chi-square and its p-value (categorical), the thresholds (the catalog's,
 * ../models/define.ts), and whether it breached them. Fewer predictions than
 * the model's `minCount` are reported but not judged.
 *
 * The same code runs in the scheduled Lambda (lambdas/drift) and
 * `featurelake drift`.
 */
import type { TimePartitioning } from '../lake/layout.js';
import type { ModelArtifact } from '../models/artifact.js';
import type { Model, ModelDrift } from '../models/define.js';
import type { QueryResult } from '../query/local-engine.js';
import {
  type DriftDialect,
  driftSql,
  type MonitoredValue,
  monitoredValues,
  OTHER,
  type RecentCounts,
  recentCounts,
  SCORE,
} from './query.js';
import { binCounts, chiSquare, ksFromCounts, psi, referenceCdf } from './stats.js';

export interface DriftRow {
  /** The input's name, or SCORE ('__score__'). */
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical' | 'score';
  /** Predictions in the window (the same for every row of a report). */
  readonly n: number;
  /** Of them, without a value for this input. */
  readonly nulls: number;
  readonly ks: number | null;
  readonly psi: number | null;
  readonly chi2: number | null;
  readonly pValue: number | null;
  readonly thresholdPsi: number;
  readonly thresholdKs: number | null;
  readonly thresholdP: number | null;
  /** n reached the model's minCount: the row is judged and published. */
  readonly judged: boolean;
  readonly breached: boolean;
}

export interface DriftWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface DriftReport {
  readonly model: string;
  readonly version: string;
  readonly window: DriftWindow;
  readonly runAt: number;
  readonly predictions: number;
  readonly minCount: number;
  readonly rows: readonly DriftRow[];
  /** Inputs without a reference distribution (an artifact from elsewhere may have none). */
  readonly skipped: readonly string[];
  /** Rows breached. */
  readonly breaches: number;
}

/** What the job needs of an engine: Athena's or the local DuckDB lake's run(). */
export interface DriftEngine {
  readonly dialect: DriftDialect;
  run(sql: string): Promise<QueryResult>;
}

/** The PSI and KS thresholds of one input: its own (catalog `drift.features`), else the model's. */
export function thresholdsFor(drift: ModelDrift, feature: string): { psi: number; ks: number } {
  if (feature === SCORE) return drift.score;
  const own = drift.features[feature];
  return { psi: own?.psi ?? drift.psi, ks: own?.ks ?? drift.ks };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Expected shares with the missing share as a last bin: the reference's shares scaled by its non-missing share. */
function withMissing(shares: readonly number[], count: number, nulls: number): number[] {
  const total = count + nulls;
  const missing = total > 0 ? nulls / total : 0;
  return [...shares.map((s) => s * (1 - missing)), missing];
}

/** One row of the report from a value's recent counts. Pure: the unit under test of the statistics' wiring. */
export function driftRow(
  artifact: ModelArtifact,
  drift: ModelDrift,
  value: MonitoredValue,
  recent: RecentCounts,
  n: number,
): DriftRow {
  const thresholds = thresholdsFor(drift, value.name);
  const judged = n >= drift.minCount;
  if (value.kind === 'categorical' && recent.kind === 'categorical') {
    const ref = artifact.reference?.inputs[value.name];
    if (ref?.type !== 'categorical') throw new Error(`${value.name}: no categorical reference`);
    const names = [...new Set([...Object.keys(ref.shares), OTHER])];
    const expected = withMissing(
      names.map((c) => ref.shares[c] ?? 0),
      ref.count,
      ref.nulls,
    );
    const observed = [...names.map((c) => recent.counts.get(c) ?? 0), recent.nulls];
    const p = psi(expected, observed);
    const chi = chiSquare(expected, observed);
    const thresholdP = drift.chiSquareP ?? null;
    const breached = judged && ((Number.isFinite(p) && p > thresholds.psi) || (thresholdP !== null && chi.pValue < thresholdP));
    return {
      feature: value.name,
      kind: 'categorical',
      n,
      nulls: recent.nulls,
      ks: null,
      psi: finite(p),
      chi2: finite(chi.statistic),
      pValue: finite(chi.pValue),
      thresholdPsi: thresholds.psi,
      thresholdKs: null,
      thresholdP,
      judged,
      breached,
    };
  }
  if (value.kind === 'categorical' || recent.kind === 'categorical') throw new Error(`${value.name}: counts of another kind`);
  const ref = value.kind === 'score' ? artifact.reference?.score : artifact.reference?.inputs[value.name];
  if (ref?.type !== 'numeric') throw new Error(`${value.name}: no numeric reference`);
  const counts = { knots: value.knots, counts: recent.counts };
  const ks = ksFromCounts(counts, referenceCdf(ref.quantiles));
  const expected = withMissing(ref.bins.shares, ref.count, ref.nulls);
  const p = psi(expected, [...binCounts(counts, ref.bins.edges), recent.nulls]);
  const breached = judged && ((Number.isFinite(p) && p > thresholds.psi) || (Number.isFinite(ks) && ks > thresholds.ks));
  return {
    feature: value.name,
    kind: value.kind,
    n,
    nulls: recent.nulls,
    ks: finite(ks),
    psi: finite(p),
    chi2: null,
    pValue: null,
    thresholdPsi: thresholds.psi,
    thresholdKs: thresholds.ks,
    thresholdP: null,
    judged,
    breached,
  };
}

export interface MeasureDriftOptions {
  readonly timePartitioning: TimePartitioning;
  /** The predictions table is partitioned by model (the deployed lake). @default false */
  readonly modelPartition?: boolean;
  /** @default Date.now() */
  readonly now?: number;
}

/** Measures one model's drift over a window with one query. */
export async function measureDrift(
  engine: DriftEngine,
  model: Pick<Model, 'name' | 'drift'>,
  artifact: ModelArtifact,
  window: DriftWindow,
  options: MeasureDriftOptions,
): Promise<DriftReport> {
  if (artifact.name !== model.name) throw new Error(`artifact ${artifact.name} is not of model ${model.name}`);
  if (!artifact.reference)
    throw new Error(
      `${model.name} version ${artifact.version} has no reference distributions: drift cannot be measured (train it with featurelake train, or publish one with its reference)`,
    );
  if (!(window.toMs > window.fromMs)) throw new Error('the drift window is empty: to must be after from');
  const { values, skipped } = monitoredValues(artifact);
  const sql = driftSql(values, {
    dialect: engine.dialect,
    model: model.name,
    version: artifact.version,
    fromMs: window.fromMs,
    toMs: window.toMs,
    timePartitioning: options.timePartitioning,
    modelPartition: options.modelPartition ?? false,
  });
  const result = await engine.run(sql);
  const counts = recentCounts(values, result.rows);
  // Every row of the window has every value (a cell, or NULL): any one value's total is the row count.
  const first = values[0] ? counts.get(values[0].name) : undefined;
  const n = first
    ? first.nulls +
      (first.kind === 'categorical' ? [...first.counts.values()] : first.counts).reduce((s: number, x: number) => s + x, 0)
    : 0;
  const rows = values.map((value) => driftRow(artifact, model.drift, value, counts.get(value.name) as RecentCounts, n));
  return {
    model: model.name,
    version: artifact.version,
    window,
    runAt: options.now ?? Date.now(),
    predictions: n,
    minCount: model.drift.minCount,
    rows,
    skipped,
    breaches: rows.filter((r) => r.breached).length,
  };
}

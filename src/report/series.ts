/**
 * What `featurelake report` shows, as plain data: one typed series per chart,
 * gathered from the lake, the model registry and the quarantine (./gather.ts)
 * and drawn by the page (./html.ts, ./page.js). Everything is JSON-safe (no
 * bigint, no Date): the page reads it from a `<script type="application/json">`.
 */

/** Header facts: where the data came from and which time range it covers. */
export interface ReportMeta {
  readonly title: string;
  /** The environment whose lake it is (dev, prod…). */
  readonly environment: string;
  /** Where the queries ran (local DuckDB over …, Athena workgroup …). */
  readonly where: string;
  /** [from, to), ISO-8601 UTC. */
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  /** What the reader should know: models without artifacts, sampled rows, skipped sources. */
  readonly notes: readonly string[];
}

/** (a) Events per hour and source: `hours` are the starts of the range's hours (ISO), `counts[i]` per hour. */
export interface VolumeSeries {
  readonly hours: readonly string[];
  readonly sources: readonly { readonly source: string; readonly counts: readonly number[] }[];
}

/** (b) One input of one model: its training shares per bin (the artifact's reference) beside recent shares in the same bins. */
export interface InputDistribution {
  readonly model: string;
  /** The artifact version whose reference this is. */
  readonly version: string;
  readonly input: string;
  readonly type: 'numeric' | 'categorical';
  /** Bin labels ("≤ 3", "(3, 7]", "> 12") or categories. */
  readonly bins: readonly string[];
  readonly training: readonly number[];
  readonly recent: readonly number[];
  /** Recent values binned (missing values are left out of the shares). */
  readonly recentCount: number;
  readonly psi: number;
}

/** (c) PSI per input of one model, highest first. */
export interface DriftSeries {
  readonly model: string;
  readonly version: string;
  /** The model's PSI threshold: above it an input has drifted (as the drift monitor judges it). */
  readonly threshold: number;
  /** Fewer recent values than this: the drift job reports but does not judge. */
  readonly minCount?: number;
  readonly inputs: readonly {
    readonly input: string;
    readonly psi: number;
    readonly recentCount: number;
    /** The input's own threshold (the catalog's drift.features), else the model's. */
    readonly threshold: number;
  }[];
}

/** (d) Quarantined records per reason, split by the consumer that quarantined them. */
export interface QuarantineSeries {
  readonly reasons: readonly string[];
  readonly consumers: readonly { readonly consumer: string; readonly counts: readonly number[] }[];
  /** Quarantine objects read (a batch-ingest report counts its rejected rows). */
  readonly objectsRead: number;
  /** Why there is no data, when there is none to be had (no bucket named…). */
  readonly unavailable?: string;
}

/** (e) Latency CDF per model: `points` are [milliseconds, cumulative fraction] at each percentile. */
export interface LatencySeries {
  /** What the latencies are, for the chart's subtitle. */
  readonly measure: string;
  readonly models: readonly { readonly model: string; readonly count: number; readonly points: readonly [number, number][] }[];
}

/** (f) Score histograms per model version over `edges` (bins [edges[i], edges[i+1]), the last one closed). */
export interface ScoreSeries {
  readonly edges: readonly number[];
  readonly versions: readonly { readonly model: string; readonly version: string; readonly counts: readonly number[] }[];
}

export interface ReportData {
  readonly meta: ReportMeta;
  readonly volume: VolumeSeries;
  readonly distributions: readonly InputDistribution[];
  readonly drift: readonly DriftSeries[];
  readonly quarantine: QuarantineSeries;
  readonly latency: LatencySeries;
  readonly scores: ScoreSeries;
}

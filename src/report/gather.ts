/**
 * Everything the report shows, gathered from where it lives: the lake (through
 * whichever engine the caller opened), the models' current artifacts (their
 * training distributions) and the quarantine. No AWS or CLI types: the
 * command (src/cli/commands/report.ts) and the tests pass the pieces in.
 */
import type { EventSource } from '../features/define.js';
import type { ModelArtifact } from '../models/artifact.js';
import type { BindOptions } from '../query/sql-params.js';
import { binAgainst, PSI_THRESHOLD, psi } from './drift.js';
import { eventVolume, latencyByModel, type RunQuery, recentInputs, scoresByVersion, type TimeRange } from './lake-series.js';
import { type QuarantineStore, quarantineByReason } from './quarantine-series.js';
import type { DriftSeries, InputDistribution, QuarantineSeries, ReportData } from './series.js';

/** What src/models/define.ts's ModelDrift says about PSI. */
export interface DriftSettings {
  readonly psi: number;
  readonly minCount?: number;
  readonly features?: Readonly<Record<string, { readonly psi?: number }>>;
}

export interface ReportInputs {
  readonly run: RunQuery;
  /** The lake's partitioning, for pruning. */
  readonly layout: BindOptions;
  readonly environment: string;
  /** Where the queries run, for the header. */
  readonly where: string;
  /** The sources whose tables are counted (the catalog's). */
  readonly sources: readonly EventSource[];
  /** The models' artifacts whose reference distributions recent inputs are compared with. */
  readonly artifacts: readonly ModelArtifact[];
  /** Only these models in the prediction charts. @default every model in the log */
  readonly models?: readonly string[];
  /** The quarantine bucket, or why there is none to read. */
  readonly quarantine: QuarantineStore | { readonly unavailable: string };
  readonly range: TimeRange;
  /**
   * A model's drift settings (the catalog's `drift`: PSI threshold, per-input ones, minimum count).
   * @default PSI 0.2 for every input, no minimum
   */
  readonly driftSettings?: (model: string) => DriftSettings | undefined;
  /** Inputs drawn per model, those with the highest PSI first. @default 6 */
  readonly topInputs?: number;
  /** Most recent predictions whose inputs are binned, per model. @default 20_000 */
  readonly recentLimit?: number;
  /** Said in the header (models without an artifact…). */
  readonly notes?: readonly string[];
  /** A line per step, for stderr. */
  readonly progress?: (line: string) => void;
  readonly now?: Date;
}

/** Runs `work`, saying what it does and how long it took. */
async function step<T>(progress: ReportInputs['progress'], what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  progress?.(`${what}…`);
  const out = await work();
  progress?.(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

/** (b) and (c) for one model: every input with a reference, binned against it. */
function compareInputs(artifact: ModelArtifact, recent: readonly Record<string, unknown>[]): InputDistribution[] {
  const references = artifact.reference?.inputs ?? {};
  return artifact.inputs.flatMap((input): InputDistribution[] => {
    const reference = references[input.name];
    if (!reference) return [];
    const binned = binAgainst(
      reference,
      recent.map((row) => row[input.name]),
    );
    return [
      {
        model: artifact.name,
        version: artifact.version,
        input: input.name,
        type: reference.type,
        bins: binned.labels,
        training: binned.training,
        recent: binned.recent,
        recentCount: binned.count,
        psi: psi(binned.training, binned.recent),
      },
    ];
  });
}

export async function gatherReport(inputs: ReportInputs): Promise<ReportData> {
  const { run, layout, range, progress } = inputs;
  const notes = [...(inputs.notes ?? [])];
  const volume = await step(progress, 'event volume per hour', () => eventVolume(run, inputs.sources, range, layout));
  const scores = await step(progress, 'prediction scores per model version', () =>
    scoresByVersion(run, range, layout, inputs.models),
  );
  const latency = await step(progress, 'API latency percentiles', () => latencyByModel(run, range, layout, inputs.models));

  const distributions: InputDistribution[] = [];
  const drift: DriftSeries[] = [];
  const top = inputs.topInputs ?? 6;
  for (const artifact of inputs.artifacts) {
    if (!artifact.reference) {
      notes.push(`${artifact.name} v${artifact.version} has no reference distributions: no drift to measure`);
      continue;
    }
    const recent = await step(progress, `recent inputs of ${artifact.name}`, () =>
      recentInputs(run, artifact.name, range, layout, inputs.recentLimit ?? 20_000),
    );
    if (recent.length === (inputs.recentLimit ?? 20_000))
      notes.push(`${artifact.name}: inputs of its ${recent.length.toLocaleString('en-US')} most recent predictions in range`);
    const compared = compareInputs(artifact, recent).sort((a, b) => b.psi - a.psi || a.input.localeCompare(b.input));
    const settings = inputs.driftSettings?.(artifact.name);
    const threshold = settings?.psi ?? PSI_THRESHOLD;
    drift.push({
      model: artifact.name,
      version: artifact.version,
      threshold,
      ...(settings?.minCount === undefined ? {} : { minCount: settings.minCount }),
      inputs: compared.map((c) => ({
        input: c.input,
        psi: c.psi,
        recentCount: c.recentCount,
        threshold: settings?.features?.[c.input]?.psi ?? threshold,
      })),
    });
    distributions.push(...compared.slice(0, top));
  }

  let quarantine: QuarantineSeries;
  const store = inputs.quarantine;
  if ('unavailable' in store) {
    quarantine = { reasons: [], consumers: [], objectsRead: 0, unavailable: store.unavailable };
  } else {
    const counted = await step(progress, `quarantine by reason (${store.description})`, () =>
      quarantineByReason(store, range, { onProgress: (n) => progress?.(`quarantine: ${n} objects read`) }),
    );
    if (counted.truncated)
      notes.push(`quarantine: counted the first ${counted.objectsRead.toLocaleString('en-US')} objects only`);
    const { truncated: _, ...series } = counted;
    quarantine = series;
  }

  return {
    meta: {
      title: `featurelake report: ${inputs.environment}`,
      environment: inputs.environment,
      where: inputs.where,
      from: new Date(range.fromMs).toISOString(),
      to: new Date(range.toMs).toISOString(),
      generatedAt: (inputs.now ?? new Date()).toISOString(),
      notes,
    },
    volume,
    distributions,
    drift,
    quarantine,
    latency,
    scores,
  };
}

/**
 * `featurelake drift`: the scheduled drift job's measurement (src/drift/) on
 * demand — each catalog model's current version (or --model's) against what
 * it scored in [--from, --to) — printed as a table, and written to the lake's
 * drift table unless --dry-run. Locally on DuckDB (the local stack's lake
 * and models bucket, or --lake-dir); on Athena with --athena and the
 * deployed models bucket with --aws. Exit 0 whatever it finds, unless
 * --fail-on-drift (1 when anything breached: a CI gate).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ENVIRONMENTS } from '../../../lib/config/environments.js';
import { s3Client } from '../../aws/clients.js';
import { type DriftReport, type DriftRow, measureDrift } from '../../drift/job.js';
import { SCORE } from '../../drift/query.js';
import { addDriftPartitionSql, driftPartition, writeDriftReport } from '../../drift/results.js';
import type { Catalog } from '../../features/define.js';
import type { Model } from '../../models/define.js';
import { readAlias, readArtifact } from '../../models/registry.js';
import { directoryStorage, type LakeStorage, s3Storage } from '../../query/lake-storage.js';
import { runtimeError, usageError } from '../errors.js';
import { type LakeTarget, type LakeTargetFlags, localStackLake } from '../lake-target.js';
import { modelTarget } from '../model-target.js';
import { isoInstant } from '../options.js';
import { lakeTargetOptions, withTarget } from './query.js';

interface DriftOptions extends LakeTargetFlags {
  model?: string;
  from?: number;
  to?: number;
  aws?: boolean;
  modelsBucket?: string;
  dryRun?: boolean;
  failOnDrift?: boolean;
}

const HOUR = 3_600_000;
const fixed = (x: number | null) => (x === null ? '–' : x.toFixed(4));
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function thresholdText(row: DriftRow): string {
  const parts = [`PSI ${row.thresholdPsi}`];
  if (row.thresholdKs !== null) parts.push(`KS ${row.thresholdKs}`);
  if (row.thresholdP !== null) parts.push(`p ${row.thresholdP}`);
  return parts.join(', ');
}

/** The report as an aligned table: one row per input, then the score. Deterministic: no timings. */
export function driftTable(report: DriftReport): string {
  const header = ['feature', 'kind', 'n', 'missing', 'KS', 'PSI', 'χ² p', 'threshold', ''];
  const rows = report.rows.map((r) => [
    r.feature === SCORE ? '(score)' : r.feature,
    r.kind,
    (r.n - r.nulls).toLocaleString('en-US'),
    r.n > 0 ? `${((100 * r.nulls) / r.n).toFixed(1)} %` : '–',
    fixed(r.ks),
    fixed(r.psi),
    r.pValue === null ? '–' : r.pValue < 1e-4 ? '<0.0001' : r.pValue.toFixed(4),
    thresholdText(r),
    r.breached ? 'ALERT' : r.judged ? '' : '(too few)',
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  return all
    .map((r) =>
      r
        .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Where the drift rows go: the lake the query reads. */
function resultStorage(options: DriftOptions): { storage: LakeStorage; bucket?: string } {
  if (options.athena) {
    const bucket = options.bucket ?? (process.env.FEATURELAKE_LAKE_BUCKET || undefined);
    if (!bucket)
      throw usageError(
        '--athena writes the drift table to the lake bucket: pass --bucket (the LakeBucketName output) or FEATURELAKE_LAKE_BUCKET, or --dry-run',
      );
    return { storage: s3Storage({ s3: s3Client(process.env), bucket }), bucket };
  }
  if (options.lakeDir) return { storage: directoryStorage(path.resolve(options.lakeDir)) };
  return { storage: localStackLake(options.stateDir, 'write drift to', 'pass --lake-dir DIR, --athena, or --dry-run').storage };
}

function window(options: DriftOptions, target: LakeTarget): { fromMs: number; toMs: number } {
  if ((options.from === undefined) !== (options.to === undefined)) throw usageError('give --from and --to together');
  if (options.from !== undefined && options.to !== undefined) {
    if (options.to <= options.from) throw usageError('--to must be after --from');
    return { fromMs: options.from, toMs: options.to };
  }
  // As the scheduled job: the closed hours before now.
  const toMs = Math.floor(Date.now() / HOUR) * HOUR;
  return { fromMs: toMs - ENVIRONMENTS[target.envName].drift.windowHours * HOUR, toMs };
}

async function drift(catalog: Catalog, options: DriftOptions): Promise<void> {
  const known = catalog.models ?? [];
  const models: Model[] = options.model === undefined ? [...known] : known.filter((m) => m.name === options.model);
  if (models.length === 0)
    throw usageError(
      options.model === undefined
        ? 'the catalog has no models'
        : `--model: unknown model "${options.model}" (known: ${known.map((m) => m.name).join(', ') || 'none'})`,
    );
  const registry = modelTarget(options, 'read models from');
  const results = options.dryRun ? undefined : resultStorage(options);
  let breaches = 0;
  await withTarget(catalog, options, async (target) => {
    const span = window(options, target);
    const engine = { dialect: target.engine === 'athena' ? ('athena' as const) : ('duckdb' as const), run: target.run };
    const blocks: string[] = [];
    for (const model of models) {
      const current = await readAlias(registry.store, model.name, 'current');
      const artifact = current && (await readArtifact(registry.store, model.name, current.version));
      if (!artifact) {
        blocks.push(`${model.name}: no current version in ${registry.where}: nothing to measure`);
        continue;
      }
      const report = await measureDrift(engine, model, artifact, span, {
        timePartitioning: target.layout.timePartitioning ?? 'hour',
        // The deployed lake partitions predictions by the catalog's models; local views have no model column.
        modelPartition: target.engine === 'athena',
      }).catch((error: Error) => {
        if (/no reference distributions/.test(error.message)) throw usageError(error.message);
        throw error;
      });
      breaches += report.breaches;
      const lines = [
        `${model.name} version ${report.version}: ${report.predictions.toLocaleString('en-US')} predictions from ${iso(span.fromMs)} to ${iso(span.toMs)} (judged from ${report.minCount.toLocaleString('en-US')})`,
        driftTable(report),
        `${report.breaches === 0 ? 'no drift' : `${report.breaches} drifted`}${report.skipped.length > 0 ? `; not measured (no reference): ${report.skipped.join(', ')}` : ''}`,
      ];
      if (results) {
        const key = await writeDriftReport(results.storage, report);
        if (target.engine === 'athena' && results.bucket)
          await target.run(addDriftPartitionSql(results.bucket, driftPartition(report)));
        lines.push(`wrote ${key}`);
      } else lines.push('(not written: --dry-run)');
      blocks.push(lines.join('\n'));
    }
    process.stdout.write(`${blocks.join('\n\n')}\n`);
  });
  if (options.failOnDrift && breaches > 0) throw runtimeError(`${breaches} drifted (--fail-on-drift)`);
}

export function registerDrift(program: Command, catalog: Catalog): void {
  lakeTargetOptions(
    program
      .command('drift')
      .summary("compare recent predictions' inputs and scores with the model's training distributions")
      .description(
        "Measure drift as the scheduled drift job does (docs/operations.md, Drift): each catalog model's current version against the inputs and scores of its non-shadow predictions in [--from, --to) — KS and PSI of numeric inputs and the score, PSI and chi-square of categorical ones — judged on the catalog's thresholds, printed, and written to the lake's drift table.",
      )
      .option('--model <name>', 'a model of the catalog (default: every one)')
      .option(
        '--from <time>',
        'predictions from (ISO-8601 with zone; default: the last drift window of the environment)',
        isoInstant,
      )
      .option('--to <time>', 'predictions until, exclusive', isoInstant)
      .option('--aws', "read the models from the deployed environment's models bucket (default: the local stack's)")
      .option('--models-bucket <bucket>', 'with --aws: the models bucket (default $FEATURELAKE_MODELS_BUCKET)')
      .option(
        '--bucket <bucket>',
        'with --athena: the lake bucket the drift table is written to (default $FEATURELAKE_LAKE_BUCKET)',
      )
      .option('--dry-run', 'print only: write nothing to the drift table')
      .option('--fail-on-drift', 'exit 1 when any input or score drifted'),
  ).action((options: DriftOptions) =>
    drift(catalog, options).catch((error: unknown) => {
      if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
      throw runtimeError(`drift failed: ${(error as Error).message}`);
    }),
  );
}

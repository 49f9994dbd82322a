/**
 * `featurelake report`: one self-contained HTML page (src/report/) about a
 * time range — event volume per source, feature distributions training vs
 * recent, drift per feature, quarantine by reason, API latency and prediction
 * scores per model version. From the running local stack (its lake, models
 * and quarantine buckets), a lake folder (--lake-dir, with --artifact and
 * --quarantine-dir for the rest), or Athena (--athena, with --models-bucket
 * and --quarantine-bucket).
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { s3Client } from '../../aws/clients.js';
import type { Catalog } from '../../features/define.js';
import { type ModelArtifact, parseArtifact } from '../../models/artifact.js';
import { type ModelStore, readAlias, readArtifact } from '../../models/registry.js';
import { gatherReport } from '../../report/gather.js';
import { renderReportHtml } from '../../report/html.js';
import { directoryQuarantineStore, type QuarantineStore, s3QuarantineStore } from '../../report/quarantine-series.js';
import { runtimeError, usageError } from '../errors.js';
import type { LakeTargetFlags } from '../lake-target.js';
import { localStackEnv, readLocalStackInfo } from '../local-stack-info.js';
import { commaList, isoInstant, positiveInteger } from '../options.js';
import { lakeTargetOptions, withTarget } from './query.js';

interface ReportOptions extends LakeTargetFlags {
  out: string;
  from?: number;
  to?: number;
  model?: string[];
  artifact: string[];
  modelsBucket?: string;
  quarantineBucket?: string;
  quarantineDir?: string;
  top: number;
}

const DAY_MS = 86_400_000;
const say = (line: string) => process.stderr.write(`featurelake: report: ${line}\n`);

/** [from, to): both given, or the 24 hours before --to (default now). */
function rangeOf(options: ReportOptions): { fromMs: number; toMs: number } {
  const toMs = options.to ?? Date.now();
  const fromMs = options.from ?? toMs - DAY_MS;
  if (toMs <= fromMs) throw usageError('--to must be after --from');
  return { fromMs, toMs };
}

function artifactFiles(files: readonly string[]): ModelArtifact[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw usageError(
        `--artifact ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    try {
      return parseArtifact(JSON.parse(text));
    } catch (error) {
      throw usageError(`--artifact ${file}: not a model artifact (${(error as Error).message.split('\n')[0]})`);
    }
  });
}

/** Where the models' artifacts are: --models-bucket (Athena), the local stack's bucket, or nowhere (said in a note). */
function modelStore(options: ReportOptions, notes: string[]): ModelStore | undefined {
  const env = process.env;
  if (options.athena) {
    const bucket = options.modelsBucket ?? (env.FEATURELAKE_MODELS_BUCKET || undefined);
    if (bucket) return { s3: s3Client(env), bucket };
    notes.push('no models bucket named (--models-bucket or FEATURELAKE_MODELS_BUCKET): no training distributions, no drift');
    return undefined;
  }
  if (options.modelsBucket) throw usageError('--models-bucket names a deployment: add --athena');
  const lookup = readLocalStackInfo(options.stateDir);
  if (lookup.status === 'running' && lookup.info.resources.modelsBucket)
    return { s3: s3Client(localStackEnv(lookup.info)), bucket: lookup.info.resources.modelsBucket };
  notes.push('no model registry (no local stack running; pass --artifact FILE): no training distributions, no drift');
  return undefined;
}

/** The current artifact of each model asked for (or of the catalog). */
async function currentArtifacts(store: ModelStore, names: readonly string[], notes: string[]): Promise<ModelArtifact[]> {
  const out: ModelArtifact[] = [];
  for (const name of names) {
    const alias = await readAlias(store, name, 'current');
    const artifact = alias && (await readArtifact(store, name, alias.version));
    if (artifact) out.push(artifact);
    else notes.push(`${name}: no current version in s3://${store.bucket}/models/`);
  }
  return out;
}

function quarantineStore(options: ReportOptions): QuarantineStore | { unavailable: string } {
  const env = process.env;
  if (options.athena) {
    if (options.quarantineDir) throw usageError('--quarantine-dir reads a local folder: with --athena, pass --quarantine-bucket');
    const bucket = options.quarantineBucket ?? (env.FEATURELAKE_QUARANTINE_BUCKET || undefined);
    if (bucket) return s3QuarantineStore(s3Client(env), bucket);
    return { unavailable: 'no quarantine bucket named (--quarantine-bucket)' };
  }
  if (options.quarantineBucket) throw usageError('--quarantine-bucket names a deployment: add --athena');
  if (options.quarantineDir) {
    if (!statSync(options.quarantineDir, { throwIfNoEntry: false })?.isDirectory())
      throw usageError(`--quarantine-dir: ${options.quarantineDir} is not a directory`);
    return directoryQuarantineStore(path.resolve(options.quarantineDir));
  }
  if (options.lakeDir) return { unavailable: 'no quarantine given (--quarantine-dir)' };
  const lookup = readLocalStackInfo(options.stateDir);
  if (lookup.status !== 'running') return { unavailable: 'no local stack running' };
  return s3QuarantineStore(s3Client(localStackEnv(lookup.info)), lookup.info.resources.quarantineBucket);
}

async function report(catalog: Catalog, options: ReportOptions): Promise<void> {
  const range = rangeOf(options);
  const notes: string[] = [];
  const quarantine = quarantineStore(options);
  let artifacts: ModelArtifact[];
  if (options.artifact.length > 0) {
    artifacts = artifactFiles(options.artifact).filter((a) => !options.model || options.model.includes(a.name));
  } else {
    const store = modelStore(options, notes);
    const names = options.model ?? (catalog.models ?? []).map((m) => m.name);
    artifacts = store ? await currentArtifacts(store, names, notes) : [];
  }
  const started = performance.now();
  await withTarget(catalog, options, async (target) => {
    const data = await gatherReport({
      run: (sql) => target.run(sql),
      layout: target.layout,
      environment: target.envName,
      where: target.description,
      sources: catalog.sources,
      artifacts,
      ...(options.model ? { models: options.model } : {}),
      quarantine,
      range,
      driftSettings: (name) => catalog.models?.find((m) => m.name === name)?.drift,
      topInputs: options.top,
      notes,
      progress: say,
    });
    const html = renderReportHtml(data);
    const out = path.resolve(options.out);
    const file = path.join(out, 'index.html');
    try {
      await mkdir(out, { recursive: true });
      await writeFile(file, html);
    } catch (error) {
      throw runtimeError(`cannot write ${file}: ${(error as Error).message}`);
    }
    const charts = (html.match(/class="chart"/g) ?? []).length;
    process.stdout.write(
      `wrote ${path.relative(process.cwd(), file) || file} (${(html.length / 1e6).toFixed(2)} MB, ${charts} charts, ${new Date(range.fromMs).toISOString()} to ${new Date(range.toMs).toISOString()}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    for (const note of notes) say(`note: ${note}`);
  });
}

export function registerReport(program: Command, catalog: Catalog): void {
  lakeTargetOptions(
    program
      .command('report')
      .summary('an HTML page of charts: event volume, feature drift, quarantine, API latency, scores')
      .description(
        'Write one self-contained HTML page (charts drawn by Apache ECharts, inlined: no network when viewed) about [--from, --to): events per hour and source, each model input training vs recent and its PSI, quarantined records by reason, API latency CDF, scores per model version (docs/operations.md).',
      )
      .option('--out <dir>', 'folder to write index.html into', 'report')
      .option('--from <time>', 'range start (ISO-8601 with zone; default 24 h before --to)', isoInstant)
      .option('--to <time>', 'range end, exclusive (default now)', isoInstant)
      .option(
        '--model <models>',
        'only these models, comma-separated (default: the catalog’s, and every model in the log)',
        commaList,
      )
      .option(
        '--artifact <file>',
        'a model artifact.json to compare recent inputs with, instead of the registry (repeatable)',
        (value: string, previous: string[]) => [...previous, value],
        [] as string[],
      )
      .option('--models-bucket <bucket>', 'with --athena: the models bucket (default $FEATURELAKE_MODELS_BUCKET)')
      .option('--quarantine-bucket <bucket>', 'with --athena: the quarantine bucket (default $FEATURELAKE_QUARANTINE_BUCKET)')
      .option('--quarantine-dir <dir>', 'a folder mirroring the quarantine bucket (invalid/…), e.g. with --lake-dir')
      .option('--top <n>', 'inputs drawn per model, highest PSI first', positiveInteger, 6),
  ).action((options: ReportOptions) =>
    report(catalog, options).catch((error: unknown) => {
      if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
      throw runtimeError(`report failed: ${(error as Error).message}`);
    }),
  );
}

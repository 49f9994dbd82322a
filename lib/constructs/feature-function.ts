/**
 * The one in-house Lambda function construct: every featurelake function is a
 * `lambdas/<name>/index.ts` bundled by esbuild into a minified ESM file with
 * source maps, on the newest Node.js runtime, arm64, with its own log group
 * (retention, JSON format) and the Powertools variables set. Its role has no
 * AWS managed policy: it may write to its own log group and nothing else
 * until a construct grants more.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, type ILayerVersion, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ARCHITECTURE, logRetention, METRICS_NAMESPACE, NODE_RUNTIME } from './defaults.js';

/** The repository root: `lambdas/`, `package-lock.json` and the esbuild install live here. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type FunctionLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What a construct that owns a feature function takes for it and passes through: environment and logs. */
export type FunctionOwnerProps = Pick<FeatureFunctionProps, 'envName' | 'logRetentionDays' | 'logRemovalPolicy' | 'logLevel'>;

/** Those props of an owner's, for its FeatureFunction. */
export function ownerFunctionProps(props: FunctionOwnerProps): FunctionOwnerProps {
  return {
    envName: props.envName,
    logRetentionDays: props.logRetentionDays,
    logRemovalPolicy: props.logRemovalPolicy,
    ...(props.logLevel ? { logLevel: props.logLevel } : {}),
  };
}

export interface FeatureFunctionProps {
  /**
   * Folder under `lambdas/` holding the handler's `index.ts` (exporting `handler`). Also the
   * Powertools service name and the `FEATURELAKE_FUNCTION` variable, by which the local stack
   * finds the handler in the synthesized template.
   */
  readonly name: string;
  /** Environment name (dev, staging, prod), exposed as `FEATURELAKE_ENV` and the metrics `environment` dimension. */
  readonly envName: string;
  /** Days the function's log group keeps events; one of the periods CloudWatch Logs accepts. */
  readonly logRetentionDays: number;
  /** What happens to the log group when the stack is deleted. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Function-specific environment variables, added to the common ones. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Level of the application's logs (Powertools and Lambda's log-level filter agree on it). @default 'INFO' */
  readonly logLevel?: FunctionLogLevel;
  /** @default - "featurelake <name> (<envName>)" */
  readonly description?: string;
  /**
   * Runs of this function that may overlap (Lambda's reserved concurrency). 1 for a job whose runs
   * must not interleave; throttled asynchronous invocations wait and are retried. @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Packages left out of the bundle, for a layer to provide (onnxruntime-node's native library).
   * @default - none: everything is bundled
   */
  readonly externalModules?: readonly string[];
  /** Layers attached to the function. @default - none */
  readonly layers?: readonly ILayerVersion[];
  /** Folder holding one sub-folder per function. @default the repository's `lambdas/` */
  readonly lambdasDir?: string;
  /**
   * Folders the code reads at run time, copied into the bundle beside `index.mjs`: name in the
   * bundle → source folder (the rollup's `{ athena: ATHENA_DIR }`; src/query/sql-library.ts looks
   * for `athena/` next to the running file first). The asset's hash covers them.
   * @default - none: the bundle holds index.mjs and its source map only
   */
  readonly bundledFolders?: Readonly<Record<string, string>>;
}

/** Shell-quoted, for the bundling hook's commands. */
const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export class FeatureFunction extends NodejsFunction {
  /** The folder name under `lambdas/`, also the Powertools service name. */
  public readonly functionKey: string;

  constructor(scope: Construct, id: string, props: FeatureFunctionProps) {
    const logLevel = props.logLevel ?? 'INFO';
    const lambdasDir = props.lambdasDir ?? path.join(REPO_ROOT, 'lambdas');
    // Children of the scope, not of the function: they must exist before super() runs.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention(props.logRetentionDays),
      removalPolicy: props.logRemovalPolicy,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the featurelake ${props.name} function (${props.envName})`,
    });

    super(scope, id, {
      entry: path.join(lambdasDir, props.name, 'index.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: NODE_RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description ?? `featurelake ${props.name} (${props.envName})`,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role,
      ...(props.layers ? { layers: [...props.layers] } : {}),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[logLevel],
      environment: {
        FEATURELAKE_FUNCTION: props.name,
        FEATURELAKE_ENV: props.envName,
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        // Prefer the ESM build of dependencies: it tree-shakes better than the CJS one.
        mainFields: ['module', 'main'],
        // CJS dependencies bundled into ESM still call require() for Node built-ins.
        banner:
          "import { createRequire as __featurelakeCreateRequire } from 'node:module';" +
          'const require = __featurelakeCreateRequire(import.meta.url);',
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Bundle the AWS SDK too: a pinned, tree-shaken client instead of whatever the runtime ships.
        bundleAwsSDK: true,
        externalModules: [...(props.externalModules ?? [])],
        ...(props.bundledFolders && Object.keys(props.bundledFolders).length > 0
          ? { commandHooks: copyFoldersHook(props.bundledFolders) }
          : {}),
      },
    });

    this.functionKey = props.name;
    // The function may write its own logs and nothing else (no AWSLambdaBasicExecutionRole).
    logGroup.grantWrite(role);
  }
}

/** Bundling hooks that copy folders into the asset after esbuild has written it. */
function copyFoldersHook(folders: Readonly<Record<string, string>>) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      Object.entries(folders).map(([name, source]) => {
        if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..')
          throw new Error(`bundledFolders: "${name}" is not a folder name`);
        const target = shellQuote(path.join(outputDir, name));
        return `mkdir -p ${target} && cp -R ${shellQuote(path.resolve(source))}/. ${target}/`;
      }),
  };
}

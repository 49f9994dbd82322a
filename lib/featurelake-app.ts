/**
 * Builds the CDK app for one environment. Used by bin/app.ts (`cdk synth|deploy
 * -c env=…`), by the infrastructure tests, by the benchmarks (bundle sizes)
 * and by the local stack, which reads resource settings from synthTemplate().
 *
 * The context of cdk.json (feature flags) is applied here too, so an in-process
 * synth produces the same template as the CDK CLI.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { exampleCatalog } from '../src/features/catalog.js';
import { environmentConfig, stackName } from './config/environments.js';
import { FeaturelakeStack } from './featurelake-stack.js';

export interface CreateAppOptions {
  /** dev, staging or prod; anything else throws, naming the valid ones. */
  readonly envName: string;
  /** Bundle the Lambda code with esbuild. Off: assets are placeholders, synth takes a second. @default true */
  readonly bundle?: boolean;
  /** Cloud assembly directory. @default the CLI's, else a fresh temporary directory */
  readonly outdir?: string;
  /** Run cdk-nag AwsSolutions checks on synth (any unacknowledged finding fails it). @default true */
  readonly checks?: boolean;
}

/** The `context` of cdk.json: feature flags, so in-process synths match `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const file = new URL('../cdk.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

export function createApp(options: CreateAppOptions): { app: App; stack: FeaturelakeStack } {
  // The functions' index.ts files and the stack serve the example catalog: validate the environment against it.
  const config = environmentConfig(options.envName, exampleCatalog.featureViews);
  const app = new App({
    context: {
      ...cdkJsonContext(),
      // As the CLI sets them: resources name their construct path and asset (bench/lambdas.ts reads the latter).
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      // An empty list of stacks to bundle: NodejsFunction assets become placeholders.
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = new FeaturelakeStack(app, stackName(config.name), {
    config,
    description: `featurelake ${config.name}: real-time ML features (Kinesis → Lambda → DynamoDB → API Gateway)`,
    env: {
      account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
      region: config.region ?? process.env.CDK_DEFAULT_REGION,
    },
    tags: { project: 'featurelake', environment: config.name },
  });
  if (options.checks ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * The stack's CloudFormation template as JSON, synthesized without bundling Lambda code
 * or running cdk-nag, so it is quick. The local stack builds its resources from it.
 */
export function synthTemplate(envName: string): Record<string, any> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-synth-'));
  try {
    const { app, stack } = createApp({ envName, bundle: false, outdir, checks: false });
    return app.synth().getStackByName(stack.stackName).template as Record<string, any>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

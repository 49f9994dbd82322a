/**
 * The in-house function construct as the stack uses it: runtime, architecture,
 * logging, environment, least-privilege role; and the one test that really
 * bundles the Lambda code with esbuild.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { FeatureFunction } from '../../lib/constructs/feature-function.js';
import { createApp } from '../../lib/featurelake-app.js';

/** Every folder under lambdas/ is one function of the stack. */
const LAMBDA_FOLDERS = readdirSync(path.join(import.meta.dirname, '../../lambdas'), { withFileTypes: true }).filter((d) =>
  d.isDirectory(),
).length;

/** The newest Node.js runtime aws-cdk-lib knows, computed from its runtime list. */
function newestNodeRuntime(): { name: string; major: number } {
  const majors = Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number);
  const major = Math.max(...majors);
  return { name: `nodejs${major}.x`, major };
}

const featureFunctions = (t: Template) =>
  t.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { FEATURELAKE_FUNCTION: Match.anyValue() } } },
  });

describe('featurelake functions (staging)', () => {
  const config = ENVIRONMENTS.staging;
  let t: Template;
  beforeAll(() => {
    t = Template.fromStack(createApp({ envName: 'staging', bundle: false, checks: false }).stack);
  });

  it('run on the newest Node.js runtime (22 or later) on arm64, as minified ESM with source maps', () => {
    const runtime = newestNodeRuntime();
    expect(runtime.major).toBeGreaterThanOrEqual(22);
    const functions = Object.values(featureFunctions(t));
    expect(functions).toHaveLength(LAMBDA_FOLDERS);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: runtime.name,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
  });

  it('log JSON to their own log group, with the configured retention', () => {
    for (const fn of Object.values(featureFunctions(t))) {
      const logGroup = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
      t.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: config.logRetentionDays } });
      expect(t.toJSON().Resources[logGroup].Type).toBe('AWS::Logs::LogGroup');
    }
  });

  it('set the Powertools and featurelake variables', () => {
    for (const name of ['aggregator', 'feature-api']) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            FEATURELAKE_FUNCTION: name,
            FEATURELAKE_ENV: 'staging',
            POWERTOOLS_SERVICE_NAME: name,
            POWERTOOLS_METRICS_NAMESPACE: 'featurelake',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    }
  });

  it('give the aggregator its table, quarantine bucket and lateness policy', () => {
    const table = Object.keys(t.findResources('AWS::DynamoDB::Table'))[0];
    const bucket = Object.keys(t.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }))[0];
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          FEATURELAKE_FUNCTION: 'aggregator',
          TABLE_NAME: { Ref: table },
          QUARANTINE_BUCKET: { Ref: bucket },
          MAX_LATENESS_SECONDS: String(config.aggregator.maxLatenessSeconds),
          MAX_CLOCK_SKEW_SECONDS: String(config.aggregator.maxClockSkewSeconds),
        }),
      },
      MemorySize: config.aggregator.memoryMb,
      Timeout: config.aggregator.timeoutSeconds,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FEATURELAKE_FUNCTION: 'feature-api', TABLE_NAME: { Ref: table } }) },
      MemorySize: config.api.memoryMb,
    });
  });

  it('use roles without AWS managed policies', () => {
    for (const fn of Object.values(featureFunctions(t))) {
      const role = t.toJSON().Resources[fn.Properties.Role['Fn::GetAtt'][0]];
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('FeatureFunction', () => {
  const stackWith = (props: Partial<ConstructorParameters<typeof FeatureFunction>[2]>) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    new FeatureFunction(stack, 'Fn', {
      name: 'feature-api',
      envName: 'test',
      logRetentionDays: 7,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      ...props,
    });
    return Template.fromStack(stack);
  };

  it('defaults to 512 MB, 30 s and INFO logs', () => {
    stackWith({}).hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 30,
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'INFO' }),
    });
  });

  it('rejects a log retention CloudWatch Logs does not offer', () => {
    expect(() => stackWith({ logRetentionDays: 10 })).toThrow(/log retention of 10 days/);
  });
});

describe('bundling (dev, the one test that runs esbuild)', () => {
  it('produces a minified ESM bundle with the AWS SDK inside, a require shim and a source map', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-bundle-test-'));
    try {
      const { app, stack } = createApp({ envName: 'dev', bundle: true, outdir, checks: false });
      const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, any> };
      const functions = Object.values(template.Resources).filter(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.FEATURELAKE_FUNCTION,
      );
      expect(functions).toHaveLength(LAMBDA_FOLDERS);
      for (const fn of functions) {
        const assetDir = path.join(outdir, fn.Metadata['aws:asset:path']);
        const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
        expect(existsSync(path.join(assetDir, 'index.mjs.map'))).toBe(true);
        expect(code).toMatch(/createRequire/);
        expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
        // Bundled, not external: no import of an @aws-sdk or @smithy package is left.
        expect(code).not.toMatch(/from\s*["']@(aws-sdk|smithy)\//);
        // Minified: what newlines remain are inside template literals (hyparquet-compressors' tables among them,
        // 80-character lines), so most of the code is on long lines.
        const onLongLines = code.split('\n').reduce((sum, line) => sum + (line.length > 1_000 ? line.length : 0), 0);
        expect(onLongLines / code.length).toBeGreaterThan(0.8);
        expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

/**
 * The embedded local stack: emulators + the resources, handlers, event source
 * mappings and API that the synthesized CDK template defines, all on
 * loopback. Every name and setting comes from the template.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { stackName } from '../../lib/config/environments.js';
import { synthTemplate } from '../../lib/featurelake-app.js';
import { dynamoDocumentClient, kinesisClient, s3Client } from '../aws/clients.js';
import type { Env } from '../aws/env.js';
import { lakeLayoutFromEnv } from '../aws/lake-env.js';
import { exampleCatalog } from '../features/catalog.js';
import type { Catalog } from '../features/define.js';
import { type LocalApi, startLocalApi } from './api-server.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, S3RVER_OBJECT_SUFFIX, startEmulators } from './emulators.js';
import { type KinesisHandler, LocalEventSourceMapping } from './event-source-mapping.js';
import { type LocalStackInfo, localStackInfoPath } from './local-stack-info.js';
import { provision } from './provision.js';
import {
  type CloudFormationTemplate,
  type EventSourceMappingModel,
  type LocalStackModel,
  readTemplate,
} from './template-model.js';
import { type ObjectCreatedHandler, UploadWatcher } from './upload-watcher.js';

export interface LocalStackOptions {
  /** @default 'dev' */
  readonly envName?: string;
  /** Emulator data and local-stack.json. */
  readonly stateDir: string;
  /**
   * Replace event source mapping settings: for every mapping (tests use a
   * short batching window), or per function, by handler name
   * (`featurelake start --lake-window` shortens the lake writer's).
   */
  readonly mappingOverrides?: Partial<EventSourceMappingModel> | ((handlerName: string) => Partial<EventSourceMappingModel>);
  /** Wraps each Kinesis handler (tests inject crashes). */
  readonly wrapKinesisHandler?: (handler: KinesisHandler, handlerName: string) => KinesisHandler;
  /** Serve the API without the usage plan's throttle and quota (latency benchmarks). @default false */
  readonly withoutUsagePlan?: boolean;
  /** The feature catalog the handlers serve. @default the example catalog (src/features/catalog.ts) */
  readonly catalog?: Catalog;
  /** Clock of the API handlers. @default Date.now */
  readonly clock?: () => number;
  /** Environment variables set on a function beside its template's (tests shorten the model refresh). */
  readonly functionEnv?: (handlerName: string) => Readonly<Record<string, string>> | undefined;
  /** Extra dependencies given to a handler's factory, by handler name (tests inject a failing client). */
  readonly handlerDeps?: (handlerName: string) => Readonly<Record<string, unknown>> | undefined;
  readonly apiPort?: number;
  /** Powertools log level of the handlers, unless POWERTOOLS_LOG_LEVEL is set. @default 'WARN' */
  readonly handlerLogLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly info: LocalStackInfo;
  readonly infoFile: string;
  /** Client environment (endpoints, credentials, region) for the emulators. */
  readonly clientEnv: Record<string, string>;
  readonly model: LocalStackModel;
  readonly mappings: readonly LocalEventSourceMapping[];
  /** This process (handlers, mappings, API) and the emulator children, by name and pid. */
  readonly processes: readonly { readonly name: string; readonly pid: number }[];
  /** The mappings that feed one function, by its handler name ('aggregator', 'lake-writer'). */
  mappingsOf(handlerName: string): LocalEventSourceMapping[];
  /** Waits until every mapping has processed everything on its stream. */
  drain(timeoutMs?: number): Promise<void>;
  /** Waits until every file uploaded under the lake bucket's `sources/` so far has been ingested (./upload-watcher.ts). */
  batchUploadsIngested(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

type HandlerModule = { createHandler: (env: Env, deps: { catalog: Catalog; clock?: () => number }) => unknown };

/** The handler factory of each `lambdas/<name>/` folder, by the FEATURELAKE_FUNCTION name the template carries. */
const HANDLER_MODULES: Record<string, () => Promise<HandlerModule>> = {
  aggregator: () => import('../../lambdas/aggregator/handler.js'),
  'feature-api': () => import('../../lambdas/feature-api/handler.js'),
  'lake-writer': () => import('../../lambdas/lake-writer/handler.js'),
  'batch-ingest': () => import('../../lambdas/batch-ingest/handler.js'),
  predict: () => import('../../lambdas/predict/handler.js'),
};

/**
 * Functions the local stack does not run, and what replaces them locally. The
 * rollup queries Athena, which has no emulator here: the same rollup runs on
 * the local DuckDB engine with `featurelake rollup`. The compactor runs on a
 * daily schedule, which a local session has no use for: `featurelake compact`
 * runs it on demand. The drift job queries Athena too: `featurelake drift`
 * measures the same drift on the local DuckDB engine.
 */
const LOCAL_SUBSTITUTES: Readonly<Record<string, string>> = {
  rollup: '`featurelake rollup --from … --to …` runs the same hourly rollup on the local DuckDB engine',
  compactor: '`featurelake compact --day …` runs the same compaction on the local stack’s bucket',
  drift: '`featurelake drift [--model …] [--from … --to …]` measures the same drift on the local DuckDB engine',
};

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const envName = options.envName ?? 'dev';
  const name = stackName(envName as 'dev');
  const log = options.log ?? (() => {});
  mkdirSync(options.stateDir, { recursive: true });

  const model = readTemplate(synthTemplate(envName) as CloudFormationTemplate, name);
  const emulators = await startEmulators(options.stateDir);
  const cleanups: (() => Promise<void>)[] = [() => emulators.stop()];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const clientEnv = emulators.env;
    const clients = { kinesis: kinesisClient(clientEnv), doc: dynamoDocumentClient(clientEnv), s3: s3Client(clientEnv) };
    await provision(model, clients);

    // Powertools Metrics reads this from process.env; locally the summary replaces EMF output.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const handlers = new Map<string, unknown>();
    for (const fn of model.functions) {
      const substitute = LOCAL_SUBSTITUTES[fn.handlerName];
      if (substitute) {
        log(`${fn.logicalId} is not run locally: ${substitute}`);
        continue;
      }
      const load = HANDLER_MODULES[fn.handlerName];
      if (!load)
        throw new Error(`${fn.logicalId}: no local handler for FEATURELAKE_FUNCTION=${fn.handlerName} (see HANDLER_MODULES)`);
      const module = await load();
      const env = {
        ...fn.env,
        ...clientEnv,
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? options.handlerLogLevel ?? 'WARN',
        ...options.functionEnv?.(fn.handlerName),
      };
      handlers.set(
        fn.logicalId,
        module.createHandler(env, {
          catalog: options.catalog ?? exampleCatalog,
          clock: options.clock ?? Date.now,
          ...options.handlerDeps?.(fn.handlerName),
        }),
      );
    }

    const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:000000000000:${resource}`;
    const handlerNames: string[] = [];
    const mappings = model.eventSourceMappings.map((settings) => {
      const stream = model.streams.find((s) => s.logicalId === settings.streamLogicalId);
      const handler = handlers.get(settings.functionLogicalId) as KinesisHandler;
      const handlerName = model.functions.find((f) => f.logicalId === settings.functionLogicalId)?.handlerName ?? '';
      handlerNames.push(handlerName);
      const overrides =
        typeof options.mappingOverrides === 'function' ? options.mappingOverrides(handlerName) : options.mappingOverrides;
      return new LocalEventSourceMapping({
        kinesis: clients.kinesis,
        s3: clients.s3,
        streamName: stream?.name as string,
        streamArn: arn('kinesis', `stream/${stream?.name}`),
        functionArn: arn('lambda', `function:${name}-${settings.functionLogicalId}`),
        settings: {
          ...settings,
          ...overrides,
        },
        handler: options.wrapKinesisHandler ? options.wrapKinesisHandler(handler, handlerName) : handler,
        log,
      });
    });
    await Promise.all(mappings.map((m) => m.start()));
    cleanups.push(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

    // S3 → EventBridge → batch-ingest: s3rver sends no events, so the lake bucket's sources/ prefix is watched.
    const batchIngest = model.functions.find((f) => f.handlerName === 'batch-ingest');
    let uploads: UploadWatcher | undefined;
    if (batchIngest?.env.LAKE_BUCKET) {
      uploads = new UploadWatcher({
        s3: clients.s3,
        bucket: batchIngest.env.LAKE_BUCKET,
        handler: handlers.get(batchIngest.logicalId) as ObjectCreatedHandler,
        log,
      });
      uploads.start();
      cleanups.push(() => (uploads as UploadWatcher).stop());
    }

    const apiKey = randomBytes(20).toString('hex');
    let api: LocalApi | undefined;
    if (model.api) {
      const { throttle: _throttle, quota: _quota, ...unplanned } = model.api;
      api = await startLocalApi({
        api: options.withoutUsagePlan ? unplanned : model.api,
        apiKey,
        handlers: handlers as Map<string, (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>>,
        ...(options.apiPort === undefined ? {} : { port: options.apiPort }),
      });
      cleanups.push(() => (api as LocalApi).close());
    }

    const aggregator = model.functions.find((f) => f.handlerName === 'aggregator');
    const lakeWriter = model.functions.find((f) => f.handlerName === 'lake-writer');
    const predict = model.functions.find((f) => f.handlerName === 'predict');
    const lakeWriterMapping = mappings.find((_, i) => handlerNames[i] === 'lake-writer');
    const info: LocalStackInfo = {
      env: envName,
      region: LOCAL_REGION,
      endpoints: emulators.endpoints,
      credentials: LOCAL_CREDENTIALS,
      resources: {
        streamName: model.streams[0]?.name ?? '',
        tableName: aggregator?.env.TABLE_NAME ?? model.tables[0]?.name ?? '',
        quarantineBucket: aggregator?.env.QUARANTINE_BUCKET ?? '',
        lakeBucket: lakeWriter?.env.LAKE_BUCKET ?? '',
        ...(predict?.env.MODELS_BUCKET ? { modelsBucket: predict.env.MODELS_BUCKET } : {}),
      },
      s3Directory: emulators.s3Directory,
      s3ObjectSuffix: S3RVER_OBJECT_SUFFIX,
      api: { url: api?.url ?? '', key: apiKey },
      ...(lakeWriter && lakeWriterMapping
        ? {
            lake: {
              timePartitioning: lakeLayoutFromEnv(lakeWriter.env).partitioning.timePartitioning,
              batchingWindowSeconds: lakeWriterMapping.settings.maxBatchingWindowSeconds,
            },
          }
        : {}),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    const infoFile = localStackInfoPath(options.stateDir);
    writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);

    return {
      info,
      infoFile,
      clientEnv,
      model,
      mappings,
      processes: [{ name: 'featurelake', pid: process.pid }, ...emulators.processes],
      mappingsOf: (handlerName) => mappings.filter((_, i) => handlerNames[i] === handlerName),
      drain: async (timeoutMs) => {
        await Promise.all(mappings.map((m) => m.drain(timeoutMs)));
      },
      batchUploadsIngested: async (timeoutMs) => {
        await uploads?.idle(timeoutMs);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The inference endpoint, on the feature API's REST API:
 *
 *   POST /predict   {"model"?, "version"?, "entities": [{"type", "id", "features"?}, …], "features"?}
 *   GET  /health    loaded models and their age, online-store reachability, prediction-log counts
 *
 * Each request: one batched online read of every feature the model (and its
 * shadow version) needs, scoring, and the response with a Server-Timing
 * header; then — after the response has gone (index.ts streams it) — the
 * predictions are flushed to the prediction log. Errors: 400 naming the
 * field, 404 for an unknown model or version, 503 when no version of the
 * model can be served, 500 when the online store fails.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { dynamoDocumentClient, kinesisClient, s3Client } from '../../src/aws/clients.js';
import { type Env, numberEnv, requireEnv } from '../../src/aws/env.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import {
  type LoadedModel,
  ModelCache,
  ModelNotFoundError,
  ModelUnavailableError,
  type ScorerFactory,
} from '../../src/models/loader.js';
import { newPredictionId, PredictionLog, type PredictionRecord } from '../../src/models/prediction-log.js';
import { defaultScorerFactory } from '../../src/models/scorers.js';
import { batchGetAll } from '../../src/online-store/batch-get.js';
import { readFeaturesOfEntities } from '../../src/online-store/feature-reader.js';
import { requestError } from '../../src/serving/feature-request.js';
import { type Prediction, scoreEntities, settableInputs, unionReads } from '../../src/serving/predict.js';
import { parsePredictRequest } from '../../src/serving/predict-request.js';

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

export interface PredictDeps {
  readonly catalog: Catalog;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default native models in-process, ONNX through onnxruntime-node (src/models/scorers.ts) */
  readonly scorerFactory?: ScorerFactory;
  /** The stream client the prediction log writes with. @default from the environment */
  readonly kinesis?: ConstructorParameters<typeof PredictionLog>[0]['kinesis'];
}

/** A response, and the work that must run after it has been sent but before the invocation ends. */
export interface PredictOutcome {
  readonly response: APIGatewayProxyResult;
  readonly afterResponse: () => Promise<void>;
}

const nothing = async () => {};

/** 100 entities with 200 request-time values each fit easily; anything larger is a mistake, refused before parsing. */
export const MAX_PREDICT_BODY_BYTES = 256 * 1024;

function bodyText(event: APIGatewayProxyEvent): string | null {
  if (event.body === null || event.body === undefined) return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function createPredictCore(env: Env, deps: PredictDeps) {
  const { catalog, clock = Date.now } = deps;
  const { logger, metrics } = powertools(env, 'predict');
  const store = { doc: dynamoDocumentClient(env), tableName: requireEnv(env, 'TABLE_NAME') };
  const environment = env.FEATURELAKE_ENV ?? 'unknown';
  const startedAt = clock();
  const models = new ModelCache({
    store: { s3: s3Client(env), bucket: requireEnv(env, 'MODELS_BUCKET') },
    catalog,
    scorerFactory: deps.scorerFactory ?? defaultScorerFactory,
    ttlMs: numberEnv(env, 'MODEL_REFRESH_SECONDS', 60) * 1000,
    clock,
    onRejected: (model, version, error) => {
      logger.error('model version refused; the loaded version keeps serving', { model, version, reason: error.message });
      metrics.addMetric('ModelVersionRefused', MetricUnit.Count, 1);
    },
    onLoaded: (model, alias, version) => logger.info('model version loaded', { model, alias, version }),
  });
  const log = new PredictionLog({
    kinesis: deps.kinesis ?? kinesisClient(env),
    streamName: requireEnv(env, 'PREDICTION_STREAM_NAME'),
    onFlushError: (error, kept) =>
      logger.warn('prediction log flush failed; records kept for the next flush', { error: error.message, kept }),
    onOverflow: (records, reason) => {
      // The records themselves, so nothing is lost: CloudWatch Logs keeps them.
      logger.error('prediction log overflow', { reason, count: records.length, records });
      metrics.addMetric('PredictionLogFailed', MetricUnit.Count, records.length);
    },
  });

  const flushLog = async () => {
    const before = log.counts();
    await log.flush();
    const after = log.counts();
    if (after.written > before.written) metrics.addMetric('PredictionsLogged', MetricUnit.Count, after.written - before.written);
    // Several flushes can overlap locally (one process serves many requests); the first publishes for all.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };

  async function predict(event: APIGatewayProxyEvent): Promise<PredictOutcome> {
    const t0 = performance.now();
    const text = bodyText(event);
    if (text !== null && Buffer.byteLength(text, 'utf8') > MAX_PREDICT_BODY_BYTES) {
      const body = {
        error: 'payload_too_large',
        field: 'body',
        message: `a prediction request is at most ${MAX_PREDICT_BODY_BYTES} bytes`,
      };
      return { response: json(413, body), afterResponse: nothing };
    }
    const parsed = parsePredictRequest(catalog, text);
    if (!parsed.ok) return { response: json(parsed.error.status, parsed.error.body), afterResponse: nothing };
    const request = parsed.request;
    let model: LoadedModel;
    try {
      model = await models.get(request.model, request.version);
    } catch (error) {
      if (error instanceof ModelNotFoundError) {
        const e = requestError(404, error.field === 'model' ? 'unknown_model' : 'unknown_version', error.field, error.message);
        return { response: json(404, e.error.body), afterResponse: nothing };
      }
      if (error instanceof ModelUnavailableError)
        return {
          response: json(503, { error: 'model_unavailable', field: 'model', message: error.message }),
          afterResponse: nothing,
        };
      throw error;
    }
    const { artifact } = model;
    if (artifact.entity !== request.entityType) {
      const e = requestError(
        400,
        'wrong_entity_type',
        'entities[0].type',
        `model ${artifact.name} scores ${artifact.entity} entities, not ${request.entityType}`,
      );
      return { response: json(400, e.error.body), afterResponse: nothing };
    }
    const settable = settableInputs(artifact);
    for (const [i, entity] of request.entities.entries()) {
      const unknown = Object.keys(entity.features).find((name) => !settable.includes(name));
      if (unknown !== undefined) {
        const e = requestError(
          400,
          'unknown_feature',
          `entities[${i}].features.${unknown}`,
          `${unknown} is not a request-time input of ${artifact.name} version ${artifact.version}`,
          settable,
        );
        return { response: json(400, e.error.body), afterResponse: nothing };
      }
    }
    // A shadow version only beside the current one: a pinned version is an explicit choice.
    const shadow = request.version === undefined ? await models.shadow(request.model) : undefined;
    const scored = shadow && shadow.artifact.entity === artifact.entity ? [model, shadow] : [model];
    const nowMs = clock();
    const { views, batchSources } = unionReads(scored);
    const ids = request.entities.map((e) => e.id);
    let online: Awaited<ReturnType<typeof readFeaturesOfEntities>>;
    const t1 = performance.now();
    try {
      online = await readFeaturesOfEntities(ids, views, nowMs, store, batchSources);
    } catch (error) {
      logger.error('feature read failed', { error: error as Error, entityIds: ids.slice(0, 5) });
      const body = { error: 'internal_error', message: 'could not read features', requestId: event.requestContext?.requestId };
      return { response: json(500, body), afterResponse: nothing };
    }
    const t2 = performance.now();
    const predictions = await scoreEntities(model, request.entityType, request.entities, online, nowMs);
    const t3 = performance.now();
    const shadowPredictions = scored[1]
      ? await scoreEntities(scored[1], request.entityType, request.entities, online, nowMs)
      : [];
    const requestId = event.requestContext?.requestId ?? newPredictionId();
    const asOf = new Date(nowMs).toISOString();
    const latencyMs = Math.round((performance.now() - t0) * 1000) / 1000;
    const record = (p: Prediction, isShadow: boolean): PredictionRecord => ({
      source: 'predictions',
      timestamp: asOf,
      prediction_id: newPredictionId(),
      request_id: requestId,
      model_name: p.model,
      model_version: p.version,
      entity_type: p.entityType,
      entity_id: p.entityId,
      label: p.label,
      score: p.score,
      inference_time_ms: latencyMs,
      features: JSON.stringify(p.features),
      shadow: isShadow,
      environment,
      backend: (isShadow ? scored[1] : model)?.artifact.model.type ?? 'unknown',
    });
    log.add([...predictions.map((p) => record(p, false)), ...shadowPredictions.map((p) => record(p, true))]);
    metrics.addMetric('Predictions', MetricUnit.Count, predictions.length);
    // One value per prediction: the dashboard's score distribution (percentiles of the function's scores).
    for (const p of predictions) metrics.addMetric('PredictionScore', MetricUnit.NoUnit, p.score);
    metrics.addMetric('PredictLatency', MetricUnit.Milliseconds, latencyMs);
    const ms = (a: number, b: number) => (b - a).toFixed(2);
    const serverTiming = `model;dur=${ms(t0, t1)}, read;dur=${ms(t1, t2)}, score;dur=${ms(t2, t3)}, total;dur=${ms(t0, performance.now())}`;
    const body = { model: artifact.name, version: artifact.version, requestId, asOf, predictions };
    return { response: json(200, body, { 'server-timing': serverTiming }), afterResponse: flushLog };
  }

  async function health(): Promise<APIGatewayProxyResult> {
    // Every catalog model's current version is loaded (or refused) before it is reported.
    const modelErrors: { model: string; error: string }[] = [];
    const unpublished: string[] = [];
    await Promise.all(
      (catalog.models ?? []).map((m) =>
        models.get(m.name).catch((error: Error) => {
          if (error instanceof ModelNotFoundError) unpublished.push(m.name);
          else modelErrors.push({ model: m.name, error: error.message });
        }),
      ),
    );
    const t0 = performance.now();
    let onlineStore: { reachable: boolean; latencyMs: number; error?: string };
    try {
      await batchGetAll(store.doc, [{ pk: 'health#probe', sk: '-' }], { tableName: store.tableName });
      onlineStore = { reachable: true, latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
    } catch (error) {
      onlineStore = { reachable: false, latencyMs: Math.round(performance.now() - t0), error: (error as Error).message };
    }
    const rejected = models.rejections();
    const ok = onlineStore.reachable && rejected.length === 0 && modelErrors.length === 0;
    return json(ok ? 200 : 503, {
      status: ok ? 'ok' : 'degraded',
      environment,
      uptimeSeconds: Math.round((clock() - startedAt) / 1000),
      models: models.status(),
      rejected,
      modelErrors,
      /** Catalog models without a current version: nothing to serve yet, which is not a fault. */
      unpublished: unpublished.sort(),
      onlineStore,
      predictionLog: log.counts(),
    });
  }

  return async function handle(event: APIGatewayProxyEvent): Promise<PredictOutcome> {
    try {
      if (event.httpMethod === 'GET') return { response: await health(), afterResponse: nothing };
      // Records a failed flush kept are retried after this response too.
      return await predict(event);
    } catch (error) {
      logger.error('predict failed', { error: error as Error });
      const body = { error: 'internal_error', message: 'could not score', requestId: event.requestContext?.requestId };
      return { response: json(500, body), afterResponse: log.counts().buffered > 0 ? flushLog : nothing };
    }
  };
}

/**
 * The buffered form for a Lambda without response streaming (an integration in BUFFERED mode, or an
 * emulator that does not stream): the flush is awaited before the response, on the caller's time.
 */
export function createBufferedHandler(env: Env, deps: PredictDeps) {
  const core = createPredictCore(env, deps);
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const { response, afterResponse } = await core(event);
    await afterResponse();
    return response;
  };
}

/**
 * The buffered form, for the local stack and tests: the response, with the flush started after it
 * (a local process is not frozen between requests). `flushed()` waits for every flush started.
 */
export function createHandler(env: Env, deps: PredictDeps) {
  const core = createPredictCore(env, deps);
  const pending = new Set<Promise<void>>();
  const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const { response, afterResponse } = await core(event);
    const flush = new Promise<void>((resolve) => setImmediate(resolve)).then(afterResponse).catch(() => {});
    pending.add(flush);
    void flush.finally(() => pending.delete(flush));
    return response;
  };
  return Object.assign(handler, { flushed: async () => void (await Promise.all([...pending])) });
}

/**
 * API Gateway (REST, proxy integration) → online features.
 * GET /features/{entityType}/{entityId}[?views=a,b]
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { dynamoDocumentClient } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import { readFeatures } from '../../src/online-store/feature-reader.js';
import { parseFeatureRequest } from '../../src/serving/feature-request.js';

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** What the handler is given besides its environment: the catalog it serves, and a clock for tests. */
export interface FeatureApiDeps {
  readonly catalog: Catalog;
  /** @default Date.now */
  readonly clock?: () => number;
}

export function createHandler(env: Env, { catalog, clock = Date.now }: FeatureApiDeps) {
  const { logger, metrics } = powertools(env, 'feature-api');
  const store = { doc: dynamoDocumentClient(env), tableName: requireEnv(env, 'TABLE_NAME') };

  return async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const parsed = parseFeatureRequest(
      catalog.featureViews,
      event.pathParameters,
      event.queryStringParameters,
      catalog.batchSources,
    );
    if (!parsed.ok) return json(parsed.error.status, parsed.error.body);
    const { entity, entityId, views, batchSources } = parsed.request;
    const nowMs = clock();
    try {
      // Stream views and batch sources in one response, from one BatchGetItem.
      const values = await readFeatures(entityId, views, nowMs, store, batchSources);
      metrics.addMetric('FeatureReads', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      return json(200, { entityType: entity.name, entityId, asOf: new Date(nowMs).toISOString(), views: values });
    } catch (error) {
      logger.error('feature read failed', { error: error as Error, entityId });
      return json(500, {
        error: 'internal_error',
        message: 'could not read features',
        requestId: event.requestContext?.requestId,
      });
    }
  };
}

/**
 * API Gateway (REST, proxy integration) → online features.
 *   GET  /features/{entityType}/{entityId}[?views=a,b]   one entity
 *   POST /features/{entityType}  {"ids": […], "views": […]}   up to 100 entities, one batched read
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { dynamoDocumentClient } from '../../src/aws/clients.js';
import { type Env, requireEnv } from '../../src/aws/env.js';
import { powertools } from '../../src/aws/powertools.js';
import type { Catalog } from '../../src/features/define.js';
import { readFeaturesOfEntities } from '../../src/online-store/feature-reader.js';
import { parseEntitiesRequest } from '../../src/serving/entities-request.js';
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

/** The proxy event's body as text (API Gateway base64-encodes it only for binary media types). */
function bodyText(event: APIGatewayProxyEvent): string | null {
  if (event.body === null || event.body === undefined) return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function createHandler(env: Env, { catalog, clock = Date.now }: FeatureApiDeps) {
  const { logger, metrics } = powertools(env, 'feature-api');
  const store = { doc: dynamoDocumentClient(env), tableName: requireEnv(env, 'TABLE_NAME') };

  return async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    // POST is only routed on /features/{entityType}: the multi-entity read.
    const many = event.httpMethod === 'POST';
    const parsed = many
      ? parseEntitiesRequest(
          catalog.featureViews,
          event.pathParameters,
          event.queryStringParameters,
          bodyText(event),
          catalog.batchSources,
        )
      : parseFeatureRequest(catalog.featureViews, event.pathParameters, event.queryStringParameters, catalog.batchSources);
    if (!parsed.ok) return json(parsed.error.status, parsed.error.body);
    const { entity, views, batchSources } = parsed.request;
    const entityIds = 'entityIds' in parsed.request ? parsed.request.entityIds : [parsed.request.entityId];
    const nowMs = clock();
    const asOf = new Date(nowMs).toISOString();
    try {
      // Stream views and batch sources of every entity in one response, from one batched read.
      const values = await readFeaturesOfEntities(entityIds, views, nowMs, store, batchSources);
      metrics.addMetric('FeatureReads', MetricUnit.Count, 1);
      metrics.addMetric('EntitiesRead', MetricUnit.Count, entityIds.length);
      metrics.publishStoredMetrics();
      const bodies = entityIds.map((entityId, i) => ({ entityType: entity.name, entityId, asOf, views: values[i] }));
      return json(200, many ? { entityType: entity.name, asOf, entities: bodies } : bodies[0]);
    } catch (error) {
      logger.error('feature read failed', { error: error as Error, entityIds: entityIds.slice(0, 5) });
      return json(500, {
        error: 'internal_error',
        message: 'could not read features',
        requestId: event.requestContext?.requestId,
      });
    }
  };
}

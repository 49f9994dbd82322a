/**
 * Validates a multi-entity feature request against the catalog:
 *
 *   POST /features/{entityType}   {"ids": ["user_000001", …], "views": ["user_clickstream", …]}
 *
 * the shape of Feast's `get_online_features` (entity rows and features in a JSON body), not a query
 * string: entity ids may hold commas and any Unicode, and 100 of them percent-encoded can outgrow
 * API Gateway's request-line limit. Errors name the field that is wrong (`ids`, `ids[3]`, `views`, `body`).
 */
import type { BatchSource } from '../features/batch-source.js';
import type { Entity, FeatureView } from '../features/define.js';
import {
  chooseViews,
  ENTITY_ID_RULE,
  isValidEntityId,
  type Parsed,
  refuseUnknownParameters,
  requestError,
  resolveEntityType,
  viewNames,
} from './feature-request.js';

/** Ids per request: 100 clickstream entities are ~3,800 keys, 38 BatchGetItem calls issued at once. */
export const MAX_IDS_PER_REQUEST = 100;
const BODY_FIELDS = ['ids', 'views'] as const;

export interface EntitiesRequest {
  readonly entity: Entity;
  /** In request order, duplicates kept: the response has one entry per id asked. */
  readonly entityIds: readonly string[];
  readonly views: readonly FeatureView[];
  readonly batchSources: readonly BatchSource[];
}

export function parseEntitiesRequest(
  catalog: readonly FeatureView[],
  pathParameters: Readonly<Record<string, string | undefined>> | null,
  query: Readonly<Record<string, string | undefined>> | null,
  body: string | null | undefined,
  batchSources: readonly BatchSource[] = [],
): Parsed<EntitiesRequest> {
  const scope = resolveEntityType(catalog, batchSources, pathParameters?.entityType ?? '');
  if (!scope.ok) return scope;
  const unknownParameter = refuseUnknownParameters(query, []);
  if (unknownParameter) return unknownParameter;
  const example = '{"ids": ["id1", "id2"], "views": ["view"]}';
  if (body === null || body === undefined || body.trim() === '') {
    return requestError(400, 'missing_body', 'body', `the body must be a JSON object like ${example}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return requestError(400, 'invalid_body', 'body', `the body is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return requestError(400, 'invalid_body', 'body', `the body must be a JSON object like ${example}`);
  }
  const fields = parsed as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!(BODY_FIELDS as readonly string[]).includes(name)) {
      return requestError(400, 'unknown_field', name, `unknown body field "${name}"`, BODY_FIELDS);
    }
  }
  const { ids, views } = fields;
  if (!Array.isArray(ids) || ids.length === 0) {
    return requestError(400, 'invalid_ids', 'ids', `ids must be a non-empty array of ${scope.request.entity.name} ids`);
  }
  if (ids.length > MAX_IDS_PER_REQUEST) {
    return requestError(
      400,
      'too_many_ids',
      'ids',
      `at most ${MAX_IDS_PER_REQUEST} ids per request, got ${ids.length}: split them over several requests`,
    );
  }
  const bad = ids.findIndex((id) => !isValidEntityId(id));
  if (bad !== -1) {
    return requestError(400, 'invalid_entity_id', `ids[${bad}]`, `each id must be a string of ${ENTITY_ID_RULE}`);
  }
  if (views !== undefined && (!Array.isArray(views) || views.some((v) => typeof v !== 'string'))) {
    return requestError(400, 'invalid_views', 'views', 'views must be an array of view names', viewNames(scope.request));
  }
  const chosen = chooseViews(scope.request, views as string[] | undefined);
  if (!chosen.ok) return chosen;
  return { ok: true, request: { entity: scope.request.entity, entityIds: ids as string[], ...chosen.request } };
}

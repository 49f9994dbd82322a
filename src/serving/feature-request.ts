/**
 * Validates a feature request (`GET /features/{entityType}/{entityId}?views=a,b`)
 * against the catalog. Errors name the field that is wrong.
 */
import type { BatchSource } from '../features/batch-source.js';
import type { Entity, FeatureView } from '../features/define.js';

export interface FeatureRequest {
  readonly entity: Entity;
  readonly entityId: string;
  readonly views: readonly FeatureView[];
  /** The entity's batch sources asked for: `views=` names them beside the feature views. */
  readonly batchSources: readonly BatchSource[];
}

export interface RequestError {
  readonly status: 400 | 404;
  readonly body: {
    readonly error: string;
    readonly field: string;
    readonly message: string;
    readonly allowed?: readonly string[];
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const ENTITY_ID = /^[^\u0000-\u001f\u007f]{1,128}$/u;
/** A UTF-16 surrogate that is not half of a pair: not a character, and not storable as a DynamoDB string. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const QUERY_PARAMETERS = new Set(['views']);

export function parseFeatureRequest(
  catalog: readonly FeatureView[],
  pathParameters: Readonly<Record<string, string | undefined>> | null,
  query: Readonly<Record<string, string | undefined>> | null,
  batchSources: readonly BatchSource[] = [],
): { ok: true; request: FeatureRequest } | { ok: false; error: RequestError } {
  const fail = (status: 400 | 404, error: string, field: string, message: string, allowed?: readonly string[]) => ({
    ok: false as const,
    error: { status, body: { error, field, message, ...(allowed ? { allowed } : {}) } },
  });
  const entityTypes = [...new Set([...catalog, ...batchSources].map((v) => v.entity.name))];
  const entityType = pathParameters?.entityType ?? '';
  const entityViews = catalog.filter((v) => v.entity.name === entityType);
  const entityBatches = batchSources.filter((b) => b.entity.name === entityType);
  const entity = (entityViews[0] ?? entityBatches[0])?.entity;
  if (!entity) {
    return fail(404, 'unknown_entity_type', 'entityType', `no feature views for entity type "${entityType}"`, entityTypes);
  }
  const entityId = pathParameters?.entityId ?? '';
  if (!ENTITY_ID.test(entityId) || LONE_SURROGATE.test(entityId)) {
    return fail(400, 'invalid_entity_id', 'entityId', 'entityId must be 1–128 Unicode characters with no control characters');
  }
  for (const name of Object.keys(query ?? {})) {
    if (!QUERY_PARAMETERS.has(name)) {
      return fail(400, 'unknown_parameter', name, `unknown query parameter "${name}"`, [...QUERY_PARAMETERS]);
    }
  }
  let views: readonly FeatureView[] = entityViews;
  let batches: readonly BatchSource[] = entityBatches;
  const filter = query?.views;
  if (filter !== undefined) {
    const names = filter.split(',').map((s) => s.trim());
    const known = new Map<string, FeatureView | BatchSource>([
      ...entityViews.map((v) => [v.name, v] as const),
      ...entityBatches.map((b) => [b.name, b] as const),
    ]);
    const unknown = names.filter((n) => !known.has(n));
    if (names.length === 0 || unknown.length > 0 || names.some((n) => n === '')) {
      return fail(
        400,
        'invalid_views',
        'views',
        `views must be a comma-separated list of feature views of ${entityType}; unknown: ${unknown.filter(Boolean).join(', ') || '(empty name)'}`,
        [...known.keys()],
      );
    }
    // In the order asked for, each once.
    const chosen = [...new Set(names)].map((n) => known.get(n));
    views = chosen.filter((c): c is FeatureView => entityViews.includes(c as FeatureView));
    batches = chosen.filter((c): c is BatchSource => entityBatches.includes(c as BatchSource));
  }
  return { ok: true, request: { entity, entityId, views, batchSources: batches } };
}

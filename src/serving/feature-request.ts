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

export type Parsed<T> = { ok: true; request: T } | { ok: false; error: RequestError };

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const ENTITY_ID = /^[^\u0000-\u001f\u007f]{1,128}$/u;
/** A UTF-16 surrogate that is not half of a pair: not a character, and not storable as a DynamoDB string. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const QUERY_PARAMETERS = ['views'] as const;
export const ENTITY_ID_RULE = '1–128 Unicode characters with no control characters';

export function requestError(
  status: 400 | 404,
  error: string,
  field: string,
  message: string,
  allowed?: readonly string[],
): { ok: false; error: RequestError } {
  return { ok: false, error: { status, body: { error, field, message, ...(allowed ? { allowed } : {}) } } };
}

export function isValidEntityId(id: unknown): id is string {
  return typeof id === 'string' && ENTITY_ID.test(id) && !LONE_SURROGATE.test(id);
}

/** What an entity type serves: its feature views and batch sources. */
export interface EntityScope {
  readonly entity: Entity;
  readonly views: readonly FeatureView[];
  readonly batchSources: readonly BatchSource[];
}

/** The entity type named by the path, with every view and batch source it has, or a 404 listing the known ones. */
export function resolveEntityType(
  catalog: readonly FeatureView[],
  batchSources: readonly BatchSource[],
  entityType: string,
): Parsed<EntityScope> {
  const entityViews = catalog.filter((v) => v.entity.name === entityType);
  const entityBatches = batchSources.filter((b) => b.entity.name === entityType);
  const entity = (entityViews[0] ?? entityBatches[0])?.entity;
  if (!entity) {
    const entityTypes = [...new Set([...catalog, ...batchSources].map((v) => v.entity.name))];
    return requestError(
      404,
      'unknown_entity_type',
      'entityType',
      `no feature views for entity type "${entityType}"`,
      entityTypes,
    );
  }
  return { ok: true, request: { entity, views: entityViews, batchSources: entityBatches } };
}

/** The names `views` may hold for an entity type: its feature views', then its batch sources'. */
export function viewNames(scope: EntityScope): string[] {
  return [...scope.views.map((v) => v.name), ...scope.batchSources.map((b) => b.name)];
}

/**
 * The views and batch sources `names` asks for, in the order asked, each once; undefined names all of the
 * entity's. An empty list, an empty name or an unknown one is a 400 on `views` listing the allowed names.
 */
export function chooseViews(scope: EntityScope, names: readonly string[] | undefined): Parsed<Omit<EntityScope, 'entity'>> {
  if (names === undefined) return { ok: true, request: { views: scope.views, batchSources: scope.batchSources } };
  const known = new Map<string, FeatureView | BatchSource>([
    ...scope.views.map((v) => [v.name, v] as const),
    ...scope.batchSources.map((b) => [b.name, b] as const),
  ]);
  const unknown = names.filter((n) => !known.has(n));
  if (names.length === 0 || unknown.length > 0 || names.some((n) => n === '')) {
    return requestError(
      400,
      'invalid_views',
      'views',
      `views must name feature views or batch sources of ${scope.entity.name}; unknown: ${unknown.filter(Boolean).join(', ') || '(empty name)'}`,
      viewNames(scope),
    );
  }
  const chosen = [...new Set(names)].map((n) => known.get(n));
  return {
    ok: true,
    request: {
      views: chosen.filter((c): c is FeatureView => scope.views.includes(c as FeatureView)),
      batchSources: chosen.filter((c): c is BatchSource => scope.batchSources.includes(c as BatchSource)),
    },
  };
}

/** Any query parameter not in `allowed` is a 400 naming it. */
export function refuseUnknownParameters(
  query: Readonly<Record<string, string | undefined>> | null,
  allowed: readonly string[],
): { ok: false; error: RequestError } | undefined {
  for (const name of Object.keys(query ?? {})) {
    if (!allowed.includes(name))
      return requestError(400, 'unknown_parameter', name, `unknown query parameter "${name}"`, allowed);
  }
  return undefined;
}

export function parseFeatureRequest(
  catalog: readonly FeatureView[],
  pathParameters: Readonly<Record<string, string | undefined>> | null,
  query: Readonly<Record<string, string | undefined>> | null,
  batchSources: readonly BatchSource[] = [],
): Parsed<FeatureRequest> {
  const scope = resolveEntityType(catalog, batchSources, pathParameters?.entityType ?? '');
  if (!scope.ok) return scope;
  const entityId = pathParameters?.entityId ?? '';
  if (!isValidEntityId(entityId)) {
    return requestError(400, 'invalid_entity_id', 'entityId', `entityId must be ${ENTITY_ID_RULE}`);
  }
  const unknownParameter = refuseUnknownParameters(query, QUERY_PARAMETERS);
  if (unknownParameter) return unknownParameter;
  const chosen = chooseViews(
    scope.request,
    query?.views?.split(',').map((s) => s.trim()),
  );
  if (!chosen.ok) return chosen;
  return { ok: true, request: { entity: scope.request.entity, entityId, ...chosen.request } };
}

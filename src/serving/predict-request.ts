/**
 * Validates a prediction request:
 *
 *   POST /predict  {"model": "purchase_propensity", "version": "3",
 *                   "entities": [{"type": "user", "id": "user_000001", "features": {…}}, …],
 *                   "features": {"hour_of_day": 14}}
 *
 * `model` defaults to the catalog's first model of the entities' type; `version` to the model's
 * `current` alias. `features` are request-time values (top level: for every entity; per entity: for
 * that one, winning over the top level). Every entity must be of one type; at most 100 per request.
 * A malformed body is a 400 naming the field (`entities[3].id`); whether the model and version exist
 * is the handler's to say (404), from the registry.
 */
import * as z from 'zod';
import type { Catalog } from '../features/define.js';
import { ENTITY_ID_RULE, isValidEntityId, type Parsed, requestError } from './feature-request.js';

export const MAX_ENTITIES_PER_PREDICTION = 100;

const RequestValue = z.union([z.number().finite(), z.string().max(1024), z.boolean(), z.null()]);
const RequestFeatures = z.record(z.string().min(1).max(128), RequestValue).refine((f) => Object.keys(f).length <= 200, {
  message: 'at most 200 request-time features',
});

const PredictBody = z.strictObject({
  model: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'a model name: snake_case')
    .optional(),
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'a version number: 1, 2, 3…')
    .optional(),
  entities: z
    .array(
      z.strictObject({
        type: z.string().min(1).max(64),
        id: z.string().refine(isValidEntityId, `an id of ${ENTITY_ID_RULE}`),
        features: RequestFeatures.optional(),
      }),
    )
    .min(1, 'at least one entity')
    .max(MAX_ENTITIES_PER_PREDICTION, `at most ${MAX_ENTITIES_PER_PREDICTION} entities per request: split them`),
  features: RequestFeatures.optional(),
});

export type RequestFeatureValue = z.infer<typeof RequestValue>;

export interface PredictRequest {
  /** The model asked for, or the catalog's default for the entity type. */
  readonly model: string;
  /** undefined: the `current` alias. */
  readonly version?: string;
  readonly entityType: string;
  /** In request order, duplicates kept. */
  readonly entities: readonly { readonly id: string; readonly features: Readonly<Record<string, RequestFeatureValue>> }[];
}

/** `entities.3.id` as the API names fields: `entities[3].id`. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === 'number') return `${name}[${part}]`;
    return name === '' ? String(part) : `${name}.${String(part)}`;
  }, '');
}

export function parsePredictRequest(catalog: Catalog, body: string | null | undefined): Parsed<PredictRequest> {
  const example = '{"entities": [{"type": "user", "id": "user_000001"}]}';
  if (body === null || body === undefined || body.trim() === '')
    return requestError(400, 'missing_body', 'body', `the body must be a JSON object like ${example}`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return requestError(400, 'invalid_body', 'body', `the body is not JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return requestError(400, 'invalid_body', 'body', `the body must be a JSON object like ${example}`);
  const parsed = PredictBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path;
    const field = fieldName(path) || 'body';
    const error =
      issue.code === 'unrecognized_keys' ? 'unknown_field' : `invalid_${field.replace(/\[\d+\]/g, '').replace(/\./g, '_')}`;
    return requestError(400, error, field, `${field}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}`);
  }
  const { entities, features = {} } = parsed.data;
  const entityType = (entities[0] as { type: string }).type;
  const other = entities.findIndex((e) => e.type !== entityType);
  if (other !== -1)
    return requestError(
      400,
      'mixed_entity_types',
      `entities[${other}].type`,
      `every entity of a request must be of one type: entities[0] is ${entityType}, entities[${other}] is ${entities[other]?.type}`,
    );
  const models = catalog.models ?? [];
  const model = parsed.data.model ?? models.find((m) => m.entity.name === entityType)?.name;
  if (model === undefined)
    return requestError(
      400,
      'missing_model',
      'model',
      `no model of the catalog scores ${entityType}: name one in "model"`,
      models.map((m) => m.name),
    );
  return {
    ok: true,
    request: {
      model,
      ...(parsed.data.version ? { version: parsed.data.version } : {}),
      entityType,
      entities: entities.map((e) => ({ id: e.id, features: { ...features, ...e.features } })),
    },
  };
}

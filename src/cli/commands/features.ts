/**
 * `featurelake features <entityType> <id>…`: online features through the HTTP API — one id with
 * GET /features/{entityType}/{id}, several with one POST /features/{entityType} (up to 100).
 */
import type { Command } from 'commander';
import type { Catalog } from '../../features/define.js';
import { parseEntitiesRequest } from '../../serving/entities-request.js';
import { parseFeatureRequest } from '../../serving/feature-request.js';
import { runtimeError, unreachableReason, usageError } from '../errors.js';
import { type FeatureResponse, renderFeatureTable } from '../feature-table.js';
import { commaList, httpUrl, positiveInteger } from '../options.js';
import { resolveApiTarget } from '../targets.js';
import { stateDirOption } from './shared.js';

interface FeaturesOptions {
  views?: string[];
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
  stateDir: string;
  timeout: number;
}

async function features(catalog: Catalog, entityType: string, ids: string[], options: FeaturesOptions): Promise<void> {
  // Check against the catalog first: a typo is an argument error, not a trip to the API.
  const many = ids.length > 1;
  const [first = ''] = ids;
  const body = JSON.stringify({ ids, ...(options.views ? { views: options.views } : {}) });
  const views = options.views?.join(',');
  const checked = many
    ? parseEntitiesRequest(catalog.featureViews, { entityType }, null, body, catalog.batchSources)
    : parseFeatureRequest(catalog.featureViews, { entityType, entityId: first }, views ? { views } : {}, catalog.batchSources);
  if (!checked.ok) {
    const { field, message, allowed } = checked.error.body;
    const flag = field === 'views' ? '--views' : field.startsWith('ids') || field === 'entityId' ? '<id>' : `<${field}>`;
    throw usageError(`${flag}: ${message}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
  }
  const api = resolveApiTarget(options);
  const collection = `${api.url}/features/${encodeURIComponent(entityType)}`;
  const url = many
    ? collection
    : `${collection}/${encodeURIComponent(first)}${views ? `?views=${encodeURIComponent(views)}` : ''}`;
  const headers = { accept: 'application/json', ...(api.key ? { 'x-api-key': api.key } : {}) };
  const init: RequestInit = many
    ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }
    : { headers };
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeout) });
  } catch (error) {
    throw runtimeError(`cannot reach the feature API at ${api.url} (${unreachableReason(error) ?? (error as Error).message})`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (!response.ok) {
    const message = (answer as { message?: string } | undefined)?.message ?? text.slice(0, 200);
    const hint = response.status === 403 || response.status === 401 ? ' — check --api-key / FEATURELAKE_API_KEY' : '';
    throw runtimeError(`feature API at ${api.url} answered ${response.status}: ${message}${hint}`);
  }
  if (answer === undefined) throw runtimeError(`feature API at ${api.url} answered with non-JSON: ${text.slice(0, 200)}`);
  if (options.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  else if (many) process.stdout.write((answer as { entities: FeatureResponse[] }).entities.map(renderFeatureTable).join('\n'));
  else process.stdout.write(renderFeatureTable(answer as FeatureResponse));
}

export function registerFeatures(program: Command, catalog: Catalog): void {
  const { featureViews } = catalog;
  program
    .command('features')
    .summary('print the online features of one or more entities from the HTTP API')
    .description(
      'Read the online features of one entity (GET /features/{entityType}/{id}) or of up to 100 in one request (POST /features/{entityType}) from the HTTP API.',
    )
    .argument('<entityType>', `entity type (${[...new Set(featureViews.map((v) => v.entity.name))].join(', ')})`)
    .argument('<id...>', 'entity ids, e.g. user_000001 user_000002 (up to 100: one request, one batched read)')
    .option(
      '--views <a,b>',
      `feature views to read (default: all of the entity's: ${featureViews.map((v) => v.name).join(', ')})`,
      commaList,
    )
    .option('--api-url <url>', 'API base URL (default: $FEATURELAKE_API_URL, then the local stack)', httpUrl)
    .option('--api-key <key>', 'API key sent as x-api-key (default: $FEATURELAKE_API_KEY, then the local stack)')
    .option('--json', 'print the raw JSON response')
    .addOption(stateDirOption())
    .option('--timeout <ms>', 'give up on the API after this long', positiveInteger, 10_000)
    .action((entityType: string, ids: string[], options: FeaturesOptions) => features(catalog, entityType, ids, options));
}

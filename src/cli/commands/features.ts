/** `featurelake features <entityType> <id>`: read an entity's online features through the HTTP API. */
import type { Command } from 'commander';
import type { Catalog } from '../../features/define.js';
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

async function features(catalog: Catalog, entityType: string, id: string, options: FeaturesOptions): Promise<void> {
  // Check against the catalog first: a typo is an argument error, not a trip to the API.
  const query = options.views ? { views: options.views.join(',') } : {};
  const checked = parseFeatureRequest(catalog.featureViews, { entityType, entityId: id }, query, catalog.batchSources);
  if (!checked.ok) {
    const { field, message, allowed } = checked.error.body;
    const flag = field === 'views' ? '--views' : `<${field}>`;
    throw usageError(`${flag}: ${message}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
  }
  const api = resolveApiTarget(options);
  const url = `${api.url}/features/${encodeURIComponent(entityType)}/${encodeURIComponent(id)}${
    options.views ? `?views=${encodeURIComponent(options.views.join(','))}` : ''
  }`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...(api.key ? { 'x-api-key': api.key } : {}) },
      signal: AbortSignal.timeout(options.timeout),
    });
  } catch (error) {
    throw runtimeError(`cannot reach the feature API at ${api.url} (${unreachableReason(error) ?? (error as Error).message})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { message?: string } | undefined)?.message ?? text.slice(0, 200);
    const hint = response.status === 403 || response.status === 401 ? ' — check --api-key / FEATURELAKE_API_KEY' : '';
    throw runtimeError(`feature API at ${api.url} answered ${response.status}: ${message}${hint}`);
  }
  if (body === undefined) throw runtimeError(`feature API at ${api.url} answered with non-JSON: ${text.slice(0, 200)}`);
  process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : renderFeatureTable(body as FeatureResponse));
}

export function registerFeatures(program: Command, catalog: Catalog): void {
  const { featureViews } = catalog;
  program
    .command('features')
    .summary("print an entity's online features from the HTTP API")
    .description('Read the online features of one entity from the HTTP API (GET /features/{entityType}/{id}).')
    .argument('<entityType>', `entity type (${[...new Set(featureViews.map((v) => v.entity.name))].join(', ')})`)
    .argument('<id>', 'entity id, e.g. user_000001')
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
    .action((entityType: string, id: string, options: FeaturesOptions) => features(catalog, entityType, id, options));
}

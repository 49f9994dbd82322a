/**
 * `featurelake predict <entityType> <id>… [--model m] [--version v] [--feature k=v]…`: scores entities
 * with POST /predict and prints, per entity, the score, the label, the model version and the inputs
 * scored (with the ones that had no data marked), or the raw JSON with --json.
 */
import type { Command } from 'commander';
import type { Catalog } from '../../features/define.js';
import { parsePredictRequest } from '../../serving/predict-request.js';
import { runtimeError, unreachableReason, usageError } from '../errors.js';
import { httpUrl, positiveInteger } from '../options.js';
import { resolveApiTarget } from '../targets.js';
import { stateDirOption } from './shared.js';

interface PredictOptions {
  model?: string;
  version?: string;
  feature: string[];
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
  stateDir: string;
  timeout: number;
}

interface PredictionView {
  entityId: string;
  score: number;
  label: string;
  model: string;
  version: string;
  features: Record<string, unknown>;
  defaulted: string[];
}

/** `name=value` → a request-time value: a number when it reads as one, true/false, null, else the text. */
export function requestValue(pair: string): [string, string | number | boolean | null] {
  const at = pair.indexOf('=');
  if (at <= 0) throw usageError(`--feature: "${pair}" is not name=value`);
  const [name, raw] = [pair.slice(0, at), pair.slice(at + 1)];
  if (raw === 'null') return [name, null];
  if (raw === 'true' || raw === 'false') return [name, raw === 'true'];
  const number = Number(raw);
  return [name, raw.trim() !== '' && Number.isFinite(number) ? number : raw];
}

export function renderPredictions(answer: { predictions: PredictionView[]; requestId?: string }): string {
  const lines: string[] = [];
  for (const p of answer.predictions) {
    lines.push(`${p.entityId}: ${p.label} (score ${p.score.toFixed(4)}) — ${p.model} version ${p.version}`);
    const width = Math.max(...Object.keys(p.features).map((k) => k.length));
    for (const [name, value] of Object.entries(p.features)) {
      const mark = p.defaulted.includes(name) ? '  (no data: default)' : '';
      lines.push(`  ${name.padEnd(width)}  ${value === null ? '—' : JSON.stringify(value)}${mark}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function predict(catalog: Catalog, entityType: string, ids: string[], options: PredictOptions): Promise<void> {
  const features = Object.fromEntries(options.feature.map(requestValue));
  const body = JSON.stringify({
    ...(options.model ? { model: options.model } : {}),
    ...(options.version ? { version: options.version } : {}),
    entities: ids.map((id) => ({ type: entityType, id })),
    ...(options.feature.length > 0 ? { features } : {}),
  });
  // Checked here first: a typo is an argument error, not a trip to the API.
  const checked = parsePredictRequest(catalog, body);
  if (!checked.ok) {
    const { field, message } = checked.error.body;
    const flag =
      field === 'model' ? '--model' : field === 'version' ? '--version' : field.includes('features') ? '--feature' : '<id>';
    throw usageError(`${flag}: ${message}`);
  }
  const api = resolveApiTarget(options);
  let response: Response;
  try {
    response = await fetch(`${api.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(api.key ? { 'x-api-key': api.key } : {}) },
      body,
      signal: AbortSignal.timeout(options.timeout),
    });
  } catch (error) {
    throw runtimeError(`cannot reach the API at ${api.url} (${unreachableReason(error) ?? (error as Error).message})`);
  }
  const text = await response.text();
  let answer: { predictions: PredictionView[]; message?: string; field?: string } | undefined;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (!response.ok) {
    const detail = answer?.message ?? text.slice(0, 200);
    // The API names what is wrong with the request: the caller's mistake, as a usage error.
    if (response.status === 404 || response.status === 400) throw usageError(`${answer?.field ?? 'request'}: ${detail}`);
    const hint = response.status === 403 || response.status === 401 ? ' — check --api-key / FEATURELAKE_API_KEY' : '';
    throw runtimeError(`the API at ${api.url} answered ${response.status}: ${detail}${hint}`);
  }
  if (!answer) throw runtimeError(`the API at ${api.url} answered with non-JSON: ${text.slice(0, 200)}`);
  process.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : renderPredictions(answer));
}

export function registerPredict(program: Command, catalog: Catalog): void {
  const models = catalog.models ?? [];
  program
    .command('predict')
    .summary('score entities with a model through POST /predict')
    .description(
      "Score up to 100 entities with a model's current version (or --version) through POST /predict: one batched online read, the score, the label and the inputs used.",
    )
    .argument('<entityType>', `entity type (${[...new Set(models.map((m) => m.entity.name))].join(', ')})`)
    .argument('<id...>', 'entity ids (up to 100: one request)')
    .option('--model <name>', `model (default: the catalog's first of the entity type: ${models.map((m) => m.name).join(', ')})`)
    .option('--version <n>', "a published version instead of the model's current one")
    .option(
      '--feature <name=value>',
      'a request-time input (repeatable), e.g. --feature coupon=1',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--api-url <url>', 'API base URL (default: $FEATURELAKE_API_URL, then the local stack)', httpUrl)
    .option('--api-key <key>', 'API key sent as x-api-key (default: $FEATURELAKE_API_KEY, then the local stack)')
    .option('--json', 'print the raw JSON response')
    .addOption(stateDirOption())
    .option('--timeout <ms>', 'give up on the API after this long', positiveInteger, 10_000)
    .action((entityType: string, ids: string[], options: PredictOptions) => predict(catalog, entityType, ids, options));
}

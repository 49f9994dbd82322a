/**
 * `featurelake consistency`: are the online features what the lake says they
 * should be? N random entities per view: their features read from the API at
 * one instant, recomputed from the lake by the generated SQL as of the same
 * instant (src/query/consistency.ts), compared kind by kind. Prints the
 * mismatches and the consistency rate; exits 1 on any mismatch.
 */
import type { Command } from 'commander';
import { ENVIRONMENTS } from '../../../lib/config/environments.js';
import { forEachConcurrent, sleep } from '../../domain/concurrency.js';
import type { Catalog, FeatureView } from '../../features/define.js';
import { compareView, consistencyRate, offlineFeatures, sampleEntities, type ViewReport } from '../../query/consistency.js';
import type { FeatureSqlOptions } from '../../query/feature-sql.js';
import { runtimeError, unreachableReason, usageError } from '../errors.js';
import { type LakeTarget, type LakeTargetFlags, layoutOf } from '../lake-target.js';
import { readLocalStackInfo } from '../local-stack-info.js';
import { commaList, httpUrl, nonNegativeInteger, positiveInteger } from '../options.js';
import { type ApiTarget, resolveApiTarget } from '../targets.js';
import { lakeTargetOptions, withTarget } from './query.js';

interface ConsistencyOptions extends LakeTargetFlags {
  view?: string[];
  sample: number;
  apiUrl?: string;
  apiKey?: string;
  settle?: number;
  inFlight?: number;
  json?: boolean;
}

interface Served {
  readonly entity: string;
  readonly atMs: number;
  readonly features: Record<string, unknown>;
}

async function readOnline(api: ApiTarget, view: FeatureView, entity: string): Promise<Served> {
  const url = `${api.url}/features/${encodeURIComponent(view.entity.name)}/${encodeURIComponent(entity)}?views=${view.name}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...(api.key ? { 'x-api-key': api.key } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw runtimeError(`cannot reach the feature API at ${api.url} (${unreachableReason(error) ?? (error as Error).message})`);
  }
  const body = (await response.json().catch(() => undefined)) as
    | { asOf?: string; views?: Record<string, { features: Record<string, unknown> }>; message?: string }
    | undefined;
  if (!response.ok || !body?.asOf || !body.views?.[view.name]) {
    throw runtimeError(
      `feature API at ${api.url} answered ${response.status} for ${view.entity.name} ${entity}: ${body?.message ?? 'no features'}`,
    );
  }
  return { entity, atMs: Date.parse(body.asOf), features: body.views[view.name]?.features ?? {} };
}

const percent = (rate: number) => `${(100 * rate).toFixed(rate === 1 ? 0 : 2)} %`;
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));

function render(report: ViewReport, atMs: number): string {
  const lines = [
    `${report.view}: ${report.entities} entities at ${new Date(atMs).toISOString()}, ${report.compared.toLocaleString('en-US')} values compared: ${percent(consistencyRate([report]))} agree (${report.mismatches.length} mismatches${report.inFlight.length ? `; ${report.inFlight.length} entities in flight left out: ${report.inFlight.join(', ')}` : ''})`,
  ];
  for (const m of report.mismatches.slice(0, 50)) {
    lines.push(`  ${m.entity}  ${m.feature}  online ${show(m.online)}  offline ${show(m.offline)}`);
  }
  if (report.mismatches.length > 50) lines.push(`  … and ${report.mismatches.length - 50} more`);
  return lines.join('\n');
}

/** What a check needs besides the catalog: the engines, and how long to wait for what. */
export interface ConsistencyCheck {
  readonly views: readonly FeatureView[];
  readonly sample: number;
  readonly api: ApiTarget;
  readonly target: LakeTarget;
  /** Wait this long after the newest read before reading the lake (the lake writer's batching window). */
  readonly settleMs: number;
  /** Leave out entities with an event arrived this shortly before their read. */
  readonly inFlightMs: number;
  readonly log?: (line: string) => void;
}

/** Samples, reads the API, waits, recomputes from the lake and compares: one report per view. */
export async function checkConsistency(check: ConsistencyCheck): Promise<{ reports: ViewReport[]; readAtMs: number }> {
  const { target } = check;
  const env = ENVIRONMENTS[target.envName];
  const sqlOptions: FeatureSqlOptions = {
    policy: { maxLatenessSeconds: env.aggregator.maxLatenessSeconds, maxClockSkewSeconds: env.aggregator.maxClockSkewSeconds },
    layout: layoutOf(target.envName),
  };
  const reads: { view: FeatureView; served: Served[] }[] = [];
  for (const view of check.views) {
    const entities = await sampleEntities(target.run, view, check.sample, Date.now(), sqlOptions);
    const served: Served[] = [];
    await forEachConcurrent(entities, 8, async (entity) => {
      served.push(await readOnline(check.api, view, entity));
    });
    reads.push({ view, served });
  }
  const readAtMs = Math.max(0, ...reads.flatMap((r) => r.served.map((s) => s.atMs)));
  const wait = readAtMs + check.settleMs - Date.now();
  if (wait > 0) {
    check.log?.(`read the API; waiting ${(wait / 1000).toFixed(0)} s for the lake writer's batching window…`);
    await sleep(wait);
  }
  const reports: ViewReport[] = [];
  for (const { view, served } of reads) {
    const offline = await offlineFeatures(target.run, view, served, sqlOptions);
    reports.push(compareView(view, served, offline, check.inFlightMs));
  }
  return { reports, readAtMs };
}

async function consistency(catalog: Catalog, options: ConsistencyOptions): Promise<void> {
  const views = (options.view ?? catalog.featureViews.map((v) => v.name)).map((name) => {
    const view = catalog.featureViews.find((v) => v.name === name);
    if (!view)
      throw usageError(`--view: unknown feature view "${name}" (known: ${catalog.featureViews.map((v) => v.name).join(', ')})`);
    return view;
  });
  const api = resolveApiTarget(options);
  const local = readLocalStackInfo(options.stateDir);
  await withTarget(catalog, options, async (target) => {
    const env = ENVIRONMENTS[target.envName];
    // The lake writer gathers records for up to its batching window: wait that long after the reads.
    const lakeWindow =
      target.engine === 'local' && local.status === 'running' && local.info.lake
        ? local.info.lake.batchingWindowSeconds + 2
        : env.lake.maxBatchingWindowSeconds + 10;
    const { reports, readAtMs } = await checkConsistency({
      views,
      sample: options.sample,
      api,
      target,
      settleMs: (options.settle ?? lakeWindow) * 1000,
      inFlightMs: (options.inFlight ?? env.aggregator.maxBatchingWindowSeconds + 5) * 1000,
      log: (line) => process.stderr.write(`featurelake: ${line}\n`),
    });
    const rate = consistencyRate(reports);
    const mismatches = reports.reduce((n, r) => n + r.mismatches.length, 0);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ rate, reports }, (_k, x) => (typeof x === 'bigint' ? Number(x) : x), 2)}\n`);
    } else {
      for (const report of reports) process.stdout.write(`${render(report, readAtMs)}\n`);
      const compared = reports.reduce((n, r) => n + r.compared, 0);
      process.stdout.write(
        `consistency ${percent(rate)}: ${compared.toLocaleString('en-US')} values of ${reports.length} views, ${mismatches} mismatches (online: ${api.url}; offline: ${target.description})\n`,
      );
    }
    if (mismatches > 0) process.exitCode = 1;
  });
}

export function registerConsistency(program: Command, catalog: Catalog): void {
  lakeTargetOptions(
    program
      .command('consistency')
      .summary('check online = offline: API values against the lake recomputed as of the same instant')
      .description(
        'Sample entities of each view, read their features from the API, recompute them from the lake with the generated SQL as of the same instant, and print mismatches and the consistency rate (exit 1 on a mismatch).',
      )
      .option('--view <views>', 'feature views, comma-separated (default: all)', commaList)
      .option('--sample <n>', 'entities per view, picked at random from the lake', positiveInteger, 20)
      .option('--api-url <url>', 'API base URL (default: $FEATURELAKE_API_URL, then the local stack)', httpUrl)
      .option('--api-key <key>', 'API key (default: $FEATURELAKE_API_KEY, then the local stack)')
      .option(
        '--settle <seconds>',
        'wait after the reads for the lake writer (default: its batching window + a margin)',
        nonNegativeInteger,
      )
      .option(
        '--in-flight <seconds>',
        'leave out entities with an event arrived this recently (default: the aggregator’s batching window + 5)',
        nonNegativeInteger,
      )
      .option('--json', 'print the reports as JSON'),
  ).action((options: ConsistencyOptions) => consistency(catalog, options));
}

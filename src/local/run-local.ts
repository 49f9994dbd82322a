import { ENVIRONMENTS, type EnvironmentName } from '../../lib/config/environments.js';
import { s3Client } from '../aws/clients.js';
import { objectsUnder } from '../aws/s3-objects.js';
import { SendSession } from '../cli/kinesis/send-session.js';
import { localStackLakeStorage } from '../cli/lake-target.js';
import type { Catalog, EventSource, FeatureView } from '../features/define.js';
import { EVENTS_PREFIX } from '../lake/layout.js';
import { lakeTables } from '../lake/tables.js';
import { QUARANTINE_PREFIX } from '../quarantine/quarantine.js';
import { openLocalLake } from '../query/local-engine.js';
import { workloads } from '../workloads/index.js';
import { backfillHistory, runModelDemo } from './demo-models.js';
import type { LocalEventSourceMapping } from './event-source-mapping.js';
import { type LocalStack, startLocalStack } from './stack.js';

export interface RunLocalOptions {
  /** The feature catalog the stack serves. */
  readonly catalog: Catalog;
  readonly envName: string;
  readonly stateDir: string;
  readonly keepAlive: boolean;
  readonly demoEvents: number;
  /** The workload the demo sends (src/workloads/): its source's feature views are shown. @default 'clickstream' */
  readonly workload?: string;
  /** Seconds the lake writer gathers records locally, instead of the environment's window. */
  readonly lakeWindowSeconds?: number;
  readonly log: (line: string) => void;
}

/** Demo: events over the last 3 hours from 200 entities, one invalid record per 500. */
const DEMO = { users: 200, spanMs: 3 * 3_600_000, poisonEvery: 500, seed: 42, shownUsers: 3 };

export async function runLocalStack(options: RunLocalOptions): Promise<number> {
  const { log } = options;
  const started = performance.now();
  log(`featurelake local stack (${options.envName}): starting emulators and synthesizing the CDK app…`);
  const stack = await startLocalStack({
    envName: options.envName,
    stateDir: options.stateDir,
    catalog: options.catalog,
    // The demo's summary reports what the handlers would warn about; a stack kept up shows their warnings.
    handlerLogLevel: options.keepAlive ? 'WARN' : 'ERROR',
    ...(options.lakeWindowSeconds === undefined
      ? {}
      : {
          mappingOverrides: (handler: string) =>
            handler === 'lake-writer' ? { maxBatchingWindowSeconds: options.lakeWindowSeconds as number } : {},
        }),
    log,
  });
  log(`up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  let exitCode = 0;
  try {
    if (options.demoEvents > 0) {
      exitCode = await runDemo(stack, options.catalog, options.workload ?? 'clickstream', options.demoEvents, log);
    }
    if (options.keepAlive) {
      printEndpoints(stack, log);
      await waitForSignal();
      log('stopping…');
    }
  } finally {
    await stack.stop();
  }
  return exitCode;
}

async function runDemo(
  stack: LocalStack,
  catalog: Catalog,
  workloadName: string,
  events: number,
  log: (line: string) => void,
): Promise<number> {
  const { info } = stack;
  const nowMs = Date.now();
  const workload = workloads[workloadName];
  if (!workload) throw new Error(`unknown workload "${workloadName}"; known: ${Object.keys(workloads).join(', ')}`);
  // What the demo shows and checks follows from the workload's source: its views, their entity key, its lake table.
  const generated = [
    ...workload.generate({
      events,
      seed: DEMO.seed,
      startMs: nowMs - DEMO.spanMs,
      ratePerSecond: events / (DEMO.spanMs / 1000),
      entities: DEMO.users,
    }),
  ] as unknown as Record<string, unknown>[];
  const sourceName = String(generated[0]?.source ?? '');
  const source = catalog.sources.find((s) => s.name === sourceName);
  const views = catalog.featureViews.filter((v) => v.source.name === sourceName);
  const [firstView] = views;
  if (!source || !firstView)
    throw new Error(`the catalog serves no feature view of ${sourceName}, the ${workloadName} workload's source`);
  const keyField = firstView.entity.keyField;
  const session = await SendSession.open(
    { streamName: info.resources.streamName, env: stack.clientEnv, endpoint: info.endpoints.kinesis },
    { catalog, concurrency: 4 },
  );
  const entityEvents = new Map<string, number>();
  let poison = 0;
  const sendStarted = performance.now();
  let index = 0;
  for (const event of generated) {
    const line = JSON.stringify(event);
    await session.add(line, event, 'demo');
    const entityId = String(event[keyField] ?? '');
    entityEvents.set(entityId, (entityEvents.get(entityId) ?? 0) + 1);
    if (++index % DEMO.poisonEvery === 0) {
      // Every other one not JSON at all, the rest a schema violation (an event time that is no time).
      const bad =
        poison++ % 2 === 0
          ? `{"source":"${sourceName}","${keyField}":"${entityId}",`
          : JSON.stringify({ ...event, [source.eventTimeField]: 'yesterday' });
      await session.add(bad, undefined, 'demo-poison');
    }
  }
  log(await session.finish());

  // The two consumers of the stream, drained one after the other: features first, then the lake.
  const aggregators = stack.mappingsOf('aggregator');
  const lakeWriters = stack.mappingsOf('lake-writer');
  const delivered = (mappings: readonly LocalEventSourceMapping[]) =>
    mappings.reduce((n, m) => n + m.stats.recordsDelivered, 0).toLocaleString('en-US');
  const total = (events + poison).toLocaleString('en-US');

  const processStarted = performance.now();
  let ticker = setInterval(() => log(`  aggregating… ${delivered(aggregators)} / ${total} records delivered`), 2_000);
  try {
    await Promise.all(aggregators.map((m) => m.drain(600_000)));
  } finally {
    clearInterval(ticker);
  }
  const processSeconds = (performance.now() - processStarted) / 1000;
  const totalSeconds = (performance.now() - sendStarted) / 1000;
  const stats = aggregators.map((m) => m.stats);
  const quarantined = await countObjects(
    stack,
    stack.info.resources.quarantineBucket,
    `${QUARANTINE_PREFIX}consumer=aggregator/`,
  );
  const toDestination = stats.reduce((n, s) => n + s.recordsToDestination, 0);
  const invocations = stats.reduce((n, s) => n + s.invocations, 0);

  log('');
  log('summary');
  log(
    `  events sent           ${events.toLocaleString('en-US')} ${sourceName} events + ${poison} invalid, ${firstView.entity.name}s: ${entityEvents.size}`,
  );
  log(`  aggregator            ${invocations} invocations, drained ${processSeconds.toFixed(1)} s after the last put`);
  log(
    `  quarantined           ${quarantined} (expected ${poison}) under s3://${stack.info.resources.quarantineBucket}/invalid/consumer=aggregator/`,
  );
  log(`  failed batches        ${toDestination} records sent to the on-failure destination`);
  log(`  end to end            ${(events / totalSeconds).toFixed(0)} events/s from first put to features served`);

  const busiest = [...entityEvents.entries()].sort((a, b) => b[1] - a[1]).slice(0, DEMO.shownUsers);
  for (const view of views) {
    // Each view's busiest entities of its own key (a source may feed views of several entities).
    const counts = new Map<string, number>();
    for (const event of generated) {
      const id = String(event[view.entity.keyField] ?? '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const shown = view === firstView ? busiest : [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, DEMO.shownUsers);
    for (const [entityId] of shown) {
      log('');
      log(renderGrid(view, `${view.entity.name} ${entityId}`, await servedFeatures(stack, view, entityId)));
    }
  }

  // The lake writer gathers records for up to its batching window before it writes.
  log('');
  log(
    `lake writer: waiting for its batching window (${lakeWriters[0]?.settings.maxBatchingWindowSeconds ?? 0} s; lake.maxBatchingWindowSeconds, --lake-window)…`,
  );
  const lakeStarted = performance.now();
  ticker = setInterval(
    () =>
      log(
        `  writing the lake… ${delivered(lakeWriters)} / ${total} records delivered (${((performance.now() - lakeStarted) / 1000).toFixed(0)} s)`,
      ),
    10_000,
  );
  try {
    await Promise.all(lakeWriters.map((m) => m.drain(600_000)));
  } finally {
    clearInterval(ticker);
  }
  const lakeQuarantined = await countObjects(
    stack,
    stack.info.resources.quarantineBucket,
    `${QUARANTINE_PREFIX}consumer=lake-writer/`,
  );
  const lakeFiles = await countObjects(stack, info.resources.lakeBucket, `${EVENTS_PREFIX}${sourceName}/`);
  const lakeRows = await countLakeRows(stack, catalog.sources, sourceName);
  log(
    `  lake rows             ${lakeRows.toLocaleString('en-US')} (expected ${events.toLocaleString('en-US')}) in ${lakeFiles} Parquet files under s3://${info.resources.lakeBucket}/${EVENTS_PREFIX}${sourceName}/`,
  );
  log(`  lake quarantined      ${lakeQuarantined} (expected ${poison}) under …/invalid/consumer=lake-writer/`);
  log('  query it              featurelake query --list, then featurelake query <name> -p …   (while `featurelake local` runs)');

  const historyFromMs = await backfillHistory(
    stack,
    catalog,
    workload,
    nowMs - DEMO.spanMs,
    DEMO.spanMs,
    events / (DEMO.spanMs / 1000),
    log,
  );
  const modelsOk = await runModelDemo({
    stack,
    catalog,
    sourceName,
    fromMs: historyFromMs ?? nowMs - DEMO.spanMs,
    toMs: nowMs,
    events: generated,
    log,
  });

  const ok = quarantined === poison && toDestination === 0 && lakeRows === events && lakeQuarantined === poison && modelsOk;
  log('');
  log(ok ? 'demo OK' : 'demo finished with discrepancies (see above)');
  return ok ? 0 : 1;
}

/** One view's features of one entity, as the local stack's API serves them (GET /features). */
export async function servedFeatures(stack: LocalStack, view: FeatureView, entityId: string): Promise<Record<string, unknown>> {
  const { api } = stack.info;
  const response = await fetch(`${api.url}/features/${view.entity.name}/${encodeURIComponent(entityId)}?views=${view.name}`, {
    headers: { 'x-api-key': api.key },
  });
  if (response.status !== 200) throw new Error(`GET /features answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { views: Record<string, { features: Record<string, unknown> }> };
  return body.views[view.name]?.features ?? {};
}

/** Rows of a source's table on the local stack's lake, counted by DuckDB over the emulator's files. */
export async function countLakeRows(stack: LocalStack, sources: readonly EventSource[], sourceName: string): Promise<number> {
  const { info } = stack;
  const { storage } = localStackLakeStorage(info);
  const lake = await openLocalLake({ storage, tables: lakeTables(sources, ENVIRONMENTS[info.env as EnvironmentName].lake) });
  try {
    const result = await lake.run(`SELECT count(*) AS n FROM ${sourceName}`);
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    lake.close();
  }
}

/** Features of one entity of a view as aggregation × window. */
function renderGrid(view: FeatureView, title: string, features: Record<string, unknown>): string {
  const windows = view.windows.map((w) => w.name);
  const names = [...view.aggregations.map((a) => a.name), ...view.ratios.map((r) => r.name)];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '—' : typeof v === 'number' ? String(Number(v.toFixed(3))) : String(v);
  const rows = names.map((n) => [n, ...windows.map((w) => cell(features[`${n}_${w}`]))]);
  const header = [title, ...windows];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  const trends = view.trends.map((t) => `  ${t.name.padEnd(widths[0] ?? 0)}  ${cell(features[t.name])}`);
  return [line(header), ...rows.map(line), ...trends].join('\n');
}

async function countObjects(stack: LocalStack, bucket: string, prefix: string): Promise<number> {
  let count = 0;
  for await (const _ of objectsUnder(s3Client(stack.clientEnv), bucket, prefix)) count++;
  return count;
}

function printEndpoints(stack: LocalStack, log: (line: string) => void): void {
  const { info } = stack;
  log('');
  log('the local stack is up (Ctrl-C to stop)');
  log(`  kinesis     ${info.endpoints.kinesis}   stream ${info.resources.streamName}`);
  log(`  dynamodb    ${info.endpoints.dynamodb}   table ${info.resources.tableName}`);
  log(`  s3          ${info.endpoints.s3}   quarantine bucket ${info.resources.quarantineBucket}`);
  log(`  api         ${info.api.url}/features/user/<id>   x-api-key: ${info.api.key}`);
  log(`  credentials ${info.credentials.accessKeyId} / ${info.credentials.secretAccessKey}, region ${info.region}`);
  log(`  written to  ${stack.infoFile}`);
  log('');
  log('try:');
  log(`  featurelake generate --workload clickstream --events 1000 --send`);
  log(`  curl -H 'x-api-key: ${info.api.key}' ${info.api.url}/features/user/user_000001`);
  log(
    `  AWS_ACCESS_KEY_ID=${info.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${info.credentials.secretAccessKey} aws --region ${info.region} --endpoint-url ${info.endpoints.kinesis} kinesis describe-stream-summary --stream-name ${info.resources.streamName}`,
  );
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

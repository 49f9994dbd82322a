/**
 * `npm run bench`: every benchmark of the project, side by side in one run,
 * printed as a table and written to bench/results/latest.json (plus an SVG
 * latency chart). Not a timed test: targets are reported, never asserted.
 *
 *   npm run bench                 all sections
 *   npm run bench -- aggregator   only some: aggregator, sketches, writes, units, bundles, api, parquet, lake, training, compaction, models, e2e
 *   BENCH_PARQUET_ROWS, BENCH_LAKE_DAYS, BENCH_LAKE_PER_DAY   smaller runs (defaults 1,000,000; 90; 50,000)
 *   BENCH_TRAINING_EVENTS, BENCH_TRAINING_USERS   the training-set lake (defaults 1,700,000 events; 10,000 users)
 *   BENCH_MODELS_ROWS, BENCH_MODELS_LARGE_ROWS   model training: the comparison's rows and our large fit's (defaults 10,000; 100,000)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { groupBy } from '../src/domain/collections.js';
import { startEmulators } from '../src/local/emulators.js';
import { benchExpectations, benchHotPath, benchWritesPer1000 } from './aggregator.js';
import type { LoadFigure, ScoringFigure } from './predict.js';
import { asciiHistogram, errorChartSvg, latencyCdfSvg, logBarsSvg, table } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const selected = new Set(process.argv.slice(2));
const wants = (section: string) => selected.size === 0 || selected.has(section);
const resultsDir = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), 'results');
const results: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  },
  startedAt: new Date().toISOString(),
};
const rows: string[][] = [];
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

if (wants('aggregator')) {
  process.stderr.write('aggregator hot path…\n');
  const hot = benchHotPath();
  results.aggregatorHotPath = hot;
  rows.push([
    `aggregator decode+validate+pre-aggregate (${hot.aggregations} aggregations × ${hot.windows} windows), 100k events, 1 core`,
    `${fmt(hot.eventsPerSecond)} events/s`,
    '≥ 300,000/s',
    verdict(hot.eventsPerSecond >= 300_000),
  ]);
  rows.push([
    '  beside the naive loop (base64 + JSON.parse + a count and sum per user), same run',
    `${fmt(hot.naiveEventsPerSecond)} events/s (ours ${fmt(hot.ratioToNaive, 2)}×)`,
    '—',
    '—',
  ]);
  process.stderr.write('aggregator hot path with data-quality expectations off and on…\n');
  const dq = benchExpectations();
  results.aggregatorExpectations = dq;
  rows.push([
    `  data-quality expectations (clickstream's ${dq.expectations}) off / on, counts per ${fmt(dq.batchSize)}-record batch, same run`,
    `${fmt(dq.offEventsPerSecond)} / ${fmt(dq.onEventsPerSecond)} events/s (on ${fmt(dq.ratio, 2)}×)`,
    '≥ 0.9× (negligible)',
    verdict(dq.ratio >= 0.9),
  ]);
}

if (wants('sketches')) {
  process.stderr.write('sketch accuracy against exact answers (distinct_count, percentile)…\n');
  const { benchDistinct, benchPercentiles, DISTINCT_TARGET, HLL_STANDARD_ERROR, PERCENTILE_BOUND, TILES } = await import(
    './sketches.js'
  );
  const pct = (x: number, digits = 2) => `${fmt(x * 100, digits)} %`;
  const distinct = benchDistinct();
  for (const d of distinct) {
    const exact = d.form === 'exact';
    rows.push([
      `distinct_count, ${fmt(d.distinct)} distinct (${d.seeds} seeds, ${d.form}): error mean / max: one stream · ${TILES} tiles merged`,
      `${pct(d.stream.meanError)} / ${pct(d.stream.maxError)} · ${pct(d.merged.meanError)} / ${pct(d.merged.maxError)} (same ${d.mergedEqualsStream}/${d.seeds}); state ${fmt(d.streamStateBytes)} B`,
      exact ? '0 (exact)' : `σ ${pct(HLL_STANDARD_ERROR)}, ≤ ${pct(DISTINCT_TARGET, 0)}`,
      verdict(
        exact
          ? d.merged.maxError === 0 && d.stream.maxError === 0
          : Math.max(d.merged.maxError, d.stream.maxError) <= DISTINCT_TARGET,
      ),
    ]);
  }
  const percentiles = benchPercentiles();
  for (const p of percentiles) {
    const worst = Math.max(...p.quantiles.flatMap((q) => [q.stream.maxError, q.merged.maxError]));
    rows.push([
      `percentile ${p.distribution}, ${fmt(p.values)} values (${p.seeds} seeds): max error p50 / p90 / p99, ${TILES} tiles merged`,
      `${p.quantiles.map((q) => pct(q.merged.maxError)).join(' / ')} (same as stream ${p.mergedEqualsStream}/${p.answers}); state ${fmt(p.streamStateBytes)} B, ${fmt(p.buckets)} buckets`,
      `≤ ${pct(PERCENTILE_BOUND, 0)}`,
      verdict(worst <= PERCENTILE_BOUND),
    ]);
  }
  results.sketches = { tiles: TILES, hllStandardError: HLL_STANDARD_ERROR, distinct, percentiles };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, 'sketch-distinct.svg'),
    errorChartSvg(
      [
        { name: 'max error, 60 tiles merged', points: distinct.map((d) => [d.distinct, d.merged.maxError * 100] as const) },
        { name: 'mean error, 60 tiles merged', points: distinct.map((d) => [d.distinct, d.merged.meanError * 100] as const) },
        {
          name: 'max error, one stream (same)',
          points: distinct.map((d) => [d.distinct, d.stream.maxError * 100] as const),
          dashed: true,
        },
      ],
      [
        { label: `σ = ${pct(HLL_STANDARD_ERROR)} (HyperLogLog p = 14)`, value: HLL_STANDARD_ERROR * 100 },
        { label: `target ≤ ${pct(DISTINCT_TARGET, 0)}`, value: DISTINCT_TARGET * 100 },
      ],
      'distinct_count: relative error vs the exact count',
      'distinct values',
    ),
  );
  writeFileSync(
    path.join(resultsDir, 'sketch-percentile.svg'),
    errorChartSvg(
      [...groupBy(percentiles, (p) => p.distribution)].map(([name, list]) => ({
        name,
        points: (list ?? []).map((p) => [p.values, Math.max(...p.quantiles.map((q) => q.merged.maxError)) * 100] as const),
      })),
      [{ label: `α = ${pct(PERCENTILE_BOUND, 0)} (DDSketch bound)`, value: PERCENTILE_BOUND * 100 }],
      'percentile (DDSketch): max error of p50/p90/p99 vs the exact rank value, 60 tiles merged',
      'values',
    ),
  );
}

if (wants('writes')) {
  process.stderr.write('DynamoDB writes per 1,000 events (dynalite)…\n');
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-'));
  const emulators = await startEmulators(dir);
  try {
    const writes = await benchWritesPer1000(emulators);
    results.writesPer1000 = writes;
    for (const w of writes) {
      rows.push([
        `DynamoDB writes / 1,000 events: batch ${fmt(w.batchSize)}, ${fmt(w.users)} users`,
        fmt(w.writesPer1000, 1),
        '≤ 50',
        verdict(w.writesPer1000 <= 50),
      ]);
    }
  } finally {
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wants('units')) {
  const events = Number(process.env.BENCH_UNITS_EVENTS ?? 20_000);
  const largeEvents = Number(process.env.BENCH_UNITS_EVENTS_100K ?? 10_000);
  process.stderr.write(
    `DynamoDB write and read units (dynalite): ${fmt(events)} events (${fmt(largeEvents)} for 100,000 users) per setting…\n`,
  );
  const { measureWriteUnits } = await import('./aggregator.js');
  const { CapacityMeter } = await import('./capacity.js');
  const { measureReadUnits } = await import('./units.js');
  const cost = await import('./cost-model.js');
  const { ENVIRONMENTS } = await import('../lib/config/environments.js');
  const { userClickstream } = await import('../src/features/catalog.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-units-'));
  const emulators = await startEmulators(dir);
  try {
    const meter = new CapacityMeter();
    const uniformEvents = Number(process.env.BENCH_UNITS_EVENTS_UNIFORM ?? 10_000);
    const cases = [
      ...[10_000, 1_000].flatMap((batchSize) =>
        [100, 1_000, 10_000, 100_000].map((entities) => ({
          entities,
          batchSize,
          events: entities >= 100_000 ? largeEvents : events,
        })),
      ),
      // The model's assumption checked on the same code: users drawn uniformly, dev's 10,000-event batches.
      ...[100, 1_000, 10_000, 100_000].map((entities) => ({
        entities,
        batchSize: 10_000,
        events: uniformEvents,
        users: 'uniform' as const,
      })),
    ];
    // Each setting twice: the layout before the head (one item per tile, read before written) and the head.
    const measuredCases = await measureWriteUnits(
      emulators,
      cases.flatMap((c) => [
        { ...c, writePath: 'tiles' as const },
        { ...c, writePath: 'heads' as const },
      ]),
      (line) => process.stderr.write(`${line}\n`),
      meter,
    );
    const before = measuredCases.filter((w) => w.writePath === 'tiles');
    const writes = measuredCases.filter((w) => w.writePath === 'heads');
    writes.forEach((w, i) => {
      const b = before[i] as (typeof before)[number];
      rows.push([
        `cost-aware write path, batch ${fmt(w.batchSize)}, ${fmt(w.entities)} users (${w.userDistribution}): writes / WCU / aggregator RCU per 1,000 events`,
        `${fmt(w.writesPer1000, 1)} / ${fmt(w.writeUnitsPer1000, 1)} (${fmt((w.emulatorWriteUnits / w.events) * 1000, 1)}) / ${fmt(w.readUnitsPer1000, 1)}; head writes ${fmt(w.updates / (w.distinctEntitiesPerBatch * w.batches), 2)} per user and batch, ${fmt(w.puts)} closed tiles put`,
        `before ${fmt(b.writesPer1000, 1)} / ${fmt(b.writeUnitsPer1000, 1)} / ${fmt(b.readUnitsPer1000, 1)}`,
        `${fmt(w.writeUnitsPer1000 / b.writeUnitsPer1000, 3)}×`,
      ]);
    });
    for (const w of before) {
      const modelled = (cost.distinctEntities(w.batchSize, w.entities) * w.tilesPerEntityBatch * 1000) / w.batchSize;
      rows.push([
        `units / 1,000 events: batch ${fmt(w.batchSize)}, ${fmt(w.entities)} users (${w.userDistribution}, ${fmt(w.events)} events): writes, WCU (emulator), aggregator RCU`,
        `${fmt(w.writesPer1000, 1)} writes, ${fmt(w.writeUnitsPer1000, 1)} WCU (${fmt((w.emulatorWriteUnits / w.events) * 1000, 1)}), ${fmt(w.readUnitsPer1000, 1)} RCU`,
        `naive ${fmt(w.naive.writeUnitsPer1000)} WCU`,
        `${fmt(w.writeUnitsPer1000 / w.naive.writeUnitsPer1000, 3)}×`,
      ]);
      rows.push([
        '  distinct users per batch, tiles per user and batch; model (uniform users) writes / 1,000',
        `${fmt(w.distinctEntitiesPerBatch, 1)}, ${fmt(w.tilesPerEntityBatch, 2)}; ${fmt(modelled, 1)} (measured ${fmt(w.writesPer1000, 1)})`,
        '—',
        '—',
      ]);
    }
    const readCase =
      writes.find((w) => w.entities === 1_000 && w.batchSize === 10_000 && w.userDistribution === 'sessions') ??
      (writes[0] as (typeof writes)[number]);
    const reads = await measureReadUnits(emulators, readCase.tableName, readCase.readSample, meter);
    rows.push([
      `GET /features/user/<id> (${reads.views.join(', ')}): keys / items found / BatchGetItem calls per request`,
      `${fmt(reads.keysPerRequest, 1)} / ${fmt(reads.itemsFoundPerRequest, 1)} / ${fmt(reads.callsPerRequest, 1)} (${reads.requests} requests)`,
      '1 call',
      verdict(reads.callsPerRequest === 1),
    ]);
    rows.push([
      "  read units per request: ours (emulator) vs a raw BatchGetItem of the layout before's keys (every tile the windows read)",
      `${fmt(reads.readUnitsPerRequest, 1)} (${fmt(reads.emulatorReadUnitsPerRequest, 1)}) vs ${fmt(reads.rawReadUnitsPerRequest, 1)} RRU (${fmt(reads.rawKeysPerRequest)} keys); unknown user ${fmt(reads.unknownUser.readUnits, 1)}`,
      '≤ before',
      verdict(reads.readUnitsPerRequest <= reads.rawReadUnitsPerRequest + 1e-9),
    ]);

    // The cost model, fed with what was just measured.
    // Sizes and tiles per user and batch from every setting; users per batch come from the model (uniform), checked above.
    const sumOf = (f: (w: (typeof writes)[number]) => number, of = before) => of.reduce((n, w) => n + f(w), 0);
    const measured = {
      tilesPerEntityBatch: sumOf((w) => w.writes) / sumOf((w) => w.distinctEntitiesPerBatch * w.batches),
      writeUnitsPerWrite: sumOf((w) => w.writeUnits) / sumOf((w) => w.writes),
      readUnitsPerTileRead: sumOf((w) => w.readUnits) / sumOf((w) => w.itemReads),
      itemBytes: sumOf((w) => w.meanItemBytes * w.writes) / sumOf((w) => w.writes),
      eventBytes: sumOf((w) => w.eventBytes * w.events) / sumOf((w) => w.events),
      hopSeconds: [...new Set(userClickstream.windows.map((w) => w.hopSeconds))],
      ttlSeconds: userClickstream.ttlSeconds,
    };
    const prod = ENVIRONMENTS.prod;
    const settings = {
      aggregatorBatchSize: prod.aggregator.batchSize,
      aggregatorWindowSeconds: prod.aggregator.maxBatchingWindowSeconds,
      aggregatorMemoryMb: prod.aggregator.memoryMb,
      lakeBatchSize: prod.lake.batchSize,
      lakeWindowSeconds: prod.lake.maxBatchingWindowSeconds,
      lakeMemoryMb: prod.lake.memoryMb,
    };
    const scenarios = [1_000, 10_000, 100_000].flatMap((eventsPerSecond) =>
      [1_000, 100_000, 10_000_000].map((entities) => ({ eventsPerSecond, entities })),
    );
    // The head path as measured: head writes per user and batch (closed tiles are modelled per tile), units per
    // write, units per head read (a head is read only on a cache miss), mean item size.
    const headMeasured = {
      tilesPerEntityBatch: sumOf((w) => w.updates, writes) / sumOf((w) => w.distinctEntitiesPerBatch * w.batches, writes),
      writeUnitsPerWrite: sumOf((w) => w.writeUnits, writes) / sumOf((w) => w.writes, writes),
      readUnitsPerTileRead:
        sumOf((w) => w.readUnits, writes) /
        Math.max(
          1,
          sumOf((w) => w.itemReads, writes),
        ),
      itemBytes: sumOf((w) => w.meanItemBytes * w.writes, writes) / sumOf((w) => w.writes, writes),
    };
    const longest = measured.hopSeconds.map((h) =>
      Math.max(...userClickstream.windows.filter((w) => w.hopSeconds === h).map((w) => w.lengthSeconds)),
    );
    const target = cost.withHeadWritePath(measured, headMeasured, 100_000, longest);
    const table = scenarios.map((scenario) => ({
      scenario,
      serverless: cost.serverlessCost(scenario, measured, settings),
      oneWritePerEntityBatch: cost.serverlessCost(scenario, target, settings),
      alwaysOn: cost.alwaysOnCost(scenario, measured.eventBytes),
    }));
    for (const { scenario, serverless, alwaysOn } of table) {
      const best = Math.min(serverless.totalOnDemand, serverless.totalProvisioned);
      rows.push([
        `$ / month at ${fmt(scenario.eventsPerSecond)} events/s, ${fmt(scenario.entities)} users: serverless on-demand / provisioned vs always-on`,
        `${fmt(serverless.totalOnDemand)} / ${fmt(serverless.totalProvisioned)} vs ${fmt(alwaysOn.total)} ($/M events ${fmt(cost.perMillionEvents(best, scenario.eventsPerSecond), 3)} vs ${fmt(cost.perMillionEvents(alwaysOn.total, scenario.eventsPerSecond), 3)})`,
        'model',
        best <= alwaysOn.total ? 'serverless' : 'always-on',
      ]);
    }
    const breakEven = [1_000, 100_000, 10_000_000].map((entities) => ({
      entities,
      today: cost.breakEvenEventsPerSecond(entities, measured, settings),
      oneWritePerEntityBatch: cost.breakEvenEventsPerSecond(entities, target, settings),
    }));
    for (const b of breakEven) {
      const show = (r: number | undefined) => (r === undefined ? 'never (≤ 10⁶/s)' : `${fmt(r)} events/s`);
      rows.push([
        `serverless costs more than always-on from (${fmt(b.entities)} users): before / with the cost-aware write path`,
        `${show(b.today)} / ${show(b.oneWritePerEntityBatch)}`,
        'model',
        '—',
      ]);
    }
    // What the knobs are worth at one scenario: the batching window (Lambda allows up to 300 s) and the write path.
    const lever = { eventsPerSecond: 10_000, entities: 100_000 };
    const levers = [
      { name: "prod's settings (10,000-event batches, 2 s window)", m: measured, d: settings },
      { name: '30 s batching window', m: measured, d: { ...settings, aggregatorWindowSeconds: 30 } },
      { name: 'the cost-aware write path (heads, as measured)', m: target, d: settings },
      { name: 'both', m: target, d: { ...settings, aggregatorWindowSeconds: 30 } },
    ].map(({ name, m, d }) => ({ name, cost: cost.serverlessCost(lever, m, d) }));
    for (const l of levers) {
      rows.push([
        `  ${fmt(lever.eventsPerSecond)} events/s, ${fmt(lever.entities)} users, ${l.name}: batch, writes/event, $ / month (on-demand / provisioned)`,
        `${fmt(l.cost.batch)}, ${fmt(l.cost.writesPerEvent, 3)}, ${fmt(l.cost.totalOnDemand)} / ${fmt(l.cost.totalProvisioned)}`,
        'model',
        '—',
      ]);
    }
    const servingPerMillion = cost.servingPerMillionRequests(reads.readUnitsPerRequest, prod.api.memoryMb);
    // Beside it, the same model fed with the raw read of the layout before's keys, measured above.
    const rawServingPerMillion = cost.servingPerMillionRequests(reads.rawReadUnitsPerRequest, prod.api.memoryMb);
    rows.push([
      'serving: $ per million GET /features (DynamoDB reads, API Gateway REST, Lambda): ours vs the raw read of the layout before',
      `${fmt(servingPerMillion, 2)} vs ${fmt(rawServingPerMillion, 2)} (${fmt(servingPerMillion / rawServingPerMillion, 3)}×)`,
      'model',
      '—',
    ]);
    results.units = {
      cases: writes,
      before,
      headMeasured,
      reads,
      measured,
      settings,
      costs: table,
      breakEven,
      servingPerMillionRequests: servingPerMillion,
    };
  } finally {
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wants('bundles')) {
  process.stderr.write('Lambda bundles (cdk synth with esbuild)…\n');
  const { benchBundles } = await import('./lambdas.js');
  const bundles = benchBundles();
  results.bundles = bundles;
  for (const b of bundles) {
    rows.push([
      `${b.function} bundle: size (gzip) / module load`,
      `${fmt(b.bytes / 1024)} KiB (${fmt(b.gzipBytes / 1024)}) / ${fmt(b.moduleLoadMs, 1)} ms`,
      '—',
      '—',
    ]);
  }
}

if (wants('api')) {
  process.stderr.write('GET /features latency on the local stack…\n');
  const { startLocalStack } = await import('../src/local/stack.js');
  const { benchApiLatency, loadDemoData } = await import('./api.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-api-'));
  const stack = await startLocalStack({
    stateDir: dir,
    withoutUsagePlan: true,
    mappingOverrides: { maxBatchingWindowSeconds: 0 },
  });
  try {
    const users = 200;
    await loadDemoData(stack, 20_000, users);
    const latency = await benchApiLatency(stack, users, 2_000);
    const { samples, ...summary } = latency;
    results.apiLatency = summary;
    const overheadP99 = latency.http.p99 - latency.direct.p99;
    rows.push([
      `direct DynamoDB BatchGetItem (${latency.keysPerRead} keys) p50 / p99`,
      `${fmt(latency.direct.p50, 2)} / ${fmt(latency.direct.p99, 2)} ms`,
      '—',
      '—',
    ]);
    // Each beside the direct read of the same run: the ratio is the figure that counts.
    const toDirect = (s: typeof latency.http) =>
      `${fmt(s.p99 / latency.direct.p99, 2)}× (p50 ${fmt(s.p50 / latency.direct.p50, 2)}×)`;
    rows.push([
      'API handler in-process p50 / p99; ratio to the direct read at p99',
      `${fmt(latency.handler.p50, 2)} / ${fmt(latency.handler.p99, 2)} ms; ${toDirect(latency.handler)}`,
      '—',
      '—',
    ]);
    rows.push([
      'GET /features over HTTP p50 / p99; ratio to the direct read at p99',
      `${fmt(latency.http.p50, 2)} / ${fmt(latency.http.p99, 2)} ms; ${toDirect(latency.http)}`,
      '—',
      '—',
    ]);
    rows.push([
      'overhead over the direct read, p99 (handler / HTTP)',
      `${fmt(latency.handler.p99 - latency.direct.p99, 2)} / ${fmt(overheadP99, 2)} ms`,
      '≤ 2 ms',
      verdict(latency.handler.p99 - latency.direct.p99 <= 2),
    ]);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      path.join(resultsDir, 'api-latency.svg'),
      latencyCdfSvg(
        { 'direct BatchGetItem': samples.direct, 'handler in-process': samples.handler, 'GET /features (HTTP)': samples.http },
        `GET /features latency CDF, local stack, ${latency.http.n} requests each`,
      ),
    );
    process.stdout.write(`\n${asciiHistogram({ direct: samples.direct, handler: samples.handler, http: samples.http })}\n`);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wants('api')) {
  const requestsSmall = Number(process.env.BENCH_READ_REQUESTS_1 ?? 1_000);
  const requestsLarge = Number(process.env.BENCH_READ_REQUESTS_50 ?? 300);
  process.stderr.write('online read, 1 entity × 50 features and 50 entities × 200 features, beside the raw BatchGetItem…\n');
  const { startLocalStack } = await import('../src/local/stack.js');
  const { benchOnlineRead, benchReadCatalog, loadBenchReadData } = await import('./api.js');
  const { catalog, narrow, wide } = benchReadCatalog();
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-read-'));
  const stack = await startLocalStack({
    stateDir: dir,
    catalog,
    withoutUsagePlan: true,
    mappingOverrides: { maxBatchingWindowSeconds: 0 },
  });
  try {
    const users = 100;
    await loadBenchReadData(stack, catalog, Number(process.env.BENCH_READ_EVENTS ?? 20_000), users);
    const userIds = Array.from({ length: users }, (_, i) => `user_${String(i + 1).padStart(6, '0')}`);
    const cases = [
      await benchOnlineRead(stack, catalog, userIds, {
        name: '1 entity × 50 features',
        entities: 1,
        view: narrow,
        requests: requestsSmall,
      }),
      await benchOnlineRead(stack, catalog, userIds, {
        name: '50 entities × 200 features',
        entities: 50,
        view: wide,
        requests: requestsLarge,
      }),
    ];
    results.onlineRead = cases.map(({ samples, ...summary }) => summary);
    for (const c of cases) {
      rows.push([
        `online read ${c.name} (${c.featuresPerEntity} features each, ${fmt(c.responseBytes / 1024)} KiB answer, ${fmt(c.keysPerRequest)} keys, ${c.itemsFoundPerRequest} found, ${c.batchGetItemCallsPerRequest} BatchGetItem calls at once): raw BatchGetItem p50 / p99`,
        `${fmt(c.raw.p50, 2)} / ${fmt(c.raw.p99, 2)} ms`,
        '—',
        '—',
      ]);
      rows.push([
        '  API handler in-process p50 / p99; ratio to raw at p99',
        `${fmt(c.handler.p50, 2)} / ${fmt(c.handler.p99, 2)} ms; ${fmt(c.handler.p99 / c.raw.p99, 2)}× (p50 ${fmt(c.handler.p50 / c.raw.p50, 2)}×)`,
        '—',
        '—',
      ]);
      rows.push([
        `  ${c.entities > 1 ? 'POST /features/user' : 'GET /features/user/{id}'} over HTTP p50 / p99 (${fmt(c.http.n)} requests); ratio to raw at p99`,
        `${fmt(c.http.p50, 2)} / ${fmt(c.http.p99, 2)} ms; ${fmt(c.ratioP99, 2)}× (p50 ${fmt(c.ratioP50, 2)}×)`,
        '≤ 1.5× at p99',
        verdict(c.ratioP99 <= 1.5),
      ]);
    }
    mkdirSync(resultsDir, { recursive: true });
    for (const [i, c] of cases.entries()) {
      const file = i === 0 ? 'api-read-1x50.svg' : 'api-read-50x200.svg';
      writeFileSync(
        path.join(resultsDir, file),
        latencyCdfSvg(
          {
            [`raw BatchGetItem (${c.keysPerRequest} keys)`]: c.samples.raw,
            'handler in-process': c.samples.handler,
            [`${c.entities > 1 ? 'POST' : 'GET'} /features (HTTP)`]: c.samples.http,
          },
          `online read, ${c.name}: latency CDF, local stack, ${c.http.n} requests each`,
        ),
      );
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wants('parquet')) {
  const n = Number(process.env.BENCH_PARQUET_ROWS ?? 1_000_000);
  process.stderr.write(`Parquet writers, ${fmt(n)} app_logs rows, snappy…\n`);
  const { benchParquetWriters } = await import('./parquet-writers.js');
  const writers = await benchParquetWriters(n);
  results.parquetWriters = writers;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, 'parquet-writers.svg'),
    logBarsSvg(
      writers.map((w) => ({ label: w.writer, value: w.rowsPerSecond, highlight: w.note === 'chosen' })),
      `Parquet writers: rows/s, ${fmt(n)} app_logs rows, snappy, one run`,
      'rows/s',
    ),
  );
  const duck = writers[0] as (typeof writers)[number];
  for (const w of writers) {
    const speed = w.rowsPerSecond / duck.rowsPerSecond;
    const size = w.bytes / duck.bytes;
    const isDuck = w.writer.startsWith('DuckDB');
    rows.push([
      `Parquet ${w.writer}: rows/s, size, bundle`,
      `${fmt(w.rowsPerSecond)} rows/s (${fmt(speed * 100)} %), ${fmt(w.bytes / 1e6, 1)} MB (${fmt(size, 2)}×)${
        w.bundleBytes === undefined ? '' : `, ${fmt(w.bundleBytes / 1024)} KiB`
      }`,
      w === duck ? 'ceiling' : isDuck ? 'context' : '≥ 50 % rows/s, ≤ 1.15× size',
      isDuck ? '—' : verdict(speed >= 0.5 && size <= 1.15),
    ]);
  }
}

if (wants('lake')) {
  const days = Number(process.env.BENCH_LAKE_DAYS ?? 90);
  const perDay = Number(process.env.BENCH_LAKE_PER_DAY ?? 50_000);
  process.stderr.write(`lake workload (seed 004): ${days} days × ${fmt(perDay)} rows…\n`);
  const { benchLake } = await import('./lake.js');
  const lake = await benchLake(days, perDay, (s) => process.stderr.write(s));
  results.lake = lake;
  rows.push([
    `import ${fmt(lake.rows)} CSV rows (${fmt(lake.csvBytes / 1e6)} MB) → ${fmt(lake.import.files)} Parquet files (${fmt(lake.import.parquetBytes / 1e6)} MB)`,
    `${fmt(lake.import.rowsPerSecond)} rows/s`,
    '—',
    '—',
  ]);
  for (const q of lake.queries) {
    rows.push([
      `app_logs_metrics ${q.name} on the lake / raw CSV (${fmt(q.resultRows)} groups)`,
      `${fmt(q.lakeMs)} / ${fmt(q.csvMs)} ms (${fmt(q.lakeMs / q.csvMs, 2)}×)`,
      '≤ 1,000 ms and ≤ 2× CSV',
      verdict(q.lakeMs <= 1000 && q.lakeMs <= 2 * q.csvMs),
    ]);
    rows.push([`  … through \`featurelake query\`'s engine, rows as JS objects`, `${fmt(q.engineMs)} ms`, '—', '—']);
  }
}

if (wants('training')) {
  const events = Number(process.env.BENCH_TRAINING_EVENTS ?? 1_700_000);
  const users = Number(process.env.BENCH_TRAINING_USERS ?? 10_000);
  process.stderr.write(`training set on DuckDB: ${fmt(events)} clickstream events, ${fmt(users)} users…\n`);
  const { benchTrainingSet } = await import('./training.js');
  const t = await benchTrainingSet(events, users, (s) => process.stderr.write(s));
  results.trainingSet = t;
  rows.push([
    `training set: ${fmt(t.labelRows)} label rows × ${t.columns} columns (purchase_within_1h × user_clickstream) from ${fmt(t.events)} events, DuckDB`,
    `${fmt(t.rowsPerSecond)} rows/s (${fmt(t.trainingMs / 1000, 1)} s)`,
    '1 M label rows',
    verdict(t.labelRows >= 1_000_000),
  ]);
  rows.push([
    `  beside the raw join of the same rows with the events they read (${fmt(t.joinedRows)} pairs), one count each, same run`,
    `${fmt(t.rawJoinMs / 1000, 1)} s (ours ${fmt(t.ratioToRawJoin, 1)}×)`,
    '—',
    '—',
  ]);
}

if (wants('compaction')) {
  const perDay = Number(process.env.BENCH_COMPACTION_ROWS ?? 200_000);
  process.stderr.write(`small-file compaction: one day of ${fmt(perDay)} app_logs rows on the S3 emulator…\n`);
  const { benchCompaction } = await import('./compaction.js');
  const c = await benchCompaction(perDay, (s) => process.stderr.write(s));
  results.compaction = c;
  rows.push([
    `compaction of one day (${fmt(c.rows)} rows, ${fmt(c.batches)} one-minute batches): files`,
    `${fmt(c.filesBefore)} → ${fmt(c.filesAfter)} in ${fmt(c.compactionMs)} ms (${fmt((c.rows / c.compactionMs) * 1000)} rows/s)`,
    '—',
    '—',
  ]);
  rows.push([
    'app_logs_metrics 1h × user over that day, before / after compaction',
    `${fmt(c.query.beforeMs)} / ${fmt(c.query.afterMs)} ms (${fmt(c.query.filesReadBefore)} / ${fmt(c.query.filesReadAfter)} files read)`,
    '—',
    '—',
  ]);
}

if (wants('models')) {
  const modelRows = Number(process.env.BENCH_MODELS_ROWS ?? 10_000);
  const largeRows = Number(process.env.BENCH_MODELS_LARGE_ROWS ?? 100_000);
  process.stderr.write(`model training: ours beside ml-logistic-regression and ml-cart on ${fmt(modelRows)} synthetic rows…\n`);
  const { benchModels } = await import('./models.js');
  const m = await benchModels(modelRows, largeRows, (s) => process.stderr.write(s));
  results.models = m;
  for (const f of m.figures) {
    rows.push([
      `${f.name}: fit on ${fmt(m.trainRows)} rows × ${m.encodedColumns} encoded inputs, hold-out ROC-AUC; weights ${f.sampleWeights ? 'yes' : 'no'}`,
      `${fmt(f.fitMs)} ms, AUC ${fmt(f.rocAuc, 4)}`,
      '—',
      '—',
    ]);
  }
  rows.push([
    `ours on ${fmt(m.large.rows)} rows × ${m.large.cols} encoded inputs: logistic / tree / GBDT (${m.large.gbdtRounds} rounds)`,
    `${fmt(m.large.logisticMs / 1000, 1)} / ${fmt(m.large.treeMs / 1000, 1)} / ${fmt(m.large.gbdtMs / 1000, 1)} s`,
    'logistic in seconds',
    verdict(m.large.logisticMs < 10_000),
  ]);
  rows.push([
    `native scoring, one row at a time (${m.scoring.inputs} inputs by name → encode → ${m.scoring.model}), 1 core`,
    `${fmt(m.scoring.scoresPerSecond)} scores/s`,
    '≥ 1,000 req/s on 2 cores',
    verdict(m.scoring.scoresPerSecond >= 1_000),
  ]);
}

if (wants('e2e')) {
  const events = Number(process.env.BENCH_E2E_EVENTS ?? 20_000);
  process.stderr.write(
    `end to end on the local stack: ${fmt(events)} demo events, dev's aggregator settings and the old 1,000 / 5 s…\n`,
  );
  const { benchEndToEnd } = await import('./e2e.js');
  const runs = await benchEndToEnd({
    events,
    users: 200,
    variants: [undefined, { batchSize: 1_000, maxBatchingWindowSeconds: 5 }],
    rawWrites: 3_000,
    probes: 15,
  });
  results.endToEnd = runs;
  for (const r of runs) {
    const label = `aggregator batch ${fmt(r.batchSize)}, window ${r.batchingWindowSeconds} s`;
    rows.push([
      `${label}: ${fmt(events)} events, first put → drained`,
      `${fmt(r.eventsPerSecond)} events/s (drained ${fmt(r.drainedAfterLastPutSeconds, 1)} s after the last put, ${r.invocations} invocations)`,
      '—',
      '—',
    ]);
    rows.push([
      `  aggregator busy / waiting (batching window, polls) of first put → drained`,
      `${fmt(r.aggregatorBusySeconds, 1)} s / ${fmt(r.processingSeconds - r.aggregatorBusySeconds, 1)} s`,
      '—',
      '—',
    ]);
    rows.push([
      `  tile writes: per event, rate while busy vs the emulator's raw UpdateItem rate`,
      `${fmt(r.tileWritesPerEvent, 3)}/event, ${fmt(r.tileWritesPerSecond)}/s vs raw ${fmt(r.rawWritesPerSecond)}/s (${fmt(r.writeRateVsRaw, 2)}×)`,
      '—',
      '—',
    ]);
    rows.push([
      '  event → online freshness, idle stack, p50 / p99',
      `${fmt(r.freshnessMs.p50)} / ${fmt(r.freshnessMs.p99)} ms (${r.freshnessMs.n} probes)`,
      '—',
      '—',
    ]);
  }
}

// `npm run bench -- predict` (bench/predict.ts): BENCH_PREDICT_SECONDS, BENCH_PREDICT_CONNECTIONS, BENCH_PREDICT_EVENTS
// (defaults 4; 16,64; 10,000) size the load runs.
if (wants('predict')) {
  const seconds = Number(process.env.BENCH_PREDICT_SECONDS ?? 4);
  const connections = (process.env.BENCH_PREDICT_CONNECTIONS ?? '16,64').split(',').map(Number);
  const events = Number(process.env.BENCH_PREDICT_EVENTS ?? 10_000);
  process.stderr.write(
    `inference: scoring per entity, module load, then autocannon at ${connections.join(' and ')} connections × ${seconds} s…\n`,
  );
  const { startLocalStack } = await import('../src/local/stack.js');
  const { loadDemoData } = await import('./api.js');
  const p = await import('./predict.js');
  const m = p.inferenceModels();
  const scoring = await p.benchScoring(m);
  const [naive, ...scorers] = scoring as [ScoringFigure, ...ScoringFigure[]];
  const us = (f: ScoringFigure) => p.ROWS_PER_CALL.map((n) => fmt(f.usPerEntity[n] ?? 0, 2)).join(' / ');
  rows.push([`scoring per entity, µs at ${p.ROWS_PER_CALL.join(' / ')} rows a call: ${naive.model}`, us(naive), '—', '—']);
  for (const f of scorers) {
    rows.push([
      `  ${f.model}; ratio to the baseline at 1 row`,
      `${us(f)} (${fmt((f.usPerEntity[1] ?? 0) / (naive.usPerEntity[1] ?? 1), 0)}×)`,
      'inference < 20 ms (seed 002)',
      verdict((f.usPerEntity[1] ?? Number.POSITIVE_INFINITY) < 20_000),
    ]);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-predict-'));
  try {
    process.stderr.write('module load in fresh processes…\n');
    const loads = p.benchModuleLoad(m, dir);
    for (const l of loads) rows.push([`module load: ${l.what}, median of ${l.loads}`, `${fmt(l.ms, 1)} ms`, '—', '—']);
    const stack = await startLocalStack({
      stateDir: path.join(dir, 'stack'),
      withoutUsagePlan: true,
      mappingOverrides: { maxBatchingWindowSeconds: 0 },
      handlerLogLevel: 'ERROR',
    });
    try {
      const users = 200;
      process.stderr.write(`${fmt(events)} clickstream events of ${users} users through the stack…\n`);
      const loadStarted = performance.now();
      await loadDemoData(stack, events, users);
      process.stderr.write(`  loaded in ${fmt((performance.now() - loadStarted) / 1000, 1)} s\n`);
      const versions = await p.publishBenchArtifacts(stack, m);
      const load = await p.benchPredictLoad(stack, versions, { connections, seconds, users }, (s) => process.stderr.write(s));
      results.predict = { inputs: m.inputs.length, encodedWidth: m.width, scoring, moduleLoad: loads, ...load };
      for (const c of connections) {
        const at = load.figures.filter((f) => f.connections === c);
        const find = (prefix: string) => at.find((f) => f.name.startsWith(prefix)) as LoadFigure;
        const [ceiling, raw, features, logistic, gbdt, awaited] = [
          find('constant'),
          find('raw'),
          find('GET /features'),
          find('POST /predict logistic (v'),
          find('POST /predict GBDT'),
          find('POST /predict logistic, log flushed before'),
        ];
        const unlogged = find('POST /predict logistic, no log');
        const cpu = (f: LoadFigure) =>
          Object.entries(f.cpu)
            .filter(([, v]) => v >= 0.05)
            .map(([k, v]) => `${k} ${fmt(v, 2)}`)
            .join(', ');
        const line = (f: LoadFigure) =>
          `${fmt(f.requestsPerSecond)} req/s, ${fmt(f.p50, 2)} / ${fmt(f.p99, 2)} ms${f.non200 + f.errors > 0 ? ` (${f.non200} non-200, ${f.errors} errors)` : ''}`;
        rows.push([
          `${c} connections, ${seconds} s: ${ceiling.name}: req/s, p50 / p99; cores busy`,
          `${line(ceiling)}; ${cpu(ceiling)}`,
          '—',
          '—',
        ]);
        rows.push([`  ${raw.name}, ${c} workers in the bench process`, `${line(raw)}; ${cpu(raw)}`, '—', '—']);
        for (const f of [features, logistic, gbdt]) {
          rows.push([
            `  ${f.name} (1 entity, ${m.inputs.length} inputs): p99 − raw p99`,
            `${line(f)}; ${f.p99 - raw.p99 >= 0 ? '+' : ''}${fmt(f.p99 - raw.p99, 2)} ms; ${cpu(f)}`,
            '≤ 2 ms',
            verdict(f.p99 - raw.p99 <= 2),
          ]);
        }
        for (const f of [logistic, gbdt]) {
          rows.push([
            `  ${f.name}: req/s, vs the raw read's and the ceiling's`,
            `${fmt(f.requestsPerSecond)} (${fmt(f.requestsPerSecond / raw.requestsPerSecond, 2)}× raw, ${fmt(f.requestsPerSecond / ceiling.requestsPerSecond, 2)}× ceiling)`,
            '≥ 1,000 req/s',
            verdict(f.requestsPerSecond >= 1_000),
          ]);
        }
        rows.push([
          '  prediction log: flushed after the response (as is: the logistic row) / awaited before it / no log, p99 (req/s)',
          `${fmt(logistic.p99, 2)} / ${fmt(awaited.p99, 2)} / ${fmt(unlogged.p99, 2)} ms (${fmt(logistic.requestsPerSecond)} / ${fmt(awaited.requestsPerSecond)} / ${fmt(unlogged.requestsPerSecond)}); as is − no log ${fmt(logistic.p99 - unlogged.p99, 2)} ms, awaited − no log ${fmt(awaited.p99 - unlogged.p99, 2)} ms`,
          '—',
          '—',
        ]);
      }
      for (const [name, parts] of Object.entries(load.serverTiming)) {
        rows.push([
          `POST /predict ${name}, one request at a time (${parts.client?.n} requests): Server-Timing model / read / score / total, client; p50 (p99) ms`,
          ['model', 'read', 'score', 'total', 'client']
            .map((k) => `${fmt(parts[k]?.p50 ?? Number.NaN, 2)} (${fmt(parts[k]?.p99 ?? Number.NaN, 2)})`)
            .join(' / '),
          '—',
          '—',
        ]);
      }
      rows.push([
        'seed 002 (/work/shared/seeds/002_6b1e345fe6fd431e.txt, Feast + Redis): online read avg / p95; throughput; inference',
        '1.14 / 1.57 ms; ~1,000 req/s; < 20 ms (published, not run here)',
        '—',
        '—',
      ]);
    } finally {
      await stack.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Minutes long, so only when asked for by name: `npm run bench -- soak` (SOAK_RATE, SOAK_SECONDS, SOAK_USERS; bench/soak.ts).
if (selected.has('soak')) {
  const { benchSoak, soakOptionsFromEnv, soakSvg, LAG_SLOPE_LIMIT, RSS_SLOPE_LIMIT_MIB_PER_MINUTE } = await import('./soak.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-bench-soak-'));
  try {
    const options = soakOptionsFromEnv(process.env, dir);
    const s = await benchSoak(options, (line) => process.stderr.write(`${line}\n`));
    results.soak = s;
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      path.join(resultsDir, 'soak.svg'),
      soakSvg(
        s,
        `Soak: ${fmt(options.ratePerSecond)} events/s for ${fmt(options.seconds)} s, ${fmt(options.users)} users, local stack`,
      ),
    );
    const r = s.options.ratePerSecond;
    rows.push([
      `soak ${fmt(r)} events/s × ${fmt(s.options.seconds)} s: put rate achieved / aggregator rate while sending`,
      `${fmt(s.achievedPutRate)} / ${fmt(s.aggregatorRate.sendingEventsPerSecond)} events/s`,
      '—',
      '—',
    ]);
    rows.push([
      '  beside the emulated DynamoDB’s raw UpdateItem rate, same stack, before sending',
      `${fmt(s.rawWritesPerSecond)} writes/s`,
      '—',
      '—',
    ]);
    rows.push([
      '  no loss: every user served exactly the events put for it; lake rows',
      `${fmt(s.final.served)} / ${fmt(s.final.expected)} served (${s.final.usersMismatched} of ${s.final.usersChecked} users off); lake ${s.final.lakeRows === undefined ? 'not checked' : fmt(s.final.lakeRows)}`,
      'all, once',
      verdict(s.verdict.noLoss),
    ]);
    rows.push([
      '  aggregator lag: growth over the second half / at the last put / drained after',
      `${fmt(s.aggregatorLagSlopePerSecond)}/s / ${fmt(s.aggregatorLagAtLastPut)} / ${s.drained ? `${fmt(s.drainedAfterLastPutSeconds ?? 0, 1)} s` : 'not drained'}`,
      `≤ ${fmt(LAG_SLOPE_LIMIT * r)}/s`,
      verdict(s.verdict.boundedLag),
    ]);
    rows.push([
      '  RSS slope over the second half, this process (emulators)',
      `${Object.entries(s.rssSlopeMiBPerMinute)
        .map(([n, v]) => `${n} ${fmt(v, 1)}`)
        .join(', ')} MiB/min`,
      `≤ ${RSS_SLOPE_LIMIT_MIB_PER_MINUTE} MiB/min (ours)`,
      verdict(s.verdict.flatMemory),
    ]);
    rows.push([
      '  event → online freshness under load, p50 / p99 / max',
      `${fmt(s.freshnessMs.p50 / 1000, 1)} / ${fmt(s.freshnessMs.p99 / 1000, 1)} / ${fmt(s.freshnessMs.max / 1000, 1)} s (${s.freshnessMs.n} probes)`,
      '—',
      '—',
    ]);
    rows.push(['  machine load during the soak (1-minute load average, mean)', fmt(s.meanLoad, 1), '—', '—']);
    rows.push([
      "  aggregator's mapping: batch size / batching window",
      `${fmt(s.aggregatorMapping.batchSize)} / ${s.aggregatorMapping.maxBatchingWindowSeconds} s`,
      '—',
      '—',
    ]);
    for (const note of s.verdict.notes) process.stderr.write(`soak: ${note}\n`);
    process.stderr.write(`soak: ${s.verdict.pass ? 'PASS' : 'FAIL'}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`\n${table(['benchmark', 'measured', 'target', ''], rows)}\n`);
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, 'latest.json');
writeFileSync(file, `${JSON.stringify({ ...results, finishedAt: new Date().toISOString() }, null, 2)}\n`);
process.stdout.write(`\nwritten to ${path.relative(process.cwd(), file)}\n`);

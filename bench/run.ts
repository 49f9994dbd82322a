/**
 * `npm run bench`: every benchmark of the project, side by side in one run,
 * printed as a table and written to bench/results/latest.json (plus an SVG
 * latency chart). Not a timed test: targets are reported, never asserted.
 *
 *   npm run bench                 all sections
 *   npm run bench -- aggregator   only some: aggregator, writes, bundles, api, parquet, lake, compaction, e2e
 *   BENCH_PARQUET_ROWS, BENCH_LAKE_DAYS, BENCH_LAKE_PER_DAY   smaller runs (defaults 1,000,000; 90; 50,000)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulators } from '../src/local/emulators.js';
import { benchHotPath, benchWritesPer1000 } from './aggregator.js';
import { asciiHistogram, latencyCdfSvg, logBarsSvg, table } from './stats.js';

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
    rows.push([
      'API handler in-process p50 / p99',
      `${fmt(latency.handler.p50, 2)} / ${fmt(latency.handler.p99, 2)} ms`,
      '—',
      '—',
    ]);
    rows.push(['GET /features over HTTP p50 / p99', `${fmt(latency.http.p50, 2)} / ${fmt(latency.http.p99, 2)} ms`, '—', '—']);
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

/**
 * Online = offline, proven on the local stack: every example workload (and a
 * view of every aggregation kind) sent through the emulated stream with
 * out-of-order, allowed-late, too-late and clock-skewed events, part of it in
 * batches that crash halfway and are retried, or are delivered twice; then
 * `featurelake consistency` reads the API for sampled entities and recomputes
 * the same features from the lake with the generated SQL: 100 % must agree.
 * And the check can fail: an event in the lake that the online store never
 * saw is reported, with exit code 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisClient } from '../../src/aws/clients.js';
import { checkConsistency } from '../../src/cli/commands/consistency.js';
import { resolveLakeTarget } from '../../src/cli/lake-target.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { defineCatalog } from '../../src/features/define.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { consistencyRate, type ViewReport } from '../../src/query/consistency.js';
import { workloads } from '../../src/workloads/index.js';
import { Random } from '../../src/workloads/random.js';
import { cleanEnv, runCli } from '../cli/support.js';
import { everyKind } from '../support/every-kind.js';
import { deliveryFaults } from '../support/faults.js';

const HOUR = 3_600_000;
const catalog = defineCatalog({ ...exampleCatalog, featureViews: [...exampleCatalog.featureViews, everyKind] });

const faults = deliveryFaults();

let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-consistency-'));
  stack = await startLocalStack({
    stateDir: dir,
    catalog,
    mappingOverrides: { maxBatchingWindowSeconds: 1 },
    wrapKinesisHandler: faults.wrap,
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Each workload's events over the last 20 h, sent in shuffled order, with some too late and some from clocks ahead. */
function workloadEvents(seed: number, perWorkload: number): Record<string, unknown>[] {
  const now = Date.now();
  const random = new Random(seed);
  const out: Record<string, unknown>[] = [];
  for (const workload of Object.values(workloads)) {
    const source = catalog.sources.find((s) => s.name === workload.source);
    if (!source) throw new Error(`workload ${workload.name}: source ${workload.source} is not in the catalog`);
    const generated = workload.generate({
      events: perWorkload,
      seed,
      startMs: now - 20 * HOUR,
      ratePerSecond: perWorkload / (20 * 3_600),
      entities: 25,
    });
    for (const event of generated) {
      const e = { ...(event as unknown as Record<string, unknown>) };
      const roll = random.next();
      const time = source.eventTimeField;
      // Too late for the aggregator's day (kept by the lake), or from a clock two minutes ahead.
      if (roll < 0.03) e[time] = new Date(now - 30 * HOUR - random.int(HOUR)).toISOString();
      else if (roll < 0.06) e[time] = new Date(now + 60_000 + random.int(60_000)).toISOString();
      out.push(e);
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j] as Record<string, unknown>, out[i] as Record<string, unknown>];
  }
  return out;
}

async function put(events: readonly Record<string, unknown>[]) {
  const kinesis = kinesisClient(stack.clientEnv);
  for (let i = 0; i < events.length; i += 500) {
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stack.info.resources.streamName,
        Records: events.slice(i, i + 500).map((e) => ({
          Data: Buffer.from(JSON.stringify(e)),
          // The entity key the views read first: user, object, song… (one shard locally either way).
          PartitionKey: String(Object.values(e).find((v) => typeof v === 'string' && v !== e.source) ?? 'x'),
        })),
      }),
    );
    expect(result.FailedRecordCount ?? 0).toBe(0);
  }
}

interface Report {
  rate: number;
  reports: { view: string; entities: number; compared: number; mismatches: unknown[]; inFlight: string[] }[];
}

async function consistency(...args: string[]) {
  const result = await runCli(['consistency', '--state-dir', dir, '--in-flight', '0', '--json', ...args], {
    env: cleanEnv(),
  });
  return { ...result, report: result.stdout ? (JSON.parse(result.stdout) as Report) : undefined };
}

describe('featurelake consistency on the local stack', () => {
  it('agrees 100 % on every view, every kind, after late, too-late, skewed, retried and doubled deliveries', async () => {
    faults.mode = 'crash-halfway';
    await put(workloadEvents(1, 400));
    await stack.drain();
    faults.mode = 'twice';
    await put(workloadEvents(2, 200));
    await stack.drain();
    faults.mode = 'normal';
    await put(workloadEvents(3, 200));
    await stack.drain();
    expect(faults.crashed.size, 'a batch crashed halfway in each consumer').toBe(2);

    // In process, for this catalog's extra view; the CLI is the same function (the next test runs it).
    const target = await resolveLakeTarget({ stateDir: dir }, { sources: catalog.sources });
    let reports: ViewReport[];
    try {
      ({ reports } = await checkConsistency({
        views: catalog.featureViews,
        sample: 12,
        api: { url: stack.info.api.url, key: stack.info.api.key },
        target,
        settleMs: 0,
        inFlightMs: 0,
      }));
    } finally {
      target.close();
    }
    expect(consistencyRate(reports)).toBe(1);
    const byView = new Map(reports.map((r) => [r.view, r]));
    for (const view of catalog.featureViews) {
      const r = byView.get(view.name);
      expect(r?.entities, `${view.name}: entities sampled`).toBeGreaterThan(0);
      expect(r?.compared, `${view.name}: values compared`).toBeGreaterThan(0);
      expect(r?.mismatches, view.name).toEqual([]);
      expect(r?.inFlight, view.name).toEqual([]);
    }
  }, 240_000);

  it('reports an event the lake has and the online store never saw, and exits 1', async () => {
    // An app's log row straight into the lake (an import): the online store never sees imports.
    const file = path.join(dir, 'extra.jsonl');
    const row = {
      timestamp: new Date(Date.now() - HOUR).toISOString(),
      user: 'only-in-the-lake',
      app: 'lake-only-app',
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`metric_${i + 1}`, 1])),
    };
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    const imported = await runCli(['import', file, '--source', 'app_logs', '--state-dir', dir], { env: cleanEnv() });
    expect(imported.code, imported.stderr).toBe(0);
    const { code, report } = await consistency('--view', 'app_metrics', '--sample', '1000', '--settle', '0');
    expect(code).toBe(1);
    expect(report?.rate).toBeLessThan(1);
    const mismatches = report?.reports[0]?.mismatches as { entity: string; feature: string; online: unknown; offline: unknown }[];
    expect(mismatches).toContainEqual({ entity: 'lake-only-app', feature: 'actions_1d', online: 0, offline: 1 });
  }, 120_000);
});

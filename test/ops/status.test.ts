/**
 * `featurelake status` against the embedded local stack: valid and invalid
 * records on the stream, a model published twice, one consumer stopped. The
 * CLI (the real bin, in its own process as an operator runs it) must show
 * exactly what was put in: quarantine counts by consumer and reason, the
 * events a hard expectation refused, the models' aliases and versions, no lag where the
 * consumer drained and the stopped one's lag in records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import type { DriftReport, DriftRow } from '../../src/drift/job.js';
import { writeDriftReport } from '../../src/drift/results.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { publishVersion, setAlias } from '../../src/models/registry.js';
import { brokenExpectation } from '../../src/ops/quarantine-summary.js';
import { formatDuration, renderStatus, type StatusReport } from '../../src/ops/status.js';
import { runCli } from '../cli/support.js';
import { clickstreamInput, logisticArtifact } from '../support/artifacts.js';
import { clickEvents } from '../support/events.js';
import { putOnStream } from '../support/stream.js';

let stack: LocalStack;
let dir: string;
const startedAt = Date.now();

const model = logisticArtifact('status_model', [clickstreamInput('views_24h', 5, 2)], [0.3], -0.7);

const invalid = {
  not_json: ['{nope', 'plain text', '[1,'],
  schema_violation: [
    { source: 'clickstream', event_id: 'bad-1', user_id: 42, event_type: 'click', event_time: new Date().toISOString() },
    { source: 'clickstream', event_id: 'bad-2', event_type: 'click' },
  ],
  unknown_source: [{ source: 'no_such_source', id: 1 }],
  // Clickstream's hard expectation price_plausible (src/features/catalog.ts): a price of at most 1e9.
  expectation_failed: clickEvents({ count: 2, users: 1, nowMs: Date.now(), spanMs: 60_000, seed: 9 }).map((e) => ({
    ...e,
    event_type: 'purchase',
    price: 2_000_000_000,
  })),
};

const HOUR = 3_600_000;
const driftRow = (feature: string, psi: number, breached: boolean): DriftRow => ({
  feature,
  kind: feature === '__score__' ? 'score' : 'numeric',
  n: 500,
  nulls: 0,
  ks: 0.05,
  psi,
  chi2: null,
  pValue: null,
  thresholdPsi: 0.2,
  thresholdKs: 0.1,
  thresholdP: null,
  judged: true,
  breached,
});
/** Two drift runs of the model: the status shows the later one only. */
const windowEnd = Math.floor(Date.now() / HOUR) * HOUR;
const driftRuns: DriftReport[] = [
  { window: { fromMs: windowEnd - 2 * HOUR, toMs: windowEnd - HOUR }, rows: [driftRow('views_24h', 0.9, true)] },
  {
    window: { fromMs: windowEnd - HOUR, toMs: windowEnd },
    rows: [driftRow('views_24h', 0.05, false), driftRow('__score__', 0.3, true)],
  },
].map((r) => ({
  model: 'status_model',
  version: '2',
  runAt: windowEnd,
  predictions: 500,
  minCount: 100,
  skipped: [],
  breaches: 1,
  ...r,
}));

const put = (payloads: readonly unknown[]) => putOnStream(stack, payloads);

async function status(...args: string[]) {
  const result = await runCli(['status', '--state-dir', dir, ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}
const report = async () => JSON.parse(await status('--json')) as StatusReport & { consumers: { lastBatchAt?: string }[] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-status-'));
  stack = await startLocalStack({ stateDir: dir, mappingOverrides: { maxBatchingWindowSeconds: 1 } });
  await put(Object.values(invalid).flat());
  await put(clickEvents({ count: 20, users: 5, nowMs: Date.now(), spanMs: 600_000, seed: 7 }));
  await stack.drain();
  const store = { s3: s3Client(stack.clientEnv), bucket: stack.info.resources.modelsBucket as string };
  const v1 = await publishVersion(store, model);
  const v2 = await publishVersion(store, model);
  await setAlias(store, model.name, 'current', v2.version, 'test');
  await setAlias(store, model.name, 'shadow', v1.version, 'test');
  const lake = {
    put: async (key: string, body: Uint8Array) => {
      await store.s3.send(new PutObjectCommand({ Bucket: stack.info.resources.lakeBucket, Key: key, Body: body }));
    },
  };
  for (const run of driftRuns) await writeDriftReport(lake, run);
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('featurelake status on the local stack', () => {
  it('counts the quarantine by consumer and reason, and the expectation failures once', async () => {
    const r = await report();
    const expected = Object.entries(invalid).flatMap(([reason, records]) =>
      ['aggregator', 'lake-writer'].map((consumer) => ({ consumer, reason, records: records.length })),
    );
    const key = (q: { consumer: string; reason: string }) => `${q.consumer} ${q.reason}`;
    expect([...r.quarantine].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
    // Both consumers quarantined each: counted once.
    expect(r.expectationFailures).toEqual([{ source: 'clickstream', expectation: 'price_plausible', records: 2 }]);
    expect(r.quarantineWindow).toBe('today (UTC)');
  });

  it('shows each model’s aliases and versions', async () => {
    expect((await report()).models).toEqual([{ name: 'status_model', versions: 2, current: '2', shadow: '1' }]);
  });

  it('shows each model’s latest drift run from the lake', async () => {
    expect((await report()).driftRuns).toEqual([
      {
        model: 'status_model',
        version: '2',
        windowEnd: new Date(windowEnd).toISOString(),
        judged: 2,
        breached: ['__score__'],
        maxPsi: 0.3,
      },
    ]);
  });

  it('shows no lag once both consumers drained, and when each last got somewhere', async () => {
    const r = await report();
    expect(r.consumers.map((c) => [c.name, c.lagRecords, c.lagMs])).toEqual([
      ['aggregator', 0, 0],
      ['lake-writer', 0, 0],
    ]);
    for (const c of r.consumers) {
      const last = Date.parse(c.lastBatchAt as string);
      expect(last).toBeGreaterThanOrEqual(startedAt - 1_000);
      expect(last).toBeLessThanOrEqual(Date.now());
    }
  });

  it('shows a stopped consumer’s lag in records, and the one that kept up at none', async () => {
    await Promise.all(stack.mappingsOf('lake-writer').map((m) => m.stop()));
    const before = Date.now();
    await put(clickEvents({ count: 7, users: 3, nowMs: Date.now(), spanMs: 60_000, seed: 8 }));
    await Promise.all(stack.mappingsOf('aggregator').map((m) => m.drain()));
    const r = await report();
    const byName = Object.fromEntries(r.consumers.map((c) => [c.name, c]));
    expect(byName.aggregator?.lagRecords).toBe(0);
    expect(byName['lake-writer']?.lagRecords).toBe(7);
    // The iterator age is the oldest waiting record's: it arrived after `before`.
    expect(byName['lake-writer']?.lagMs).toBeGreaterThan(0);
    expect(byName['lake-writer']?.lagMs).toBeLessThanOrEqual(Date.now() - before + 1_000);
  });

  it('prints one screen of aligned text, without colour off a terminal', async () => {
    const screen = await status();
    expect(screen).toMatch(/^featurelake status: local stack \(dev\)/);
    expect(screen).not.toContain('\u001b[');
    expect(screen).toMatch(/\n {2}lake-writer +7 +\S/);
    expect(screen).toMatch(/\n {2}aggregator +not_json +3\n/);
    expect(screen).toMatch(/\n {2}clickstream +price_plausible +2\n/);
    expect(screen).toMatch(/\n {2}status_model +2 +1 +2\n/);
    expect(screen).toMatch(/\n {2}status_model +2 +\S+ \S+ \(.* ago\) +2 +__score__ +0\.300\n/);
    expect(screen.split('\n').length).toBeLessThan(60);
  });

  it('refuses --stack without --aws, and a bad --days, with exit 2', async () => {
    expect((await runCli(['status', '--state-dir', dir, '--stack', 'featurelake-dev'])).code).toBe(2);
    expect((await runCli(['status', '--state-dir', dir, '--days', '0'])).code).toBe(2);
  });
});

describe('featurelake status of a deployed environment', () => {
  // CloudFormation and CloudWatch answer as AWS would for a deployed stack; S3 is the local stack's (its buckets
  // stand for the outputs'), so the quarantine and model figures are read, not stubbed.
  const sent: string[] = [];
  const now = new Date();
  const minute = (ago: number) => new Date(now.getTime() - ago * 60_000);
  const cloudFormation = {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      if (command.constructor.name === 'DescribeStacksCommand') {
        const outputs = {
          EnvName: 'prod',
          Region: 'eu-west-1',
          QuarantineBucketName: stack.info.resources.quarantineBucket,
          LakeBucketName: stack.info.resources.lakeBucket,
        };
        return {
          Stacks: [
            {
              Outputs: [
                ...Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
                { OutputKey: 'ModelsBucketName', OutputValue: stack.info.resources.modelsBucket },
              ],
            },
          ],
        };
      }
      return {
        StackResources: [
          {
            LogicalResourceId: 'AggregatorFunction1A2B3C4D',
            ResourceType: 'AWS::Lambda::Function',
            PhysicalResourceId: 'agg-fn',
          },
          { LogicalResourceId: 'AggregatorFunctionRoleAAAA1111', ResourceType: 'AWS::IAM::Role', PhysicalResourceId: 'role' },
          { LogicalResourceId: 'LakeWriterFunction5E6F7A8B', ResourceType: 'AWS::Lambda::Function', PhysicalResourceId: 'lw-fn' },
        ],
      };
    },
  };
  let metricQueries: { Id: string; MetricStat: { Metric: { Dimensions: { Name: string; Value: string }[] } } }[] = [];
  const cloudWatch = {
    send: async (command: { constructor: { name: string }; input: any }) => {
      sent.push(command.constructor.name);
      if (command.constructor.name === 'GetMetricDataCommand') {
        metricQueries = command.input.MetricDataQueries;
        return {
          MetricDataResults: [
            { Id: 'age0', Timestamps: [minute(1), minute(2)], Values: [1_200, 90_000] },
            { Id: 'records0', Timestamps: [minute(1), minute(2)], Values: [0, 500] },
            { Id: 'age1', Timestamps: [], Values: [] },
            { Id: 'records1', Timestamps: [minute(7)], Values: [3] },
          ],
        };
      }
      const page = command.input.NextToken === undefined ? 0 : 1;
      return page === 0
        ? {
            MetricAlarms: [{ AlarmName: 'featurelake-prod-api-5xx', StateValue: 'OK' }],
            NextToken: 't',
          }
        : {
            MetricAlarms: [
              { AlarmName: 'featurelake-prod-drift-purchase-propensity', StateValue: 'ALARM', StateUpdatedTimestamp: minute(30) },
            ],
          };
    },
  };

  it('reads the stack, its consumers’ metrics and every alarm, drift ones apart', async () => {
    const { collectDeployedStatus } = await import('../../src/ops/deployed-status.js');
    const r = await collectDeployedStatus(
      { cloudFormation: cloudFormation as never, cloudWatch: cloudWatch as never, s3: s3Client(stack.clientEnv) },
      { stackName: 'featurelake-prod', now: () => now },
    );
    expect(r.target).toBe('featurelake-prod (eu-west-1)');
    // The newest minute's iterator age; the last minute with records; no IteratorAge at all is caught up.
    expect(r.consumers).toEqual([
      { name: 'aggregator', lagMs: 1_200, lastBatchAt: minute(2) },
      { name: 'lake-writer', lagMs: 0, lastBatchAt: minute(7) },
    ]);
    expect(metricQueries.find((q) => q.Id === 'age0')?.MetricStat.Metric.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'agg-fn' },
    ]);
    expect(metricQueries.find((q) => q.Id === 'records1')?.MetricStat.Metric.Dimensions).toEqual([
      { Name: 'service', Value: 'lake-writer' },
      { Name: 'environment', Value: 'prod' },
    ]);
    expect(r.alarms?.map((a) => [a.name, a.state])).toEqual([
      ['featurelake-prod-api-5xx', 'OK'],
      ['featurelake-prod-drift-purchase-propensity', 'ALARM'],
    ]);
    expect(r.drift.map((a) => a.name)).toEqual(['featurelake-prod-drift-purchase-propensity']);
    expect(r.driftRuns?.map((d) => [d.model, d.breached])).toEqual([['status_model', ['__score__']]]);
    expect(r.models).toEqual([{ name: 'status_model', versions: 2, current: '2', shadow: '1' }]);
    expect(r.quarantine.find((q) => q.consumer === 'aggregator' && q.reason === 'not_json')?.records).toBe(3);
    expect(sent.filter((c) => c === 'DescribeAlarmsCommand')).toHaveLength(2);
    expect(renderStatus(r)).toMatch(
      /Alarms: 1 OK, 1 not OK\n {2}alarm +state +since\n {2}featurelake-prod-drift-purchase-propensity +ALARM/,
    );
  });
});

describe('the screen', () => {
  const at = new Date('2026-11-28T12:00:00Z');
  const base: StatusReport = {
    target: 'featurelake-prod (eu-west-1)',
    at,
    consumers: [{ name: 'aggregator', lagMs: 1_500, lastBatchAt: new Date('2026-11-28T11:59:58Z') }],
    quarantineWindow: 'today (UTC)',
    quarantine: [],
    expectationFailures: [],
    models: [],
    alarms: [
      { name: 'featurelake-prod-api-5xx', state: 'ALARM', since: new Date('2026-11-28T11:50:00Z') },
      { name: 'featurelake-prod-aggregator-errors', state: 'OK' },
    ],
    drift: [],
    notes: [],
  };

  it('colours alarms only when asked, and lists only those not OK', () => {
    const plain = renderStatus(base);
    expect(plain).toContain('Alarms: 1 OK, 1 not OK');
    expect(plain).toMatch(/featurelake-prod-api-5xx +ALARM +2026-11-28 11:50:00Z \(10 min 0 s ago\)/);
    expect(plain).not.toContain('aggregator-errors');
    expect(plain).toMatch(/aggregator +— +1\.5 s +2026-11-28 11:59:58Z \(2\.0 s ago\)/);
    expect(renderStatus(base, { color: true })).toContain('\u001b[31m');
  });

  it('formats durations as an operator reads them', () => {
    expect([0, 850, 12_400, 185_000, 7_800_000].map(formatDuration)).toEqual([
      '0 ms',
      '850 ms',
      '12.4 s',
      '3 min 5 s',
      '2 h 10 min',
    ]);
  });

  it('reads the expectation from the record, else from its detail', () => {
    expect(brokenExpectation({ reason: 'expectation_failed', expectation: 'a', detail: 'expectation:b: x' })).toBe('a');
    expect(brokenExpectation({ reason: 'expectation_failed', detail: 'expectation:b: x' })).toBe('b');
    expect(brokenExpectation({ reason: 'late_event', detail: 'expectation:b: x' })).toBeUndefined();
  });
});

/**
 * docs/deploy.md's per-environment table is the config rendered: this test
 * renders lib/config/environments.ts and fails (printing the table to paste)
 * when the document has drifted. Cells are compared trimmed: the formatter pads them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentConfig } from '../../lib/config/environments.js';
import { quarantineRetention } from '../../lib/constructs/defaults.js';

const n = (value: number) => value.toLocaleString('en-US');

const ROWS: [string, (c: EnvironmentConfig) => string][] = [
  [
    'Stream capacity',
    (c) => (c.stream.capacityMode === 'PROVISIONED' ? `provisioned, ${c.stream.shardCount} shard(s)` : 'on-demand'),
  ],
  ['Stream retention', (c) => `${n(c.stream.retentionHours)} h`],
  [
    'Online store capacity',
    (c) => {
      const billing = c.onlineStore.billing;
      if (billing === 'onDemand') return 'on-demand';
      const range = (r: { min: number; max: number; targetUtilizationPercent: number }) =>
        `${n(r.min)}–${n(r.max)} at ${r.targetUtilizationPercent} %`;
      return `provisioned, auto scaled: reads ${range(billing.provisioned.read)}, writes ${range(billing.provisioned.write)}`;
    },
  ],
  ['Batch size / batching window', (c) => `${n(c.aggregator.batchSize)} / ${c.aggregator.maxBatchingWindowSeconds} s`],
  ['Retries / max record age', (c) => `${n(c.aggregator.retryAttempts)} / ${n(c.aggregator.maxRecordAgeSeconds)} s`],
  ['Aggregator memory / timeout', (c) => `${n(c.aggregator.memoryMb)} MB / ${c.aggregator.timeoutSeconds} s`],
  ['API auth', (c) => (c.api.auth === 'iam' ? 'API key + IAM (SigV4)' : 'API key')],
  ['Throttle per key (rate / burst)', (c) => `${n(c.api.throttle.rateLimit)} req/s, burst ${n(c.api.throttle.burstLimit)}`],
  ['Quota per key', (c) => `${n(c.api.quota.limit)} / ${c.api.quota.period.toLowerCase()}`],
  [
    'Lake batch size / window, codec',
    (c) => `${n(c.lake.batchSize)} / ${c.lake.maxBatchingWindowSeconds} s, ${c.lake.compression}`,
  ],
  [
    'Lake lifecycle (IA, Glacier IR, expiry)',
    (c) =>
      [c.lake.infrequentAccessAfterDays, c.lake.glacierAfterDays, c.lake.expireAfterDays]
        .map((days) => (days === undefined ? 'never' : `${days} d`))
        .join(', '),
  ],
  [
    'Lake compaction',
    (c) =>
      c.lake.compaction.frequency === 'hourly'
        ? `hourly, today + ${c.lake.compaction.daysBack} day(s) back`
        : `daily at ${String(c.lake.compaction.hourOfDay).padStart(2, '0')}:00 UTC, ${c.lake.compaction.daysBack} day(s) back`,
  ],
  ['Athena bytes scanned cutoff / query', (c) => `${n(c.athena.bytesScannedCutoffPerQuery / 1024 ** 3)} GiB`],
  ['Log retention', (c) => `${n(c.logRetentionDays)} days`],
  [
    'Table, buckets, stream on stack delete',
    (c) => (c.retainData ? 'retained (+ table deletion protection)' : 'deleted (buckets emptied)'),
  ],
  ['Quarantine expiry', (c) => `${quarantineRetention(c.retainData).toDays()} days`],
  ['Alarm: iterator age ≥', (c) => `${n(c.alarms.iteratorAgeMs)} ms`],
  ['Alarm: quarantined records / 5 min ≥', (c) => n(c.alarms.quarantinedPer5Min)],
  ['Alarm: errors per function / 5 min ≥', (c) => n(c.alarms.functionErrorsPer5Min)],
  ['Alarm: API 5xx / 5 min ≥', (c) => n(c.alarms.api5xxPer5Min)],
];

/** The table as rows of cells: the header, then one row per setting. */
function expectedRows(): string[][] {
  return [
    ['setting', ...ENVIRONMENT_NAMES],
    ...ROWS.map(([label, cell]) => [label, ...ENVIRONMENT_NAMES.map((e) => cell(ENVIRONMENTS[e]))]),
  ];
}

/** The rows of the markdown table that starts with `| setting |`, whatever its padding. */
function documentedRows(doc: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^\|\s*setting\s*\|/.test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .filter((l) => !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

it('docs/deploy.md shows the environments as lib/config/environments.ts defines them', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/deploy.md'), 'utf8');
  const expected = expectedRows();
  const markdown = expected.map((r) => `| ${r.join(' | ')} |`);
  markdown.splice(1, 0, `|${expected[0]?.map(() => '---').join('|')}|`);
  expect(documentedRows(doc), `paste into docs/deploy.md:\n\n${markdown.join('\n')}\n`).toEqual(expected);
});

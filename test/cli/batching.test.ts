import { describe, expect, it } from 'vitest';
import { BatchBuilder, type OutgoingRecord, RecordTooLargeError, toBatches } from '../../src/aws/put-records/batches.js';
import { backoffMs, PutRecordsFailedError, type PutRecordsResult, putWithRetry } from '../../src/aws/put-records/retry.js';
import { StreamSender } from '../../src/cli/kinesis/stream-sender.js';

// Limits written out here rather than imported, so the test checks the numbers too.
const MAX_RECORDS = 500;
const MAX_REQUEST = 5 * 1024 * 1024;
const MAX_RECORD = 1024 * 1024;

const record = (dataBytes: number, partitionKey = 'k', tag = 0): OutgoingRecord => ({
  data: new Uint8Array(dataBytes).fill(tag % 256),
  partitionKey,
});
const size = (r: OutgoingRecord) => r.data.byteLength + new TextEncoder().encode(r.partitionKey).byteLength;
const total = (batch: readonly OutgoingRecord[]) => batch.reduce((sum, r) => sum + size(r), 0);

describe('PutRecords batching', () => {
  it('cuts at 500 records', () => {
    const batches = toBatches(Array.from({ length: 1_234 }, (_, i) => record(100, `user_${i}`)));
    expect(batches.map((b) => b.length)).toEqual([500, 500, 234]);
  });

  it('cuts at 5 MiB of data plus partition keys, counting keys in UTF-8 bytes', () => {
    // 900 KiB + a 1-byte key: 5 fit (4.39 MiB), a 6th would make 5.27 MiB.
    const big = Array.from({ length: 12 }, () => record(900 * 1024));
    expect(toBatches(big).map((b) => b.length)).toEqual([5, 5, 2]);

    // Exactly 1 MiB each with the key: five make exactly 5 MiB, which is allowed.
    const exact = Array.from({ length: 6 }, () => record(MAX_RECORD - 1, 'k'));
    expect(toBatches(exact).map((b) => b.length)).toEqual([5, 1]);

    // A 2-byte key ('é') tips the same data over the per-record limit.
    expect(() => toBatches([record(MAX_RECORD - 1, 'é')])).toThrow(RecordTooLargeError);
  });

  it('rejects a record over 1 MiB, naming where it came from', () => {
    const builder = new BatchBuilder();
    expect(() => builder.add({ ...record(MAX_RECORD), origin: 'events.jsonl:7' })).toThrow(/events\.jsonl:7.*1048577 bytes/);
  });

  it('packs greedily and in order for mixed sizes', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const records = Array.from({ length: 3_000 }, (_, i) =>
      record(next() < 0.01 ? Math.floor(next() * (MAX_RECORD - 20)) : Math.floor(next() * 20_000), `key-${i}`, i),
    );
    const batches = toBatches(records);
    expect(batches.flat()).toEqual(records);
    batches.forEach((batch, i) => {
      expect(batch.length).toBeLessThanOrEqual(MAX_RECORDS);
      expect(total(batch)).toBeLessThanOrEqual(MAX_REQUEST);
      const following = batches[i + 1]?.[0];
      // Greedy: a batch was closed only because the next record did not fit.
      if (following) expect(batch.length === MAX_RECORDS || total(batch) + size(following) > MAX_REQUEST).toBe(true);
    });
  });
});

/** A fake PutRecords that fails the entries whose tag is in `failing(attempt)`. */
function flakyPut(failing: (attempt: number) => ReadonlySet<number>) {
  const calls: number[][] = [];
  const put = async (records: readonly OutgoingRecord[]): Promise<PutRecordsResult> => {
    const tags = records.map((r) => r.data[0] as number);
    calls.push(tags);
    const bad = failing(calls.length);
    const entries = tags.map((t) =>
      bad.has(t) ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' } : {},
    );
    return { FailedRecordCount: entries.filter((e) => 'ErrorCode' in e).length, Records: entries };
  };
  return { put, calls };
}

describe('retrying partial failures', () => {
  const records = Array.from({ length: 10 }, (_, i) => record(10, 'k', i));

  it('resends only the failed entries, in order, with growing jittered delays', async () => {
    const { put, calls } = flakyPut((attempt) => new Set(attempt === 1 ? [2, 5, 7] : attempt === 2 ? [5] : []));
    const delays: number[] = [];
    const outcome = await putWithRetry(records, put, {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 10_000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(calls).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 5, 7], [5]]);
    expect(outcome).toEqual({ calls: 3, retriedRecords: 4 });
    // Full jitter: random × min(max, base · 2^(n−1)).
    expect(delays).toEqual([50, 100]);
  });

  it('gives up after maxAttempts, reporting the records that still failed', async () => {
    const { put, calls } = flakyPut(() => new Set([3, 4]));
    const error = await putWithRetry(records, put, {
      maxAttempts: 4,
      baseDelayMs: 1,
      maxDelayMs: 1,
      sleep: async () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutRecordsFailedError);
    const failure = error as PutRecordsFailedError;
    expect(failure.failed.map((r) => r.data[0])).toEqual([3, 4]);
    expect(failure.errorCodes).toEqual({ ProvisionedThroughputExceededException: 2 });
    expect(failure.message).toMatch(/^2 record\(s\) still failed after 4 attempts/);
    expect(calls).toHaveLength(4);
  });

  it('caps the backoff at maxDelayMs', () => {
    const policy = { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 5_000 };
    expect(backoffMs(1, policy, () => 0.999)).toBeLessThan(100);
    expect(backoffMs(10, policy, () => 1)).toBe(5_000);
  });
});

describe('StreamSender', () => {
  it('sends every record once, in batches, counting retries', async () => {
    const many = Array.from({ length: 1_200 }, (_, i) => record(10, `k${i}`, i % 250));
    const { put, calls } = flakyPut((attempt) => new Set(attempt === 1 ? [0] : []));
    const sender = new StreamSender(put, { concurrency: 2, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    for (const r of many) await sender.add(r);
    const stats = await sender.close();
    expect(stats.records).toBe(1_200);
    expect(stats.batches).toBe(3);
    // The first call failed the two records tagged 0 in its 500; one retry resent both.
    expect(stats.retries).toBe(1);
    expect(stats.retriedRecords).toBe(2);
    expect(calls.map((c) => c.length).sort((a, b) => a - b)).toEqual([2, 200, 500, 500]);
  });

  it('surfaces a batch that fails for good, with the failed count', async () => {
    const { put } = flakyPut(() => new Set([1]));
    const sender = new StreamSender(put, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    for (let i = 0; i < 20; i++) await sender.add(record(10, 'k', i));
    await expect(sender.close()).rejects.toBeInstanceOf(PutRecordsFailedError);
    expect(sender.stats).toMatchObject({ records: 19, failedRecords: 1 });
  });
});

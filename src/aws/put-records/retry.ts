/**
 * PutRecords with retries of partial failures. Kinesis accepts a request but
 * may reject some of its entries (throttling, internal errors), reporting them
 * with FailedRecordCount > 0 and an ErrorCode per failed entry. Only those
 * entries are resent, after an exponentially growing, fully jittered delay
 * (so concurrent senders do not retry in lockstep), for a bounded number of
 * attempts. Whole-request errors are left to the SDK's own retry strategy.
 */
import type { OutgoingRecord } from './batches.js';

/** The part of a PutRecords response this module reads (structurally the SDK's PutRecordsOutput). */
export interface PutRecordsResult {
  readonly FailedRecordCount?: number;
  readonly Records?: readonly { readonly ErrorCode?: string; readonly ErrorMessage?: string }[];
}

export type PutRecords = (records: readonly OutgoingRecord[]) => Promise<PutRecordsResult>;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export interface PutOutcome {
  /** PutRecords calls made for this batch, the first included. */
  readonly calls: number;
  /** Entries resent, summed over the retries. */
  readonly retriedRecords: number;
}

export class PutRecordsFailedError extends Error {
  constructor(
    readonly failed: readonly OutgoingRecord[],
    readonly errorCodes: Readonly<Record<string, number>>,
    readonly attempts: number,
  ) {
    const codes = Object.entries(errorCodes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    super(`${failed.length} record(s) still failed after ${attempts} attempts (${codes})`);
    this.name = 'PutRecordsFailedError';
  }
}

/** Delay before retry number `retry` (1-based): uniform in [0, min(max, base · 2^(retry−1))]. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function putWithRetry(
  records: readonly OutgoingRecord[],
  put: PutRecords,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<PutOutcome> {
  const sleep = policy.sleep ?? defaultSleep;
  let pending = records;
  let retriedRecords = 0;
  for (let attempt = 1; ; attempt++) {
    const result = await put(pending);
    if (!result.FailedRecordCount) return { calls: attempt, retriedRecords };
    const entries = result.Records ?? [];
    if (entries.length !== pending.length) {
      throw new Error(`PutRecords answered ${entries.length} entries for ${pending.length} records`);
    }
    const failed: OutgoingRecord[] = [];
    const codes: Record<string, number> = {};
    entries.forEach((entry, i) => {
      if (entry.ErrorCode === undefined) return;
      failed.push(pending[i] as OutgoingRecord);
      codes[entry.ErrorCode] = (codes[entry.ErrorCode] ?? 0) + 1;
    });
    // A count with no flagged entry is nothing we could resend.
    if (failed.length === 0) return { calls: attempt, retriedRecords };
    if (attempt >= policy.maxAttempts) throw new PutRecordsFailedError(failed, codes, attempt);
    await sleep(backoffMs(attempt, policy, policy.random));
    pending = failed;
    retriedRecords += failed.length;
  }
}

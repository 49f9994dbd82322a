/**
 * Packs records into PutRecords requests within Kinesis' limits: at most 500
 * records and 5 MiB per request, at most 1 MiB per record, where a record's
 * size is its data plus its partition key (UTF-8). Pure: no AWS types.
 */

export const MiB = 1024 * 1024;

export const PUT_RECORDS_LIMITS = {
  maxRecords: 500,
  maxRequestBytes: 5 * MiB,
  maxRecordBytes: 1 * MiB,
} as const;

export type BatchLimits = { readonly [K in keyof typeof PUT_RECORDS_LIMITS]: number };

export interface OutgoingRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** Where it came from (e.g. "events.jsonl:42"), for error messages. */
  readonly origin?: string;
}

export function recordBytes(record: OutgoingRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

export class RecordTooLargeError extends Error {
  constructor(
    readonly record: OutgoingRecord,
    readonly bytes: number,
    limit: number,
  ) {
    super(
      `${record.origin ? `${record.origin}: ` : ''}record is ${bytes} bytes with its partition key, over the ${limit}-byte Kinesis record limit`,
    );
    this.name = 'RecordTooLargeError';
  }
}

/** Accumulates records; hands back a full batch whenever the next record would not fit. */
export class BatchBuilder {
  private records: OutgoingRecord[] = [];
  private bytes = 0;

  constructor(private readonly limits: BatchLimits = PUT_RECORDS_LIMITS) {}

  get size(): number {
    return this.records.length;
  }

  /** Adds `record`; returns the batch it closed, if adding it had to start a new one. */
  add(record: OutgoingRecord): OutgoingRecord[] | undefined {
    const bytes = recordBytes(record);
    if (bytes > this.limits.maxRecordBytes) throw new RecordTooLargeError(record, bytes, this.limits.maxRecordBytes);
    let closed: OutgoingRecord[] | undefined;
    if (this.records.length >= this.limits.maxRecords || this.bytes + bytes > this.limits.maxRequestBytes) {
      closed = this.take();
    }
    this.records.push(record);
    this.bytes += bytes;
    return closed;
  }

  /** The open batch (possibly empty); starts a new one. */
  take(): OutgoingRecord[] {
    const batch = this.records;
    this.records = [];
    this.bytes = 0;
    return batch;
  }
}

/** All of `records` as batches, in order. */
export function toBatches(records: Iterable<OutgoingRecord>, limits: BatchLimits = PUT_RECORDS_LIMITS): OutgoingRecord[][] {
  const builder = new BatchBuilder(limits);
  const batches: OutgoingRecord[][] = [];
  for (const record of records) {
    const closed = builder.add(record);
    if (closed) batches.push(closed);
  }
  const last = builder.take();
  if (last.length > 0) batches.push(last);
  return batches;
}

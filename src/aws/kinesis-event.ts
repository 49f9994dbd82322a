/** The Lambda Kinesis event's records as the domain's stream records (shared by every stream consumer). */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { StreamRecord } from '../domain/records.js';

export function toStreamRecord(record: KinesisStreamRecord): StreamRecord {
  return {
    data: record.kinesis.data,
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    // eventID is `<shard id>:<sequence number>`.
    shardId: record.eventID.slice(0, record.eventID.indexOf(':')),
    arrivalTimeMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  };
}

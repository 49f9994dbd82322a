/**
 * The prediction log on its own: batches of PutRecords, the failed entries of a partial failure
 * kept and written by the next flush, a whole-call failure kept, the overflow past `maxBuffered`
 * handed over (and counted) rather than dropped, and the streamed response's order: the caller's
 * response ends before the flush starts, and the invocation ends after it.
 */
import { PassThrough } from 'node:stream';
import type { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { streamingHandler, writeStreamedResponse } from '../../src/aws/stream-response.js';
import { PredictionLog, type PredictionRecord } from '../../src/models/prediction-log.js';

const record = (i: number): PredictionRecord => ({
  source: 'predictions',
  timestamp: '2026-11-28T12:00:00.000Z',
  prediction_id: `p${i}`,
  request_id: 'r1',
  model_name: 'm',
  model_version: '1',
  entity_type: 'user',
  entity_id: `u${i}`,
  label: '1',
  score: 0.5,
  inference_time_ms: 1,
  features: '{}',
  shadow: false,
  environment: 'test',
  backend: 'logistic',
});

/** A stream that accepts entries unless `reject(id)` says otherwise; remembers what it accepted. */
function fakeStream(reject: (id: string, call: number) => 'entry' | 'call' | undefined) {
  const accepted: string[] = [];
  let calls = 0;
  return {
    accepted,
    send: async (command: PutRecordsCommand) => {
      calls++;
      const entries = command.input.Records ?? [];
      const ids = entries.map(
        (e) => (JSON.parse(Buffer.from(e.Data as Uint8Array).toString()) as PredictionRecord).prediction_id,
      );
      if (ids.some((id) => reject(id, calls) === 'call')) throw Object.assign(new Error('down'), { name: 'ServiceUnavailable' });
      const results = ids.map((id) =>
        reject(id, calls) === 'entry' ? { ErrorCode: 'ProvisionedThroughputExceededException' } : {},
      );
      for (const [i, id] of ids.entries()) if (!results[i]?.ErrorCode) accepted.push(id);
      return { FailedRecordCount: results.filter((r) => r.ErrorCode).length, Records: results };
    },
  };
}

const noWait = { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 };

describe('PredictionLog', () => {
  it('writes every record once, keeping what the stream refused for the next flush', async () => {
    let down = true;
    const stream = fakeStream((id) => (down && (id === 'p1' || id === 'p3') ? 'entry' : undefined));
    const errors: number[] = [];
    const log = new PredictionLog({
      kinesis: stream as never,
      streamName: 's',
      retry: noWait,
      onFlushError: (_e, kept) => errors.push(kept),
    });
    log.add([0, 1, 2, 3, 4].map(record));
    await log.flush();
    expect(log.counts()).toEqual({ buffered: 2, written: 3, failed: 0, failedFlushes: 1 });
    expect(errors).toEqual([2]);
    down = false;
    log.add([record(5)]);
    await log.flush();
    expect(log.counts()).toEqual({ buffered: 0, written: 6, failed: 0, failedFlushes: 1 });
    expect([...stream.accepted].sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('keeps a batch whose call failed outright, and hands over the oldest past maxBuffered, counted', async () => {
    let down = true;
    const stream = fakeStream(() => (down ? 'call' : undefined));
    const overflow: string[] = [];
    const log = new PredictionLog({
      kinesis: stream as never,
      streamName: 's',
      retry: noWait,
      maxBuffered: 4,
      onOverflow: (records) => overflow.push(...records.map((r) => r.prediction_id)),
    });
    log.add([0, 1, 2].map(record));
    await log.flush();
    expect(log.counts()).toMatchObject({ buffered: 3, written: 0, failed: 0 });
    log.add([3, 4, 5].map(record));
    expect(overflow).toEqual(['p0', 'p1']);
    expect(log.counts()).toMatchObject({ buffered: 4, failed: 2 });
    down = false;
    await log.flush();
    expect(stream.accepted).toEqual(['p2', 'p3', 'p4', 'p5']);
    expect(log.counts()).toEqual({ buffered: 0, written: 4, failed: 2, failedFlushes: 1 });
  });

  it('lets concurrent flushes write each record once', async () => {
    const stream = fakeStream(() => undefined);
    const log = new PredictionLog({ kinesis: stream as never, streamName: 's', retry: noWait });
    log.add([0, 1].map(record));
    const first = log.flush();
    log.add([2].map(record));
    await Promise.all([first, log.flush()]);
    expect([...stream.accepted].sort()).toEqual(['p0', 'p1', 'p2']);
  });
});

describe('streamed response', () => {
  it('ends the response before the work after it starts', async () => {
    const order: string[] = [];
    const sink = new PassThrough();
    let written = '';
    sink.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    sink.on('finish', () => order.push('response ended'));
    const runtime = {
      HttpResponseStream: {
        from: (stream: PassThrough, metadata: { statusCode: number; headers?: Record<string, string> }) => {
          // As the runtime does: the metadata as JSON, eight NUL bytes, then the body.
          stream.write(`${JSON.stringify(metadata)}\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000`);
          return stream;
        },
      },
    };
    await writeStreamedResponse(runtime as never, sink, { statusCode: 200, headers: { 'x-a': 'b' }, body: '{"ok":true}' });
    order.push('after response');
    expect(order).toEqual(['response ended', 'after response']);
    expect(written).toBe('{"statusCode":200,"headers":{"x-a":"b"}}\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000{"ok":true}');
  });

  it('runs the work after the response within the invocation: the handler settles only once it is done', async () => {
    const order: string[] = [];
    const sink = new PassThrough();
    sink.resume();
    sink.on('finish', () => order.push('response ended'));
    let streaming: ((event: unknown, stream: PassThrough) => Promise<void>) | undefined;
    const runtime = {
      streamifyResponse: (h: typeof streaming) => {
        streaming = h;
        return h;
      },
      HttpResponseStream: { from: (stream: PassThrough) => stream },
    };
    streamingHandler(runtime as never, async () => ({
      response: { statusCode: 200, body: '{}' },
      afterResponse: async () => {
        order.push('flush started');
        await new Promise((r) => setTimeout(r, 20));
        order.push('flush done');
      },
    }));
    await streaming?.({}, sink);
    order.push('invocation ended');
    expect(order).toEqual(['response ended', 'flush started', 'flush done', 'invocation ended']);
  });
});

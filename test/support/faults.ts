/**
 * Fault injection: an S3 client that fails the commands a test chooses, and sends the rest;
 * delivery faults (batches delivered twice, or crashing halfway) around stream consumers.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { KinesisHandler } from '../../src/local/event-source-mapping.js';

/**
 * `s3` with `fail(command)` consulted before each command: an Error it returns
 * is thrown instead of sending. Built on the real client's prototype chain, so
 * the SDK's paginators, which check `instanceof S3Client`, accept it.
 */
export function failingClient(s3: S3Client, fail: (command: unknown) => Error | undefined): S3Client {
  const client = Object.create(s3) as S3Client;
  client.send = ((command: unknown) => {
    const error = fail(command);
    return error ? Promise.reject(error) : s3.send(command as never);
  }) as S3Client['send'];
  return client;
}

/**
 * An error shaped as the SDK throws for an S3 error response (`name`, `$fault`,
 * `$metadata.httpStatusCode`): e.g. `s3ServiceError('Forbidden', 403)` for what
 * AWS answers a HeadObject of a missing key without an applicable s3:ListBucket.
 */
export function s3ServiceError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

/** How the next batches reach a stream consumer's handler. */
export type DeliveryMode = 'normal' | 'twice' | 'crash-halfway';

/**
 * Delivery faults around stream consumers' handlers (pass `wrap` as the local stack's
 * `wrapKinesisHandler`), switched per scenario by setting `mode`: 'twice' delivers each batch
 * twice; 'crash-halfway' makes each consumer apply the first half of one batch and throw, so the
 * event source mapping retries it. `crashed` holds the handlers that crashed (clear it to crash again).
 */
export function deliveryFaults() {
  const faults = {
    mode: 'normal' as DeliveryMode,
    crashed: new Set<KinesisHandler>(),
    wrap:
      (handler: KinesisHandler): KinesisHandler =>
      async (event: KinesisStreamEvent) => {
        if (faults.mode === 'twice') {
          await handler(event);
          return handler(event);
        }
        if (faults.mode === 'crash-halfway' && !faults.crashed.has(handler) && event.Records.length > 1) {
          faults.crashed.add(handler);
          await handler({ Records: event.Records.slice(0, Math.floor(event.Records.length / 2)) });
          throw new Error('simulated crash halfway through the batch');
        }
        return handler(event);
      },
  };
  return faults;
}

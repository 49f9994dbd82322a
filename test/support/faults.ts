/** Fault injection for S3: a client that fails the commands a test chooses, and sends the rest. */
import type { S3Client } from '@aws-sdk/client-s3';

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

/**
 * Lambda response streaming for an API Gateway proxy integration
 * (responseTransferMode STREAM): the response is written and the stream ended,
 * so API Gateway sends it to the caller, and only then does work that must
 * finish within the invocation run (the prediction log's flush). An
 * invocation ends when the handler's promise settles: nothing is left to a
 * frozen or shut-down environment, and none of it delays the caller.
 *
 * `awslambda` is the global the Node.js managed runtime provides.
 */
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export interface HttpResponseStreamStatic {
  from(stream: Writable, metadata: { statusCode: number; headers?: Record<string, string> }): Writable;
}

export interface LambdaStreamingGlobal {
  streamifyResponse(handler: (event: APIGatewayProxyEvent, responseStream: Writable, context: Context) => Promise<void>): unknown;
  HttpResponseStream: HttpResponseStreamStatic;
}

/** A response, and what must run after it is sent but before the invocation ends. */
export interface DeferredResponse {
  readonly response: APIGatewayProxyResult;
  readonly afterResponse: () => Promise<void>;
}

/** Writes a proxy result to the response stream and ends it; resolves once the stream has finished. */
export function writeStreamedResponse(
  runtime: Pick<LambdaStreamingGlobal, 'HttpResponseStream'>,
  responseStream: Writable,
  { statusCode, headers, body }: APIGatewayProxyResult,
): Promise<void> {
  const stream = runtime.HttpResponseStream.from(responseStream, {
    statusCode,
    headers: Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)])),
  });
  return new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(body, () => resolve());
  });
}

/** A streaming handler: the response first, then `afterResponse`, whose failure is the handler's own to report. */
export function streamingHandler(
  runtime: LambdaStreamingGlobal,
  handle: (event: APIGatewayProxyEvent) => Promise<DeferredResponse>,
): unknown {
  return runtime.streamifyResponse(async (event, responseStream) => {
    const { response, afterResponse } = await handle(event);
    await writeStreamedResponse(runtime, responseStream, response);
    await afterResponse();
  });
}

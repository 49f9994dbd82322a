/**
 * The AWS calls a deployed bundle really makes, seen on the wire: a recording
 * HTTP proxy in front of an emulator captures each request (JSON protocol
 * `X-Amz-Target` and body; S3 method, path-style bucket/key and query) and its
 * status; `iamRequestsOf` turns each into the IAM request(s) AWS would
 * authorize — action, resource ARN and the condition keys the request carries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT, type IamRequest, PARTITION, REGION } from './template-iam.js';

export type Service = 'kinesis' | 'dynamodb' | 's3' | 'athena';

export interface RecordedCall {
  readonly service: Service;
  readonly method: string;
  /** Path without the query, decoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** X-Amz-Target of JSON protocols (e.g. `DynamoDB_20120810.UpdateItem`). */
  readonly target?: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly status: number;
  readonly responseBody: string;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  stop(): Promise<void>;
}

/** A proxy that forwards every request to `upstream` (http://host:port) and records it with its response. */
export async function startRecordingProxy(service: Service, upstream: string): Promise<RecordingProxy> {
  const calls: RecordedCall[] = [];
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstreamReq = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upstreamRes) => {
          const out: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => out.push(c));
          upstreamRes.on('end', () => {
            const responseBody = Buffer.concat(out);
            const url = new URL(req.url ?? '/', 'http://proxy');
            calls.push({
              service,
              method: req.method ?? 'GET',
              path: decodeURIComponent(url.pathname),
              query: url.searchParams,
              ...(typeof req.headers['x-amz-target'] === 'string' ? { target: req.headers['x-amz-target'] } : {}),
              body: body.toString('utf8'),
              headers: req.headers,
              status: upstreamRes.statusCode ?? 0,
              responseBody:
                service === 's3' && req.method === 'GET' && url.pathname.split('/').length > 2
                  ? ''
                  : responseBody.toString('utf8'),
            });
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(responseBody);
          });
        },
      );
      upstreamReq.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstreamReq.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a recorded call needs from IAM, and why (the call it came from). */
export interface NeededPermission extends IamRequest {
  readonly call: string;
}

const arn = {
  table: (name: string) => `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
  stream: (name: string) => `arn:${PARTITION}:kinesis:${REGION}:${ACCOUNT}:stream/${name}`,
  workgroup: (name: string) => `arn:${PARTITION}:athena:${REGION}:${ACCOUNT}:workgroup/${name}`,
  bucket: (name: string) => `arn:${PARTITION}:s3:::${name}`,
  object: (bucket: string, key: string) => `arn:${PARTITION}:s3:::${bucket}/${key}`,
};

function jsonBody(call: RecordedCall): Record<string, any> {
  try {
    return JSON.parse(call.body || '{}') as Record<string, any>;
  } catch {
    return {};
  }
}

/**
 * The IAM requests of one call. `workgroupOf` maps an Athena query execution id to the workgroup
 * it was started in (GetQueryExecution and friends are authorized against that workgroup).
 */
export function iamRequestsOf(call: RecordedCall, workgroupOf: (executionId: string) => string | undefined): NeededPermission[] {
  const label = call.target ?? `${call.method} ${call.path}${[...call.query.keys()].length ? `?${call.query}` : ''}`;
  const need = (action: string, resource: string, context?: Record<string, string>): NeededPermission => ({
    action,
    resource,
    call: label,
    ...(context ? { context } : {}),
  });
  if (call.service === 'dynamodb' || call.service === 'kinesis' || call.service === 'athena') {
    const operation = call.target?.split('.')[1] ?? '?';
    const body = jsonBody(call);
    if (call.service === 'dynamodb') {
      const action = `dynamodb:${operation}`;
      if (operation === 'BatchGetItem' || operation === 'BatchWriteItem')
        return Object.keys(body.RequestItems ?? {}).map((t) => need(action, arn.table(t)));
      if (operation === 'TransactWriteItems' || operation === 'TransactGetItems')
        return (body.TransactItems ?? []).map((i: Record<string, any>) => {
          const [kind, spec] = Object.entries(i)[0] as [string, { TableName: string }];
          return need(
            `dynamodb:${kind === 'Get' ? 'GetItem' : kind === 'Put' ? 'PutItem' : kind === 'Delete' ? 'DeleteItem' : 'UpdateItem'}`,
            arn.table(spec.TableName),
          );
        });
      // A single-item call's partition key: what dynamodb:LeadingKeys conditions are evaluated against.
      const partitionKey = (body.Item ?? body.Key)?.pk?.S as string | undefined;
      return [
        need(
          action,
          arn.table(String(body.TableName)),
          partitionKey === undefined ? undefined : { 'dynamodb:LeadingKeys': partitionKey },
        ),
      ];
    }
    if (call.service === 'kinesis') {
      const stream = body.StreamARN ?? (body.StreamName ? arn.stream(String(body.StreamName)) : '*');
      return [need(`kinesis:${operation}`, String(stream))];
    }
    const workgroup =
      body.WorkGroup ?? (body.QueryExecutionId ? workgroupOf(String(body.QueryExecutionId)) : undefined) ?? 'primary';
    return [need(`athena:${operation}`, arn.workgroup(String(workgroup)))];
  }
  // S3, path-style: /<bucket>[/<key>]
  const [, bucket = '', ...keyParts] = call.path.split('/');
  const key = keyParts.join('/');
  const q = call.query;
  if (!key) {
    if (call.method === 'GET' && (q.get('list-type') === '2' || q.has('prefix') || [...q.keys()].length === 0)) {
      // ListObjects(V2): the request carries s3:prefix (empty when absent).
      return [need('s3:ListBucket', arn.bucket(bucket), { 's3:prefix': q.get('prefix') ?? '' })];
    }
    if (call.method === 'GET' && q.has('location')) return [need('s3:GetBucketLocation', arn.bucket(bucket))];
    if (call.method === 'GET' && q.has('uploads')) return [need('s3:ListBucketMultipartUploads', arn.bucket(bucket))];
    if (call.method === 'HEAD') return [need('s3:ListBucket', arn.bucket(bucket))];
    if (call.method === 'POST' && q.has('delete')) {
      // DeleteObjects: authorized per key as s3:DeleteObject.
      const keys = [...call.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeXml(m[1] ?? ''));
      return keys.map((k) => need('s3:DeleteObject', arn.object(bucket, k)));
    }
    return [need(`s3:UNMAPPED ${call.method}`, arn.bucket(bucket))];
  }
  const object = arn.object(bucket, key);
  switch (call.method) {
    case 'GET':
    case 'HEAD': {
      const needs = [need('s3:GetObject', object)];
      // A missing key answers 404 only to a caller that may list the bucket (without an s3:prefix:
      // the request carries none); otherwise S3 answers 403, which code reading "absent" from 404 mistakes for failure.
      if (call.status === 404) needs.push(need('s3:ListBucket', arn.bucket(bucket), {}));
      return needs;
    }
    case 'PUT': {
      const copySource = call.headers['x-amz-copy-source'];
      const needs = [need('s3:PutObject', object)];
      if (typeof copySource === 'string') {
        const [srcBucket = '', ...srcKey] = decodeURIComponent(copySource.replace(/^\//, '')).split('/');
        needs.push(need('s3:GetObject', arn.object(srcBucket, srcKey.join('/'))));
      }
      return needs;
    }
    case 'POST':
      return [need('s3:PutObject', object)]; // CreateMultipartUpload / CompleteMultipartUpload
    case 'DELETE':
      return [need(q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', object)];
    default:
      return [need(`s3:UNMAPPED ${call.method}`, object)];
  }
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Athena: query execution id → workgroup, from the StartQueryExecution calls and their responses. */
export function athenaWorkgroups(calls: readonly RecordedCall[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const call of calls) {
    if (call.service !== 'athena' || !call.target?.endsWith('.StartQueryExecution')) continue;
    try {
      const id = (JSON.parse(call.responseBody) as { QueryExecutionId?: string }).QueryExecutionId;
      if (id) map.set(id, String(jsonBody(call).WorkGroup ?? 'primary'));
    } catch {
      // a failed start has no id
    }
  }
  return map;
}

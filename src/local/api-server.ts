/**
 * API Gateway (REST, Lambda proxy) on localhost for in-process handlers:
 * the template's routes under /<stage>, the `x-api-key` check, and the usage
 * plan's token-bucket throttle and quota, answering as API Gateway does
 * (403 Forbidden, 429 Too Many Requests / Limit Exceeded, 403 Missing
 * Authentication Token for unknown routes). IAM (SigV4) signatures are not
 * verified locally; such routes only require an AWS4 Authorization header.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiModel, RouteModel } from './template-model.js';

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalApiOptions {
  readonly api: ApiModel;
  /** Handler per function logical id. */
  readonly handlers: ReadonlyMap<string, ApiHandler>;
  readonly apiKey: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Told of a handler that threw and of anything else that escaped a request. @default - ignored */
  readonly onError?: (error: Error) => void;
}

/** API Gateway's request payload limit (10 MB). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

type Reply = (statusCode: number, body: string, headers?: Record<string, string>) => void;

/** A path segment as API Gateway hands it to the function, or undefined when it is not valid percent-encoded UTF-8. */
export function decodePathSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The request body, or undefined past MAX_BODY_BYTES (the rest is drained so the connection stays usable). */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}

export interface LocalApi {
  /** Base URL including the stage, like the ApiUrl output of a deployed stack. */
  readonly url: string;
  close(): Promise<void>;
}

interface CompiledRoute extends RouteModel {
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

function compile(route: RouteModel): CompiledRoute {
  const params: string[] = [];
  const source = route.resourcePath
    .split('/')
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), params };
}

/** API Gateway's usage-plan throttle: a token bucket of `burstLimit` refilled at `rateLimit` per second. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const { api, handlers, apiKey } = options;
  const routes = api.routes.map(compile);
  const bucket = api.throttle ? new TokenBucket(api.throttle.rateLimit, api.throttle.burstLimit) : undefined;
  let quotaUsed = 0;
  const stagePrefix = `/${api.stageName}`;

  const server = http.createServer((req, res) => {
    const reply = (statusCode: number, body: string, headers: Record<string, string> = {}) => {
      if (res.headersSent) return void res.end();
      res.writeHead(statusCode, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(body);
    };
    // No request may take the stack down: whatever escapes is answered, and the server goes on.
    handleRequest(req, reply).catch((error: unknown) => {
      options.onError?.(error as Error);
      reply(500, JSON.stringify({ message: 'Internal server error' }));
    });
  });

  async function handleRequest(req: http.IncomingMessage, reply: Reply): Promise<void> {
    // The raw target, split by hand: `new URL` would read `//x` as a host, and decoding comes per parameter below.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const searchParams = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
    const path = rawPath.startsWith(`${stagePrefix}/`) ? rawPath.slice(stagePrefix.length) : undefined;
    const route = path === undefined ? undefined : routes.find((r) => r.method === req.method && r.pattern.test(path));
    if (!route || path === undefined) return reply(403, JSON.stringify({ message: 'Missing Authentication Token' }));
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    if (route.apiKeyRequired && headers['x-api-key'] !== apiKey) return reply(403, JSON.stringify({ message: 'Forbidden' }));
    if (route.authorization === 'AWS_IAM' && !headers.authorization?.startsWith('AWS4-HMAC-SHA256')) {
      return reply(403, JSON.stringify({ message: 'Missing Authentication Token' }));
    }
    if (bucket && !bucket.take()) return reply(429, JSON.stringify({ message: 'Too Many Requests' }));
    if (api.quota && ++quotaUsed > api.quota.limit) return reply(429, JSON.stringify({ message: 'Limit Exceeded' }));

    const match = route.pattern.exec(path) as RegExpExecArray;
    const pathParameters: Record<string, string> = {};
    for (const [i, name] of route.params.entries()) {
      const raw = match[i + 1] as string;
      const decoded = decodePathSegment(raw);
      if (decoded === undefined) {
        return reply(
          400,
          JSON.stringify({
            error: 'invalid_path_parameter',
            field: name,
            message: `path parameter ${name} is not valid percent-encoded UTF-8: "${raw.slice(0, 64)}"`,
          }),
        );
      }
      pathParameters[name] = decoded;
    }
    const body = await readBody(req);
    if (body === undefined) {
      return reply(
        413,
        JSON.stringify({ error: 'payload_too_large', field: 'body', message: `request body over ${MAX_BODY_BYTES} bytes` }),
      );
    }
    const query = [...new Set(searchParams.keys())];
    const requestId = randomUUID();
    const event = {
      resource: route.resourcePath,
      path,
      httpMethod: route.method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: query.length
        ? Object.fromEntries(query.map((k) => [k, searchParams.getAll(k).at(-1) as string]))
        : null,
      multiValueQueryStringParameters: query.length ? Object.fromEntries(query.map((k) => [k, searchParams.getAll(k)])) : null,
      pathParameters,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        requestId,
        stage: api.stageName,
        httpMethod: route.method,
        resourcePath: route.resourcePath,
        path: `${stagePrefix}${path}`,
        identity: { apiKey: headers['x-api-key'] ?? null, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
      },
    } as unknown as APIGatewayProxyEvent;
    let result: APIGatewayProxyResult;
    try {
      result = await (handlers.get(route.functionLogicalId) as ApiHandler)(event);
    } catch (error) {
      // API Gateway's answer to a proxy function that failed.
      options.onError?.(error as Error);
      return reply(502, JSON.stringify({ message: 'Internal server error' }));
    }
    if (!Number.isInteger(result?.statusCode) || typeof result.body !== 'string') {
      // ... and to one that returned something that is not a proxy response.
      return reply(502, JSON.stringify({ message: 'Internal server error' }));
    }
    const resultHeaders = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    reply(result.statusCode, result.body, resultHeaders);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${stagePrefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

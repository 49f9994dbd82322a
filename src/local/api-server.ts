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

  const server = http.createServer(async (req, res) => {
    const reply = (statusCode: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(statusCode, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.startsWith(`${stagePrefix}/`) ? url.pathname.slice(stagePrefix.length) : undefined;
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
    const pathParameters = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)]));
    const query = [...url.searchParams.keys()];
    const requestId = randomUUID();
    const event = {
      resource: route.resourcePath,
      path,
      httpMethod: route.method,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: query.length
        ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k).at(-1) as string]))
        : null,
      multiValueQueryStringParameters: query.length
        ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)]))
        : null,
      pathParameters,
      stageVariables: null,
      body: null,
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
    try {
      const result = await (handlers.get(route.functionLogicalId) as ApiHandler)(event);
      reply(result.statusCode, result.body, (result.headers ?? {}) as Record<string, string>);
    } catch {
      reply(502, JSON.stringify({ message: 'Internal server error' }));
    }
  });
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

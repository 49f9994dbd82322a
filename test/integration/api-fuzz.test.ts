/**
 * The API cannot be crashed: property-based fuzzing (fast-check) of the
 * feature API's handler in-process and of the local API server over real
 * HTTP, both on the emulators. Whatever the path, query, method, headers or
 * body: never a 5xx, never a dropped connection, every 4xx a JSON body that
 * names the problem, and the server still serves a valid request afterwards.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../lambdas/feature-api/handler.js';
import { exampleCatalog } from '../../src/features/catalog.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';

let stack: LocalStack;
let dir: string;
let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-fuzz-'));
  // Without the usage plan: the fuzz must reach the handler, not the throttle (tested elsewhere).
  stack = await startLocalStack({ stateDir: dir, withoutUsagePlan: true });
  const fn = stack.model.functions.find((f) => f.handlerName === 'feature-api');
  handler = createHandler({ ...fn?.env, ...stack.clientEnv, POWERTOOLS_LOG_LEVEL: 'ERROR' }, { catalog: exampleCatalog });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One raw HTTP request; rejects if the connection drops without an answer. */
function request(method: string, target: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(stack.info.api.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        data += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A 4xx body: JSON with a message that says what is wrong. */
function expectNamedClientError(answer: Answer, context: unknown): void {
  let parsed: unknown;
  expect(
    () => {
      parsed = JSON.parse(answer.body);
    },
    `not JSON: ${answer.body} for ${JSON.stringify(context)}`,
  ).not.toThrow();
  expect(typeof (parsed as { message?: unknown }).message, JSON.stringify({ answer, context })).toBe('string');
  expect((parsed as { message: string }).message.length).toBeGreaterThan(0);
}

const stage = () => new URL(stack.info.api.url).pathname;

/** Path segments that stress decoding: raw ASCII with stray `%`, broken escapes, encoded Unicode (lone surrogates too). */
const segment = fc.oneof(
  fc.constantFrom('user', 'features', 'item', '', '.', '..', '%', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%00', '%2F', '%C0%AF'),
  fc.stringMatching(/^[\x21-\x7e]{0,24}$/).map((s) => s.replaceAll('?', '%3F').replaceAll('#', '%23')),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/gu, 'x')) + '%ED%B0%80';
    }
  }),
);
const featurePath = fc.oneof(
  fc.tuple(segment, segment).map(([type, id]) => `/features/${type}/${id}`),
  fc.oneof(fc.constant('user'), segment).map((type) => `/features/${type}`),
  fc.tuple(segment, segment).map(([type, id]) => `/features/user/${type}${id}`),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
);
const queryString = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?views=',
    '?views=user_clickstream',
    '?views=a,,b',
    '?views=%ZZ',
    '?x=1',
    '?views=user_clickstream&views=',
    '?&&=',
  ),
  fc
    .array(fc.tuple(fc.stringMatching(/^[a-z_%]{0,8}$/), fc.string({ maxLength: 30 })), { maxLength: 4 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\uD800-\uDFFF]/gu, ''))}`).join('&')}`),
);
/** Bodies of the multi-entity read (POST /features/{entityType}): valid, nearly valid and junk. */
const idsBody = fc.oneof(
  fc
    .record(
      {
        ids: fc.oneof(
          fc.array(fc.oneof(fc.constantFrom('user_000001', '', 'a,b', '\u0000'), fc.string({ maxLength: 140 })), {
            maxLength: 102,
          }),
          fc.anything(),
        ),
        views: fc.oneof(fc.array(fc.constantFrom('user_clickstream', 'user_profiles', 'nope', '')), fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  fc.json(),
  fc.string({ maxLength: 200 }),
);
const header = fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.stringMatching(/^[\x20-\x7e]{0,60}$/));

describe('the local API server under fuzzing', () => {
  it('answers GET /features/user/%ZZ with a 400 naming entityId and keeps serving', async () => {
    const headers = { 'x-api-key': stack.info.api.key };
    const bad = await request('GET', `${stage()}/features/user/%ZZ`, headers);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: 'invalid_path_parameter', field: 'entityId' });
    const good = await request('GET', `${stage()}/features/user/user_000001`, headers);
    expect(good.status).toBe(200);
  });

  it('answers a body over API Gateway’s 10 MB with a 413 naming the body, and keeps serving', async () => {
    const headers = { 'x-api-key': stack.info.api.key };
    const body = 'x'.repeat(10 * 1024 * 1024 + 1);
    // A GET with a body must say its length: Node's client sends neither it nor chunked encoding for GET.
    const tooLarge = await request(
      'GET',
      `${stage()}/features/user/user_000001`,
      { ...headers, 'content-length': String(body.length) },
      body,
    );
    expect(tooLarge.status, tooLarge.body).toBe(413);
    expect(JSON.parse(tooLarge.body)).toMatchObject({ error: 'payload_too_large', field: 'body' });
    const good = await request('GET', `${stage()}/features/user/user_000001`, headers);
    expect(good.status).toBe(200);
  });

  it('never answers 5xx, never drops a connection, and names every 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'),
        fc.oneof(
          featurePath.map((p) => `${stage()}${p}`),
          featurePath,
        ),
        queryString,
        fc.boolean(),
        fc.array(header, { maxLength: 4 }),
        fc.option(fc.oneof(fc.string({ maxLength: 200 }), idsBody), { nil: undefined }),
        async (method, target, query, withKey, extraHeaders, body) => {
          const headers: Record<string, string> = Object.fromEntries(extraHeaders);
          if (withKey) headers['x-api-key'] = stack.info.api.key;
          const context = { method, target: target + query, headers, body };
          const answer = await request(method, target + query, headers, method === 'GET' || method === 'HEAD' ? undefined : body);
          expect(answer.status, JSON.stringify({ context, answer })).toBeLessThan(500);
          expect(answer.status).toBeGreaterThanOrEqual(200);
          if (answer.status >= 400 && method !== 'HEAD') expectNamedClientError(answer, context);
          if (answer.status === 200) {
            const parsed = JSON.parse(answer.body);
            if (method === 'POST') expect(parsed.entities.length).toBeLessThanOrEqual(100);
            else expect(parsed).toHaveProperty('views');
          }
        },
      ),
      { numRuns: 400, seed: 20261128 },
    );
    const after = await request('GET', `${stage()}/features/user/user_000001`, { 'x-api-key': stack.info.api.key });
    expect(after.status).toBe(200);
  });
});

/**
 * An id the README allows, built from its rule rather than the validator under test: 1–128 code points,
 * none a control character (U+0000–U+001F, U+007F) or half of a surrogate pair.
 */
const validId = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0x10ffff })
    .filter((c) => c !== 0x7f && (c < 0xd800 || c > 0xdfff))
    .map((c) => String.fromCodePoint(c)),
  minLength: 1,
  maxLength: 128,
});

describe('the multi-entity read under fuzzing', () => {
  it('answers any body with 200 (one entry per id) or a 4xx naming its field, and serves some of them', async () => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          idsBody.map((body) => ({ body, valid: false })),
          fc.array(validId, { minLength: 1, maxLength: 100 }).map((ids) => ({ body: JSON.stringify({ ids }), valid: true })),
        ),
        async ({ body, valid }) => {
          const answer = await request('POST', `${stage()}/features/user`, { 'x-api-key': stack.info.api.key }, body);
          const parsed = JSON.parse(answer.body);
          if (valid) expect(answer.status, JSON.stringify({ body, answer })).toBe(200);
          if (answer.status === 200) {
            served++;
            expect(parsed.entities.map((e: { entityId: string }) => e.entityId)).toEqual(JSON.parse(body).ids);
          } else {
            expect([400, 404], JSON.stringify({ body, answer })).toContain(answer.status);
            expect(typeof parsed.field, JSON.stringify({ body, answer })).toBe('string');
            expect(parsed.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 200, seed: 20261128 },
    );
    expect(served).toBeGreaterThan(20);
  });
});

describe('the feature API handler under fuzzing', () => {
  // Any code point, and now and then half of a surrogate pair on its own (what a JS string can hold and UTF-8 cannot).
  const character = fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 30 },
    { arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 1 },
  );
  const text = fc.string({ unit: character, maxLength: 150 });
  const record = fc.option(fc.dictionary(fc.oneof(text, fc.constantFrom('views', 'entityType', 'entityId')), text), {
    nil: null,
  });

  it('never answers 5xx for any proxy event, and every 4xx names its field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('user'), text),
        text,
        record,
        fc.option(fc.oneof(text, idsBody), { nil: null }),
        fc.constantFrom('GET', 'POST'),
        fc.boolean(),
        async (entityType, entityId, query, body, httpMethod, isBase64Encoded) => {
          const event = {
            httpMethod,
            isBase64Encoded: isBase64Encoded && body !== null,
            resource: '/features/{entityType}/{entityId}',
            path: '/features/x/y',
            headers: {},
            pathParameters: { entityType, entityId },
            queryStringParameters: query,
            body: isBase64Encoded && body !== null ? Buffer.from(body).toString('base64') : body,
            requestContext: { requestId: 'fuzz' },
          } as unknown as APIGatewayProxyEvent;
          const result = await handler(event);
          const context = { entityType, entityId, query, body, httpMethod };
          expect(result.statusCode, JSON.stringify({ context, result })).toBeLessThan(500);
          const parsed = JSON.parse(result.body) as { field?: unknown; message?: unknown };
          if (result.statusCode >= 400) {
            expect(typeof parsed.field, JSON.stringify({ context, result })).toBe('string');
            expect(typeof parsed.message).toBe('string');
          }
        },
      ),
      { numRuns: 400, seed: 20261128 },
    );
  });
});

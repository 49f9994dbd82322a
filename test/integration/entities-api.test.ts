/**
 * The multi-entity read, POST /features/{entityType}, through the real local HTTP API on the
 * emulators: for several ids at one instant (the handlers' clock, frozen) each entry equals the
 * single-entity GET of that id and the brute-force reference computation of the documented
 * semantics, batch sources included; unknown ids get the defaults; bad requests are 4xx JSON
 * naming the field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { userClickstream, userProfiles } from '../../src/features/catalog.js';
import { type LocalStack, startLocalStack } from '../../src/local/stack.js';
import { MAX_IDS_PER_REQUEST } from '../../src/serving/entities-request.js';
import { clickEvents } from '../support/events.js';
import { expectFeatures, referenceFeatures } from '../support/reference.js';
import { putOnStream } from '../support/stream.js';

const HOUR = 3_600_000;
let stack: LocalStack;
let dir: string;
/** The API handlers' clock: frozen while a test compares answers, the wall clock otherwise. */
let frozenMs: number | undefined;
const events = clickEvents({ count: 1_200, users: 8, nowMs: Date.now(), spanMs: 20 * HOUR, seed: 81 }).map((e) => ({
  ...e,
  user_id: `many-${e.user_id}`,
}));
const users = [...new Set(events.map((e) => e.user_id))].sort();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-entities-'));
  stack = await startLocalStack({
    stateDir: dir,
    mappingOverrides: { maxBatchingWindowSeconds: 1 },
    clock: () => frozenMs ?? Date.now(),
  });
  await putOnStream(stack, events, (e) => (e as { user_id: string }).user_id);
  // Profiles of two of the users, through the batch source's upload path.
  const csv = [
    'user_id,age,country,subscription_tier,activity_weight,updated_at',
    `${users[0]},34,DE,premium,1.5,2026-11-01T10:00:00Z`,
    `${users[2]},27,FR,free,,2026-11-02T09:30:00Z`,
  ].join('\n');
  await s3Client(stack.clientEnv).send(
    new PutObjectCommand({
      Bucket: stack.info.resources.lakeBucket,
      Key: `sources/${userProfiles.name}/entities-test.csv`,
      Body: `${csv}\n`,
    }),
  );
  await stack.drain();
  await stack.batchUploadsIngested(60_000);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;

async function post(entityType: string, body: unknown, query = '') {
  const response = await fetch(`${stack.info.api.url}/features/${entityType}${query}`, {
    method: 'POST',
    headers: { 'x-api-key': stack.info.api.key, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function get(entityType: string, id: string, query = '') {
  const response = await fetch(`${stack.info.api.url}/features/${entityType}/${encodeURIComponent(id)}${query}`, {
    headers: { 'x-api-key': stack.info.api.key },
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Runs `fn` with the handlers' clock frozen at now. */
async function atOneInstant<T>(fn: (nowMs: number) => Promise<T>): Promise<T> {
  frozenMs = Date.now();
  try {
    return await fn(frozenMs);
  } finally {
    frozenMs = undefined;
  }
}

describe('POST /features/{entityType}', () => {
  it('answers each id, in request order, with what GET answers for it and what the reference computes', async () => {
    // Unknown ids, a repeat and an id with a comma and Unicode among the known ones.
    const ids = [users[3], 'many-nobody', users[0], users[5], users[0], 'a,b ü ☃', ...users.slice(6)] as string[];
    await atOneInstant(async (nowMs) => {
      const many = await post('user', { ids });
      expect(many.status, JSON.stringify(many.body).slice(0, 500)).toBe(200);
      expect(many.body.entityType).toBe('user');
      expect(many.body.asOf).toBe(new Date(nowMs).toISOString());
      expect(many.body.entities.map((e: Json) => e.entityId)).toEqual(ids);
      for (const [i, id] of ids.entries()) {
        const one = await get('user', id);
        expect(one.status).toBe(200);
        expect(many.body.entities[i], id).toEqual(one.body);
        // Independently: the brute-force reference over the events sent, at the answer's asOf.
        const mine = events
          .map((e, order) => ({ data: e as Record<string, unknown>, eventTimeMs: Date.parse(e.event_time), order }))
          .filter((e) => e.data.user_id === id);
        const expected = referenceFeatures(userClickstream, mine, nowMs);
        const served = many.body.entities[i].views[userClickstream.name];
        expectFeatures(served.features, expected.features, id);
        expect(served.freshness).toEqual(expected.freshness);
      }
    });
  });

  it('serves the batch sources beside the views: the profile of a user that has one, nulls for one that has not', async () => {
    const ids = [users[0], users[1], users[2]] as string[];
    await atOneInstant(async () => {
      const many = await post('user', { ids, views: [userProfiles.name, userClickstream.name] });
      expect(many.status).toBe(200);
      const [first, second, third] = many.body.entities as Json[];
      expect(Object.keys(first?.views)).toEqual([userClickstream.name, userProfiles.name]);
      expect(first?.views[userProfiles.name].features).toMatchObject({ age: 34, country: 'DE', subscription_tier: 'premium' });
      expect(first?.views[userProfiles.name].freshness.age).toBe('2026-11-01T10:00:00.000Z');
      expect(third?.views[userProfiles.name].features).toMatchObject({ age: 27, country: 'FR', activity_weight: null });
      expect(Object.values(second?.views[userProfiles.name].features)).toEqual(
        Object.values(second?.views[userProfiles.name].features).map(() => null),
      );
      for (const [i, id] of ids.entries()) {
        const one = await get('user', id, `?views=${userProfiles.name},${userClickstream.name}`);
        expect(many.body.entities[i]).toEqual(one.body);
      }
    });
  });

  it('gives an unknown id the documented defaults with status 200', async () => {
    const { status, body } = await post('user', { ids: ['never-seen-1', 'never-seen-2'], views: [userClickstream.name] });
    expect(status).toBe(200);
    for (const entry of body.entities as Json[]) {
      const { features, freshness } = entry.views[userClickstream.name];
      expect(features).toMatchObject({ events_1h: 0, purchases_7d: 0, revenue_24h: 0, avg_order_value_24h: null });
      expect(features).toMatchObject({ last_event_type_1h: null, cart_rate_1h: 0 });
      expect(freshness.events_1h).toBeNull();
    }
  });

  it(`takes ${MAX_IDS_PER_REQUEST} ids, and refuses ${MAX_IDS_PER_REQUEST + 1} with a 400 naming ids`, async () => {
    const ids = Array.from({ length: MAX_IDS_PER_REQUEST }, (_, i) => `bulk-${i}`);
    const full = await post('user', { ids });
    expect(full.status).toBe(200);
    expect(full.body.entities).toHaveLength(MAX_IDS_PER_REQUEST);
    const over = await post('user', { ids: [...ids, 'one-more'] });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ error: 'too_many_ids', field: 'ids' });
    expect(over.body.message).toContain(String(MAX_IDS_PER_REQUEST));
  });

  it.each([
    ['an empty id', { ids: ['user_000001', ''] }, 400, 'invalid_entity_id', 'ids[1]'],
    ['an id that is not a string', { ids: [7] }, 400, 'invalid_entity_id', 'ids[0]'],
    ['an id with a control character', { ids: ['a', 'b', 'c\u0001'] }, 400, 'invalid_entity_id', 'ids[2]'],
    ['an id over 128 characters', { ids: ['x'.repeat(129)] }, 400, 'invalid_entity_id', 'ids[0]'],
    ['no ids', { ids: [] }, 400, 'invalid_ids', 'ids'],
    ['ids not an array', { ids: 'a,b' }, 400, 'invalid_ids', 'ids'],
    ['an unknown view', { ids: ['a'], views: ['user_clickstream', 'nope'] }, 400, 'invalid_views', 'views'],
    ['an empty view list', { ids: ['a'], views: [] }, 400, 'invalid_views', 'views'],
    ["another entity's view", { ids: ['a'], views: ['app_metrics'] }, 400, 'invalid_views', 'views'],
    ['views not an array of names', { ids: ['a'], views: 'user_clickstream' }, 400, 'invalid_views', 'views'],
    ['an unknown body field', { ids: ['a'], features: ['x'] }, 400, 'unknown_field', 'features'],
    ['a body that is not an object', ['a'], 400, 'invalid_body', 'body'],
    ['a JSON null body', 'null', 400, 'invalid_body', 'body'],
    ['a JSON string body', '"user_000001"', 400, 'invalid_body', 'body'],
    ['a null id', { ids: ['a', null] }, 400, 'invalid_entity_id', 'ids[1]'],
    ['an id that is an object', { ids: [{ id: 'a' }] }, 400, 'invalid_entity_id', 'ids[0]'],
    ['an id that is half of a surrogate pair', '{"ids": ["ok", "\\ud800"]}', 400, 'invalid_entity_id', 'ids[1]'],
    ['a view that is not a string', { ids: ['a'], views: [1] }, 400, 'invalid_views', 'views'],
    ['views null', { ids: ['a'], views: null }, 400, 'invalid_views', 'views'],
    ['ids null', { ids: null }, 400, 'invalid_ids', 'ids'],
    ['a million ids', { ids: Array.from({ length: 1_000_000 }, (_, i) => `u${i}`) }, 400, 'too_many_ids', 'ids'],
    ['a body that is not JSON', '{"ids": [', 400, 'invalid_body', 'body'],
    ['no body', '', 400, 'missing_body', 'body'],
  ])('answers %s with a %i JSON error naming the field', async (_, body, status, error, field) => {
    const answer = await post('user', body);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error, field });
    expect(answer.body.message.length).toBeGreaterThan(0);
  });

  it('answers a body over API Gateway’s 10 MB with a 413 naming the body, and serves the next request', async () => {
    const huge = JSON.stringify({ ids: ['a'], views: ['x'.repeat(10 * 1024 * 1024)] });
    const answer = await post('user', huge);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: 'payload_too_large', field: 'body' });
    const next = await post('user', { ids: ['a'] });
    expect(next.status).toBe(200);
  });

  it('serves the largest valid body: 100 ids of 128 characters each, any Unicode', async () => {
    const ids = Array.from({ length: MAX_IDS_PER_REQUEST }, (_, i) => `${i}☃`.padEnd(128, 'é,/ ?'));
    const { status, body } = await post('user', { ids, views: [userClickstream.name] });
    expect(status).toBe(200);
    expect(body.entities.map((e: Json) => e.entityId)).toEqual(ids);
  });

  it('answers an unknown entity type with a 404 naming entityType, and a query parameter with a 400 naming it', async () => {
    const unknown = await post('planet', { ids: ['a'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'unknown_entity_type', field: 'entityType' });
    expect(unknown.body.allowed).toContain('user');
    const query = await post('user', { ids: ['a'] }, '?views=user_clickstream');
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ error: 'unknown_parameter', field: 'views' });
  });

  it('asks for the API key like the single-entity route, which is unchanged (also for the id "batch")', async () => {
    const response = await fetch(`${stack.info.api.url}/features/user`, { method: 'POST', body: '{"ids":["a"]}' });
    expect(response.status).toBe(403);
    const one = await get('user', 'batch');
    expect(one.status).toBe(200);
    expect(one.body.entityId).toBe('batch');
  });
});

/** `featurelake features <entityType> <id> <id>…`: several ids go in one POST /features/{entityType}. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderFeatureTable } from '../../src/cli/feature-table.js';
import { type FakeFeatureApi, startFakeFeatureApi } from './fake-feature-api.js';
import { runCli } from './support.js';

const entry = (entityId: string, events: number) => ({
  entityType: 'user',
  entityId,
  asOf: '2025-01-01T12:00:00.000Z',
  views: {
    user_clickstream: { features: { events_1h: events }, freshness: { events_1h: '2025-01-01T11:59:30.000Z' } },
  },
});
const RESPONSE = {
  entityType: 'user',
  asOf: '2025-01-01T12:00:00.000Z',
  entities: [entry('user_000042', 12), entry('a,b', 0)],
};

const requests: { method: string; url: string; body: string }[] = [];
let api: FakeFeatureApi;
let apiUrl = '';
const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-features-many-'));

beforeAll(async () => {
  api = await startFakeFeatureApi((req, body) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', body });
    return { status: 200, body: JSON.stringify(RESPONSE) };
  });
  apiUrl = api.url;
});

afterAll(async () => {
  api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('featurelake features with several ids', () => {
  it('sends one POST /features/{type} with the ids and views, and prints a table per entity', async () => {
    const args = ['features', 'user', 'user_000042', 'a,b', '--views', 'user_clickstream', '--api-url', apiUrl];
    const result = await runCli([...args, '--api-key', 'k'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/features/user' });
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ ids: ['user_000042', 'a,b'], views: ['user_clickstream'] });
    expect(result.stdout).toBe(RESPONSE.entities.map(renderFeatureTable).join('\n'));
    // Independently of the renderer: both entities, in order, each with its own value.
    expect(result.stdout.indexOf('user_000042')).toBeLessThan(result.stdout.indexOf('a,b'));
    expect(result.stdout).toMatch(/events_1h\s+12\s+30s ago[\s\S]*events_1h\s+0\s+30s ago/);
  });

  it('--json prints the raw response', async () => {
    const result = await runCli(['features', 'user', 'x', 'y', '--json', '--api-url', apiUrl, '--api-key', 'k'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(RESPONSE);
  });

  it('refuses more than 100 ids, or an unknown view, before calling the API (exit 2)', async () => {
    const before = requests.length;
    const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
    const tooMany = await runCli(['features', 'user', ...ids, '--api-url', apiUrl], { cwd: dir });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/<id>: at most 100 ids/);
    const badView = await runCli(['features', 'user', 'a', 'b', '--views', 'nope', '--api-url', apiUrl], { cwd: dir });
    expect(badView.code).toBe(2);
    expect(badView.stderr).toMatch(/--views: .*unknown: nope/);
    expect(requests.length).toBe(before);
  });

  it.each([
    ['an empty id among several', ['a', '', 'b'], /<id>: each id must be a string of 1–128/],
    ['an id with a control character among several', ['a', 'b\u0001c'], /<id>: each id must be a string of/],
    ['an id over 128 characters among several', ['a', 'x'.repeat(129)], /<id>: each id must be a string of/],
    ['an empty single id', [''], /<id>: entityId must be 1–128/],
    ['a single id with a control character', ['a\u0007'], /<id>: entityId must be/],
    ['a single id over 128 characters', ['x'.repeat(129)], /<id>: entityId must be/],
  ])('refuses %s before calling the API (exit 2)', async (_, ids, message) => {
    const before = requests.length;
    const result = await runCli(['features', 'user', ...ids, '--api-url', apiUrl, '--api-key', 'k'], { cwd: dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(requests.length).toBe(before);
  });

  it('refuses an unknown entity type with several ids before calling the API (exit 2)', async () => {
    const before = requests.length;
    const result = await runCli(['features', 'planet', 'a', 'b', '--api-url', apiUrl], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/<entityType>: no feature views for entity type "planet"/);
    expect(requests.length).toBe(before);
  });
});

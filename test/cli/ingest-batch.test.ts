/**
 * `featurelake ingest-batch` fed garbage (the real CLI, a child process, no
 * stack): wrong flags and unusable files exit 2 with a message naming what is
 * wrong. Files are read and refused before anything is written, so the --aws
 * cases need no AWS: the endpoint points at a closed port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'featurelake-ingest-batch-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HEADER = 'user_id,age,country,subscription_tier,activity_weight,updated_at';
const AWS = ['--aws', '--table', 't', '--bucket', 'lake', '--quarantine-bucket', 'q'];
const awsEnv = () =>
  cleanEnv({
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_MAX_ATTEMPTS: '1',
  });
const file = (name: string, body: string | Uint8Array) => {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
};
const ingest = (args: readonly string[], env = cleanEnv()) =>
  runCli(['ingest-batch', ...args, '--state-dir', dir, '--no-progress'], { env });

describe('featurelake ingest-batch refuses garbage with exit 2', () => {
  it('an unknown --source, or none', async () => {
    const good = file('good.csv', `${HEADER}\n`);
    const unknown = await ingest([good, '--source', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--source.*nope/);
    expect(unknown.stderr).toMatch(/user_profiles/);
    const none = await ingest([good]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--source/);
  });

  it('a missing file, a directory, a name without .csv or .parquet', async () => {
    const missing = await ingest([path.join(dir, 'absent.csv'), '--source', 'user_profiles']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/absent\.csv: no such file/);
    const folder = await ingest([dir, '--source', 'user_profiles']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/no such file/);
    const json = await ingest([file('profiles.json', '{}'), '--source', 'user_profiles']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/profiles\.json: cannot tell the format .*expected \.csv or \.parquet/);
  });

  it('a bad --as-of, deployment names without --aws, --aws without them, no local stack', async () => {
    const good = file('good.csv', `${HEADER}\n`);
    const asOf = await ingest([good, '--source', 'user_profiles', '--as-of', '2026-11-23 10:00']);
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toMatch(/--as-of: "2026-11-23 10:00" is not an ISO-8601 time with a zone/);
    const noAws = await ingest([good, '--source', 'user_profiles', '--table', 't']);
    expect(noAws.code).toBe(2);
    expect(noAws.stderr).toMatch(/add --aws/);
    const bare = await ingest([good, '--source', 'user_profiles', '--aws']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--aws needs --table .*--bucket .*--quarantine-bucket/);
    const local = await ingest([good, '--source', 'user_profiles']);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/no local stack is running/);
  });

  it('an empty file, binary garbage named .csv, a wrong header, a truncated Parquet', async () => {
    const garbage = new Uint8Array(2048);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) % 256;
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['empty.csv', '', /empty\.csv: empty, or no header line/],
      ['binary.csv', garbage, /binary\.csv:1: not CSV text/],
      ['wrong.csv', 'id,age\nu1,30\n', /wrong\.csv:1: .*entity key user_id/],
      ['twice.csv', `${HEADER},age\n`, /twice\.csv:1: columns named twice: age/],
      ['short.parquet', 'PAR1\0\0', /short\.parquet: not a readable Parquet file/],
    ];
    for (const [name, body, message] of cases) {
      const result = await ingest([file(name, body), '--source', 'user_profiles', ...AWS], awsEnv());
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});

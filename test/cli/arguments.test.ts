import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, freePort, runCli } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad arguments exit 2 and name what is wrong', () => {
  const cases: [string, string[], RegExp][] = [
    ['non-numeric --events', ['generate', '--events', 'abc'], /--events.*'abc'.*positive integer/],
    ['negative --events', ['generate', '--events', '-5'], /--events.*'-5'/],
    ['zero --events', ['generate', '--events', '0'], /--events/],
    ['missing --events', ['generate'], /say how many: --events N/],
    ['unknown workload', ['generate', '--events', '5', '--workload', 'weather'], /--workload.*'weather'.*clickstream/],
    ['zero --rate', ['generate', '--events', '5', '--rate', '0'], /--rate/],
    ['bad --start', ['generate', '--events', '5', '--start', 'yesterday'], /--start.*ISO-8601/],
    ['zone-less --start', ['generate', '--events', '5', '--start', '2025-01-01T00:00:00'], /--start/],
    // Date.parse would take it as March 2: an impossible date is refused, not shifted.
    ['impossible --start date', ['generate', '--events', '5', '--start', '2025-02-30T00:00:00Z'], /--start.*2025-02-30/],
    ['impossible rollup --from date', ['rollup', '--from', '2025-02-30', '--lake-dir', '.'], /--from.*2025-02-30/],
    ['bad --seed', ['generate', '--events', '5', '--seed', '1.5'], /--seed/],
    ['--stream without --send', ['generate', '--events', '5', '--stream', 'x'], /--stream.*--send/],
    ['--out into a missing directory', ['generate', '--events', '5', '--out', '/nonexistent/dir/x.jsonl'], /--out/],
    ['missing file', ['send', path.join(dir, 'missing.jsonl'), '--stream', 's'], /missing\.jsonl.*no such file/],
    ['no file argument', ['send', '--stream', 's'], /missing required argument 'file'/],
    ['bad --endpoint-url', ['send', '-', '--endpoint-url', 'not a url'], /--endpoint-url/],
    ['unknown entity type', ['features', 'robot', 'r1', '--api-url', 'http://127.0.0.1:1'], /entityType.*robot/],
    ['unknown view', ['features', 'user', 'u1', '--views', 'nope', '--api-url', 'http://127.0.0.1:1'], /--views.*nope/],
    ['unknown --env', ['local', '--env', 'moon'], /--env.*'moon'/],
    ['negative demo --events', ['start', '--events', '-1'], /--events/],
    ['unknown demo --workload', ['start', '--workload', 'weather'], /--workload.*'weather'.*app-logs/],
    ['unknown command', ['launch'], /unknown command 'launch'/],
  ];
  // Concurrent: each case is a separate process; the local `expect` keeps reports apart.
  it.concurrent.for(cases)('%s', async ([, args, message], { expect }) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('send without any stream configured says where a stream could come from', async () => {
    const result = await runCli(['send', '-'], { cwd: dir, env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--stream.*FEATURELAKE_STREAM.*featurelake local/);
  });
});

describe('unreachable endpoints exit 1 and name the endpoint, quickly', () => {
  it('send', async () => {
    const port = await freePort();
    const file = path.join(dir, 'one.jsonl');
    writeFileSync(file, '{"source":"clickstream","user_id":"user_000001"}\n');
    const started = Date.now();
    const result = await runCli(['send', file, '--stream', 's', '--endpoint-url', `http://127.0.0.1:${port}`], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Kinesis at http://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('generate --send, with the endpoint from AWS_ENDPOINT_URL_KINESIS', async () => {
    const port = await freePort();
    const env = cleanEnv({ AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${port}`, FEATURELAKE_STREAM: 's' });
    const result = await runCli(['generate', '--events', '10', '--send'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`http://127.0.0.1:${port}`);
  });

  it('features', async () => {
    const port = await freePort();
    const result = await runCli(['features', 'user', 'user_000001', '--api-url', `http://127.0.0.1:${port}`], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the feature API at http://127.0.0.1:${port}`);
  });
});

describe('help and generation from the command line', () => {
  it.each([[[] as string[]], [['generate']], [['send']], [['features']], [['local']], [['start']]])(
    '%j --help exits 0',
    async (args) => {
      const result = await runCli([...args, '--help'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: featurelake/);
    },
  );

  it('generate is deterministic for --seed and --start and writes pure JSONL on stdout', async () => {
    const args = ['generate', '--events', '500', '--seed', '9', '--start', '2025-06-01T00:00:00Z', '--rate', '10'];
    const [a, b] = await Promise.all([runCli(args, { cwd: dir }), runCli(args, { cwd: dir })]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = a.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(500);
    const events = lines.map((l) => JSON.parse(l) as { event_time: string });
    expect(events[0]?.event_time).toBe('2025-06-01T00:00:00.000Z');
    expect(
      events
        .map((e) => e.event_time)
        .sort()
        .at(-1),
    ).toBe('2025-06-01T00:00:49.900Z');
  });

  it('generate without --start ends at the current time', async () => {
    const before = Date.now();
    const result = await runCli(['generate', '--events', '200'], { cwd: dir });
    const times = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => Date.parse((JSON.parse(l) as { event_time: string }).event_time));
    const last = Math.max(...times);
    expect(last).toBeGreaterThanOrEqual(before - 1);
    expect(last).toBeLessThanOrEqual(Date.now());
  });

  it('generate --out writes the file and leaves stdout empty', async () => {
    const out = path.join(dir, 'out.jsonl');
    const result = await runCli(['generate', '--events', '50', '--out', out], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/wrote 50 clickstream events/);
  });
});

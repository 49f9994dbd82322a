/**
 * `featurelake local` as a user runs it, in its own process: a malformed
 * request cannot kill it, and when it dies anyway (here: SIGKILL, which no
 * handler can intercept) none of its emulator processes outlives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sleep } from '../../src/domain/concurrency.js';
import { BIN, cleanEnv, ROOT } from '../cli/support.js';

let child: ChildProcess | undefined;
const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-local-process-'));

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Every process started by `pid` (any thread), from /proc. */
function childrenOf(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
  );
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; its state in /proc says it has exited.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

it('survives a malformed request, and its emulators die with it', async () => {
  const cli = spawn(process.execPath, [BIN, 'local', '--state-dir', dir, '--events', '0'], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = cli;
  let output = '';
  cli.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  cli.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('the local stack is up')) {
    expect(cli.exitCode, output).toBeNull();
    expect(Date.now() < deadline, `no "the local stack is up" within 90 s:\n${output}`).toBe(true);
    await sleep(200);
  }
  const info = JSON.parse(readFileSync(path.join(dir, 'local-stack.json'), 'utf8')) as {
    api: { url: string; key: string };
  };
  const headers = { 'x-api-key': info.api.key };

  const bad = await fetch(`${info.api.url}/features/user/%ZZ`, { headers });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ field: 'entityId' });
  const good = await fetch(`${info.api.url}/features/user/user_000001`, { headers });
  expect(good.status).toBe(200);
  expect(cli.exitCode).toBeNull();

  const emulators = childrenOf(cli.pid as number);
  expect(emulators.length).toBeGreaterThanOrEqual(3);
  expect(emulators.every(alive)).toBe(true);

  cli.kill('SIGKILL');
  const gone = Date.now() + 10_000;
  while (emulators.some(alive) && Date.now() < gone) await sleep(100);
  expect(emulators.filter(alive), 'emulator processes left behind by a killed stack').toEqual([]);
}, 120_000);

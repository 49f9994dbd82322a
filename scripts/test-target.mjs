#!/usr/bin/env node
/**
 * npm run test:target -- <outputs file> [--stack <name>] [vitest options…]
 *
 * Runs the end-to-end suite (test/target/*.e2e.ts) against the running
 * featurelake stack the file describes: `.featurelake/local-stack.json`
 * (`npm run local`), or the `--outputs-file` of `cdk deploy` / `cdklocal deploy`.
 * See docs/targets.md. Exits with vitest's code; 2 for bad arguments.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const usage = 'usage: npm run test:target -- <local-stack.json | cdk outputs file> [--stack <name>] [vitest options]';

const stackAt = args.indexOf('--stack');
let stack;
if (stackAt >= 0) {
  stack = args[stackAt + 1];
  if (!stack) fail('--stack needs a stack name');
  args.splice(stackAt, 2);
}
const file = args.shift();
if (!file || file.startsWith('-')) fail('an outputs file is required');
const target = path.resolve(file);
if (!existsSync(target)) fail(`no such file: ${target}`);

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', '--config', 'test/target/vitest.config.ts', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FEATURELAKE_TARGET: target, ...(stack ? { FEATURELAKE_TARGET_STACK: stack } : {}) },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

function fail(message) {
  console.error(`test:target: ${message}\n${usage}`);
  process.exit(2);
}

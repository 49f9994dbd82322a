#!/usr/bin/env node
/**
 * node scripts/report-screenshot.mjs [out.png]
 *
 * Regenerates the report screenshot in docs/operations.md (default
 * docs/img/report.png): runs the report's browser test
 * (test/report/report.test.ts), which renders the fixture lake's report,
 * opens it in headless Chromium (Debian's `chromium`, via playwright-core)
 * and, with FEATURELAKE_REPORT_SCREENSHOT set, saves a full-page PNG.
 * Exits with vitest's code; 2 when chromium is missing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'docs/img/report.png'));
if (spawnSync('sh', ['-c', 'command -v chromium'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write('report-screenshot: no `chromium` on PATH: apt-get install --no-install-recommends chromium\n');
  process.exit(2);
}
const vitest = path.join(root, 'node_modules/.bin/vitest');
const run = spawnSync(vitest, ['run', 'test/report/report.test.ts', '-t', 'draws every chart'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FEATURELAKE_REPORT_SCREENSHOT: out },
});
if (run.status === 0) process.stdout.write(`report-screenshot: wrote ${path.relative(process.cwd(), out)}\n`);
process.exit(run.status ?? 1);

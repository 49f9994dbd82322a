/**
 * The end-to-end suite against a running target (scripts/test-target.mjs sets
 * FEATURELAKE_TARGET). Its files end in `.e2e.ts`, so the default run
 * (`test/**\/*.test.ts`) never picks them up.
 */
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  root: path.resolve(import.meta.dirname, '../..'),
  test: {
    ...base.test,
    include: ['test/target/**/*.e2e.ts'],
    // The waits inside the suite are bounded by the target's batching windows; these only catch a hang.
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
    maxWorkers: 1,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start their own emulators on free ports; two files at a time suits 2 cores.
    maxWorkers: 2,
  },
});

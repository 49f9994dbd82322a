import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start their own emulators on free ports; two files at a time suits 2 cores.
    maxWorkers: 2,
    // The SDK warns that releases after January 2027 need Node 22; Lambda runs 22+, this machine 20.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

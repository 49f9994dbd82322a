#!/usr/bin/env node
// The `featurelake` CLI: registers tsx so Node can load the TypeScript sources
// directly (no build step), then hands over to src/cli/main.ts. Paths resolve
// from this file, so it works from any working directory and through npm's
// bin symlink (Node resolves the symlink for the entry script).
import { register } from 'tsx/esm/api';

// The SDK warns on every run under Node 20 that releases after January 2027 will
// need Node 22; in a CLI that is noise on every command's stderr. An explicit
// setting by the user wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);

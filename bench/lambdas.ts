/**
 * Each Lambda's bundle as `cdk synth` builds it (NodejsFunction/esbuild,
 * minified ESM): size on disk, gzip size, and module-load time in a fresh
 * Node process (median of several), i.e. the init cost the bundle adds to a
 * cold start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApp } from '../lib/featurelake-app.js';
import { median } from './stats.js';

interface FunctionResource {
  Type: string;
  Metadata?: Record<string, string>;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

export function benchBundles(loads = 7) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'featurelake-bundle-'));
  try {
    const { app, stack } = createApp({ envName: 'dev', bundle: true, outdir });
    app.synth();
    const template = JSON.parse(readFileSync(path.join(outdir, `${stack.stackName}.template.json`), 'utf8')) as {
      Resources: Record<string, FunctionResource>;
    };
    return Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.FEATURELAKE_FUNCTION)
      .map((r) => {
        const name = String(r.Properties?.Environment?.Variables?.FEATURELAKE_FUNCTION);
        const assetDir = path.join(outdir, String(r.Metadata?.['aws:asset:path']));
        const entry = readdirSync(assetDir).find((f) => /^index\.m?js$/.test(f)) as string;
        const code = readFileSync(path.join(assetDir, entry));
        // The function's own environment from the template; references to other resources become placeholders.
        const env = Object.fromEntries(
          Object.entries(r.Properties?.Environment?.Variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : 'bench']),
        );
        const loadMs = median(Array.from({ length: loads }, () => moduleLoadMs(path.join(assetDir, entry), env)));
        return {
          function: name,
          bytes: statSync(path.join(assetDir, entry)).size,
          gzipBytes: gzipSync(code).length,
          moduleLoadMs: loadMs,
        };
      });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Time to import the bundle (module scope runs: clients built, env read) in a fresh process. */
function moduleLoadMs(file: string, functionEnv: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      ...functionEnv,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return Number(out.toString().trim());
}

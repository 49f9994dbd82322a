#!/usr/bin/env node
// Restores the lockfile entries of other platforms' optional binaries.
//
// Why: the npm registry mirror this project is developed against answers 404 for
// platform binaries it does not host (e.g. @biomejs/cli-darwin-arm64), so `npm install`
// writes a lockfile without their entries, and `npm ci` then refuses the lockfile as
// "out of sync" ("Missing: @biomejs/cli-darwin-arm64@ from lock file"). An entry marked
// optional with its os/cpu/libc lets `npm ci` skip the package on a platform it does not
// fit, exactly as a lockfile written against the full registry would.
//
// Usage: node scripts/complete-lockfile.mjs [--check]
//   --check  exit 1 (and name the missing entries) instead of writing the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const lockPath = fileURLToPath(new URL('../package-lock.json', import.meta.url));
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'sunos', 'win32', 'aix', 'netbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el'];

/** Reads the platform constraints off a binary package's name, e.g. `cli-linux-arm64-musl`. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return undefined;
  const platform = { os: [os], cpu: [cpu] };
  if (os === 'linux') platform.libc = [parts.includes('musl') ? 'musl' : 'glibc'];
  return platform;
}

const added = [];
const unknown = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      unknown.push(`${dep}@${version} (wanted by ${path || 'the project'})`);
      continue;
    }
    packages[key] = { version, optional: true, ...platform };
    added.push(`${dep}@${version}`);
  }
}

if (unknown.length > 0) {
  console.error(`complete-lockfile: cannot infer the platform of: ${unknown.join(', ')}`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (added.length > 0) {
    console.error(`package-lock.json lacks ${added.length} optional platform entries (${added.join(', ')}).`);
    console.error('Run: node scripts/complete-lockfile.mjs');
    process.exit(1);
  }
  process.exit(0);
}
if (added.length > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  );
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`complete-lockfile: ${added.length} entries added`);

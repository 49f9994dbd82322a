/**
 * The emulators (kinesalite, dynalite, s3rver) for one test file: started in a
 * fresh temporary folder before its tests, stopped and removed after them.
 * `onStart` sets up what the file builds on them (clients, buckets, tables).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Emulators, startEmulators } from '../../src/local/emulators.js';

export function useEmulators(prefix: string, onStart: (emulators: Emulators) => void | Promise<void>): void {
  let dir: string | undefined;
  let emulators: Emulators | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), prefix));
    emulators = await startEmulators(dir);
    await onStart(emulators);
  });
  afterAll(async () => {
    await emulators?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

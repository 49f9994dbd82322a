/** `featurelake consistency` refuses wrong invocations with exit 2, naming what is wrong, before it reads anything. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support.js';

const empty = mkdtempSync(path.join(tmpdir(), 'featurelake-consistency-cli-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('featurelake consistency', () => {
  it.each([
    [['--sample', '0'], /--sample/],
    [['--sample', 'many'], /--sample/],
    [['--settle', '-5'], /--settle/],
    [['--api-url', 'ftp://x'], /--api-url/],
    [
      ['--view', 'nope', '--api-url', 'http://127.0.0.1:9', '--lake-dir', empty],
      /--view: unknown feature view "nope" \(known: user_clickstream/,
    ],
    [['--view', ','], /--view/],
    [[], /no API URL given/],
    [['--api-url', 'http://127.0.0.1:9'], /no lake to query/],
    [['--api-url', 'http://127.0.0.1:9', '--lake-dir', path.join(empty, 'missing')], /--lake-dir: .* is not a directory/],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await runCli(['consistency', '--state-dir', empty, ...args]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('on a lake with no events samples no entity, reads nothing from the API, and says it compared 0 values', async () => {
    const lake = mkdtempSync(path.join(empty, 'lake-'));
    const quiet = await runCli(['consistency', '--state-dir', empty, '--api-url', 'http://127.0.0.1:9', '--lake-dir', lake]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/consistency 100 %: 0 values/);
  });
});

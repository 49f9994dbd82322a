/** Query results as text: every format round-trips its values, and large results neither crash nor block. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatResult, writeResult } from '../../src/cli/result-format.js';

const columns = ['bucket', 'user', 'events', 'ratio'];
const rows = [
  { bucket: new Date('2024-03-05T07:00:00Z'), user: 'u,1', events: 12n, ratio: 0.125 },
  { bucket: new Date('2024-03-05T08:00:00Z'), user: null, events: 3n, ratio: null },
];

describe('formatResult', () => {
  it('JSON: an array of plain objects, bigints as numbers, times as ISO strings', () => {
    expect(JSON.parse(formatResult(columns, rows, 'json'))).toEqual([
      { bucket: '2024-03-05T07:00:00.000Z', user: 'u,1', events: 12, ratio: 0.125 },
      { bucket: '2024-03-05T08:00:00.000Z', user: null, events: 3, ratio: null },
    ]);
    expect(JSON.parse(formatResult(columns, [], 'json'))).toEqual([]);
  });

  it('CSV: a header, quoted fields where needed, NULL as empty', () => {
    expect(formatResult(columns, rows, 'csv')).toBe(
      'bucket,user,events,ratio\n2024-03-05T07:00:00.000Z,"u,1",12,0.125\n2024-03-05T08:00:00.000Z,,3,\n',
    );
  });

  it('table: aligned columns, numbers to the right, NULL shown', () => {
    expect(formatResult(columns, rows, 'table').split('\n')).toEqual([
      'bucket                    user  events  ratio',
      '------------------------  ----  ------  -----',
      '2024-03-05T07:00:00.000Z  u,1       12  0.125',
      '2024-03-05T08:00:00.000Z  NULL       3   NULL',
      '',
    ]);
  });

  it('a table of 300,000 rows (the widths of millions of cells overflowed the stack once)', () => {
    const many = Array.from({ length: 300_000 }, (_, i) => ({ n: i, s: `row ${i}` }));
    const lines = formatResult(['n', 's'], many, 'table').trimEnd().split('\n');
    expect(lines).toHaveLength(300_002);
    expect(lines.at(-1)).toBe('299999  row 299999');
  });

  it('writeResult writes in chunks and waits for a slow reader', async () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ({ n: i }));
    const out = new PassThrough({ highWaterMark: 1024 });
    let text = '';
    const reading = (async () => {
      for await (const chunk of out) {
        text += String(chunk);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await writeResult(out, ['n'], many, 'csv');
    out.end();
    await reading;
    expect(text).toBe(`n\n${many.map((r) => `${r.n}\n`).join('')}`);
  });
});

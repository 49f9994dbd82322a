import { describe, expect, it } from 'vitest';
import type { ModelInput } from '../../src/models/artifact.js';
import { createEncoder, encodeRow, encodeRows } from '../../src/models/encode.js';

const inputs: ModelInput[] = [
  { name: 'clicks', source: { kind: 'view', view: 'v', feature: 'clicks' }, type: 'numeric', mean: 2, std: 4, fill: 1 },
  { name: 'device', source: { kind: 'request' }, type: 'categorical', categories: ['mobile', 'desktop', 'tablet'] },
  { name: 'is_weekend', source: { kind: 'time', part: 'is_weekend' }, type: 'numeric', mean: 0.5, std: 0.5, fill: 0 },
];

describe('encodeRow', () => {
  it('standardises numerics and one-hot encodes categoricals in input order', () => {
    // clicks: (10 − 2) / 4 = 2; device desktop → [0, 1, 0]; is_weekend true → 1 → (1 − 0.5) / 0.5 = 1
    expect([...encodeRow(inputs, { clicks: 10, device: 'desktop', is_weekend: true })]).toEqual([2, 0, 1, 0, 1]);
    // false → 0 → (0 − 0.5) / 0.5 = −1; bigint counts as a number: (6 − 2) / 4 = 1
    expect([...encodeRow(inputs, { clicks: 6n, device: 'tablet', is_weekend: false })]).toEqual([1, 0, 0, 1, -1]);
  });

  it('fills missing, null and non-finite numerics before standardising; unseen or missing categories are zeros', () => {
    // fill 1 → (1 − 2) / 4 = −0.25; is_weekend fill 0 → −1
    const filled = [-0.25, 0, 0, 0, -1];
    expect([...encodeRow(inputs, {})]).toEqual(filled);
    expect([...encodeRow(inputs, { clicks: null, device: 'watch', is_weekend: Number.NaN })]).toEqual(filled);
    expect([...encodeRow(inputs, { clicks: Number.POSITIVE_INFINITY, device: null, is_weekend: 'yes' })]).toEqual(filled);
  });

  it('encodes many rows into one row-major matrix, every cell rewritten', () => {
    const rows = [{ clicks: 2, device: 'mobile', is_weekend: 1 }, { device: 'desktop' }];
    expect([...encodeRows(inputs, rows)]).toEqual([0, 1, 0, 0, 1, -0.25, 0, 1, 0, -1]);
    const encoder = createEncoder(inputs);
    const out = new Float64Array(5).fill(7);
    encoder.encodeInto({ device: 'tablet' }, out);
    expect([...out]).toEqual([-0.25, 0, 0, 1, -1]);
    expect(encoder.width).toBe(5);
  });
});

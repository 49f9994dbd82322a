/**
 * `featurelake start` (npm start), end to end: the demo's own checks must
 * hold — every invalid record quarantined once per consumer, every valid
 * event in the lake once — and it says so with exit code 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'featurelake-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('featurelake start', () => {
  it('runs the demo through both consumers and reports it OK', async () => {
    // 1,000 events with one invalid record per 500; a 1 s lake window instead of dev's 60 s keeps the test short.
    const result = await runCli(['start', '--events', '1000', '--lake-window', '1', '--state-dir', dir]);
    expect(result.stdout).toMatch(/quarantined +2 \(expected 2\) under s3:\/\/.+\/invalid\/consumer=aggregator\//);
    expect(result.stdout).toMatch(/lake writer: waiting for its batching window \(1 s/);
    expect(result.stdout).toMatch(/lake rows +1,000 \(expected 1,000\) in \d+ Parquet files/);
    expect(result.stdout).toMatch(/lake quarantined +2 \(expected 2\)/);
    // The model half: trained from the lake, published, served, and its predictions logged back to the lake.
    expect(result.stdout).toMatch(/model purchase_propensity:[\s\S]*training set +[\d,]+ rows × \d+ columns/);
    expect(result.stdout).toMatch(/gbdt +ROC-AUC \d\.\d{3}/);
    expect(result.stdout).toMatch(/published +version 1 \(\w+\)/);
    expect(result.stdout).toMatch(/logged predictions +3 \(expected 3\) in the lake's predictions table/);
    expect(result.stdout).toContain('demo OK');
    expect(result.code).toBe(0);
  });

  it('runs any workload: seed 004’s app logs, shown per user and per app, checked the same way', async () => {
    const result = await runCli([
      'start',
      '--events',
      '1000',
      '--workload',
      'app-logs',
      '--lake-window',
      '1',
      '--state-dir',
      dir,
    ]);
    expect(result.stdout).toMatch(/events sent +1,000 app_logs events \+ 2 invalid/);
    expect(result.stdout).toMatch(/quarantined +2 \(expected 2\) under s3:\/\/.+\/invalid\/consumer=aggregator\//);
    // A grid per view: rows are its aggregations, columns its windows.
    expect(result.stdout).toMatch(/app_user user\d+ +30m +1d\n +actions +\d+ +\d+/);
    expect(result.stdout).toMatch(/app \w+ +30m +1d\n +actions +\d+ +\d+/);
    expect(result.stdout).toMatch(/lake rows +1,000 \(expected 1,000\) in \d+ Parquet files under s3:\/\/.+\/events\/app_logs\//);
    expect(result.stdout).toMatch(/lake quarantined +2 \(expected 2\)/);
    expect(result.stdout).toContain('demo OK');
    expect(result.code).toBe(0);
  });
});

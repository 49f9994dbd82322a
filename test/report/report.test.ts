/**
 * `featurelake report` on a fixture lake: the gathered series against
 * answers computed here from the fixture's rows, then the page opened in
 * headless Chromium (Debian's `chromium`, driven by playwright-core): every
 * chart drawn, of the size and with the data computed here, no console
 * errors, no request beyond the file itself. Skipped only when chromium is
 * missing outside CI (.ci/run installs it). With
 * FEATURELAKE_REPORT_SCREENSHOT=<png> it also saves a screenshot
 * (scripts/report-screenshot.mjs, for docs/img/report.png).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sources } from '../../src/features/catalog.js';
import { type LocalLake, openLocalLake } from '../../src/query/local-engine.js';
import { gatherReport } from '../../src/report/gather.js';
import { chartLibrarySource, renderReportHtml } from '../../src/report/html.js';
import { directoryQuarantineStore } from '../../src/report/quarantine-series.js';
import type { ReportData } from '../../src/report/series.js';
import { runCli } from '../cli/support.js';
import { END, MODELS, START } from '../support/lake-fixture.js';
import { MODEL, type ReportFixture, writeReportFixture } from './report-fixture.js';

const FROM = Date.parse(START);
const TO = Date.parse(END);
const HOURS = (TO - FROM) / 3_600_000;
const inRange = (t: number) => t >= FROM && t < TO;

function findChromium(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const CHROMIUM = findChromium();
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
if (!CHROMIUM && !IN_CI)
  console.warn('test/report: skipping the browser checks: no `chromium` on PATH (apt-get install chromium; .ci/run does)');

/** PSI as the report documents it, written out independently: shares floored at 1e-4. */
function psiOf(expected: readonly number[], actual: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] ?? 0, 1e-4);
    const a = Math.max(actual[i] ?? 0, 1e-4);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Shares of values per numeric bin: bin i holds lo < x ≤ hi (null = unbounded). */
function sharesIn(edges: readonly (number | null)[], values: readonly number[]): number[] {
  return edges.slice(1).map((hi, i) => {
    const lo = edges[i] ?? null;
    const n = values.filter((x) => (lo === null || x > lo) && (hi === null || x <= hi)).length;
    return n / values.length;
  });
}

/** The p-th value by the inverted CDF (DuckDB's quantile_disc). */
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;

interface ChartProbe {
  id: string;
  kind: string;
  empty: string;
  hasInstance: boolean;
  width: number;
  height: number;
  aria: string | null;
  title: string;
  subtitle: string;
  series: { name: string; type: string; data: unknown[]; markLine?: number[] }[];
}

/** Runs in the page: what each `.chart` element holds once drawn. */
const PROBE = `[...document.querySelectorAll('.chart')].map((el) => {
  const chart = echarts.getInstanceByDom(el);
  const svg = el.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
  const option = chart ? chart.getOption() : {};
  return {
    id: el.id,
    kind: el.dataset.chart,
    empty: el.dataset.empty,
    hasInstance: Boolean(chart),
    width: box.width,
    height: box.height,
    aria: el.getAttribute('aria-label'),
    title: (option.title && option.title[0] && option.title[0].text) || '',
    subtitle: (option.title && option.title[0] && option.title[0].subtext) || '',
    series: (option.series || []).map((s) => ({
      name: s.name,
      type: s.type,
      data: s.data,
      markLine: s.markLine && s.markLine.data ? s.markLine.data.map((d) => d.yAxis) : undefined,
    })),
  };
})`;

describe('featurelake report', () => {
  let fixture: ReportFixture;
  let lake: LocalLake;
  let data: ReportData;
  let work: string;
  let browser: Browser | undefined;
  const library = chartLibrarySource();
  const useBrowser = Boolean(CHROMIUM) || IN_CI;

  beforeAll(async () => {
    fixture = await writeReportFixture();
    lake = await openLocalLake({ storage: fixture.lake.storage, tables: fixture.lake.tables });
    work = mkdtempSync(path.join(tmpdir(), 'featurelake-report-'));
    data = await gatherReport({
      run: (sql) => lake.run(sql),
      layout: { timePartitioning: 'hour' },
      environment: 'dev',
      where: 'local DuckDB over the test fixture lake (test/report/report-fixture.ts)',
      sources,
      artifacts: [fixture.artifact],
      quarantine: directoryQuarantineStore(fixture.quarantineDir),
      range: { fromMs: FROM, toMs: TO },
      now: new Date('2024-03-05T06:00:00Z'),
      // As the catalog's drift settings say it: a model threshold, one input's own, a minimum count.
      driftSettings: (model) => (model === MODEL ? { psi: 0.25, minCount: 500, features: { device: { psi: 1.5 } } } : undefined),
    });
    if (useBrowser) {
      if (!CHROMIUM) throw new Error('chromium is not installed: .ci/run installs it with apt-get (Debian package chromium)');
      // Root in a container has no user namespace for Chromium's sandbox.
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    }
  });

  afterAll(async () => {
    await browser?.close();
    lake?.close();
    for (const dir of [fixture?.lake.root, fixture?.quarantineDir, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Predictions of every model in range, as (model, version, score, time, request) — the fixture's and churn_risk's. */
  const predictions = () => [
    ...fixture.lake.predictions.map((p) => ({
      model: p.model_name,
      version: p.model_version ?? 'unversioned',
      score: p.score,
      time: p.time,
      request: p.prediction_id,
      ms: p.inference_time_ms,
    })),
    ...fixture.churn.map((p) => ({
      model: MODEL,
      version: p.model_version,
      score: p.score,
      time: p.time,
      request: p.request_id,
      ms: p.inference_time_ms,
    })),
  ];

  it('counts events per hour and source in [from, to)', () => {
    const bySource: Record<string, readonly { time: number }[]> = {
      clickstream: fixture.lake.clicks,
      app_logs: fixture.lake.logs,
      predictions: predictions(),
      listen_events: fixture.lake.listens,
      access_logs: [],
    };
    expect(data.volume.hours).toHaveLength(HOURS);
    expect(data.volume.hours[0]).toBe(new Date(FROM).toISOString());
    for (const { source, counts } of data.volume.sources) {
      const rows = (bySource[source] ?? []).filter((r) => inRange(r.time));
      const expected = Array.from(
        { length: HOURS },
        (_, h) => rows.filter((r) => Math.floor((r.time - FROM) / 3_600_000) === h).length,
      );
      expect(counts, source).toEqual(expected);
    }
    expect(data.volume.sources.map((s) => s.source).sort()).toEqual(Object.keys(bySource).sort());
  });

  it('histograms scores per model version, and latency once per request', () => {
    const rows = predictions().filter((p) => inRange(p.time));
    const keys = [...new Set(rows.map((p) => `${p.model} ${p.version}`))].sort();
    expect(data.scores.versions.map((v) => `${v.model} ${v.version}`).sort()).toEqual(keys);
    for (const v of data.scores.versions) {
      const scores = rows.filter((p) => p.model === v.model && p.version === v.version).map((p) => p.score);
      const expected = Array.from({ length: 20 }, (_, b) => scores.filter((s) => Math.min(19, Math.floor(s * 20)) === b).length);
      expect(v.counts, `${v.model} v${v.version}`).toEqual(expected);
    }
    expect(data.latency.models.map((m) => m.model)).toEqual([...MODELS, MODEL].sort());
    for (const m of data.latency.models) {
      const perRequest = new Map(rows.filter((p) => p.model === m.model).map((p) => [p.request, p.ms]));
      const sorted = [...perRequest.values()].sort((a, b) => a - b);
      expect(m.count, m.model).toBe(sorted.length);
      expect(m.points).toHaveLength(101);
      expect(m.points[0]).toEqual([sorted[0], 0]);
      expect(m.points[50]).toEqual([percentile(sorted, 0.5), 0.5]);
      expect(m.points[90]?.[0]).toBe(percentile(sorted, 0.9));
      expect(m.points[100]).toEqual([sorted.at(-1), 1]);
    }
  });

  it('bins recent inputs against the training reference and measures PSI; the shifted input has drifted', () => {
    const recent = fixture.churn
      .filter((p) => inRange(p.time) && !p.shadow && p.features?.startsWith('{"'))
      .map((p) => JSON.parse(p.features as string) as { visits_7d: number; spend_30d: number; device: string });
    const reference = fixture.artifact.reference?.inputs ?? {};
    const expected: Record<string, { recent: number[]; psi: number }> = {};
    for (const input of ['visits_7d', 'spend_30d'] as const) {
      const ref = reference[input];
      if (ref?.type !== 'numeric') throw new Error('fixture: numeric reference expected');
      const shares = sharesIn(
        ref.bins.edges,
        recent.map((r) => r[input]),
      );
      expected[input] = { recent: shares, psi: psiOf(ref.bins.shares, shares) };
    }
    const device = reference.device;
    if (device?.type !== 'categorical') throw new Error('fixture: categorical reference expected');
    const categories = ['mobile', 'desktop', 'tablet'].filter((c) => c in device.shares);
    const deviceShares = [
      ...categories.map((c) => recent.filter((r) => r.device === c).length / recent.length),
      recent.filter((r) => !categories.includes(r.device)).length / recent.length,
    ];
    expected.device = {
      recent: deviceShares,
      psi: psiOf([...categories.map((c) => device.shares[c] ?? 0), device.shares.__other__ ?? 0], deviceShares),
    };

    expect(data.drift).toHaveLength(1);
    const [drift] = data.drift;
    expect(drift?.threshold).toBe(0.25);
    expect(drift?.minCount).toBe(500);
    expect(Object.fromEntries(drift?.inputs.map((x) => [x.input, x.threshold]) ?? [])).toEqual({
      spend_30d: 0.25,
      device: 1.5,
      visits_7d: 0.25,
    });
    for (const d of data.distributions) {
      const want = expected[d.input];
      expect(d.recentCount, d.input).toBe(recent.length);
      for (const [i, share] of d.recent.entries())
        expect(share, `${d.input} bin ${i}`).toBeCloseTo(want?.recent[i] ?? Number.NaN, 12);
      expect(d.psi, d.input).toBeCloseTo(want?.psi ?? Number.NaN, 10);
      expect(drift?.inputs.find((x) => x.input === d.input)?.psi).toBe(d.psi);
    }
    expect(data.distributions.map((d) => d.input).sort()).toEqual(['device', 'spend_30d', 'visits_7d']);
    expect(expected.spend_30d?.psi).toBeGreaterThan(0.2);
    expect(expected.visits_7d?.psi).toBeLessThan(0.1);
    // Highest PSI first.
    expect(drift?.inputs[0]?.input).toBe('spend_30d');
  });

  it('counts quarantined records per reason and consumer in range (a batch report by its rejected rows)', () => {
    const within = fixture.quarantined.filter((q) => inRange(q.atMs));
    const reasons = [...new Set(within.map((q) => q.reason))].sort();
    expect(data.quarantine.reasons).toEqual(reasons);
    for (const { consumer, counts } of data.quarantine.consumers) {
      const expected = reasons.map((r) =>
        within.filter((q) => q.consumer === consumer && q.reason === r).reduce((n, q) => n + q.count, 0),
      );
      expect(counts, consumer).toEqual(expected);
    }
    expect(data.quarantine.consumers.map((c) => c.consumer)).toEqual(['aggregator', 'batch-ingest', 'lake-writer']);
  });

  describe.skipIf(!useBrowser)('in headless Chromium', () => {
    /** Opens a report file; resolves to the probe of its charts and what the page did besides. */
    async function open(file: string, screenshot?: string) {
      if (!browser) throw new Error('no browser');
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      const charts = (await page.evaluate(PROBE)) as ChartProbe[];
      const heading = await page.textContent('h1');
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
      await page.close();
      return { charts, errors, requests, heading };
    }

    it('draws every chart with the data computed above, offline and without errors', async () => {
      const file = path.join(work, 'index.html');
      writeFileSync(file, renderReportHtml(data, { library }));
      const html = readFileSync(file, 'utf8');
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)/);
      const { charts, errors, requests, heading } = await open(file, process.env.FEATURELAKE_REPORT_SCREENSHOT);
      expect(errors).toEqual([]);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(heading).toBe('featurelake report: dev');

      const kinds = charts.map((c) => c.kind);
      const models = [MODEL, ...MODELS].sort();
      expect(kinds).toEqual([
        ...['volume', 'distribution', 'distribution', 'distribution', 'drift', 'quarantine', 'latency'],
        ...models.map(() => 'scores'),
      ]);
      for (const chart of charts) {
        expect(chart.hasInstance, chart.id).toBe(true);
        expect(chart.empty, chart.id).toBe('false');
        expect(chart.width, chart.id).toBeGreaterThan(300);
        expect(chart.height, chart.id).toBeGreaterThan(200);
        // ECharts' aria: a generated description of the chart, for screen readers.
        expect(chart.aria, chart.id).toMatch(/\S/);
      }
      const byKind = (kind: string) => charts.filter((c) => c.kind === kind);

      const [volume] = byKind('volume');
      const withEvents = data.volume.sources.filter((s) => s.counts.some((n) => n > 0));
      expect(volume?.series.map((s) => s.name)).toEqual(withEvents.map((s) => s.source));
      for (const s of volume?.series ?? []) {
        expect(s.data).toHaveLength(HOURS);
        expect(s.data.map((d) => (d as [string, number])[1])).toEqual(withEvents.find((w) => w.source === s.name)?.counts);
      }

      for (const [i, chart] of byKind('distribution').entries()) {
        const d = data.distributions[i];
        expect(chart.id).toBe(`chart-distribution-churn-risk-${d?.input.replaceAll('_', '-')}`);
        expect(chart.series.map((s) => s.name)).toEqual(['training', 'recent']);
        expect(chart.series.map((s) => s.data.length)).toEqual([d?.bins.length, d?.bins.length]);
        expect(chart.series[1]?.data).toEqual(d?.recent);
      }

      const [drift] = byKind('drift');
      expect(drift?.series[0]?.data).toHaveLength(3);
      expect(drift?.series[0]?.markLine).toEqual([0.25]);
      // Red above the input's own threshold: spend_30d (PSI > 3) but not device (PSI ~0.9, its threshold 1.5).
      const bars = (drift?.series[0]?.data ?? []) as { value: number; itemStyle: { color: string } }[];
      expect(bars.map((x) => x.itemStyle.color === '#d9534f')).toEqual(data.drift[0]?.inputs.map((x) => x.input === 'spend_30d'));
      expect(drift?.subtitle).toMatch(/1 of 3 inputs above their threshold · fewer than 500 recent values: not judged/);
      expect(bars.map((x) => x.value)).toEqual(data.drift[0]?.inputs.map((x) => x.psi));

      const [quarantine] = byKind('quarantine');
      expect(quarantine?.series.map((s) => s.name)).toEqual(['aggregator', 'batch-ingest', 'lake-writer']);
      for (const s of quarantine?.series ?? []) expect(s.data).toHaveLength(data.quarantine.reasons.length);

      const [latency] = byKind('latency');
      expect(latency?.series).toHaveLength(3);
      for (const s of latency?.series ?? []) expect(s.data).toHaveLength(101);

      // One chart per model, a series per version (shadow v3 of churn_risk included; rows without a version as "unversioned").
      for (const [i, scores] of byKind('scores').entries()) {
        const model = models[i] as string;
        expect(scores.id).toBe(`chart-scores-${model.replaceAll('_', '-')}`);
        const versions = data.scores.versions.filter((v) => v.model === model);
        expect(scores.series.map((s) => s.name)).toEqual(
          versions.map(
            (v) =>
              `${/^\d/.test(v.version) ? 'v' : ''}${v.version} (${v.counts.reduce((a, b) => a + b, 0).toLocaleString('en-US')})`,
          ),
        );
        for (const [j, s] of scores.series.entries()) {
          const counts = versions[j]?.counts ?? [];
          const total = counts.reduce((a, b) => a + b, 0);
          expect(s.data).toHaveLength(20);
          expect(s.data).toEqual(counts.map((n) => n / total));
        }
      }
      expect(byKind('scores')[0]?.series.map((s) => s.name.split(' ')[0])).toEqual(['v2', 'v3']);
    });

    it('says "no data in range" instead of failing when the range is empty', async () => {
      const empty = await gatherReport({
        run: (sql) => lake.run(sql),
        layout: { timePartitioning: 'hour' },
        environment: 'dev',
        where: 'fixture',
        sources,
        artifacts: [],
        quarantine: { unavailable: 'no quarantine given (--quarantine-dir)' },
        range: { fromMs: Date.parse('2020-01-01T00:00:00Z'), toMs: Date.parse('2020-01-02T00:00:00Z') },
      });
      const file = path.join(work, 'empty.html');
      writeFileSync(file, renderReportHtml(empty, { library }));
      const { charts, errors } = await open(file);
      expect(errors).toEqual([]);
      expect(charts.map((c) => [c.kind, c.empty])).toEqual(
        ['volume', 'distribution', 'drift', 'quarantine', 'latency', 'scores'].map((k) => [k, 'true']),
      );
      for (const chart of charts) {
        expect(chart.hasInstance, chart.id).toBe(true);
        expect(chart.width, chart.id).toBeGreaterThan(300);
      }
      expect(charts.find((c) => c.kind === 'volume')?.aria).toMatch(/no data in range/);
    });
  });

  it('runs from the command line on a lake folder, an artifact file and a quarantine folder; usage errors exit 2', async () => {
    const artifactFile = path.join(work, 'artifact.json');
    writeFileSync(artifactFile, JSON.stringify(fixture.artifact));
    const out = path.join(work, 'cli');
    const common = ['--lake-dir', fixture.lake.root, '--from', START, '--to', END];
    const ok = await runCli([
      'report',
      ...common,
      '--artifact',
      artifactFile,
      '--quarantine-dir',
      fixture.quarantineDir,
      '--out',
      out,
    ]);
    expect(ok.stderr).toMatch(/report: event volume per hour: [\d.]+ s/);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^wrote .*index\.html \([\d.]+ MB, 10 charts, 2024-03-04T22:00:00\.000Z to 2024-03-05T03:00:00\.000Z\)/,
    );
    expect(existsSync(path.join(out, 'index.html'))).toBe(true);

    const [backwards, bucket] = await Promise.all([
      runCli(['report', '--lake-dir', fixture.lake.root, '--from', END, '--to', START, '--out', out]),
      runCli(['report', ...common, '--quarantine-bucket', 'b', '--out', out]),
    ]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--to must be after --from');
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toContain('--quarantine-bucket names a deployment: add --athena');
  });
});

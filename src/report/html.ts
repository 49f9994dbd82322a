/**
 * The report as one self-contained HTML page: Apache ECharts' minified build
 * read from node_modules and inlined (nothing is fetched when the page is
 * opened, so it can be mailed or attached to a ticket), the data as a JSON
 * `<script type="application/json" id="report-data">`, and ./page.js, which
 * draws one chart per `<div class="chart" data-chart="…">`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from './series.js';

const require = createRequire(import.meta.url);

/** ECharts' full build: the common one lacks nothing we use today, but 400 KB is not worth a missing chart type later. */
export const CHART_LIBRARY = 'echarts/dist/echarts.min.js';

export function chartLibrarySource(): { source: string; version: string } {
  const source = readFileSync(require.resolve(CHART_LIBRARY), 'utf8');
  const { version } = require('echarts/package.json') as { version: string };
  return { source, version };
}

const pageScript = () => readFileSync(new URL('./page.js', import.meta.url), 'utf8');

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON that cannot end the script element it sits in. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

interface ChartSlot {
  readonly id: string;
  readonly kind: 'volume' | 'distribution' | 'drift' | 'quarantine' | 'latency' | 'scores';
  readonly index?: number;
  /** The figure's caption: what the chart shows, for every reader. */
  readonly caption: string;
  /** Takes the page's whole width (a time axis, many series). */
  readonly wide?: boolean;
}

/** Every chart of the page, in reading order, grouped under headings. */
export function chartSlots(data: ReportData): { heading: string; slots: ChartSlot[] }[] {
  const distributions: ChartSlot[] =
    data.distributions.length === 0
      ? [{ id: 'chart-distribution', kind: 'distribution', index: 0, caption: 'No model with reference distributions.' }]
      : data.distributions.map((d, index) => ({
          id: `chart-distribution-${slug(d.model)}-${slug(d.input)}`,
          kind: 'distribution',
          index,
          caption: `${d.input} of ${d.model}: its training distribution (artifact v${d.version}) beside the recent values in the same bins.`,
        }));
  const drift: ChartSlot[] =
    data.drift.length === 0
      ? [{ id: 'chart-drift', kind: 'drift', index: 0, caption: 'No model with reference distributions.' }]
      : data.drift.map((d, index) => ({
          id: `chart-drift-${slug(d.model)}`,
          kind: 'drift',
          index,
          caption: `Population stability index of each input of ${d.model} (v${d.version}), recent against training; the dashed line is the ${d.threshold} threshold.`,
        }));
  const models = [...new Set(data.scores.versions.map((v) => v.model))];
  const scores: ChartSlot[] =
    models.length === 0
      ? [{ id: 'chart-scores', kind: 'scores', index: 0, caption: 'No predictions in range.' }]
      : models.map((model, index) => ({
          id: `chart-scores-${slug(model)}`,
          kind: 'scores',
          index,
          caption: `Histogram of ${model}'s scores per version (shadow versions included), as shares of each version's predictions.`,
        }));
  return [
    {
      heading: 'Event volume',
      slots: [
        { id: 'chart-volume', kind: 'volume', wide: true, caption: 'Events landed in the lake per hour, one line per source.' },
      ],
    },
    { heading: 'Feature distributions: training vs recent', slots: distributions },
    { heading: 'Drift per feature', slots: drift },
    {
      heading: 'Quarantine',
      slots: [
        {
          id: 'chart-quarantine',
          kind: 'quarantine',
          caption: 'Records the pipeline could not use, by reason, stacked by the consumer that quarantined them.',
        },
      ],
    },
    {
      heading: 'API latency',
      slots: [
        { id: 'chart-latency', kind: 'latency', wide: true, caption: `Cumulative distribution of ${data.latency.measure}.` },
      ],
    },
    {
      heading: 'Prediction scores',
      slots: scores,
    },
  ];
}

const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #222; background: #f6f7f9; }
  header { background: #1f2d3d; color: #fff; padding: 16px 24px; }
  header h1 { margin: 0 0 8px; font-size: 20px; }
  header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
  header dt { opacity: .75; } header dd { margin: 0; }
  header ul { margin: 8px 0 0; padding-left: 18px; }
  main { padding: 8px 24px 24px; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
  figure { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; margin: 0; padding: 8px; }
  figure.wide { grid-column: 1 / -1; }
  figcaption { color: #555; font-size: 12px; padding: 4px 4px 0; }
  .chart { width: 100%; height: 340px; }
`;

export interface RenderOptions {
  /** The chart library's source (tests pass it once for several pages). @default read from node_modules */
  readonly library?: { source: string; version: string };
}

export function renderReportHtml(data: ReportData, options: RenderOptions = {}): string {
  const library = options.library ?? chartLibrarySource();
  const { meta } = data;
  const notes =
    meta.notes.length === 0 ? '' : `<ul aria-label="notes">${meta.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
  const sections = chartSlots(data)
    .map(
      ({ heading, slots }) => `<section aria-labelledby="${slug(heading)}">
<h2 id="${slug(heading)}">${escapeHtml(heading)}</h2>
<div class="grid">
${slots
  .map(
    (s) =>
      `<figure${s.wide ? ' class="wide"' : ''}><div class="chart" id="${s.id}" data-chart="${s.kind}"${s.index === undefined ? '' : ` data-index="${s.index}"`}></div><figcaption>${escapeHtml(s.caption)}</figcaption></figure>`,
  )
  .join('\n')}
</div>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="featurelake report; Apache ECharts ${escapeHtml(library.version)}">
<title>${escapeHtml(meta.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(meta.title)}</h1>
<dl>
<dt>Environment</dt><dd>${escapeHtml(meta.environment)}</dd>
<dt>Data</dt><dd>${escapeHtml(meta.where)}</dd>
<dt>Time range</dt><dd><time datetime="${meta.from}">${escapeHtml(meta.from)}</time> to <time datetime="${meta.to}">${escapeHtml(meta.to)}</time> (UTC, end exclusive)</dd>
<dt>Generated</dt><dd><time datetime="${meta.generatedAt}">${escapeHtml(meta.generatedAt)}</time></dd>
</dl>
${notes}
</header>
<main>
${sections}
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${library.source}</script>
<script>${pageScript()}</script>
</body>
</html>
`;
}

// The report page's script (plain browser JavaScript, inlined by ./html.ts after ECharts): reads the
// report's data from #report-data and draws each `.chart` element by its data-chart kind. A chart with
// nothing to draw says so ("no data in range") and is marked data-empty. When every chart has drawn,
// <body data-ready="true"> (the test and the screenshot wait for it).
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  // "2" → "v2"; versions another service logged ("v1", "unversioned") as they are.
  const versionLabel = (v) => (/^\d/.test(v) ? `v${v}` : v);
  const percent = (x) => `${(100 * x).toFixed(1)} %`;
  const base = (title, subtitle) => ({
    animation: false,
    // Times on the axes and in tooltips in UTC, as the header's range (ECharts defaults to the viewer's zone).
    useUTC: true,
    aria: { enabled: true },
    title: { text: title, subtext: subtitle, left: 'left', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 46 },
    grid: { top: 90, left: 60, right: 24, bottom: 48, containLabel: true },
  });
  const empty = (title, message) => ({
    animation: false,
    aria: { enabled: true, label: { description: `${title}: ${message}` } },
    title: { text: title, left: 'left', textStyle: { fontSize: 14 } },
    graphic: { type: 'text', left: 'center', top: 'middle', style: { text: message, fontSize: 16, fill: '#777' } },
  });

  const charts = {
    volume() {
      const title = 'Events per hour, by source';
      const sources = data.volume.sources.filter((s) => s.counts.some((n) => n > 0));
      if (sources.length === 0) return empty(title, 'no data in range');
      const total = sources.reduce((n, s) => n + s.counts.reduce((a, b) => a + b, 0), 0);
      return {
        ...base(title, `${total.toLocaleString('en-US')} events in the lake`),
        xAxis: {
          type: 'time',
          name: 'hour (UTC)',
          nameLocation: 'middle',
          nameGap: 28,
          axisLabel: { formatter: { day: '{MMM} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}' } },
        },
        yAxis: { type: 'value', name: 'events' },
        series: sources.map((s) => ({
          name: s.source,
          type: 'line',
          showSymbol: false,
          data: s.counts.map((n, i) => [data.volume.hours[i], n]),
        })),
      };
    },
    distribution(index) {
      const d = data.distributions[index];
      if (!d) return empty('Feature distributions, training vs recent', 'no model with reference distributions');
      const title = `${d.model} · ${d.input}: training vs recent`;
      const subtitle =
        d.recentCount === 0
          ? `v${d.version} · no recent values in range`
          : `v${d.version} · PSI ${d.psi.toFixed(3)} · ${d.recentCount.toLocaleString('en-US')} recent values`;
      return {
        ...base(title, subtitle),
        tooltip: { trigger: 'axis', valueFormatter: percent },
        xAxis: { type: 'category', data: d.bins, axisLabel: { rotate: d.bins.length > 6 ? 30 : 0 } },
        yAxis: { type: 'value', name: 'share', axisLabel: { formatter: (x) => `${Math.round(100 * x)} %` } },
        series: [
          { name: 'training', type: 'bar', data: d.training },
          { name: 'recent', type: 'bar', data: d.recentCount === 0 ? d.recent.map(() => 0) : d.recent },
        ],
      };
    },
    drift(index) {
      const d = data.drift[index];
      if (!d || d.inputs.length === 0) return empty('Drift per feature (PSI)', 'no model with reference distributions');
      const title = `Drift per feature (PSI): ${d.model}`;
      const drifted = d.inputs.filter((x) => x.psi > x.threshold).length;
      const fewest = Math.min(...d.inputs.map((x) => x.recentCount));
      const unjudged =
        d.minCount !== undefined && fewest < d.minCount
          ? ` · fewer than ${d.minCount} recent values: not judged by the drift job`
          : '';
      return {
        ...base(title, `v${d.version} · ${drifted} of ${d.inputs.length} inputs above their threshold${unjudged}`),
        legend: { show: false },
        xAxis: { type: 'category', data: d.inputs.map((x) => x.input), axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: 'PSI' },
        series: [
          {
            name: 'PSI',
            type: 'bar',
            data: d.inputs.map((x) => ({
              value: x.psi,
              itemStyle: { color: x.psi > x.threshold ? '#d9534f' : '#5470c6' },
            })),
            markLine: {
              symbol: 'none',
              lineStyle: { color: '#d9534f', type: 'dashed' },
              label: { position: 'insideEndTop', formatter: `threshold ${d.threshold}` },
              data: [{ yAxis: d.threshold, name: 'threshold' }],
            },
          },
        ],
      };
    },
    quarantine() {
      const q = data.quarantine;
      const title = 'Quarantined records, by reason';
      if (q.unavailable) return empty(title, q.unavailable);
      if (q.reasons.length === 0) return empty(title, 'no data in range');
      return {
        ...base(title, `${q.objectsRead.toLocaleString('en-US')} quarantine objects read`),
        xAxis: { type: 'category', data: q.reasons },
        yAxis: { type: 'value', name: 'records' },
        series: q.consumers.map((c) => ({ name: c.consumer, type: 'bar', stack: 'consumer', data: c.counts })),
      };
    },
    latency() {
      const l = data.latency;
      const title = 'API latency, cumulative distribution';
      if (l.models.length === 0) return empty(title, 'no data in range');
      return {
        ...base(title, l.measure),
        tooltip: { trigger: 'item', formatter: (p) => `${p.seriesName}: ${percent(p.value[1])} ≤ ${p.value[0]} ms` },
        xAxis: { type: 'value', name: 'ms', nameLocation: 'middle', nameGap: 28 },
        yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (x) => `${Math.round(100 * x)} %` } },
        series: l.models.map((m) => ({
          name: `${m.model} (${m.count.toLocaleString('en-US')})`,
          type: 'line',
          step: 'end',
          showSymbol: false,
          data: m.points,
        })),
      };
    },
    scores(index) {
      const s = data.scores;
      // One chart per model (the versions of a model are what is compared), in the order of the data.
      const model = [...new Set(s.versions.map((v) => v.model))][index];
      if (model === undefined) return empty('Prediction scores, by model version', 'no data in range');
      const title = `Prediction scores of ${model}, by version`;
      const labels = s.edges.slice(0, -1).map((lo, i) => `${lo.toFixed(2)}–${s.edges[i + 1].toFixed(2)}`);
      return {
        ...base(title, 'share of each version’s predictions per score bin'),
        tooltip: { trigger: 'axis', valueFormatter: percent },
        xAxis: { type: 'category', data: labels, axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: 'share', axisLabel: { formatter: (x) => `${Math.round(100 * x)} %` } },
        series: s.versions
          .filter((v) => v.model === model)
          .map((v) => {
            const total = v.counts.reduce((a, b) => a + b, 0);
            return {
              name: `${versionLabel(v.version)} (${total.toLocaleString('en-US')})`,
              type: 'bar',
              data: v.counts.map((n) => (total > 0 ? n / total : 0)),
            };
          }),
      };
    },
  };

  for (const element of document.querySelectorAll('.chart')) {
    const kind = element.dataset.chart;
    const option = charts[kind](Number(element.dataset.index ?? 0));
    element.dataset.empty = option.graphic ? 'true' : 'false';
    const chart = echarts.init(element, null, { renderer: 'svg' });
    chart.setOption(option);
    window.addEventListener('resize', () => chart.resize());
  }
  document.body.dataset.ready = 'true';
})();

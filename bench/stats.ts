/** Small statistics and rendering helpers for the benchmarks. */

export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.min(sortedAscending.length - 1, Math.max(0, Math.ceil((p / 100) * sortedAscending.length) - 1));
  return sortedAscending[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function summarize(samplesMs: readonly number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** A terminal histogram of latency samples, log-spaced buckets. */
export function asciiHistogram(series: Record<string, readonly number[]>, width = 40): string {
  const all = Object.values(series).flat();
  const lo = Math.max(0.05, Math.min(...all));
  const hi = Math.max(...all);
  const buckets = 12;
  const edges = Array.from({ length: buckets + 1 }, (_, i) => lo * (hi / lo) ** (i / buckets));
  const lines: string[] = [];
  for (const [name, samples] of Object.entries(series)) {
    const counts = new Array(buckets).fill(0) as number[];
    for (const s of samples) {
      const i = Math.min(buckets - 1, edges.findIndex((e, k) => k > 0 && s <= e) - 1);
      counts[Math.max(0, i)] = (counts[Math.max(0, i)] ?? 0) + 1;
    }
    const peak = Math.max(...counts);
    lines.push(name);
    counts.forEach((c, i) => {
      const label = `${(edges[i] as number).toFixed(2)}–${(edges[i + 1] as number).toFixed(2)} ms`.padStart(18);
      lines.push(`  ${label} ${'█'.repeat(Math.round((c / peak) * width)).padEnd(width)} ${c}`);
    });
  }
  return lines.join('\n');
}

/** An SVG chart of latency CDFs (one line per series), for docs/benchmarks.md. */
export function latencyCdfSvg(series: Record<string, readonly number[]>, title: string): string {
  const W = 640;
  const H = 320;
  const pad = { l: 56, r: 16, t: 32, b: 40 };
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const maxMs = percentile(
    [...Object.values(series).flat()].sort((a, b) => a - b),
    99.5,
  );
  const x = (ms: number) => pad.l + (Math.min(ms, maxMs) / maxMs) * (W - pad.l - pad.r);
  const y = (q: number) => H - pad.b - q * (H - pad.t - pad.b);
  const paths = Object.entries(series).map(([name, samples], k) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const points = sorted.map((ms, i) => `${x(ms).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`).join(' ');
    const color = colors[k % colors.length];
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/><text x="${W - pad.r - 220}" y="${pad.t + 16 + k * 16}" fill="${color}" font-size="12">${name}</text>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) => `<text x="${x(f * maxMs)}" y="${H - pad.b + 16}" font-size="11" text-anchor="middle">${(f * maxMs).toFixed(1)}</text>`,
  );
  const qticks = [0, 0.5, 0.9, 0.99, 1].map(
    (q) =>
      `<text x="${pad.l - 6}" y="${y(q) + 4}" font-size="11" text-anchor="end">${q}</text><line x1="${pad.l}" x2="${W - pad.r}" y1="${y(q)}" y2="${y(q)}" stroke="#eee"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${title}"><title>${title}</title><rect width="100%" height="100%" fill="white"/><text x="${pad.l}" y="20" font-size="14">${title}</text>${qticks.join('')}${ticks.join('')}<text x="${(W + pad.l) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">latency (ms)</text>${paths.join('')}</svg>\n`;
}

/** An SVG chart of horizontal bars on a log scale (values spanning orders of magnitude), for docs/. */
export function logBarsSvg(
  bars: readonly { label: string; value: number; highlight?: boolean }[],
  title: string,
  unit: string,
): string {
  const W = 720;
  const rowH = 26;
  const pad = { l: 340, r: 110, t: 36, b: 36 };
  const H = pad.t + bars.length * rowH + pad.b;
  const max = 10 ** Math.ceil(Math.log10(Math.max(...bars.map((b) => b.value))));
  const min = 10 ** Math.floor(Math.log10(Math.min(...bars.map((b) => b.value))));
  const x = (v: number) =>
    pad.l + ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (W - pad.l - pad.r);
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((b, i) => {
    const y = pad.t + i * rowH;
    const color = b.highlight ? '#d62728' : '#1f77b4';
    return `<text x="${pad.l - 8}" y="${y + 17}" font-size="12" text-anchor="end">${xml(b.label)}</text><rect x="${pad.l}" y="${y + 4}" width="${Math.max(1, x(b.value) - pad.l).toFixed(1)}" height="${rowH - 8}" fill="${color}"/><text x="${(x(b.value) + 6).toFixed(1)}" y="${y + 17}" font-size="12">${Math.round(b.value).toLocaleString('en-US')}</text>`;
  });
  const decades: string[] = [];
  for (let v = min; v <= max; v *= 10) {
    decades.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#eee"/><text x="${x(v)}" y="${H - pad.b + 16}" font-size="11" text-anchor="middle">${v.toLocaleString('en-US')}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${xml(title)}"><title>${xml(title)}</title><rect width="100%" height="100%" fill="white"/><text x="8" y="22" font-size="14">${xml(title)}</text>${decades.join('')}${rows.join('')}<text x="${(W + pad.l) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">${xml(unit)} (log scale)</text></svg>\n`;
}

/**
 * An SVG line chart of relative errors (%, linear) against a size (log scale), with dashed
 * horizontal bounds: sketch accuracy beside what the kinds document, for docs/.
 */
export function errorChartSvg(
  series: readonly { name: string; points: readonly (readonly [number, number])[]; dashed?: boolean }[],
  bounds: readonly { label: string; value: number }[],
  title: string,
  xLabel: string,
): string {
  const W = 780;
  const H = 360;
  const pad = { l: 72, r: 230, t: 36, b: 44 };
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...bounds.map((b) => b.value)];
  const minX = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const maxX = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  const maxY = Math.max(...ys) * 1.1 || 1;
  const x = (v: number) =>
    pad.l + ((Math.log10(v) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const grid: string[] = [];
  for (let v = minX; v <= maxX; v *= 10) {
    grid.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}" stroke="#eee"/><text x="${x(v).toFixed(1)}" y="${H - pad.b + 16}" font-size="11" text-anchor="middle">${v.toLocaleString('en-US')}</text>`,
    );
  }
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    grid.push(
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v.toFixed(2)} %</text>`,
    );
  }
  const lines = bounds.map(
    (b) =>
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(b.value).toFixed(1)}" y2="${y(b.value).toFixed(1)}" stroke="#555" stroke-dasharray="6 4"/><text x="${W - pad.r - 4}" y="${(y(b.value) - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555">${xml(b.label)}</text>`,
  );
  const paths = series.map((s, k) => {
    const color = colors[k % colors.length];
    const points = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    const dots = s.points
      .map(([px, py]) => `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5" fill="${color}"/>`)
      .join('');
    return `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="3 3"' : ''} points="${points}"/>${dots}<text x="${W - pad.r + 10}" y="${pad.t + 14 + k * 16}" fill="${color}" font-size="12">${xml(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${xml(title)}"><title>${xml(title)}</title><rect width="100%" height="100%" fill="white"/><text x="${pad.l}" y="22" font-size="14">${xml(title)}</text>${grid.join('')}${lines.join('')}${paths.join('')}<text x="${(W - pad.r + pad.l) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">${xml(xLabel)} (log scale)</text><text x="14" y="${(H / 2).toFixed(0)}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(H / 2).toFixed(0)})">relative error</text></svg>\n`;
}

/**
 * Soak: the embedded local stack (`npm run local`'s, unchanged: the dev
 * template's mappings and batching windows, the real HTTP API) driven at a
 * steady rate for a while, watched every few seconds:
 *  - events in vs features served: events put for a sample of users against
 *    the sum of their `events_24h` read back through GET /features;
 *  - consumer lag: records Kinesis accepted minus records each consumer's
 *    event source mapping has delivered (aggregator, lake writer);
 *  - RSS of every process: this one (handlers, mappings, API) and each
 *    emulator child with its descendants (/proc/<pid>/status VmRSS);
 *  - event → online freshness: a probe event for a dedicated user, put with
 *    the stream, then that user's features polled until the count shows it
 *    (time from the producer's add to the first read reflecting it).
 * After the last put it drains and checks, for every user, that the served
 * count equals the events put (no loss, nothing twice), and that the lake
 * holds every event once. Pass = no loss, bounded lag (the aggregator keeps
 * up: its lag stops growing), flat memory (this process's RSS slope over the
 * second half below a threshold). If the rate cannot be sustained the lag
 * grows and the soak says so: it does not lower the rate to pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { SendSession } from '../src/cli/kinesis/send-session.js';
import { sleep } from '../src/domain/concurrency.js';
import { exampleCatalog, sources, userClickstream } from '../src/features/catalog.js';
import type { LocalEventSourceMapping } from '../src/local/event-source-mapping.js';
import { countLakeRows, servedFeatures } from '../src/local/run-local.js';
import { type LocalStack, startLocalStack } from '../src/local/stack.js';
import { clickstreamEvents } from '../src/workloads/clickstream.js';
import { rawWriteRate } from './e2e.js';
import { percentile } from './stats.js';

export interface SoakOptions {
  /** Events put per second. */
  readonly ratePerSecond: number;
  /** Seconds of steady sending. */
  readonly seconds: number;
  /** Users the events are spread over (plus the probe users). */
  readonly users: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  /** Users whose served counts are read every sample. */
  readonly sampleUsers: number;
  /** Seconds allowed after the last put for the consumers to catch up. */
  readonly drainSeconds: number;
  readonly stateDir: string;
}

/** Read from SOAK_* variables, defaults as the issue asks: 2,000 events/s for 5 minutes. */
export function soakOptionsFromEnv(env: NodeJS.ProcessEnv, stateDir: string): SoakOptions {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: "${raw}" is not a positive number`);
    return value;
  };
  return {
    ratePerSecond: num('SOAK_RATE', 2_000),
    seconds: num('SOAK_SECONDS', 300),
    users: num('SOAK_USERS', 200),
    sampleSeconds: num('SOAK_SAMPLE_SECONDS', 5),
    sampleUsers: num('SOAK_SAMPLE_USERS', 20),
    drainSeconds: num('SOAK_DRAIN_SECONDS', 900),
    stateDir,
  };
}

export interface SoakSample {
  /** Seconds since the first put. */
  readonly t: number;
  readonly sending: boolean;
  /** Records Kinesis accepted so far. */
  readonly put: number;
  readonly aggregatorDelivered: number;
  readonly lakeWriterDelivered: number;
  readonly aggregatorLag: number;
  readonly lakeWriterLag: number;
  /** Events put for the sample users, and the sum of their served `events_24h`. */
  readonly sampleSent: number;
  readonly sampleServed: number;
  /** RSS in MiB per process (name → MiB), and their sum. */
  readonly rssMiB: Record<string, number>;
  readonly rssTotalMiB: number;
  /** Freshness of the probes that completed since the previous sample, ms. */
  readonly freshnessP50Ms?: number;
  readonly freshnessP99Ms?: number;
  readonly probesCompleted: number;
  /** The machine's 1-minute load average: other jobs on the same cores show here. */
  readonly load1: number;
}

export interface SoakResult {
  readonly options: Omit<SoakOptions, 'stateDir'>;
  readonly processes: readonly { name: string; pid: number }[];
  /** The aggregator's event source mapping as the stack ran it (from the template, with any overrides). */
  readonly aggregatorMapping: { readonly batchSize: number; readonly maxBatchingWindowSeconds: number };
  readonly sent: number;
  readonly achievedPutRate: number;
  readonly aggregatorRate: { readonly sendingEventsPerSecond: number };
  /** The emulated DynamoDB's raw conditional-UpdateItem rate, measured on this stack before the soak: its ceiling. */
  readonly rawWritesPerSecond: number;
  readonly drained: boolean;
  readonly drainedAfterLastPutSeconds?: number;
  readonly aggregatorLagSlopePerSecond: number;
  readonly aggregatorLagAtLastPut: number;
  readonly maxAggregatorLag: number;
  readonly rssSlopeMiBPerMinute: Record<string, number>;
  readonly freshnessMs: { readonly n: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** Mean 1-minute load average over the samples (2 cores: above 2, the stack shared the CPU with other work). */
  readonly meanLoad: number;
  readonly final: {
    readonly usersChecked: number;
    readonly usersMismatched: number;
    readonly served: number;
    readonly expected: number;
    readonly lakeRows?: number;
  };
  readonly verdict: {
    readonly noLoss: boolean;
    readonly boundedLag: boolean;
    readonly flatMemory: boolean;
    readonly pass: boolean;
    readonly notes: string[];
  };
  readonly samples: SoakSample[];
}

/** Lag may grow by at most this fraction of the input rate (events/s) over the second half of the sending. */
export const LAG_SLOPE_LIMIT = 0.05;
/** This process's RSS may grow by at most this over the second half, MiB per minute. */
export const RSS_SLOPE_LIMIT_MIB_PER_MINUTE = 5;

// Few probes, polled once a second: each poll is a BatchGetItem on the same emulated DynamoDB the aggregator
// writes to, so the observer must stay small beside the load (about 8 reads/s with the samples).
const PROBE_USERS = 4;
const PROBE_EVERY_MS = 1_000;
const PROBE_POLL_MS = 1_000;
const PROBE_TIMEOUT_MS = 600_000;
/** The producer puts what is due every tick, then yields. */
const TICK_MS = 100;

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** A process and every descendant (threads' children lists). */
function withDescendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS per named process of the stack; emulators include their descendants; the figures are summed per name. */
function rssOf(processes: readonly { name: string; pid: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of processes) {
    const pids = p.pid === process.pid ? [p.pid] : withDescendants(p.pid);
    out[p.name] = (out[p.name] ?? 0) + pids.reduce((s, pid) => s + rssMiB(pid), 0);
  }
  return out;
}

const delivered = (mappings: readonly LocalEventSourceMapping[]) => mappings.reduce((n, m) => n + m.stats.recordsDelivered, 0);

/** `events_24h` of a user as the API serves it (0 for a user with no tiles yet). */
async function servedCount(stack: LocalStack, userId: string): Promise<number> {
  const value = (await servedFeatures(stack, userClickstream, userId)).events_24h;
  return typeof value === 'number' ? value : 0;
}

export async function benchSoak(options: SoakOptions, log: (line: string) => void): Promise<SoakResult> {
  const stack = await startLocalStack({ stateDir: options.stateDir, withoutUsagePlan: true, handlerLogLevel: 'ERROR' });
  try {
    return await soak(stack, options, log);
  } finally {
    await stack.stop();
  }
}

async function soak(stack: LocalStack, options: SoakOptions, log: (line: string) => void): Promise<SoakResult> {
  const aggregators = stack.mappingsOf('aggregator');
  const lakeWriters = stack.mappingsOf('lake-writer');
  // The baseline of this run: what the emulator takes with no featurelake code in the loop.
  const rawWritesPerSecond = await rawWriteRate(stack, 3_000);
  const session = await SendSession.open(
    { streamName: stack.info.resources.streamName, env: stack.clientEnv, endpoint: stack.info.endpoints.kinesis },
    { catalog: exampleCatalog, concurrency: 4 },
  );
  const total = Math.round(options.ratePerSecond * options.seconds);
  const sentPerUser = new Map<string, number>();
  const sampleUsers: string[] = [];
  const count = (userId: string) => {
    sentPerUser.set(userId, (sentPerUser.get(userId) ?? 0) + 1);
    if (sampleUsers.length < options.sampleUsers && !sampleUsers.includes(userId) && !userId.startsWith('soak_probe'))
      sampleUsers.push(userId);
  };
  const events = clickstreamEvents({
    events: total,
    seed: 7,
    startMs: Date.now(),
    ratePerSecond: options.ratePerSecond,
    entities: options.users,
    outOfOrderFraction: 0,
  });

  // Probes: one event for a free probe user every PROBE_EVERY_MS, then that user's count polled until it shows.
  const freeProbes = Array.from({ length: PROBE_USERS }, (_, i) => `soak_probe_${String(i).padStart(2, '0')}`);
  const probeDone: number[] = [];
  const probeTasks = new Set<Promise<void>>();
  let probeTemplate: Record<string, unknown> | undefined;
  const startProbe = async () => {
    const userId = freeProbes.shift();
    if (!userId || !probeTemplate) return;
    const expected = (sentPerUser.get(userId) ?? 0) + 1;
    const event = {
      ...probeTemplate,
      event_id: `soak-probe-${userId}-${expected}`,
      user_id: userId,
      event_time: new Date().toISOString(),
    };
    const addedAt = performance.now();
    count(userId);
    await session.add(JSON.stringify(event), event, 'soak-probe');
    const task = (async () => {
      while (performance.now() - addedAt < PROBE_TIMEOUT_MS) {
        await sleep(PROBE_POLL_MS);
        if ((await servedCount(stack, userId).catch(() => -1)) >= expected) {
          probeDone.push(performance.now() - addedAt);
          break;
        }
      }
      freeProbes.push(userId);
    })();
    probeTasks.add(task);
    void task.finally(() => probeTasks.delete(task));
  };

  const samples: SoakSample[] = [];
  const started = performance.now();
  let sending = true;
  let probesReported = 0;
  const takeSample = async () => {
    const put = session.sender.stats.records;
    const aggregatorDelivered = delivered(aggregators);
    const lakeWriterDelivered = delivered(lakeWriters);
    const served = await Promise.all(sampleUsers.map((u) => servedCount(stack, u).catch(() => 0)));
    const fresh = probeDone.slice(probesReported).sort((a, b) => a - b);
    probesReported = probeDone.length;
    const rss = rssOf(stack.processes);
    const sample: SoakSample = {
      t: (performance.now() - started) / 1000,
      sending,
      put,
      aggregatorDelivered,
      lakeWriterDelivered,
      aggregatorLag: put - aggregatorDelivered,
      lakeWriterLag: put - lakeWriterDelivered,
      sampleSent: sampleUsers.reduce((s, u) => s + (sentPerUser.get(u) ?? 0), 0),
      sampleServed: served.reduce((s, n) => s + n, 0),
      rssMiB: rss,
      rssTotalMiB: Object.values(rss).reduce((s, v) => s + v, 0),
      probesCompleted: fresh.length,
      load1: loadavg()[0] ?? 0,
      ...(fresh.length > 0 ? { freshnessP50Ms: percentile(fresh, 50), freshnessP99Ms: percentile(fresh, 99) } : {}),
    };
    samples.push(sample);
    log(
      `  t=${sample.t.toFixed(0).padStart(4)} s  put ${put.toLocaleString('en-US').padStart(9)}  lag agg ${sample.aggregatorLag
        .toLocaleString('en-US')
        .padStart(
          8,
        )} lake ${sample.lakeWriterLag.toLocaleString('en-US').padStart(8)}  served ${sample.sampleServed}/${sample.sampleSent}  rss ${sample.rssTotalMiB.toFixed(0)} MiB${
        sample.freshnessP50Ms === undefined ? '' : `  fresh p50 ${(sample.freshnessP50Ms / 1000).toFixed(1)} s`
      }  load ${sample.load1.toFixed(1)}`,
    );
  };
  let sampler = Promise.resolve();
  const ticker = setInterval(() => {
    sampler = sampler.then(takeSample).catch((e) => log(`  sample failed: ${(e as Error).message}`));
  }, options.sampleSeconds * 1000);

  log(
    `soak: ${options.ratePerSecond.toLocaleString('en-US')} events/s for ${options.seconds} s over ${options.users} users (${total.toLocaleString('en-US')} events), sampled every ${options.sampleSeconds} s`,
  );
  let sent = 0;
  let nextProbe = 0;
  try {
    // Paced in ticks: each tick puts what is due (at most two ticks' worth, so a slow moment never turns into a
    // burst), sends it, and sleeps. The stack's consumers share this event loop, so the producer must yield
    // every tick; a producer that falls behind is reported (achieved put rate), not hidden.
    const perTickCap = Math.ceil((options.ratePerSecond * TICK_MS * 2) / 1000);
    let exhausted = false;
    while (!exhausted) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.ratePerSecond));
      const limit = Math.min(due, sent + perTickCap);
      while (sent < limit) {
        const next = events.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const line = { ...next.value, event_time: new Date().toISOString() };
        probeTemplate ??= { ...line };
        count(line.user_id);
        await session.add(JSON.stringify(line), line, 'soak');
        sent++;
      }
      if (sent >= total) exhausted = true;
      if (performance.now() - started >= nextProbe) {
        nextProbe += PROBE_EVERY_MS;
        await startProbe();
      }
      await session.sender.flush();
      if (!exhausted) await sleep(TICK_MS);
    }
    await session.sender.flush();
    log(await session.finish());
  } catch (error) {
    clearInterval(ticker);
    throw error;
  }
  const lastPut = performance.now();
  sending = false;
  const sendSeconds = (lastPut - started) / 1000;
  const putTotal = session.sender.stats.records;
  const lagAtLastPut = putTotal - delivered(aggregators);

  // Drain: the aggregator, then the lake writer (its batching window), sampling on.
  let drained = true;
  try {
    await Promise.all(aggregators.map((m) => m.drain(options.drainSeconds * 1000)));
  } catch {
    drained = false;
  }
  const drainedAfter = (performance.now() - lastPut) / 1000;
  await Promise.all(probeTasks);
  if (drained) await Promise.all(lakeWriters.map((m) => m.drain(options.drainSeconds * 1000))).catch(() => undefined);
  clearInterval(ticker);
  await sampler;
  await takeSample();

  // Final: every user's served count against the events put for it.
  let mismatched = 0;
  let served = 0;
  const users = [...sentPerUser.keys()];
  for (let i = 0; i < users.length; i += 16) {
    const chunk = users.slice(i, i + 16);
    const counts = await Promise.all(chunk.map((u) => servedCount(stack, u)));
    for (const [j, u] of chunk.entries()) {
      served += counts[j] ?? 0;
      if (counts[j] !== sentPerUser.get(u)) mismatched++;
    }
  }
  const expected = [...sentPerUser.values()].reduce((s, n) => s + n, 0);
  const lakeRows = drained ? await countLakeRows(stack, sources, 'clickstream') : undefined;

  const half = samples.filter((s) => s.sending && s.t >= sendSeconds / 2);
  const lagSlope = slope(half.map((s) => [s.t, s.aggregatorLag]));
  const rssSlope: Record<string, number> = {};
  for (const name of Object.keys(samples[0]?.rssMiB ?? {}))
    rssSlope[name] = slope(half.map((s) => [s.t / 60, s.rssMiB[name] ?? 0]));
  const allFresh = [...probeDone].sort((a, b) => a - b);
  const notes: string[] = [];
  const noLoss = drained && mismatched === 0 && served === expected && lakeRows === expected;
  const boundedLag = lagSlope <= LAG_SLOPE_LIMIT * options.ratePerSecond;
  const flatMemory = (rssSlope.featurelake ?? 0) <= RSS_SLOPE_LIMIT_MIB_PER_MINUTE;
  const achieved = putTotal / sendSeconds;
  if (achieved < options.ratePerSecond * 0.95)
    notes.push(`the producer put only ${achieved.toFixed(0)} events/s of the ${options.ratePerSecond} asked`);
  if (!boundedLag)
    notes.push(
      `the aggregator did not keep up: its lag grew ${lagSlope.toFixed(0)} events/s over the second half (it processed about ${(
        options.ratePerSecond - lagSlope
      ).toFixed(0)} events/s of the ${options.ratePerSecond} put)`,
    );
  if (!drained) notes.push(`not drained within ${options.drainSeconds} s of the last put: loss cannot be checked`);
  for (const [name, s] of Object.entries(rssSlope))
    if (name !== 'featurelake' && s > RSS_SLOPE_LIMIT_MIB_PER_MINUTE)
      notes.push(`${name} (emulator) RSS grew ${s.toFixed(1)} MiB/min over the second half (not ours; informational)`);

  return {
    options: {
      ratePerSecond: options.ratePerSecond,
      seconds: options.seconds,
      users: options.users,
      sampleSeconds: options.sampleSeconds,
      sampleUsers: options.sampleUsers,
      drainSeconds: options.drainSeconds,
    },
    processes: [...stack.processes],
    aggregatorMapping: {
      batchSize: aggregators[0]?.settings.batchSize ?? 0,
      maxBatchingWindowSeconds: aggregators[0]?.settings.maxBatchingWindowSeconds ?? 0,
    },
    sent: putTotal,
    achievedPutRate: achieved,
    rawWritesPerSecond,
    aggregatorRate: { sendingEventsPerSecond: (samples.filter((s) => s.sending).at(-1)?.aggregatorDelivered ?? 0) / sendSeconds },
    drained,
    ...(drained ? { drainedAfterLastPutSeconds: drainedAfter } : {}),
    aggregatorLagSlopePerSecond: lagSlope,
    aggregatorLagAtLastPut: lagAtLastPut,
    maxAggregatorLag: Math.max(0, ...samples.map((s) => s.aggregatorLag)),
    rssSlopeMiBPerMinute: rssSlope,
    freshnessMs: {
      n: allFresh.length,
      p50: percentile(allFresh, 50),
      p99: percentile(allFresh, 99),
      max: allFresh.at(-1) ?? 0,
    },
    meanLoad: samples.reduce((sum, x) => sum + x.load1, 0) / Math.max(1, samples.length),
    final: {
      usersChecked: users.length,
      usersMismatched: mismatched,
      served,
      expected,
      ...(lakeRows === undefined ? {} : { lakeRows }),
    },
    verdict: { noLoss, boundedLag, flatMemory, pass: noLoss && boundedLag && flatMemory, notes },
    samples,
  };
}

/** Three panels over time: consumer lag, RSS per process, freshness p50/p99; a dashed line where sending stopped. */
export function soakSvg(result: SoakResult, title: string): string {
  const W = 900;
  const panelH = 190;
  const pad = { l: 80, r: 170, t: 40, gap: 46, b: 40 };
  const H = pad.t + 3 * panelH + 2 * pad.gap + pad.b;
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const { samples } = result;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number) => pad.l + (t / tMax) * (W - pad.l - pad.r);
  const stopT = samples.find((s) => !s.sending)?.t;
  const panel = (index: number, label: string, series: { name: string; points: [number, number][] }[]) => {
    const top = pad.t + index * (panelH + pad.gap);
    const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.05;
    const y = (v: number) => top + panelH - (v / yMax) * panelH;
    const parts = [`<text x="${pad.l}" y="${top - 8}" font-size="13">${xml(label)}</text>`];
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      parts.push(
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`,
      );
    }
    if (stopT !== undefined)
      parts.push(
        `<line x1="${x(stopT).toFixed(1)}" x2="${x(stopT).toFixed(1)}" y1="${top}" y2="${top + panelH}" stroke="#999" stroke-dasharray="4 3"/>`,
      );
    series.forEach((s, i) => {
      const color = colors[i % colors.length];
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
      if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
      parts.push(
        `<rect x="${W - pad.r + 12}" y="${top + 6 + i * 18}" width="12" height="3" fill="${color}"/><text x="${W - pad.r + 30}" y="${top + 11 + i * 18}" font-size="11">${xml(s.name)}</text>`,
      );
    });
    return parts.join('');
  };
  const names = Object.keys(samples[0]?.rssMiB ?? {});
  const lag = panel(0, 'consumer lag (records put − delivered)', [
    { name: 'aggregator', points: samples.map((s) => [s.t, s.aggregatorLag]) },
    { name: 'lake writer', points: samples.map((s) => [s.t, s.lakeWriterLag]) },
  ]);
  const rss = panel(1, 'RSS (MiB)', [
    ...names.map((n) => ({ name: n, points: samples.map((s): [number, number] => [s.t, s.rssMiB[n] ?? 0]) })),
  ]);
  const fresh = panel(2, 'event → online freshness (s), probes completed per sample', [
    {
      name: 'p50',
      points: samples.filter((s) => s.freshnessP50Ms !== undefined).map((s) => [s.t, (s.freshnessP50Ms as number) / 1000]),
    },
    {
      name: 'p99',
      points: samples.filter((s) => s.freshnessP99Ms !== undefined).map((s) => [s.t, (s.freshnessP99Ms as number) / 1000]),
    },
  ]);
  const ticks: string[] = [];
  const step = tMax > 600 ? 120 : tMax > 120 ? 60 : 10;
  for (let t = 0; t <= tMax; t += step)
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${H - pad.b + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" role="img" aria-label="${xml(title)}"><title>${xml(title)}</title><rect width="100%" height="100%" fill="white"/><text x="8" y="22" font-size="14">${xml(title)}</text>${lag}${rss}${fresh}${ticks.join('')}<text x="${(W - pad.r + pad.l) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">seconds since the first put (dashed: last put)</text></svg>\n`;
}

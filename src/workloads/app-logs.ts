/**
 * Synthetic application usage logs, the equivalent of seed 004's
 * generate_csv_logs.py: one row per user action in an app, with nine integer
 * metrics. Users are skewed (a few heavy users), apps weighted like a phone's
 * home screen; event times advance by 1000 / rate ms with a little jitter, so
 * a day of N rows spans the day in order.
 */
import { utcDay } from '../domain/days.js';
import { Random } from './random.js';
import type { Workload, WorkloadOptions } from './workload.js';

export interface AppLogRecord {
  readonly source: 'app_logs';
  /** ISO-8601 UTC with milliseconds. */
  readonly timestamp: string;
  readonly user: string;
  readonly app: string;
  readonly metric_1: number;
  readonly metric_2: number;
  readonly metric_3: number;
  readonly metric_4: number;
  readonly metric_5: number;
  readonly metric_6: number;
  readonly metric_7: number;
  readonly metric_8: number;
  readonly metric_9: number;
}

export const APPS = ['facebook', 'twitter', 'instagram', 'youtube', 'whatsapp', 'spotify', 'maps', 'mail'] as const;
const APP_WEIGHTS = [20, 12, 16, 14, 18, 8, 6, 6];
export const DEFAULT_APP_USERS = 100;

/** The columns of seed 004's CSV files, in order. */
export const APP_LOG_COLUMNS = ['timestamp', 'user', 'app', ...Array.from({ length: 9 }, (_, i) => `metric_${i + 1}`)] as const;

function weightedIndex(random: Random, weights: readonly number[], total: number): number {
  let r = random.next() * total;
  for (const [i, w] of weights.entries()) {
    r -= w;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export const appLogs: Workload<AppLogRecord> = {
  name: 'app-logs',
  source: 'app_logs',
  description: "Application usage logs: user, app and nine integer metrics per action (seed 004's CSV logs).",
  defaultEntities: DEFAULT_APP_USERS,
  *generate(options: WorkloadOptions) {
    const random = new Random(options.seed);
    const users = options.entities ?? DEFAULT_APP_USERS;
    const spacing = 1000 / options.ratePerSecond;
    const totalWeight = APP_WEIGHTS.reduce((a, b) => a + b, 0);
    for (let i = 0; i < options.events; i++) {
      // Skewed users: squaring a uniform draw favours low ids.
      const u = Math.floor(random.next() ** 2 * users);
      const jitter = random.next() * spacing;
      const m = () => random.int(1000);
      yield {
        source: 'app_logs',
        timestamp: new Date(Math.floor(options.startMs + i * spacing + jitter)).toISOString(),
        user: `user${u}`,
        app: APPS[weightedIndex(random, APP_WEIGHTS, totalWeight)] as string,
        metric_1: m(),
        metric_2: m(),
        metric_3: m(),
        metric_4: m(),
        metric_5: m(),
        metric_6: m(),
        metric_7: m(),
        metric_8: m(),
        metric_9: m(),
      };
    }
  },
};

/** One CSV line in seed 004's format: "yyyy-MM-dd HH:mm:ss,user,app,m1,…,m9" (UTC, whole seconds). */
export function appLogCsvLine(record: AppLogRecord): string {
  const time = record.timestamp.slice(0, 19).replace('T', ' ');
  return [
    time,
    record.user,
    record.app,
    record.metric_1,
    record.metric_2,
    record.metric_3,
    record.metric_4,
    record.metric_5,
    record.metric_6,
    record.metric_7,
    record.metric_8,
    record.metric_9,
  ].join(',');
}

/**
 * One day of seed 004's `csv_logs/`: the file name (`yyyy-MM-dd.log.csv`) and
 * its text, a header then `perDay` rows spread over the UTC day.
 */
export function appLogDayFile(options: { dayStartMs: number; perDay: number; seed: number; users?: number }): {
  name: string;
  text: string;
} {
  const lines = [APP_LOG_COLUMNS.join(',')];
  for (const event of appLogs.generate({
    events: options.perDay,
    seed: options.seed,
    startMs: options.dayStartMs,
    ratePerSecond: options.perDay / 86_400,
    ...(options.users === undefined ? {} : { entities: options.users }),
  }))
    lines.push(appLogCsvLine(event));
  return { name: `${utcDay(options.dayStartMs)}.log.csv`, text: `${lines.join('\n')}\n` };
}

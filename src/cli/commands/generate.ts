/**
 * `featurelake generate`: synthetic events as JSONL (stdout or --out), or
 * straight onto the stream with --send.
 *
 * Event times: consecutive events are 1000 / --rate ms apart (default rate
 * 100/s). With --start the first event is at that instant and the output is
 * fully determined by --seed, --start, --rate, --users and --events. Without
 * --start the run ends at "now": the last event is stamped with the current
 * time — or, when --send paces in real time (--rate), each event is stamped as
 * it is sent, so the first is "now" and the last lands when it goes out.
 */
import { createWriteStream, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { sleep } from '../../domain/concurrency.js';
import type { Catalog } from '../../features/define.js';
import { appLogDayFile } from '../../workloads/app-logs.js';
import { workloads } from '../../workloads/index.js';
import { hash32 } from '../../workloads/random.js';
import { CliError, usageError } from '../errors.js';
import { JsonlWriter } from '../io.js';
import { SendSession } from '../kinesis/send-session.js';
import { httpUrl, isoInstant, positiveInteger, positiveNumber, seed } from '../options.js';
import { Pacer } from '../pacer.js';
import { createProgress } from '../progress.js';
import { resolveStreamTarget } from '../targets.js';
import { stateDirOption } from './shared.js';

/** Event-time spacing when --rate is not given (the pipeline drops events older than its max lateness). */
export const DEFAULT_EVENT_RATE = 100;
/** A paced send flushes a partial batch once its oldest record has waited this long. */
const LINGER_MS = 100;

interface GenerateOptions {
  workload: string;
  events?: number;
  days?: number;
  perDay?: number;
  rate?: number;
  seed: number;
  users?: number;
  start?: number;
  out?: string;
  send?: boolean;
  stream?: string;
  endpointUrl?: string;
  stateDir: string;
  concurrency: number;
  progress: boolean;
}

function openOut(file: string | undefined, sending: boolean): JsonlWriter | undefined {
  if (file === undefined) return sending ? undefined : new JsonlWriter(process.stdout, false);
  if (file === '-') return new JsonlWriter(process.stdout, false);
  let fd: number;
  try {
    // Opened synchronously so a bad path is an argument error now, not a stream error later.
    fd = openSync(file, 'w');
  } catch (error) {
    throw usageError(`--out ${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return new JsonlWriter(createWriteStream(file, { fd }), true);
}

const DAY_MS = 86_400_000;
const SEED_004_START = Date.parse('2025-01-01T00:00:00Z');

/** `--days D --per-day N --out DIR`: one CSV file per day, like seed 004's csv_logs/. */
async function generateDailyCsv(options: GenerateOptions): Promise<void> {
  if (options.workload !== 'app-logs') throw usageError('--days writes CSV log files: it needs --workload app-logs');
  if (options.send || options.events !== undefined || options.rate !== undefined)
    throw usageError('--days writes files of --per-day rows each: --events, --rate and --send do not apply');
  if (!options.out || options.out === '-') throw usageError('--days needs --out DIR (one file per day is written there)');
  const days = options.days as number;
  const perDay = options.perDay ?? 50_000;
  const start = Math.floor((options.start ?? SEED_004_START) / DAY_MS) * DAY_MS;
  try {
    mkdirSync(options.out, { recursive: true });
  } catch (error) {
    throw usageError(
      `--out ${options.out}: cannot create (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const progress = createProgress({
    total: days * perDay,
    long: days * perDay >= 100_000,
    large: days * perDay >= 5_000_000,
    enabled: options.progress,
    label: 'rows',
  });
  const started = performance.now();
  let bytes = 0;
  for (let day = 0; day < days; day++) {
    const { name, text } = appLogDayFile({
      dayStartMs: start + day * DAY_MS,
      perDay,
      seed: hash32(options.seed, day),
      ...(options.users === undefined ? {} : { users: options.users }),
    });
    writeFileSync(path.join(options.out, name), text);
    bytes += Buffer.byteLength(text);
    progress.update((day + 1) * perDay, (day + 1) * perDay);
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `wrote ${days} files of ${perDay.toLocaleString('en-US')} rows (${(days * perDay).toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB) to ${options.out} in ${seconds.toFixed(2)} s\n`,
  );
}

async function generate(catalog: Catalog, options: GenerateOptions): Promise<void> {
  if (options.days !== undefined || options.perDay !== undefined) {
    if (options.days === undefined) throw usageError('--per-day goes with --days');
    return generateDailyCsv(options);
  }
  if (options.events === undefined) throw usageError('say how many: --events N (or --days D --per-day N for daily CSV logs)');
  const eventCount = options.events;
  if (!options.send && (options.stream !== undefined || options.endpointUrl !== undefined)) {
    throw usageError('--stream and --endpoint-url only apply with --send');
  }
  const workload = workloads[options.workload];
  if (!workload) throw usageError(`unknown --workload "${options.workload}"; known: ${Object.keys(workloads).join(', ')}`);
  const paced = options.send === true && options.rate !== undefined;
  const rate = options.rate ?? DEFAULT_EVENT_RATE;
  const startMs = options.start ?? (paced ? Date.now() : Date.now() - Math.floor(((eventCount - 1) * 1000) / rate));

  const session = options.send
    ? await SendSession.open(resolveStreamTarget(options), { catalog, concurrency: options.concurrency })
    : undefined;
  const writer = openOut(options.out, options.send === true);
  const progress = createProgress({
    total: eventCount,
    long: eventCount >= 10_000 || paced,
    large: eventCount >= 1_000_000,
    enabled: options.progress,
    label: 'events',
  });
  const pacer = paced ? new Pacer(rate) : undefined;
  const started = performance.now();
  let index = 0;
  try {
    const events = workload.generate({
      events: eventCount,
      seed: options.seed,
      startMs,
      ratePerSecond: rate,
      entities: options.users,
    });
    for (const event of events) {
      if (pacer && session) {
        const wait = pacer.waitMs(index);
        if (wait > 1) {
          if (session.sender.pending > 0 && session.sender.pendingAgeMs() + wait >= LINGER_MS) await session.sender.flush();
          await sleep(wait);
        }
      }
      const line = JSON.stringify(event);
      if (writer) await writer.writeLine(line);
      if (session) await session.add(line, event, `event ${index + 1}`);
      index++;
      if ((index & 1023) === 0 || pacer) progress.update(index, index);
    }
    await writer?.close();
  } catch (error) {
    progress.stop();
    if (session && error instanceof CliError && error.exitCode === 2) throw await session.abandon(error);
    session?.dispose();
    throw error;
  }
  progress.update(index, index);
  progress.stop();
  if (session) process.stderr.write(`${await session.finish()}\n`);
  else if (options.out && options.out !== '-') {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `wrote ${index.toLocaleString('en-US')} ${workload.name} events to ${options.out} in ${seconds.toFixed(2)} s\n`,
    );
  }
}

export function registerGenerate(program: Command, catalog: Catalog): void {
  program
    .command('generate')
    .summary('generate synthetic events as JSONL, or send them with --send')
    .description(
      'Generate synthetic events (deterministic for a given --seed and --start) as JSONL on stdout or --out, or send ' +
        'them to the stream with --send. Without --start the last event is stamped "now" (with --send --rate, each ' +
        'event is stamped as it is sent).',
    )
    .addOption(new Option('--workload <name>', 'workload to generate').choices(Object.keys(workloads)).default('clickstream'))
    .option('--events <n>', 'number of events', positiveInteger)
    .option(
      '--days <n>',
      'with --workload app-logs: write one CSV file per day into --out DIR (seed 004 format)',
      positiveInteger,
    )
    .option('--per-day <n>', 'with --days: rows per day (default 50000)', positiveInteger)
    .option(
      '--rate <perSecond>',
      `events per second: spaces event times (default ${DEFAULT_EVENT_RATE}/s) and, with --send, paces sending in real time (without it, sends as fast as possible)`,
      positiveNumber,
    )
    .option('--seed <n>', 'PRNG seed (0–4294967295)', seed, 1)
    .option('--users <n>', 'size of the user pool (default 1000)', positiveInteger)
    .option(
      '--start <iso>',
      'event time of the first event, ISO-8601 with zone (default: so the last event is "now")',
      isoInstant,
    )
    .option('--out <file>', 'write JSONL to this file instead of stdout (also with --send); with --days, a directory')
    .option('--send', 'put the events on the Kinesis stream (as `featurelake send` does)')
    .option('--stream <name>', 'with --send: stream name (default: $FEATURELAKE_STREAM, then the local stack)')
    .option(
      '--endpoint-url <url>',
      'with --send: Kinesis endpoint (default: $AWS_ENDPOINT_URL_KINESIS, then the local stack)',
      httpUrl,
    )
    .addOption(stateDirOption())
    .addOption(
      new Option('--concurrency <n>', 'with --send: PutRecords requests in flight').argParser(positiveInteger).default(4),
    )
    .option('--no-progress', 'no progress bar on stderr')
    .action((options: GenerateOptions) => generate(catalog, options));
}

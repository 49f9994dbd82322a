/** `featurelake send <file.jsonl|->`: put JSONL events on the stream. */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { type Command, Option } from 'commander';
import { MiB } from '../../aws/put-records/batches.js';
import type { Catalog } from '../../features/define.js';
import { CliError, usageError } from '../errors.js';
import { LineTooLongError, readLines } from '../io.js';
import { SendSession } from '../kinesis/send-session.js';
import { httpUrl, positiveInteger } from '../options.js';
import { createProgress } from '../progress.js';
import { resolveStreamTarget } from '../targets.js';
import { stateDirOption } from './shared.js';

interface SendOptions {
  stream?: string;
  endpointUrl?: string;
  stateDir: string;
  strict?: boolean;
  concurrency: number;
  progress: boolean;
}

function openInput(file: string): { input: Readable; name: string; bytes?: number } {
  if (file === '-') return { input: process.stdin, name: 'stdin' };
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(file);
  } catch (error) {
    throw usageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  if (!stats.isFile()) throw usageError(`cannot read ${file}: not a file`);
  return { input: createReadStream(file, { highWaterMark: 256 * 1024 }), name: path.basename(file), bytes: stats.size };
}

function parseJson(line: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

async function send(catalog: Catalog, file: string, options: SendOptions): Promise<void> {
  const { input, name, bytes } = openInput(file);
  const target = resolveStreamTarget(options);
  const progress = createProgress({
    total: bytes,
    long: true,
    large: (bytes ?? 0) >= 256 * MiB,
    enabled: options.progress,
    label: 'sent',
  });
  const session = await SendSession.open(target, {
    catalog,
    concurrency: options.concurrency,
    onBatch: (stats) => progress.update((input as { bytesRead?: number }).bytesRead ?? 0, stats.records),
  });
  let lineNumber = 0;
  try {
    for await (const line of readLines(input, MiB + 1024)) {
      lineNumber++;
      // Blank lines separate nothing in JSONL; they are not events.
      if (line.trim() === '') continue;
      const parsed = parseJson(line);
      if (!parsed.ok && options.strict) {
        throw usageError(
          `${name}:${lineNumber}: not valid JSON (${parsed.error}); --strict rejects it (without --strict it is sent and the pipeline quarantines it)`,
        );
      }
      await session.add(line, parsed.ok ? parsed.value : undefined, `${name}:${lineNumber}`);
    }
  } catch (error) {
    progress.stop();
    const cliError =
      error instanceof CliError
        ? error
        : error instanceof LineTooLongError
          ? usageError(`${name}:${error.lineNumber}: line is longer than the 1 MiB Kinesis record limit`)
          : (error as Error);
    // Bad input stops a healthy sender: report what got through. A send failure already says so.
    if (cliError instanceof CliError && cliError.exitCode === 2) throw await session.abandon(cliError);
    session.dispose();
    throw cliError;
  }
  const summary = await session.finish().finally(() => progress.stop());
  process.stdout.write(`${summary}\n`);
}

export function registerSend(program: Command, catalog: Catalog): void {
  program
    .command('send')
    .summary('put JSONL events (file or stdin) on the Kinesis stream')
    .description(
      'Put JSONL events on the Kinesis stream: PutRecords in batches of ≤ 500 records / 5 MiB, partition key = the ' +
        "event's entity key (user_id for clickstream), failed entries retried with backoff. Lines that are not JSON " +
        'are sent too (the pipeline quarantines them) unless --strict.',
    )
    .argument('<file>', 'JSONL file, or - for stdin')
    .option('--stream <name>', 'stream name (default: $FEATURELAKE_STREAM, then the local stack)')
    .option(
      '--endpoint-url <url>',
      'Kinesis endpoint (default: $AWS_ENDPOINT_URL_KINESIS / $AWS_ENDPOINT_URL, then the local stack)',
      httpUrl,
    )
    .addOption(stateDirOption())
    .option('--strict', 'reject a line that is not JSON (naming file:line) instead of sending it')
    .addOption(new Option('--concurrency <n>', 'PutRecords requests in flight').argParser(positiveInteger).default(4))
    .option('--no-progress', 'no progress bar on stderr')
    .action((file: string, options: SendOptions) => send(catalog, file, options));
}

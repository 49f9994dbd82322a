/**
 * Streaming JSONL in and out with bounded memory: lines are read chunk by
 * chunk (the for-await on the stream gives natural backpressure), and output
 * is buffered into ~64 KiB writes that wait for 'drain'.
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

export class LineTooLongError extends Error {
  constructor(
    readonly lineNumber: number,
    limit: number,
  ) {
    super(`line ${lineNumber} is longer than ${limit} bytes without a newline`);
    this.name = 'LineTooLongError';
  }
}

/**
 * Yields the lines of `input` (without "\n" or "\r\n"). A line longer than
 * `maxLineChars` throws instead of growing without bound.
 */
export async function* readLines(input: Readable, maxLineChars = Number.POSITIVE_INFINITY): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  let lineNumber = 0;
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      lineNumber++;
      yield text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (rest.length > maxLineChars) throw new LineTooLongError(lineNumber + 1, maxLineChars);
  }
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

const FLUSH_AT = 64 * 1024;

export class JsonlWriter {
  private buffer = '';
  private failed: Error | undefined;

  constructor(
    private readonly out: Writable,
    private readonly endStream: boolean,
  ) {
    out.on('error', (error) => {
      this.failed ??= error;
    });
  }

  /** Appends one line (the caller's JSON text, without the newline). */
  async writeLine(line: string): Promise<void> {
    this.buffer += `${line}\n`;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.endStream) {
      this.out.end();
      await once(this.out, 'finish');
    }
    if (this.failed) throw this.failed;
  }

  private async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    const text = this.buffer;
    this.buffer = '';
    // once() also rejects if the stream emits 'error' while we wait.
    if (text.length > 0 && !this.out.write(text)) await once(this.out, 'drain');
    if (this.failed) throw this.failed;
  }
}

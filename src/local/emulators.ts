/**
 * AWS-API-compatible emulators from npm, each in its own child process on a
 * free loopback port: kinesalite (Kinesis), dynalite (DynamoDB), s3rver (S3).
 * Child processes keep emulator work off the event loop that runs the
 * handlers and the API, and use the second core.
 *
 * kinesalite over kinesis-local (LocalStack's engine): measured 20–70× faster
 * on PutRecords and flat as a shard fills; it lacks ON_DEMAND streams and
 * StartStreamEncryption, so the local stack creates provisioned shards and
 * leaves encryption to the CDK template.
 *
 * Each child runs under ./lifeline.cjs, which exits when this process's end
 * of its stdin closes: the emulators go when the stack's process goes, even
 * if it is killed or dies of an uncaught exception.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../domain/concurrency.js';

const require = createRequire(import.meta.url);
const LIFELINE = fileURLToPath(new URL('./lifeline.cjs', import.meta.url));

/** s3rver accepts only its own credentials by default; dynalite and kinesalite accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface Emulators {
  readonly endpoints: { readonly kinesis: string; readonly dynamodb: string; readonly s3: string };
  /** Environment variables that point any AWS SDK or CLI at the emulators. */
  readonly env: Record<string, string>;
  /** s3rver's files: object `<key>` of bucket `<b>` is `<s3Directory>/<b>/<key>._S3rver_object`. */
  readonly s3Directory: string;
  /** The emulator child processes, for resource figures (RSS) and checks that none outlives the stack. */
  readonly processes: readonly { readonly name: string; readonly pid: number }[];
  stop(): Promise<void>;
}

/** The suffix s3rver's file store gives each object's data file. */
export const S3RVER_OBJECT_SUFFIX = '._S3rver_object';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(20);
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function binOf(pkg: string, relative: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), relative);
}

async function startProcess(
  name: string,
  script: string,
  args: string[],
  nodeFlags: string[] = [],
): Promise<{ name: string; child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeFlags, LIFELINE, script, ...args.map((a) => a.replace('{port}', String(port)))],
    // stdin stays open for the child's lifetime: its end is the lifeline's signal to exit.
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  try {
    await waitForPort(port, child, name);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}${stderr ? `\n${name} stderr: ${stderr}` : ''}`);
  }
  return { name, child, port };
}

/** Starts the three emulators; `dataDir` holds s3rver's files (wiped first). */
export async function startEmulators(dataDir: string): Promise<Emulators> {
  const s3Dir = path.join(dataDir, 's3');
  rmSync(s3Dir, { recursive: true, force: true });
  mkdirSync(s3Dir, { recursive: true });
  const started = await Promise.all([
    startProcess('kinesalite', binOf('kinesalite', 'cli.js'), [
      '--port',
      '{port}',
      '--createStreamMs',
      '0',
      '--deleteStreamMs',
      '0',
      '--updateStreamMs',
      '0',
      '--shardLimit',
      '100',
    ]),
    startProcess('dynalite', binOf('dynalite', 'cli.js'), [
      '--port',
      '{port}',
      '--createTableMs',
      '0',
      '--deleteTableMs',
      '0',
      '--updateTableMs',
      '0',
    ]),
    startProcess(
      's3rver',
      binOf('s3rver', 'bin/s3rver.js'),
      ['--port', '{port}', '--address', '127.0.0.1', '--directory', s3Dir, '--silent'],
      [
        // s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider.
        '--openssl-legacy-provider',
      ],
    ),
  ]);
  const [kinesis, dynamodb, s3] = started.map(({ port }) => `http://127.0.0.1:${port}`) as [string, string, string];
  return {
    endpoints: { kinesis, dynamodb, s3 },
    s3Directory: s3Dir,
    processes: started.map(({ name, child }) => ({ name, pid: child.pid as number })),
    env: {
      AWS_ENDPOINT_URL_KINESIS: kinesis,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
      AWS_ENDPOINT_URL_S3: s3,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
    },
    async stop() {
      await Promise.all(
        started.map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
            }),
        ),
      );
    },
  };
}

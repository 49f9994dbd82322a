/**
 * `featurelake local` (run the stack until Ctrl-C) and `featurelake start`
 * (run it, push demo events through, and stop): both run the embedded local
 * stack of src/local/.
 */
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ENVIRONMENT_NAMES } from '../../../lib/config/environments.js';
import type { Catalog } from '../../features/define.js';
import { workloads } from '../../workloads/index.js';
import { runtimeError } from '../errors.js';
import { nonNegativeInteger } from '../options.js';
import { stateDirOption } from './shared.js';

interface LocalOptions {
  env: string;
  stateDir: string;
  events: number;
  workload: string;
  lakeWindow?: number;
}

async function run(catalog: Catalog, options: LocalOptions, keepAlive: boolean): Promise<void> {
  // Loaded on demand: the local stack pulls in the emulators, which the other commands never need.
  let stack: typeof import('../../local/run-local.js');
  try {
    stack = await import('../../local/run-local.js');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('run-local');
    if (missing) throw runtimeError('the local stack (src/local/run-local.ts) is not part of this checkout');
    throw error;
  }
  const { runLocalStack } = stack;
  process.exitCode = await runLocalStack({
    catalog,
    envName: options.env,
    stateDir: path.resolve(options.stateDir),
    keepAlive,
    demoEvents: options.events,
    workload: options.workload,
    ...(options.lakeWindow === undefined ? {} : { lakeWindowSeconds: options.lakeWindow }),
    log: (line: string) => process.stdout.write(`${line}\n`),
  });
}

function register(
  program: Command,
  catalog: Catalog,
  name: string,
  summary: string,
  description: string,
  keepAlive: boolean,
  defaultEvents: number,
): void {
  program
    .command(name)
    .summary(summary)
    .description(description)
    .addOption(new Option('--env <name>', 'environment whose settings the stack runs').choices(ENVIRONMENT_NAMES).default('dev'))
    .addOption(stateDirOption())
    .option('--events <n>', 'demo events to send once the stack is up', nonNegativeInteger, defaultEvents)
    .addOption(
      new Option('--workload <name>', 'what the demo sends: its source’s feature views are shown and checked')
        .choices(Object.keys(workloads))
        .default('clickstream'),
    )
    .option(
      '--lake-window <seconds>',
      "the lake writer's batching window here, instead of the environment's (lake.maxBatchingWindowSeconds)",
      nonNegativeInteger,
    )
    .action((options: LocalOptions) => run(catalog, options, keepAlive));
}

export function registerLocal(program: Command, catalog: Catalog): void {
  register(
    program,
    catalog,
    'local',
    'run the local stack until Ctrl-C',
    'Run the local stack (Kinesis, DynamoDB, S3 emulators, the Lambdas and the API) until Ctrl-C; writes <state-dir>/local-stack.json.',
    true,
    0,
  );
  register(
    program,
    catalog,
    'start',
    'run the local stack with demo events, then stop',
    'Start the local stack, send demo events through the pipeline, show the results and stop.',
    false,
    20_000,
  );
}

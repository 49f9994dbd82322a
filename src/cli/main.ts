/**
 * The `featurelake` command line. Exit codes: 0 success, 1 the world failed
 * (endpoint unreachable, records rejected), 2 the invocation was wrong.
 */
import { Command, CommanderError } from 'commander';
import { exampleCatalog } from '../features/catalog.js';
import type { Catalog } from '../features/define.js';
import { registerCompact } from './commands/compact.js';
import { registerConsistency } from './commands/consistency.js';
import { registerDrift } from './commands/drift.js';
import { registerFeatures } from './commands/features.js';
import { registerGenerate } from './commands/generate.js';
import { registerImport } from './commands/import.js';
import { registerIngestBatch } from './commands/ingest-batch.js';
import { registerLocal } from './commands/local.js';
import { registerPredict } from './commands/predict.js';
import { registerPublishModel } from './commands/publish-model.js';
import { registerQuery } from './commands/query.js';
import { registerReport } from './commands/report.js';
import { registerSend } from './commands/send.js';
import { registerStatus } from './commands/status.js';
import { registerTrain } from './commands/train.js';
import { registerTrainingSet } from './commands/training-set.js';
import { CliError } from './errors.js';

/** The CLI for a feature catalog (the example one unless given): sources, views and entity keys come from it. */
export function createProgram(catalog: Catalog = exampleCatalog): Command {
  const program = new Command('featurelake')
    .description(
      'Serverless real-time ML feature pipeline: generate and send events, read features, query the lake, run the local stack.',
    )
    .showHelpAfterError('(add --help for usage)')
    // Throw instead of exiting so main() decides the code; subcommands created below inherit it.
    .exitOverride();
  registerGenerate(program, catalog);
  registerSend(program, catalog);
  registerFeatures(program, catalog);
  registerLocal(program, catalog);
  registerQuery(program, catalog);
  registerImport(program, catalog);
  registerIngestBatch(program, catalog);
  registerCompact(program, catalog);
  registerTrainingSet(program, catalog);
  registerTrain(program, catalog);
  registerConsistency(program, catalog);
  registerPredict(program, catalog);
  registerPublishModel(program, catalog);
  registerDrift(program, catalog);
  registerStatus(program, catalog);
  registerReport(program, catalog);
  return program;
}

/** Runs the CLI; resolves to the exit code. `argv` as in process.argv (node, script, args…). */
export async function main(argv: readonly string[]): Promise<number> {
  // `featurelake generate | head` closes stdout early: that is success, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  try {
    await createProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message; help and --version are successes.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`featurelake: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`featurelake: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

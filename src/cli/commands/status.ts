/**
 * `featurelake status [--aws --stack featurelake-<env>] [--days n] [--json]`:
 * one screen for an operator: per consumer lag and last batch, quarantine
 * counts by reason, data-quality failures, model versions, drift alarms (and,
 * deployed, every alarm not OK). The local stack's from local-stack.json and
 * its emulators; a deployed environment's from its stack (outputs, resources)
 * and CloudWatch. Gathering and the screen live in src/ops/.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { dynamoDocumentClient, kinesisClient, s3Client } from '../../aws/clients.js';
import type { Catalog } from '../../features/define.js';
import { collectDeployedStatus } from '../../ops/deployed-status.js';
import { collectLocalStatus } from '../../ops/local-status.js';
import { renderStatus, type StatusReport } from '../../ops/status.js';
import { runtimeError, unreachableReason, usageError } from '../errors.js';
import { localStackEnv, readLocalStackInfo } from '../local-stack-info.js';
import { stateDirOption } from './shared.js';

export interface StatusOptions {
  readonly aws?: boolean;
  readonly stack?: string;
  readonly days: string;
  readonly json?: boolean;
  readonly color?: boolean;
  readonly stateDir: string;
}

function parseDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 400) throw usageError(`--days must be a whole number 1–400, got ${text}`);
  return days;
}

async function gather(options: StatusOptions, days: number): Promise<StatusReport> {
  if (options.aws) {
    const stackName = options.stack ?? process.env.FEATURELAKE_STACK;
    if (!stackName) throw usageError('--aws needs --stack <name> (featurelake-<env>), or FEATURELAKE_STACK');
    return collectDeployedStatus(
      { cloudFormation: new CloudFormationClient({}), cloudWatch: new CloudWatchClient({}), s3: s3Client(process.env) },
      { stackName, days },
    );
  }
  if (options.stack) throw usageError('--stack names a deployment: add --aws');
  const lookup = readLocalStackInfo(options.stateDir);
  if (lookup.status !== 'running') {
    const why = lookup.status === 'stale' ? `${lookup.path} is stale (its process is not running)` : 'no local stack is running';
    throw usageError(`${why}: start \`featurelake local\`, or pass --aws --stack featurelake-<env>`);
  }
  const env = localStackEnv(lookup.info);
  return collectLocalStatus(
    lookup.info,
    { kinesis: kinesisClient(env), s3: s3Client(env), doc: dynamoDocumentClient(env) },
    { days },
  );
}

export async function status(options: StatusOptions): Promise<void> {
  const days = parseDays(options.days);
  let report: StatusReport;
  try {
    report = await gather(options, days);
  } catch (error) {
    const unreachable = unreachableReason(error);
    if (unreachable) throw runtimeError(`cannot reach ${options.aws ? 'AWS' : 'the local stack'} (${unreachable})`);
    // An AWS answer (no such stack, access denied, no credentials): the world, not a bug of ours.
    if (error instanceof Error && ('$metadata' in error || error.name === 'CredentialsProviderError'))
      throw runtimeError(`${error.name}: ${error.message}`);
    throw error;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  // Commander's --no-color leaves `color` true unless given: colour only on a terminal, and never when refused.
  process.stdout.write(renderStatus(report, { color: options.color !== false && process.stdout.isTTY === true }));
}

export function registerStatus(program: Command, _catalog: Catalog): void {
  program
    .command('status')
    .summary("one screen for an operator: consumers' lag, quarantine, data quality, models, drift, alarms")
    .description(
      'Show, for the running local stack (or with --aws a deployed environment): each stream consumer’s lag and last batch, records quarantined by reason, broken data-quality expectations, model versions and aliases, the drift alarms and every alarm not OK (docs/operations.md).',
    )
    .option('--aws', 'a deployed environment: its stack outputs and resources, CloudWatch metrics and alarms')
    .option('--stack <name>', 'with --aws: the stack (featurelake-<env>; or FEATURELAKE_STACK)')
    .option('--days <n>', 'quarantine days counted, ending today (UTC)', '1')
    .option('--json', 'the report as JSON instead of the screen')
    .option('--no-color', 'no colours even on a terminal')
    .addOption(stateDirOption())
    .action(async (options: StatusOptions) => {
      await status(options);
    });
}

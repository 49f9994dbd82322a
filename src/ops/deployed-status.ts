/**
 * The status of a deployed environment, from its stack: the outputs name the
 * buckets (quarantine, models), the stack's resources the consumer functions;
 * CloudWatch gives each consumer's iterator age (AWS/Lambda IteratorAge, the
 * latest minute's maximum) and its last batch (the last minute with
 * `RecordsReceived`), and the alarms' states (`featurelake-<env>-*`: the
 * drift alarms among them are listed apart); the lake's drift table gives
 * each model's latest drift run.
 */
import { type CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { summarizeDrift } from './drift-summary.js';
import { summarizeModels } from './model-summary.js';
import { summarizeQuarantine } from './quarantine-summary.js';
import { type AlarmStatus, type ConsumerStatus, STREAM_CONSUMERS, type StatusReport } from './status.js';

export interface DeployedStatusClients {
  readonly cloudFormation: CloudFormationClient;
  readonly cloudWatch: CloudWatchClient;
  readonly s3: S3Client;
}

export interface DeployedStatusOptions {
  readonly stackName: string;
  /** Quarantine days counted, ending today (UTC). @default 1 */
  readonly days?: number;
  readonly now?: () => Date;
}

/** The stream consumers: their Powertools service names and their functions' logical id prefixes. */
const CONSUMERS = STREAM_CONSUMERS.map((name) => ({
  name,
  // AggregatorFunction1A2B3C4D, LakeWriterFunction…: the construct ids of lib/featurelake-stack.ts.
  logicalId: new RegExp(`^${name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}Function[0-9A-F]{8}$`),
}));

export async function stackOutputs(cloudFormation: CloudFormationClient, stackName: string): Promise<Record<string, string>> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Stacks?.[0]?.Outputs ?? [];
  return Object.fromEntries(outputs.map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

async function consumerFunctions(cloudFormation: CloudFormationClient, stackName: string): Promise<Map<string, string>> {
  const { StackResources } = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  const found = new Map<string, string>();
  for (const r of StackResources ?? []) {
    if (r.ResourceType !== 'AWS::Lambda::Function' || !r.PhysicalResourceId) continue;
    const consumer = CONSUMERS.find((c) => c.logicalId.test(r.LogicalResourceId ?? ''));
    if (consumer) found.set(consumer.name, r.PhysicalResourceId);
  }
  return found;
}

async function consumerMetrics(
  cloudWatch: CloudWatchClient,
  envName: string,
  functions: Map<string, string>,
  now: Date,
): Promise<ConsumerStatus[]> {
  const queries: MetricDataQuery[] = CONSUMERS.flatMap((c, i) => [
    ...(functions.has(c.name)
      ? [
          {
            Id: `age${i}`,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'IteratorAge',
                Dimensions: [{ Name: 'FunctionName', Value: functions.get(c.name) }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ]
      : []),
    {
      Id: `records${i}`,
      MetricStat: {
        Metric: {
          Namespace: 'featurelake',
          MetricName: 'RecordsReceived',
          Dimensions: [
            { Name: 'service', Value: c.name },
            { Name: 'environment', Value: envName },
          ],
        },
        Period: 60,
        Stat: 'Sum',
      },
    },
  ]);
  const { MetricDataResults } = await cloudWatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: new Date(now.getTime() - 3 * 3_600_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
    }),
  );
  const result = (id: string) => MetricDataResults?.find((r) => r.Id === id);
  return CONSUMERS.map((c, i) => {
    const age = result(`age${i}`);
    const records = result(`records${i}`);
    const lastWithRecords = records?.Timestamps?.find((_, j) => (records.Values?.[j] ?? 0) > 0);
    // The newest minute first (TimestampDescending); an idle consumer publishes no IteratorAge: caught up.
    const ageMs = age?.Values?.[0];
    return {
      name: c.name,
      ...(age ? { lagMs: ageMs ?? 0 } : {}),
      ...(lastWithRecords ? { lastBatchAt: lastWithRecords } : {}),
    };
  });
}

async function alarmStates(cloudWatch: CloudWatchClient, envName: string): Promise<AlarmStatus[]> {
  const alarms: AlarmStatus[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `featurelake-${envName}-`, NextToken }));
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      alarms.push({
        name: a.AlarmName ?? '?',
        state: a.StateValue ?? 'UNKNOWN',
        ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp } : {}),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

export async function collectDeployedStatus(
  clients: DeployedStatusClients,
  options: DeployedStatusOptions,
): Promise<StatusReport> {
  const now = (options.now ?? (() => new Date()))();
  const { cloudFormation, cloudWatch, s3 } = clients;
  const outputs = await stackOutputs(cloudFormation, options.stackName);
  const envName = outputs.EnvName ?? options.stackName.replace(/^featurelake-/, '');
  const [functions, alarms] = await Promise.all([
    consumerFunctions(cloudFormation, options.stackName),
    alarmStates(cloudWatch, envName),
  ]);
  const consumers = await consumerMetrics(cloudWatch, envName, functions, now);
  const notes: string[] = [];
  const quarantineBucket = outputs.QuarantineBucketName;
  const quarantine = quarantineBucket
    ? await summarizeQuarantine({ s3, bucket: quarantineBucket, now, ...(options.days ? { days: options.days } : {}) })
    : undefined;
  if (!quarantine) notes.push('quarantine: the stack has no QuarantineBucketName output');
  if (quarantine?.truncatedAt)
    notes.push(`quarantine: counted the first ${quarantine.truncatedAt.toLocaleString('en-US')} records`);
  const models = outputs.ModelsBucketName ? await summarizeModels({ s3, bucket: outputs.ModelsBucketName }) : [];
  if (!outputs.ModelsBucketName) notes.push('models: the stack has no ModelsBucketName output');
  const driftRuns = outputs.LakeBucketName ? await summarizeDrift(s3, outputs.LakeBucketName) : [];
  notes.push('lag: records behind are not known from CloudWatch; iterator age is the latest minute’s maximum');
  if (outputs.DashboardUrl) notes.push(`dashboard: ${outputs.DashboardUrl}`);
  return {
    target: `${options.stackName} (${outputs.Region ?? (await cloudFormation.config.region())})`,
    at: now,
    consumers,
    quarantineWindow: quarantine?.window ?? 'today (UTC)',
    quarantine: quarantine?.quarantine ?? [],
    expectationFailures: quarantine?.expectationFailures ?? [],
    models,
    alarms,
    drift: alarms.filter((a) => /drift/i.test(a.name)),
    driftRuns,
    notes,
  };
}

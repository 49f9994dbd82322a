/**
 * Calls AWS services make AS a function's role, which no proxy in front of the
 * function can see: Lambda writing its logs, the Kinesis event source mapping
 * reading the stream and writing failed batches to the on-failure destination,
 * and Athena reading the lake and the catalog and writing results as the caller
 * of each query (Athena runs with the caller's permissions). `documented` are
 * what the AWS documentation says each needs; `unverified` are commonly
 * reported needs that the documentation does not settle (reported, not asserted).
 */

import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { sources } from '../../src/features/catalog.js';
import { lakeTables } from '../../src/lake/tables.js';
import type { DeployedAssembly, DeployedFunction } from './template-bundles.js';
import type { NeededPermission, RecordedCall } from './template-calls.js';
import { ACCOUNT, PARTITION, REGION } from './template-iam.js';

export interface ImpliedPermissions {
  readonly documented: NeededPermission[];
  readonly unverified: NeededPermission[];
}

const glueArn = (kind: 'catalog' | 'database' | 'table', name = '') =>
  `arn:${PARTITION}:glue:${REGION}:${ACCOUNT}:${kind}${kind === 'catalog' ? '' : `/${name}`}`;

export function impliedPermissions(
  assembly: DeployedAssembly,
  fn: DeployedFunction,
  calls: readonly RecordedCall[],
  envName = 'dev',
): ImpliedPermissions {
  const documented: NeededPermission[] = [];
  const unverified: NeededPermission[] = [];
  const resources = assembly.template.Resources;
  const fnResource = resources[fn.logicalId];

  // Lambda writes the function's logs with its role (Lambda developer guide, execution role).
  const logGroupId = fnResource.Properties.LoggingConfig?.LogGroup?.Ref as string | undefined;
  const logGroup = logGroupId ?? `/aws/lambda/${fn.logicalId}`;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
    documented.push({
      action,
      resource: `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${logGroup}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
      call: 'Lambda writing the function’s logs',
    });

  // The Kinesis event source mapping reads the stream with the function's role, and writes batches it
  // gives up on to an S3 on-failure destination (Lambda developer guide: Kinesis execution role
  // permissions; S3 on-failure destination needs s3:PutObject and s3:ListBucket).
  for (const mapping of assembly.model.eventSourceMappings.filter((m) => m.functionLogicalId === fn.logicalId)) {
    const stream = assembly.model.streams.find((s) => s.logicalId === mapping.streamLogicalId)?.name;
    const streamArn = `arn:${PARTITION}:kinesis:${REGION}:${ACCOUNT}:stream/${stream}`;
    for (const action of [
      'kinesis:DescribeStream',
      'kinesis:DescribeStreamSummary',
      'kinesis:GetRecords',
      'kinesis:GetShardIterator',
      'kinesis:ListShards',
    ])
      documented.push({ action, resource: streamArn, call: 'the Kinesis event source mapping' });
    if (mapping.onFailureBucket) {
      documented.push({
        action: 's3:PutObject',
        resource: `arn:${PARTITION}:s3:::${mapping.onFailureBucket}/aws/lambda/00000000-0000-0000-0000-000000000000/shardId-000000000000/2026/01/01/2026-01-01T00.00.00-00000000-0000-0000-0000-000000000000`,
        call: 'the on-failure destination (a batch given up on)',
      });
      documented.push({
        action: 's3:ListBucket',
        resource: `arn:${PARTITION}:s3:::${mapping.onFailureBucket}`,
        context: {},
        call: 'the on-failure destination (a batch given up on)',
      });
    }
  }

  // An asynchronous invocation that fails for good goes to the function's on-failure destination,
  // sent with the execution role (Lambda developer guide: sqs:SendMessage, sns:Publish, …).
  for (const config of Object.values(resources).filter(
    (r: any) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.FunctionName?.Ref === fn.logicalId,
  ) as any[]) {
    const destinationId = config.Properties.DestinationConfig?.OnFailure?.Destination?.['Fn::GetAtt']?.[0] as string | undefined;
    const type = destinationId ? resources[destinationId]?.Type : undefined;
    const action = { 'AWS::SQS::Queue': 'sqs:SendMessage', 'AWS::SNS::Topic': 'sns:Publish' }[type as string];
    if (destinationId && action) {
      const resource =
        type === 'AWS::SQS::Queue'
          ? `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${destinationId}`
          : `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${destinationId}`;
      documented.push({ action, resource, call: 'the asynchronous invocation’s on-failure destination' });
    }
  }

  // Athena as the caller of each query it ran (Athena user guide, access to Glue and S3).
  const starts = calls.filter((c) => c.service === 'athena' && c.target?.endsWith('.StartQueryExecution'));
  if (starts.length > 0) {
    const tables = lakeTables(sources, ENVIRONMENTS[envName as 'dev'].lake);
    const lakeBucket = fn.env.LAKE_BUCKET as string;
    const database = fn.env.GLUE_DATABASE as string;
    const workgroup = Object.values(resources).find((r: any) => r.Type === 'AWS::Athena::WorkGroup') as any;
    const outputRef = JSON.stringify(workgroup?.Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation);
    const resultsBucket = assembly.model.buckets.find((b) => outputRef.includes(`"${b.logicalId}"`))?.name;
    for (const start of starts) {
      const body = JSON.parse(start.body) as { QueryString: string; QueryExecutionContext?: { Database?: string } };
      const sql = body.QueryString;
      const label = `Athena running "${sql.replace(/\s+/g, ' ').slice(0, 60)}…"`;
      const id = (JSON.parse(start.responseBody || '{}') as { QueryExecutionId?: string }).QueryExecutionId ?? 'query-id';
      const db = body.QueryExecutionContext?.Database ?? database;
      const need = (action: string, resource: string, context?: Record<string, string>) =>
        documented.push({ action, resource, call: label, ...(context ? { context } : {}) });
      // Results: written under the workgroup's output location, read back by GetQueryResults.
      if (resultsBucket) {
        need('s3:GetBucketLocation', `arn:${PARTITION}:s3:::${resultsBucket}`);
        need('s3:PutObject', `arn:${PARTITION}:s3:::${resultsBucket}/results/${id}.csv`);
        need('s3:PutObject', `arn:${PARTITION}:s3:::${resultsBucket}/results/${id}.csv.metadata`);
        need('s3:GetObject', `arn:${PARTITION}:s3:::${resultsBucket}/results/${id}.csv`);
      }
      for (const table of tables) {
        const name = table.name;
        const read = new RegExp(`\\b(from|join)\\s+("?${db}"?\\.)?"?${name}"?\\b`, 'i').test(sql);
        const written = new RegExp(`\\binsert\\s+into\\s+("?${db}"?\\.)?"?${name}"?\\b`, 'i').test(sql);
        if (!read && !written) continue;
        // Glue authorizes a table action against the catalog, the database and the table.
        for (const resource of [glueArn('catalog'), glueArn('database', db)]) need('glue:GetDatabase', resource);
        for (const resource of [glueArn('catalog'), glueArn('database', db), glueArn('table', `${db}/${name}`)])
          need('glue:GetTable', resource);
        if (read) {
          need('s3:ListBucket', `arn:${PARTITION}:s3:::${lakeBucket}`, { 's3:prefix': table.prefix });
          need('s3:GetObject', `arn:${PARTITION}:s3:::${lakeBucket}/${table.prefix}dt=2026-01-01/hr=00/part-0.parquet`);
          if (table.kind !== 'events')
            for (const resource of [glueArn('catalog'), glueArn('database', db), glueArn('table', `${db}/${name}`)])
              need('glue:GetPartitions', resource);
        }
        if (written) {
          need('s3:PutObject', `arn:${PARTITION}:s3:::${lakeBucket}/${table.prefix}dt=2026-01-01/hr=0/part-0.parquet`);
          need('s3:AbortMultipartUpload', `arn:${PARTITION}:s3:::${lakeBucket}/${table.prefix}dt=2026-01-01/hr=0/part-0.parquet`);
          need(
            's3:ListMultipartUploadParts',
            `arn:${PARTITION}:s3:::${lakeBucket}/${table.prefix}dt=2026-01-01/hr=0/part-0.parquet`,
          );
          for (const resource of [glueArn('catalog'), glueArn('database', db), glueArn('table', `${db}/${name}`)]) {
            need('glue:BatchCreatePartition', resource);
            // Athena looks up the partitions an INSERT INTO writes before registering them; which
            // call (GetPartition, GetPartitions, BatchGetPartition) is not documented: issue 7, item 12.
            unverified.push({ action: 'glue:BatchGetPartition', resource, call: label });
          }
        }
      }
    }
  }
  return { documented, unverified };
}

/**
 * Athena over the lake: a workgroup whose configuration is enforced (clients
 * cannot pick another results location, turn off encryption or lift the
 * bytes-scanned cutoff), engine v3, CloudWatch metrics on; an encrypted,
 * TLS-only results bucket whose objects expire; and every `athena/*.sql` file
 * as a named query, so the console lists the same library the CLI runs.
 *
 * A named query is the file rendered with its parameters' defaults
 * (renderSaved: the last full UTC day, relative to the day it runs), so it runs
 * as saved — Athena's own parameters (`?` in prepared statements) are allowed
 * only in WHERE clauses, and the library binds granularity, limits and the
 * rollup's partition values elsewhere too
 * (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { TimePartitioning } from '../../src/lake/layout.js';
import { ROLLUP_TABLES } from '../../src/lake/tables.js';
import type { GeneratedQuery } from '../../src/query/feature-sql.js';
import { loadSqlLibrary, renderSaved } from '../../src/query/sql-library.js';
import type { AthenaSettings } from '../config/environments.js';
import { secureBucketProps } from './defaults.js';
import type { LakeCatalog } from './lake-catalog.js';
import { acknowledgePrefixWildcard } from './nag.js';

export interface QueryWorkgroupProps {
  readonly envName: string;
  readonly settings: AthenaSettings;
  readonly catalog: LakeCatalog;
  readonly removalPolicy: RemovalPolicy;
  /** Where the results bucket's S3 server access logs go. */
  readonly accessLogBucket: IBucket;
  /** @default ATHENA_DIR (src/query/sql-library.ts) */
  readonly sqlDir?: string;
  /**
   * The lake's time partitions, which the saved queries prune on.
   * @default 'hour' when the catalog's event tables have an `hr` partition, else 'date'
   */
  readonly timePartitioning?: TimePartitioning;
  /** Saved besides the athena/ library: queries generated from the catalog (each view's offline features). @default none */
  readonly generatedQueries?: readonly GeneratedQuery[];
}

export class QueryWorkgroup extends Construct {
  public readonly workgroup: CfnWorkGroup;
  public readonly resultsBucket: Bucket;
  public readonly namedQueries: readonly CfnNamedQuery[];
  private readonly catalog: LakeCatalog;

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    this.catalog = props.catalog;
    this.resultsBucket = new Bucket(this, 'ResultsBucket', {
      ...secureBucketProps(props.removalPolicy),
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { id: 'expire-query-results', expiration: Duration.days(props.settings.resultsExpireAfterDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.workgroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `featurelake-${props.envName}`,
      description: `featurelake ${props.envName}: queries over the event lake`,
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup even when it still holds saved queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.settings.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: Stack.of(this).account,
        },
      },
    });

    const layout = { timePartitioning: props.timePartitioning ?? partitioningOf(props.catalog) };
    const saved = [
      ...loadSqlLibrary(props.sqlDir).map((file) => ({ ...file, sql: renderSaved(file, layout) })),
      ...(props.generatedQueries ?? []),
    ];
    this.namedQueries = saved.map((file) => {
      const query = new CfnNamedQuery(this, `Query-${file.name}`, {
        name: file.name,
        // Athena allows 1,024 characters.
        description: file.description.slice(0, 1024),
        database: props.catalog.database.databaseName,
        workGroup: this.workgroup.ref,
        queryString: file.sql,
      });
      query.addDependency(this.workgroup);
      return query;
    });
  }

  /** The Glue database the queries run in. */
  public get database() {
    return this.catalog.database;
  }

  /** Running queries in this workgroup: start, poll, read results; read the catalog; write results. */
  public grantQuery(grantee: IGrantable): Grant {
    const stack = Stack.of(this);
    const workgroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroup.ref });
    // Athena reads and writes results as the caller: list the bucket, and objects under results/ only.
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resourceArns: [this.resultsBucket.bucketArn],
    });
    acknowledgePrefixWildcard(this, grantee, this.resultsBucket, 'results/', 'Athena names each result file by query id');
    Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resourceArns: [this.resultsBucket.arnForObjects('results/*')],
    });
    const { database } = this.catalog;
    Grant.addToPrincipal({
      grantee,
      // What a query's planning reads of the catalog; BatchGetPartition for the unprojected rollup
      // tables' partitions (AmazonAthenaFullAccess's base Glue actions, narrowed to reads:
      // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html).
      actions: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
      ],
      resourceArns: [
        database.catalog.catalogArn,
        database.databaseArn,
        ...[...this.catalog.tables.values()].map((t) => t.tableArn),
      ],
    });
    return Grant.addToPrincipal({
      grantee,
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
      resourceArns: [workgroupArn],
    });
  }

  /**
   * INSERT INTO a rollup table: Athena, as the caller, registers the partitions it writes
   * (BatchCreatePartition / CreatePartition: the table is not projected) and updates one it
   * appends to (UpdatePartition). See the Glue actions of
   * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html and
   * https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
   * (table-level resources: catalog, database and table ARNs). The files themselves are written with
   * the caller's S3 permissions on the table's prefix (Lake.grantReplaceRollups), encrypted as the
   * workgroup's result configuration says (https://docs.aws.amazon.com/athena/latest/ug/insert-into.html).
   */
  public grantRegisterPartitions(grantee: IGrantable, tableName: string): Grant {
    const table = this.catalog.tables.get(tableName);
    if (!table) throw new Error(`no lake table ${tableName}`);
    const { database } = this.catalog;
    return Grant.addToPrincipal({
      grantee,
      actions: ['glue:BatchCreatePartition', 'glue:CreatePartition', 'glue:UpdatePartition'],
      resourceArns: [database.catalog.catalogArn, database.databaseArn, table.tableArn],
    });
  }
}

/** Whether the catalog's event tables are partitioned by hour (an `hr` partition key) or by date. */
function partitioningOf(catalog: LakeCatalog): TimePartitioning {
  const rollups = new Set(ROLLUP_TABLES.map((t) => t.name));
  const events = [...catalog.tables].filter(([name]) => !rollups.has(name)).map(([, table]) => table);
  const hourly = events.some((t) => t.partitionKeys?.some((k) => k.name === 'hr'));
  return hourly ? 'hour' : 'date';
}

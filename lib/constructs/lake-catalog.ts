/**
 * The Glue catalog of the lake: a database and one table per lake table
 * (src/lake/tables.ts) — an events table per source and the rollup tables.
 *
 * Events tables use partition projection (no crawler, no MSCK REPAIR): `dt` a
 * date from `oldestPartitionDate` to tomorrow, `hr` 00–23, `model` an enum of
 * the configured prediction models; `storage.location.template` spells the
 * writer's Hive layout (src/lake/layout.ts) exactly. Rollup tables are plain
 * partitioned tables: Athena's INSERT INTO registers the partitions it writes.
 *
 * The database and tables have fixed names (the SQL and the CLI use them), so
 * they follow the lake's removal policy instead of CDK's default RETAIN for Glue:
 * a destroyed dev or staging stack must leave no `featurelake_<env>` behind, or
 * the next deploy's CREATE fails with AlreadyExistsException.
 */
import { CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import {
  type Column,
  Database,
  DataFormat,
  DateIntervalUnit,
  PartitionProjectionConfiguration,
  S3Table,
  S3TableStorage,
  Schema,
  type Type,
} from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EventSource } from '../../src/features/define.js';
import type { LakeType } from '../../src/lake/columns.js';
import { glueDatabaseName, type LakeTable, lakeTables, type PartitionKey } from '../../src/lake/tables.js';
import type { LakeSettings } from '../config/environments.js';

export interface LakeCatalogProps {
  readonly envName: string;
  readonly bucket: IBucket;
  readonly sources: readonly EventSource[];
  /** Partitioning (must be the writer's) and the first projected day. */
  readonly settings: Pick<LakeSettings, 'timePartitioning' | 'predictionModels' | 'oldestPartitionDate'>;
  /**
   * What happens to the database and its tables when the stack is deleted.
   * @default the lake bucket's removal policy (the catalog lives and dies with the data it describes);
   * RemovalPolicy.RETAIN when the bucket is imported and its policy cannot be read
   */
  readonly removalPolicy?: RemovalPolicy;
}

const GLUE_TYPES: Readonly<Record<LakeType, Type>> = {
  string: Schema.STRING,
  double: Schema.DOUBLE,
  bigint: Schema.BIG_INT,
  boolean: Schema.BOOLEAN,
  timestamp: Schema.TIMESTAMP,
};

const PARTITION_TYPES: Readonly<Record<PartitionKey['type'], Type>> = { string: Schema.STRING, int: Schema.INTEGER };

export class LakeCatalog extends Construct {
  public readonly database: Database;
  /** Glue tables by lake table name. */
  public readonly tables: ReadonlyMap<string, S3Table>;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    this.database = new Database(this, 'Database', {
      databaseName: glueDatabaseName(props.envName),
      description: `featurelake ${props.envName}: the event lake and its rollups`,
    });
    const removalPolicy = props.removalPolicy ?? removalPolicyOf(props.bucket);
    this.database.applyRemovalPolicy(removalPolicy);
    const tables = new Map<string, S3Table>();
    for (const table of lakeTables(props.sources, props.settings)) {
      const glueTable = this.addTable(table, props);
      glueTable.applyRemovalPolicy(removalPolicy);
      tables.set(table.name, glueTable);
    }
    this.tables = tables;
  }

  private addTable(table: LakeTable, props: LakeCatalogProps): S3Table {
    const projected = table.kind === 'events';
    const location = `s3://${props.bucket.bucketName}/${table.prefix}`;
    return new S3Table(this, `Table-${table.name}`, {
      database: this.database,
      tableName: table.name,
      description: table.description,
      storage: S3TableStorage.fromBucket(props.bucket),
      s3Prefix: table.prefix,
      dataFormat: DataFormat.PARQUET,
      // The lake is SSE-S3, which S3 decrypts transparently; `has_encrypted_data` is the CSE-KMS flag.
      hasEncryptedData: false,
      columns: table.columns.map(
        (c): Column => ({ name: c.name, type: GLUE_TYPES[c.type], ...(c.description ? { comment: c.description } : {}) }),
      ),
      partitionKeys: table.partitionKeys.map((k): Column => ({ name: k.name, type: PARTITION_TYPES[k.type] })),
      ...(projected
        ? {
            partitionProjection: Object.fromEntries(table.partitionKeys.map((k) => [k.name, projectionOf(k, props.settings)])),
            parameters: {
              // Athena finds a projected partition's files here, not in the (absent) partition metadata.
              'storage.location.template': `${location}${table.partitionKeys.map((k) => `${k.name}=\${${k.name}}`).join('/')}/`,
            },
          }
        : {}),
    });
  }
}

/** The removal policy a bucket of this stack was given (its CloudFormation DeletionPolicy). */
function removalPolicyOf(bucket: IBucket): RemovalPolicy {
  const resource = bucket.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) return RemovalPolicy.RETAIN;
  switch (resource.cfnOptions.deletionPolicy) {
    case 'Delete':
      return RemovalPolicy.DESTROY;
    case 'RetainExceptOnCreate':
      return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    default:
      return RemovalPolicy.RETAIN;
  }
}

function projectionOf(key: PartitionKey, settings: LakeCatalogProps['settings']): PartitionProjectionConfiguration {
  switch (key.name) {
    case 'dt':
      return PartitionProjectionConfiguration.date({
        min: settings.oldestPartitionDate,
        // Tomorrow: events within the clock-skew allowance of midnight UTC land in the next day.
        max: 'NOW+1DAYS',
        format: 'yyyy-MM-dd',
        step: { interval: 1, intervalUnit: DateIntervalUnit.DAYS },
      });
    case 'hr':
      return PartitionProjectionConfiguration.integer({ min: 0, max: 23, digits: 2 });
    case 'model':
      return PartitionProjectionConfiguration.enum({ values: [...(settings.predictionModels ?? []), '__null__'] });
    default:
      throw new Error(`no partition projection for partition key ${key.name}`);
  }
}

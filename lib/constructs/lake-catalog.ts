/**
 * The Glue catalog of the lake: a database and one table per lake table
 * (src/lake/tables.ts) — an events table per source and the rollup tables.
 *
 * Events tables use partition projection (no crawler, no MSCK REPAIR): `dt` a
 * date from `oldestPartitionDate` to tomorrow, `hr` 00–23, `model` an enum of
 * the configured prediction models; `storage.location.template` spells the
 * writer's Hive layout (src/lake/layout.ts) exactly. Rollup tables are plain
 * partitioned tables: Athena's INSERT INTO registers the partitions it writes.
 */
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
    const tables = new Map<string, S3Table>();
    for (const table of lakeTables(props.sources, props.settings)) {
      tables.set(table.name, this.addTable(table, props));
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

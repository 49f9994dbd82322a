/**
 * The online store: one DynamoDB table of heads and tiles, keyed as
 * src/online-store/head-item.ts and tile-item.ts lay them out (pk = entity,
 * sk = view#head or view/hop/start), expired by the `ttl` attribute; billed on
 * demand or provisioned with auto scaling, per environment. Grants are by intent: the aggregator writes
 * tiles (read-merge-write), the feature API reads features (BatchGetItem).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MARKER_PREFIX } from '../../src/dedupe/first-occurrence.js';
import { KEY, TTL_ATTRIBUTE } from '../../src/online-store/tile-item.js';
import type { TableBilling } from '../config/environments.js';

export interface OnlineStoreProps {
  /**
   * On demand, or provisioned read and write capacity with auto scaling between `min` and `max`
   * (target tracking on utilisation); the table starts at `min`.
   * @default 'onDemand'
   */
  readonly billing?: TableBilling;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
  /** Refuse DeleteTable even outside CloudFormation. @default false */
  readonly deletionProtection?: boolean;
}

/**
 * Exactly what the guarded writers call (src/online-store/head-writer.ts, tile-writer.ts, batch-get.ts):
 * PutItem puts a closed tile in its own item.
 */
const WRITE_TILE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Exactly what the feature reader calls (src/online-store/feature-reader.ts): one projected BatchGetItem. */
const READ_FEATURE_ACTIONS = ['dynamodb:BatchGetItem'];

export class OnlineStore extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: OnlineStoreProps = {}) {
    super(scope, id);
    const billing = props.billing ?? 'onDemand';
    const provisioned = billing === 'onDemand' ? undefined : billing.provisioned;
    if (provisioned) {
      for (const [kind, range] of Object.entries(provisioned)) {
        if (!(range.min >= 1 && range.max >= range.min)) throw new Error(`OnlineStore: ${kind} capacity needs 1 ≤ min ≤ max`);
        if (!(range.targetUtilizationPercent >= 20 && range.targetUtilizationPercent <= 90))
          throw new Error(`OnlineStore: ${kind} targetUtilizationPercent must be 20–90`);
      }
    }
    this.table = new Table(this, 'Table', {
      partitionKey: { name: KEY.partition, type: AttributeType.STRING },
      sortKey: { name: KEY.sort, type: AttributeType.STRING },
      ...(provisioned
        ? {
            billingMode: BillingMode.PROVISIONED,
            readCapacity: provisioned.read.min,
            writeCapacity: provisioned.write.min,
          }
        : { billingMode: BillingMode.PAY_PER_REQUEST }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      deletionProtection: props.deletionProtection ?? false,
    });
    if (provisioned) {
      this.table
        .autoScaleReadCapacity({ minCapacity: provisioned.read.min, maxCapacity: provisioned.read.max })
        .scaleOnUtilization({ targetUtilizationPercent: provisioned.read.targetUtilizationPercent });
      this.table
        .autoScaleWriteCapacity({ minCapacity: provisioned.write.min, maxCapacity: provisioned.write.max })
        .scaleOnUtilization({ targetUtilizationPercent: provisioned.write.targetUtilizationPercent });
    }
  }

  /** Read-merge-write of heads and tiles: BatchGetItem, GetItem, PutItem and UpdateItem on this table only. */
  public grantWriteTiles(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: WRITE_TILE_ACTIONS, resourceArns: [this.table.tableArn] });
  }

  /**
   * Deduplication markers (src/dedupe/first-occurrence.ts): PutItem on this table, only on items
   * whose partition key starts with `dedupe#` — a consumer that only deduplicates cannot touch a tile.
   */
  public grantWriteDedupeMarkers(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${MARKER_PREFIX}*`] } },
    });
  }

  /** Serving features: BatchGetItem on this table only. */
  public grantReadFeatures(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: READ_FEATURE_ACTIONS, resourceArns: [this.table.tableArn] });
  }
}

/**
 * The online store: one DynamoDB table of tiles, keyed as
 * src/online-store/tile-item.ts lays them out (pk = entity, sk = view/hop/start),
 * expired by the `ttl` attribute. Grants are by intent: the aggregator writes
 * tiles (read-merge-write), the feature API reads features (BatchGetItem).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { KEY, TTL_ATTRIBUTE } from '../../src/online-store/tile-item.js';

export interface OnlineStoreProps {
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
    this.table = new Table(this, 'Table', {
      partitionKey: { name: KEY.partition, type: AttributeType.STRING },
      sortKey: { name: KEY.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      deletionProtection: props.deletionProtection ?? false,
    });
  }

  /** Read-merge-write of heads and tiles: BatchGetItem, GetItem, PutItem and UpdateItem on this table only. */
  public grantWriteTiles(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: WRITE_TILE_ACTIONS, resourceArns: [this.table.tableArn] });
  }

  /** Serving features: BatchGetItem on this table only. */
  public grantReadFeatures(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: READ_FEATURE_ACTIONS, resourceArns: [this.table.tableArn] });
  }
}

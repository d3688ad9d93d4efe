/**
 * The entity index: one DynamoDB table (key design in lambdas/index/schema.ts), on
 * demand, point-in-time recovery on, encrypted with an AWS-managed key, and retained and
 * deletion-protected unless told otherwise: the index is rebuilt only by re-reading every document.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../lambdas/index/schema.js';
import { withDefaults } from './defaults.js';

export interface EntityIndexProps {
  /** What happens to the table when the stack is deleted; anything but RETAIN also lifts deletion protection. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export const ENTITY_INDEX_DEFAULTS = { removalPolicy: RemovalPolicy.RETAIN } as const;

const attribute = (k: { name: string; type: string }): dynamodb.Attribute => ({ name: k.name, type: k.type as dynamodb.AttributeType });

export class EntityIndex extends Construct {
  public readonly table: dynamodb.ITableV2;

  constructor(scope: Construct, id: string, props: EntityIndexProps = {}) {
    super(scope, id);
    const s = withDefaults(props, ENTITY_INDEX_DEFAULTS);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: attribute(TABLE_KEYS.partitionKey),
      sortKey: attribute(TABLE_KEYS.sortKey),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: s.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: s.removalPolicy,
      globalSecondaryIndexes: TABLE_KEYS.globalIndexes.map((i) => ({
        indexName: i.name,
        partitionKey: attribute(i.partitionKey),
        sortKey: attribute(i.sortKey),
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...i.nonKeyAttributes],
      })),
    });
  }
}

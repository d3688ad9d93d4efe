import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTITY_INDEX_DEFAULTS, EntityIndex } from '../../../lib/entity-index.js';
import { bareStack } from '../../helpers/synth.js';

const tableOf = (t: Template) => Object.values(t.findResources('AWS::DynamoDB::GlobalTable'))[0]!;

let template: Template;
beforeAll(() => {
  const stack = bareStack();
  new EntityIndex(stack, 'Index');
  template = Template.fromStack(stack);
});

describe('EntityIndex defaults', () => {
  it('is one table, keyed pk / sk, with the byRank global index on (pk, rank) carrying what ranking reads, not the mentions', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRank',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'rank', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['documentId', 's3Key', 'line', 'name', 'mentions', 'docEntities', 'docTerms'] },
        },
      ],
    });
    // A local index would cap each posting partition at 10 GB (docs/scale.md).
    const table = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))[0]!;
    expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
  });

  it('table: on-demand billing', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { BillingMode: 'PAY_PER_REQUEST' });
  });

  it('PITR on', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })] });
  });

  it('encrypted with an AWS-managed key', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS' } });
  });

  it('retained by default, and deletion-protected', () => {
    expect(ENTITY_INDEX_DEFAULTS.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(tableOf(template)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] });
  });
});

describe('EntityIndex props', () => {
  it('removalPolicy DESTROY deletes the table with the stack and lifts deletion protection', () => {
    const stack = bareStack();
    new EntityIndex(stack, 'Index', { removalPolicy: RemovalPolicy.DESTROY });
    const t = Template.fromStack(stack);
    expect(tableOf(t)).toMatchObject({ DeletionPolicy: 'Delete' });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] });
  });
});

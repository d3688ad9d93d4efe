/**
 * Least-privilege grants, written out instead of the L2 `grant*` helpers, whose
 * wildcard actions (s3:GetObject*, s3:List*) and index wildcards (table/index/*) are more
 * than Nerve needs. The one wildcard left, objects under the ingest prefix, is
 * acknowledged to cdk-nag by its exact finding id, with the reason.
 */
import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { RANK_INDEX } from '../lambdas/index/schema.js';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';

// What lambdas/index/ calls, and nothing else: no DescribeTable, no transactions (ConditionCheckItem).
const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export function grantIndex(role: iam.IRole, table: dynamodb.ITableV2, mode: 'read' | 'readWrite'): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: mode === 'read' ? READ : [...READ, ...WRITE],
      resources: [table.tableArn, `${table.tableArn}/index/${RANK_INDEX}`],
    }),
  );
}

/** `<LogicalId.Arn>`, as cdk-nag writes a resource's ARN in its finding ids. */
function arnInFinding(resource: { node: { defaultChild?: unknown } }): string {
  const cfn = resource.node.defaultChild as CfnResource;
  return `<${Stack.of(cfn).resolve(cfn.logicalId)}.Arn>`;
}

/** Read (only) the objects under the ingest prefix. */
export function grantIngestRead(role: iam.IRole & { node: iam.IRole['node'] }, bucket: s3.IBucket): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [bucket.arnForObjects(`${INGEST_PREFIX}*`)] }));
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${arnInFinding(bucket)}/${INGEST_PREFIX}*]`,
    reason: 'Documents arrive under any key of the ingest prefix; reading them is the whole job, and nothing outside the prefix is granted.',
  });
}

/**
 * Call the OpenSearch Serverless collection's data plane (its index permissions are the
 * collection's data access policy's, lib/word-search.ts): this collection only.
 */
export function grantWordSearch(role: iam.IRole, collectionArn: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [collectionArn] }));
}

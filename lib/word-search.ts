/**
 * The full-text engine for documents' words, beside the DynamoDB entity index: an Amazon
 * OpenSearch Serverless collection of type SEARCH (BM25). The batch function and the GPU
 * workers write each document's text to its index, the search function queries it; the
 * code signs its requests with SigV4 for `aoss` and finds the collection through
 * NERVE_WORDS_ENDPOINT, NERVE_WORDS_INDEX and NERVE_WORDS_SIGNING (`environment`).
 *
 * Access is decided twice, and both must allow a request: IAM (`aoss:APIAccessAll` on this
 * collection only, lib/grants.ts) and the collection's data access policy (index
 * permissions, per principal). The consumers register themselves (`grantWrite`,
 * `grantRead`, `allowFromVpc`) while the stack is built; the policies are rendered from
 * what they registered when the template is written, so a consumer created after this
 * construct still lands in them.
 *
 * Network: the Lambda functions run outside any VPC and reach the collection's public
 * endpoint (SigV4 and the data access policy still apply; no dashboards endpoint is
 * opened). The GPU workers have no route out of their isolated subnets: they get an
 * OpenSearch Serverless-managed VPC endpoint there (`allowFromVpc`), named in the network
 * policy. A rule that allows public access overrides a VPC rule for the same collection,
 * and public access also covers OpenSearch Serverless-managed VPC endpoints, so while the
 * public rule is there the VPC rule changes nothing; it is written anyway, in a rule of
 * its own (a rule with AllowFromPublic true ignores its SourceVPCEs), so that the workers
 * keep their access if public access is ever dropped.
 *
 * A collection bills a minimum of OpenSearch Compute Units for as long as it exists, used
 * or not (twice that with standby replicas): `nerve:wordSearch=none` leaves it out.
 */
import { createHash } from 'node:crypto';
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env.js';
import { DEFAULT_WORDS_INDEX } from '../lambdas/shared/contract.js';
import { withDefaults } from './defaults.js';
import { grantWordSearch } from './grants.js';

export interface WordSearchProps {
  /**
   * Standby replicas in another Availability Zone: the collection keeps serving when a zone
   * fails, at about twice the minimum capacity billed. `false` (context
   * `nerve:wordSearchStandby=false`) is for development stages. The setting is fixed when
   * the collection is created, so changing it creates a new collection (its names carry the
   * setting), which starts empty. @default true
   */
  readonly standbyReplicas?: boolean;
}

export const WORD_SEARCH_DEFAULTS = {
  standbyReplicas: true,
  // No props: what the code side expects (lambdas/shared/env.ts).
  /** The index documents' words are written to and searched in. */
  index: DEFAULT_WORDS_INDEX,
  /** How requests are signed: SigV4 for OpenSearch Serverless. */
  signing: 'aoss',
} as const;

/** What the batch path may do in the index: create it once (with its mappings), check it, and write and read documents. */
export const WORDS_WRITE_PERMISSIONS = ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'] as const;
/** What search may do: check the index and read documents. */
export const WORDS_READ_PERMISSIONS = ['aoss:DescribeIndex', 'aoss:ReadDocument'] as const;

/** OpenSearch Serverless's rule for collection, policy and VPC endpoint names: 3 to 32 characters, a lower-case letter first, then lower-case letters, digits and hyphens. */
export const AOSS_NAME = /^[a-z][a-z0-9-]{2,31}$/;

/** Characters of the hash in every name. */
const HASH_CHARS = 8;
/** The longest kind suffix (`-enc`). */
const SUFFIX_CHARS = 4;

/**
 * A name within AOSS's rule, the same on every synth: the stack's name, lower-cased and
 * cut to fit, then a hash of everything that must tell two names apart (the stack's exact
 * name, the construct's path, `salt`), then `kind`. Two stacks, or stacks whose names differ
 * only in case or past the cut, never share one.
 */
export function aossName(stackName: string, path: string, kind: string, salt: readonly string[] = []): string {
  const hash = createHash('sha256').update([stackName, path, ...salt].join('\0')).digest('hex').slice(0, HASH_CHARS);
  const room = 32 - HASH_CHARS - 1 - SUFFIX_CHARS;
  const slug = stackName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, room).replace(/-+$/, '') || 'nerve';
  const name = `${slug}-${hash}${kind ? `-${kind}` : ''}`;
  if (!AOSS_NAME.test(name)) throw new Error(`aossName: "${name}" breaks OpenSearch Serverless's name rule (a bug)`);
  return name;
}

export class WordSearch extends Construct {
  public readonly collection: aoss.CfnCollection;
  public readonly collectionName: string;
  public readonly encryptionPolicy: aoss.CfnSecurityPolicy;
  public readonly networkPolicy: aoss.CfnSecurityPolicy;
  public readonly accessPolicy: aoss.CfnAccessPolicy;
  /** The variables that point a consumer at the collection (lambdas/shared/env.ts). */
  public readonly environment: Readonly<Record<string, string>>;

  private readonly writers: iam.IRole[] = [];
  private readonly readers: iam.IRole[] = [];
  private readonly vpcEndpoints: aoss.CfnVpcEndpoint[] = [];
  /** Without the standby setting: the VPC endpoint serves whatever collection there is. */
  private readonly vpcEndpointName: string;

  constructor(scope: Construct, id: string, props: WordSearchProps = {}) {
    super(scope, id);
    const s = withDefaults(props, WORD_SEARCH_DEFAULTS);
    const stack = Stack.of(this);
    // A stack name is always known in Nerve; a token (a nested stack's) falls back to the construct's address.
    const stackName = Token.isUnresolved(stack.stackName) ? this.node.addr : stack.stackName;
    // The standby setting is in the names: a collection cannot change it, so a change is a new collection (and new policies for it).
    const name = (kind: string) => aossName(stackName, this.node.path, kind, [`standby=${s.standbyReplicas}`]);
    this.collectionName = name('');
    this.vpcEndpointName = aossName(stackName, this.node.path, 'vpc');
    const collectionResource = [`collection/${this.collectionName}`];

    // An AWS owned key: no customer managed key, as for the rest of Nerve's data (S3-managed
    // documents, SQS-managed queues, DynamoDB's AWS managed key). The words are a copy of what
    // the documents bucket holds, so a customer managed key would add a key and its policy to
    // keep (granting OpenSearch Serverless) without protecting the words more than the documents.
    this.encryptionPolicy = new aoss.CfnSecurityPolicy(this, 'Encryption', {
      name: name('enc'),
      type: 'encryption',
      description: 'Nerve: documents\' words, encrypted with an AWS owned key',
      policy: JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: collectionResource }], AWSOwnedKey: true }),
    });

    this.networkPolicy = new aoss.CfnSecurityPolicy(this, 'Network', {
      name: name('net'),
      type: 'network',
      description: 'Nerve: the collection endpoint (no dashboards) from the functions (public, SigV4) and the GPU workers\' VPC endpoint',
      policy: Lazy.string({ produce: () => stack.toJsonString(this.networkRules(collectionResource)) }),
    });

    this.accessPolicy = new aoss.CfnAccessPolicy(this, 'Access', {
      name: name('acc'),
      type: 'data',
      description: 'Nerve: the batch path writes documents\' words, search reads them',
      policy: Lazy.string({ produce: () => stack.toJsonString(this.accessRules()) }),
    });

    this.collection = new aoss.CfnCollection(this, 'Collection', {
      name: this.collectionName,
      type: 'SEARCH',
      description: 'Nerve: documents\' words (BM25), beside the entity index',
      standbyReplicas: s.standbyReplicas ? 'ENABLED' : 'DISABLED',
    });
    // A collection is refused without a matching encryption policy, and is unreachable
    // without the other two: all three exist first.
    for (const policy of [this.encryptionPolicy, this.networkPolicy, this.accessPolicy]) this.collection.addResourceDependency(policy);

    this.environment = {
      [ENV.wordsEndpoint]: this.collection.attrCollectionEndpoint,
      [ENV.wordsIndex]: s.index,
      [ENV.wordsSigning]: s.signing,
    };
    this.node.addValidation({ validate: () => (this.writers.length === 0 && this.readers.length === 0 ? ['WordSearch: no reader or writer: a data access policy needs a principal'] : []) });
  }

  /** The batch path (the batch function's role, the GPU task role): create and describe the index, read and write documents. */
  public grantWrite(role: iam.IRole): void {
    this.writers.push(role);
    grantWordSearch(role, this.collection.attrArn);
  }

  /** Search (its function's role): describe the index and read documents. */
  public grantRead(role: iam.IRole): void {
    this.readers.push(role);
    grantWordSearch(role, this.collection.attrArn);
  }

  /**
   * Reach the collection from a VPC with no route out (the GPU workers' isolated subnets):
   * an OpenSearch Serverless-managed VPC endpoint in `subnets` (its private DNS answers for
   * the collection's endpoint inside the VPC), HTTPS from `peer` only, named in the network policy.
   */
  public allowFromVpc(vpc: ec2.IVpc, subnets: ec2.SelectedSubnets, peer: ec2.ISecurityGroup): aoss.CfnVpcEndpoint {
    if (this.vpcEndpoints.length > 0) throw new Error('WordSearch: one VPC endpoint only (the GPU workers\' VPC)');
    const security = new ec2.SecurityGroup(this, 'VpcEndpointSecurity', { vpc, allowAllOutbound: false, description: 'Nerve words VPC endpoint: HTTPS from the GPU workers' });
    security.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from the GPU workers');
    const endpoint = new aoss.CfnVpcEndpoint(this, 'VpcEndpoint', {
      name: this.vpcEndpointName,
      vpcId: vpc.vpcId,
      subnetIds: subnets.subnetIds,
      securityGroupIds: [security.securityGroupId],
    });
    // The network policy names the endpoint's id (Fn::GetAtt), so CloudFormation creates the endpoint first.
    this.vpcEndpoints.push(endpoint);
    return endpoint;
  }

  private networkRules(collectionResource: string[]): unknown[] {
    const collectionOnly = [{ ResourceType: 'collection', Resource: collectionResource }];
    const rules: unknown[] = [];
    if (this.vpcEndpoints.length > 0) {
      rules.push({ Description: 'The GPU workers, through their VPC endpoint', Rules: collectionOnly, AllowFromPublic: false, SourceVPCEs: this.vpcEndpoints.map((e) => e.attrId) });
    }
    rules.push({ Description: 'The Lambda functions, outside any VPC (SigV4 and the data access policy still apply)', Rules: collectionOnly, AllowFromPublic: true });
    return rules;
  }

  private accessRules(): unknown[] {
    const index = [`index/${this.collectionName}/*`];
    const rule = (description: string, roles: iam.IRole[], permissions: readonly string[]) => ({
      Description: description,
      Rules: [{ ResourceType: 'index', Resource: index, Permission: [...permissions] }],
      Principal: roles.map((r) => r.roleArn),
    });
    return [
      ...(this.writers.length > 0 ? [rule('The batch path writes documents\' words', this.writers, WORDS_WRITE_PERMISSIONS)] : []),
      ...(this.readers.length > 0 ? [rule('Search reads them', this.readers, WORDS_READ_PERMISSIONS)] : []),
    ];
  }
}

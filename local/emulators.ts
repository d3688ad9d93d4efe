/**
 * The local stack's AWS emulators, bound to 127.0.0.1 only:
 * - dynalite (DynamoDB on LevelDB; persistent on disk when given a folder), with the
 *   transactions it lacks (dynamo-transactions.ts),
 * - fauxqs (SQS in memory; S3 in memory, or on disk when given a folder: durable-s3.ts),
 *   built with its exported app factory so it listens on 127.0.0.1 rather than every
 *   interface,
 * - the full-text engine for documents' words (word-search.ts: OpenSearch's API over
 *   MiniSearch; persistent when given a folder).
 * Tables, queues and buckets are created from the same definitions the CDK uses.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { TABLE_KEYS } from '../lambdas/index/schema.js';
import { QUEUE_SETTINGS } from '../lambdas/batch/settings.js';
import { localClientConfig, localS3Config } from './config.js';
import { openDurableS3Store } from './durable-s3.js';
import { dynaliteWithTransactions } from './dynamo-transactions.js';
import { startWordSearch } from './word-search.js';


export interface Emulators {
  readonly dynamoEndpoint: string;
  readonly awsEndpoint: string; // SQS and S3
  /** The word index's engine (lambdas/words), unsigned. */
  readonly wordsEndpoint: string;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** With a bucket folder: since when it has kept the buckets (ms since epoch). */
  readonly bucketsKeptSince?: number;
  stop(): Promise<void>;
}

/** `dataDir` keeps the tables (dynalite's LevelDB), `bucketDir` the buckets, `wordsDir` the words; without them, they live in memory. */
export async function startEmulators({ dataDir, bucketDir, wordsDir }: { dataDir?: string; bucketDir?: string; wordsDir?: string } = {}): Promise<Emulators> {
  const dyn = dynaliteWithTransactions({ path: dataDir, createTableMs: 0 });
  await new Promise<void>((resolve, reject) => dyn.listen(0, '127.0.0.1', () => resolve()).on('error', reject));
  const dynamoEndpoint = `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`;

  const durable = bucketDir ? await openDurableS3Store(bucketDir) : undefined;
  // buildApp takes each store it is given and makes the others (fauxqs 1.9's app.js); its type asks for all three.
  const stores = durable && ({ s3Store: durable.store } as unknown as NonNullable<Parameters<typeof buildApp>[0]>['stores']);
  const app = buildApp({ logger: false, host: '127.0.0.1', stores });
  const awsEndpoint = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');

  const words = await startWordSearch({ dir: wordsDir });

  const dynamo = new DynamoDBClient(localClientConfig(dynamoEndpoint));
  const s3 = new S3Client(localS3Config(awsEndpoint));
  const sqs = new SQSClient(localClientConfig(awsEndpoint));
  return {
    dynamoEndpoint,
    awsEndpoint,
    wordsEndpoint: words.endpoint,
    dynamo,
    s3,
    sqs,
    bucketsKeptSince: durable?.since,
    stop: async () => {
      dynamo.destroy();
      s3.destroy();
      sqs.destroy();
      await app.close();
      await words.stop();
      await new Promise<void>((resolve) => dyn.close(() => resolve()));
    },
  };
}

/** The entity index table, keyed exactly as lib/entity-index.ts declares it. */
export async function createIndexTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, globalIndexes } = TABLE_KEYS;
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...new Map([partitionKey, sortKey, ...globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey])].map((k) => [k.name, k])).values()].map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: [
          { AttributeName: partitionKey.name, KeyType: 'HASH' },
          { AttributeName: sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: globalIndexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: i.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.nonKeyAttributes] },
        })),
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e; // already there (a persistent store)
  }
  for (let i = 0; i < 50; i++) {
    const t = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/** The ingest queue and its dead-letter queue, with the CDK's visibility timeout and receive limit. */
export async function createIngestQueues(
  sqs: SQSClient,
  name: string,
  { visibilityTimeoutSeconds = QUEUE_SETTINGS.visibilityTimeoutSeconds as number, maxReceiveCount = QUEUE_SETTINGS.maxReceiveCount as number } = {},
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
}

import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import type { S3Change } from '../../lambdas/batch/events.js';
import type { BatchContext } from '../../lambdas/batch/process.js';
import { loadModel } from '../../lambdas/engine/load.js';
import { keys, SHARDS } from '../../lambdas/index/schema.js';
import { OpenSearchWords } from '../../lambdas/words/opensearch.js';
import { createBucket, createIndexTable, startEmulators, type Emulators } from '../../local/emulators.js';
import { fixtures } from './paths.js';

export const BUCKET = 'docs';
export const TABLE = 'index';

/** The local emulators with an empty index table, and the store the index code writes through. */
export async function indexEnvironment(table = TABLE): Promise<{ emulators: Emulators; store: BatchContext['store'] }> {
  const emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, table);
  return { emulators, store: { client: DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } }), table } };
}

/** The emulators, the index table, the bucket and a batch context with the tiny model; with the word index, as the local stack has, unless `words: false`. */
export async function batchEnvironment({ words = true } = {}): Promise<{ emulators: Emulators; ctx: BatchContext }> {
  const emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, TABLE);
  await createBucket(emulators.s3, BUCKET);
  const ctx: BatchContext = {
    store: {
      client: DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      table: TABLE,
      ...(words ? { words: new OpenSearchWords({ endpoint: emulators.wordsEndpoint, index: TABLE }) } : {}),
    },
    s3: emulators.s3,
    model: await loadModel(join(fixtures, 'tiny-model')),
    maxObjectBytes: 1024 * 1024,
    leaseSeconds: 30,
    workerId: 'test-worker',
  };
  return { emulators, ctx };
}

let seq = 0x100;
/** Increasing S3-style sequencers (hex, as S3 writes them). */
export const nextSequencer = () => (seq++).toString(16).toUpperCase().padStart(16, '0');

export async function put(ctx: BatchContext, key: string, body: string | Uint8Array): Promise<S3Change> {
  await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return { kind: 'created', bucket: BUCKET, key, size: typeof body === 'string' ? Buffer.byteLength(body) : body.length, sequencer: nextSequencer(), eventTime: new Date().toISOString() };
}

/** Every posting of an entity, over all shards. */
export async function postings(ctx: BatchContext, type: string, key: string): Promise<string[]> {
  const out: string[] = [];
  for (let shard = 0; shard < SHARDS; shard++) {
    const res = await ctx.store.client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.postingPartition(type, key, shard) } }));
    out.push(...(res.Items ?? []).map((i) => i.sk as string));
  }
  return out.sort();
}

/** The document frequency of an entity, as search reads it (the sum of its counters). */
export async function frequency(ctx: BatchContext, type: string, key: string): Promise<number> {
  const { documentFrequencies } = await import('../../lambdas/index/lookups.js');
  return (await documentFrequencies(ctx.store, [{ type, key }])).get(`${type}\u0000${key}`)?.documents ?? 0;
}

/**
 * Odd keys end to end in the batch stack (local/batch-stack.ts, in memory): uploaded and
 * deleted with real SDK calls through the S3 event proxy, announced in its events,
 * decoded by the batch handler (lambdas/batch/events.ts decodeS3Key), and indexed under
 * the key exactly as written.
 */
import { join } from 'node:path';
import { DeleteObjectCommand, DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { getDocument, type IndexStore } from '../../lambdas/index/store.js';
import { startBatchStack, type BatchStack } from '../../local/batch-stack.js';
import { localS3Config } from '../../local/config.js';
import { fixtures } from '../helpers/paths.js';

const KEYS = [
  'incoming/Société Générale 2+2=4 %20.txt',
  'incoming/a  b++c%2Fd%25.txt',
  'incoming/./dots/../odd.txt',
  'incoming//double.txt',
  'incoming/日本語/ключ ✓ (1).md',
  "incoming/q?x=1&y#z;~'!*.txt",
];
let stack: BatchStack;
let s3: S3Client;
let store: IndexStore;

beforeAll(async () => {
  Object.assign(process.env, { NERVE_BATCH_MODEL: join(fixtures, 'tiny-model'), NERVE_LOCAL_BATCH_CONCURRENCY: '1', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  stack = await startBatchStack();
  s3 = new S3Client(localS3Config(stack.config.s3Endpoint));
  store = { client: DynamoDBDocumentClient.from(stack.emulators.dynamo), table: stack.config.table };
});
afterAll(async () => {
  s3?.destroy();
  await stack?.stop();
});

const record = (key: string) => getDocument(store, documentIdOf(stack.config.bucket, key));
const settle = { timeout: 30_000, interval: 200 };

describe('odd keys through the proxy and the batch handler', () => {
  it('indexes each under its exact key', async () => {
    for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: stack.config.bucket, Key: key, Body: 'Anna Kowalczyk met Ravi Mehta in Port Avery.' }));
    for (const key of KEYS) {
      await expect.poll(async () => (await record(key))?.status, { ...settle, message: key }).toBe('indexed');
      const r = await record(key);
      expect(r?.key).toBe(key);
      expect(r?.entityCount, key).toBe(3);
    }
  });

  it('removes them, one by one or with DeleteObjects', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: stack.config.bucket, Key: KEYS[0] }));
    await s3.send(new DeleteObjectsCommand({ Bucket: stack.config.bucket, Delete: { Objects: KEYS.slice(1).map((Key) => ({ Key })) } }));
    for (const key of KEYS) await expect.poll(async () => (await record(key))?.status, { ...settle, message: key }).toBe('deleted');
  });
});

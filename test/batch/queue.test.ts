/**
 * Lambda's SQS semantics against fauxqs and dynalite: a poison message ends in the
 * dead-letter queue after the receive limit; a worker killed in the middle of a document
 * loses nothing: the message comes back after the visibility timeout, the lease expires,
 * and the index ends up exactly as a clean run leaves it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueuePoller, type Poller } from '../../lambdas/batch/queue-poller.js';
import { processChange } from '../../lambdas/batch/process.js';
import { documentIdOf, keys } from '../../lambdas/index/schema.js';
import { getDocument, getEntities } from '../../lambdas/index/store.js';
import { localAwsEnvironment } from '../../local/config.js';
import { createBucket, createIndexTable, createIngestQueues, startEmulators, type Emulators } from '../../local/emulators.js';
import { s3EventMessage } from '../../local/s3-events.js';
import { loadModel } from '../../lambdas/engine/load.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fixtures, repoRoot } from '../helpers/paths.js';

const tiny = join(fixtures, 'tiny-model');
let emulators: Emulators;
let queueUrl: string;
let dlqUrl: string;
let gpuQueueUrl: string;
let env: Record<string, string>;

beforeAll(async () => {
  emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, 'index');
  await createIndexTable(emulators.dynamo, 'reference');
  await createBucket(emulators.s3, 'docs');
  ({ queueUrl, dlqUrl } = await createIngestQueues(emulators.sqs, 'ingest', { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 }));
  ({ queueUrl: gpuQueueUrl } = await createIngestQueues(emulators.sqs, 'gpu'));
  env = {
    ...localAwsEnvironment({ dynamodb: emulators.dynamoEndpoint, s3: emulators.awsEndpoint, sqs: emulators.awsEndpoint }),
    NERVE_INDEX_TABLE: 'index',
    NERVE_BATCH_MODEL: tiny,
    // Shorter than the visibility timeout, as in AWS (300 s against 1,800 s): a dead worker's lease
    // has expired by the time its message comes back.
    NERVE_LEASE_SECONDS: '1',
    NERVE_LEASE_RETRY_SECONDS: '1',
    NERVE_QUEUE_URL: queueUrl,
    NERVE_GPU_QUEUE_URL: '',
    NERVE_GPU_THRESHOLD_BYTES: '200000',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  env.NERVE_GPU_QUEUE_URL = gpuQueueUrl;
  Object.assign(process.env, env);
});
afterAll(async () => {
  await emulators?.stop();
});

async function startInProcessWorker(): Promise<Poller> {
  const { handler } = await import('../../lambdas/batch/handler.js');
  return startQueuePoller(emulators.sqs, queueUrl, (event) => handler(event, {} as never), { onError: () => undefined });
}

describe('ingest queue', () => {
  it('moves a poison message to the dead-letter queue after the receive limit', async () => {
    const worker = await startInProcessWorker();
    try {
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not": "an S3 event"}' }));
      await expect
        .poll(async () => (await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }))).Messages?.[0]?.Body, { timeout: 20_000, interval: 500 })
        .toBe('{"not": "an S3 event"}');
    } finally {
      await worker.stop();
    }
  });

  it('routes a file over the size threshold, unchanged, to the GPU workers\' queue', async () => {
    const worker = await startInProcessWorker();
    try {
      const message = s3EventMessage({ kind: 'created', bucket: 'docs', key: 'incoming/huge.txt', size: 300_000 });
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message }));
      let forwarded: string | undefined;
      await expect
        .poll(async () => (forwarded ??= (await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: gpuQueueUrl, WaitTimeSeconds: 1 }))).Messages?.[0]?.Body), { timeout: 20_000, interval: 300 })
        .toBeDefined();
      expect(JSON.parse(forwarded!)).toEqual({ Records: JSON.parse(message).Records });
      // Not processed here: no record for it (the object does not even exist, so processing would have failed it).
      const db = DynamoDBDocumentClient.from(emulators.dynamo);
      expect(await getDocument({ client: db, table: 'index' }, documentIdOf('docs', 'incoming/huge.txt'))).toBeUndefined();
    } finally {
      await worker.stop();
    }
  });

  it('defers a change whose file another worker holds instead of failing it into the dead-letter queue', async () => {
    const key = 'incoming/held.txt';
    await emulators.s3.send(new PutObjectCommand({ Bucket: 'docs', Key: key, Body: 'Tomas Berg visited Osterholm.' }));
    const id = documentIdOf('docs', key);
    const db = DynamoDBDocumentClient.from(emulators.dynamo);
    // Another worker holds the file for a while: longer than three receives of its message take.
    await db.send(new PutCommand({ TableName: 'index', Item: { ...keys.lease(id), owner: 'another worker', expires: Date.now() + 60_000 } }));
    const worker = await startInProcessWorker();
    try {
      await emulators.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: s3EventMessage({ kind: 'created', bucket: 'docs', key, size: 29 }) }));
      await new Promise((r) => setTimeout(r, 9000)); // 3 receives, 2 s visibility each, would have taken it to the DLQ
      expect((await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
      await db.send(new DeleteCommand({ TableName: 'index', Key: keys.lease(id) })); // the other worker is done
      await expect.poll(async () => (await getDocument({ client: db, table: 'index' }, id))?.status, { timeout: 20_000, interval: 300 }).toBe('indexed');
    } finally {
      await worker.stop();
    }
  }, 40_000);

  it('recovers from a worker killed in the middle of a document', async () => {
    const key = 'incoming/long story.txt';
    const text = Array.from({ length: 1500 }, (_, i) => `Anna Kowalczyk met Ravi Mehta in Port Avery on day ${i}. Halvard Bank and Quill Corp agreed in Vale.`).join('\n');
    await emulators.s3.send(new PutObjectCommand({ Bucket: 'docs', Key: key, Body: text }));
    const message = s3EventMessage({ kind: 'created', bucket: 'docs', key, size: Buffer.byteLength(text) });
    const id = documentIdOf('docs', key);
    const db = DynamoDBDocumentClient.from(emulators.dynamo);

    // A worker process takes the message and is killed (SIGKILL) once it holds the lease.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'lambdas', 'batch', 'worker.ts')], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: 'ignore' });
    await emulators.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message }));
    await expect.poll(async () => (await db.send(new GetCommand({ TableName: 'index', Key: keys.lease(id) }))).Item, { timeout: 60_000, interval: 20 }).toBeDefined();
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect((await getDocument({ client: db, table: 'index' }, id))?.status).not.toBe('indexed'); // it really died mid-way

    // Another worker: the message reappears after the visibility timeout, the lease expires, the work is redone.
    const worker = await startInProcessWorker();
    try {
      await expect.poll(async () => (await getDocument({ client: db, table: 'index' }, id))?.status, { timeout: 30_000, interval: 300 }).toBe('indexed');
    } finally {
      await worker.stop();
    }

    // The index is exactly what a clean run writes.
    const model = await loadModel(tiny);
    const reference = { client: db, table: 'reference' };
    await processChange({ store: reference, s3: emulators.s3, model, maxObjectBytes: 1 << 24, leaseSeconds: 30, workerId: 'ref' }, { kind: 'created', bucket: 'docs', key, sequencer: '1', eventTime: '' });
    await model.release();
    const live = { client: db, table: 'index' };
    expect((await getEntities(live, (await getDocument(live, id))!)).entities).toEqual((await getEntities(reference, (await getDocument(reference, id))!)).entities);
    const strip = (r: Record<string, unknown> | undefined) => r && { ...r, sequencer: undefined, seq: undefined, chunkSet: undefined, updatedAt: undefined };
    expect(strip(await getDocument({ client: db, table: 'index' }, id) as never)).toEqual(strip(await getDocument(reference, id) as never));
  });
});

/**
 * `nerve reindex` over the emulators (S3 and SQS of fauxqs, dynalite): the events it
 * queues are S3's shape, keys with spaces, `+`, `%` and non-ASCII letters survive the
 * round trip, every object under the prefix is announced once and nothing outside it,
 * the batch path indexes them into an empty index, and where the index holds a newer
 * version, the reindex event is stale.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesFromMessage, type S3Change } from '../../lambdas/batch/events.js';
import { processChange } from '../../lambdas/batch/process.js';
import { getDocument } from '../../lambdas/index/store.js';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { reindex } from '../../cli/reindex.js';
import { localS3Config } from '../../local/config.js';
import { createIngestQueues, type Emulators } from '../../local/emulators.js';
import { batchEnvironment, BUCKET, nextSequencer } from '../helpers/batch.js';
import type { BatchContext } from '../../lambdas/batch/process.js';

let emulators: Emulators;
let ctx: BatchContext;
let queueUrl: string;
const KEYS = ['incoming/a.txt', 'incoming/with space.txt', 'incoming/plus+sign.txt', 'incoming/100%.txt', 'incoming/Société Générale.txt', ...Array.from({ length: 23 }, (_, i) => `incoming/n/${i}.txt`)];

beforeAll(async () => {
  ({ emulators, ctx } = await batchEnvironment());
  ({ queueUrl } = await createIngestQueues(emulators.sqs, 'reindex-test'));
  const s3 = new S3Client(localS3Config(emulators.awsEndpoint));
  for (const key of [...KEYS, 'elsewhere/skip.txt']) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `Anna Kowalczyk visited Port Avery (${key}).` }));
});
afterAll(async () => {
  await ctx?.model.release();
  await emulators?.stop();
});

async function drain(): Promise<S3Change[]> {
  const changes: S3Change[] = [];
  for (;;) {
    const out = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return changes;
    for (const m of out.Messages) {
      changes.push(...changesFromMessage(m.Body!));
      await emulators.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

describe('nerve reindex', () => {
  it('announces every object under the prefix once, in S3 event shape, and the batch path indexes them into an empty index', async () => {
    const queued = await reindex({ bucket: BUCKET, queueUrl, s3: new S3Client(localS3Config(emulators.awsEndpoint)), sqs: emulators.sqs, region: 'eu-west-1' });
    expect(queued).toBe(KEYS.length);
    const changes = await drain();
    expect(changes.map((c) => c.key).sort()).toEqual([...KEYS].sort());
    expect(new Set(changes.map((c) => c.kind))).toEqual(new Set(['created']));
    for (const c of changes) expect(await processChange(ctx, c)).toBe('indexed');
    const record = await getDocument(ctx.store, documentIdOf(BUCKET, 'incoming/Société Générale.txt'));
    expect(record).toMatchObject({ status: 'indexed', key: 'incoming/Société Générale.txt' });
  });

  it('never undoes a newer version: where the index holds one, its event is stale', async () => {
    // S3's own event of a later write was applied first.
    const newer = { kind: 'created' as const, bucket: BUCKET, key: 'incoming/a.txt', sequencer: nextSequencer(), eventTime: new Date().toISOString() };
    expect(await processChange(ctx, newer)).toBe('indexed');
    await reindex({ bucket: BUCKET, queueUrl, prefix: 'incoming/a', s3: new S3Client(localS3Config(emulators.awsEndpoint)), sqs: emulators.sqs });
    const [again] = await drain();
    expect(again!.key).toBe('incoming/a.txt');
    expect(await processChange(ctx, again!)).toBe('stale');
  });
});

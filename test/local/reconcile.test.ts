/**
 * The start-up reconciliation (local/reconcile.ts) over the real emulators: index records
 * and objects in every combination, and the events it queues for them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesFromMessage } from '../../lambdas/batch/events.js';
import { compareSequencers, documentIdOf, fenceOf, keys } from '../../lambdas/index/schema.js';
import { createBucket, createIndexTable, createIngestQueues, startEmulators, type Emulators } from '../../local/emulators.js';
import { reconcileIndex } from '../../local/reconcile.js';
import { sequencerAt } from '../../local/s3-events.js';

const BUCKET = 'docs';
const TABLE = 'index-table';
let emulators: Emulators;
let db: DynamoDBDocumentClient;
let queueUrl: string;

beforeAll(async () => {
  emulators = await startEmulators({ bucketDir: join(mkdtempSync(join(tmpdir(), 'nerve-reconcile-')), 'bucket') });
  await createIndexTable(emulators.dynamo, TABLE);
  await createBucket(emulators.s3, BUCKET);
  ({ queueUrl } = await createIngestQueues(emulators.sqs, 'reconcile-test'));
  db = DynamoDBDocumentClient.from(emulators.dynamo);
});
afterAll(async () => {
  await emulators?.stop();
});

async function record(key: string, sequencer: string, fields: Record<string, unknown> = {}) {
  const documentId = documentIdOf(BUCKET, key);
  const item = { ...keys.document(documentId), documentId, bucket: BUCKET, key, sequencer, seq: fenceOf(sequencer), status: 'indexed', settled: true, chunkCount: 0, entityKeys: [], updatedAt: new Date().toISOString(), ...fields };
  await db.send(new PutCommand({ TableName: TABLE, Item: item }));
}

describe('start-up reconciliation', () => {
  it('queues a created event for each object the index has not seen, a removed one for each record whose object is gone, and clears dead leases', async () => {
    const objects = ['new.txt', 'current.txt', 'stale.txt', 'unsettled.txt', 'intent-only.txt', 'future.txt', 'redeleted.txt'].map((n) => `incoming/${n}`);
    for (const Key of [...objects, 'elsewhere/x.txt']) await emulators.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'Anna Kowalczyk' }));
    const modified = new Map((await emulators.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents!.map((c) => [c.Key!, c.LastModified!.getTime()]));
    const at = (key: string, deltaMs: number) => sequencerAt(modified.get(key)! + deltaMs);
    const since = emulators.bucketsKeptSince!;
    const future = sequencerAt(Date.now() + 3_600_000); // a clock that went back since

    await record('incoming/current.txt', at('incoming/current.txt', 2));
    await record('incoming/stale.txt', at('incoming/stale.txt', -1000));
    await record('incoming/unsettled.txt', at('incoming/unsettled.txt', 2), { settled: false });
    await record('incoming/intent-only.txt', at('incoming/intent-only.txt', 2), { status: undefined });
    await record('incoming/future.txt', future);
    await record('incoming/redeleted.txt', at('incoming/redeleted.txt', -1000), { status: 'deleted' });
    await record('incoming/removed-while-down.txt', sequencerAt(since + 10));
    await record('incoming/failed-while-down.txt', sequencerAt(since + 10), { status: 'failed' });
    await record('incoming/already-deleted.txt', sequencerAt(since + 10), { status: 'deleted' });
    await record('incoming/from-before-the-bucket-was-kept.txt', sequencerAt(since - 60_000));
    await record('incoming/lines.jsonl', sequencerAt(since + 10), { ...keys.document(`${documentIdOf(BUCKET, 'incoming/lines.jsonl')}-L1`), line: 1 });
    const startedAt = Date.now();
    const dead = keys.lease('dead');
    const live = keys.lease('live');
    await db.send(new PutCommand({ TableName: TABLE, Item: { ...dead, owner: 'old-run', expires: startedAt - 60_000 + 900_000 } }));
    await db.send(new PutCommand({ TableName: TABLE, Item: { ...live, owner: 'this-run', expires: startedAt + 1_000 + 900_000 } }));

    const result = await reconcileIndex({ s3: emulators.s3, dynamo: emulators.dynamo, sqs: emulators.sqs, table: TABLE, bucket: BUCKET, prefix: 'incoming/', queueUrl, bucketKeptSince: since, startedAt });

    const changes: { kind: string; key: string; sequencer: string }[] = [];
    for (;;) {
      const r = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: changes.length ? 0 : 1 }));
      if (!r.Messages?.length) break;
      for (const m of r.Messages) changes.push(...changesFromMessage(m.Body!).map((c) => ({ kind: c.kind, key: c.key, sequencer: c.sequencer })));
    }
    const summary = changes.map((c) => `${c.kind} ${c.key}`).sort();
    expect(summary).toEqual(
      ['created incoming/new.txt', 'created incoming/stale.txt', 'created incoming/unsettled.txt', 'created incoming/intent-only.txt', 'created incoming/redeleted.txt', 'removed incoming/removed-while-down.txt', 'removed incoming/failed-while-down.txt'].sort(),
    );
    expect(result).toEqual({ created: 5, removed: 2, leases: 1 });
    // Every event orders after every sequencer in the index, so the handler applies it.
    for (const c of changes) expect(compareSequencers(c.sequencer, fenceOf(future)), c.key).toBeGreaterThan(0);
    expect((await db.send(new GetCommand({ TableName: TABLE, Key: dead }))).Item).toBeUndefined();
    expect((await db.send(new GetCommand({ TableName: TABLE, Key: live }))).Item?.owner).toBe('this-run');
  });
});

/**
 * Start-up reconciliation of the index with the bucket. The queue lives in memory: what
 * it held when the stack stopped (a crash, Ctrl-C: uploads and deletions not yet
 * indexed, batches in flight) is gone, as is an event lost between a write and its
 * SendMessage. The bucket (durable-s3.ts) and the index (dynalite) are on disk, so the
 * stack compares them when it starts and queues the events that bring the index up to
 * date, as S3 would have sent them:
 * - an object under the prefix whose record is missing, unfinished (a first version's
 *   intent, or a version whose clean-up did not finish) or older than the object: created;
 * - a record, not `deleted`, whose object is gone: removed (except records older than
 *   the bucket folder itself: their objects were uploaded when the bucket was in memory).
 * "Older": the local sequencers are times (s3-events.ts), and the event of a write is
 * sent after the write, so a record whose sequencer is below the object's Last-Modified
 * has not seen it. Each event gets a sequencer newer than any in the index, so the
 * handler applies it; it reads the key's current object, so an event that was not needed
 * only indexes the file again.
 *
 * Leases (index/leases.ts) left by the environments of an earlier run, which are all
 * gone, are deleted: they would hold their files until they expire (15 minutes).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { compareSequencers, keys } from '../lambdas/index/schema.js';
import { ENV, readIntEnv } from '../lambdas/shared/env.js';
import { noteSequencer, queueS3Events, sequencerAt, type ObjectEvent } from './s3-events.js';

export interface ReconcileOptions {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly table: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly queueUrl: string;
  /** Since when the bucket has been kept on disk (ms since epoch). */
  readonly bucketKeptSince: number;
  /** When this run's batch environments started (ms since epoch): leases taken since are theirs. */
  readonly startedAt: number;
  readonly signal?: AbortSignal;
}

export interface ReconcileResult {
  /** Events queued for objects the index has not seen. */
  readonly created: number;
  /** Events queued for records whose object is gone. */
  readonly removed: number;
  /** Leases of an earlier run's environments, deleted. */
  readonly leases: number;
}

interface RecordSummary {
  readonly pk: string;
  readonly sk: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly status?: string;
  readonly seq?: string;
  readonly settled?: boolean;
  readonly expires?: number;
}

export async function reconcileIndex(o: ReconcileOptions): Promise<ReconcileResult> {
  const objects = new Map<string, { lastModified: number; size?: number; etag?: string }>();
  let token: string | undefined;
  do {
    o.signal?.throwIfAborted();
    const page = await o.s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: o.prefix, ContinuationToken: token }));
    for (const c of page.Contents ?? []) objects.set(c.Key!, { lastModified: c.LastModified?.getTime() ?? Date.now(), size: c.Size, etag: c.ETag });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const db = DynamoDBDocumentClient.from(o.dynamo);
  const doc = keys.document('');
  const lease = keys.lease('');
  const leaseCut = o.startedAt + readIntEnv(ENV.leaseSeconds, 900) * 1000;
  const events: ObjectEvent[] = [];
  const seen = new Set<string>();
  let leases = 0;
  let start: Record<string, unknown> | undefined;
  do {
    o.signal?.throwIfAborted();
    const page = await db.send(
      new ScanCommand({
        TableName: o.table,
        ExclusiveStartKey: start,
        FilterExpression: '(sk = :meta AND begins_with(pk, :doc) AND attribute_not_exists(#line)) OR (sk = :lsk AND begins_with(pk, :lease))',
        ProjectionExpression: 'pk, sk, #bucket, #key, #status, seq, settled, expires',
        ExpressionAttributeNames: { '#line': 'line', '#bucket': 'bucket', '#key': 'key', '#status': 'status' },
        ExpressionAttributeValues: { ':meta': doc.sk, ':doc': doc.pk, ':lsk': lease.sk, ':lease': lease.pk },
      }),
    );
    for (const r of (page.Items ?? []) as RecordSummary[]) {
      if (r.sk === lease.sk) {
        leases += (await deleteOldLease(db, o.table, r, leaseCut)) ? 1 : 0;
        continue;
      }
      if (r.bucket !== o.bucket || !r.key?.startsWith(o.prefix)) continue;
      if (r.seq) noteSequencer(r.seq);
      seen.add(r.key);
      const object = objects.get(r.key);
      const unfinished = r.status === undefined || r.settled === false;
      if (object) {
        if (unfinished || !r.seq || compareSequencers(r.seq, sequencerAt(object.lastModified)) < 0) events.push({ kind: 'created', bucket: o.bucket, key: r.key, size: object.size, etag: object.etag });
      } else if (unfinished || (r.status !== 'deleted' && r.seq && compareSequencers(r.seq, sequencerAt(o.bucketKeptSince)) >= 0)) {
        events.push({ kind: 'removed', bucket: o.bucket, key: r.key });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  for (const [key, object] of objects) if (!seen.has(key)) events.push({ kind: 'created', bucket: o.bucket, key, size: object.size, etag: object.etag });

  await queueS3Events(o.sqs, o.queueUrl, events, { signal: o.signal });
  return { created: events.filter((e) => e.kind === 'created').length, removed: events.filter((e) => e.kind === 'removed').length, leases };
}

/** Deletes a lease taken before this run's environments started; false if it is theirs (or gone). */
async function deleteOldLease(db: DynamoDBDocumentClient, table: string, r: RecordSummary, cut: number): Promise<boolean> {
  try {
    await db.send(new DeleteCommand({ TableName: table, Key: { pk: r.pk, sk: r.sk }, ConditionExpression: 'expires < :cut', ExpressionAttributeValues: { ':cut': cut } }));
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw e;
  }
}

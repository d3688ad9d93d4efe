/**
 * `nerve reindex --bucket B --queue Q`: fills a new, empty entity index from a deployed
 * stack's documents bucket, after a deploy that replaced the index table (the upgrade
 * notes in README.md say when) or one made with its data lost. It lists every object
 * under the ingest prefix (S3's paginator) and sends the ingest queue one created event
 * per object, in S3's own event shape, so the batch path indexes them as it indexes
 * uploads, its retries and dead-letter queue included.
 *
 * The events carry the lowest sequencer there is: in an empty index each is applied (the
 * handler reads the key's current object), and wherever the index already holds a
 * version, S3's own events order after it and it is skipped as stale. So reindex never
 * undoes a newer write, and running it twice only costs the second listing.
 */
import { paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { UsageError } from '../lambdas/shared/errors.js';
import { queueS3Events } from '../local/s3-events.js';
import type { Command } from './command.js';

/** Orders before any sequencer S3 gives. */
export const REINDEX_SEQUENCER = '0000000000000000';

export interface ReindexOptions {
  readonly bucket: string;
  readonly queueUrl: string;
  readonly prefix?: string;
  readonly s3?: S3Client;
  readonly sqs?: SQSClient;
  readonly region?: string;
}

/** Queues a created event for every object under the prefix; resolves with how many. */
export async function reindex(o: ReindexOptions, progress: (queued: number) => void = () => {}): Promise<number> {
  const s3 = o.s3 ?? new S3Client({});
  const sqs = o.sqs ?? new SQSClient({});
  const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  let queued = 0;
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: o.bucket, Prefix: o.prefix ?? INGEST_PREFIX })) {
    const objects = (page.Contents ?? []).filter((c) => c.Key && !c.Key.endsWith('/'));
    await queueS3Events(sqs, o.queueUrl, objects.map((c) => ({ kind: 'created' as const, bucket: o.bucket, key: c.Key!, size: c.Size, etag: c.ETag })), { sequencer: REINDEX_SEQUENCER, region });
    queued += objects.length;
    progress(queued);
  }
  return queued;
}

export const reindexCommand: Command = {
  name: 'reindex',
  usage: `usage: nerve reindex --bucket B --queue URL [--prefix P]
fills a new, empty entity index from a deployed stack's documents bucket: queues one
created event per object under the prefix on the ingest queue, as S3 would, and prints how
many. The stack indexes them as it indexes uploads (watch the queue drain, or the
dashboard). Objects the index already holds at a newer version are skipped, so it is safe
to run again.

  --bucket B        the documents bucket (the DocumentsBucket output)
  --queue URL       the ingest queue (the IngestQueueUrl output)
  --prefix P        the key prefix (default ${INGEST_PREFIX}, which the stack watches)
AWS credentials and region come from the environment, as the AWS SDK finds them.`,
  options: { bucket: { type: 'string' }, queue: { type: 'string' }, prefix: { type: 'string' } },
  async run(values) {
    if (typeof values.bucket !== 'string' || typeof values.queue !== 'string') throw new UsageError('reindex needs --bucket (the documents bucket) and --queue (the ingest queue URL)');
    const total = await reindex({ bucket: values.bucket, queueUrl: values.queue, prefix: values.prefix as string | undefined }, (n) => process.stderr.write(`\rqueued ${n} files`));
    process.stderr.write('\n');
    console.log(`queued ${total} files from s3://${values.bucket}/${(values.prefix as string | undefined) ?? INGEST_PREFIX} for indexing`);
    return 0;
  },
};

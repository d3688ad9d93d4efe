/**
 * S3 event notifications as they arrive through SQS: real S3 event records
 * (eventVersion 2.x), with URL-encoded keys (`+` for a space) and a `sequencer` that
 * orders the events of one key. The s3:TestEvent S3 sends when notifications are set up
 * carries no records and is ignored.
 */
import type { S3Event } from 'aws-lambda';
import { MalformedEventError } from '../shared/errors.js';

export interface S3Change {
  readonly kind: 'created' | 'removed';
  readonly bucket: string;
  /** The object key, decoded. */
  readonly key: string;
  readonly size?: number;
  readonly versionId?: string;
  readonly sequencer: string;
  readonly eventTime: string;
  /** The notification message for this record alone, to forward it unchanged (to the GPU queue). */
  readonly message?: string;
}

export function decodeS3Key(raw: string): string {
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

export function changesFromMessage(body: string): S3Change[] {
  let event: Partial<S3Event> & { Event?: string };
  try {
    event = JSON.parse(body);
  } catch {
    throw new MalformedEventError('the message body is not JSON');
  }
  if (event.Event === 's3:TestEvent') return [];
  if (!Array.isArray(event.Records)) throw new MalformedEventError('the message is not an S3 event notification (no Records)');
  return event.Records.map((r) => {
    if (!r?.s3?.bucket?.name || typeof r.s3.object?.key !== 'string' || typeof r.s3.object.sequencer !== 'string') {
      throw new MalformedEventError('an S3 record lacks its bucket, key or sequencer');
    }
    const removed = r.eventName.startsWith('ObjectRemoved');
    if (!removed && !r.eventName.startsWith('ObjectCreated')) throw new MalformedEventError(`unexpected event ${r.eventName}`);
    return {
      kind: removed ? 'removed' : 'created',
      bucket: r.s3.bucket.name,
      key: decodeS3Key(r.s3.object.key),
      size: r.s3.object.size,
      versionId: r.s3.object.versionId ?? undefined,
      sequencer: r.s3.object.sequencer,
      eventTime: r.eventTime,
      message: JSON.stringify({ Records: [r] }),
    } satisfies S3Change;
  });
}

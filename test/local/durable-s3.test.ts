/**
 * The local bucket on disk (local/durable-s3.ts behind fauxqs): what a write was answered
 * for is there when emulators start again on the same folder, with its ETag,
 * Last-Modified, content type and metadata, as if the first emulators had crashed.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createBucket, startEmulators, type Emulators } from '../../local/emulators.js';

const started: Emulators[] = [];
afterAll(async () => {
  for (const e of started) await e.stop();
});
async function emulators(bucketDir: string) {
  const e = await startEmulators({ bucketDir });
  started.push(e);
  return e;
}
const listing = async (e: Emulators) => (await e.s3.send(new ListObjectsV2Command({ Bucket: 'docs' }))).Contents?.map((c) => ({ key: c.Key, etag: c.ETag, size: c.Size, lastModified: c.LastModified?.getTime() })) ?? [];

describe('the local bucket on disk', () => {
  it('keeps objects, multipart uploads and deletions across a restart, with their attributes', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nerve-bucket-')), 'bucket');
    const first = await emulators(dir);
    await createBucket(first.s3, 'docs');
    await first.s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'incoming/Société 2+2 %20.txt', Body: 'hello', ContentType: 'text/plain', Metadata: { origin: 'test' } }));
    await first.s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'incoming/replaced.txt', Body: 'old' }));
    await first.s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'incoming/replaced.txt', Body: 'new' }));
    for (const Key of ['incoming/gone.txt', 'incoming/gone-too.txt', 'incoming/gone-three.txt']) await first.s3.send(new PutObjectCommand({ Bucket: 'docs', Key, Body: 'x' }));
    await first.s3.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'incoming/gone.txt' }));
    await first.s3.send(new DeleteObjectsCommand({ Bucket: 'docs', Delete: { Objects: [{ Key: 'incoming/gone-too.txt' }, { Key: 'incoming/gone-three.txt' }] } }));
    const { UploadId } = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: 'docs', Key: 'incoming/big.txt' }));
    const part = await first.s3.send(new UploadPartCommand({ Bucket: 'docs', Key: 'incoming/big.txt', UploadId, PartNumber: 1, Body: 'multipart body' }));
    await first.s3.send(new CompleteMultipartUploadCommand({ Bucket: 'docs', Key: 'incoming/big.txt', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    const before = await listing(first);
    // A write a crash interrupted: a temporary file, never renamed, never answered.
    const bucketFolder = join(dir, 'docs');
    writeFileSync(join(bucketFolder, `${readdirSync(bucketFolder)[0]}.tmp-1-0`), 'half');

    const second = await emulators(dir); // the first is not stopped: as after a crash
    expect(await listing(second)).toEqual(before);
    expect(before.map((o) => o.key).sort()).toEqual(['incoming/Société 2+2 %20.txt', 'incoming/big.txt', 'incoming/replaced.txt'].sort());
    const odd = await second.s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'incoming/Société 2+2 %20.txt' }));
    expect(await odd.Body!.transformToString()).toBe('hello');
    expect(odd.ContentType).toBe('text/plain');
    expect(odd.Metadata).toEqual({ origin: 'test' });
    expect(await (await second.s3.send(new GetObjectCommand({ Bucket: 'docs', Key: 'incoming/replaced.txt' }))).Body!.transformToString()).toBe('new');
    expect((await second.s3.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'incoming/big.txt' }))).ETag).toMatch(/-1"$/);
    expect(readdirSync(bucketFolder).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(second.bucketsKeptSince).toBe(first.bucketsKeptSince);
  });

  it('keeps nothing without a folder, as before', async () => {
    const e = await startEmulators();
    started.push(e);
    expect(e.bucketsKeptSince).toBeUndefined();
  });
});

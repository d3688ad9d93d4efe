/**
 * One S3 change, end to end: read the object, extract, resolve, index; or remove.
 *
 * - Ordered and idempotent: a change applies only if its sequencer is newer than the one
 *   the document record holds, so duplicates and late arrivals change nothing.
 * - One writer per file: a lease item serialises concurrent changes of the same key (two
 *   Lambdas, or a Lambda and a GPU worker); a change that finds the lease taken is
 *   retried after the queue's visibility timeout.
 * - A file that can never be read gets status `failed` with the reason, and the event is
 *   done; anything else (a throttled write, a network fault) throws, and SQS retries it
 *   until the dead-letter queue takes it.
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { extractDocumentEntities } from '../engine/document.js';
import { UnreadableError } from '../shared/errors.js';
import type { NerModel } from '../engine/model.js';
import { withLease, type LeaseHolder } from '../index/leases.js';
import { resolveEntities } from '../index/resolve.js';
import { compareSequencers, documentIdOf } from '../index/schema.js';
import { getDocument, putDocument, removeDocument, type DocumentRecord, type IndexStore } from '../index/store.js';
import type { S3Change } from './events.js';
import { readDocuments, type SourceDocument } from './readers.js';

export interface BatchContext extends LeaseHolder {
  readonly store: IndexStore;
  readonly s3: S3Client;
  readonly model: NerModel;
  /** Largest object read, in bytes. */
  readonly maxObjectBytes: number;
}

export type Outcome = 'indexed' | 'failed' | 'removed' | 'stale';

const isNewer = (record: DocumentRecord | undefined, sequencer: string) => !record || compareSequencers(sequencer, record.sequencer) > 0;

export async function processChange(ctx: BatchContext, change: S3Change): Promise<Outcome> {
  const fileId = documentIdOf(change.bucket, change.key);
  return withLease(ctx.store, ctx, fileId, async () => {
    const previous = await getDocument(ctx.store, fileId);
    if (!isNewer(previous, change.sequencer)) return 'stale';
    const base = { documentId: fileId, bucket: change.bucket, key: change.key, sequencer: change.sequencer };
    if (change.kind === 'removed') {
      await removeChildren(ctx, previous?.children ?? [], new Set(), base);
      await removeDocument(ctx.store, { ...base, status: 'deleted' });
      return 'removed';
    }
    const fail = async (reason: string): Promise<Outcome> => {
      await removeChildren(ctx, previous?.children ?? [], new Set(), base);
      await removeDocument(ctx.store, { ...base, status: 'failed', reason });
      return 'failed';
    };
    if (change.size !== undefined && change.size > ctx.maxObjectBytes) {
      return fail(`the file is ${change.size} bytes, over the limit of ${ctx.maxObjectBytes} bytes`);
    }
    let bytes: Uint8Array;
    try {
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: change.bucket, Key: change.key, VersionId: change.versionId }));
      bytes = await object.Body!.transformToByteArray();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return 'stale'; // deleted since: its removal event follows
      throw e;
    }
    if (bytes.length > ctx.maxObjectBytes) return fail(`the file is ${bytes.length} bytes, over the limit of ${ctx.maxObjectBytes} bytes`);
    let docs: SourceDocument[];
    try {
      docs = await readDocuments(change.key, bytes);
    } catch (e) {
      if (e instanceof UnreadableError) return fail(e.message);
      throw e;
    }

    const model = ctx.model.model;
    if (docs.length === 1 && docs[0]!.line === undefined) {
      await removeChildren(ctx, previous?.children ?? [], new Set(), base);
      await indexOne(ctx, { ...base }, docs[0]!, { previous });
      return 'indexed';
    }
    // A multi-document file: one record per document, then the file's record listing them.
    const children: string[] = [];
    for (const doc of docs) {
      const childId = documentIdOf(change.bucket, change.key, doc.line);
      children.push(childId);
      const child = { ...base, documentId: childId, line: doc.line };
      if (doc.failure) await removeDocument(ctx.store, { ...child, status: 'failed', reason: doc.failure });
      else await indexOne(ctx, child, doc);
    }
    await removeChildren(ctx, previous?.children ?? [], new Set(children), base);
    await putDocument(ctx.store, { record: { ...base, status: 'indexed', model, children, chars: 0 }, entities: [], titleChars: 0 });
    return 'indexed';
  });
}

async function indexOne(
  ctx: BatchContext,
  record: { documentId: string; bucket: string; key: string; sequencer: string; line?: number },
  doc: SourceDocument,
  known?: { previous: DocumentRecord | undefined },
): Promise<void> {
  const text = doc.title ? `${doc.title}\n\n${doc.text}` : doc.text;
  const titleChars = doc.title ? Array.from(doc.title).length : 0;
  const entities = resolveEntities(await extractDocumentEntities(ctx.model, text));
  await putDocument(ctx.store, {
    record: {
      ...record,
      status: 'indexed',
      model: ctx.model.model,
      title: doc.title ?? firstLine(doc.text),
      snippet: Array.from(text).slice(0, 280).join(''),
      chars: Array.from(text).length,
    },
    entities,
    titleChars,
  }, known);
}

function firstLine(text: string): string | undefined {
  const line = text.trim().split('\n', 1)[0]?.trim();
  return line ? Array.from(line).slice(0, 160).join('') : undefined;
}

async function removeChildren(ctx: BatchContext, children: readonly string[], keep: Set<string>, base: { bucket: string; key: string; sequencer: string }): Promise<void> {
  for (const id of children) if (!keep.has(id)) await removeDocument(ctx.store, { ...base, documentId: id, status: 'deleted' });
}

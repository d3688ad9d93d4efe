/**
 * One S3 change, end to end: read what the bucket now holds for the key, extract,
 * resolve, index; or remove.
 *
 * - Ordered and idempotent: a change applies only if its sequencer is newer than the
 *   version the index holds (or equal, when that version's writes were interrupted: the
 *   retry completes them); see lambdas/index/PROTOCOL.md.
 * - The bucket's current state decides, not the event: in a versioned bucket, deleting a
 *   non-current version changes nothing, and removing a delete marker restores the
 *   object without any ObjectCreated event; reading the current object handles both.
 * - One writer per file: a lease (index/leases.ts) serialises concurrent changes of the
 *   same key; a change that finds it taken is retried after the queue's visibility timeout.
 * - A file that can never be read gets status `failed` with the reason, and the event is
 *   done; anything else (a throttled write, a network fault) throws, and SQS retries it
 *   until the dead-letter queue takes it.
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { extractDocumentEntities } from '../engine/document.js';
import type { NerModel } from '../engine/model.js';
import { mapLimit } from '../index/dynamo.js';
import { withLease, type LeaseHolder } from '../index/leases.js';
import { resolveEntities } from '../index/resolve.js';
import { compareSequencers, documentIdOf, fenceOf } from '../index/schema.js';
import { documentTerms } from '../index/terms.js';
import { getDocument, type DocumentVersion, type IndexStore } from '../index/store.js';
import { writeVersion, type WriteOptions, type WriteOutcome } from '../index/writes.js';
import { OverBudgetError, UnreadableError } from '../shared/errors.js';
import type { S3Change } from './events.js';
import { readDocuments, type SourceDocument } from './readers.js';

export interface BatchContext extends LeaseHolder {
  readonly store: IndexStore;
  readonly s3: S3Client;
  readonly model: NerModel;
  /** Largest object read, in bytes. */
  readonly maxObjectBytes: number;
  /** Seconds the model may spend on one document before it is marked failed (and a multi-document file on all of its). @default 120 */
  readonly documentSeconds?: number;
}

export type Outcome = 'indexed' | 'failed' | 'removed' | 'stale';

const CHILDREN_AT_ONCE = 16;
/** Seconds the model may spend on one document, and a multi-document file on all of its. */
const DOCUMENT_SECONDS = 120;

type Current = { kind: 'absent' } | { kind: 'too large'; bytes: number } | { kind: 'object'; bytes: Uint8Array; versionId?: string };

/** The object the key holds now, without reading more than the limit. */
async function readCurrent(ctx: BatchContext, change: S3Change): Promise<Current> {
  try {
    const object = await ctx.s3.send(new GetObjectCommand({ Bucket: change.bucket, Key: change.key }));
    if ((object.ContentLength ?? 0) > ctx.maxObjectBytes) {
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { kind: 'too large', bytes: object.ContentLength! };
    }
    const bytes = await object.Body!.transformToByteArray();
    if (bytes.length > ctx.maxObjectBytes) return { kind: 'too large', bytes: bytes.length };
    return { kind: 'object', bytes, versionId: object.VersionId ?? undefined };
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return { kind: 'absent' };
    throw e;
  }
}

export async function processChange(ctx: BatchContext, change: S3Change): Promise<Outcome> {
  const fileId = documentIdOf(change.bucket, change.key);
  return withLease(ctx.store, ctx, fileId, async () => {
    // Cheap exits before reading the object or running the model: a duplicate or a late event.
    const previous = await getDocument(ctx.store, fileId, { withIntent: true });
    if (previous?.seq !== undefined && previous.settled !== false && compareSequencers(fenceOf(change.sequencer), previous.seq) <= 0) return 'stale';
    const base: DocumentVersion = { documentId: fileId, bucket: change.bucket, key: change.key, sequencer: change.sequencer };
    const current = await readCurrent(ctx, change);
    if (current.kind === 'absent') return outcomeOf(await writeVersion(ctx.store, base, { status: 'deleted' }, { previous: previous ?? null }), 'removed');
    const known = { previous: previous ?? null }; // read above, under the lease: no need to read it again
    if (current.kind === 'too large') return fail(ctx, base, `the file is ${current.bytes} bytes, over the limit of ${ctx.maxObjectBytes} bytes`, known);
    const version = { ...base, ...(current.versionId ? { versionId: current.versionId } : {}) };
    let docs: SourceDocument[];
    try {
      docs = await readDocuments(change.key, current.bytes);
    } catch (e) {
      if (e instanceof UnreadableError) return fail(ctx, version, e.message, known);
      throw e;
    }
    if (docs.length === 1 && docs[0]!.line === undefined) {
      try {
        return outcomeOf(await indexOne(ctx, version, docs[0]!, undefined, known), 'indexed');
      } catch (e) {
        if (e instanceof OverBudgetError) return fail(ctx, version, e.message, known);
        throw e;
      }
    }
    // A multi-document file: the file's record names its documents' lines; each document has its own record.
    const childLines = docs.map((d) => d.line!);
    // Several documents at a time: their model calls coalesce (engine/coalesce.ts) and their writes overlap.
    // The file's documents share one time budget: those it leaves are named in the file's reason, not written.
    const deadline = Date.now() + (ctx.documentSeconds ?? DOCUMENT_SECONDS) * 1000;
    // Shortest first: within the budget as many documents as it allows are indexed, and one
    // long document cannot hold the short ones back until the budget has gone.
    const shortestFirst = [...docs].sort((a, b) => a.text.length - b.text.length || a.line! - b.line!);
    const writeChildren = async () => {
      const written: number[] = [];
      await mapLimit(shortestFirst, CHILDREN_AT_ONCE, async (doc) => {
        if (Date.now() > deadline) return;
        const child = { ...version, documentId: documentIdOf(change.bucket, change.key, doc.line), line: doc.line };
        if (doc.failure) await writeVersion(ctx.store, child, { status: 'failed', reason: doc.failure });
        else await indexOne(ctx, child, doc, deadline).catch((e) => (e instanceof OverBudgetError ? writeVersion(ctx.store, child, { status: 'failed', reason: e.message }) : Promise.reject(e)));
        written.push(doc.line!);
      });
      if (written.length === docs.length) return undefined;
      written.sort((a, b) => a - b);
      return { lines: written, reason: `the file's ${docs.length} documents took longer than its time budget: ${written.length} were indexed, the others were not; split the file into smaller ones` };
    };
    const outcome = await writeVersion(ctx.store, version, { status: 'indexed', model: ctx.model.model, entities: [], titleChars: 0, chars: 0, childLines }, { ...known, writeChildren });
    return outcomeOf(outcome, 'indexed');
  });
}

async function fail(ctx: BatchContext, version: DocumentVersion, reason: string, known?: WriteOptions): Promise<Outcome> {
  return outcomeOf(await writeVersion(ctx.store, version, { status: 'failed', reason }, known), 'failed');
}

const outcomeOf = (written: WriteOutcome, applied: Outcome): Outcome => (written === 'stale' ? 'stale' : applied);

async function indexOne(ctx: BatchContext, version: DocumentVersion, doc: SourceDocument, deadline = Date.now() + (ctx.documentSeconds ?? DOCUMENT_SECONDS) * 1000, known?: WriteOptions): Promise<WriteOutcome> {
  const text = doc.title ? `${doc.title}\n\n${doc.text}` : doc.text;
  const titleChars = doc.title ? Array.from(doc.title).length : 0;
  const entities = resolveEntities(await extractDocumentEntities(ctx.model, text, { deadline }));
  return writeVersion(ctx.store, version, {
    status: 'indexed',
    model: ctx.model.model,
    title: doc.title ?? firstLine(doc.text),
    snippet: Array.from(text).slice(0, 280).join(''),
    chars: Array.from(text).length,
    entities,
    terms: documentTerms(text, titleChars),
    text,
    titleChars,
  }, known);
}

function firstLine(text: string): string | undefined {
  const line = text.trim().split('\n', 1)[0]?.trim();
  return line ? Array.from(line).slice(0, 160).join('') : undefined;
}

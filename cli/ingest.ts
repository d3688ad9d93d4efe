/**
 * `nerve ingest PATH...`: uploads files (folders recursively) into the documents bucket
 * of the running local stack (from .nerve/local.json) or of a deployed stack
 * (`--bucket B --table T`, with the usual AWS credentials), shows progress, waits until
 * every document is indexed or failed, and prints each document's id (or, with --json,
 * a summary) and the failures' reasons.
 *
 * The wait compares what the index recorded with what S3 said, never with this machine's
 * clock: a file is done when its record names the version S3 gave the upload (the deployed
 * bucket is versioned) or, in a bucket without versions (the local stack's), when its
 * record's S3 sequencer differs from the one it had before the upload.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NerveError, UsageError } from '../lambdas/shared/errors.js';
import { INGEST_PREFIX } from '../lambdas/batch/settings.js';
import { batchGet, mapLimit, type IndexStore } from '../lambdas/index/dynamo.js';
import { documentIdOf, keys } from '../lambdas/index/schema.js';
import type { DocumentRecord } from '../lambdas/index/store.js';
import { localClientConfig, localS3Config, readLocalConfig } from '../local/config.js';
import { secondsOption, type Command } from './command.js';

export interface IngestOptions {
  readonly paths: string[];
  readonly bucket?: string;
  readonly table?: string;
  readonly prefix?: string;
  readonly localConfig?: string;
  readonly timeoutSeconds?: number;
  readonly concurrency?: number;
}

interface Target {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** The entity index, read to wait for the documents' records. */
  readonly index: IndexStore;
}

function target(o: IngestOptions): Target {
  if (o.bucket) {
    if (!o.table) throw new UsageError('ingest into a deployed stack needs --table (the entity index) with --bucket, to wait for indexing');
    return { s3: new S3Client({}), bucket: o.bucket, prefix: o.prefix ?? INGEST_PREFIX, index: { client: DynamoDBDocumentClient.from(new DynamoDBClient({})), table: o.table } };
  }
  const c = readLocalConfig({ path: o.localConfig, otherwise: 'pass --bucket and --table for a deployed stack' });
  return {
    s3: new S3Client(localS3Config(c.s3Endpoint)),
    bucket: c.bucket,
    prefix: o.prefix ?? c.prefix,
    index: { client: DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(c.dynamoEndpoint))), table: c.table },
  };
}

/** What the wait reads of a record: enough to tell it is the upload's and settled, and to report it. */
const RECORD_FIELDS = ['documentId', 'bucket', 'key', 'line', 'status', 'reason', 'versionId', 'sequencer', 'entityCount', 'childLines'] satisfies Array<keyof DocumentRecord>;

/** The records of these documents that exist (RECORD_FIELDS of each). */
async function documentRecords(index: IndexStore, ids: readonly string[]): Promise<DocumentRecord[]> {
  return (await batchGet(index, ids.map((id) => keys.document(id)), RECORD_FIELDS)) as unknown as DocumentRecord[];
}

/**
 * What one round of the wait reads: the records of the oldest uploads still pending, so that
 * a round costs the same for ten files or a million (the records come in roughly in upload
 * order; a stuck one holds a place in the window, not the window).
 */
export const WAIT_WINDOW = 500;
/**
 * Records the wait reads a second, at most: its reads come out of the index's capacity,
 * which the batch path is writing with (bench:batch, profiled, once spent most of the local
 * DynamoDB's time on them). A small upload is still seen done within half a second.
 */
const READS_PER_SECOND = 250;
export const waitPauseMs = (recordsRead: number) => Math.max(500, (1000 * recordsRead) / READS_PER_SECOND);

function collect(paths: string[]): Array<{ path: string; key: string }> {
  const out: Array<{ path: string; key: string }> = [];
  const walk = (path: string, base: string) => {
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) throw new NerveError('file_not_found', `${path} does not exist`);
    if (s.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) walk(join(path, name), base);
    } else if (s.isFile()) {
      out.push({ path, key: relative(base, path).split(sep).join('/') || basename(path) });
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    walk(abs, resolve(abs, '..')); // keys keep the folder's own name: docs/a.txt
  }
  return out;
}

function bar(done: number, total: number, width = 28): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** One document's outcome: a file's, or for a multi-document file (JSON lines), each of its documents'. */
export interface IngestedDocument {
  readonly documentId: string;
  readonly key: string;
  readonly line?: number;
  readonly status: 'indexed' | 'failed';
  /** Distinct entities the index holds for it, when indexed. */
  readonly entities?: number;
  readonly reason?: string;
}

export interface IngestResult {
  readonly indexed: number;
  readonly failed: Array<{ key: string; reason: string }>;
  readonly documents: IngestedDocument[];
  readonly seconds: number;
}

/** What tells a file's record from the one before the upload (see the header). */
export interface Upload {
  readonly key: string;
  readonly versionId?: string;
  readonly sequencerBefore?: string;
}

/** Whether the record is the upload's, and settled. */
export const isSettledUpload = (r: Pick<DocumentRecord, 'status' | 'versionId' | 'sequencer'>, u: Upload) =>
  (r.status === 'indexed' || r.status === 'failed') && (u.versionId !== undefined ? r.versionId === u.versionId : r.sequencer !== u.sequencerBefore);

export async function ingest(o: IngestOptions, out: NodeJS.WriteStream = process.stderr, onDocument: (d: IngestedDocument) => void = () => {}): Promise<IngestResult> {
  if (o.paths.length === 0) throw new UsageError('ingest needs at least one file or folder');
  const t = target(o);
  const files = collect(o.paths);
  // Elapsed time only (monotonic), for progress and the timeout: nothing is compared with a clock elsewhere.
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const tty = out.isTTY;
  const progress = (line: string, final = false) => {
    if (tty) out.write(`\r${line.padEnd(100)}${final ? '\n' : ''}`);
    else if (final) out.write(`${line}\n`);
  };

  const idOf = (f: { key: string }) => documentIdOf(t.bucket, t.prefix + f.key);
  const before = new Map((await documentRecords(t.index, files.map(idOf))).map((r) => [r.documentId, r.sequencer]));

  // Upload, a few at a time.
  const uploads = new Map<string, Upload>();
  await mapLimit(files, o.concurrency ?? 8, async (f) => {
    const key = t.prefix + f.key;
    const put = await t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: readFileSync(f.path) }));
    uploads.set(idOf(f), { key, versionId: put.VersionId ?? undefined, sequencerBefore: before.get(idOf(f)) });
    progress(`uploading ${bar(uploads.size, files.length)} ${uploads.size}/${files.length}`);
  });
  progress(`uploaded  ${bar(files.length, files.length)} ${files.length}/${files.length} files in ${elapsed().toFixed(1)} s`, true);

  // Wait until every file's record is the upload's, and settled.
  const timeoutSeconds = o.timeoutSeconds ?? 1800;
  const pending = new Map(uploads);
  const results = new Map<string, DocumentRecord>();
  while (pending.size > 0) {
    if (elapsed() > timeoutSeconds) throw new NerveError('timeout', `${pending.size} documents were not indexed within ${timeoutSeconds} s`);
    const window = [...pending.keys()].slice(0, WAIT_WINDOW);
    for (const r of await documentRecords(t.index, window)) {
      const upload = pending.get(r.documentId);
      if (upload && isSettledUpload(r, upload)) {
        results.set(r.documentId, r);
        pending.delete(r.documentId);
      }
    }
    const failedSoFar = [...results.values()].filter((r) => r.status === 'failed').length;
    progress(`indexing  ${bar(results.size, files.length)} ${results.size - failedSoFar} indexed, ${failedSoFar} failed, ${pending.size} waiting`);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, waitPauseMs(window.length)));
  }

  // Count documents, not files: a JSON-lines file's documents report their own status.
  const documents: IngestedDocument[] = [];
  const childIds: string[] = [];
  const outcome = (r: DocumentRecord): IngestedDocument => ({
    documentId: r.documentId,
    key: r.key,
    ...(r.line !== undefined ? { line: r.line } : {}),
    status: r.status === 'failed' ? 'failed' : 'indexed',
    ...(r.status === 'failed' ? { reason: r.reason ?? 'unknown' } : r.entityCount !== undefined ? { entities: r.entityCount } : {}),
  });
  for (const r of results.values()) {
    if (r.childLines) childIds.push(...r.childLines.map((line) => documentIdOf(r.bucket, r.key, line)));
    else documents.push(outcome(r));
  }
  for (const r of await documentRecords(t.index, childIds)) if (r.status === 'indexed' || r.status === 'failed') documents.push(outcome(r));
  documents.forEach(onDocument);
  const failed = documents.filter((d) => d.status === 'failed').map((d) => ({ key: d.line !== undefined ? `${d.key} line ${d.line}` : d.key, reason: d.reason! }));
  const indexed = documents.length - failed.length;
  const seconds = elapsed();
  progress(`done      ${bar(files.length, files.length)} ${indexed} indexed, ${failed.length} failed in ${seconds.toFixed(1)} s`, true);
  for (const f of failed.slice(0, 20)) out.write(`  failed: ${f.key}: ${f.reason}\n`);
  if (failed.length > 20) out.write(`  … and ${failed.length - 20} more\n`);
  return { indexed, failed, documents, seconds };
}

export const ingestCommand: Command = {
  name: 'ingest',
  usage: `usage: nerve ingest PATH... [--json] [--bucket B --table T] [--prefix P] [--timeout SECONDS]
uploads files or folders (recursively) into the running local stack, or into a deployed
stack's documents bucket, waits until every document is indexed or failed, and prints each
document's id, status and key (tab-separated) on standard output; progress, the summary and
the failures' reasons go to standard error. Exits with 3 when a document failed.

  --json            prints one JSON summary instead: {indexed, failed, seconds, documents}
  --bucket B        a deployed stack's documents bucket (its DocumentsBucket output), with
  --table T         its entity index (IndexTable output); AWS credentials and region from
                    the environment, as the AWS SDK finds them
  --prefix P        the key prefix to upload under (default ${INGEST_PREFIX}, which the stack watches)
  --timeout S       seconds to wait for indexing (default 1800)`,
  options: { json: { type: 'boolean', default: false }, bucket: { type: 'string' }, table: { type: 'string' }, prefix: { type: 'string' }, timeout: { type: 'string' } },
  async run(values, positionals) {
    if (values.table !== undefined && values.bucket === undefined) throw new UsageError('--table goes with --bucket (a deployed stack); without them, ingest uses the running local stack');
    const json = Boolean(values.json);
    const result = await ingest(
      { paths: positionals, bucket: values.bucket as string | undefined, table: values.table as string | undefined, prefix: values.prefix as string | undefined, timeoutSeconds: secondsOption('timeout', values.timeout) },
      process.stderr,
      json ? undefined : (d) => console.log([d.documentId, d.status, d.line !== undefined ? `${d.key} line ${d.line}` : d.key].join('\t')),
    );
    if (json) console.log(JSON.stringify({ indexed: result.indexed, failed: result.failed.length, seconds: Number(result.seconds.toFixed(3)), documents: result.documents }, null, 1));
    return result.failed.length > 0 ? 3 : 0;
  },
};

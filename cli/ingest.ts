/**
 * `nerve ingest PATH...`: uploads files (folders recursively) into the documents bucket
 * of the running local stack (from .nerve/local.json) or of a deployed stack
 * (`--bucket B --table T`, with the usual AWS credentials), shows progress, waits until
 * every document is indexed or failed, and prints a summary with the failures' reasons.
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

/** The records of these documents that exist. */
async function documentRecords(index: IndexStore, ids: readonly string[]): Promise<DocumentRecord[]> {
  return (await batchGet(index, ids.map((id) => keys.document(id)))) as unknown as DocumentRecord[];
}

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

export async function ingest(o: IngestOptions, out: NodeJS.WriteStream = process.stderr): Promise<{ indexed: number; failed: Array<{ key: string; reason: string }>; seconds: number }> {
  if (o.paths.length === 0) throw new UsageError('ingest needs at least one file or folder');
  const t = target(o);
  const files = collect(o.paths);
  const started = Date.now();
  const tty = out.isTTY;
  const progress = (line: string, final = false) => {
    if (tty) out.write(`\r${line.padEnd(100)}${final ? '\n' : ''}`);
    else if (final) out.write(`${line}\n`);
  };

  // Upload, a few at a time.
  const uploadedAt = new Map<string, number>();
  let uploaded = 0;
  await mapLimit(files, o.concurrency ?? 8, async (f) => {
    const key = t.prefix + f.key;
    uploadedAt.set(key, Date.now());
    await t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: readFileSync(f.path) }));
    uploaded++;
    progress(`uploading ${bar(uploaded, files.length)} ${uploaded}/${files.length}`);
  });
  progress(`uploaded  ${bar(files.length, files.length)} ${files.length}/${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`, true);

  // Wait until every file's record is newer than its upload and settled.
  const deadline = Date.now() + (o.timeoutSeconds ?? 1800) * 1000;
  const pending = new Map([...uploadedAt.keys()].map((key) => [documentIdOf(t.bucket, key), key]));
  const results = new Map<string, DocumentRecord>();
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new NerveError('timeout', `${pending.size} documents were not indexed within ${o.timeoutSeconds ?? 1800} s`);
    for (const r of await documentRecords(t.index, [...pending.keys()])) {
      const key = pending.get(r.documentId);
      if (key && Date.parse(r.updatedAt) >= uploadedAt.get(key)! - 1000 && (r.status === 'indexed' || r.status === 'failed')) {
        results.set(r.documentId, r);
        pending.delete(r.documentId);
      }
    }
    const failedSoFar = [...results.values()].filter((r) => r.status === 'failed').length;
    progress(`indexing  ${bar(results.size, files.length)} ${results.size - failedSoFar} indexed, ${failedSoFar} failed, ${pending.size} waiting`);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }

  // Count documents, not files: a JSON-lines file's documents report their own status.
  const failed: Array<{ key: string; reason: string }> = [];
  let indexed = 0;
  const childIds: string[] = [];
  for (const r of results.values()) {
    if (r.childLines) childIds.push(...r.childLines.map((line) => documentIdOf(r.bucket, r.key, line)));
    else if (r.status === 'failed') failed.push({ key: r.key, reason: r.reason ?? 'unknown' });
    else indexed++;
  }
  for (const r of await documentRecords(t.index, childIds)) {
    if (r.status === 'failed') failed.push({ key: `${r.key} line ${r.line}`, reason: r.reason ?? 'unknown' });
    else if (r.status === 'indexed') indexed++;
  }
  const seconds = (Date.now() - started) / 1000;
  progress(`done      ${bar(files.length, files.length)} ${indexed} indexed, ${failed.length} failed in ${seconds.toFixed(1)} s`, true);
  for (const f of failed.slice(0, 20)) out.write(`  failed: ${f.key}: ${f.reason}\n`);
  if (failed.length > 20) out.write(`  … and ${failed.length - 20} more\n`);
  return { indexed, failed, seconds };
}

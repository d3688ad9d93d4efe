/**
 * fauxqs's S3, kept on disk: a subclass of its in-memory S3Store that writes every
 * object through to a folder before the request is answered, and loads the folder back
 * when the stack starts, keeping each object's ETag, Last-Modified, content type and
 * metadata. A crash (even SIGKILL) loses no object whose write was answered.
 *
 * fauxqs (1.9) has no persistence of its own and does not export S3Store: it is loaded
 * from the package's files, and buildApp takes it through its `stores` option. If an
 * upgrade moves or reshapes it, the stack refuses to start with a message saying so.
 *
 * Layout: `<dir>/.since` (when the folder was first used, ms since epoch), then a folder
 * per bucket and a file per object, named by the SHA-256 of its key (keys may hold any
 * character): a line of JSON (the key and attributes), then the bytes. Files are written
 * to a temporary name and renamed, so a crash leaves the old object or the new one.
 * In-progress multipart uploads stay in memory, as their parts, and so do emptyBucket,
 * clearObjects and purgeAll, which only fauxqs's programmatic server calls (not S3 requests).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface StoredObject {
  key: string;
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

/** The part of fauxqs's S3Store this file relies on. */
interface S3StoreLike {
  createBucket(name: string): void;
  deleteBucket(name: string): void;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>): StoredObject;
  deleteObject(bucket: string, key: string): void;
  createMultipartUpload(bucket: string, key: string, contentType?: string, metadata?: Record<string, string>): string;
  completeMultipartUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): StoredObject;
  abortMultipartUpload(uploadId: string): void;
}

export interface DurableS3Store {
  /** What buildApp's `stores.s3Store` takes. */
  readonly store: object;
  /** When this folder started keeping the bucket (ms since epoch): objects written before then were never kept. */
  readonly since: number;
}

let tmpCounter = 0;

/** Opens (or creates) the bucket folder and returns a store holding everything in it. */
export async function openDurableS3Store(dir: string): Promise<DurableS3Store> {
  const Base = await loadS3Store();
  mkdirSync(dir, { recursive: true });
  const sincePath = join(dir, '.since');
  if (!existsSync(sincePath)) writeFileSync(sincePath, `${Date.now()}\n`);
  const since = Number(readFileSync(sincePath, 'utf8'));

  const bucketDir = (bucket: string) => join(dir, bucket);
  const objectPath = (bucket: string, key: string) => join(bucketDir(bucket), createHash('sha256').update(key).digest('hex'));

  class DiskBackedS3Store extends Base {
    /** Which bucket each open multipart upload writes to. */
    readonly #uploads = new Map<string, string>();

    constructor() {
      super();
      for (const bucket of readdirSync(dir)) {
        if (bucket.startsWith('.') || !statSync(bucketDir(bucket)).isDirectory()) continue;
        super.createBucket(bucket);
        for (const name of readdirSync(bucketDir(bucket))) {
          const path = join(bucketDir(bucket), name);
          if (name.includes('.tmp-')) {
            unlinkSync(path); // a write that a crash interrupted: its request was never answered
            continue;
          }
          const bytes = readFileSync(path);
          const newline = bytes.indexOf(0x0a);
          const head = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Omit<StoredObject, 'body' | 'lastModified'> & { lastModified: number };
          const obj = super.putObject(bucket, head.key, bytes.subarray(newline + 1), head.contentType, head.metadata);
          obj.etag = head.etag;
          obj.lastModified = new Date(head.lastModified);
        }
      }
    }

    #persist(bucket: string, obj: StoredObject): void {
      const path = objectPath(bucket, obj.key);
      const head = JSON.stringify({ key: obj.key, contentType: obj.contentType, etag: obj.etag, lastModified: obj.lastModified.getTime(), metadata: obj.metadata });
      const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(head + '\n', 'utf8'), obj.body]));
      renameSync(tmp, path);
    }

    override createBucket(name: string): void {
      super.createBucket(name);
      mkdirSync(bucketDir(name), { recursive: true });
    }

    override deleteBucket(name: string): void {
      super.deleteBucket(name);
      rmSync(bucketDir(name), { recursive: true, force: true });
    }

    override putObject(bucket: string, key: string, body: Buffer, contentType?: string, metadata?: Record<string, string>): StoredObject {
      const obj = super.putObject(bucket, key, body, contentType, metadata);
      this.#persist(bucket, obj);
      return obj;
    }

    override deleteObject(bucket: string, key: string): void {
      super.deleteObject(bucket, key);
      rmSync(objectPath(bucket, key), { force: true });
    }

    override createMultipartUpload(bucket: string, key: string, contentType?: string, metadata?: Record<string, string>): string {
      const id = super.createMultipartUpload(bucket, key, contentType, metadata);
      this.#uploads.set(id, bucket);
      return id;
    }

    override completeMultipartUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): StoredObject {
      const obj = super.completeMultipartUpload(uploadId, parts);
      const bucket = this.#uploads.get(uploadId);
      this.#uploads.delete(uploadId);
      if (bucket !== undefined) this.#persist(bucket, obj);
      return obj;
    }

    override abortMultipartUpload(uploadId: string): void {
      super.abortMultipartUpload(uploadId);
      this.#uploads.delete(uploadId);
    }
  }
  return { store: new DiskBackedS3Store(), since };
}

/** fauxqs's S3Store class, from the installed package's files (its exports name only the app). */
async function loadS3Store(): Promise<new () => S3StoreLike> {
  const dir = (createRequire(import.meta.url).resolve.paths('fauxqs') ?? []).map((d) => join(d, 'fauxqs')).find((d) => existsSync(join(d, 'package.json')));
  const file = dir && join(dir, 'dist', 's3', 's3Store.js');
  const version = dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version : 'not installed';
  const Store = file && existsSync(file) ? ((await import(pathToFileURL(file).href)) as { S3Store?: unknown }).S3Store : undefined;
  const methods = ['createBucket', 'deleteBucket', 'putObject', 'deleteObject', 'createMultipartUpload', 'completeMultipartUpload', 'abortMultipartUpload'];
  if (typeof Store !== 'function' || !methods.every((m) => typeof (Store.prototype as Record<string, unknown>)[m] === 'function')) {
    throw new Error(`fauxqs ${version} has no S3Store in dist/s3/s3Store.js as 1.9 did: local/durable-s3.ts must be updated to keep the local bucket on disk`);
  }
  return Store as new () => S3StoreLike;
}

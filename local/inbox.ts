/**
 * Watches the local `inbox/` folder: a file dropped there is uploaded to the local
 * bucket under the ingest prefix (through the S3 event proxy, so it is indexed), a
 * changed file is uploaded again, a removed file is deleted: the same experience as
 * dropping files into the S3 bucket.
 */
import { readdirSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

export function watchInbox(dir: string, s3: S3Client, bucket: string, prefix: string, { intervalMs = 1000, log = console.log } = {}): () => void {
  mkdirSync(dir, { recursive: true });
  const seen = new Map<string, string>(); // path → size:mtime
  let busy = false;
  const scan = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = new Set<string>();
      for (const path of listFiles(dir)) {
        now.add(path);
        const s = statSync(path);
        const stamp = `${s.size}:${s.mtimeMs}`;
        if (seen.get(path) === stamp) continue;
        seen.set(path, stamp);
        const key = prefix + relative(dir, path).split(sep).join('/');
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(path) }));
        log(`inbox: uploaded ${key}`);
      }
      for (const path of [...seen.keys()]) {
        if (now.has(path)) continue;
        seen.delete(path);
        const key = prefix + relative(dir, path).split(sep).join('/');
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        log(`inbox: deleted ${key}`);
      }
    } catch (e) {
      log(`inbox: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void scan(), intervalMs);
  void scan();
  return () => clearInterval(timer);
}

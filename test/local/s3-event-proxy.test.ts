/**
 * The S3 event proxy (local/s3-events.ts) in front of the real emulator, with real SDK
 * calls and raw HTTP: it survives what clients send and what the queue answers, and the
 * keys of its events are S3's, so that odd keys reach the batch handler intact.
 */
import { request } from 'node:http';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesFromMessage } from '../../lambdas/batch/events.js';
import { localS3Config } from '../../local/config.js';
import { createBucket, createIngestQueues, startEmulators, type Emulators } from '../../local/emulators.js';
import { startS3EventProxy } from '../../local/s3-events.js';

const BUCKET = 'nerve-documents';
let emulators: Emulators;
let queueUrl: string;
const proxies: { server: import('node:http').Server }[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  await createBucket(emulators.s3, BUCKET);
  ({ queueUrl } = await createIngestQueues(emulators.sqs, 'proxy-test'));
});
afterAll(async () => {
  for (const p of proxies) {
    p.server.closeAllConnections();
    p.server.close();
  }
  await emulators?.stop();
});

async function proxy(url = queueUrl) {
  const p = await startS3EventProxy({ upstream: emulators.awsEndpoint, sqs: emulators.sqs, queueUrl: url, prefix: 'incoming/' });
  proxies.push(p);
  return { ...p, s3: new S3Client({ ...localS3Config(p.endpoint), maxAttempts: 1 }) };
}

/** A raw HTTP request, for what no SDK sends. */
function raw(endpoint: string, method: string, path: string, body = ''): Promise<{ status: number; body: string }> {
  const u = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The changes of every event queued so far (waits up to 1 s for the first). */
async function queued(): Promise<{ kind: string; key: string }[]> {
  const out: { kind: string; key: string }[] = [];
  for (let wait = 1; ; wait = 0) {
    const r = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: 600 }));
    if (!r.Messages?.length) return out;
    for (const m of r.Messages) out.push(...changesFromMessage(m.Body!).map((c) => ({ kind: c.kind, key: c.key })));
  }
}

describe('S3 event proxy', () => {
  it('passes a malformed percent-encoding through to the emulator, which refuses it, and keeps serving', async () => {
    const p = await proxy();
    const bad = await raw(p.endpoint, 'PUT', `/${BUCKET}/incoming/%E0%A4%A.txt`, 'hello');
    expect(bad.status).toBe(400); // the emulator's own answer
    expect(await queued()).toEqual([]);
    await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/after-bad.txt', Body: 'hello' }));
    expect(await queued()).toEqual([{ kind: 'created', key: 'incoming/after-bad.txt' }]);
  });

  it('answers 500 when it cannot queue the event (a queue that does not exist), after retrying, and keeps serving', async () => {
    const p = await proxy(queueUrl.replace(/[^/]+$/, 'no-such-queue'));
    const t0 = performance.now();
    const failed = await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/unannounced.txt', Body: 'hello' })).then(
      () => undefined,
      (e: { name: string; $metadata?: { httpStatusCode?: number } }) => e,
    );
    expect(failed?.$metadata?.httpStatusCode).toBe(500);
    expect(failed?.name).toBe('InternalError');
    expect(performance.now() - t0).toBeGreaterThan(600); // 4 tries, 100 + 200 + 400 ms apart
    // Still serving: a write outside the ingest prefix needs no event.
    await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'elsewhere/x.txt', Body: 'hello' }));
    const again = await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/unannounced.txt', Body: 'hello' })).catch((e: Error) => e);
    expect((again as Error).name).toBe('InternalError');
  });

  it('names the key exactly as written in its events: spaces, +, %, non-ASCII, dot segments, double slashes', async () => {
    const p = await proxy();
    const keys = ['incoming/Société Générale 2+2=4 %20.txt', 'incoming/./dots/../odd.txt', 'incoming//double.txt', 'incoming/q?x=1&y#z;~\'().txt'];
    for (const key of keys) await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello' }));
    expect(await queued()).toEqual(keys.map((key) => ({ kind: 'created', key })));
  });
});

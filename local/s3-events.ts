/**
 * S3 event notifications for the local stack. No emulator delivers them, so the local
 * stack puts an S3 proxy in front of the emulator's S3 and, after each successful write
 * or delete of an object under the ingest prefix, sends the queue a message in the exact
 * shape S3 sends (eventVersion 2.1, URL-encoded key, `sequencer`). Any S3 client pointed
 * at the proxy (the SDK, the AWS CLI, `nerve ingest`) gets the same behaviour as in AWS.
 *
 * The proxy never dies of a request: a key it cannot decode is passed through for the
 * emulator to refuse; an event it cannot queue (after retries) fails the request with
 * S3's 500 InternalError, which clients retry. The object may be written by then: the
 * start-up reconciliation (reconcile.ts) indexes what no event announced.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from './config.js';

const hex16 = (n: bigint) => n.toString(16).toUpperCase().padStart(16, '0');
let last = 0n;
/**
 * Increasing hex sequencers, also across restarts: the time in ms shifted left by 20
 * bits, plus a count within the millisecond. Every event of the local stack orders
 * after the ones it sent before, and after any sequencer passed to `noteSequencer`.
 */
export function nextSequencer(): string {
  const now = BigInt(Date.now()) << 20n;
  last = now > last ? now : last + 1n;
  return hex16(last);
}

/** The smallest sequencer `nextSequencer` gives at time `ms`: an event sent at or after `ms` does not order before it. */
export function sequencerAt(ms: number): string {
  return hex16(BigInt(Math.max(0, Math.floor(ms))) << 20n);
}

/** Makes every later `nextSequencer` order after `seen` (one the index holds), even if the clock went back. */
export function noteSequencer(seen: string): void {
  const prefix = seen.slice(0, 16);
  if (!/^[0-9A-Fa-f]{16}$/.test(prefix)) return;
  const n = BigInt(`0x${prefix}`);
  if (n > last) last = n;
}

/** S3 encodes keys in events like a form: spaces as +, everything else percent-encoded. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export interface ObjectEvent {
  readonly kind: 'created' | 'removed';
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly etag?: string;
}

export function s3EventMessage(e: ObjectEvent, sequencer = nextSequencer(), region = LOCAL_REGION): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: now,
        eventName: e.kind === 'created' ? 'ObjectCreated:Put' : 'ObjectRemoved:Delete',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': sequencer, 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'nerve-ingest',
          bucket: { name: e.bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${e.bucket}` },
          object: {
            key: encodeS3Key(e.key),
            ...(e.kind === 'created' ? { ...(e.size !== undefined ? { size: e.size } : {}), eTag: e.etag?.replace(/"/g, '') ?? '' } : {}),
            sequencer,
          },
        },
      },
    ],
  });
}

const SEND_ATTEMPTS = 5;

/**
 * Sends `events` to the queue as S3 would, ten to a SendMessageBatch, sending again what
 * SQS did not take (with backoff); a sender's fault, or entries still refused after the
 * attempts, is an error. For the start-up reconciliation and `nerve reindex`.
 */
export async function queueS3Events(sqs: SQSClient, queueUrl: string, events: readonly ObjectEvent[], o: { sequencer?: string; region?: string; signal?: AbortSignal } = {}): Promise<void> {
  for (let i = 0; i < events.length; i += 10) {
    o.signal?.throwIfAborted();
    let pending = events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: s3EventMessage(e, o.sequencer ?? nextSequencer(), o.region) }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed = (await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }))).Failed ?? [];
      const fatal = failed.find((f) => f.SenderFault);
      if (fatal) throw new Error(`the queue refused an event: ${fatal.Code} ${fatal.Message ?? ''}`.trim());
      pending = pending.filter((e) => failed.some((f) => f.Id === e.Id));
      if (pending.length > 0 && attempt >= SEND_ATTEMPTS) throw new Error(`the queue did not take ${pending.length} events after ${attempt} attempts`);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

type Target = { bucket: string; key: string; kind: 'created' | 'removed' } | { bucket: string; kind: 'batch-delete' };

/**
 * Which object a request wrote or deleted, if any (path-style: /bucket/key). The key is
 * the raw path's, decoded: no dot segments resolved, as S3 and the emulator keep them.
 * A malformed percent-encoding names no object (the emulator refuses the request).
 */
function objectOf(req: IncomingMessage): Target | undefined {
  const raw = req.url ?? '/';
  const at = raw.indexOf('?');
  const q = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
  const [, bucket, ...rest] = (at < 0 ? raw : raw.slice(0, at)).split('/');
  if (!bucket) return undefined;
  if (rest.join('') === '') return req.method === 'POST' && q.has('delete') ? { bucket, kind: 'batch-delete' } : undefined;
  let key: string;
  try {
    key = decodeURIComponent(rest.join('/'));
  } catch {
    return undefined;
  }
  if (req.method === 'PUT' && !q.has('uploadId') && !q.has('tagging') && !q.has('acl')) return { bucket, key, kind: 'created' };
  if (req.method === 'POST' && q.has('uploadId')) return { bucket, key, kind: 'created' }; // CompleteMultipartUpload
  if (req.method === 'DELETE' && !q.has('uploadId')) return { bucket, key, kind: 'removed' };
  return undefined;
}

const unescapeXml = (s: string) => s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The keys a DeleteObjects response says it deleted. */
function deletedKeys(responseXml: string): string[] {
  return [...responseXml.matchAll(/<Deleted>\s*<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1]!));
}

function send(res: ServerResponse, status: number, headers: IncomingHttpHeaders, body: Buffer | string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, headers);
  res.end(body);
}

export interface S3EventProxyOptions {
  readonly upstream: string;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly prefix: string;
  /** Tries of each SendMessage, with doubling pauses from 100 ms. @default 4 */
  readonly sendAttempts?: number;
}

/** Starts the S3 proxy on 127.0.0.1 and returns its endpoint. */
export async function startS3EventProxy(options: S3EventProxyOptions): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(options.upstream);
  const attempts = options.sendAttempts ?? 4;

  const queue = async (event: ObjectEvent) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: s3EventMessage(event) }));
        return;
      } catch (e) {
        if (attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      }
    }
  };

  /** The events a successful request calls for. */
  const eventsOf = (req: IncomingMessage, target: Target, up: IncomingMessage, body: Buffer, bytes: number): ObjectEvent[] => {
    if (target.kind === 'batch-delete') return deletedKeys(body.toString('utf8')).map((key) => ({ kind: 'removed', bucket: target.bucket, key }));
    if (target.kind === 'removed') return [target];
    // A multipart upload's completion carries no object size; the handler reads the real one.
    const size = req.method === 'PUT' ? Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? bytes) : undefined;
    return [{ ...target, size, etag: up.headers.etag as string | undefined }];
  };

  const server = createServer((req, res) => {
    const target = objectOf(req);
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      const status = up.statusCode ?? 500;
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('error', (e) => send(res, 502, {}, String(e)));
      up.on('end', async () => {
        const body = Buffer.concat(chunks);
        let events: ObjectEvent[] = [];
        try {
          if (target && status >= 200 && status < 300) events = eventsOf(req, target, up, body, bytes).filter((e) => e.key.startsWith(options.prefix));
          for (const event of events) await queue(event);
        } catch (e) {
          const message = `the request succeeded but its event notification could not be queued (${(e as Error).message}); retry the request`;
          console.error(`s3 event proxy: ${events.map((ev) => ev.key).join(', ') || req.url}: ${message}`);
          send(res, 500, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>${escapeXml(message)}</Message><RequestId>local</RequestId></Error>`);
          return;
        }
        send(res, status, up.headers, body);
      });
    });
    forward.on('error', (e) => send(res, 502, {}, String(e)));
    req.on('error', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

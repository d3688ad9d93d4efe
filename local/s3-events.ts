/**
 * S3 event notifications for the local stack. No emulator delivers them, so the local
 * stack puts an S3 proxy in front of the emulator's S3 and, after each successful write
 * or delete of an object under the ingest prefix, sends the queue a message in the exact
 * shape S3 sends (eventVersion 2.1, URL-encoded key, `sequencer`). Any S3 client pointed
 * at the proxy (the SDK, the AWS CLI, `nerve ingest`) gets the same behaviour as in AWS.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from './config.js';

let counter = 0n;
/** Increasing hex sequencers, also across restarts (time-based prefix). */
export function nextSequencer(): string {
  counter += 1n;
  return ((BigInt(Date.now()) << 20n) + (counter & 0xfffffn)).toString(16).toUpperCase().padStart(16, '0');
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

export function s3EventMessage(e: ObjectEvent, sequencer = nextSequencer()): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
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

/** Which object a request wrote or deleted, if any (path-style: /bucket/key). */
function objectOf(req: IncomingMessage): { bucket: string; key: string; kind: 'created' | 'removed' } | undefined {
  const url = new URL(req.url ?? '/', 'http://local');
  const [, bucket, ...rest] = url.pathname.split('/');
  if (!bucket || rest.length === 0) return undefined;
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  if (req.method === 'PUT' && !q.has('uploadId') && !q.has('tagging') && !q.has('acl')) return { bucket, key, kind: 'created' };
  if (req.method === 'POST' && q.has('uploadId')) return { bucket, key, kind: 'created' }; // CompleteMultipartUpload
  if (req.method === 'DELETE' && !q.has('uploadId')) return { bucket, key, kind: 'removed' };
  return undefined;
}

/** Starts the S3 proxy on 127.0.0.1 and returns its endpoint. */
export async function startS3EventProxy(options: { upstream: string; sqs: SQSClient; queueUrl: string; prefix: string }): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(options.upstream);
  const server = createServer((req, res) => {
    const target = objectOf(req);
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const status = up.statusCode ?? 500;
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', async () => {
          try {
            if (target && status >= 200 && status < 300 && target.key.startsWith(options.prefix)) {
              // A multipart upload's completion carries no object size; the handler reads the real one.
              const size = req.method === 'PUT' ? Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? bytes) : undefined;
              await options.sqs.send(
                new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: s3EventMessage({ ...target, size, etag: up.headers.etag as string | undefined }) }),
              );
            }
          } finally {
            res.writeHead(status, up.headers);
            res.end(Buffer.concat(chunks));
          }
        });
      },
    );
    forward.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

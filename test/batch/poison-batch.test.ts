/**
 * Poison files in one SQS batch with good ones, through the batch Lambda handler itself
 * (emulators, real SDK calls): every record settles (`indexed`, or `failed` with a
 * reason), none fails the batch, the good files are indexed, and the whole batch takes
 * less than BATCH_MS on this machine (with a 10 s document budget; the function's is 120 s
 * of its 300 s timeout).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { getDocument } from '../../lambdas/index/store.js';
import { localAwsEnvironment } from '../../local/config.js';
import { createBucket, createIndexTable, startEmulators, type Emulators } from '../../local/emulators.js';
import { s3EventMessage } from '../../local/s3-events.js';
import { fixtures } from '../helpers/paths.js';

const BATCH_MS = 60_000;
let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, 'poison-index');
  await createBucket(emulators.s3, 'poison');
  Object.assign(process.env, {
    ...localAwsEnvironment({ dynamodb: emulators.dynamoEndpoint, s3: emulators.awsEndpoint, sqs: emulators.awsEndpoint }),
    NERVE_INDEX_TABLE: 'poison-index',
    NERVE_BATCH_MODEL: join(fixtures, 'tiny-model'),
    // A test-sized budget (the function's is 120 s of its 300): the 20,000-line file cannot finish within it.
    NERVE_DOCUMENT_SECONDS: '10',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});
afterAll(async () => {
  await emulators?.stop();
});

/** A PDF whose one stream inflates to `bytes` of zeros. */
function pdfBomb(bytes: number): Uint8Array {
  const stream = deflateSync(Buffer.alloc(bytes), { level: 9 });
  const head = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n4 0 obj << /Length ${stream.length} /Filter /FlateDecode >> stream\n`;
  return Buffer.concat([Buffer.from(head), stream, Buffer.from('\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')]);
}

const GOOD = 'Tomas Berg visited Osterholm. Anna Kowalczyk of Halvard Bank met him there.';
const FILES: Array<[string, string | Uint8Array]> = [
  ['incoming/good one.txt', GOOD],
  ['incoming/emphasis.md', '_a '.repeat(100_000)],
  ['incoming/nested.html', `${'<div>'.repeat(60_000)}Tomas Berg${'</div>'.repeat(60_000)}`],
  ['incoming/bad byte.txt', Buffer.concat([Buffer.from('Société Générale '), Buffer.from([0xff]), Buffer.from(' met Tomas Berg.')])],
  ['incoming/bomb.pdf', pdfBomb(512 * 1024 * 1024)],
  ['incoming/random.txt', Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) % 256))],
  ['incoming/no spaces.txt', 'x'.repeat(2_000_000)],
  ['incoming/bidi+control %.txt', `Tomas\u202e Berg\u0007 visited \u200fOsterholm.`],
  ['incoming/Société 2+2=4.txt', GOOD],
  ['incoming/lines.jsonl', Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ text: `Line ${i}.` })).join('\n')],
];

describe('a batch with poison files', () => {
  it('settles every record and indexes the good files, within the bound', async () => {
    const { handler } = await import('../../lambdas/batch/handler.js');
    const records: SQSEvent['Records'] = [];
    for (const [key, body] of FILES) {
      await emulators.s3.send(new PutObjectCommand({ Bucket: 'poison', Key: key, Body: body }));
      records.push({
        messageId: key,
        receiptHandle: key,
        body: s3EventMessage({ kind: 'created', bucket: 'poison', key, size: typeof body === 'string' ? Buffer.byteLength(body) : body.length }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
        awsRegion: 'us-east-1',
      });
    }
    const started = performance.now();
    const result = await handler({ Records: records }, { getRemainingTimeInMillis: () => 300_000 } as never);
    const ms = performance.now() - started;
    expect(result.batchItemFailures).toEqual([]);
    expect(ms).toBeLessThan(BATCH_MS);
    const store = { client: DynamoDBDocumentClient.from(emulators.dynamo), table: 'poison-index' };
    const status = async (key: string) => (await getDocument(store, documentIdOf('poison', key)))?.status;
    for (const [key] of FILES) expect(['indexed', 'failed'], key).toContain(await status(key));
    expect(await status('incoming/good one.txt')).toBe('indexed');
    expect(await status('incoming/Société 2+2=4.txt')).toBe('indexed');
    expect(await status('incoming/bad byte.txt')).toBe('indexed');
    const bomb = await getDocument(store, documentIdOf('poison', 'incoming/bomb.pdf'));
    expect(bomb).toMatchObject({ status: 'failed', reason: expect.any(String) });
    // The long file: what fitted in its budget is indexed, and its record says the rest was not.
    const lines = await getDocument(store, documentIdOf('poison', 'incoming/lines.jsonl'));
    expect(lines).toMatchObject({ status: 'indexed', reason: expect.stringMatching(/took longer than its time budget: \d+ were indexed/) });
    expect(lines!.childLines!.length).toBeGreaterThan(0);
  }, 120_000);
});

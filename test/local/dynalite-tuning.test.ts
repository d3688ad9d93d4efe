/**
 * The local stack's tunings of dynalite (local/dynalite-tuning.ts) change nothing a
 * request means: the same expression sent with new values is evaluated with those values,
 * with values of another type it is checked again, and what only a fresh parse can refuse
 * (an unused or undefined value, a BETWEEN out of order) is still refused.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulators } from '../../local/emulators.js';
import { indexEnvironment } from '../helpers/batch.js';

const TABLE = 'tuning';
let emulators: Emulators;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  let store;
  ({ emulators, store } = await indexEnvironment(TABLE));
  client = store.client;
});
afterAll(async () => {
  await emulators?.stop();
});

const key = { pk: 'item', sk: 'one' };
const fencedPut = (seq: number) =>
  client.send(new PutCommand({ TableName: TABLE, Item: { ...key, seq }, ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq', ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':seq': seq } }));
const set = (values: Record<string, unknown>, expression = 'SET v = :v') => client.send(new UpdateCommand({ TableName: TABLE, Key: key, UpdateExpression: expression, ExpressionAttributeValues: values }));
const read = async () => (await client.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;

describe('kept expression parses', () => {
  it('evaluate each request with its own values', async () => {
    await fencedPut(5);
    await fencedPut(7);
    await expect(fencedPut(6)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await read())?.seq).toBe(7);
    for (const v of ['a', 'b', 'c']) await set({ ':v': v });
    expect((await read())?.v).toBe('c');
    await set({ ':v': { nested: ['x'] } });
    await set({ ':v': { nested: ['y', 'z'] } });
    expect((await read())?.v).toEqual({ nested: ['y', 'z'] });
  });

  it('check values of another type again', async () => {
    await set({ ':v': 1 }, 'SET n = :v');
    await set({ ':x': 2 }, 'SET n = n + :x');
    await expect(set({ ':x': 'two' }, 'SET n = n + :x')).rejects.toThrow(/Incorrect operand type/);
    expect((await read())?.n).toBe(3);
  });

  it('still refuse what only a parse with the request can refuse', async () => {
    await expect(set({ ':v': 'a', ':unused': 'b' })).rejects.toThrow(/unused in expressions/);
    await expect(set({ ':w': 'a' })).rejects.toThrow(/not defined/);
    const between = (low: number, high: number) =>
      client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high', ExpressionAttributeValues: { ':pk': 'item', ':low': String(low), ':high': String(high) } }));
    await expect(between(1, 5)).resolves.toBeDefined();
    await expect(between(5, 1)).rejects.toThrow(/upper bound to be greater than or equal to lower bound/);
  });
});

describe('response checksums', () => {
  it("x-amz-crc32 is still the CRC-32 of the body's UTF-8 bytes, as buffer-crc32 computes it, for text beyond ASCII", async () => {
    await client.send(new PutCommand({ TableName: TABLE, Item: { pk: 'crc', sk: 'one', name: 'Société Générale 東京 😀' } }));
    const res = await fetch(emulators.dynamoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        // dynalite reads the credential scope, not the signature
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-date': '20260101T000000Z',
      },
      body: JSON.stringify({ TableName: TABLE, Key: { pk: { S: 'crc' }, sk: { S: 'one' } } }),
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(body.toString('utf8')).toContain('Société Générale 東京 😀');
    // buffer-crc32's own loop (its signed form, which the tuning leaves as it is)
    const reference = createRequire(createRequire(import.meta.url).resolve('dynalite'))('buffer-crc32') as { signed(data: Buffer): number };
    expect(Number(res.headers.get('x-amz-crc32'))).toBe(reference.signed(body) >>> 0);
  });
});

describe('BatchGetItem read at once', () => {
  it('answers as dynalite does: the items there are, projected, none for missing keys, and its errors for bad keys and unknown tables', async () => {
    for (let i = 0; i < 30; i++) await client.send(new PutCommand({ TableName: TABLE, Item: { pk: `batch-${i}`, sk: 'one', n: i, text: `item ${i}` } }));
    const keys = Array.from({ length: 40 }, (_, i) => ({ pk: `batch-${i}`, sk: 'one' })); // ten of them absent
    const out = await client.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: keys, ProjectionExpression: 'pk, n' } } }));
    const items = out.Responses![TABLE]!;
    expect(items.map((i) => i.n as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(items.every((i) => Object.keys(i).sort().join() === 'n,pk')).toBe(true);
    expect(out.UnprocessedKeys ?? {}).toEqual({});
    await expect(client.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: [{ pk: 'batch-1' }] } } }))).rejects.toThrow(/key element does not match the schema/);
    await expect(client.send(new BatchGetCommand({ RequestItems: { 'no-such-table': { Keys: [key] } } }))).rejects.toThrow(/not found/i);
  });
});

/**
 * The local stack's TransactWriteItems (local/dynamo-transactions.ts), over real SDK calls
 * to dynalite: all or nothing, reasons per action as DynamoDB gives them, isolation from
 * concurrent writers, and a transaction that a killed process was in found whole or absent
 * when the store opens again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, paginateQuery, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIndexTable, startEmulators, type Emulators } from '../../local/emulators.js';
import { repoRoot } from '../helpers/paths.js';

const TABLE = 'transactions';
let emulators: Emulators;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, TABLE);
  client = DynamoDBDocumentClient.from(emulators.dynamo);
});
afterAll(async () => {
  await emulators?.stop();
});

type Actions = NonNullable<TransactWriteCommandInput['TransactItems']>;
const get = async (pk: string, sk: string) => (await client.send(new GetCommand({ TableName: TABLE, Key: { pk, sk }, ConsistentRead: true }))).Item;
/** A posting created and counted together, as the index does it. */
const countedPosting = (entity: string, doc: string): Actions => [
  { Put: { TableName: TABLE, Item: { pk: `POST#${entity}`, sk: doc, seq: '1' }, ConditionExpression: 'attribute_not_exists(pk)' } },
  { Update: { TableName: TABLE, Key: { pk: `DF#${entity}`, sk: 'DF' }, UpdateExpression: 'ADD #count :one', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':one': 1 } } },
];

describe('TransactWriteItems on the local stack', () => {
  it('applies every action, or none, and gives a reason per action', async () => {
    await client.send(new TransactWriteCommand({ TransactItems: countedPosting('a', 'd1') }));
    expect(await get('POST#a', 'd1')).toMatchObject({ seq: '1' });
    expect(await get('DF#a', 'DF')).toMatchObject({ count: 1 });

    const failed = await client.send(new TransactWriteCommand({ TransactItems: [...countedPosting('b', 'd1'), { ...countedPosting('a', 'd1')[0]!, Put: { ...countedPosting('a', 'd1')[0]!.Put!, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }] })).catch((e) => e);
    expect(failed).toBeInstanceOf(TransactionCanceledException);
    expect(failed.CancellationReasons.map((r: { Code: string }) => r.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(failed.CancellationReasons[2].Item).toMatchObject({ pk: { S: 'POST#a' }, seq: { S: '1' } });
    expect(await get('POST#b', 'd1')).toBeUndefined();
    expect(await get('DF#b', 'DF')).toBeUndefined();
  });

  it('refuses what DynamoDB refuses', async () => {
    const twice = await client.send(new TransactWriteCommand({ TransactItems: [...countedPosting('c', 'd1'), countedPosting('c', 'd1')[0]!] })).catch((e) => e);
    expect(twice.name).toBe('ValidationException');
    expect(twice.message).toMatch(/multiple operations on one item/);
    const tooMany = await client.send(new TransactWriteCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => countedPosting('d', `d${i}`)[0]!) })).catch((e) => e);
    expect(tooMany.name).toBe('ValidationException');
    expect(await client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'POST#d' } }))).toMatchObject({ Count: 0 });
  });

  it('is isolated from concurrent writers: one posting, counted once, whoever races', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 30 }, () => client.send(new TransactWriteCommand({ TransactItems: countedPosting('e', 'd1') }))));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(await get('DF#e', 'DF')).toMatchObject({ count: 1 });
    // Single-item writes interleaved with transactions on the same items keep their effect too.
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2
      ? client.send(new TransactWriteCommand({ TransactItems: [countedPosting('f', `d${i}`)[1]!] }))
      : client.send(new PutCommand({ TableName: TABLE, Item: { pk: 'POST#f', sk: `d${i}` } })))));
    expect(await get('DF#f', 'DF')).toMatchObject({ count: 10 });
  });

  it('leaves a transaction its process was killed in whole or absent, never half there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nerve-transactions-'));
    // A child applies transactions of 99 counted postings until it is killed; which it was in, it cannot say.
    const seen: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'helpers', 'transactions-until-killed.ts'), dir, String(attempt)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve()));
      await new Promise((r) => setTimeout(r, 150 + attempt * 37));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const reopened = await startEmulators({ dataDir: dir });
      const docs = DynamoDBDocumentClient.from(reopened.dynamo);
      let postings = 0;
      for await (const page of paginateQuery({ client: docs }, { TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'POST#g' }, Select: 'COUNT', ConsistentRead: true })) postings += page.Count ?? 0;
      const count = (await docs.send(new GetCommand({ TableName: TABLE, Key: { pk: 'DF#g', sk: 'DF' }, ConsistentRead: true }))).Item?.count ?? 0;
      expect(count).toBe(postings);
      expect(postings % 99).toBe(0); // whole transactions only
      seen.push(postings);
      await reopened.stop();
    }
    // Transactions were committing when the kills came (else this test proved nothing).
    expect(new Set(seen).size).toBeGreaterThan(3);
  }, 120_000);
});

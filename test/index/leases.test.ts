/** Leases against dynalite: one writer per file, renewed while the work runs. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLease } from '../../lambdas/index/leases.js';
import { LeaseTakenError } from '../../lambdas/shared/errors.js';
import { createIndexTable, startEmulators, type Emulators } from '../../local/emulators.js';

let emulators: Emulators;
let store: { client: DynamoDBDocumentClient; table: string };
beforeAll(async () => {
  emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, 'index');
  store = { client: DynamoDBDocumentClient.from(emulators.dynamo), table: 'index' };
});
afterAll(async () => {
  await emulators?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('leases', () => {
  it('keeps a lease held for longer than its length while the work runs (a slow model), and frees it after', async () => {
    const slow = { workerId: 'slow worker', leaseSeconds: 1 };
    const other = { workerId: 'other worker', leaseSeconds: 1 };
    const attempts: unknown[] = [];
    await withLease(store, slow, 'd1', async () => {
      for (const at of [1500, 1200, 1000]) {
        await sleep(at); // well past the 1 s the lease was taken for
        attempts.push(await withLease(store, other, 'd1', async () => 'took it').catch((e) => e));
      }
    });
    expect(attempts.map((a) => a instanceof LeaseTakenError)).toEqual([true, true, true]);
    expect(await withLease(store, other, 'd1', async () => 'took it')).toBe('took it');
  }, 20_000);

  it('lets another worker take over a lease whose holder died (no renewal)', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { keys } = await import('../../lambdas/index/schema.js');
    await store.client.send(new PutCommand({ TableName: 'index', Item: { ...keys.lease('d2'), owner: 'dead worker', expires: Date.now() - 1 } }));
    expect(await withLease(store, { workerId: 'next', leaseSeconds: 1 }, 'd2', async () => 'took it')).toBe('took it');
  });
});

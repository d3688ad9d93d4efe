/**
 * One writer per file: a lease item (`keys.lease`) names the worker processing a file
 * and until when. A worker takes it only when no one holds it or the holder's lease has
 * expired, and gives it back when done (only if it is still its own).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseTakenError } from '../shared/errors.js';
import type { IndexStore } from './dynamo.js';
import { keys } from './schema.js';

export interface LeaseHolder {
  /** Identifies this worker in leases. */
  readonly workerId: string;
  /** How long a lease holds before another worker may take it over. */
  readonly leaseSeconds: number;
}

/**
 * Runs `work` holding the lease on `documentId`; LeaseTakenError when another worker
 * holds it. The lease is renewed every third of its length while the work runs (a GPU
 * worker on a long document outlives any fixed lease); a renewal that finds the lease
 * taken over stops renewing: the version fences of writes.ts keep the index right.
 */
export async function withLease<T>(store: IndexStore, holder: LeaseHolder, documentId: string, work: () => Promise<T>): Promise<T> {
  const key = keys.lease(documentId);
  const now = Date.now();
  try {
    await store.client.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key, owner: holder.workerId, expires: now + holder.leaseSeconds * 1000 },
        ConditionExpression: 'attribute_not_exists(pk) OR expires < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw new LeaseTakenError(documentId);
    throw e;
  }
  const renewal = setInterval(() => {
    store.client
      .send(
        new UpdateCommand({
          TableName: store.table,
          Key: key,
          UpdateExpression: 'SET expires = :until',
          ConditionExpression: '#o = :me',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':until': Date.now() + holder.leaseSeconds * 1000, ':me': holder.workerId },
        }),
      )
      .catch(() => clearInterval(renewal));
  }, Math.max(100, (holder.leaseSeconds * 1000) / 3));
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    await store.client
      .send(new DeleteCommand({ TableName: store.table, Key: key, ConditionExpression: '#o = :me', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':me': holder.workerId } }))
      .catch(() => undefined); // expired and taken over: the new owner's lease stands
  }
}

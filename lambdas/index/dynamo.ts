/**
 * The index's batched DynamoDB calls, written once: BatchWrite in groups of 25 and
 * BatchGet in groups of 100, each resubmitting what DynamoDB leaves unprocessed (with
 * backoff) until it is done or the attempts run out.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from '../shared/errors.js';
import type { WordIndex } from '../words/words.js';
import { itemId, type ItemKey } from './schema.js';

export interface IndexStore {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  /** The full-text engine for documents' words (lambdas/words), where there is one. */
  readonly words?: WordIndex;
}

/** Counts the requests a caller makes (search reports them). */
export interface RequestCounter {
  requests: number;
}

const MAX_ATTEMPTS = 9;
const pause = (attempt: number, capMs: number) => new Promise((r) => setTimeout(r, Math.min(capMs, 25 * 2 ** attempt)));

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> & ItemKey } } | { DeleteRequest: { Key: ItemKey } };

export async function batchWrite(store: IndexStore, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new UnprocessedItemsError(`DynamoDB left ${pending.length} writes unprocessed after ${attempt} attempts`);
      if (attempt > 0) await pause(attempt + 1, 2000);
      const out = await store.client.send(new BatchWriteCommand({ RequestItems: { [store.table]: pending as WriteRequest[] } }));
      pending = (out.UnprocessedItems?.[store.table] ?? []) as WriteRequest[];
    }
  }
}

/** BatchGets of one call in flight at once: a search's frequencies (hundreds of keys) cost one round trip, not one per 100 keys. */
const GETS_IN_FLIGHT = 4;

/** Items for `wanted` keys that exist, in no particular order; with `attributes`, only those of each item. */
export async function batchGet(store: IndexStore, wanted: readonly ItemKey[], attributes?: readonly string[], counter?: RequestCounter): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  const unique = [...new Map(wanted.map((k) => [itemId(k), k])).values()];
  const groups = Array.from({ length: Math.ceil(unique.length / 100) }, (_, g) => unique.slice(g * 100, g * 100 + 100));
  await mapLimit(groups, GETS_IN_FLIGHT, async (group) => {
    let request: Record<string, { Keys: Record<string, unknown>[] } & Projection> | undefined = {
      [store.table]: { Keys: group as unknown as Record<string, unknown>[], ...projectionOf(attributes) },
    };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new UnprocessedItemsError(`DynamoDB left keys unprocessed after ${attempt} attempts`);
      if (attempt > 0) await pause(attempt, 1000);
      if (counter) counter.requests++;
      const out = await store.client.send(new BatchGetCommand({ RequestItems: request }));
      found.push(...(out.Responses?.[store.table] ?? []));
      request = out.UnprocessedKeys as typeof request;
    }
  });
  return found;
}

type Projection = { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> };

/** A projection of attribute names, each by a placeholder: many (status, key, count) are DynamoDB reserved words. */
function projectionOf(attributes: readonly string[] | undefined): Projection {
  if (!attributes) return {};
  return { ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a])) };
}

/** Run `fn` over `items`, at most `limit` at a time. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

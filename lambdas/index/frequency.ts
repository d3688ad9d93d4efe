/**
 * Document frequency, exactly, without transactions (see PROTOCOL.md). A counter item
 * per entity (`keys.frequency`) holds `count` and `pending`, a string set of tokens: an
 * update names its token and is conditional on the token's absence, so a retried update
 * is a no-op while its token stands; the writer removes the token once the posting
 * records that it was counted. A token left by a crashed writer is what its successor
 * reads to know whether the count already moved.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexStore } from './dynamo.js';
import { keys } from './schema.js';

export interface EntityOf {
  readonly type: string;
  readonly key: string;
}

/** The token of one document version's +1 (`+`) or -1 (`-`) for an entity. */
export const countToken = (sign: '+' | '-', documentId: string, sequencer: string) => `${sign}${documentId}@${sequencer}`;

const names = { '#count': 'count', '#pending': 'pending' };

/** One conditional update of an entity's counter: false when its condition did not hold. */
async function update(store: IndexStore, entity: EntityOf, expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
  try {
    await store.client.send(
      new UpdateCommand({
        TableName: store.table,
        Key: keys.frequency(entity.type, entity.key),
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: { ...names },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

/** Moves the count by `delta` under `token`, once: false when the token was already there (done before). */
export function moveCount(store: IndexStore, entity: EntityOf, delta: 1 | -1, token: string): Promise<boolean> {
  return update(store, entity, 'ADD #count :d, #pending :t', 'attribute_not_exists(#pending) OR NOT contains(#pending, :tok)', { ':d': delta, ':t': new Set([token]), ':tok': token });
}

/** Forgets tokens once the moves they guarded are recorded elsewhere (idempotent; no counter item, nothing to forget). */
export async function forgetToken(store: IndexStore, entity: EntityOf, ...tokens: string[]): Promise<void> {
  await update(store, entity, 'DELETE #pending :t', 'attribute_exists(#count)', { ':t': new Set(tokens) });
}

/** Undoes a move whose token still stands (a writer that died before recording it): -delta, token gone. */
export async function undoIfPending(store: IndexStore, entity: EntityOf, delta: 1 | -1, token: string): Promise<void> {
  await update(store, entity, 'ADD #count :d DELETE #pending :t', 'contains(#pending, :tok)', { ':d': -delta, ':t': new Set([token]), ':tok': token });
}

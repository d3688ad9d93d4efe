/**
 * Postings, each fenced by its document's sequencer and counted exactly once in its
 * entity's document frequency (see PROTOCOL.md and frequency.ts).
 *
 * A posting carries `seq`, the S3 sequencer of the document version that wrote it. A
 * posting exists only once its +1 is in the frequency (the +1 comes first), so its
 * existence is what says it is counted. A write is conditional on no newer version
 * having written it; a delete on the version it read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IndexStore } from './dynamo.js';
import { countToken, forgetToken, moveCount, undoIfPending, type EntityOf } from './frequency.js';
import { compareSequencers, keys } from './schema.js';

/** What a posting says about one entity in one document, beside its keys and fences. */
export interface PostingContent {
  readonly rank: number;
  readonly documentId: string;
  readonly s3Key: string;
  readonly line?: number;
  readonly name: string;
  readonly mentions: number;
  readonly first: number;
  readonly spans: Array<[number, number, string]>;
}

/** A newer version of the document has written this posting: the writer is stale. */
export class SupersededError extends Error {}

/** What writeItems knows of a posting before it writes it (one BatchGet for a document's). */
export interface ExistingPosting {
  readonly seq: string;
}

/**
 * Writes (or rewrites) a posting for version `seq`, counted exactly once. A posting this
 * document does not have yet takes three writes: the +1 under its token, the posting
 * (fenced), the token forgotten. Dying after the +1 leaves a token and no posting: the
 * retry's +1 is then a no-op, and a newer version, which finds the attempt's chunks
 * (`listedBy`), takes that +1 back, here or in removePosting.
 */
export async function writePosting(store: IndexStore, entity: EntityOf, content: PostingContent, seq: string, old: ExistingPosting | undefined, listedBy: readonly string[] = []): Promise<void> {
  if (old) {
    await putPosting(store, entity, content, seq);
    // Counted already, by an earlier version or attempt, which may have died before forgetting its token.
    await forgetToken(store, entity, countToken('+', content.documentId, old.seq));
    return;
  }
  // No posting: an earlier version that listed it may have died after its +1. Take that back first.
  for (const earlier of listedBy) await undoIfPending(store, entity, +1, countToken('+', content.documentId, earlier));
  const token = countToken('+', content.documentId, seq);
  await moveCount(store, entity, +1, token); // a no-op when a crashed attempt of this version moved it
  try {
    await putPosting(store, entity, content, seq);
  } catch (e) {
    if (e instanceof SupersededError) await undoIfPending(store, entity, +1, token);
    throw e;
  }
  await forgetToken(store, entity, token);
}

async function putPosting(store: IndexStore, entity: EntityOf, content: PostingContent, seq: string): Promise<void> {
  const fields = Object.entries(content).filter(([, v]) => v !== undefined);
  try {
    await store.client.send(
      new UpdateCommand({
        TableName: store.table,
        Key: keys.posting(entity.type, entity.key, content.documentId),
        UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')}, #seq = :seq`,
        // No newer version wrote it (sequencers are stored in their fence form, schema.ts fenceOf, so string order is S3's).
        ConditionExpression: 'attribute_not_exists(pk) OR #seq <= :seq',
        ExpressionAttributeNames: { '#seq': 'seq', ...Object.fromEntries(fields.map(([f], i) => [`#f${i}`, f])) },
        ExpressionAttributeValues: { ':seq': seq, ...Object.fromEntries(fields.map(([, v], i) => [`:v${i}`, v])) },
      }),
    );
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw new SupersededError(`a newer version of ${content.documentId} wrote ${entity.type} ${entity.key}`);
    throw e;
  }
}

/**
 * Removes the posting of `documentId` for `entity` unless a version newer than `seq` wrote
 * it (`listedBy`: the versions whose chunks list it): its -1 first (so a crash in between
 * can only leave the posting, which the retry removes), then the posting, then the tokens.
 */
export async function removePosting(store: IndexStore, entity: EntityOf, documentId: string, seq: string, listedBy: readonly string[] = []): Promise<void> {
  const key = keys.posting(entity.type, entity.key, documentId);
  const token = countToken('-', documentId, seq);
  const { Item: posting } = await store.client.send(new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true, ProjectionExpression: 'seq' }));
  const forget = [token];
  if (posting) {
    const written = posting.seq as string;
    // A newer version's: not ours to remove. (Our own version's, for a key we no longer have: an earlier attempt's.)
    if (compareSequencers(written, seq) > 0) return;
    // Its writer may have died after writing it but before forgetting its token.
    forget.push(countToken('+', documentId, written));
    await moveCount(store, entity, -1, token);
    try {
      await store.client.send(
        new DeleteCommand({ TableName: store.table, Key: key, ConditionExpression: '#seq = :written', ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':written': written } }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      throw new SupersededError(`a newer version of ${documentId} rewrote ${entity.type} ${entity.key} while it was being removed`);
    }
  } else {
    // No posting, but a version that listed it may have died right after its +1 (writePosting): take that back.
    for (const owner of listedBy) await undoIfPending(store, entity, +1, countToken('+', documentId, owner));
  }
  await forgetToken(store, entity, ...forget);
}

/**
 * Postings, each fenced by its document's sequencer and counted in its entity's document
 * frequency in the same transaction that creates or removes it (TransactWriteItems; the
 * local stack's dynalite has them from local/dynamo-transactions.ts). So a posting exists
 * exactly when it is counted, whatever fails and whoever races: there is nothing to
 * repair after a crash, and the count is always the number of postings.
 *
 * A posting carries `seq`, the S3 sequencer (fence form) of the document version that
 * wrote it. Every action is conditional on what the writer read: a new posting on its
 * absence, a rewrite or a removal on the `seq` it found. A posting a newer version wrote
 * is never touched: the writer is stale. A condition that fails for any other reason (a
 * concurrent attempt of the same version) sends the writer back to read again.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ContendedWriteError } from '../shared/errors.js';
import { batchGet, type IndexStore } from './dynamo.js';
import { compareSequencers, itemId, keys, packList, shardOf, type ItemKey } from './schema.js';

export interface EntityOf {
  readonly type: string;
  readonly key: string;
}

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
  /**
   * The document's most salient entities (entityKey) and terms, on each of its postings:
   * search reranks, filters and counts facets over the postings it reads, with no request
   * per document (writes.ts postingContext).
   */
  readonly docEntities?: string[];
  readonly docTerms?: string[];
}

/** A newer version of the document has written this posting: the writer is stale. */
export class SupersededError extends Error {}

type Action = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's most actions in one transaction. */
const MAX_ACTIONS = 100;
/**
 * Rounds of reading and trying again when a condition failed (a concurrent attempt of the
 * same version changed a posting in between) or another transaction held an item (a hot
 * entity's counter: DynamoDB cancels with TransactionConflict); then the change is retried later.
 */
const MAX_ROUNDS = 6;
/** Reasons to read again and retry rather than fail the change. */
const RETRY_REASONS = new Set(['ConditionalCheckFailed', 'TransactionConflict']);
const pause = (round: number) => new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** round));

/** Writes (or rewrites) the postings of `documentId` as version `seq`: a new one with its +1, in one transaction. */
export async function writePostings(store: IndexStore, seq: string, postings: ReadonlyArray<{ entity: EntityOf; content: PostingContent }>): Promise<void> {
  await inRounds(store, seq, postings.map(({ entity, content }) => ({ entity, documentId: content.documentId, content })), (entity, content, found) => {
    const key = keys.posting(entity.type, entity.key, content!.documentId);
    const item = { ...key, ...withoutUndefined({ ...content!, docEntities: packList(content!.docEntities ?? []), docTerms: packList(content!.docTerms ?? []) }), seq };
    if (found === undefined) return [{ Put: { TableName: store.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } }, count(store, entity, content!.documentId, +1)];
    return [{ Put: { TableName: store.table, Item: item, ConditionExpression: '#seq = :found', ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':found': found } } }];
  });
}

/** Removes the postings of `documentId` for `entities`, each with its -1, except those a version newer than `seq` wrote. */
export async function removePostings(store: IndexStore, documentId: string, seq: string, entities: readonly EntityOf[]): Promise<void> {
  await inRounds(store, seq, entities.map((entity) => ({ entity, documentId })), (entity, _, found) => {
    if (found === undefined) return []; // not there: nothing to remove or uncount
    const key = keys.posting(entity.type, entity.key, documentId);
    return [{ Delete: { TableName: store.table, Key: key, ConditionExpression: '#seq = :found', ExpressionAttributeNames: { '#seq': 'seq' }, ExpressionAttributeValues: { ':found': found } } }, count(store, entity, documentId, -1)];
  }, { skipNewer: true });
}

/** The +1 or -1 of a posting, on its own shard's counter (schema.ts). */
const count = (store: IndexStore, entity: EntityOf, documentId: string, delta: 1 | -1): Action => ({
  Update: { TableName: store.table, Key: keys.frequency(entity.type, entity.key, shardOf(documentId)), UpdateExpression: 'ADD #count :d', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':d': delta } },
});

interface Target {
  readonly entity: EntityOf;
  readonly documentId: string;
  readonly content?: PostingContent;
}

const keyOf = (t: Target) => keys.posting(t.entity.type, t.entity.key, t.documentId);

/**
 * Reads the targets' postings (one BatchGet per 100), turns each into its actions given the
 * `seq` found, and commits them in transactions of up to 100 actions, each target's
 * actions in one transaction. A target whose posting a newer version wrote ends the writer
 * (SupersededError), or is skipped with `skipNewer`. Targets whose condition failed are read
 * again and retried; the rest of their transaction is too (it was cancelled with them).
 */
async function inRounds(store: IndexStore, seq: string, targets: readonly Target[], actionsOf: (entity: EntityOf, content: PostingContent | undefined, found: string | undefined) => Action[], { skipNewer = false } = {}): Promise<void> {
  let pending = targets;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_ROUNDS) throw new ContendedWriteError(`postings of ${pending[0]!.documentId} kept changing under the writer for ${round} rounds`, { documentId: pending[0]!.documentId });
    if (round > 0) await pause(round);
    const found = new Map((await batchGet(store, pending.map(keyOf), ['pk', 'sk', 'seq'])).map((i) => [itemId(i as unknown as ItemKey), i.seq as string]));
    const groups: Array<{ targets: Target[]; actions: Action[] }> = [];
    for (const t of pending) {
      const seen = found.get(itemId(keyOf(t)));
      if (seen !== undefined && compareSequencers(seen, seq) > 0) {
        if (skipNewer) continue;
        throw new SupersededError(`a newer version of ${t.documentId} wrote ${t.entity.type} ${t.entity.key}`);
      }
      const actions = actionsOf(t.entity, t.content, seen);
      if (actions.length === 0) continue;
      let group = groups.at(-1);
      if (!group || group.actions.length + actions.length > MAX_ACTIONS) groups.push((group = { targets: [], actions: [] }));
      group.targets.push(t);
      group.actions.push(...actions);
    }
    const again: Target[] = [];
    for (const group of groups) {
      try {
        await store.client.send(new TransactWriteCommand({ TransactItems: group.actions }));
      } catch (e) {
        if (!(e instanceof TransactionCanceledException) || !e.CancellationReasons?.some((r) => RETRY_REASONS.has(r.Code ?? ''))) throw e;
        again.push(...group.targets); // the next round reads them again, and meets a newer version there if that is what happened
      }
    }
    pending = again;
  }
}

const withoutUndefined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

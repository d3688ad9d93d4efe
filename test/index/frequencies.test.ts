/**
 * Document frequencies counted per posting shard (schema.ts): a hot entity's +1s land on
 * the counter of the shard its posting lies in, the sum over shards is the number of
 * postings, and an index written before the shards (one `DF` counter) stays exact.
 */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentFrequencies } from '../../lambdas/index/lookups.js';
import { removePostings, writePostings, type PostingContent } from '../../lambdas/index/postings.js';
import { fenceOf, keys, shardOf, SHARDS } from '../../lambdas/index/schema.js';
import type { BatchContext } from '../../lambdas/batch/process.js';
import type { Emulators } from '../../local/emulators.js';
import { indexEnvironment } from '../helpers/batch.js';

let emulators: Emulators;
let store: BatchContext['store'];
beforeAll(async () => {
  ({ emulators, store } = await indexEnvironment());
});
afterAll(async () => {
  await emulators?.stop();
});

const SEQ = fenceOf('00000000000000A1');
const content = (documentId: string, name = 'U.S.'): PostingContent => ({ rank: 1, documentId, s3Key: `${documentId}.txt`, name, mentions: 1, first: 0, spans: [[0, 4, name]] });
const counterOf = async (type: string, key: string, shard: number) =>
  ((await store.client.send(new GetCommand({ TableName: store.table, Key: keys.frequency(type, key, shard), ConsistentRead: true }))).Item?.count as number | undefined) ?? 0;
const postingsIn = async (type: string, key: string, shard: number) =>
  (await store.client.send(new QueryCommand({ TableName: store.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.postingPartition(type, key, shard) }, ConsistentRead: true }))).Items?.length ?? 0;

describe('document frequencies per shard', () => {
  it("counts a hot entity's postings on every shard, each counter its own shard's postings, the sum all of them", async () => {
    const entity = { type: 'LOC', key: 'us' };
    const documents = Array.from({ length: 40 }, (_, i) => `doc-${i}`);
    for (const documentId of documents) await writePostings(store, SEQ, [{ entity, content: content(documentId) }]);
    await removePostings(store, 'doc-0', SEQ, [entity]);
    await removePostings(store, 'doc-1', SEQ, [entity]);

    const perShard = await Promise.all(Array.from({ length: SHARDS }, (_, shard) => counterOf('LOC', 'us', shard)));
    const expected = Array.from({ length: SHARDS }, (_, shard) => documents.slice(2).filter((d) => shardOf(d) === shard).length);
    expect(perShard).toEqual(expected);
    expect(perShard.filter((n) => n > 0).length).toBe(SHARDS); // 38 documents spread over all four
    for (let shard = 0; shard < SHARDS; shard++) expect(await postingsIn('LOC', 'us', shard)).toBe(perShard[shard]);
    expect((await documentFrequencies(store, [entity])).get('LOC\u0000us')).toEqual({ documents: 38, shards: [0, 1, 2, 3] });
    // The unsharded counter of older indexes is never written.
    expect((await store.client.send(new GetCommand({ TableName: store.table, Key: { pk: 'DF#LOC#us', sk: 'DF' } }))).Item).toBeUndefined();
  });

  it('names the shards that hold a rare entity\'s postings, and only those', async () => {
    const entity = { type: 'PER', key: 'tomas berg' };
    // Two documents in two different shards, a third in one of theirs.
    const ids = Array.from({ length: 40 }, (_, i) => `rare-${i}`);
    const first = ids[0]!;
    const other = ids.find((d) => shardOf(d) !== shardOf(first))!;
    const same = ids.find((d) => d !== first && shardOf(d) === shardOf(first))!;
    for (const documentId of [first, other, same]) await writePostings(store, SEQ, [{ entity, content: content(documentId, 'Tomas Berg') }]);
    const read = async () => (await documentFrequencies(store, [entity])).get('PER\u0000tomas berg');
    expect(await read()).toEqual({ documents: 3, shards: [shardOf(first), shardOf(other)].sort() });
    // A shard whose postings are all gone is not read again.
    await removePostings(store, other, SEQ, [entity]);
    expect(await read()).toEqual({ documents: 2, shards: [shardOf(first)] });
  });

  it('keeps an index written before the shards exact: its single counter is added in, its removals count down the shards', async () => {
    const entity = { type: 'ORG', key: 'opec' };
    // As the index stood before: three postings and their one counter.
    for (const documentId of ['old-1', 'old-2', 'old-3']) {
      await store.client.send(new PutCommand({ TableName: store.table, Item: { ...keys.posting('ORG', 'opec', documentId), ...content(documentId, 'OPEC'), seq: SEQ } }));
    }
    await store.client.send(new PutCommand({ TableName: store.table, Item: { pk: 'DF#ORG#opec', sk: 'DF', count: 3 } }));
    // Where its postings lie, the single counter does not say: every shard is worth a query.
    expect((await documentFrequencies(store, [entity])).get('ORG\u0000opec')).toEqual({ documents: 3, shards: [0, 1, 2, 3] });

    await removePostings(store, 'old-1', SEQ, [entity]);
    for (const documentId of ['new-1', 'new-2']) await writePostings(store, SEQ, [{ entity, content: content(documentId, 'OPEC') }]);
    expect((await documentFrequencies(store, [entity])).get('ORG\u0000opec')?.documents).toBe(4);
    // An entity nobody wrote stays absent, one whose postings all went is 0.
    await removePostings(store, 'new-1', SEQ, [entity]);
    const frequencies = await documentFrequencies(store, [entity, { type: 'PER', key: 'nobody' }]);
    expect(frequencies.get('ORG\u0000opec')?.documents).toBe(3);
    expect(frequencies.has('PER\u0000nobody')).toBe(false);
  });
});

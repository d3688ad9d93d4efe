/** GET /v1/documents/{id} against dynalite: pages of entities, far under Lambda's 6 MB, each entity once. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENTITIES, documentView, MAX_MENTIONS } from '../../lambdas/documents/view.js';
import type { ResolvedEntity } from '../../lambdas/index/resolve.js';
import { documentIdOf } from '../../lambdas/index/schema.js';
import { writeVersion } from '../../lambdas/index/writes.js';
import { RequestError } from '../../lambdas/shared/errors.js';
import { createIndexTable, startEmulators, type Emulators } from '../../local/emulators.js';

let emulators: Emulators;
let store: { client: DynamoDBDocumentClient; table: string };
const id = documentIdOf('b', 'incoming/big.txt');
// 250 entities; the first has 6,000 mentions, more than one 128 KB chunk holds.
const entities: ResolvedEntity[] = Array.from({ length: 250 }, (_, i) => {
  const name = `Company Number ${i}`;
  const count = i === 0 ? 6000 : 1;
  return { type: 'ORG', name, key: name.toLowerCase(), aliases: [], mentions: Array.from({ length: count }, (_, j) => ({ text: name, type: 'ORG', start: j * 40, end: j * 40 + name.length, score: 0.9 })) };
});

beforeAll(async () => {
  emulators = await startEmulators();
  await createIndexTable(emulators.dynamo, 'index');
  store = { client: DynamoDBDocumentClient.from(emulators.dynamo, { marshallOptions: { removeUndefinedValues: true } }), table: 'index' };
  await writeVersion(store, { documentId: id, bucket: 'b', key: 'incoming/big.txt', sequencer: '01' }, { status: 'indexed', model: { name: 'm', version: '1' }, entities, titleChars: 0, chars: 300_000 });
});
afterAll(async () => {
  await emulators?.stop();
});

describe('documents route', () => {
  it('pages the entities, lists each once even when split over chunks, and bounds the mentions listed', async () => {
    const first = await documentView(store, id);
    expect(first.entities).toHaveLength(DEFAULT_ENTITIES);
    expect(first.entities[0]).toMatchObject({ normalized: 'company number 0', mentionCount: 6000 });
    expect(first.entities[0]!.mentions).toHaveLength(MAX_MENTIONS);
    expect(new Set(first.entities.map((e) => e.normalized)).size).toBe(DEFAULT_ENTITIES);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(1024 * 1024);
    const second = await documentView(store, id, { cursor: first.nextCursor });
    expect(second.entities.map((e) => e.normalized)).toEqual(entities.slice(DEFAULT_ENTITIES).map((e) => e.key));
    expect(second.nextCursor).toBeUndefined();
    const small = await documentView(store, id, { limit: '1' });
    expect(small.entities).toHaveLength(1);
    expect((await documentView(store, id, { limit: '1', cursor: small.nextCursor })).entities[0]!.normalized).toBe('company number 1');
  });

  it("refuses a bad limit or cursor with a 400 that says what is wrong", async () => {
    for (const query of [{ limit: '0' }, { limit: '5000' }, { limit: 'ten' }, { cursor: '!!' }, { cursor: Buffer.from('e-3').toString('base64url') }]) {
      await expect(documentView(store, id, query)).rejects.toBeInstanceOf(RequestError);
    }
  });
});

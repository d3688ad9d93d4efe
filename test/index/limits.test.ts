/**
 * DynamoDB's limits, whatever the document (dynalite enforces them as DynamoDB does):
 * no key over 2 KB, no item over 400 KB.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, normalizeName } from '../../lambdas/index/normalize.js';
import { MAX_MENTION_CHARS, resolveEntities, type Mention } from '../../lambdas/index/resolve.js';
import { keys } from '../../lambdas/index/schema.js';
import { getDocument, getEntities, MAX_READINGS } from '../../lambdas/index/store.js';
import { writeVersion } from '../../lambdas/index/writes.js';
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

const model = { name: 'm', version: '1' };
const mention = (text: string, type = 'ORG', start = 0): Mention => ({ text, type, start, end: start + Array.from(text).length, score: 0.9 });

describe('index limits', () => {
  it('bounds a normalized name, keeping distinct names distinct and the same name the same on both sides', () => {
    const long = 'Quill '.repeat(2000);
    expect(Buffer.byteLength(normalizeName(long))).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(normalizeName(long)).toBe(normalizeName(long));
    expect(normalizeName(long)).not.toBe(normalizeName(`${long}x`));
    expect(normalizeName('Société Générale')).toBe('societe generale');
  });

  it('indexes an entity whose name is 100 KB without a space: keys under 2 KB, items under 400 KB', async () => {
    const huge = `Z${'a'.repeat(100_000)}`;
    const entities = resolveEntities([mention(huge), mention(huge, 'ORG', 200_000)]);
    const version = { documentId: 'dhuge', bucket: 'b', key: 'incoming/huge.txt', sequencer: '01' };
    expect(await writeVersion(store, version, { status: 'indexed', model, entities, titleChars: 0, chars: 300_000 })).toBe('applied');
    const record = (await getDocument(store, 'dhuge'))!;
    const [entity] = (await getEntities(store, record)).entities;
    expect(entity!.mentions.map((m) => [m.start, m.end])).toEqual([[0, 100_001], [200_000, 300_001]]); // offsets exact
    expect(Array.from(entity!.mentions[0]!.text)).toHaveLength(MAX_MENTION_CHARS);
    const posting = await store.client.send(new GetCommand({ TableName: store.table, Key: keys.posting('ORG', entity!.key, 'dhuge') }));
    expect(Buffer.byteLength(JSON.stringify(posting.Item))).toBeLessThan(10_000);
  });

  it('stops a name from learning readings past MAX_READINGS instead of failing every document that mentions it', async () => {
    for (let i = 0; i < MAX_READINGS + 3; i++) {
      // One name ("vale") for many entities: an alias of each.
      const entities = [{ type: 'ORG', name: `Vale Holding ${i}`, key: `vale holding ${i}`, aliases: ['vale'], mentions: [mention(`Vale Holding ${i}`)] }];
      expect(await writeVersion(store, { documentId: `dvale${i}`, bucket: 'b', key: `incoming/vale${i}.txt`, sequencer: '01' }, { status: 'indexed', model, entities, titleChars: 0, chars: 20 })).toBe('applied');
    }
    const name = await store.client.send(new GetCommand({ TableName: store.table, Key: keys.name('vale') }));
    expect((name.Item!.readings as Set<string>).size).toBe(MAX_READINGS);
  });
});

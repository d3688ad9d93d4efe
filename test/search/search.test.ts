/**
 * Hybrid search against an index the batch path wrote (dynalite, real SDK calls, the
 * tiny fixture model on both sides).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processChange, type BatchContext } from '../../lambdas/batch/process.js';
import { documentIdOf, keys, shardOf, SHARDS } from '../../lambdas/index/schema.js';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { loadModel } from '../../lambdas/engine/load.js';
import { MAX_TERMS_READ } from '../../lambdas/search/rank.js';
import { normalizeName } from '../../lambdas/index/normalize.js';
import { writeVersion } from '../../lambdas/index/writes.js';
import { encodeCursor, readSearchRequest } from '../../lambdas/search/request.js';
import { search } from '../../lambdas/search/search.js';
import type { Emulators } from '../../local/emulators.js';
import { batchEnvironment, BUCKET, put } from '../helpers/batch.js';

let emulators: Emulators;
let ctx: BatchContext;
const SECRET = 'test-secret';
const TYPES = ['LOC', 'MISC', 'ORG', 'PER'];
const req = (body: Record<string, unknown>) => readSearchRequest(body, { knownTypes: TYPES, cursorSecret: SECRET });

const DOCS: Record<string, string> = {
  'incoming/1.txt': 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery. Anna Kowalczyk said Halvard Bank would grow.',
  'incoming/2.txt': 'Ravi Mehta visited Osterholm on Friday.',
  'incoming/3.txt': 'Tomas Berg of Quill Corp spoke in Vale. Halvard Bank was not mentioned by Tomas Berg.',
  'incoming/4.txt': 'Mira Osei joined Tessaro Motors in Kestrel Bay.',
};

beforeAll(async () => {
  ({ emulators, ctx } = await batchEnvironment());
  for (const [key, text] of Object.entries(DOCS)) await processChange(ctx, await put(ctx, key, text));
});
afterAll(async () => {
  await ctx?.model.release();
  await emulators?.stop();
});

/** A document written straight to the index, with one entity that opens its text; returns what deletes it. */
async function writeStraight(documentId: string, key: string, text: string, type: string, name: string): Promise<() => Promise<unknown>> {
  const version = { documentId, bucket: BUCKET, key };
  const mention = { text: name, type, start: 0, end: Array.from(name).length, score: 0.9 };
  await writeVersion(ctx.store, { ...version, sequencer: '01' }, {
    status: 'indexed',
    model: ctx.model.model,
    chars: Array.from(text).length,
    snippet: text,
    entities: [{ type, name, key: normalizeName(name), aliases: [], mentions: [mention] }],
    titleChars: 0,
  });
  return () => writeVersion(ctx.store, { ...version, sequencer: '02' }, { status: 'deleted' });
}

describe('search', () => {
  it('ranks documents matching more query entities first, with mentions to highlight', async () => {
    const out = await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk and Ravi Mehta' }));
    expect(out.queryEntities.map((e) => [e.normalized, e.type])).toEqual([
      ['anna kowalczyk', 'PER'],
      ['ravi mehta', 'PER'],
    ]);
    expect(out.results.map((r) => r.key)).toEqual(['incoming/1.txt', 'incoming/2.txt']);
    const first = out.results[0]!;
    expect(first.documentId).toBe(documentIdOf(BUCKET, 'incoming/1.txt'));
    const anna = first.matches.find((m) => m.normalized === 'anna kowalczyk')!;
    expect(anna.mentions.map((m) => Array.from(DOCS['incoming/1.txt']!).slice(m.start, m.end).join(''))).toEqual(['Anna Kowalczyk', 'Anna Kowalczyk']);
    expect(anna.mentionCount).toBe(2);
  });

  it('finds a known entity through the index vocabulary where the model misses it, and says so', async () => {
    const out = await search(ctx.store, ctx.model, req({ query: 'halvard bank news' }));
    const bank = out.queryEntities.find((e) => e.normalized === 'halvard bank')!;
    expect(bank.foundBy).toMatch(/vocabulary/);
    expect(out.results.map((r) => r.key).sort()).toEqual(['incoming/1.txt', 'incoming/3.txt']);
    // Salience: two mentions, the first early, outrank one late mention.
    expect(out.results[0]!.key).toBe('incoming/1.txt');
  });

  it('still matches a document where the name has another type, below those where the type agrees', async () => {
    // A document whose "Ravi Mehta" is a place, written straight to the index.
    const remove = await writeStraight('dmismatch', 'incoming/place.txt', 'Ravi Mehta is a village.', 'LOC', 'Ravi Mehta');
    try {
      const out = await search(ctx.store, ctx.model, req({ query: 'Ravi Mehta' }));
      expect(out.queryEntities.map((e) => e.type)).toEqual(['PER']);
      expect(out.results.map((r) => r.key)).toEqual(['incoming/2.txt', 'incoming/1.txt', 'incoming/place.txt']);
      expect(out.results[2]!.matches.map((m) => m.type)).toEqual(['LOC']);
    } finally {
      await remove();
    }
  });

  it('filters by type, and explains an empty result instead of failing', async () => {
    const filtered = await search(ctx.store, ctx.model, req({ query: 'Ravi Mehta in Osterholm', types: ['LOC'] }));
    expect(filtered.results.map((r) => r.key)).toEqual(['incoming/2.txt']);
    const none = await search(ctx.store, ctx.model, req({ query: 'what is it' }));
    expect(none).toMatchObject({ queryEntities: [], results: [], reason: expect.stringMatching(/no entities found/) });
  });

  it('pages with an opaque cursor and bounds its DynamoDB requests', async () => {
    const page1 = await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk and Ravi Mehta', limit: 1 }));
    expect(page1.results).toHaveLength(1);
    expect(page1.nextOffset).toBe(1);
    const cursor = encodeCursor(page1.nextOffset!, { query: 'Anna Kowalczyk and Ravi Mehta', limit: 1 }, SECRET);
    const page2 = await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk and Ravi Mehta', limit: 1, cursor }));
    expect(page2.results.map((r) => r.key)).toEqual(['incoming/2.txt']);
    expect(page2.nextOffset).toBeUndefined();
    // One BatchGet of names, one of frequencies, the word index's search (no counts: every
    // word is inside an entity the model found), a query per shard that holds an entity's
    // postings (Anna: document 1's; Ravi: documents 1 and 2's; no term postings: the word
    // index holds the words), one BatchGet for the page's records (which also say which word
    // hits are live) and its mentions together.
    const shardsOf = (...keys: string[]) => new Set(keys.map((k) => shardOf(documentIdOf(BUCKET, k)))).size;
    expect(page1.requests).toBe(1 + 1 + 1 + shardsOf('incoming/1.txt') + shardsOf('incoming/1.txt', 'incoming/2.txt') + 1);
  });

  it('keeps a long query with many entities to a bounded number of requests', async () => {
    const query = Object.values(DOCS).join(' ').slice(0, 480);
    const out = await search(ctx.store, ctx.model, req({ query, limit: 50 }));
    expect(out.queryEntities.length).toBeGreaterThan(5);
    expect(out.results.length).toBe(4);
    // Names and frequencies (up to 100 keys a BatchGet), 16 entities and 4 words, the page's records and mentions (100 keys a BatchGet).
    expect(out.requests).toBeLessThanOrEqual(2 + 2 + (16 + MAX_TERMS_READ) * SHARDS + Math.ceil((50 + 50 * 16) / 100));
  });

  it('leaves out of the page a document whose record went after its postings were read, and names the rest from theirs', async () => {
    const remove = await writeStraight('dgone', 'incoming/gone.txt', 'Mira Osei spoke.', 'PER', 'Mira Osei');
    const before = await search(ctx.store, ctx.model, req({ query: 'Mira Osei' }));
    expect(before.results.map((r) => r.key).sort()).toEqual(['incoming/4.txt', 'incoming/gone.txt']);
    expect(before.results.find((r) => r.key === 'incoming/gone.txt')!.matches[0]).toMatchObject({ text: 'Mira Osei', mentionCount: 1 });
    // Its record removed, its posting left (as a search between the two would see them).
    await ctx.store.client.send(new DeleteCommand({ TableName: ctx.store.table, Key: keys.document('dgone') }));
    try {
      const after = await search(ctx.store, ctx.model, req({ query: 'Mira Osei' }));
      expect(after.results.map((r) => r.key)).toEqual(['incoming/4.txt']);
    } finally {
      await remove();
    }
  });

  it('finds in the vocabulary a name the model found that is longer than any n-gram (a second BatchGet, after the model)', async () => {
    // The shipped small model tags the six words as one ORG; the n-grams asked while it runs stop at four.
    const small = await loadModel('small');
    const remove = await writeStraight('dfed', 'incoming/fed.txt', 'Federal Reserve Bank of New York raised its rate.', 'ORG', 'Federal Reserve Bank of New York');
    try {
      const out = await search(ctx.store, small, req({ query: 'Federal Reserve Bank of New York' }));
      expect(out.queryEntities).toEqual([expect.objectContaining({ normalized: 'federal reserve bank of new york', type: 'ORG', foundBy: 'model+vocabulary' })]);
      expect(out.results[0]?.key).toBe('incoming/fed.txt');
    } finally {
      await remove();
      await small.release();
    }
  });

  it('refuses bad requests with a message naming the problem', () => {
    const cases: Array<[Record<string, unknown>, RegExp, number]> = [
      [{}, /"query" is required/, 400],
      [{ query: 42 }, /must be a string, got number/, 400],
      [{ query: '   ' }, /empty or only white space/, 400],
      [{ query: 'x'.repeat(501) }, /longer than 500 characters/, 413],
      [{ query: 'x', limit: 0 }, /"limit" must be an integer from 1 to 50, got 0/, 400],
      [{ query: 'x', limit: '5' }, /"limit" must be an integer/, 400],
      [{ query: 'x', types: ['PLANET'] }, /unknown entity type "PLANET"; known types are LOC, MISC, ORG, PER/, 400],
      [{ query: 'x', cursor: 'garbage' }, /must be a cursor returned as nextCursor/, 400],
      [{ query: 'x', filters: ['LOC'] }, /"filters" must be an object/, 400],
      [{ query: 'x', filters: { PLANET: ['mars'] } }, /"filters" has unknown entity type "PLANET"/, 400],
      [{ query: 'x', filters: { LOC: 'tokyo' } }, /"filters.LOC" must be a non-empty array/, 400],
      [{ query: 'x', filters: { LOC: [42] } }, /"filters.LOC"\[0\] must be a string, got number/, 400],
      [{ query: 'x', filters: { LOC: Array.from({ length: 11 }, (_, i) => `p${i}`) } }, /"filters.LOC" has 11 values, more than the 10/, 400],
      [{ query: 'x', filters: { LOC: ['...'] } }, /"filters.LOC"\[0\] has no letters or digits/, 400],
      [{ query: 'x', filters: {} }, /"filters" is empty/, 400],
      [{ query: 'x', facets: 'yes' }, /"facets" must be true or false, got "yes"/, 400],
      [{ query: 'x', facets: 1 }, /"facets" must be true or false, got number/, 400],
      [{ query: 'x', filters: { LOC: ['tokyo'] }, cursor: encodeCursor(5, { query: 'x', limit: 10 }, SECRET) }, /issued for other "filters"/, 400],
      [{ query: 'x', cursor: encodeCursor(5, { query: 'x', limit: 10 }, 'another-secret') }, /altered or comes from another deployment/, 400],
      [{ query: 'x', cursor: encodeCursor(5, { query: 'y', limit: 10 }, SECRET) }, /belongs to a different query/, 400],
    ];
    for (const [body, message, status] of cases) {
      try {
        req(body);
        expect.fail(`accepted ${JSON.stringify(body).slice(0, 60)}`);
      } catch (e) {
        expect((e as { status: number }).status).toBe(status);
        expect((e as Error).message).toMatch(message);
      }
    }
  });
});

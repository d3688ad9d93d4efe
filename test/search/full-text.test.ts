/**
 * Search with the word index (lambdas/words, the local engine): every word of a document
 * finds it, not only its salient terms; hits of versions the index has replaced, or of
 * documents that failed, never reach a result; a word index that does not answer leaves
 * the entities' results, and the response says so.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processChange, type BatchContext } from '../../lambdas/batch/process.js';
import { documentIdOf, fenceOf } from '../../lambdas/index/schema.js';
import { documentTerms, TERM_TYPE } from '../../lambdas/index/terms.js';
import { readSearchRequest } from '../../lambdas/search/request.js';
import { search } from '../../lambdas/search/search.js';
import { OpenSearchWords } from '../../lambdas/words/opensearch.js';
import type { Emulators } from '../../local/emulators.js';
import { batchEnvironment, BUCKET, put } from '../helpers/batch.js';
import { writeCrafted } from '../helpers/crafted-index.js';

let emulators: Emulators;
let ctx: BatchContext;
const req = (body: Record<string, unknown>) => readSearchRequest(body, { knownTypes: ['LOC', 'MISC', 'ORG', 'PER'], cursorSecret: 's' });
const keys = (out: { results: Array<{ key: string }> }) => out.results.map((r) => r.key);

// A long story whose 40-odd salient words crowd out "zephyrine", said once, late, in lower case.
const FILLER = Array.from({ length: 45 }, (_, i) => `Delegate${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} voted twice and Delegate${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} spoke.`).join(' ');
const LONG = `Council session in Port Avery. ${FILLER} The hall smelled of zephyrine afterwards.`;

beforeAll(async () => {
  ({ emulators, ctx } = await batchEnvironment());
  // Entities chosen here, not by the tiny model (which tags odd words): the long story has none.
  await writeCrafted(ctx, 'long', LONG, []);
  await writeCrafted(ctx, 'anna', 'Anna Kowalczyk of Halvard Bank met Ravi Mehta in Port Avery.', [['PER', 'Anna Kowalczyk'], ['ORG', 'Halvard Bank'], ['PER', 'Ravi Mehta']]);
});
afterAll(async () => {
  await ctx?.model.release();
  await emulators?.stop();
});

describe('search with the word index', () => {
  it('finds a document by a word that is neither an entity nor one of its salient terms', async () => {
    expect(documentTerms(LONG, 0).map((t) => t.term)).not.toContain('zephyrine'); // what DynamoDB alone would hold
    const out = await search(ctx.store, ctx.model, req({ query: 'zephyrine' }));
    expect(keys(out)).toEqual(['incoming/long.txt']);
    expect(out.results[0]!.matches).toEqual([]);
    expect(out.reason).toMatch(/these results match its words/);
    // The same index without its word index: nothing leads there.
    const without = await search({ ...ctx.store, words: undefined }, ctx.model, req({ query: 'zephyrine' }));
    expect(keys(without)).toEqual([]);
  });

  it('posts no terms where the word index holds the words', async () => {
    const items = await ctx.store.client.send(new ScanCommand({ TableName: ctx.store.table }));
    const pks = (items.Items ?? []).map((i) => String(i.pk));
    expect(pks.some((pk) => pk.startsWith('POST#PER#'))).toBe(true);
    expect(pks.filter((pk) => pk.includes(TERM_TYPE))).toEqual([]);
  });

  it('says the query\'s entities match nothing, rather than that it has none, when only its words lead somewhere', async () => {
    const out = await search(ctx.store, ctx.model, req({ query: 'Council session' }));
    expect(out.queryEntities.length).toBeGreaterThan(0); // the tiny model tags it; no document has it as an entity
    expect(keys(out)).toEqual(['incoming/long.txt']);
    expect(out.reason).toMatch(/no indexed document mentions the query's entities: these results match its words/);
  });

  it('ranks the entities\' documents first and adds the documents only the words lead to after them', async () => {
    const out = await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk council session' }));
    expect(keys(out)).toEqual(['incoming/anna.txt', 'incoming/long.txt']);
    expect(out.results[0]!.matches.map((m) => m.normalized)).toContain('anna kowalczyk');
    expect(out.results[1]!.matches).toEqual([]);
    // Restricted to a type, only documents that match a query entity of it.
    const typed = await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk council session', types: ['PER'] }));
    expect(keys(typed)).toEqual(['incoming/anna.txt']);
  });

  it('keeps only hits of the live version: not a replaced version\'s words, not a failed document\'s', async () => {
    const words = ctx.store.words!;
    const anna = 'anna';
    // Words a dead writer of an older version left behind.
    await words.write({ documentId: anna, seq: fenceOf('0001'), text: 'quixotic windmills' });
    expect((await words.search('quixotic', 10)).hits.map((h) => h.documentId)).toEqual([anna]);
    const stale = await search(ctx.store, ctx.model, req({ query: 'quixotic' }));
    expect(keys(stale)).toEqual([]);
    expect(stale.reason).toMatch(/^no indexed document/); // not "these results match its words"
    // A document that failed keeps no words, and stray words of it are not a result either.
    const failed = await put(ctx, 'incoming/bad.txt', new Uint8Array([0xff, 0x00, 0xfe, 0x00, 0x01, 0x02, 0x00, 0x00]));
    expect(await processChange(ctx, failed)).toBe('failed');
    await words.write({ documentId: documentIdOf(BUCKET, 'incoming/bad.txt'), seq: fenceOf(failed.sequencer), text: 'quixotic' });
    expect(keys(await search(ctx.store, ctx.model, req({ query: 'quixotic' })))).toEqual([]);
  });

  it('a new version replaces the words of the old one, and a deleted document loses them', async () => {
    await processChange(ctx, await put(ctx, 'incoming/v.txt', 'The marmalade was bitter.'));
    expect(keys(await search(ctx.store, ctx.model, req({ query: 'marmalade' })))).toEqual(['incoming/v.txt']);
    await processChange(ctx, await put(ctx, 'incoming/v.txt', 'The lemonade was sweet.'));
    expect(keys(await search(ctx.store, ctx.model, req({ query: 'marmalade' })))).toEqual([]);
    expect(keys(await search(ctx.store, ctx.model, req({ query: 'lemonade' })))).toEqual(['incoming/v.txt']);
    const id = documentIdOf(BUCKET, 'incoming/v.txt');
    expect((await ctx.store.words!.search('lemonade marmalade', 10)).hits.filter((h) => h.documentId === id)).toHaveLength(1);
  });

  it('goes on without a word index that does not answer, and says so', async () => {
    const down = new OpenSearchWords({ endpoint: 'http://127.0.0.1:9', index: 'w', timeoutMs: 500 });
    const out = await search({ ...ctx.store, words: down }, ctx.model, req({ query: 'Anna Kowalczyk' }));
    expect(keys(out)).toEqual(['incoming/anna.txt']);
    expect(out.reason).toMatch(/word index did not answer/);
    expect(out.wordsUnavailable).toBe(true); // for the handler's warning and metric
    expect((await search(ctx.store, ctx.model, req({ query: 'Anna Kowalczyk' }))).wordsUnavailable).toBeUndefined();
  });
});

/**
 * What the query says beside its entities, on an index written through the write
 * protocol with chosen entities: a common word the vocabulary knows as a name becomes a
 * query entity only on evidence; the other words rerank and stand in; filters and facets.
 * Each with the word index and without one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../../lambdas/batch/process.js';
import { readSearchRequest } from '../../lambdas/search/request.js';
import { search } from '../../lambdas/search/search.js';
import type { Emulators } from '../../local/emulators.js';
import { batchEnvironment } from '../helpers/batch.js';
import { writeCrafted } from '../helpers/crafted-index.js';

const req = (body: Record<string, unknown>) => readSearchRequest(body, { knownTypes: ['LOC', 'MISC', 'ORG', 'PER'], cursorSecret: 's' });
const keysOf = (out: { results: Array<{ key: string }> }) => out.results.map((r) => r.key.replace(/^incoming\/|\.txt$/g, ''));

// With a word index, words' frequencies come from it and no term is posted; without one, from the term postings' counters.
describe.each([
  ['with the word index', true],
  ['without a word index (term postings)', false],
])('%s', (_, words) => {
  let emulators: Emulators;
  let ctx: BatchContext;

  beforeAll(async () => {
    ({ emulators, ctx } = await batchEnvironment({ words }));
    await writeCrafted(ctx, 'd000000000000000000000001', 'Reagan signed the trade bill. Reagan said the trade bill helps exporters.', [['PER', 'Reagan']]);
    await writeCrafted(ctx, 'd000000000000000000000002', 'Reagan met Nakasone in Tokyo about rice imports.', [['PER', 'Reagan'], ['PER', 'Nakasone'], ['LOC', 'Tokyo']]);
    await writeCrafted(ctx, 'd000000000000000000000003', 'Reagan vetoed a farm bill on Tuesday.', [['PER', 'Reagan']]);
    // A person named Bill puts "bill" into the vocabulary.
    await writeCrafted(ctx, 'd000000000000000000000004', 'Bill spoke to farmers in Kansas.', [['PER', 'Bill'], ['LOC', 'Kansas']]);
    for (const n of [5, 6, 7]) await writeCrafted(ctx, `d00000000000000000000000${n}`, `The Senate bill number ${n} on trade passed easily.`, []);
  });
  afterAll(async () => {
    await ctx?.model.release();
    await emulators?.stop();
  });

  describe('the words of a query', () => {
    it('takes a common word the vocabulary knows as a name for a word, without evidence, and ranks by it', async () => {
      const out = await search(ctx.store, ctx.model, req({ query: 'reagan trade bill' }));
      expect(out.queryEntities.map((e) => e.normalized)).toEqual(['reagan']);
      expect(out.queryTerms).toEqual(['trade', 'bill']);
      // Reagan's stories first, those with more of the query's words before the others; then the word-only ones.
      expect(keysOf(out).slice(0, 3)).toEqual(['d000000000000000000000001', 'd000000000000000000000003', 'd000000000000000000000002']);
      expect(out.results[0]!.terms).toEqual(expect.arrayContaining(['trade', 'bill']));
      expect(out.results.flatMap((r) => r.matches.map((m) => m.normalized))).not.toContain('bill');
    });

    it('takes it for the name when the user writes it as one', async () => {
      const out = await search(ctx.store, ctx.model, req({ query: 'reagan trade Bill' }));
      expect(out.queryEntities.map((e) => e.normalized)).toContain('bill');
      expect(out.results.find((r) => r.key.includes('0004'))!.matches.map((m) => m.normalized)).toEqual(['bill']);
    });

    it('answers a query without entities from its words, and says so', async () => {
      const out = await search(ctx.store, ctx.model, req({ query: 'senate passed' }));
      expect(out.queryEntities).toEqual([]);
      expect(keysOf(out).sort()).toEqual(['d000000000000000000000005', 'd000000000000000000000006', 'd000000000000000000000007']);
      expect(out.reason).toMatch(/these results match its words/);
    });
  });

  describe('filters and facets', () => {
    it('keeps only documents that hold a filter entity, matched through normalization', async () => {
      const out = await search(ctx.store, ctx.model, req({ query: 'reagan', filters: { LOC: ['TOKYO'] } }));
      expect(keysOf(out)).toEqual(['d000000000000000000000002']);
      const none = await search(ctx.store, ctx.model, req({ query: 'reagan', filters: { LOC: ['kansas'] } }));
      expect(none.results).toEqual([]);
      expect(none.reason).toMatch(/filters/);
    });

    it('counts the most frequent entities of each type among the matching documents', async () => {
      const out = await search(ctx.store, ctx.model, req({ query: 'reagan', facets: true }));
      expect(out.facets!.PER!.slice(0, 2)).toEqual([{ value: 'reagan', count: 3 }, { value: 'nakasone', count: 1 }]);
      expect(out.facets!.LOC).toEqual([{ value: 'tokyo', count: 1 }]);
      const plain = await search(ctx.store, ctx.model, req({ query: 'reagan' }));
      expect(plain.facets).toBeUndefined();
    });
  });
});

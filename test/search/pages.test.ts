/**
 * Stable pages: walking a search page by page through its cursors gives one ranking,
 * without a repeat or a gap, for queries of one to three entities, on an index where
 * candidates tie (the same entities at the same ranks in every document) and are more
 * than one shard read holds, so ties straddle both the page boundaries and the depth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchContext } from '../../lambdas/batch/process.js';
import { SHARDS } from '../../lambdas/index/schema.js';
import { DEPTH, depthFor, POSTINGS_BUDGET } from '../../lambdas/search/rank.js';
import { encodeCursor, readSearchRequest } from '../../lambdas/search/request.js';
import { search } from '../../lambdas/search/search.js';
import type { Emulators } from '../../local/emulators.js';
import { batchEnvironment } from '../helpers/batch.js';
import { writeCrafted } from '../helpers/crafted-index.js';

let emulators: Emulators;
let ctx: BatchContext;
const SECRET = 's';
const req = (body: Record<string, unknown>) => readSearchRequest(body, { knownTypes: ['LOC', 'MISC', 'ORG', 'PER'], cursorSecret: SECRET });
// More documents with the first entity than the shards' reads hold together.
const DOCUMENTS = SHARDS * DEPTH + 40;
const NAMES = ['Zora Quint', 'Lio Varga', 'Pim Oakes'] as const;

beforeAll(async () => {
  ({ emulators, ctx } = await batchEnvironment());
  for (let i = 0; i < DOCUMENTS; i++) {
    // Every document has Zora Quint, one in two Lio Varga, one in three Pim Oakes: ties within each group.
    const names = NAMES.filter((_, n) => i % (n + 1) === 0);
    await writeCrafted(ctx, `d${i.toString(16).padStart(24, '0')}`, `${names.join(' and ')} met.`, names.map((n) => ['PER', n] as const));
  }
}, 300_000);
afterAll(async () => {
  await ctx?.model.release();
  await emulators?.stop();
});

/** Every result of a search, page after page through nextCursor. */
async function walk(query: string, limit: number): Promise<Array<{ documentId: string; score: number }>> {
  const out: Array<{ documentId: string; score: number }> = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const request = req({ query, limit, ...(cursor ? { cursor } : {}) });
    const res = await search(ctx.store, ctx.model, request);
    out.push(...res.results.map((r) => ({ documentId: r.documentId, score: r.score })));
    if (res.nextOffset === undefined) return out;
    cursor = encodeCursor(res.nextOffset, request, SECRET);
  }
  throw new Error('more than 100 pages');
}

describe('pages', () => {
  for (const entities of [1, 2, 3]) {
    it(`never repeat or skip a document for a query of ${entities} entit${entities > 1 ? 'ies' : 'y'}`, async () => {
      const query = NAMES.slice(0, entities).join(' and ');
      const byPages = await walk(query, 7);
      const ids = byPages.map((r) => r.documentId);
      expect(new Set(ids).size).toBe(ids.length);
      // The ranking cut into pages of 7 is the ranking cut into pages of 50.
      expect(ids).toEqual((await walk(query, 50)).map((r) => r.documentId));
      // Ties straddle page boundaries: a page's last score equals the next page's first.
      expect(byPages[6]!.score).toBe(byPages[7]!.score);
      expect(ids.length).toBeGreaterThanOrEqual(Math.min(DOCUMENTS, SHARDS * depthFor(entities)) * 0.9);
    });
  }
});

describe('what a search reads', () => {
  it('one or two entities: DEPTH postings from each shard; three: the budget shared, never more than POSTINGS_BUDGET in all', async () => {
    expect([1, 2, 3, 4].map(depthFor)).toEqual([DEPTH, DEPTH, Math.floor(POSTINGS_BUDGET / (3 * SHARDS)), Math.floor(POSTINGS_BUDGET / (4 * SHARDS))]);
    let postings = 0;
    const counting = 'count postings read';
    ctx.store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'QueryCommand') postings += ((out.output as { Items?: unknown[] }).Items ?? []).length;
        return out;
      },
      { step: 'initialize', name: counting },
    );
    try {
      const read = async (query: string) => {
        postings = 0;
        await search(ctx.store, ctx.model, req({ query, limit: 10 }));
        return postings;
      };
      // Every document has Zora Quint (more than the shards' reads hold), half Lio Varga, a third Pim Oakes.
      expect(await read('Zora Quint')).toBe(SHARDS * DEPTH);
      expect(await read(NAMES.join(' and '))).toBeLessThanOrEqual(POSTINGS_BUDGET);
      expect(await read(NAMES.join(' and '))).toBeGreaterThan(2 * SHARDS * depthFor(3));
    } finally {
      ctx.store.client.middlewareStack.remove(counting);
    }
  });
});

describe('what of a posting a search reads', () => {
  it("a document's entities only for filters or facets, its terms only for a query with words of its own", async () => {
    let read: string[][] = [];
    const watching = 'posting attributes read';
    ctx.store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') read.push(Object.values((args.input as { ExpressionAttributeNames?: Record<string, string> }).ExpressionAttributeNames ?? {}));
        return next(args);
      },
      { step: 'initialize', name: watching },
    );
    try {
      const contextRead = async (body: Record<string, unknown>) => {
        read = [];
        const res = await search(ctx.store, ctx.model, req({ limit: 10, ...body }));
        expect(read.length).toBeGreaterThan(0);
        return { res, attributes: [...new Set(read.flat())].filter((a) => a === 'docEntities' || a === 'docTerms').sort() };
      };
      const plain = await contextRead({ query: 'Zora Quint' });
      expect(plain.attributes).toEqual([]);
      const faceted = await contextRead({ query: 'Zora Quint', facets: true });
      expect(faceted.attributes).toEqual(['docEntities']);
      expect(faceted.res.facets?.PER?.map((f) => f.value)).toContain('lio varga'); // read, and counted
      expect((await contextRead({ query: 'Zora Quint', filters: { PER: ['pim oakes'] } })).attributes).toEqual(['docEntities']);
      const worded = await contextRead({ query: 'meetings with Zora Quint' });
      expect(worded.res.queryTerms).toEqual(['meetings']);
      expect(worded.attributes).toEqual(['docTerms']);
      // The same ranking whatever is read beside it.
      expect(faceted.res.results.map((r) => r.documentId)).toEqual(plain.res.results.map((r) => r.documentId));
    } finally {
      ctx.store.client.middlewareStack.remove(watching);
    }
  });
});

/**
 * Step 1, beside the entities: the documents the query's words point to, and how many
 * documents hold each word, from the word index (lambdas/words): the hits (BM25, for the
 * ranking), asked at once, and the counts (quick), asked when something weighs them. A
 * hit counts only where it is its document's live version (the record's `seq`, indexed),
 * checked by one BatchGet of the records, which runs beside the postings reads: words a
 * crashed writer left, or a version the index has since replaced, never reach a result.
 * Without a word index, search goes on with the entities and the term postings of the
 * documents' salient terms; with one that does not answer, with the entities alone, and
 * says so.
 */
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { batchGet } from '../index/dynamo.js';
import { keys, parseKey } from '../index/schema.js';

/** Word hits one search reads: as deep as a shard's postings (rank.ts DEPTH), so every page ranks the same candidates. */
export const WORD_HITS = 50;

export interface WordCandidate {
  readonly documentId: string;
  /** BM25 of the query's words in the document. */
  readonly score: number;
}

export interface WordCandidates {
  /** By document id, best first; undefined without a word index, or when it did not answer. */
  readonly documents?: Map<string, WordCandidate>;
  /** The word index was configured and did not answer (the handler logs it and counts it as a metric). */
  readonly unavailable: boolean;
}

/**
 * The documents the query's words point to, from the word index's hits (BM25), asked at
 * once; their live documents (the records' BatchGet) are what the ranking awaits, beside
 * the postings.
 */
export function wordHits(store: IndexStore, query: string, counter: RequestCounter): Promise<WordCandidates> {
  if (!store.words) return Promise.resolve({ unavailable: false });
  counter.requests++;
  const candidates = store.words.search(query, WORD_HITS).then(
    async ({ hits }): Promise<WordCandidates> => ({ documents: await liveHits(store, hits, counter), unavailable: false }),
    (): WordCandidates => ({ unavailable: true }),
  );
  candidates.catch(() => {}); // awaited by the ranking; a DynamoDB failure surfaces there, not as an unhandled rejection
  return candidates;
}

export interface WordCounts {
  /** Documents holding each word (terms.ts); undefined without a word index, or when it did not answer. */
  readonly frequencies?: ReadonlyMap<string, number>;
  readonly unavailable: boolean;
}

/** How many documents hold each word, over the whole word index: one request, which runs no search. */
export async function wordCounts(store: IndexStore, words: readonly string[], counter: RequestCounter): Promise<WordCounts> {
  if (!store.words) return { unavailable: false };
  counter.requests++;
  try {
    return { frequencies: await store.words.count(words), unavailable: false };
  } catch {
    return { unavailable: true };
  }
}

/** Hits whose document's record is indexed at the hit's very version, best first, by document id. */
async function liveHits(store: IndexStore, hits: ReadonlyArray<{ documentId: string; seq: string; score: number }>, counter: RequestCounter): Promise<Map<string, WordCandidate>> {
  const records = await batchGet(store, hits.map((h) => keys.document(h.documentId)), ['pk', 'status', 'seq'], counter);
  const live = new Map(records.filter((r) => r.status === 'indexed').map((r) => [parseKey.document(r.pk as string), r]));
  const documents = new Map<string, WordCandidate>();
  for (const h of hits) {
    const record = live.get(h.documentId);
    if (!record || record.seq !== h.seq || documents.has(h.documentId)) continue;
    documents.set(h.documentId, { documentId: h.documentId, score: h.score });
  }
  return documents;
}

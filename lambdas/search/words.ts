/**
 * Step 1, beside the entities: the documents the query's words point to, and how many
 * documents hold each word, from the word index (lambdas/words), in one request asked at
 * once: the hits (BM25, for the ranking) and the counts (for the evidence and the ranking). A
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

export interface WordAnswer {
  /** The query's words' counts, as soon as the engine answers. */
  readonly counts: Promise<WordCounts>;
  /** Its hits that are their documents' live versions, once the records' BatchGet is back. */
  readonly candidates: Promise<WordCandidates>;
}

/**
 * One request to the word index, asked at once: its hits for the query (BM25, for the
 * ranking) and how many documents hold each of `counted` (quick, for the evidence and the
 * ranking). The hits' live documents (the records' BatchGet) are what the ranking awaits,
 * beside the postings.
 */
export function askWords(store: IndexStore, query: string, counted: readonly string[], counter: RequestCounter): WordAnswer {
  if (!store.words) return { counts: Promise.resolve({ unavailable: false }), candidates: Promise.resolve({ unavailable: false }) };
  counter.requests++;
  const asked = store.words.search(query, WORD_HITS, counted);
  const counts = asked.then(
    ({ frequencies }): WordCounts => ({ frequencies, unavailable: false }),
    (): WordCounts => ({ unavailable: true }),
  );
  const candidates = asked.then(
    async ({ hits }): Promise<WordCandidates> => ({ documents: await liveHits(store, hits, counter), unavailable: false }),
    (): WordCandidates => ({ unavailable: true }),
  );
  candidates.catch(() => {}); // awaited by the ranking; a DynamoDB failure surfaces there, not as an unhandled rejection
  return { counts, candidates };
}

export interface WordCounts {
  /** Documents holding each word (terms.ts); undefined without a word index, or when it did not answer. */
  readonly frequencies?: ReadonlyMap<string, number>;
  readonly unavailable: boolean;
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

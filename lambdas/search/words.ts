/**
 * Step 1, beside the entities: the documents the query's words point to, and how many
 * documents hold each word, from the word index (lambdas/words), one request. A hit
 * counts only where it is its document's live version (the record's `seq`, indexed),
 * checked by one BatchGet of the records, which runs beside the postings reads: words a crashed writer left, or a version the
 * index has since replaced, never reach a result. Without a word index, search goes on
 * with the entities and the term postings of the documents' salient terms; with one that
 * does not answer, with the entities alone, and says so.
 */
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { batchGet } from '../index/dynamo.js';
import { keys, parseKey } from '../index/schema.js';
import { wordsOf } from '../index/terms.js';

/** Word hits one search reads: as deep as a shard's postings (rank.ts DEPTH), so every page ranks the same candidates. */
export const WORD_HITS = 50;

export interface WordCandidate {
  readonly documentId: string;
  readonly s3Key: string;
  readonly line?: number;
  /** BM25 of the query's words in the document. */
  readonly score: number;
}

export interface WordCandidates {
  /** By document id, best first; undefined without a word index, or when it did not answer. */
  readonly documents?: Map<string, WordCandidate>;
  /** Documents holding each of the query's words (terms.ts), from the same request; undefined as `documents` is. */
  readonly frequencies?: ReadonlyMap<string, number>;
  /** The word index was configured and did not answer (the handler logs it and counts it as a metric). */
  readonly unavailable: boolean;
}

/**
 * The word index's answer: its hits and the words' frequencies at once (what the evidence
 * step needs), and the hits' live documents behind a promise of their own, so that the
 * postings reads start without waiting for the records' BatchGet.
 */
export interface WordSearch {
  readonly frequencies?: ReadonlyMap<string, number>;
  readonly unavailable: boolean;
  /** The live hits (`documents` of WordCandidates), once their records are read. */
  readonly candidates: Promise<WordCandidates>;
}

export async function searchWords(store: IndexStore, query: string, counter: RequestCounter): Promise<WordSearch> {
  const none = (unavailable: boolean): WordSearch => ({ unavailable, candidates: Promise.resolve({ unavailable }) });
  if (!store.words) return none(false);
  let hits, frequencies;
  try {
    counter.requests++;
    ({ hits, frequencies } = await store.words.search(query, WORD_HITS, [...new Set(wordsOf(query).map((w) => w.term))]));
  } catch {
    return none(true);
  }
  const candidates = liveHits(store, hits, counter).then((documents) => ({ documents, frequencies, unavailable: false }));
  candidates.catch(() => {}); // awaited by the ranking; a failure surfaces there, not as an unhandled rejection
  return { frequencies, unavailable: false, candidates };
}

/** Hits whose document's record is indexed at the hit's very version, best first, by document id. */
async function liveHits(store: IndexStore, hits: ReadonlyArray<{ documentId: string; seq: string; score: number }>, counter: RequestCounter): Promise<Map<string, WordCandidate>> {
  const records = await batchGet(store, hits.map((h) => keys.document(h.documentId)), ['pk', 'status', 'seq', 'key', 'line'], counter);
  const live = new Map(records.filter((r) => r.status === 'indexed').map((r) => [parseKey.document(r.pk as string), r]));
  const documents = new Map<string, WordCandidate>();
  for (const h of hits) {
    const record = live.get(h.documentId);
    if (!record || record.seq !== h.seq || documents.has(h.documentId)) continue;
    documents.set(h.documentId, { documentId: h.documentId, s3Key: record.key as string, ...(record.line !== undefined ? { line: record.line as number } : {}), score: h.score });
  }
  return documents;
}

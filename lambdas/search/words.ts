/**
 * Step 1, beside the entities: the documents the query's words point to, and how many
 * documents hold each word, from the word index (lambdas/words), in one request asked at
 * once: the hits (BM25, for the ranking) and the counts (for the evidence and the ranking).
 * The word index holds a version's words from before its record is written until the
 * clean-up after the next one (words.ts), so a hit names the version (`seq`) it is of: a
 * hit reaches a result only where that is its document's live version, which the page's
 * one BatchGet of its records checks (search.ts fillPage). A request per search saved, the
 * largest BatchGet it made (a record a hit), at the price of a page one short where a
 * crashed writer's words rank among its documents, until they are cleaned up.
 * Without a word index, search goes on with the entities and the term postings of the
 * documents' salient terms; with one that does not answer, with the entities alone, and
 * says so.
 */
import type { IndexStore, RequestCounter } from '../index/dynamo.js';

/** Word hits one search reads: as deep as a shard's postings (rank.ts DEPTH), so every page ranks the same candidates. */
export const WORD_HITS = 50;

export interface WordCandidate {
  readonly documentId: string;
  /** BM25 of the query's words in the document (its best version's, where the index holds two). */
  readonly score: number;
  /** The versions (`seq`) of the document the hits are of: a result only where one is its record's. */
  readonly versions: readonly string[];
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
  /** Its hits, a candidate a document. */
  readonly candidates: Promise<WordCandidates>;
}

/**
 * One request to the word index, asked at once: its hits for the query (BM25, for the
 * ranking) and how many documents hold each of `counted` (quick, for the evidence and the
 * ranking). The hits are what the ranking awaits, beside the postings.
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
    ({ hits }): WordCandidates => ({ documents: byDocument(hits), unavailable: false }),
    (): WordCandidates => ({ unavailable: true }),
  );
  return { counts, candidates };
}

export interface WordCounts {
  /** Documents holding each word (terms.ts); undefined without a word index, or when it did not answer. */
  readonly frequencies?: ReadonlyMap<string, number>;
  readonly unavailable: boolean;
}

/** Hits by document, best first: a document's versions together, at its best version's score. */
function byDocument(hits: ReadonlyArray<{ documentId: string; seq: string; score: number }>): Map<string, WordCandidate> {
  const documents = new Map<string, WordCandidate>();
  for (const h of hits) {
    const known = documents.get(h.documentId);
    documents.set(h.documentId, known ? { ...known, versions: [...known.versions, h.seq] } : { documentId: h.documentId, score: h.score, versions: [h.seq] });
  }
  return documents;
}

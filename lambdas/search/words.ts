/**
 * Step 1, beside the entities: the documents the query's words point to, and how many
 * documents hold each word, from the word index (lambdas/words): two requests at once, the
 * counts (quick: the evidence step waits for them) and the hits (BM25, for the ranking). A
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
  /** The word index was configured and did not answer (the handler logs it and counts it as a metric). */
  readonly unavailable: boolean;
}

/**
 * The word index asked twice at once: for the query's words' counts (what the evidence step
 * needs before the postings are chosen; the engine runs no search for them), and for its
 * hits, whose live documents (their records' BatchGet) the ranking awaits beside the postings.
 */
export interface WordSearch {
  /** Documents holding each of the query's words (terms.ts); undefined as `documents` is, or when the counts did not come. */
  readonly frequencies?: ReadonlyMap<string, number>;
  /** The counts did not come: the word index was configured and did not answer. */
  readonly unavailable: boolean;
  /** The live hits, once their records are read. */
  readonly candidates: Promise<WordCandidates>;
}

export async function searchWords(store: IndexStore, query: string, counter: RequestCounter): Promise<WordSearch> {
  if (!store.words) return { unavailable: false, candidates: Promise.resolve({ unavailable: false }) };
  const words = store.words;
  const terms = [...new Set(wordsOf(query).map((w) => w.term))];
  counter.requests += terms.length > 0 ? 2 : 1;
  const candidates = words.search(query, WORD_HITS).then(
    async ({ hits }): Promise<WordCandidates> => ({ documents: await liveHits(store, hits, counter), unavailable: false }),
    (): WordCandidates => ({ unavailable: true }),
  );
  candidates.catch(() => {}); // awaited by the ranking; a DynamoDB failure surfaces there, not as an unhandled rejection
  try {
    return { frequencies: terms.length > 0 ? await words.count(terms) : new Map(), unavailable: false, candidates };
  } catch {
    return { unavailable: true, candidates };
  }
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

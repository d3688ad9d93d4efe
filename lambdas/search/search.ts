/**
 * Hybrid search: entities found in the query (by the small model, and by matching the
 * query against the index's own vocabulary of names and aliases, on evidence) are looked
 * up in the postings the batch path wrote, the query's other words rerank what they find
 * and stand in when they find nothing, and documents are ranked:
 *
 * 1. more matched query entities first;
 * 2. then more of the query's other words among the document's salient terms;
 * 3. then the sum, over matched entities, of rarity × salience × type agreement, where
 *    rarity = 1 / log2(2 + document frequency) (rarer entities weigh more), salience is
 *    the posting's rank (more mentions, earlier, in the title), and a document whose
 *    entity has another type than the query's (query "Paris" as a place, document
 *    "Paris" as a person) still matches at half weight; plus the words' rarity;
 * 4. then documents only the query's words lead to (the word index's BM25, words.ts,
 *    where there is one; else the documents' salient terms).
 *
 * DynamoDB requests per query are bounded whatever the corpus or the query: one BatchGet
 * for the readings of every candidate name (up to MAX_CANDIDATES n-grams and the filters'
 * values, asked while the model runs; a second for the model's entities no n-gram spells,
 * those longer than MAX_NGRAM words), one BatchGet of frequencies (entities and words),
 * a postings query per shard holding postings (at most SHARDS) of each entity followed
 * (READINGS_BUDGET, or one per query entity up to MAX_ENTITIES) and of each word read
 * (MAX_TERMS_READ), all at once, each at most DEPTH items and POSTINGS_BUDGET in all
 * (rank.ts); with a word index, one request for its WORD_HITS hits and the counts of the
 * query's words (asked at once, beside the names); then one BatchGet for the page's records
 * (which also tell which word hits are of live versions) and its matches' mentions (one
 * per 100 keys: one for a page of ten).
 *
 * The steps, one file each: candidates.ts (the query's entities and what they may stand
 * for), words.ts (the documents the word index finds for the query's words), evidence.ts
 * (which vocabulary matches are entities), readings.ts (which to follow), rank.ts
 * (postings to ranked documents), facets.ts, then the page here.
 */
import type { NerModel } from '../engine/model.js';
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { documentFrequencies, pageRecords, type EntityRef } from '../index/lookups.js';
import { entityKey, itemId, keys } from '../index/schema.js';
import { postsTerms, TERM_TYPE, wordsOf } from '../index/terms.js';
import { findCandidates } from './candidates.js';
import { termOf, weighEvidence, weighsWords, wordsInside } from './evidence.js';
import { facetsOf, type Facets } from './facets.js';
import { rankDocuments, type RankedDocument, type Ranking } from './rank.js';
import { chooseReadings } from './readings.js';
import type { SearchRequest } from './request.js';
import { askWords, type WordCounts } from './words.js';

export interface QueryEntity {
  readonly text: string;
  readonly type: string;
  readonly normalized: string;
  /** How it was found: by the model on the query, in the index's vocabulary, or both. */
  readonly foundBy: 'model' | 'vocabulary' | 'model+vocabulary';
  /** Code-point offsets in the query. */
  readonly start: number;
  readonly end: number;
}

export interface SearchMatch {
  readonly type: string;
  readonly text: string;
  readonly normalized: string;
  /** The first POSTING_MENTIONS mentions (code points), enough to highlight a snippet; GET /v1/documents/{id} has all. */
  readonly mentions: Array<{ start: number; end: number; text: string }>;
  /** How many mentions the document has in all. */
  readonly mentionCount: number;
}

export interface SearchResult {
  readonly documentId: string;
  readonly key: string;
  readonly line?: number;
  readonly score: number;
  readonly title?: string;
  /** The document's first 280 characters (code points), for showing the hit; mentions inside it can be highlighted. */
  readonly snippet?: string;
  readonly matches: SearchMatch[];
  /** The query's words (outside its entities) among the document's salient terms. */
  readonly terms?: string[];
}

export interface SearchResponse {
  readonly queryEntities: QueryEntity[];
  /** The query's words outside its entities, which rank documents as terms. */
  readonly queryTerms: string[];
  readonly results: SearchResult[];
  /** With `facets: true`: the matching documents' most frequent entities by type. */
  readonly facets?: Facets;
  readonly nextOffset?: number;
  readonly reason?: string;
  /** DynamoDB requests this search made (for the benchmark; not in the HTTP response). */
  readonly requests: number;
  /** The word index was asked and did not answer (for the handler's log; not in the HTTP response). */
  readonly wordsUnavailable?: boolean;
}

export async function search(store: IndexStore, model: NerModel, req: SearchRequest): Promise<SearchResponse> {
  const counter: RequestCounter = { requests: 0 };
  // Words' frequencies: their DF# counters where terms are posted, else the word index's counts.
  const countedTerms = postsTerms(store);
  // The word index is asked at once, beside the model, the vocabulary and the frequencies,
  // for its hits and for the counts of the query's words, which weigh one-word vocabulary
  // matches (evidence.ts) and the query's other words (rank.ts). A query with no such match
  // chooses and reads its postings without waiting for the answer.
  const queryWords = wordsOf(req.query);
  const asked = askWords(store, req.query, countedTerms ? [] : [...new Set(queryWords.map((w) => w.term))], counter);
  const hits = asked.candidates;
  const counting = asked.counts;
  const found = await findCandidates(store, model, req.query, queryWords, req.filters, counter);
  const weighing = weighsWords(found);
  const frequencies = await documentFrequencies(store, [...found.targets, ...[...found.filterTargets.values()].flat(), ...(countedTerms ? found.words.map((w) => termOf(w.term)) : [])], counter);
  const dfWith = (counts: WordCounts | undefined) => (e: EntityRef) => (e.type === TERM_TYPE && !countedTerms ? counts?.frequencies?.get(e.key) : frequencies.get(entityKey(e))?.documents) ?? 0;
  const df = dfWith(weighing ? await counting : undefined);
  const weighed = weighEvidence(found, df);
  const typed = req.types ? weighed.targets.filter((t) => req.types!.includes(t.type)) : weighed.targets;
  const chosen = chooseReadings(weighed.queryEntities, typed, df);
  const queryEntities = chosen.queryEntities.map(({ text, type, normalized, foundBy, start, end }): QueryEntity => ({ text, type, normalized, foundBy, start, end }));
  const queryTerms = weighed.terms;
  if (chosen.entities.length === 0 && queryTerms.length === 0 && weighed.entityWords.length === 0 && found.filterTargets.size === 0 && (req.types !== undefined || !(await hits).documents?.size)) {
    const reason = weighed.queryEntities.length === 0 ? 'no entities found in the query, by the model or in the index vocabulary, and no other words to search by' : 'no query entity has one of the requested types';
    return { queryEntities, queryTerms, results: [], reason, requests: counter.requests, ...(req.facets ? { facets: {} } : {}) };
  }
  // The words of entities `types` left out are no query's words either.
  const entityWords = req.types ? wordsInside(found.words, weighed.queryEntities.filter((_, i) => chosen.followed.some((t) => t.queryIndex === i))) : weighed.entityWords;
  const ranking = await rankDocuments(store, { chosen, terms: queryTerms, entityWords, filters: found.filterTargets, df, shards: (e) => frequencies.get(entityKey(e))?.shards, wordIndex: Promise.all([counting, hits]).then(([counts, answer]) => ({ df: dfWith(counts), documents: answer.documents })), entitiesOnly: req.types !== undefined, facets: req.facets === true }, counter);
  const ranked = ranking.documents;
  const page = ranked.slice(req.offset, req.offset + req.limit);
  const results = await fillPage(store, page, counter);
  const wordsUnavailable = (await counting).unavailable || (await hits).unavailable; // both read by the ranking
  return {
    queryEntities,
    queryTerms,
    results,
    nextOffset: req.offset + req.limit < ranked.length ? req.offset + req.limit : undefined,
    // Entities the query has, followed or not: "no indexed document mentions them" is then the truth, not "none found".
    ...(reasonOf(Math.max(chosen.entities.length, queryEntities.length), ranking, page.length > 0 && results.length === 0, req.filters !== undefined, wordsUnavailable) ?? {}),
    ...(req.facets ? { facets: facetsOf(ranked) } : {}),
    requests: counter.requests,
    ...(wordsUnavailable ? { wordsUnavailable: true } : {}),
  };
}

/** Why the results are what they are, when they are not plain entity matches. `pageEmptied`: the page had candidates and none was a result. */
function reasonOf(entitiesFollowed: number, ranking: Ranking, pageEmptied: boolean, filtered: boolean, wordsUnavailable: boolean): { reason: string } | undefined {
  const { documents, byWordsOnly } = ranking;
  const filters = filtered ? ' and the filters' : '';
  if (wordsUnavailable) return { reason: "the word index did not answer: these results match the query's entities only, ranked by the documents' salient terms" };
  // A page whose every candidate left it (gone since it was read, or words of no live version) found nothing either.
  if (documents.length === 0 || pageEmptied) return { reason: entitiesFollowed > 0 ? `no indexed document mentions the query's entities or words${filters}` : `no entities found in the query, and no indexed document has its words${filters}` };
  if (byWordsOnly === documents.length) return { reason: entitiesFollowed > 0 ? "no indexed document mentions the query's entities: these results match its words" : 'no entities found in the query: these results match its words' };
  return undefined;
}

/**
 * Step 5: the page's documents (key, title, snippet) and their matches (the entity's name
 * in each, its mentions), in one BatchGet (per 100 keys). A document whose record is gone
 * or no longer indexed (removed since its postings were read) leaves the page, and so does
 * one only word hits led to when none of them is of its live version.
 */
async function fillPage(store: IndexStore, page: readonly RankedDocument[], counter: RequestCounter): Promise<SearchResult[]> {
  const wanted = page.flatMap((r) => r.matches.map((m) => ({ entity: m, documentId: r.documentId })));
  const records = await pageRecords(store, page.map((r) => r.documentId), wanted, counter);
  return page.flatMap((r): SearchResult[] => {
    const doc = records.documents.get(r.documentId);
    if (doc?.status !== 'indexed') return [];
    // Words of a version the record is not at: a crashed writer's, or one being replaced.
    if (r.versions && (doc.seq === undefined || !r.versions.includes(doc.seq))) return [];
    return [{
      documentId: r.documentId,
      key: doc.key,
      ...(doc.line !== undefined ? { line: doc.line } : {}),
      score: Number((r.count + r.score / (1 + r.score)).toFixed(4)),
      title: doc.title,
      snippet: doc.snippet,
      matches: r.matches.map((m) => {
        const posting = records.matches.get(itemId(keys.posting(m.type, m.key, r.documentId)));
        return {
          type: m.type,
          text: posting?.name ?? m.key,
          normalized: m.key,
          mentions: (posting?.spans ?? []).map(([start, end, text]) => ({ start, end, text })),
          mentionCount: posting?.mentionCount ?? 0,
        };
      }),
      ...(r.terms.length > 0 ? { terms: r.terms } : {}),
    }];
  });
}

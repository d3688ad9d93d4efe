/**
 * Hybrid search: entities found in the query (by the small model, and by matching the
 * query against the index's own vocabulary of names and aliases) are looked up in the
 * postings the batch path wrote, and documents are ranked:
 *
 * 1. more matched query entities first;
 * 2. then the sum, over matched entities, of rarity × salience × type agreement, where
 *    rarity = 1 / log2(2 + document frequency) (rarer entities weigh more), salience is
 *    the posting's rank (more mentions, earlier, in the title), and a document whose
 *    entity has another type than the query's (query "Paris" as a place, document
 *    "Paris" as a person) still matches at half weight.
 *
 * DynamoDB requests per query are bounded whatever the corpus or the query: one BatchGet
 * for the readings of every candidate name (the model's entities and up to
 * MAX_CANDIDATES n-grams), one BatchGet of frequencies, SHARDS postings queries per
 * reading followed (READINGS_BUDGET, or one per query entity up to MAX_ENTITIES, whichever
 * is more; each reading at most `depth` items from the rank index), and one or two
 * BatchGets for the page's records and mentions.
 *
 * The steps, one file each: candidates.ts (the query's entities and what they may stand
 * for), readings.ts (which to follow), rank.ts (postings to ranked documents), then the
 * page here.
 */
import type { NerModel } from '../engine/model.js';
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { documentSummaries } from '../index/lookups.js';
import { findCandidates } from './candidates.js';
import { rankDocuments, readDepth } from './rank.js';
import { chooseReadings } from './readings.js';
import type { SearchRequest } from './request.js';

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
}

export interface SearchResponse {
  readonly queryEntities: QueryEntity[];
  readonly results: SearchResult[];
  readonly nextOffset?: number;
  readonly reason?: string;
  /** DynamoDB requests this search made (for the benchmark; not in the HTTP response). */
  readonly requests: number;
}

export async function search(store: IndexStore, model: NerModel, req: SearchRequest): Promise<SearchResponse> {
  const counter: RequestCounter = { requests: 0 };
  const { queryEntities, targets } = await findCandidates(store, model, req.query, counter);
  const typed = req.types ? targets.filter((t) => req.types!.includes(t.type)) : targets;
  if (queryEntities.length === 0 || typed.length === 0) {
    return {
      queryEntities,
      results: [],
      reason: queryEntities.length === 0 ? 'no entities found in the query, by the model or in the index vocabulary' : 'no query entity has one of the requested types',
      requests: counter.requests,
    };
  }
  const chosen = await chooseReadings(store, queryEntities, typed, counter);
  const ranked = await rankDocuments(store, chosen, readDepth(queryEntities.length, req.offset, req.limit), counter);
  const results = await fillPage(store, ranked.slice(req.offset, req.offset + req.limit), counter);
  return {
    queryEntities: chosen.queryEntities,
    results,
    nextOffset: req.offset + req.limit < ranked.length ? req.offset + req.limit : undefined,
    ...(ranked.length === 0 ? { reason: "no indexed document mentions the query's entities" } : {}),
    requests: counter.requests,
  };
}

/** Step 4: titles and snippets of the page's documents, one BatchGet (the postings brought the mentions). */
async function fillPage(store: IndexStore, page: Awaited<ReturnType<typeof rankDocuments>>, counter: RequestCounter): Promise<SearchResult[]> {
  const summaries = await documentSummaries(store, page.map((r) => r.documentId), counter);
  return page.map((r): SearchResult => {
    const summary = summaries.get(r.documentId);
    return {
      documentId: r.documentId,
      key: r.key,
      ...(r.line !== undefined ? { line: r.line } : {}),
      score: Number((r.count + r.score / (1 + r.score)).toFixed(4)),
      title: summary?.title,
      snippet: summary?.snippet,
      matches: r.matches,
    };
  });
}

/**
 * Step 4 of a search: read postings and rank the documents.
 *
 * - Documents that match query entities come first: more matched entities, then more of
 *   the query's other words among the document's salient terms (carried on each posting,
 *   so "trade" in "reagan trade bill" reranks the Reagan stories with no request per
 *   document), then the sum of rarity × salience × type agreement, then the document id.
 * - Then documents that only the query's words lead to: the word index's BM25 hits
 *   (words.ts) where there is one; without one, term postings, read when the entities
 *   match nothing, or so few documents that a page could not fill from them (FILL_BELOW,
 *   decided by document frequencies, never by the page asked for). A document the
 *   entities lead to also gains its words' BM25 (WORDS_WEIGHT, scaled to the best hit).
 * - Filters keep the documents whose postings list a filter entity of every filter type.
 *
 * Every page of a search reads the same postings (a fixed depth per shard), so page 2 is
 * the next slice of the very ranking page 1 was cut from: nothing repeats or goes
 * missing, however the candidates tie.
 */
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { topPostings, type EntityRef, type Posting } from '../index/lookups.js';
import { entityKey, SHARDS } from '../index/schema.js';
import { postsTerms } from '../index/terms.js';
import { termOf } from './evidence.js';
import type { ChosenReadings } from './readings.js';
import type { WordCandidate } from './words.js';

/** Postings read from each shard of an entity or term: every page ranks the same candidates. */
export const DEPTH = 50;
/**
 * Postings one search reads in all, shared by the entities and terms it follows: one or two
 * read DEPTH from each shard, three about two thirds of that. What a search reads is what it
 * costs (read units on AWS; the emulator's time locally, bench/results/search.json), and a
 * first page of a three-entity query comes from documents that rank high for all three.
 * Decided by what is followed, never by the page asked for, so pages stay one ranking.
 */
export const POSTINGS_BUDGET = 8 * DEPTH;
/** How deep each shard of each of `followed` entities or terms is read. */
export const depthFor = (followed: number) => Math.max(1, Math.min(DEPTH, Math.floor(POSTINGS_BUDGET / (Math.max(1, followed) * SHARDS))));
/** Below this many documents matching the query's entities (by their frequencies), the query's words are read too. */
export const FILL_BELOW = 50;
/** Words (rarest first) whose postings one search reads; each costs SHARDS requests. */
export const MAX_TERMS_READ = 4;
/** What the query's words (BM25, over the best hit's) add to the score of a document its entities match. */
export const WORDS_WEIGHT = 0.5;

export interface RankedDocument {
  readonly documentId: string;
  /** Query entities matched. */
  readonly count: number;
  /** Query words among the document's terms. */
  readonly terms: string[];
  readonly score: number;
  /** The matched entities (their names and mentions in the document come with the page). */
  readonly matches: EntityRef[];
  /** The document's most salient entities (entityKey), for facets. */
  readonly docEntities: readonly string[];
  /**
   * For a document only the word index leads to: the versions its hits are of, one of which
   * must be its record's for it to be a result (the page checks). A document its postings
   * lead to is live by them: they are written and removed with its record.
   */
  readonly versions?: readonly string[];
}

export interface RankInput {
  readonly chosen: ChosenReadings;
  /** The query's words outside its entities, and inside them. */
  readonly terms: readonly string[];
  readonly entityWords: readonly string[];
  /** Each filter type's entities; a document needs one of each type. */
  readonly filters?: ReadonlyMap<string, readonly EntityRef[]>;
  /** Document frequencies from the index's counters: entities, and terms where terms are posted. */
  readonly df: (e: EntityRef) => number;
  /** The shards that hold an entity's postings, where the counters say (lookups.ts Frequency); all of them otherwise. */
  readonly shards?: (e: EntityRef) => readonly number[] | undefined;
  /** The request restricts entity types: documents must match a query entity (or a term), not only words. */
  readonly entitiesOnly?: boolean;
  /** The request asks for facets: the documents' entities are read for them. */
  readonly facets?: boolean;
  /**
   * The word index's answer, awaited beside the postings: its hits (words.ts; undefined
   * without a word index, or when it did not answer), and `df` with its
   * words' counts (the query's terms' frequencies where terms are not posted).
   */
  readonly wordIndex: Promise<{ readonly df: (e: EntityRef) => number; readonly documents?: ReadonlyMap<string, WordCandidate> }>;
}

export interface Ranking {
  readonly documents: RankedDocument[];
  /** Whether the query's words were read, and whether any document came from them alone. */
  readonly wordsRead: string[];
  readonly byWordsOnly: number;
}

const rarity = (df: number) => 1 / Math.log2(2 + df);

export async function rankDocuments(store: IndexStore, input: RankInput, counter: RequestCounter): Promise<Ranking> {
  const { chosen, df } = input;
  const filterEntities = [...(input.filters?.values() ?? [])].flat().filter((e) => df(e) > 0);
  // Which words to read: decided by frequencies alone, so every page of the search reads the same.
  const entityDocs = chosen.entities.reduce((n, t) => n + df(t), 0);
  // Where terms are not posted, the word index's hits stand in for them.
  const words = !postsTerms(store) || entityDocs >= FILL_BELOW ? [] : [...new Set([...input.terms, ...input.entityWords])].filter((w) => df(termOf(w)) > 0).sort((a, b) => df(termOf(a)) - df(termOf(b)) || (a < b ? -1 : 1)).slice(0, MAX_TERMS_READ);
  // With neither entities nor words to go by, the filters' own entities are the candidates.
  const fromFilters = chosen.entities.length === 0 && words.length === 0 ? filterEntities.slice(0, 3) : [];
  const read = [...chosen.entities, ...words.map(termOf), ...fromFilters];
  const depth = depthFor(read.length);
  // A posting's document context is read only where it is used: its entities by filters and facets, its terms by the query's words.
  const context = { entities: (input.filters?.size ?? 0) > 0 || input.facets === true, terms: input.terms.length > 0 };
  const [postingLists, wordIndex] = await Promise.all([Promise.all(read.map(async (e) => [entityKey(e), await topPostings(store, e, depth, counter, context, input.shards?.(e))] as const)), input.wordIndex]);
  const wordDocs = wordIndex.documents;
  const postings = new Map<string, Posting[]>(postingLists);

  const passes = passFilters(input.filters);
  const queryWords = new Set(input.terms);
  const docs = new Map<string, { p: Posting; matched: Map<number, number>; matches: Map<string, RankedDocument['matches'][number]>; wordScore: number }>();
  const entry = (p: Posting) => {
    const d = docs.get(p.documentId) ?? { p, matched: new Map(), matches: new Map(), wordScore: 0 };
    docs.set(p.documentId, d);
    return d;
  };
  for (const t of chosen.followed) {
    for (const p of postings.get(entityKey(t)) ?? []) {
      if (!passes(p)) continue;
      const d = entry(p);
      d.matched.set(t.queryIndex, Math.max(d.matched.get(t.queryIndex) ?? 0, rarity(df(t)) * p.rank * t.weight));
      d.matches.set(entityKey(t), { type: t.type, key: t.key });
    }
  }
  for (const w of words) for (const p of postings.get(entityKey(termOf(w))) ?? []) if (passes(p)) entry(p).wordScore += rarity(df(termOf(w))) * p.rank;
  for (const e of fromFilters) for (const p of postings.get(entityKey(e)) ?? []) if (passes(p)) entry(p);
  const best = Math.max(0, ...[...(wordDocs?.values() ?? [])].map((w) => w.score));
  // A hit's version is checked on the page, not here: a document its entities match (live by its
  // postings) takes the BM25 of whichever version the word index holds, its live one but while a
  // new version is written or a crashed writer's words wait for the clean-up.
  const bm25 = (documentId: string) => (best > 0 ? (wordDocs?.get(documentId)?.score ?? 0) / best : 0);
  // A word hit holds no entities to check a filter or a type against: with either, words only rerank.
  const wordOnly = input.entitiesOnly || (input.filters && input.filters.size > 0) ? [] : [...(wordDocs?.values() ?? [])].filter((w) => !docs.has(w.documentId));

  const documents = [...docs.entries()].map(([documentId, d]): RankedDocument => {
    const terms = d.p.docTerms.filter((t) => queryWords.has(t));
    const entityScore = [...d.matched.values()].reduce((a, b) => a + b, 0);
    const termScore = terms.reduce((a, t) => a + rarity(wordIndex.df(termOf(t))), 0);
    // The words' own postings rank only the documents that no entity led to.
    const score = d.matched.size > 0 ? entityScore + termScore + WORDS_WEIGHT * bm25(documentId) : termScore + d.wordScore + bm25(documentId);
    return { documentId, count: d.matched.size, terms, score, matches: [...d.matches.values()], docEntities: d.p.docEntities };
  });
  for (const w of wordOnly) documents.push({ documentId: w.documentId, count: 0, terms: [], score: bm25(w.documentId), matches: [], docEntities: [], versions: w.versions });
  documents.sort((a, b) => b.count - a.count || b.terms.length - a.terms.length || b.score - a.score || (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0));
  return { documents, wordsRead: words, byWordsOnly: documents.filter((d) => d.count === 0).length };
}

/** A document passes when its postings list, for every filter type, one of that type's entities. */
function passFilters(filters: RankInput['filters']): (p: Posting) => boolean {
  if (!filters || filters.size === 0) return () => true;
  const wanted = [...filters.values()].map((es) => new Set(es.map(entityKey)));
  return (p) => wanted.every((set) => p.docEntities.some((k) => set.has(k)));
}

/**
 * A document's terms: the words beside its entities that search ranks by ("trade" in
 * "reagan trade bill") and falls back on when a query's entities match nothing.
 *
 * The batch path keeps each document's MAX_DOCUMENT_TERMS most salient words (written as
 * names, in the title, frequent, early) and stores them the way it stores
 * entities: as postings of the reserved type TERM_TYPE, each counted in its DF# item in
 * the transaction that writes it, fenced by the version, and listed in the document's
 * chunks so that the clean-up removes a stale version's terms as it removes its entities
 * (writes.ts). A bounded number per document keeps the writes one transaction or two,
 * never a request per word.
 *
 * The choice is a function of the text alone, not of the corpus (no idf at write time),
 * so indexing a document gives the same items whatever was indexed before it: what the
 * write protocol's "equal to a clean build" needs. Search weighs rarity at query time
 * from the terms' document frequencies.
 */
import { tokenize } from '../engine/tokenize.js';
import type { IndexStore } from './dynamo.js';
import { normalizeName } from './normalize.js';

/** The posting and frequency type of terms; model entity types are label names, never this. */
export const TERM_TYPE = '~term';

/**
 * Whether the store posts terms: only without a word index. With one, every word is in the
 * engine, which also counts the documents holding it (search/words.ts), so postings of a
 * few salient words would only repeat it, at most of a story's write units.
 */
export const postsTerms = (store: IndexStore) => store.words === undefined;
/**
 * Terms stored per document (each a posting and a counter: two transaction actions, so
 * 32 terms and a story's entities fit one transaction of 100). Each term is also a write
 * unit or more on every version of every document, and the bulk of the index's size:
 * with 96 terms (and lists up to 192), a third fewer CoNLL-2003 dev queries went without
 * a result (5 of 400 against 9, below), but the local index grew by about 2 MB a Reuters
 * story and the writes per story tripled, so the index keeps 32.
 */
export const MAX_DOCUMENT_TERMS = 32;
/**
 * Beyond those, a long list of names (a results table, a list of delegates) keeps its
 * further name-like words up to this many terms in all: they are what a search for a
 * person the model missed falls back on. Still within two transactions a document.
 */
export const MAX_DOCUMENT_TERMS_WITH_NAMES = 48;
/**
 * What a word written as a name (capitalized where no sentence starts, most of the times
 * it occurs) adds to its salience: the names the batch model did not tag are what an
 * entity search falls back on, so they go before the merely frequent words (chosen on
 * CoNLL-2003 dev: with 32 terms and a bonus of 1, 9 of 400 entity queries found no
 * document; with this bonus and 48 terms, 7; with 96, 5).
 */
const NAME_LIKE = 2;

/** Common English function words: they say nothing about what a document is about. */
const STOPWORDS = new Set(
  ('a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours ' +
    'said says say told news new would could may might must shall also one two three year years last first next week month day today yesterday mln pct per cts vs reuter reuters')
    .split(' '),
);

export const isStopword = (word: string) => STOPWORDS.has(word);

export interface DocumentTerm {
  readonly term: string;
  /** Salience in the document, as an entity posting's rank: more occurrences, in the title, capitalized, earlier. */
  readonly rank: number;
}

export interface Word {
  readonly term: string;
  /** Code-point offsets of the token it comes from. */
  readonly start: number;
  readonly end: number;
  /** Written with a capital where a sentence does not start: a name's spelling. */
  readonly capitalized: boolean;
  /** Written with a capital where a sentence or line starts: a name's spelling or not. */
  readonly initial: boolean;
}

const SENTENCE_END = /^[.!?:;"'”]$/;

/** The words of a text as terms: normalized as names are (normalize.ts), function words and one-letter or letterless tokens left out. */
export function wordsOf(text: string): Word[] {
  const out: Word[] = [];
  let previous = '';
  let lineStart = true;
  for (const token of tokenize(text)) {
    const starts = lineStart || token.afterNewline || SENTENCE_END.test(previous) || previous === '';
    previous = token.text;
    lineStart = false;
    // "Coca-Cola" normalizes to "coca cola": two terms, as a query typing either word finds it.
    for (const term of normalizeName(token.text).split(' ')) {
      if (Array.from(term).length < 2 || !/\p{L}/u.test(term) || isStopword(term)) continue;
      const capital = /^\p{Lu}/u.test(token.text);
      out.push({ term, start: token.cpStart, end: token.cpEnd, capitalized: !starts && capital, initial: starts && capital });
    }
  }
  return out;
}

/** The document's MAX_DOCUMENT_TERMS most salient terms, best first (ties by term, so the choice is the text's alone). */
export function documentTerms(text: string, titleChars: number): DocumentTerm[] {
  const words = wordsOf(text);
  const chars = Math.max(1, Array.from(text).length);
  const stats = new Map<string, { count: number; capitalized: number; initial: number; first: number; inTitle: boolean }>();
  for (const w of words) {
    const s = stats.get(w.term) ?? { count: 0, capitalized: 0, initial: 0, first: w.start, inTitle: false };
    s.count++;
    if (w.capitalized) s.capitalized++;
    if (w.initial) s.initial++;
    if (w.end <= titleChars) s.inTitle = true;
    stats.set(w.term, s);
  }
  const ranked = [...stats]
    // Name-like: mostly capitalized in running text, or capitalized wherever it occurs (lines of a list start with names).
    .map(([term, s]) => ({ term, nameLike: s.capitalized * 2 > s.count || s.capitalized + s.initial === s.count, s }))
    .map(({ term, nameLike, s }) => ({ term, nameLike, rank: Number((Math.log2(1 + s.count) + (s.inTitle ? 1 : 0) + (nameLike ? NAME_LIKE : 0) + 0.5 * (1 - s.first / chars)).toFixed(4)) }))
    .sort((a, b) => b.rank - a.rank || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  const names = ranked.slice(MAX_DOCUMENT_TERMS).filter((t) => t.nameLike).slice(0, MAX_DOCUMENT_TERMS_WITH_NAMES - MAX_DOCUMENT_TERMS);
  return [...ranked.slice(0, MAX_DOCUMENT_TERMS), ...names].map(({ term, rank }) => ({ term, rank }));
}

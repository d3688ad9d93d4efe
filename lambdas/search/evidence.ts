/**
 * Step 2 of a search: which vocabulary matches are entities, on evidence. The vocabulary
 * holds every name the batch model ever tagged, so common words are in it ("bill" for a
 * person named Bill, "may" for a person, "china" for the country, as in "fine china"). A
 * one-word match the model did not find becomes a query entity only with evidence:
 *
 * - the share of the corpus's documents with that word in which the batch model tagged
 *   it as the entity: df(entity) / df(word). The entity's frequency is the index's exact
 *   counter; the word's is the word index's count of the documents that hold it (every
 *   word, search/words.ts), or without a word index the counter of the documents with the
 *   word among their salient terms. "opec" is tagged in nearly every story that has the
 *   word; "bill" in one story of ten or fewer;
 * - agreement with the small model on the query (it tagged an overlapping span), which
 *   lowers the share needed;
 * - the user's capitals: "reagan trade Bill" (capitalized in a query that has lower-case
 *   words) asks for the name.
 *
 * A word without a count (an index written before terms were, or a word index that did
 * not answer) keeps the old behaviour: the match stands. A rejected match's words join
 * the query's other words, which rank documents as terms. Names of several words are kept: a phrase the batch
 * model tagged as a name is rarely a common phrase, and phrases have no term counts.
 */
import { TERM_TYPE, type Word } from '../index/terms.js';
import type { Candidates, FoundEntity, Target } from './candidates.js';

/** Share of the word's documents tagged as the entity that makes a match an entity on its own. */
export const MIN_TAGGED_SHARE = 0.5;
/** The share needed when the small model tagged the span too. */
export const MIN_TAGGED_SHARE_WITH_MODEL = 0.1;

/** A query word as a term, for its document frequency and postings. */
export const termOf = (term: string) => ({ type: TERM_TYPE, key: term });

export interface Weighed {
  readonly queryEntities: FoundEntity[];
  readonly targets: Target[];
  /** Words of the query outside its entities. */
  readonly terms: string[];
  /** Words inside its entities (read as terms only to fill a short result list). */
  readonly entityWords: string[];
  /** Vocabulary matches refused for lack of evidence, with the share measured. */
  readonly rejected: Array<{ text: string; share: number }>;
}

export function weighEvidence(found: Candidates, df: (e: { type: string; key: string }) => number): Weighed {
  const keptIndexes: number[] = [];
  const rejected: Weighed['rejected'] = [];
  found.queryEntities.forEach((q, index) => {
    const share = taggedShare(q, found.targets.filter((t) => t.queryIndex === index), df);
    const needed = q.modelAgrees ? MIN_TAGGED_SHARE_WITH_MODEL : MIN_TAGGED_SHARE;
    if (share === undefined || share >= needed || q.capitalized) keptIndexes.push(index);
    else rejected.push({ text: q.text, share: Number(share.toFixed(3)) });
  });
  const renumber = new Map(keptIndexes.map((old, i) => [old, i]));
  const queryEntities = keptIndexes.map((i) => found.queryEntities[i]!);
  const targets = found.targets.filter((t) => renumber.has(t.queryIndex)).map((t) => ({ ...t, queryIndex: renumber.get(t.queryIndex)! }));
  const entityWords = wordsInside(found.words, queryEntities);
  const terms = wordsOutside(found.words, queryEntities);
  return { queryEntities, targets, terms, entityWords, rejected };
}

const insideAny = (w: Word, entities: readonly FoundEntity[]) => entities.some((q) => q.start <= w.start && w.end <= q.end);

/** The distinct terms of the words outside these query entities: the query's terms. */
const wordsOutside = (words: readonly Word[], entities: readonly FoundEntity[]) => [...new Set(words.filter((w) => !insideAny(w, entities)).map((w) => w.term))];

/** The distinct terms of the words inside these query entities. */
export const wordsInside = (words: readonly Word[], entities: readonly FoundEntity[]) => [...new Set(words.filter((w) => insideAny(w, entities)).map((w) => w.term))];

/** Whether a match is weighed on evidence: a one-word match of the vocabulary alone. */
const needsEvidence = (q: FoundEntity) => q.foundBy === 'vocabulary' && !q.normalized.includes(' ');

/** Whether the evidence step reads words' counts for these candidates: only for a match it weighs. */
export const weighsWords = (found: Candidates) => found.queryEntities.some(needsEvidence);

/** The evidence share of a one-word vocabulary-only match; undefined when it needs none or none can be measured. */
function taggedShare(q: FoundEntity, targets: readonly Target[], df: (e: { type: string; key: string }) => number): number | undefined {
  if (!needsEvidence(q)) return undefined;
  const asTerm = df(termOf(q.normalized));
  if (asTerm === 0) return undefined;
  // Its most frequent reading: the documents in which the word (or the alias) was tagged as that entity.
  const tagged = Math.max(0, ...targets.map(df));
  return Math.min(1, tagged / asTerm);
}

/**
 * Step 1 of a search: the query's entities. The small model finds some; the query's
 * n-grams (longest first) are looked up in the index's vocabulary of names and aliases
 * for what the model missed. Every candidate's readings, and the filters' values', come
 * from one BatchGet, asked while the model runs (a second one only for a name the model
 * found longer than any n-gram). Each query entity yields targets: the entities in the index it may
 * stand for. Whether a vocabulary match is an entity at all is decided next, on evidence
 * (evidence.ts).
 */
import { entitiesOf } from '../engine/extract.js';
import type { NerModel } from '../engine/model.js';
import { tokenize, type Token } from '../engine/tokenize.js';
import type { RequestCounter, IndexStore } from '../index/dynamo.js';
import { nameReadings, type EntityRef } from '../index/lookups.js';
import { normalizeName } from '../index/normalize.js';
import { isStopword, type Word } from '../index/terms.js';
import type { SearchFilters } from './filters.js';
import type { QueryEntity } from './search.js';

/** Vocabulary candidates (n-grams of the query) per search: with the model's entities, one BatchGet. */
const MAX_CANDIDATES = 90;
const MAX_NGRAM = 4;
/** Readings of one name weighed (by document frequency) before choosing the ones to follow. */
const MAX_READINGS_WEIGHED = 16;

/** An entity in the index that a query entity may stand for. */
export interface Target extends EntityRef {
  /** 1 when the document's type agrees with the query's, 0.5 when it does not. */
  readonly weight: number;
  readonly queryIndex: number;
}

/** A query entity as found, with what the evidence step weighs. */
export interface FoundEntity extends QueryEntity {
  /** The model tagged an entity overlapping it. */
  readonly modelAgrees: boolean;
  /** Written with a capital in a query that has lower-case words too: the user spelled it as a name. */
  readonly capitalized: boolean;
}

export interface Candidates {
  readonly queryEntities: FoundEntity[];
  readonly targets: Target[];
  /** The query's words (terms.ts), in order. */
  readonly words: Word[];
  /** Each filter type's entities: the readings of its values of that type, and the values themselves. */
  readonly filterTargets: Map<string, EntityRef[]>;
}

interface Ngram {
  readonly span: readonly Token[];
  readonly text: string;
  readonly normalized: string;
}

/** The query's n-grams worth looking up, longest first, at most MAX_CANDIDATES. */
function ngramsOf(query: string, tokens: readonly Token[]): Ngram[] {
  const ngrams: Ngram[] = [];
  for (let len = Math.min(MAX_NGRAM, tokens.length); len >= 1 && ngrams.length < MAX_CANDIDATES; len--) {
    for (let i = 0; i + len <= tokens.length && ngrams.length < MAX_CANDIDATES; i++) {
      const span = tokens.slice(i, i + len);
      if (len === 1 && (isStopword(normalizeName(span[0]!.text)) || !/\p{L}/u.test(span[0]!.text) || Array.from(span[0]!.text).length < 2)) continue;
      const text = query.slice(span[0]!.start, span.at(-1)!.end);
      const normalized = normalizeName(text);
      if (normalized) ngrams.push({ span, text, normalized });
    }
  }
  return ngrams;
}

/** `words`: the query's words (terms.ts wordsOf), which search has already cut. */
export async function findCandidates(store: IndexStore, model: NerModel, query: string, words: Word[], filters: SearchFilters | undefined, counter: RequestCounter): Promise<Candidates> {
  // The query's n-grams (of Nerve's words, as the model cuts them) and the filters' values
  // are looked up while the model runs: the BatchGet is on its way before the model takes
  // the thread. A name the model found that no n-gram spells (one of more than MAX_NGRAM
  // words) takes a second BatchGet after it.
  const tokens = [...tokenize(query)];
  const ngrams = ngramsOf(query, tokens);
  const filterValues = Object.values(filters ?? {}).flat();
  const early = new Set([...ngrams.map((g) => g.normalized), ...filterValues]);
  const looking = nameReadings(store, [...early], counter);
  looking.catch(() => {}); // awaited below; a failure surfaces there, not as an unhandled rejection while the model runs
  const found = entitiesOf(query, await model.analyze(query)).map((e) => ({ e, normalized: normalizeName(e.text) })).filter((f) => f.normalized);
  const late = [...new Set(found.map((f) => f.normalized))].filter((n) => !early.has(n));
  const [vocabulary, more] = await Promise.all([looking, late.length > 0 ? nameReadings(store, late, counter) : new Map<string, EntityRef[]>()]);
  for (const [name, readings] of more) vocabulary.set(name, readings);
  const readingsOf = (name: string) => (vocabulary.get(name) ?? []).slice(0, MAX_READINGS_WEIGHED);
  // Capitals say something only in a query that also has words starting in lower case (not "REAGAN TRADE BILL", not "Reagan Trade Bill").
  const mixedCase = tokens.some((t) => /^\p{Ll}/u.test(t.text) && !isStopword(t.text)) && tokens.some((t) => /^\p{Lu}/u.test(t.text));
  const modelAgrees = (start: number, end: number) => found.some(({ e }) => e.start < end && e.end > start);
  const capitalized = (span: readonly Token[]) => mixedCase && span.every((t) => /^\p{Lu}/u.test(t.text));

  const queryEntities: FoundEntity[] = [];
  const targets: Target[] = [];
  const covered = new Uint8Array(Array.from(query).length);
  const known = ngrams.filter((g) => readingsOf(g.normalized).length > 0);
  for (const { e, normalized } of found) {
    // The vocabulary knows a longer name around it ("soviet union" around the model's "soviet"): that one.
    if (known.some((g) => g.span[0]!.cpStart <= e.start && g.span.at(-1)!.cpEnd >= e.end && g.span.at(-1)!.cpEnd - g.span[0]!.cpStart > e.end - e.start)) continue;
    const names = readingsOf(normalized);
    const index = queryEntities.length;
    queryEntities.push({ text: e.text, type: e.type, normalized, foundBy: names.length > 0 ? 'model+vocabulary' : 'model', start: e.start, end: e.end, modelAgrees: true, capitalized: false });
    // An entity the index knows is settled; one it does not may have loose boundaries
    // ("halvard bank news"), so the vocabulary still gets to look inside it.
    if (names.length > 0) covered.fill(1, e.start, e.end);
    // Aliases and acronyms resolve to their canonical entity.
    if (names.length === 0) targets.push({ type: e.type, key: normalized, weight: 1, queryIndex: index });
    for (const { type, key } of names) targets.push({ type, key, weight: type === e.type ? 1 : 0.5, queryIndex: index });
  }
  for (const { span, text, normalized } of ngrams) {
    const names = readingsOf(normalized);
    if (names.length === 0 || span.some((t) => covered[t.cpStart])) continue; // unknown, or a longer match took it
    const index = queryEntities.length;
    const start = span[0]!.cpStart;
    const end = span.at(-1)!.cpEnd;
    queryEntities.push({ text, type: names[0]!.type, normalized, foundBy: 'vocabulary', start, end, modelAgrees: modelAgrees(start, end), capitalized: capitalized(span) });
    for (const t of span) covered.fill(1, t.cpStart, t.cpEnd);
    for (const { type, key } of names) targets.push({ type, key, weight: 1, queryIndex: index });
  }
  // A filter value stands for its readings of the filter's type, and for itself (a name no alias leads elsewhere).
  const filterTargets = new Map(Object.entries(filters ?? {}).map(([type, values]) => [type, values.flatMap((v) => [{ type, key: v }, ...(vocabulary.get(v) ?? []).filter((r) => r.type === type)])]));
  return { queryEntities, targets, words, filterTargets };
}

/**
 * Step 3 of a search: which readings to follow. Document frequencies (read with the
 * evidence's, search.ts) drop the targets no document has and order the rest; every
 * query entity keeps its most frequent reading, and further ones join while the budget
 * allows.
 */
import { entityKey } from '../index/schema.js';
import type { Target } from './candidates.js';
import type { QueryEntity } from './search.js';

/** Distinct entities whose postings one search reads (readings of a name count each). */
const MAX_ENTITIES = 16;
/**
 * Readings a search follows in all: every query entity's most frequent reading, then
 * further ones (see READING_SHARE) while the total stays within this. Each costs a query
 * per shard that holds its postings, up to SHARDS, and those queries are most of a search's
 * time (bench/results/search.json): a third reading cost a two-entity query a third more
 * requests and left CoNLL-2003 dev's MRR and recall@10 as they were (bench:search --split dev).
 */
const READINGS_BUDGET = 2;
/**
 * Readings beyond the first: the query's own name under another type always may ("Paris"
 * the person beside the city; the type mismatch weighs half); an alias reading (another
 * name the index linked to it) only with at least this share of the most frequent
 * reading's documents: "opec" linked once to "opec fund board of governors" would cost
 * SHARDS requests and add nothing a first page shows.
 */
const READING_SHARE = 0.1;

export interface ChosenReadings {
  /** Distinct entities whose postings to read. */
  readonly entities: Target[];
  /** Every target that leads to one of them, in query order (a document scores once per query entity). */
  readonly followed: Target[];
  /** Document frequency by entityKey (0 when unknown). */
  readonly df: (t: Target) => number;
  /** The query entities, those found in the vocabulary showing their most frequent reading's type. */
  readonly queryEntities: QueryEntity[];
}

export function chooseReadings(queryEntities: readonly QueryEntity[], targets: readonly Target[], df: (t: Target) => number): ChosenReadings {
  const entities = [...queryEntities];
  const tops: Target[] = [];
  const extras: Target[] = [];
  queryEntities.forEach((q, index) => {
    const own = targets.filter((t) => t.queryIndex === index && df(t) > 0).sort((a, b) => df(b) - df(a) || entityKey(a).localeCompare(entityKey(b)));
    if (!own[0]) return; // no indexed document has it
    tops.push(own[0]);
    extras.push(...own.slice(1).filter((t) => t.key === q.normalized || df(t) >= READING_SHARE * df(own[0]!)));
    if (q.foundBy === 'vocabulary') entities[index] = { ...q, type: own[0].type };
  });
  // Query order decides which entities stay when a long query names more than MAX_ENTITIES.
  const unique = [...new Map(tops.map((t) => [entityKey(t), t])).values()].slice(0, MAX_ENTITIES);
  const sameName = (t: Target) => (t.key === queryEntities[t.queryIndex]!.normalized ? 0 : 1);
  for (const t of extras.sort((a, b) => sameName(a) - sameName(b) || df(b) - df(a))) {
    if (unique.length >= READINGS_BUDGET) break;
    if (!unique.some((u) => entityKey(u) === entityKey(t))) unique.push(t);
  }
  const kept = new Set(unique.map(entityKey));
  return { entities: unique, followed: [...tops, ...extras].filter((t) => kept.has(entityKey(t))), df, queryEntities: entities };
}

/**
 * Step 3 of a search: read the chosen entities' top postings and rank the documents.
 * More matched query entities first; then the sum, over matched query entities, of the
 * best rarity × salience × type agreement each contributes; ties by document id.
 */
import type { IndexStore, RequestCounter } from '../index/dynamo.js';
import { topPostings, type Posting } from '../index/lookups.js';
import { entityKey } from '../index/schema.js';
import type { ChosenReadings } from './readings.js';
import type { SearchMatch } from './search.js';

export interface RankedDocument {
  readonly documentId: string;
  readonly key: string;
  readonly line?: number;
  /** Query entities matched. */
  readonly count: number;
  readonly score: number;
  readonly matches: SearchMatch[];
}

/**
 * How deep to read each shard. One query entity ranks by its postings' rank alone, so
 * the top offset + limit of each shard is exact; with several, documents matching more
 * of them come first, and a deeper read finds more of those intersections.
 */
export function readDepth(queryEntities: number, offset: number, limit: number): number {
  return Math.min(200, queryEntities === 1 ? offset + limit : 2 * (offset + limit) + 10);
}

export async function rankDocuments(store: IndexStore, chosen: ChosenReadings, depth: number, counter: RequestCounter): Promise<RankedDocument[]> {
  // Each distinct entity's shards are read once, even when several query entities resolve to it.
  const postings = new Map<string, Posting[]>(
    await Promise.all(chosen.entities.map(async (t) => [entityKey(t), await topPostings(store, t, depth, counter)] as const)),
  );
  const docs = new Map<string, { key: string; line?: number; matched: Map<number, number>; matches: Map<string, SearchMatch> }>();
  for (const t of chosen.followed) {
    const rarity = 1 / Math.log2(2 + chosen.df(t));
    for (const p of postings.get(entityKey(t)) ?? []) {
      const d = docs.get(p.documentId) ?? { key: p.s3Key, line: p.line, matched: new Map(), matches: new Map() };
      d.matched.set(t.queryIndex, Math.max(d.matched.get(t.queryIndex) ?? 0, rarity * p.rank * t.weight));
      d.matches.set(entityKey(t), {
        type: t.type,
        text: p.name,
        normalized: t.key,
        mentions: p.spans.map(([start, end, text]) => ({ start, end, text })),
        mentionCount: p.mentionCount,
      });
      docs.set(p.documentId, d);
    }
  }
  return [...docs.entries()]
    .map(([documentId, d]) => ({
      documentId,
      key: d.key,
      line: d.line,
      count: d.matched.size,
      score: [...d.matched.values()].reduce((a, b) => a + b, 0),
      matches: [...d.matches.values()],
    }))
    .sort((a, b) => b.count - a.count || b.score - a.score || a.documentId.localeCompare(b.documentId));
}

/**
 * Facets of a search: the most frequent entities of each type among the matching
 * documents (every ranked candidate, not just the page), counted from the entities each
 * posting carries (its document's most salient ones), so they cost no request.
 */
import { splitEntityKey } from '../index/schema.js';
import type { RankedDocument } from './rank.js';

/** Values listed per entity type. */
export const FACET_VALUES = 10;

/** By entity type: normalized names (what a filter takes) and how many matching documents hold them, most first. */
export type Facets = Record<string, Array<{ value: string; count: number }>>;

export function facetsOf(documents: readonly Pick<RankedDocument, 'docEntities'>[]): Facets {
  const counts = new Map<string, Map<string, number>>();
  for (const d of documents) {
    for (const k of new Set(d.docEntities)) {
      const [type, value] = splitEntityKey(k);
      const byValue = counts.get(type) ?? new Map<string, number>();
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
      counts.set(type, byValue);
    }
  }
  return Object.fromEntries(
    [...counts.keys()].sort().map((type) => [
      type,
      [...counts.get(type)!].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, FACET_VALUES).map(([value, count]) => ({ value, count })),
    ]),
  );
}

/**
 * Entity retrieval evaluations from a labelled corpus: documents indexed by the batch
 * path, queries made from their gold entities (as written, and lower-cased), a document
 * relevant to a query when its gold annotation contains the entity (same normalized
 * name, any type). Mean reciprocal rank and recall at 10 for Nerve, beside BM25
 * (MiniSearch) over the same texts, in the same run.
 */
import MiniSearch from 'minisearch';
import type { ConllSentence } from '../../tools/conll.js';
import { chunks } from '../../tools/conlleval.js';
import { normalizeName } from '../../lambdas/index/normalize.js';
import { shuffled } from './queries.js';

export interface LabelledDocument {
  readonly key: string;
  readonly text: string;
  readonly sentences: readonly ConllSentence[];
}

export interface EntityQueries {
  readonly queries: string[];
  /** Normalized entity → document keys. */
  readonly relevant: Map<string, Set<string>>;
  /** Normalized entity → its first surface form. */
  readonly surface: Map<string, string>;
}

/** Queries from the documents' gold entities, a seeded sample of `count`. */
export function entityQueries(docs: readonly LabelledDocument[], count: number): EntityQueries {
  const relevant = new Map<string, Set<string>>();
  const surface = new Map<string, string>();
  for (const d of docs) {
    for (const s of d.sentences) {
      for (const c of chunks(s.tags)) {
        const [start, end] = c.split(':').map(Number) as [number, number];
        const text = s.tokens.slice(start, end).join(' ');
        const key = normalizeName(text);
        if (!key) continue;
        relevant.set(key, (relevant.get(key) ?? new Set()).add(d.key));
        if (!surface.has(key)) surface.set(key, text);
      }
    }
  }
  return { queries: shuffled([...relevant.keys()], 3).slice(0, count), relevant, surface };
}

const recallAt10 = (ranked: readonly string[], rel: ReadonlySet<string>) => ranked.slice(0, 10).filter((k) => rel.has(k)).length / rel.size;

function score(rankings: string[][], truth: Array<Set<string>>) {
  let rr = 0;
  let recall = 0;
  rankings.forEach((ranked, i) => {
    const rel = truth[i]!;
    const first = ranked.findIndex((k) => rel.has(k));
    rr += first >= 0 ? 1 / (first + 1) : 0;
    recall += recallAt10(ranked, rel);
  });
  return { mrr: Number((rr / rankings.length).toFixed(4)), recallAt10: Number((recall / rankings.length).toFixed(4)) };
}

/** Both systems on the queries as written and lower-cased; `nerve` answers a query with its top 10 document keys. */
export async function compareWithBm25(name: string, docs: readonly LabelledDocument[], q: EntityQueries, nerve: (query: string) => Promise<string[]>): Promise<Record<string, unknown>> {
  const bm25 = new MiniSearch({ fields: ['text'], storeFields: ['key'], idField: 'key' });
  bm25.addAll(docs.map((d) => ({ key: d.key, text: d.text })));
  const out: Record<string, unknown> = {};
  for (const lower of [false, true]) {
    const qs = q.queries.map((k) => (lower ? q.surface.get(k)!.toLowerCase() : q.surface.get(k)!));
    const truth = q.queries.map((k) => q.relevant.get(k)!);
    const ours: string[][] = [];
    for (const query of qs) ours.push(await nerve(query));
    const bm: string[][] = qs.map((query) => bm25.search(query).slice(0, 10).map((r) => r.key as string));
    // Where each wins: queries one system ranks a relevant document first and the other does not.
    const nerveWins: string[] = [];
    const bm25Wins: string[] = [];
    const bm25Recalls: string[] = [];
    let nerveNoResults = 0;
    qs.forEach((query, i) => {
      const n = truth[i]!.has(ours[i]![0] ?? '');
      const b = truth[i]!.has(bm[i]![0] ?? '');
      if (n && !b) nerveWins.push(query);
      if (b && !n) bm25Wins.push(query);
      if (ours[i]!.length === 0) nerveNoResults++;
      if (recallAt10(bm[i]!, truth[i]!) > recallAt10(ours[i]!, truth[i]!)) bm25Recalls.push(query);
    });
    const row = { nerve: score(ours, truth), bm25: score(bm, truth), topHitOnlyNerve: nerveWins.length, topHitOnlyBm25: bm25Wins.length, nerveNoResults, examples: { nerveFirst: nerveWins.slice(0, 8), bm25First: bm25Wins.slice(0, 8), bm25MoreInTop10: bm25Recalls.slice(0, 8) } };
    out[lower ? 'lowerCased' : 'asWritten'] = row;
    console.log(`${name} ${lower ? 'lower-cased' : 'as written '}: Nerve MRR ${row.nerve.mrr} R@10 ${row.nerve.recallAt10} | BM25 MRR ${row.bm25.mrr} R@10 ${row.bm25.recallAt10} | first hit only Nerve ${row.topHitOnlyNerve}, only BM25 ${row.topHitOnlyBm25}; Nerve without results ${nerveNoResults}`);
    console.log(`  relevant first only by BM25:  ${bm25Wins.slice(0, 5).join(' | ')}`);
    console.log(`  more relevant in BM25's top 10 (${bm25Recalls.length}): ${bm25Recalls.slice(0, 8).join(' | ')}`);
  }
  return { documents: docs.length, queries: q.queries.length, ...out };
}

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
 * DynamoDB requests per query are bounded whatever the corpus: at most MAX_CANDIDATES
 * vocabulary queries, one BatchGet of frequencies, SHARDS postings queries per entity
 * (each reading at most `depth` items from the rank index), and one query per result
 * on the page for its mentions.
 */
import { BatchGetCommand, QueryCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { NerModel } from '../engine/extract.js';
import { tokenize } from '../engine/tokenize.js';
import { normalizeName } from '../index/normalize.js';
import { keys, RANK_INDEX, SHARDS } from '../index/schema.js';
import type { ResolvedEntity } from '../index/resolve.js';
import type { IndexStore } from '../index/store.js';
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
  readonly mentions: Array<{ start: number; end: number; text: string }>;
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

const MAX_CANDIDATES = 12;
const MAX_NGRAM = 4;
const STOPWORDS = new Set('a an the of in on at to for and or by with from is are was were be as it its this that what who where when how news'.split(' '));

interface Target {
  readonly type: string;
  readonly key: string;
  /** 1 when the document's type agrees with the query's, 0.5 when it does not. */
  readonly weight: number;
  readonly queryIndex: number;
}

export async function search(store: IndexStore, model: NerModel, req: SearchRequest): Promise<SearchResponse> {
  let requests = 0;
  const queryName = async (name: string) => {
    requests++;
    const out = await store.client.send(new QueryCommand({ TableName: store.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `NAME#${name}` }, Limit: 8 }));
    return (out.Items ?? []) as Array<{ type: string; key: string; name: string }>;
  };

  // 1. The model on the query.
  const found = await model.extract(req.query);
  const queryEntities: QueryEntity[] = [];
  const targets: Target[] = [];
  const covered = new Uint8Array(Array.from(req.query).length);
  // Independent look-ups go out together: latency is the slowest request, not their sum.
  const lookups = await Promise.all(
    found.map(async (e) => {
      const normalized = normalizeName(e.text);
      // Aliases and acronyms resolve to their canonical entity.
      return { e, normalized, names: normalized ? await queryName(normalized) : [] };
    }),
  );
  for (const { e, normalized, names } of lookups) {
    if (!normalized) continue;
    const index = queryEntities.length;
    queryEntities.push({ text: e.text, type: e.type, normalized, foundBy: names.length > 0 ? 'model+vocabulary' : 'model', start: e.start, end: e.end });
    // An entity the index knows is settled; one it does not may have loose boundaries
    // ("halvard bank news"), so the vocabulary still gets to look inside it.
    if (names.length > 0) covered.fill(1, e.start, e.end);
    if (names.length === 0) targets.push({ type: e.type, key: normalized, weight: 1, queryIndex: index });
    for (const n of names) targets.push({ type: n.type, key: n.key, weight: n.type === e.type ? 1 : 0.5, queryIndex: index });
  }

  // 2. The index's vocabulary, for what the model missed: longest n-grams first.
  const tokens = [...tokenize(req.query)];
  const candidates: Array<{ from: number; to: number }> = [];
  for (let len = Math.min(MAX_NGRAM, tokens.length); len >= 1; len--) {
    for (let i = 0; i + len <= tokens.length; i++) {
      const span = tokens.slice(i, i + len);
      if (span.some((t) => covered[t.cpStart])) continue;
      if (len === 1 && (STOPWORDS.has(span[0]!.text.toLowerCase()) || !/\p{L}/u.test(span[0]!.text) || Array.from(span[0]!.text).length < 2)) continue;
      candidates.push({ from: i, to: i + len });
    }
  }
  for (const c of candidates.slice(0, MAX_CANDIDATES)) {
    const span = tokens.slice(c.from, c.to);
    if (span.some((t) => covered[t.cpStart])) continue; // a longer match took it
    const text = req.query.slice(span[0]!.start, span.at(-1)!.end);
    const names = await queryName(normalizeName(text));
    if (names.length === 0) continue;
    const index = queryEntities.length;
    // The vocabulary's most common reading names the type shown for the query entity.
    queryEntities.push({ text, type: names[0]!.type, normalized: normalizeName(text), foundBy: 'vocabulary', start: span[0]!.cpStart, end: span.at(-1)!.cpEnd });
    for (const t of span) covered.fill(1, t.cpStart, t.cpEnd);
    for (const n of names) targets.push({ type: n.type, key: n.key, weight: 1, queryIndex: index });
  }

  const wanted = req.types ? targets.filter((t) => req.types!.includes(t.type)) : targets;
  if (queryEntities.length === 0 || wanted.length === 0) {
    return {
      queryEntities,
      results: [],
      reason: queryEntities.length === 0 ? 'no entities found in the query, by the model or in the index vocabulary' : 'no query entity has one of the requested types',
      requests,
    };
  }

  // 3. Document frequencies, one BatchGet.
  const unique = [...new Map(wanted.map((t) => [`${t.type}#${t.key}`, t])).values()];
  requests++;
  const dfOut = await store.client.send(new BatchGetCommand({ RequestItems: { [store.table]: { Keys: unique.map((t) => keys.frequency(t.type, t.key)) } } }));
  const df = new Map((dfOut.Responses?.[store.table] ?? []).map((i) => [i.pk as string, (i.count as number) ?? 0]));

  // 4. Postings, top of each shard by rank.
  const depth = Math.min(200, 2 * (req.offset + req.limit) + 20);
  interface Candidate {
    key: string;
    line?: number;
    /** Best contribution per query entity. */
    matched: Map<number, number>;
    entities: Array<{ type: string; key: string }>;
  }
  // Each distinct entity's shards are read once, all at once, even when several query
  // entities resolve to it.
  const postings = new Map<string, Record<string, unknown>[]>();
  await Promise.all(
    unique.flatMap((t) =>
      Array.from({ length: SHARDS }, async (_, shard) => {
        requests++;
        const out = await store.client.send(
          new QueryCommand({
            TableName: store.table,
            IndexName: RANK_INDEX,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': keys.postingPartition(t.type, t.key, shard) },
            ScanIndexForward: false,
            Limit: depth,
          }),
        );
        const id = `${t.type}#${t.key}`;
        postings.set(id, [...(postings.get(id) ?? []), ...(out.Items ?? [])]);
      }),
    ),
  );
  const docs = new Map<string, Candidate>();
  for (const t of wanted) {
    const rarity = 1 / Math.log2(2 + (df.get(keys.frequency(t.type, t.key).pk) ?? 0));
    for (const p of postings.get(`${t.type}#${t.key}`) ?? []) {
      const id = p.documentId as string;
      const d: Candidate = docs.get(id) ?? { key: p.s3Key as string, line: p.line as number | undefined, matched: new Map(), entities: [] };
      const contribution = rarity * (p.rank as number) * t.weight;
      d.matched.set(t.queryIndex, Math.max(d.matched.get(t.queryIndex) ?? 0, contribution));
      d.entities.push({ type: t.type, key: t.key });
      docs.set(id, d);
    }
  }

  const ranked = [...docs.entries()]
    .map(([documentId, d]) => ({ documentId, d, count: d.matched.size, score: [...d.matched.values()].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.count - a.count || b.score - a.score || a.documentId.localeCompare(b.documentId));
  const page = ranked.slice(req.offset, req.offset + req.limit);

  // 5. Mentions of the matched entities, for highlighting.
  const results: SearchResult[] = await Promise.all(page.map(async (r): Promise<SearchResult> => {
    // One query (one page, unless a document's entities pass 1 MB) reads its record and entity chunks together.
    const items: Record<string, unknown>[] = [];
    for await (const p of paginateQuery({ client: store.client }, { TableName: store.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.document(r.documentId).pk } })) {
      requests++;
      items.push(...(p.Items ?? []));
    }
    const meta = items.find((i) => i.sk === 'META');
    const entities = items.filter((i) => String(i.sk).startsWith('ENT#')).flatMap((i) => i.entities as ResolvedEntity[]);
    const want = new Set(r.d.entities.map((e) => `${e.type}#${e.key}`));
    const matches = new Map<string, SearchMatch>();
    for (const e of entities) {
      const id = `${e.type}#${e.key}`;
      if (!want.has(id)) continue;
      const m: SearchMatch = matches.get(id) ?? { type: e.type, text: e.name, normalized: e.key, mentions: [] };
      m.mentions.push(...e.mentions.map((x) => ({ start: x.start, end: x.end, text: x.text })));
      matches.set(id, m);
    }
    return {
      documentId: r.documentId,
      key: r.d.key,
      ...(r.d.line !== undefined ? { line: r.d.line } : {}),
      score: Number((r.count + r.score / (1 + r.score)).toFixed(4)),
      title: meta?.title as string | undefined,
      snippet: meta?.snippet as string | undefined,
      matches: [...matches.values()],
    };
  }));
  return {
    queryEntities,
    results,
    nextOffset: req.offset + req.limit < ranked.length ? req.offset + req.limit : undefined,
    ...(ranked.length === 0 ? { reason: 'no indexed document mentions the query\'s entities' } : {}),
    requests,
  };
}

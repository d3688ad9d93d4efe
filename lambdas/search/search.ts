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
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NerModel } from '../engine/extract.js';
import { tokenize } from '../engine/tokenize.js';
import { normalizeName } from '../index/normalize.js';
import { keys, RANK_INDEX, SHARDS, splitEntityKey } from '../index/schema.js';
import { batchGet, type IndexStore } from '../index/store.js';
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

/** Vocabulary candidates (n-grams of the query) per search: with the model's entities, one BatchGet. */
const MAX_CANDIDATES = 90;
const MAX_NGRAM = 4;
/** Distinct entities whose postings one search reads (readings of a name count each). */
const MAX_ENTITIES = 16;
/** Readings of one name weighed (by document frequency) before choosing the ones to follow. */
const MAX_READINGS_WEIGHED = 16;
/**
 * Readings a search follows in all: every query entity's most frequent reading, then
 * further ones (see READING_SHARE) while the total stays within this. Each costs SHARDS
 * requests.
 */
const READINGS_BUDGET = 3;
/**
 * Readings beyond the first: the query's own name under another type always may ("Paris"
 * the person beside the city; the type mismatch weighs half); an alias reading (another
 * name the index linked to it) only with at least this share of the most frequent
 * reading's documents: "opec" linked once to "opec fund board of governors" would cost
 * SHARDS requests and add nothing a first page shows.
 */
const READING_SHARE = 0.1;
const STOPWORDS = new Set('a an the of in on at to for and or by with from is are was were be as it its this that what who where when how news'.split(' '));

interface Target {
  readonly type: string;
  readonly key: string;
  /** 1 when the document's type agrees with the query's, 0.5 when it does not. */
  readonly weight: number;
  readonly queryIndex: number;
}

export async function search(store: IndexStore, model: NerModel, req: SearchRequest): Promise<SearchResponse> {
  const counter = { requests: 0 };

  // 1. Candidates: the model's entities in the query, and its n-grams (longest first) for
  // what the model missed. Every candidate's readings come from one BatchGet.
  const found = (await model.extract(req.query)).map((e) => ({ e, normalized: normalizeName(e.text) })).filter((f) => f.normalized);
  const tokens = [...tokenize(req.query)];
  const ngrams: Array<{ span: typeof tokens; text: string; normalized: string }> = [];
  for (let len = Math.min(MAX_NGRAM, tokens.length); len >= 1 && ngrams.length < MAX_CANDIDATES; len--) {
    for (let i = 0; i + len <= tokens.length && ngrams.length < MAX_CANDIDATES; i++) {
      const span = tokens.slice(i, i + len);
      if (len === 1 && (STOPWORDS.has(span[0]!.text.toLowerCase()) || !/\p{L}/u.test(span[0]!.text) || Array.from(span[0]!.text).length < 2)) continue;
      const text = req.query.slice(span[0]!.start, span.at(-1)!.end);
      const normalized = normalizeName(text);
      if (normalized) ngrams.push({ span, text, normalized });
    }
  }
  const vocabulary = new Map(
    (await batchGet(store, [...found.map((f) => f.normalized), ...ngrams.map((g) => g.normalized)].map(keys.name), 'pk, readings', counter)).map((i) => [
      (i.pk as string).slice('NAME#'.length),
      [...((i.readings as Set<string> | undefined) ?? [])].sort().slice(0, MAX_READINGS_WEIGHED).map(splitEntityKey),
    ]),
  );
  const readingsOf = (name: string) => vocabulary.get(name) ?? [];

  const queryEntities: QueryEntity[] = [];
  const targets: Target[] = [];
  const covered = new Uint8Array(Array.from(req.query).length);
  const known = ngrams.filter((g) => readingsOf(g.normalized).length > 0);
  for (const { e, normalized } of found) {
    // The vocabulary knows a longer name around it ("soviet union" around the model's "soviet"): that one.
    if (known.some((g) => g.span[0]!.cpStart <= e.start && g.span.at(-1)!.cpEnd >= e.end && g.span.at(-1)!.cpEnd - g.span[0]!.cpStart > e.end - e.start)) continue;
    const names = readingsOf(normalized);
    const index = queryEntities.length;
    queryEntities.push({ text: e.text, type: e.type, normalized, foundBy: names.length > 0 ? 'model+vocabulary' : 'model', start: e.start, end: e.end });
    // An entity the index knows is settled; one it does not may have loose boundaries
    // ("halvard bank news"), so the vocabulary still gets to look inside it.
    if (names.length > 0) covered.fill(1, e.start, e.end);
    // Aliases and acronyms resolve to their canonical entity.
    if (names.length === 0) targets.push({ type: e.type, key: normalized, weight: 1, queryIndex: index });
    for (const [type, key] of names) targets.push({ type, key, weight: type === e.type ? 1 : 0.5, queryIndex: index });
  }
  for (const { span, text, normalized } of ngrams) {
    const names = readingsOf(normalized);
    if (names.length === 0 || span.some((t) => covered[t.cpStart])) continue; // unknown, or a longer match took it
    const index = queryEntities.length;
    queryEntities.push({ text, type: names[0]![0], normalized, foundBy: 'vocabulary', start: span[0]!.cpStart, end: span.at(-1)!.cpEnd });
    for (const t of span) covered.fill(1, t.cpStart, t.cpEnd);
    for (const [type, key] of names) targets.push({ type, key, weight: 1, queryIndex: index });
  }

  const typed = req.types ? targets.filter((t) => req.types!.includes(t.type)) : targets;
  if (queryEntities.length === 0 || typed.length === 0) {
    return {
      queryEntities,
      results: [],
      reason: queryEntities.length === 0 ? 'no entities found in the query, by the model or in the index vocabulary' : 'no query entity has one of the requested types',
      requests: counter.requests,
    };
  }

  // 2. Document frequencies (one BatchGet), which also choose the readings to follow.
  const id = (t: { type: string; key: string }) => `${t.type}#${t.key}`;
  const frequencies = await batchGet(store, [...new Map(typed.map((t) => [id(t), keys.frequency(t.type, t.key)])).values()], undefined, counter);
  const df = new Map(frequencies.map((i) => [(i.pk as string).slice('DF#'.length), (i.count as number) ?? 0]));
  const dfOf = (t: { type: string; key: string }) => df.get(id(t)) ?? 0;
  const tops: Target[] = [];
  const extras: Target[] = [];
  queryEntities.forEach((q, index) => {
    const own = typed.filter((t) => t.queryIndex === index && dfOf(t) > 0).sort((a, b) => dfOf(b) - dfOf(a) || id(a).localeCompare(id(b)));
    if (!own[0]) return; // no indexed document has it
    tops.push(own[0]);
    extras.push(...own.slice(1).filter((t) => t.key === q.normalized || dfOf(t) >= READING_SHARE * dfOf(own[0]!)));
    // A name found in the vocabulary shows its most frequent reading's type.
    if (q.foundBy === 'vocabulary') queryEntities[index] = { ...q, type: own[0].type };
  });
  // Query order decides which entities stay when a long query names more than MAX_ENTITIES.
  const unique = [...new Map(tops.map((t) => [id(t), t])).values()].slice(0, MAX_ENTITIES);
  const sameName = (t: Target) => (t.key === queryEntities[t.queryIndex]!.normalized ? 0 : 1);
  for (const t of extras.sort((a, b) => sameName(a) - sameName(b) || dfOf(b) - dfOf(a))) {
    if (unique.length >= READINGS_BUDGET) break;
    if (!unique.some((u) => id(u) === id(t))) unique.push(t);
  }
  const kept = new Set(unique.map(id));
  const wanted = [...tops, ...extras].filter((t) => kept.has(id(t)));

  // 3. Postings, top of each shard by rank.
  // One query entity ranks by its postings' rank alone, so the top offset + limit of each
  // shard is exact; with several, documents matching more of them come first, and a deeper
  // read finds more of those intersections.
  const depth = Math.min(200, queryEntities.length === 1 ? req.offset + req.limit : 2 * (req.offset + req.limit) + 10);
  interface Candidate {
    key: string;
    line?: number;
    /** Best contribution per query entity. */
    matched: Map<number, number>;
    matches: Map<string, SearchMatch>;
  }
  // Each distinct entity's shards are read once, all at once, even when several query
  // entities resolve to it.
  const postings = new Map<string, Record<string, unknown>[]>();
  await Promise.all(
    unique.flatMap((t) =>
      Array.from({ length: SHARDS }, async (_, shard) => {
        counter.requests++;
        const out = await store.client.send(
          new QueryCommand({
            TableName: store.table,
            IndexName: RANK_INDEX,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': keys.postingPartition(t.type, t.key, shard) },
            // What ranking and highlighting read (not `first`).
            ProjectionExpression: 'documentId, s3Key, #line, #rank, #name, mentions, spans',
            ExpressionAttributeNames: { '#line': 'line', '#rank': 'rank', '#name': 'name' },
            ScanIndexForward: false,
            Limit: depth,
          }),
        );
        postings.set(id(t), [...(postings.get(id(t)) ?? []), ...(out.Items ?? [])]);
      }),
    ),
  );
  const docs = new Map<string, Candidate>();
  for (const t of wanted) {
    const rarity = 1 / Math.log2(2 + dfOf(t));
    for (const p of postings.get(id(t)) ?? []) {
      const documentId = p.documentId as string;
      const d: Candidate = docs.get(documentId) ?? { key: p.s3Key as string, line: p.line as number | undefined, matched: new Map(), matches: new Map() };
      const contribution = rarity * (p.rank as number) * t.weight;
      d.matched.set(t.queryIndex, Math.max(d.matched.get(t.queryIndex) ?? 0, contribution));
      d.matches.set(id(t), {
        type: t.type,
        text: p.name as string,
        normalized: t.key,
        mentions: ((p.spans as Array<[number, number, string]> | undefined) ?? []).map(([start, end, text]) => ({ start, end, text })),
        mentionCount: p.mentions as number,
      });
      docs.set(documentId, d);
    }
  }

  const ranked = [...docs.entries()]
    .map(([documentId, d]) => ({ documentId, d, count: d.matched.size, score: [...d.matched.values()].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.count - a.count || b.score - a.score || a.documentId.localeCompare(b.documentId));
  const page = ranked.slice(req.offset, req.offset + req.limit);

  // 4. Titles and snippets of the page's documents, one BatchGet (the postings brought the mentions).
  const records = new Map(
    (await batchGet(store, page.map((r) => keys.document(r.documentId)), 'pk, title, snippet', counter)).map((i) => [(i.pk as string).slice('DOC#'.length), i]),
  );
  const results: SearchResult[] = page.map((r): SearchResult => {
    const meta = records.get(r.documentId);
    return {
      documentId: r.documentId,
      key: r.d.key,
      ...(r.d.line !== undefined ? { line: r.d.line } : {}),
      score: Number((r.count + r.score / (1 + r.score)).toFixed(4)),
      title: meta?.title as string | undefined,
      snippet: meta?.snippet as string | undefined,
      matches: [...r.d.matches.values()],
    };
  });
  return {
    queryEntities,
    results,
    nextOffset: req.offset + req.limit < ranked.length ? req.offset + req.limit : undefined,
    ...(ranked.length === 0 ? { reason: 'no indexed document mentions the query\'s entities' } : {}),
    requests: counter.requests,
  };
}

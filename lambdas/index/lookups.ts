/**
 * The index's reads for search, each a bounded number of requests: the readings of
 * candidate names (BatchGet), entities' document frequencies (BatchGet), the top
 * postings of an entity by rank (SHARDS queries on the rank index), and the titles and
 * snippets of a page of documents with its matches' mentions (BatchGet).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, type IndexStore, type RequestCounter } from './dynamo.js';
import { entityKey, itemId, keys, parseKey, RANK_INDEX, RANK_INDEX_ATTRIBUTES, SHARDS, splitEntityKey, unpackList, type ItemKey } from './schema.js';

export interface EntityRef {
  readonly type: string;
  readonly key: string;
}

/** A posting as search reads it: enough to rank the document and highlight its mentions. */
export interface Posting {
  readonly documentId: string;
  readonly s3Key: string;
  readonly line?: number;
  readonly rank: number;
  /** The entity's canonical name in that document. */
  readonly name: string;
  /** How many mentions the document has in all. */
  readonly mentionCount: number;
  /** The document's most salient entities (entityKey) and terms (postings.ts). */
  readonly docEntities: readonly string[];
  readonly docTerms: readonly string[];
}

/** The first POSTING_MENTIONS mentions of an entity in a document: [start, end, text] in code points. */
export type Spans = Array<[number, number, string]>;

/** The entities each name stands for (sorted), for the names the index knows. */
export async function nameReadings(store: IndexStore, names: readonly string[], counter?: RequestCounter): Promise<Map<string, EntityRef[]>> {
  const items = await batchGet(store, names.map(keys.name), ['pk', 'readings'], counter);
  return new Map(
    items.map((i) => [parseKey.name(i.pk as string), [...((i.readings as Set<string> | undefined) ?? [])].sort().map((k) => {
      const [type, key] = splitEntityKey(k);
      return { type, key };
    })]),
  );
}

/**
 * Document frequency of each entity, by entityKey: the sum of its counters (schema.ts), read
 * in one BatchGet per 100 keys (SHARDS + 1 an entity); an entity the index has never seen is absent.
 */
export async function documentFrequencies(store: IndexStore, entities: readonly EntityRef[], counter?: RequestCounter): Promise<Map<string, number>> {
  const counters = entities.flatMap((e) => keys.frequencies(e.type, e.key).map((k) => ({ k, entity: entityKey(e) })));
  const entityOf = new Map(counters.map(({ k, entity }) => [itemId(k), entity]));
  const items = await batchGet(store, counters.map(({ k }) => k), ['pk', 'sk', 'count'], counter);
  const sums = new Map<string, number>();
  for (const i of items) {
    const entity = entityOf.get(itemId(i as unknown as ItemKey))!;
    sums.set(entity, (sums.get(entity) ?? 0) + ((i.count as number | undefined) ?? 0));
  }
  return sums;
}

/** What of a posting's document context a search reads: its entities (for filters and facets), its terms (for the query's words). */
export interface PostingContext {
  readonly entities: boolean;
  readonly terms: boolean;
}

/**
 * The `depth` best-ranked postings of each shard of an entity: SHARDS queries, all at
 * once. Without their mentions, which only a page's documents need (pageRecords), and
 * without the parts of the document context `context` leaves out (they are most of a
 * posting's bytes): those come back empty.
 */
export async function topPostings(store: IndexStore, entity: EntityRef, depth: number, counter?: RequestCounter, context: PostingContext = { entities: true, terms: true }): Promise<Posting[]> {
  // What ranking, filters and facets read: all the index carries, or less.
  const attributes = ['rank', ...RANK_INDEX_ATTRIBUTES.filter((a) => (a !== 'docEntities' || context.entities) && (a !== 'docTerms' || context.terms))];
  const shards = await Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      if (counter) counter.requests++;
      const out = await store.client.send(
        new QueryCommand({
          TableName: store.table,
          IndexName: RANK_INDEX,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.postingPartition(entity.type, entity.key, shard) },
          ProjectionExpression: attributes.map((a) => `#${a}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(attributes.map((a) => [`#${a}`, a])),
          ScanIndexForward: false,
          Limit: depth,
        }),
      );
      return (out.Items ?? []).map(
        (p): Posting => ({
          documentId: p.documentId as string,
          s3Key: p.s3Key as string,
          line: p.line as number | undefined,
          rank: p.rank as number,
          name: p.name as string,
          mentionCount: p.mentions as number,
          docEntities: unpackList(p.docEntities),
          docTerms: unpackList(p.docTerms),
        }),
      );
    }),
  );
  return shards.flat();
}

/** What a page of results shows: its documents' titles and snippets, and its matches' mentions. */
export interface PageRecords {
  /** documentId → title and snippet. */
  readonly summaries: Map<string, { title?: string; snippet?: string }>;
  /** itemId of a posting → its mentions (spans). */
  readonly spans: Map<string, Spans>;
}

/**
 * A page's document records and the postings of its matches, in one BatchGet (per 100
 * keys): a page of 10 with a match or two each fits in one request, where two lookups
 * would cost two.
 */
export async function pageRecords(store: IndexStore, documentIds: readonly string[], wanted: ReadonlyArray<{ entity: EntityRef; documentId: string }>, counter?: RequestCounter): Promise<PageRecords> {
  const documents = documentIds.map(keys.document);
  const documentItems = new Set(documents.map(itemId));
  const postings = wanted.map((w) => keys.posting(w.entity.type, w.entity.key, w.documentId));
  const items = await batchGet(store, [...documents, ...postings], ['pk', 'sk', 'title', 'snippet', 'spans'], counter);
  const summaries = new Map<string, { title?: string; snippet?: string }>();
  const spans = new Map<string, Spans>();
  for (const i of items) {
    const id = itemId({ pk: i.pk as string, sk: i.sk as string });
    if (documentItems.has(id)) summaries.set(parseKey.document(i.pk as string), { title: i.title as string | undefined, snippet: i.snippet as string | undefined });
    else spans.set(id, (i.spans as Spans | undefined) ?? []);
  }
  return { summaries, spans };
}

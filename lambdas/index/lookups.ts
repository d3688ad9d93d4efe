/**
 * The index's reads for search, each a bounded number of requests: the readings of
 * candidate names (BatchGet), entities' document frequencies (BatchGet), the top
 * postings of an entity by rank (SHARDS queries on the rank index), and the titles and
 * snippets of a page of documents with its matches' mentions (BatchGet).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet, type IndexStore, type RequestCounter } from './dynamo.js';
import { ALL_SHARDS, entityKey, itemId, keys, parseKey, RANK_INDEX, SHARDS, splitEntityKey, unpackList, type ItemKey } from './schema.js';

export interface EntityRef {
  readonly type: string;
  readonly key: string;
}

/**
 * A posting as search ranks it: the document and its rank. The entity's name and mentions in
 * the document, and the document's key, are read for the page's documents only (pageRecords):
 * a search ranks hundreds of postings to show ten.
 */
export interface Posting {
  readonly documentId: string;
  readonly rank: number;
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

/** An entity's document frequency, and the shards its postings lie in. */
export interface Frequency {
  readonly documents: number;
  /**
   * The shards whose counters hold documents: the only ones worth a postings query. Every
   * shard where an index's unsharded counter of before the shards has documents, since it
   * says nothing of where they lie. Read as eventually as the postings index is written.
   */
  readonly shards: readonly number[];
}

/**
 * Document frequency of each entity, by entityKey: the sum of its counters (schema.ts), read
 * in one BatchGet per 100 keys (SHARDS + 1 an entity); an entity the index has never seen is absent.
 */
export async function documentFrequencies(store: IndexStore, entities: readonly EntityRef[], counter?: RequestCounter): Promise<Map<string, Frequency>> {
  // keys.frequencies lists the SHARDS counters in shard order, then the unsharded one.
  const counters = entities.flatMap((e) => keys.frequencies(e.type, e.key).map((k, shard) => ({ k, shard, entity: entityKey(e) })));
  const counterOf = new Map(counters.map((c) => [itemId(c.k), c]));
  const items = await batchGet(store, counters.map(({ k }) => k), ['pk', 'sk', 'count'], counter);
  const counts = new Map<string, number[]>();
  for (const i of items) {
    const { entity, shard } = counterOf.get(itemId(i as unknown as ItemKey))!;
    const perShard = counts.get(entity) ?? new Array<number>(SHARDS + 1).fill(0);
    perShard[shard] = (i.count as number | undefined) ?? 0;
    counts.set(entity, perShard);
  }
  return new Map(
    [...counts].map(([entity, perShard]) => [
      entity,
      { documents: perShard.reduce((a, b) => a + b, 0), shards: perShard[SHARDS] !== 0 ? ALL_SHARDS : ALL_SHARDS.filter((shard) => perShard[shard]! > 0) },
    ]),
  );
}

/** What of a posting's document context a search reads: its entities (for filters and facets), its terms (for the query's words). */
export interface PostingContext {
  readonly entities: boolean;
  readonly terms: boolean;
}

/**
 * The `depth` best-ranked postings of each of an entity's `shards` (all of them unless the
 * counters say which hold postings): a query each, all at once. Only what ranking reads (the
 * document id is the table's sort key, which the index carries): names, mentions and keys
 * are the page's to read (pageRecords), and the parts of the document context `context`
 * leaves out come back empty. What a query returns is what it costs, to send and to
 * unmarshal (bench/results/search.json).
 */
export async function topPostings(store: IndexStore, entity: EntityRef, depth: number, counter?: RequestCounter, context: PostingContext = { entities: true, terms: true }, shards: readonly number[] = ALL_SHARDS): Promise<Posting[]> {
  // The sort key is the document id; the context lists only where filters, facets or the query's words read them.
  const attributes = ['sk', 'rank', ...(context.entities ? ['docEntities'] : []), ...(context.terms ? ['docTerms'] : [])];
  const read = await Promise.all(
    shards.map(async (shard) => {
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
          documentId: p.sk as string,
          rank: p.rank as number,
          docEntities: unpackList(p.docEntities),
          docTerms: unpackList(p.docTerms),
        }),
      );
    }),
  );
  return read.flat();
}

/** A page document's record, as a result shows it; `status` says whether it is still indexed. */
export interface PageDocument {
  readonly key: string;
  readonly line?: number;
  readonly status: string;
  /** The live version (its sequencer, fenceOf), which a word hit must be of to be a result. */
  readonly seq?: string;
  readonly title?: string;
  readonly snippet?: string;
}

/** A page match's posting: the entity's name in the document, its mentions (the first POSTING_MENTIONS) and their count. */
export interface PageMatch {
  readonly name: string;
  readonly mentionCount: number;
  readonly spans: Spans;
}

/** What a page of results shows: its documents' records, and its matches' postings. */
export interface PageRecords {
  readonly documents: Map<string, PageDocument>;
  /** itemId of a posting → what the page shows of it. */
  readonly matches: Map<string, PageMatch>;
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
  const items = await batchGet(store, [...documents, ...postings], ['pk', 'sk', 'key', 'line', 'status', 'seq', 'title', 'snippet', 'name', 'mentions', 'spans'], counter);
  const records = new Map<string, PageDocument>();
  const matches = new Map<string, PageMatch>();
  for (const i of items) {
    const id = itemId({ pk: i.pk as string, sk: i.sk as string });
    if (documentItems.has(id)) records.set(parseKey.document(i.pk as string), { key: i.key as string, line: i.line as number | undefined, status: i.status as string, seq: i.seq as string | undefined, title: i.title as string | undefined, snippet: i.snippet as string | undefined });
    else matches.set(id, { name: i.name as string, mentionCount: i.mentions as number, spans: (i.spans as Spans | undefined) ?? [] });
  }
  return { documents: records, matches };
}

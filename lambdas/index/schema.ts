/**
 * The entity index: one DynamoDB table, defined once here and used by the CDK construct
 * (lib/entity-index.ts) and by the local stack, so the two cannot drift.
 *
 * Items (pk / sk):
 * - `DOC#<documentId>` / `META`: the document record (status, source, model, entity keys).
 * - `DOC#<documentId>` / `ENT#<n>`: its resolved entities with mentions, in chunks kept
 *   far under DynamoDB's 400 KB item limit however many mentions a document has.
 * - `POST#<type>#<key>#<shard>` / `<documentId>`: a posting, with `rank` (salience) for the
 *   `byRank` index, and the entity's first POSTING_MENTIONS mentions, so that a search
 *   page highlights its matches without reading the documents' entity chunks. `byRank`
 *   is a global index (pk, rank) that projects what ranking reads and not the mentions: a
 *   local one would cap each posting partition, with its copies, at 10 GB, which a hot
 *   entity's partitions pass before 100M documents (docs/scale.md).
 *   A hot entity (a country in every third document) is spread over SHARDS partitions
 *   by a hash of the document id, and a search reads a bounded number of items from
 *   each: SHARDS queries, never a scan of every posting.
 * - `DF#<type>#<key>#<shard>` / `SHARD`: document frequency, counted per posting shard: a
 *   counter moved only when a posting of that shard is created or deleted, in the same
 *   transaction (postings.ts). An entity's frequency is the sum of its SHARDS counters, so
 *   a hot entity's +1s are spread over SHARDS partitions as its postings are (docs/scale.md).
 *   `DF#<type>#<key>` / `DF` is the single counter of an index written before the shards;
 *   it is read and added in, so such an index stays exact (its postings' removals then
 *   count down the shards: only the sum has a meaning).
 * - `NAME#<normalized name>` / `NAME`: the vocabulary of names and aliases the search path
 *   matches queries against: `readings`, a string set of the entities (`<type>\u0000<key>`)
 *   the name stands for. One item per name, so a search reads every candidate name of a
 *   query in one BatchGet.
 * - `LEASE#<documentId>` / `LEASE`: which worker is processing a file, until when
 *   (leases.ts): one writer per file at a time.
 *
 * Every key is built here (`keys`) and read back here (`parseKey`); nothing else spells
 * a prefix.
 */
import { createHash } from 'node:crypto';

export const SHARDS = 4;
/** Every shard number, in order. */
export const ALL_SHARDS: readonly number[] = Array.from({ length: SHARDS }, (_, shard) => shard);
/** Mentions (start, end, text) a posting carries; the count of all of them is beside. */
export const POSTING_MENTIONS = 32;
export const RANK_INDEX = 'byRank';
/** What the `byRank` index carries beside its keys: what search reads to rank, filter and facet (lookups.ts topPostings). */
export const RANK_INDEX_ATTRIBUTES = ['documentId', 's3Key', 'line', 'name', 'mentions', 'docEntities', 'docTerms'] as const;

export const TABLE_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [{ name: RANK_INDEX, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'rank', type: 'N' }, nonKeyAttributes: RANK_INDEX_ATTRIBUTES }],
} as const;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

const PREFIX = { document: 'DOC#', posting: 'POST#', frequency: 'DF#', name: 'NAME#', lease: 'LEASE#' } as const;
/** Sort keys of a document's entity chunks start with this. */
export const ENTITY_CHUNK_PREFIX = 'ENT#';

export const keys = {
  document: (documentId: string): ItemKey => ({ pk: `${PREFIX.document}${documentId}`, sk: 'META' }),
  /** Chunks are per attempt at a version (`chunkSet`): they never overwrite the live ones. */
  entityChunk: (documentId: string, chunkSet: string, n: number): ItemKey => ({ pk: `${PREFIX.document}${documentId}`, sk: `${chunkPrefix(chunkSet)}${String(n).padStart(5, '0')}` }),
  posting: (type: string, key: string, documentId: string): ItemKey => ({ pk: postingPartition(type, key, shardOf(documentId)), sk: documentId }),
  postingPartition: (type: string, key: string, shard: number) => postingPartition(type, key, shard),
  /** The counter of the shard a posting lies in (the document's shardOf). */
  frequency: (type: string, key: string, shard: number) => frequencyKey(type, key, shard),
  /** Every counter an entity's frequency is the sum of: its shards' and the unsharded one of older indexes. */
  frequencies: (type: string, key: string): ItemKey[] => [
    ...ALL_SHARDS.map((shard) => frequencyKey(type, key, shard)),
    { pk: `${PREFIX.frequency}${type}#${key}`, sk: 'DF' },
  ],
  name: (name: string): ItemKey => ({ pk: `${PREFIX.name}${name}`, sk: 'NAME' }),
  lease: (documentId: string): ItemKey => ({ pk: `${PREFIX.lease}${documentId}`, sk: 'LEASE' }),
} as const;

/** What a partition key names, read back: the inverse of `keys` for the items read by key. */
export const parseKey = {
  document: (pk: string) => stripPrefix(pk, PREFIX.document),
  name: (pk: string) => stripPrefix(pk, PREFIX.name),
} as const;

function stripPrefix(pk: string, prefix: string): string {
  if (!pk.startsWith(prefix)) throw new Error(`${pk} is not a ${prefix} key`);
  return pk.slice(prefix.length);
}

/** One string per item key, to deduplicate keys and requests. */
export const itemId = (k: ItemKey) => `${k.pk}\u0000${k.sk}`;

/** An entity as one string (`<type>\u0000<key>`): in document records and name readings. */
export const entityKey = (e: { type: string; key: string }) => `${e.type}\u0000${e.key}`;
export const splitEntityKey = (k: string) => k.split('\u0000') as [string, string];

/**
 * A posting's context lists (docEntities, docTerms) are stored as one string each, the
 * values joined by U+001F (normalized names and types hold no control characters). A
 * list of strings costs a marshalled value per element at every step of every write (the
 * SDK, DynamoDB's validation, the storage), and a story writes a posting per entity and
 * term: packed, a story's postings transaction costs about a fifth less to send and apply
 * (profiled with the local stack's DynamoDB).
 */
export const packList = (values: readonly string[]): string | undefined => (values.length > 0 ? values.join('\u001f') : undefined);
/** The inverse of packList; a list (as postings written before packing hold) is read as it is. */
export const unpackList = (stored: unknown): string[] => (typeof stored === 'string' ? stored.split('\u001f') : Array.isArray(stored) ? (stored as string[]) : []);

const frequencyKey = (type: string, key: string, shard: number): ItemKey => ({ pk: `${PREFIX.frequency}${type}#${key}#${shard}`, sk: 'SHARD' });

function postingPartition(type: string, key: string, shard: number): string {
  return `${PREFIX.posting}${type}#${key}#${shard}`;
}

export function shardOf(documentId: string): number {
  return createHash('sha256').update(documentId).digest().readUInt32BE(0) % SHARDS;
}

/** Stable document ids: a file's id from its bucket and key; a JSON-lines document adds its line. */
export function documentIdOf(bucket: string, key: string, line?: number): string {
  const base = `d${createHash('sha256').update(`${bucket}/${key}`).digest('hex').slice(0, 24)}`;
  return line === undefined ? base : `${base}-L${line}`;
}

/** Sort-key prefix of one chunk set (an attempt at a version) of entity chunks. */
export const chunkPrefix = (chunkSet: string) => `${ENTITY_CHUNK_PREFIX}${chunkSet}#`;

/**
 * A sequencer in the form the index stores and compares in conditions: upper case,
 * right-padded with zeros to a fixed length, so that DynamoDB's string order is S3's order.
 */
export function fenceOf(sequencer: string): string {
  return sequencer.toUpperCase().padEnd(SEQUENCER_LENGTH, '0');
}
const SEQUENCER_LENGTH = 40;

/** S3's sequencer order: right-pad the shorter with zeros, then compare as strings. */
export function compareSequencers(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(n, '0');
  const pb = b.toUpperCase().padEnd(n, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

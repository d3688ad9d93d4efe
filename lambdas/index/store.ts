/**
 * Reading and writing the entity index (see schema.ts for the item layout). Writes are
 * ordered so that a crash at any point leaves an index that the retry of the same event
 * repairs: new items first, then the document record, then the stale items it lists.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchGet, batchWrite, mapLimit, type IndexStore, type WriteRequest } from './dynamo.js';
import type { ResolvedEntity } from './resolve.js';
import { ENTITY_CHUNK_PREFIX, entityKey, itemId, keys, POSTING_MENTIONS, splitEntityKey } from './schema.js';

export type { IndexStore } from './dynamo.js';

export type DocumentStatus = 'indexed' | 'failed' | 'deleted';

export interface DocumentRecord {
  readonly documentId: string;
  readonly bucket: string;
  readonly key: string;
  readonly line?: number;
  readonly sequencer: string;
  readonly status: DocumentStatus;
  readonly reason?: string;
  readonly model?: { name: string; version: string };
  readonly title?: string;
  readonly snippet?: string;
  readonly chars?: number;
  readonly entityCount?: number;
  readonly chunkCount: number;
  /** `TYPE\u0000key` of every entity posted for this document. */
  readonly entityKeys: string[];
  /** Postings of an earlier version still to delete (kept until the clean-up finishes). */
  readonly staleEntityKeys?: string[];
  /** Ids of the documents of a multi-document file (JSON lines, JSON array). */
  readonly children?: string[];
  readonly updatedAt: string;
}

const CHUNK_BYTES = 128 * 1024;

export async function getDocument(store: IndexStore, documentId: string): Promise<DocumentRecord | undefined> {
  const out = await store.client.send(new GetCommand({ TableName: store.table, Key: keys.document(documentId), ConsistentRead: true }));
  return out.Item as DocumentRecord | undefined;
}

/** Entities with mentions, in order of first mention. */
export async function getEntities(store: IndexStore, documentId: string): Promise<ResolvedEntity[]> {
  const out: ResolvedEntity[] = [];
  const pages = paginateQuery({ client: store.client }, {
    TableName: store.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ent)',
    ExpressionAttributeValues: { ':pk': keys.document(documentId).pk, ':ent': ENTITY_CHUNK_PREFIX },
    ConsistentRead: true,
  });
  for await (const page of pages) for (const item of page.Items ?? []) out.push(...(item.entities as ResolvedEntity[]));
  return out;
}

function chunkEntities(entities: readonly ResolvedEntity[]): ResolvedEntity[][] {
  const chunks: ResolvedEntity[][] = [];
  let current: ResolvedEntity[] = [];
  let bytes = 0;
  for (const e of entities) {
    const size = Buffer.byteLength(JSON.stringify(e));
    if (current.length > 0 && bytes + size > CHUNK_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    // One entity with more mentions than a chunk holds is split across chunks.
    if (size > CHUNK_BYTES) {
      const per = Math.max(1, Math.floor((e.mentions.length * CHUNK_BYTES) / size));
      for (let i = 0; i < e.mentions.length; i += per) chunks.push([{ ...e, mentions: e.mentions.slice(i, i + per) }]);
      continue;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Salience: more mentions, an earlier first mention and a mention in the title rank higher. */
export function salience(entity: ResolvedEntity, chars: number, titleChars: number): number {
  const first = entity.mentions[0]?.start ?? chars;
  const inTitle = entity.mentions.some((m) => m.end <= titleChars);
  return Number((Math.log2(1 + entity.mentions.length) + (inTitle ? 1 : 0) + 0.5 * (1 - first / Math.max(1, chars))).toFixed(4));
}

export interface IndexedDocument {
  readonly record: Omit<DocumentRecord, 'chunkCount' | 'entityKeys' | 'staleEntityKeys' | 'updatedAt' | 'entityCount'>;
  readonly entities: readonly ResolvedEntity[];
  readonly titleChars: number;
}

/** Write (or replace) a document: entities, postings, names, record; then remove what is stale. */
export async function putDocument(store: IndexStore, doc: IndexedDocument, known?: { previous: DocumentRecord | undefined }): Promise<void> {
  const { documentId } = doc.record;
  const previous = known ? known.previous : await getDocument(store, documentId);
  const chunks = chunkEntities(doc.entities);
  const chars = doc.record.chars ?? 0;
  const puts: WriteRequest[] = [];
  chunks.forEach((entities, n) => puts.push({ PutRequest: { Item: { ...keys.entityChunk(documentId, n), entities } } }));
  const newKeys = new Set<string>();
  const postings: Array<{ e: ResolvedEntity; rank: number }> = [];
  const readings = new Map<string, Set<string>>(); // name → the entities it stands for here
  for (const e of doc.entities) {
    if (newKeys.has(entityKey(e))) continue;
    newKeys.add(entityKey(e));
    postings.push({ e, rank: salience(e, chars, doc.titleChars) });
    for (const name of [e.key, ...e.aliases]) readings.set(name, (readings.get(name) ?? new Set()).add(entityKey(e)));
  }
  // Which postings exist already decides which ones count as new documents for an entity.
  const existing = new Set((await batchGet(store, postings.map(({ e }) => keys.posting(e.type, e.key, documentId)), 'pk')).map((i) => i.pk as string));
  for (const { e, rank } of postings) {
    puts.push({
      PutRequest: {
        Item: { ...keys.posting(e.type, e.key, documentId), rank, documentId, s3Key: doc.record.key, line: doc.record.line, name: e.name, mentions: e.mentions.length, first: e.mentions[0]!.start,
          spans: e.mentions.slice(0, POSTING_MENTIONS).map((m) => [m.start, m.end, m.text]) },
      },
    });
  }
  await batchWrite(store, dedupe(puts));
  await addReadings(store, readings);
  // A posting that did not exist before adds one to the entity's document frequency.
  await mapLimit(postings.filter(({ e }) => !existing.has(keys.posting(e.type, e.key, documentId).pk)), 8, ({ e }) => addFrequency(store, e.type, e.key, +1));

  const stale = new Set([...(previous?.entityKeys ?? []), ...(previous?.staleEntityKeys ?? [])].filter((k) => !newKeys.has(k)));
  const record: DocumentRecord = {
    ...doc.record,
    entityCount: doc.entities.length,
    chunkCount: chunks.length,
    entityKeys: [...newKeys],
    staleEntityKeys: [...stale],
    updatedAt: new Date().toISOString(),
  };
  await store.client.send(new PutCommand({ TableName: store.table, Item: { ...keys.document(documentId), ...record } }));
  await cleanUp(store, documentId, stale, chunks.length, previous?.chunkCount ?? 0);
}

/** Remove a document's entities and postings, leaving a tombstone record with its status. */
export async function removeDocument(store: IndexStore, record: Omit<DocumentRecord, 'chunkCount' | 'entityKeys' | 'updatedAt'>): Promise<void> {
  const previous = await getDocument(store, record.documentId);
  const stale = new Set([...(previous?.entityKeys ?? []), ...(previous?.staleEntityKeys ?? [])]);
  await store.client.send(
    new PutCommand({
      TableName: store.table,
      Item: { ...keys.document(record.documentId), ...record, entityCount: 0, chunkCount: 0, entityKeys: [], staleEntityKeys: [...stale], updatedAt: new Date().toISOString() },
    }),
  );
  await cleanUp(store, record.documentId, stale, 0, previous?.chunkCount ?? 0);
}

async function cleanUp(store: IndexStore, documentId: string, stale: Set<string>, keepChunks: number, oldChunks: number): Promise<void> {
  await mapLimit([...stale].map(splitEntityKey), 8, async ([type, key]) => {
    const out = await store.client.send(new DeleteCommand({ TableName: store.table, Key: keys.posting(type, key, documentId), ReturnValues: 'ALL_OLD' }));
    if (out.Attributes) await addFrequency(store, type, key, -1);
  });
  const deletes: WriteRequest[] = [];
  for (let n = keepChunks; n < oldChunks; n++) deletes.push({ DeleteRequest: { Key: keys.entityChunk(documentId, n) } });
  await batchWrite(store, deletes);
  if (stale.size > 0) {
    await store.client.send(
      new UpdateCommand({ TableName: store.table, Key: keys.document(documentId), UpdateExpression: 'SET staleEntityKeys = :none', ExpressionAttributeValues: { ':none': [] } }),
    );
  }
}

/**
 * Document frequency, kept as a counter that moves only when a posting is created or
 * deleted (DynamoDB tells which, via ReturnValues), so a redelivered event cannot count
 * twice. A worker killed between the posting write and this update leaves the count one
 * short: harmless for an idf weight, and the lease's retry never double-counts.
 */
async function addFrequency(store: IndexStore, type: string, key: string, delta: number): Promise<void> {
  await store.client.send(
    new UpdateCommand({ TableName: store.table, Key: keys.frequency(type, key), UpdateExpression: 'ADD #count :d', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':d': delta } }),
  );
}

/**
 * The vocabulary learns the readings it lacks: one BatchGet for the document's names,
 * then an ADD to a string set for each name that gained a reading (idempotent, and rare
 * once a corpus has been seen: most names recur).
 */
async function addReadings(store: IndexStore, readings: Map<string, Set<string>>): Promise<void> {
  const known = new Map((await batchGet(store, [...readings.keys()].map(keys.name), 'pk, readings')).map((i) => [i.pk as string, (i.readings as Set<string> | undefined) ?? new Set<string>()]));
  const missing = [...readings].map(([name, wanted]) => [name, [...wanted].filter((r) => !known.get(keys.name(name).pk)?.has(r))] as const).filter(([, add]) => add.length > 0);
  await mapLimit(missing, 8, async ([name, add]) => {
    await store.client.send(
      new UpdateCommand({ TableName: store.table, Key: keys.name(name), UpdateExpression: 'ADD readings :r', ExpressionAttributeValues: { ':r': new Set(add) } }),
    );
  });
}

function dedupe(requests: WriteRequest[]): WriteRequest[] {
  const seen = new Map<string, WriteRequest>();
  for (const r of requests) seen.set(itemId('PutRequest' in r ? r.PutRequest.Item : r.DeleteRequest.Key), r);
  return [...seen.values()];
}

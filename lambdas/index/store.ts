/**
 * Reading the entity index's documents (see schema.ts for the item layout), and the
 * pieces of a document's items that writes.ts (the write protocol) stores.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchGet, mapLimit, type IndexStore } from './dynamo.js';
import type { ResolvedEntity } from './resolve.js';
import { chunkPrefix, keys } from './schema.js';
import type { DocumentTerm } from './terms.js';

export type { IndexStore } from './dynamo.js';

export type DocumentStatus = 'indexed' | 'failed' | 'deleted';

/** Which document, from which object, at which version (S3's sequencer for its key). */
export interface DocumentVersion {
  readonly documentId: string;
  readonly bucket: string;
  readonly key: string;
  readonly line?: number;
  readonly sequencer: string;
  /** The S3 object version read, in a versioned bucket. */
  readonly versionId?: string;
}

/** What a version says: indexed entities, or why there are none. */
export type VersionContent =
  | {
      readonly status: 'indexed';
      readonly model: { name: string; version: string };
      readonly title?: string;
      readonly snippet?: string;
      readonly chars?: number;
      readonly entities: readonly ResolvedEntity[];
      /** Its most salient words (terms.ts documentTerms), indexed beside the entities. */
      readonly terms?: readonly DocumentTerm[];
      /** Its whole text, for the word index (lambdas/words) where the store has one; never stored in DynamoDB. */
      readonly text?: string;
      readonly titleChars: number;
      /** Lines of the documents of a multi-document file (JSON lines, JSON array): their ids are documentIdOf(bucket, key, line). */
      readonly childLines?: number[];
    }
  | { readonly status: 'failed' | 'deleted'; readonly reason?: string };

/** The children a multi-document file's version is about to write (writes.ts step 2), so that whoever comes next can undo them. */
export interface WriteIntent {
  readonly seq: string;
  readonly childLines: number[];
}

export interface DocumentRecord extends DocumentVersion {
  readonly status: DocumentStatus;
  readonly reason?: string;
  readonly model?: { name: string; version: string };
  readonly title?: string;
  readonly snippet?: string;
  readonly chars?: number;
  /** The sequencer in its fence form (schema.ts fenceOf): what writes compare. */
  readonly seq?: string;
  /** False until the version's clean-up has finished (writes.ts step 5). */
  readonly settled?: boolean;
  readonly entityCount?: number;
  readonly chunkCount: number;
  /** Which chunks hold this version's entities (`<seq>#<attempt>`): schema.ts chunkPrefix. */
  readonly chunkSet?: string;
  /** Lines of the documents of a multi-document file (JSON lines, JSON array); numbers, not ids, to stay small. */
  readonly childLines?: number[];
  /** Lines of earlier versions' documents still to remove. */
  readonly staleChildLines?: number[];
  readonly intent?: WriteIntent;
  readonly updatedAt: string;
}

/**
 * A document's record, or undefined when there is none. A record that only holds the
 * intent of a first version still being written counts as none unless `withIntent`.
 */
export async function getDocument(store: IndexStore, documentId: string, { withIntent = false } = {}): Promise<DocumentRecord | undefined> {
  const out = await store.client.send(new GetCommand({ TableName: store.table, Key: keys.document(documentId), ConsistentRead: true }));
  const item = out.Item as DocumentRecord | undefined;
  return item && (withIntent || item.status !== undefined) ? item : undefined;
}

/**
 * The entities of the version the record names, in order of first mention, from the
 * `offset`th on: at most `limit` of them, read chunk by chunk and no further than needed.
 * An entity with more mentions than a chunk holds is split over consecutive chunks
 * (chunkEntities); it comes back whole.
 */
export async function getEntities(store: IndexStore, record: DocumentRecord, { offset = 0, limit = Infinity } = {}): Promise<{ entities: ResolvedEntity[]; more: boolean }> {
  const out: ResolvedEntity[] = [];
  if (!record.chunkSet) return { entities: out, more: false };
  const pages = paginateQuery({ client: store.client }, {
    TableName: store.table,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ent)',
    ExpressionAttributeValues: { ':pk': keys.document(record.documentId).pk, ':ent': chunkPrefix(record.chunkSet) },
    ConsistentRead: true,
  });
  let seen = 0;
  let last: ResolvedEntity | undefined;
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      for (const e of item.entities as ResolvedEntity[]) {
        if (last && last.type === e.type && last.key === e.key) {
          if (seen > offset) last.mentions.push(...e.mentions); // the rest of a split entity
          continue;
        }
        seen++;
        if (seen <= offset) {
          last = e;
          continue;
        }
        if (out.length === limit) return { entities: out, more: true };
        last = { ...e, mentions: [...e.mentions] };
        out.push(last);
      }
    }
  }
  return { entities: out, more: false };
}

const CHUNK_BYTES = 128 * 1024;

export function chunkEntities(entities: readonly ResolvedEntity[]): ResolvedEntity[][] {
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

/**
 * The vocabulary learns the readings it lacks: one BatchGet for the document's names,
 * then an ADD to a string set for each name that gained a reading (idempotent, and rare
 * once a corpus has been seen: most names recur).
 */
export async function addReadings(store: IndexStore, readings: Map<string, Set<string>>): Promise<void> {
  const known = new Map((await batchGet(store, [...readings.keys()].map(keys.name), ['pk', 'readings'])).map((i) => [i.pk as string, (i.readings as Set<string> | undefined) ?? new Set<string>()]));
  const missing = [...readings].map(([name, wanted]) => [name, [...wanted].filter((r) => !known.get(keys.name(name).pk)?.has(r))] as const).filter(([, add]) => add.length > 0);
  await mapLimit(missing, 8, async ([name, add]) => {
    await store.client
      .send(
        new UpdateCommand({
          TableName: store.table,
          Key: keys.name(name),
          UpdateExpression: 'ADD readings :r',
          // A name that already stands for MAX_READINGS entities learns no more: search weighs a
          // name's first readings only (search/candidates.ts), and the item stays small.
          ConditionExpression: 'attribute_not_exists(readings) OR size(readings) < :max',
          ExpressionAttributeValues: { ':r': new Set(add.slice(0, MAX_READINGS)), ':max': MAX_READINGS },
        }),
      )
      .catch((e) => {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      });
  });
}

/** Most entities one name stands for in the vocabulary. */
export const MAX_READINGS = 64;

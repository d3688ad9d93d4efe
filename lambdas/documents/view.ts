/**
 * GET /v1/documents/{documentId}[?limit=N&cursor=C], free of Lambda: the document's
 * status, model version, and a page of its entities with their mentions (offsets in code
 * points into the document's text); `nextCursor` when there are more.
 */
import { RequestError } from '../shared/errors.js';
import { documentIdOf } from '../index/schema.js';
import { getDocument, getEntities, type IndexStore } from '../index/store.js';

const ID = /^d[0-9a-f]{24}(?:-L\d{1,9})?$/;
/** Entities per page, by default and at most; with MAX_MENTIONS each, a page stays far under Lambda's 6 MB response limit. */
export const DEFAULT_ENTITIES = 200;
export const MAX_ENTITIES = 1000;
/** Mentions listed per entity (all are counted in `mentionCount`). */
export const MAX_MENTIONS = 100;

/** `?limit=N&cursor=C`: the page of entities asked for. */
function pageOf(query: Record<string, string | undefined>): { offset: number; limit: number } {
  const limit = query.limit === undefined ? DEFAULT_ENTITIES : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ENTITIES) throw new RequestError('invalid_limit', `"limit" must be an integer from 1 to ${MAX_ENTITIES}, got ${JSON.stringify(query.limit)}`);
  if (query.cursor === undefined) return { offset: 0, limit };
  const offset = Number(Buffer.from(query.cursor, 'base64url').toString('utf8').replace(/^e/, ''));
  if (!/^[\w-]+$/.test(query.cursor) || !Number.isInteger(offset) || offset < 1) throw new RequestError('invalid_cursor', '"cursor" must be a nextCursor returned by an earlier page of this document');
  return { offset, limit };
}
const cursorOf = (offset: number) => Buffer.from(`e${offset}`).toString('base64url');

export async function documentView(store: IndexStore, documentId: string | undefined, query: Record<string, string | undefined> = {}) {
  if (!documentId || !ID.test(documentId)) throw new RequestError('invalid_document_id', `"${documentId ?? ''}" is not a document id (they look like d0123456789abcdef01234567)`);
  const { offset, limit } = pageOf(query);
  const record = await getDocument(store, documentId);
  if (!record) throw new RequestError('not_found', `no document ${documentId}`);
  const { entities, more } = record.status === 'indexed' ? await getEntities(store, record, { offset, limit }) : { entities: [], more: false };
  return {
    documentId,
    status: record.status,
    ...(record.reason ? { reason: record.reason } : {}),
    source: { bucket: record.bucket, key: record.key, ...(record.line !== undefined ? { line: record.line } : {}) },
    model: record.model,
    title: record.title,
    updatedAt: record.updatedAt,
    ...(record.childLines ? { documents: record.childLines.map((line) => documentIdOf(record.bucket, record.key, line)) } : {}),
    entities: entities.map((e) => ({ type: e.type, name: e.name, normalized: e.key, aliases: e.aliases, mentionCount: e.mentions.length, mentions: e.mentions.slice(0, MAX_MENTIONS) })),
    ...(more ? { nextCursor: cursorOf(offset + limit) } : {}),
  };
}
